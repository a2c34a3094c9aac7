"""A server that accepts HTTP connections and never answers: the door's worst network.

Prints its base URL on the first line, then holds every connection open until killed.
Used by Benchmarks/central.sh to measure that a verdict never waits past the deadline.
"""
import socket
import sys
import threading

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(f"http://127.0.0.1:{listener.getsockname()[1]}", flush=True)
held = []


def hold(connection: socket.socket) -> None:
    held.append(connection)
    try:
        while connection.recv(65536):
            pass
    except OSError:
        pass


while True:
    connection, _ = listener.accept()
    threading.Thread(target=hold, args=(connection,), daemon=True).start()
