#!/usr/bin/env python3
"""Small helpers for bench/run.sh (standard library only).

  ports N                          N free TCP ports on 127.0.0.1
  wait-ready URL PID T0_NS SECS    polls URL until 200; prints ms since T0_NS (ns, date +%s%N); fails if PID dies
  http METHOD URL                  prints the answer's body
  merge FILE key=value...          adds keys to a JSON object file (values parsed as JSON when they parse)
  wrk-result WRK_OUT LOG RSS OUT [CPU_TICKS]
                                   OUT = wrk's BENCH line + Mailmodo calls + RSS (kB, may be empty) + service CPU
                                   per event; LOG: the nginx fake's access log, or the base URL of a
                                   fake_mailmodo.py (its /stats); prints a one-line summary
  sync-summary FILE                one-line summary of a sync_client result
  report DIR MD_OUT                prints the tables and the ratio line, writes RESULTS.md
"""
import collections
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone


def ports(n):
    socks = []
    for _ in range(int(n)):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def wait_ready(url, pid, t0_ns, secs):
    deadline = time.monotonic() + float(secs)
    while time.monotonic() < deadline:
        try:
            os.kill(int(pid), 0)
        except OSError:
            sys.exit(f"process {pid} exited before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    print(round((time.time_ns() - int(t0_ns)) / 1e6))
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.01)
    sys.exit(f"{url} not ready within {secs} s")


def http(method, url):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as answer:
        print(answer.read().decode())


def merge(path, *pairs):
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            data[key] = json.loads(value)
        except ValueError:
            data[key] = value
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


def wrk_result(wrk_out, log, rss_kb, out, cpu_ticks=""):
    with open(wrk_out) as f:
        lines = [line[6:] for line in f if line.startswith("BENCH ")]
    if not lines:
        sys.exit(f"no BENCH line in {wrk_out}")
    result = json.loads(lines[-1])
    by_path = {}
    if log.startswith("http"):  # the python fake counts calls itself
        with urllib.request.urlopen(log + "/stats", timeout=10) as answer:
            result["fake"] = json.load(answer)
        by_path = result["fake"]["by_path"]
    else:
        with open(log) as f:
            for line in f:  # "$msec $request_method $uri $status"
                parts = line.split()
                if len(parts) >= 3:
                    by_path[parts[2]] = by_path.get(parts[2], 0) + 1
    result["calls"] = sum(by_path.values())
    result["calls_by_path"] = by_path
    if rss_kb:
        result["rss_kb"] = int(rss_kb)
    if cpu_ticks:  # utime+stime of the service during the run, in clock ticks
        result["cpu_ms_per_event"] = int(cpu_ticks) * 1000 / os.sysconf("SC_CLK_TCK") / max(1, result["requests"])
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
          f"non-200 {result['status_503'] + result['status_other']} (503: {result['status_503']}), "
          f"Mailmodo calls {by_path}" + (f", RSS {int(rss_kb) // 1024} MB" if rss_kb else "")
          + (f", service CPU {result['cpu_ms_per_event']:.2f} ms/event" if cpu_ticks else ""))


def sync_summary(path):
    with open(path) as f:
        s = json.load(f)
    fake = s.get("fake")
    print(f"{s['delivered']}/{s['events']} delivered in {s['seconds']:.1f} s ({s['contacts_per_s']:.1f}/s), "
          f"{s['resends']} resends, answers {s['statuses']}, retry reasons {s['retry_reasons']}"
          + (f"; fake: {fake['accepted']} accepted, {fake['rejected_429']} x 429, {fake['contacts']} contacts"
             if fake else ""))


# ---------------------------------------------------------------- report

