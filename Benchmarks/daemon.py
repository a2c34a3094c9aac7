#!/usr/bin/env python3
"""The daemon's own figures, as systemd would see them (Benchmarks/daemon.sh builds the binaries):

  - start → READY=1 with a warm cache of 100,000 tickets (a notify socket of ours, as systemd's);
  - SIGTERM → exit while the camera FIFO is silent;
  - resident memory and CPU while a 1280x720 gray stream arrives at 30 fps, for --seconds, with a
    customer holding a pass up every --scan-every seconds (a third of a second of frames of a
    cached pass's QR code, a real verdict committed each time; 0: an empty doorway only).

With --server CAFE_SERVER the box is online, as a real one is: a cafe-server on loopback over a
fresh SQLite file sells the --tickets passes (`cafe-server bench seed`), the kiosk is enrolled
with it (the initial sync fills its cache), the passes held up are the server's, each verdict is
the server's, and the daemon syncs every 5 s; the check-ins are counted on the server. With --tls
as well, the kiosk reaches it over HTTPS, as a box does: a TLS front (Tests/Fakes/tls_proxy.py) with
a certificate from a CA made here, pinned at enrolment (`kioskd enroll --ca-file`).

Usage: Benchmarks/daemon.py KIOSKD KIOSKD_BENCH [--seconds 20] [--runs 5] [--scan-every 2] [--server CAFE_SERVER [--tls]]
"""
import argparse, os, random, socket, sqlite3, subprocess, sys, tempfile, threading, time

