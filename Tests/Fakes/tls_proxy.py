#!/usr/bin/env python3
"""A TLS front for a plain-HTTP test server on loopback, as a reverse proxy in front of cafe-server
would be: the kiosk's libcurl meets a real TLS handshake and a certificate from a CA the test made.

Usage: tls_proxy.py CERT KEY UPSTREAM_PORT — prints "listening on PORT" (127.0.0.1, any free port),
then forwards each connection's bytes both ways. It exits when its stdin closes (the test ended).
"""
import os, select, socket, ssl, sys, threading

cert, key, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(f"listening on {listener.getsockname()[1]}", flush=True)

def serve(client):
    try:
        tls = context.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError):
        client.close()  # a client that refused our certificate: what the pinning tests expect
        return
    backend = socket.create_connection(("127.0.0.1", upstream))
    try:
        # One thread and select, not a thread per direction: an SSL object is not safe to read
        # and write from two threads at once.
        while True:
            ready = [tls] if tls.pending() else select.select([tls, backend], [], [])[0]
            for source in ready:
                target = backend if source is tls else tls
                try:
                    data = source.recv(65536)
                except ssl.SSLWantReadError:
                    continue
                if not data:
                    return
                target.sendall(data)
    except OSError:
        pass
    finally:
        tls.close()
        backend.close()

threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