def load(directory, name):
    path = os.path.join(directory, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def machine():
    def first(path, prefix):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(prefix):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.strip().splitlines()
    except OSError:
        java = ["?"]
    mem_kb = first("/proc/meminfo", "MemTotal").split()[0]
    return {"nproc": os.cpu_count(), "memory": f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else "?",
            "cpu": first("/proc/cpuinfo", "model name"), "kernel": platform.release(), "java": java}


def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def throughput_row(label, s):
    if not s:
        return f"| {label} | not measured | | | | | | |"
    errors = s["status_503"] + s["status_other"] + s["sock_connect"] + s["sock_read"] + s["sock_write"] + s["sock_timeout"]
    calls, sent = s.get("calls"), s.get("sent") or s["requests"]  # sent: requests wrk wrote, answered or not
    per_event = calls / sent if calls is not None and sent else None
    rss = s.get("rss_kb")
    unavailable = f" ({s['status_503']} × 503)" if s["status_503"] else ""
    return (f"| {label} | {s['rps']:.0f} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {fmt(per_event, '.3f')} "
            f"| {errors} of {s['requests']}{unavailable} | {fmt(rss / 1024 if rss else None, '.0f')} "
            f"| {fmt(s.get('cpu_ms_per_event'), '.2f')} |")


def service_errors(directory):
    """ERROR/FATAL lines of the service logs, counted by message (timestamp left out)."""
    counts = collections.Counter()
    for name in sorted(os.listdir(directory)):
        if name.startswith("service-") and name.endswith(".log"):
            with open(os.path.join(directory, name), errors="replace") as f:
                for line in f:
                    parts = line.split(" ", 2)
                    if len(parts) == 3 and parts[1] in ("ERROR", "FATAL"):
                        counts[parts[2].strip()[:160]] += 1
    return counts


def report(directory, md_out):
    meta = load(directory, "meta") or {}
    relay, ident, track, fixed = (load(directory, n) for n in ("relay", "identify", "track", "fixed_rate"))
    slow, slow_reference = load(directory, "slow"), load(directory, "slow_reference")
    batch, singles = load(directory, "sync_batch"), load(directory, "sync_single")
    rate_limit = meta.get("rate_limit", 10)
    lines = []
    out = lines.append

    out(f"### Throughput (`{meta.get('wrk_args', 'wrk')}`)")
    out("")
    out("| scenario | events/s | p50 ms | p99 ms | Mailmodo calls/event | errors | service RSS MB | service CPU ms/event |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|")
    out(throughput_row("reference: wrk → nginx relay → nginx fake", relay))
    out(throughput_row("service, identify mix", ident))
    out(throughput_row("service, track mix", track))
    out(throughput_row(f"service, identify at fixed rate ({meta.get('fixed_rate', '?')}/s target)", fixed))
    out("")
    out(f"JVM start-to-ready (java launch → first 200 of /q/health/ready): {meta.get('ready_ms', 'n/a')} ms with the "
        f"class-data archive written by a first start (AppCDS; again for the rate-limited part: "
        f"{meta.get('ready2_ms', 'n/a')} ms); the first start itself, without an archive, on an empty data dir: "
        f"{meta.get('ready_first_ms', 'n/a')} ms. JVM options: `{meta.get('java_opts', '')}`")
    out("")
    delay_ms = meta.get("slow_delay_ms", 300)
    out(f"### Slow Mailmodo (every call answered after {delay_ms} ms; same wrk settings, tracks carrying their own email: one Mailmodo call each)")
    out("")
    out("| scenario | events/s | p50 ms | p99 ms | Mailmodo calls (per event) | errors | service threads idle → max "
        "| threads after the warm-up |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|")
    if slow_reference:
        out(f"| reference: wrk → the slow fake directly | {slow_reference['rps']:.1f} | {slow_reference['p50_ms']:.2f} "
            f"| {slow_reference['p99_ms']:.2f} | n/a | {slow_reference['status_503'] + slow_reference['status_other']} "
            f"of {slow_reference['requests']} | n/a | n/a |")
    if slow:
        errors = sum(slow[k] for k in ("status_503", "status_other", "sock_connect", "sock_read", "sock_write",
                                       "sock_timeout"))
        sent = slow.get("sent") or slow["requests"]
        out(f"| service, Mailmodo answering after {delay_ms} ms | {slow['rps']:.1f} | {slow['p50_ms']:.2f} "
            f"| {slow['p99_ms']:.2f} | {slow['calls']} ({fmt(slow['calls'] / sent if sent else None, '.3f')}) "
            f"| {errors} of {slow['requests']} | {slow.get('threads_idle', '?')} → {slow.get('threads_max', '?')} "
            f"| {slow.get('threads_before_run', '?')} |")
    else:
        out(f"| service, Mailmodo answering after {delay_ms} ms | not measured | | | | | | |")
    out("")
    out(f"### Rate-limited Mailmodo (fake enforces R = {rate_limit} requests per sliding second; "
        f"service MAILMODO_RATE_LIMIT={rate_limit})")
    out("")
    out("| scenario | events | delivered | seconds | contacts/s | 429s sent by fake | resends (reasons) | Mailmodo calls | finished in bound |")
    out("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for label, s in (("(a) batch requests of 100", batch), ("(b) concurrent singles, 64 in flight", singles)):
        if not s:
            out(f"| {label} | not measured | | | | | | | |")
            continue
        fake = s.get("fake", {})
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["retry_reasons"].items(), key=lambda kv: -kv[1]))
        out(f"| {label} | {s['events']} | {s['delivered']} | {s['seconds']:.1f} | {s['contacts_per_s']:.1f} "
            f"| {fake.get('rejected_429', 'n/a')} | {s['resends']}{f' ({reasons})' if reasons else ''} "
            f"| {fake.get('accepted', 'n/a')} "
            f"| {'yes' if s['complete'] else 'no (bound ' + str(s['time_bound_s']) + ' s)'} |")
    out("")

    # targets
    ratio = ident["rps"] / relay["rps"] if ident and relay and relay["rps"] else None
    track_ratio = track["rps"] / relay["rps"] if track and relay and relay["rps"] else None
    rss_values = [s["rss_kb"] / 1024 for s in (ident, track, fixed) if s and s.get("rss_kb")]
    rss_max = max(rss_values) if rss_values else None
    goal = 100 * rate_limit
    fixed_ok_rate = fixed and fixed["rps"] >= 0.95 * fixed.get("target_rate", 1000)
    n429 = sum(s.get("fake", {}).get("rejected_429", 0) for s in (batch, singles) if s)
    track_cpu_us = 1000 * track["cpu_ms_per_event"] if track and track.get("cpu_ms_per_event") is not None else None
    slow_conns = (slow or {}).get("conns", meta.get("conns", 32))
    slow_goal = slow_conns / (delay_ms / 1000)
    threads_idle, threads_max = (slow or {}).get("threads_idle"), (slow or {}).get("threads_max")

    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "**missed**")

    targets = [
        ("identify events/s ≥ 25% of relay req/s", fmt(ratio and 100 * ratio, ".1f") + "%",
         None if ratio is None else ratio >= 0.25),
        ("track events/s ≥ 20% of relay req/s", fmt(track_ratio and 100 * track_ratio, ".1f") + "%",
         None if track_ratio is None else track_ratio >= 0.20),
        ("p99 ≤ 20 ms at 1000 events/s",
         "n/a" if not fixed else f"{fixed['p99_ms']:.2f} ms at {fixed['rps']:.0f} ev/s",
         None if not fixed else bool(fixed_ok_rate and fixed["p99_ms"] <= 20)),
        ("service RSS ≤ 300 MB (max after any run)", fmt(rss_max, ".0f") + " MB",
         None if rss_max is None else rss_max <= 300),
        ("start-to-ready ≤ 2.5 s", f"{meta.get('ready_ms', 'n/a')} ms",
         None if meta.get("ready_ms") is None else meta["ready_ms"] <= 2500),
        (f"rate-limited batch ≥ 90% of 100×R = {0.9 * goal:.0f} contacts/s",
         fmt(batch and batch["contacts_per_s"], ".1f") + " contacts/s",
         None if not batch else (batch["complete"] and batch["contacts_per_s"] >= 0.9 * goal)),
        (f"rate-limited concurrent singles ≥ 50% of 100×R = {0.5 * goal:.0f} contacts/s",
         fmt(singles and singles["contacts_per_s"], ".1f") + " contacts/s"
         + ("" if not singles or singles["complete"] else
            f" ({singles['delivered']}/{singles['events']} delivered within the bound)"),
         None if not singles else (singles["complete"] and singles["contacts_per_s"] >= 0.5 * goal)),
        ("zero 429s from Mailmodo", str(n429), None if not (batch or singles) else n429 == 0),
        ("track app CPU ≤ 250 µs/event", fmt(track_cpu_us, ".0f") + " µs/event",
         None if track_cpu_us is None else track_cpu_us <= 250),
        (f"Mailmodo slow ({delay_ms} ms): events/s ≥ connections ÷ {delay_ms / 1000:g} s",
         "n/a" if not slow else f"{slow['rps']:.1f} events/s (goal {slow_conns} ÷ {delay_ms / 1000:g} s = {slow_goal:.1f}"
         + (f"; wrk straight to the fake: {slow_reference['rps']:.1f}" if slow_reference else "") + ")",
         None if not slow else slow["rps"] >= slow_goal),
        ("Mailmodo slow: events/s ≥ 95% of wrk straight to the fake (what the fake allows)",
         "n/a" if not (slow and slow_reference) else f"{100 * slow['rps'] / slow_reference['rps']:.1f}%",
         None if not (slow and slow_reference) else slow["rps"] >= 0.95 * slow_reference["rps"]),
        ("Mailmodo slow: thread count flat (max ≤ idle + 10)",
         "n/a" if threads_idle is None or threads_max is None else f"{threads_idle} → {threads_max}",
         None if threads_idle is None or threads_max is None else threads_max <= threads_idle + 10),
    ]
    out("### Targets")
    out("")
    out("| target | measured | verdict |")
    out("|---|---|---|")
    for name, measured, ok in targets:
        out(f"| {name} | {measured} | {verdict(ok)} |")
    errors = service_errors(directory)
    if errors:
        out("")
        out(f"The service logged {sum(errors.values())} ERROR lines during the runs: "
            + "; ".join(f"{n} × `{message}`" for message, n in errors.most_common(3)))
    if fixed and not fixed_ok_rate:
        out("")
        out(f"Note: the fixed-rate run reached only {fixed['rps']:.0f} of {fixed.get('target_rate')} events/s, "
            "so its p99 does not count as met.")
    table = "\n".join(lines)
    ratio_line = f"ratio_vs_nginx_relay={ratio:.2f}" if ratio is not None else "ratio_vs_nginx_relay=n/a"
    print(table)
    print()

    m = machine()
    md = [
        "# Benchmark results: Mailmodo destination for Segment",
        "",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')}",
        f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, Linux {m['kernel']}",
        f"- java: {' / '.join(m['java'])}",
        f"- app: `{meta.get('app_jar', '?')}`",
        f"- command: `{meta.get('command', '?')}`" + (" (quick mode: short runs, fewer events)" if meta.get("quick") else ""),
        f"- wrk: `{meta.get('wrk_args', '?')}` for the reference and the service; warm-up {meta.get('warmup_s', '?')} s "
        "(alternating identify/track) before the measured service runs; "
        f"{meta.get('slow_warmup_s', '?')} s (tracks) before the slow-Mailmodo run",
        "",
        table,
        "",
        "## How it was measured",
        "",
        "- Everything runs on 127.0.0.1 on this one machine, wrk and nginx and the service sharing its CPUs; "
        "numbers from a machine that is busy with something else (a build, tests) are low.",
        "- **reference**: wrk → nginx relay (`proxy_pass` to an upstream with `keepalive`, HTTP/1.1, "
        "`Connection \"\"`) → nginx fake Mailmodo (`return 200 '{\"success\":true}'`), one nginx with 2 workers; "
        "wrk sends the same identify bodies (same size, unique ids, built by the same Lua) as in the identify run.",
        "- **service, identify mix**: every request one identify with a unique userId, email and messageId "
        "→ one `POST /addToList` to the same nginx fake. **track mix**: "
        f"{meta.get('track_users', '?')} users identified first (batches of 100), then tracks for them with unique messageIds "
        "→ `POST /addEvent`. The service runs with MAILMODO_RATE_LIMIT=100000, a fresh data dir.",
        "- events/s = wrk's completed requests ÷ duration (one event per request); p50/p99 from wrk's latency "
        "histogram; Mailmodo calls/event = lines of the fake's access log during the run ÷ requests wrk sent "
        "(answered or still in flight when it stopped); errors = non-200 answers (503s included) + socket errors; "
        "RSS = VmRSS of the java process right after the run; service CPU/event = utime + stime of the java "
        "process during the run ÷ requests answered.",
        "- **fixed rate**: wrk cannot fix an arrival rate, so the Lua script paces it: each wrk thread hands out "
        "send slots 1/(rate/threads) s apart and a connection that got its answer waits (wrk's `delay()`) for the "
        f"next free slot; with {meta.get('fixed_conns', '?')} connections the arrival rate is about fixed as long as "
        "the service keeps up. When it falls behind, latency is measured from the actual send (no "
        "coordinated-omission correction); the achieved rate is shown and must be ≥ 95% of the target for the "
        "p99 to count.",
        f"- **slow Mailmodo**: a second `bench/fake_mailmodo.py` (no rate limit in reach) answers every call "
        f"200 after {delay_ms} ms, concurrent calls waiting in parallel; a fresh service (MAILMODO_RATE_LIMIT=100000) "
        f"gets {meta.get('slow_warmup_s', '?')} s of tracks, then the measured run with the same wrk settings: "
        "tracks that carry their own email (context.traits.email), so each is one /addEvent call with no contact "
        "lookup and no gathering. At most one event per connection is in flight, so a service that never makes a "
        f"call wait for another reaches about connections ÷ {delay_ms / 1000:g} s; the reference row is wrk sending "
        "the same bodies straight to the fake (what the fake itself allows over these connections). The fake "
        "disables Nagle's algorithm: with it, a kept-alive connection waited ~40 ms per answer for the client's "
        f"delayed ACK, which was charged to the service before. Mailmodo calls: the fake's "
        "count during the measured run. Threads: `Threads:` of "
        "/proc/PID/status of the java process — idle once ready, before any request; max of samples every 0.5 s "
        "through the warm-up and the measured run; threads after the warm-up: the count just before the measured "
        "run.",
        "- **start-to-ready**: ms from launching `java` to the first 200 of `/q/health/ready` (polled every 10 ms), "
        "with the JVM options shown; the measured starts use the class-data archive (AppCDS) the first start wrote.",
        "- **rate-limited**: `bench/fake_mailmodo.py` accepts at most R requests in any sliding second and answers "
        "429 `{\"success\":false}` beyond; it counts contacts (1 per /addToList, len(values) per /addToList/batch). "
        f"`bench/sync_client.py` sends {meta.get('sync_events', '?')} identifies like Segment and resends every event "
        "answered 503 / status \"retry\" after Retry-After (else 0.5–1 s) until all are delivered (or duplicate), "
        f"or the time bound passes (batch {meta.get('sync_bound_batch', '?')} s, singles "
        f"{meta.get('sync_bound_single', '?')} s). (a) uses {meta.get('batch_concurrency', '?')} batch requests in "
        "flight; (b) 64 single-event requests in flight. seconds = until the last event was delivered (or the last "
        "answer, when the bound stopped it); contacts/s = delivered ÷ seconds.",
        "",
    ]
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profile-notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            md += [f.read().rstrip(), ""]
    md += [ratio_line, ""]
    with open(md_out, "w") as f:
        f.write("\n".join(md))
    print(ratio_line)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    {"ports": ports, "wait-ready": wait_ready, "http": http, "merge": merge, "wrk-result": wrk_result,
     "sync-summary": sync_summary, "report": report}[command](*args)


if __name__ == "__main__":
    main()