def fill_cache(bench, state, tickets):
    subprocess.run([bench, "checkin", "--tickets", str(tickets), "--scans", "1", "--state-dir", state],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

class Server:
    """A cafe-server on 127.0.0.1 over a fresh SQLite file, with one store selling `tickets` passes."""
    def __init__(self, binary, work, tickets, tls=False):
        self.database, self.tokens, self.front, self.ca = f"{work}/cafe.sqlite", f"{work}/tokens", None, None
        env = dict(os.environ, CAFE_DATABASE=self.database, CAFE_BCRYPT_COST="4")
        quiet = dict(check=True, env=env, stderr=subprocess.DEVNULL)
        subprocess.run([binary, "admin", "create-store", "--id", "1", "--name", "Bench"], stdout=subprocess.DEVNULL, **quiet)
        with open(self.tokens, "w") as tokens:
            subprocess.run([binary, "bench", "seed", "--tickets", str(tickets)], stdout=tokens, **quiet)
        self.code = subprocess.run([binary, "admin", "enrollment-code", "--store", "1"], capture_output=True, text=True,
                                   check=True, env=env).stdout.strip()
        self.process = subprocess.Popen([binary, "serve", "--port", "0", "--log-level", "error"], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if "listening on " not in line:
            raise SystemExit(f"cafe-server did not start: {line!r}")
        self.url = line.split("listening on ", 1)[1].strip()
        if tls:
            self.url = self.tls_front(work, int(self.url.rsplit(":", 1)[1]))

    def tls_front(self, work, port):
        """HTTPS on loopback before the server: a CA and a certificate for 127.0.0.1 made now."""
        def openssl(*arguments):
            subprocess.run(["openssl", *arguments], cwd=work, check=True, capture_output=True)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=bench CA", "-keyout", "ca.key", "-out", "ca.pem")
        openssl("req", *ec, "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
        with open(f"{work}/san.cnf", "w") as san:
            san.write("subjectAltName = IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", "san.cnf", "-out", "server.pem")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fakes", "tls_proxy.py")
        self.front = subprocess.Popen([sys.executable, script, f"{work}/server.pem", f"{work}/server.key", str(port)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ca = f"{work}/ca.pem"
        return "https://127.0.0.1:" + self.front.stdout.readline().split()[-1]

    def enroll(self, kioskd, state):
        pin = ["--ca-file", self.ca] if self.ca else []
        subprocess.run([kioskd, "enroll", "--server", self.url, "--code", self.code, "--name", "bench",
                        "--state-dir", state] + pin,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def check_ins(self):
        """Check-ins the server recorded (entries and exits the kiosk asked it to decide)."""
        with sqlite3.connect(self.database) as db:
            return db.execute("SELECT COUNT(*) FROM check_in_events WHERE verdict IN ('enter', 'exit')").fetchone()[0]

    def stop(self):
        if self.front:
            self.front.stdin.close(); self.front.wait(timeout=10)
        self.process.terminate(); self.process.wait(timeout=10)

def start(kioskd, state, fifo, notify_path, online=False):
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    env.pop("JOURNAL_STREAM", None)
    sync = ["--sync-interval", "5"] if online else []
    return subprocess.Popen([kioskd, "run", "--state-dir", state, "--config", "/nonexistent.toml", "--raw", "gray",
                             "--size", "1280x720", fifo, "--no-metrics", "--log-level", "warning"] + sync,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def wait_for(sock, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if text in sock.recv(4096).decode():
                return time.monotonic()
        except socket.timeout:
            break
    raise SystemExit(f"no {text} within {timeout} s")

def outbox(kioskd, state):
    """Events waiting for upload in the cache (`kioskd status`): the daemon's committed check-ins."""
    status = subprocess.run([kioskd, "status", "--state-dir", state, "--config", "/nonexistent.toml"],
                            capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("outbox")))

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kioskd")
    parser.add_argument("bench")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scan-every", type=float, default=2.0)
    parser.add_argument("--smaps", help="write the daemon's /proc/PID/smaps here before stopping it (where the RSS is)")
    parser.add_argument("--server", metavar="CAFE_SERVER", help="run online against this cafe-server binary on loopback")
    parser.add_argument("--tls", action="store_true", help="with --server: over HTTPS, the CA pinned at enrolment")
    args = parser.parse_args()
    if args.tls and not args.server:
        parser.error("--tls needs --server")
    work = tempfile.mkdtemp(prefix="kioskd-daemon-bench.")
    state, fifo, notify_path = f"{work}/state", f"{work}/camera.fifo", f"{work}/notify.sock"
    server = Server(args.server, work, args.tickets, args.tls) if args.server else None
    try:
        measure(args, work, state, fifo, notify_path, server)
    finally:
        if server:
            server.stop()
        subprocess.run(["rm", "-rf", work])

def measure(args, work, state, fifo, notify_path, server):
    if server:
        server.enroll(args.kioskd, state)
    else:
        fill_cache(args.bench, state, args.tickets)
    online = server is not None
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # open and silent
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)

    ready, stops = [], []
    for _ in range(args.runs):
        began = time.monotonic()
        process = start(args.kioskd, state, fifo, notify_path, online)
        ready.append((wait_for(sock, "READY=1") - began) * 1000)
        time.sleep(0.5)
        began = time.monotonic()
        process.terminate()
        process.wait(timeout=10)
        stops.append((time.monotonic() - began) * 1000)
    ready.sort(); stops.sort()
    print(f"start → READY=1, {args.tickets:,} tickets cached, {args.runs} runs: median {ready[len(ready)//2]:.0f} ms, max {ready[-1]:.0f} ms")
    print(f"SIGTERM → exit, camera FIFO silent, {args.runs} runs: median {stops[len(stops)//2]:.0f} ms, max {stops[-1]:.0f} ms")

    # 1280x720 gray frames at 30 fps: an empty doorway with sensor noise.
    random.seed(1)
    frames = [bytes(min(255, max(0, 120 + random.randint(-6, 6))) for _ in range(1280 * 720)) for _ in range(2)]
    passes = []
    if args.scan_every > 0:
        count = int((args.seconds + 3) / args.scan_every) + 1
        shown = ["--tokens", server.tokens] if server else []
        subprocess.run([args.bench, "door-frames", "--count", str(count), "--size", "1280x720", "--out", f"{work}/door.gray"] + shown,
                       check=True, stderr=subprocess.DEVNULL)
        with open(f"{work}/door.gray", "rb") as door:
            data = door.read()
        passes = [data[i:i + 1280 * 720] for i in range(0, len(data), 1280 * 720)]
    scan_period = int(args.scan_every * 30) if passes else 0
    os.set_blocking(writer, True)
    def committed():
        return server.check_ins() + outbox(args.kioskd, state) if server else outbox(args.kioskd, state)
    committed_before = committed()
    process = start(args.kioskd, state, fifo, notify_path, online)
    wait_for(sock, "READY=1")
    stop = threading.Event()
    def feed():
        period, due, n = 1 / 30, time.monotonic(), 0
        while not stop.is_set():
            # Every scan_period frames, the next pass for 10 frames; the doorway otherwise.
            if scan_period and n % scan_period < 10:
                frame = passes[n // scan_period % len(passes)]
            else:
                frame = frames[n % 2]
            os.write(writer, frame); n += 1
            due += period
            time.sleep(max(0, due - time.monotonic()))
    thread = threading.Thread(target=feed, daemon=True); thread.start()
    time.sleep(2)
    cpu0, t0, samples = cpu_seconds(process.pid), time.monotonic(), []
    while time.monotonic() - t0 < args.seconds:
        time.sleep(1)
        samples.append(rss_mb(process.pid))
    cpu = (cpu_seconds(process.pid) - cpu0) / (time.monotonic() - t0) * 100
    if args.smaps:
        with open(f"/proc/{process.pid}/smaps") as smaps, open(args.smaps, "w") as out:
            out.write(smaps.read())
    stop.set(); thread.join()
    process.terminate(); process.wait(timeout=10)
    scans = ""
    if scan_period:
        where = f"on the server, {outbox(args.kioskd, state)} waiting offline" if server else "to the outbox"
        scans = f", a pass held up every {args.scan_every:g} s ({committed() - committed_before} check-ins committed {where})"
    mode = ("online over HTTPS" if args.tls else "online") + ", syncing every 5 s" if server else "offline"
    print(f"1280x720 gray at 30 fps for {args.seconds} s{scans}, {args.tickets:,} tickets cached, {mode}: RSS {samples[0]:.1f} MB after 3 s, "
          f"{samples[-1]:.1f} MB at the end, max {max(samples):.1f} MB; CPU {cpu:.0f} % of one core")
    os.close(writer)

if __name__ == "__main__":
    main()
