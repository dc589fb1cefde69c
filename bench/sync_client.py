#!/usr/bin/env python3
"""A Segment-like sender for bench/run.sh: delivers N identifies (unique users, emails, messageIds) to the
destination and redelivers whatever it is told to retry, until every event is settled or a time bound passes.

  --mode batch   requests of {"batch": [...]} with --batch-size events each
  --mode single  one event per request
  --concurrency  requests in flight at once (one thread + one keep-alive connection each)

Retry rules (as Segment): a 503 answer (or a connection error) resends the request's events; in a batch answer
each result whose status is "retry" is resent, the others are settled. A resend waits Retry-After seconds when
the answer has one, else 0.5-1 s. "delivered" and "duplicate" count as delivered; any other final status
(rejected, skipped, ...) counts as failed and is not resent.

Prints one JSON object: events, delivered, failed, resends, requests, seconds (until all were settled, or
until the last answer when the bound stopped it), complete, contacts_per_s, statuses, retry_reasons.
"""
import argparse
import base64
import heapq
import http.client
import json
import random
import sys
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

DELIVERED = ("delivered", "duplicate")


def identify(prefix, i, timestamp):
    user = f"{prefix}-{i}"
    return {"type": "identify", "userId": user, "messageId": f"{prefix}-msg-{i}",
            "traits": {"email": f"{user}@example.com", "firstName": "Ann", "lastName": "Lee",
                       "company": "Initech", "plan": "pro"},
            "timestamp": timestamp}


class Sender:
    def __init__(self, args):
        self.args = args
        url = urlsplit(args.url)
        self.host, self.port, self.path = url.hostname, url.port or 80, url.path or "/"
        token = base64.b64encode(f"{args.api_key}:".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        events = [identify(args.prefix, i, now) for i in range(args.events)]
        size = args.batch_size if args.mode == "batch" else 1
        self.queue = []  # heap of (ready_at, seq, [events])
        self.seq = 0
        for start in range(0, len(events), size):
            self._schedule(0.0, events[start:start + size])
        self.cond = threading.Condition()
        self.in_flight = 0
        self.settled = 0
        self.delivered = 0
        self.failed = 0
        self.resends = 0
        self.requests = 0
        self.statuses = {}
        self.retry_reasons = {}
        self.completed_at = None
        self.last_answer_at = None

    def _schedule(self, ready_at, events):
        heapq.heappush(self.queue, (ready_at, self.seq, events))
        self.seq += 1

    def _next(self):
        """The next unit of events to send, or None when all are settled or the bound has passed."""
        with self.cond:
            while True:
                now = time.monotonic()
                if self.settled >= self.args.events or now >= self.deadline:
                    return None
                if self.queue and self.queue[0][0] <= now:
                    self.in_flight += 1
                    return heapq.heappop(self.queue)[2]
                wait = (self.queue[0][0] - now) if self.queue else 0.2
                self.cond.wait(min(wait, self.deadline - now, 0.2))

    def _send(self, conn, events):
        if self.args.mode == "batch":
            body = json.dumps({"batch": events})
        else:
            body = json.dumps(events[0])
        conn.request("POST", self.path, body=body, headers=self.headers)
        answer = conn.getresponse()
        data = answer.read()
        return answer.status, answer.getheader("Retry-After"), data

    def _retry_delay(self, retry_after):
        try:
            return float(retry_after) * random.uniform(0.9, 1.1)
        except (TypeError, ValueError):
            return random.uniform(0.5, 1.0)

    def worker(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.args.request_timeout)
        while True:
            events = self._next()
            if events is None:
                conn.close()
                return
            status, retry_after, data = None, None, b""
            try:
                status, retry_after, data = self._send(conn, events)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.args.request_timeout)
            self._settle(events, status, retry_after, data)

    def _settle(self, events, status, retry_after, data):
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            answer = {}
        by_id = {}
        if isinstance(answer, dict) and isinstance(answer.get("results"), list):
            by_id = {r.get("messageId"): r for r in answer["results"] if isinstance(r, dict)}
        retry, delivered, failed, reasons = [], 0, 0, {}
        for event in events:
            result = by_id.get(event["messageId"])
            if result is None and self.args.mode == "single" and isinstance(answer, dict):
                result = answer
            word = (result or {}).get("status")
            if word in DELIVERED:
                delivered += 1
            elif word == "retry" or status is None or status == 503 or result is None:
                retry.append(event)
                reason = (result or {}).get("reason") or (f"http_{status}" if status else "connection_error")
                reasons[reason] = reasons.get(reason, 0) + 1
            else:
                failed += 1
        now = time.monotonic()
        with self.cond:
            key = str(status) if status is not None else "error"
            self.statuses[key] = self.statuses.get(key, 0) + 1
            self.requests += 1
            for reason, count in reasons.items():
                self.retry_reasons[reason] = self.retry_reasons.get(reason, 0) + count
            self.delivered += delivered
            self.failed += failed
            self.settled += delivered + failed
            if retry:
                self.resends += len(retry)
                self._schedule(now + self._retry_delay(retry_after), retry)
            self.in_flight -= 1
            self.last_answer_at = now
            if self.settled >= self.args.events and self.completed_at is None:
                self.completed_at = now
            self.cond.notify_all()

    def run(self):
        self.started = time.monotonic()
        self.deadline = self.started + self.args.time_bound
        threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        end = self.completed_at or self.last_answer_at or time.monotonic()
        seconds = max(end - self.started, 1e-9)
        return {"mode": self.args.mode, "events": self.args.events, "concurrency": self.args.concurrency,
                "delivered": self.delivered, "failed": self.failed, "resends": self.resends,
                "requests": self.requests, "seconds": round(seconds, 3),
                "complete": self.completed_at is not None and self.failed == 0,
                "time_bound_s": self.args.time_bound,
                "contacts_per_s": round(self.delivered / seconds, 1),
                "statuses": self.statuses, "retry_reasons": self.retry_reasons}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8080/destinations/mailmodo")
    p.add_argument("--api-key", default="bench-key")
    p.add_argument("--mode", choices=("batch", "single"), required=True)
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--time-bound", type=float, default=300.0, help="seconds after which nothing new is sent")
    p.add_argument("--request-timeout", type=float, default=10.0)
    p.add_argument("--prefix", default="sync", help="userIds are PREFIX-i, messageIds PREFIX-msg-i")
    args = p.parse_args()
    json.dump(Sender(args).run(), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
