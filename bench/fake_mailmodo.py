#!/usr/bin/env python3
"""A fake Mailmodo API that enforces Mailmodo's rate limit, for bench/run.sh.

At most R requests are accepted in any sliding second (per server, i.e. per API key of the benchmark);
a request arriving when R were accepted within the last 1000 ms is answered 429 {"success":false}.
Accepted requests answer 200 {"success":true}. With --delay-ms N every call (accepted or not) is answered N ms
after it arrived, each on its own thread, so concurrent calls wait in parallel as with a slow real API.

Counts (GET /stats, reset by POST /reset):
  accepted, rejected_429, contacts (1 per /addToList, len(body["values"]) per /addToList/batch),
  events (/addEvent), by_path, missing_api_key (requests without the mmApiKey header), max_batch.

Usage: fake_mailmodo.py --port PORT [--limit 10] [--window-ms 1000] [--delay-ms 0]
"""
import argparse
import collections
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Limiter:
    """Thread-safe sliding-window admission: a deque of the accepted requests' arrival times."""

    def __init__(self, limit, window):
        self.limit = limit
        self.window = window
        self.accepted_at = collections.deque()
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.accepted_at.clear()
            self.stats = {"accepted": 0, "rejected_429": 0, "contacts": 0, "events": 0,
                          "by_path": {}, "missing_api_key": 0, "max_batch": 0}

    def admit(self, path, contacts, has_key):
        """Records one request; returns True when it is accepted."""
        now = time.monotonic()
        with self.lock:
            while self.accepted_at and now - self.accepted_at[0] >= self.window:
                self.accepted_at.popleft()
            s = self.stats
            s["by_path"][path] = s["by_path"].get(path, 0) + 1
            if not has_key:
                s["missing_api_key"] += 1
            if len(self.accepted_at) >= self.limit:
                s["rejected_429"] += 1
                return False
            self.accepted_at.append(now)
            s["accepted"] += 1
            s["contacts"] += contacts
            if path.endswith("/addEvent"):
                s["events"] += 1
            s["max_batch"] = max(s["max_batch"], contacts)
            return True

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps(self.stats))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Mailmodo's real API
    # headers and body leave in separate writes: with Nagle's algorithm on, the body waits for the client's delayed
    # ACK (~40 ms on a kept-alive connection), which would be charged to the service under test
    disable_nagle_algorithm = True

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/stats":
            self._send(200, self.server.limiter.snapshot())
        else:
            self._send(404, {"success": False, "message": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path == "/reset":
            self.server.limiter.reset()
            self._send(200, {"reset": True})
            return
        contacts = 0
        if path.endswith("/addToList/batch"):
            try:
                contacts = len(json.loads(raw or b"{}").get("values") or [])
            except ValueError:
                contacts = 0
        elif path.endswith("/addToList"):
            contacts = 1
        accepted = self.server.limiter.admit(path, contacts, bool(self.headers.get("mmApiKey")))
        if self.server.delay_s:  # counted (and rate-limited) on arrival, answered later
            time.sleep(self.server.delay_s)
        if accepted:
            self._send(200, {"success": True})
        else:
            self._send(429, {"success": False})

    def log_message(self, fmt, *args):  # quiet: the counters are the log
        pass


class Server(ThreadingHTTPServer):
    """One thread per connection; a listen backlog for many connections opened at once (the default is 5)."""
    daemon_threads = True
    request_queue_size = 256


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--window-ms", type=int, default=1000)
    parser.add_argument("--delay-ms", type=int, default=0, help="answer every call this many ms after it arrived")
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.delay_s = args.delay_ms / 1000.0
    server.limiter = Limiter(args.limit, args.window_ms / 1000.0)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
