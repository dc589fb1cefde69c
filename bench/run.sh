#!/usr/bin/env bash
# Benchmark of the Mailmodo destination: throughput against an nginx two-hop reference, latency at a fixed
# rate, RSS, start-to-ready, throughput and threads against a slow Mailmodo (300 ms per call), and delivery
# under Mailmodo's rate limit. Prints a table, writes bench/RESULTS.md, and ends with the line
# "ratio_vs_nginx_relay=R".
#
#   bench/run.sh [--quick]
#
# Uses target/quarkus-app/quarkus-run.jar (built with mvn if missing), or the quarkus-app dir in $BENCH_APP_DIR.
# Everything listens on 127.0.0.1, lives in its own temp dir and is stopped on exit.
# Environment: BENCH_JAVA_OPTS (JVM options of the service), BENCH_JFR=DIR (a JFR recording of every service
# start), BENCH_PROFILE=DIR (async-profiler CPU profile of each measured identify/track/fixed-rate run:
# DIR/profile-main.collapsed for flame graphs and DIR/profile-main.txt, the top 30 frames; the library comes
# from tools.profiler:async-profiler:4.1 in ~/.m2, fetched with mvn when missing). The profiler costs some CPU:
# do not compare a profiled run's numbers.
set -euo pipefail

QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
helper() { python3 "$BENCH_DIR/helpers.py" "$@"; }
COMMAND="${BENCH_APP_DIR:+BENCH_APP_DIR=$BENCH_APP_DIR }bench/run.sh${*:+ $*}"

# ---- settings ---------------------------------------------------------------------------------------------
THREADS=2 CONNS=32           # wrk -t/-c, the same for the reference and the service
FIXED_RATE=1000 FIXED_CONNS=16
RATE_LIMIT=10                # R of the rate-limited part
API_KEY=bench-key
# the warm-up is long enough for C2 to compile the hot paths before the measured runs (in quick mode a profile
# of the measured runs still shows some C2 work)
if ((QUICK)); then
  DURATION=5 WARMUP=20 TRACK_USERS=2000 SYNC_EVENTS=2000 SYNC_BOUND_BATCH=15 SYNC_BOUND_SINGLE=10
else
  DURATION=15 WARMUP=45 TRACK_USERS=2000 SYNC_EVENTS=10000 SYNC_BOUND_BATCH=120 SYNC_BOUND_SINGLE=300
fi
SLOW_DELAY_MS=300 SLOW_WARMUP=5   # the slow-Mailmodo part: the fake's answer delay, its short warm-up
BATCH_CONCURRENCY=${BENCH_BATCH_CONCURRENCY:-4}   # batch requests in flight in the rate-limited part (a)
SINGLE_CONCURRENCY=64

# the JVM options the README recommends for the service; BENCH_JAVA_OPTS overrides them
JAVA_OPTS=${BENCH_JAVA_OPTS-"-XX:+UseSerialGC -Xmx192m"}
# BENCH_JFR=DIR: a JFR profile of each service run is written to DIR
JFR_DIR=${BENCH_JFR:-}
# BENCH_PROFILE=DIR: async-profiler CPU profile of the measured runs of the "main" service (see the header)
PROFILE_DIR=${BENCH_PROFILE:-}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- tools --------------------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v python3 >/dev/null || die "python3 is needed"
command -v java >/dev/null || die "java is needed"

# ---- the app ------------------------------------------------------------------------------------------------
if [[ -n "${BENCH_APP_DIR:-}" ]]; then
  APP_DIR=$BENCH_APP_DIR
else
  APP_DIR=$REPO/target/quarkus-app
  if [[ ! -f "$APP_DIR/quarkus-run.jar" ]]; then
    log "building the app (mvn -B -q package -DskipTests)"
    (cd "$REPO" && mvn -B -q package -DskipTests)
  fi
fi
APP_JAR=$APP_DIR/quarkus-run.jar
[[ -f "$APP_JAR" ]] || die "no $APP_JAR"

# ---- temp dir, processes, cleanup ---------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/mailmodo-bench.XXXXXX)
chmod 755 "$WORK"   # nginx workers (not root) may need to reach their temp dirs
PIDS=()
SERVICE_PID=

stop_pid() {  # polite TERM, then KILL after $2 seconds
  local pid=$1 wait_s=${2:-15} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 15; done
  if ((rc == 0)); then
    rm -rf "$WORK"
  else
    log "failed (exit $rc); logs kept in $WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- async-profiler (BENCH_PROFILE only) ----------------------------------------------------------------------
# The main service loads the library at launch (-agentpath, idle); jcmd starts and stops the profiling around
# the measured runs, so start-up, pre-identify and warm-up stay out of the profile. Without jcmd (a JRE), the
# agent profiles from launch and writes the collapsed profile at JVM exit.
PROFILER_LIB=
if [[ -n "$PROFILE_DIR" ]]; then
  mkdir -p "$PROFILE_DIR" && PROFILE_DIR=$(cd "$PROFILE_DIR" && pwd)
  ap_jar=$HOME/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar
  if [[ ! -f "$ap_jar" ]]; then
    log "fetching tools.profiler:async-profiler:4.1 with mvn"
    (cd "$WORK" && mvn -B -q dependency:copy -Dartifact=tools.profiler:async-profiler:4.1 \
      -DoutputDirectory="$WORK/async-profiler") || die "could not fetch async-profiler"
    [[ -f "$ap_jar" ]] || ap_jar=$WORK/async-profiler/async-profiler-4.1.jar
  fi
  command -v unzip >/dev/null || die "unzip is needed for BENCH_PROFILE"
  unzip -q -o -j "$ap_jar" linux-x64/libasyncProfiler.so -d "$WORK/async-profiler" || die "no linux-x64 library in $ap_jar"
  PROFILER_LIB=$WORK/async-profiler/libasyncProfiler.so
fi
JCMD=$(command -v jcmd || true)

# profiler_cmd ARGS: an async-profiler command to the running service (its agent args, e.g. "start,event=cpu")
profiler_cmd() {
  [[ -n "$PROFILER_LIB" && -n "$JCMD" ]] || return 0
  # jcmd splits its arguments at "=", so the agent args go in quotes
  "$JCMD" "$SERVICE_PID" JVMTI.agent_load "$PROFILER_LIB" "\"$1\"" 2>&1 | grep -q 'return code: 0' \
    || log "WARNING: async-profiler did not take \"$1\""
}

read -r RELAY_PORT FAKE_PORT APP_PORT PYFAKE_PORT SLOWFAKE_PORT < <(helper ports 5)
AUTH="Basic $(printf '%s:' "$API_KEY" | base64)"
SERVICE_URL="http://127.0.0.1:$APP_PORT/destinations/mailmodo"
FAKE_LOG=$WORK/fake-access.log

helper merge "$WORK/meta.json" "command=$COMMAND" "quick=$([[ $QUICK == 1 ]] && echo true || echo false)" \
  "app_jar=$APP_JAR" "wrk_args=wrk -t$THREADS -c$CONNS -d${DURATION}s --latency --timeout 5s" \
  "warmup_s=$WARMUP" "fixed_rate=$FIXED_RATE" "fixed_conns=$FIXED_CONNS" "rate_limit=$RATE_LIMIT" \
  "track_users=$TRACK_USERS" "sync_events=$SYNC_EVENTS" "sync_bound_batch=$SYNC_BOUND_BATCH" \
  "sync_bound_single=$SYNC_BOUND_SINGLE" "batch_concurrency=$BATCH_CONCURRENCY" "java_opts=$JAVA_OPTS" \
  "conns=$CONNS" "slow_delay_ms=$SLOW_DELAY_MS" "slow_warmup_s=$SLOW_WARMUP" "profile_dir=$PROFILE_DIR"

# ---- nginx: relay (reference) and fake Mailmodo ---------------------------------------------------------------
mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  log_format calls '\$msec \$request_method \$uri \$status';

  upstream fake_mailmodo {
    server 127.0.0.1:$FAKE_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  # the reference: one relay hop, like the service, to the same fake
  server {
    listen 127.0.0.1:$RELAY_PORT;
    location = /destinations/mailmodo {
      proxy_pass http://fake_mailmodo/addToList;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  # fake Mailmodo: every call is one access-log line
  server {
    listen 127.0.0.1:$FAKE_PORT;
    access_log $FAKE_LOG calls;
    location / {
      default_type application/json;
      return 200 '{"success":true}';
    }
  }
}
EOF
"$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" || die "nginx config rejected"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/logs/stdout.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [[ -s "$WORK/nginx/nginx.pid" ]] && break; sleep 0.1; done
[[ -s "$WORK/nginx/nginx.pid" ]] || die "nginx did not start"

# ---- measurement helpers --------------------------------------------------------------------------------------
# run_wrk NAME URL MODE PREFIX SECONDS CONNS RATE [FAKE]: writes $WORK/NAME.json (wrk's numbers + Mailmodo calls
# + RSS + CPU); FAKE: where the calls are counted, the nginx fake's access log (default) or a python fake's URL
run_wrk() {
  local name=$1 url=$2 mode=$3 prefix=$4 seconds=$5 conns=$6 rate=$7 fake=${8:-$FAKE_LOG} rss= cpu0= cpu=
  # the fake counts this run's Mailmodo calls only
  if [[ $fake == http* ]]; then helper http POST "$fake/reset" >/dev/null; else : >"$fake"; fi
  [[ -n "$SERVICE_PID" ]] && cpu0=$(cpu_ticks "$SERVICE_PID")
  BENCH_MODE=$mode BENCH_PREFIX=$prefix BENCH_AUTH=$AUTH BENCH_USERS=$TRACK_USERS BENCH_RATE=$rate \
    BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$conns" -d"${seconds}s" --latency --timeout 5s \
    -s "$BENCH_DIR/wrk.lua" "$url" >"$WORK/$name.wrk.txt" 2>&1 || { cat "$WORK/$name.wrk.txt" >&2; die "wrk failed"; }
  sleep 0.5   # calls of requests the service still had in flight reach the fake
  if [[ -n "$SERVICE_PID" ]]; then
    service_alive
    rss=$(rss_kb "$SERVICE_PID")
    cpu=$(( $(cpu_ticks "$SERVICE_PID") - cpu0 ))
  fi
  log "$name: $(helper wrk-result "$WORK/$name.wrk.txt" "$fake" "$rss" "$WORK/$name.json" "$cpu")"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
# sample_threads PID FILE (in the background): appends PID's thread count to FILE every 0.5 s
sample_threads() {
  while kill -0 "$1" 2>/dev/null; do
    threads_of "$1" >>"$2" 2>/dev/null || true
    sleep 0.5
  done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime (the comm field has no spaces: "java")

# start_service LABEL BASE_URL RATE_LIMIT: sets SERVICE_PID and READY_MS (launch to first ready 200)
start_service() {
  local label=$1 base=$2 limit=$3 t0 agent=
  mkdir -p "$WORK/data-$label"
  if [[ $label == main && -n "$PROFILER_LIB" ]]; then
    agent=-agentpath:$PROFILER_LIB
    [[ -n "$JCMD" ]] || agent+="=start,event=cpu,interval=1ms,file=$PROFILE_DIR/profile-main.collapsed,collapsed"
  fi
  t0=$(date +%s%N)
  MAILMODO_BASE_URL=$base MAILMODO_RATE_LIMIT=$limit QUARKUS_HTTP_PORT=$APP_PORT QUARKUS_HTTP_HOST=127.0.0.1 \
    DESTINATION_DATA_DIR=$WORK/data-$label java $JAVA_OPTS ${JFR_DIR:+-XX:StartFlightRecording=filename=$JFR_DIR/service-$label.jfr,settings=profile} \
    $agent -jar "$APP_JAR" >"$WORK/service-$label.log" 2>&1 &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
  READY_MS=$(helper wait-ready "http://127.0.0.1:$APP_PORT/q/health/ready" "$SERVICE_PID" "$t0" 90) \
    || { tail -20 "$WORK/service-$label.log" >&2; die "the service did not become ready"; }
}

service_alive() {
  kill -0 "$SERVICE_PID" 2>/dev/null || { tail -20 "$WORK"/service-*.log >&2; die "the service died"; }
}

stop_service() {
  service_alive
  stop_pid "$SERVICE_PID" 15
  SERVICE_PID=
}

# sync_run NAME MODE EVENTS BOUND CONCURRENCY PREFIX: the Segment-like client, plus the fake's counts
sync_run() {
  local name=$1 mode=$2 events=$3 bound=$4 conc=$5 prefix=$6
  if [[ -n "$PYFAKE_URL" ]]; then helper http POST "$PYFAKE_URL/reset" >/dev/null; fi
  python3 "$BENCH_DIR/sync_client.py" --url "$SERVICE_URL" --api-key "$API_KEY" --mode "$mode" \
    --events "$events" --batch-size 100 --concurrency "$conc" --time-bound "$bound" --prefix "$prefix" \
    >"$WORK/$name.json" || die "sync_client failed ($name)"
  if [[ -n "$PYFAKE_URL" ]]; then
    helper merge "$WORK/$name.json" "fake=$(helper http GET "$PYFAKE_URL/stats")"
  fi
  log "$name: $(helper sync-summary "$WORK/$name.json")"
  service_alive
}
PYFAKE_URL=

# ---- 1. reference: wrk -> nginx relay -> nginx fake --------------------------------------------------------
log "reference: wrk -> nginx relay -> nginx fake (${DURATION}s)"
run_wrk relay "http://127.0.0.1:$RELAY_PORT/destinations/mailmodo" relay ref "$DURATION" "$CONNS" 0

# ---- 2. the service against the nginx fake, rate limit out of the way ---------------------------------------
# a first start (a fresh data dir, as a new install) without a class-data archive; its exit writes the archive
# (AppCDS, JDK 13+) that the starts after it use, as the README recommends for production
CDS_ARCHIVE=$WORK/app-cds.jsa
log "first start, writing the class-data archive"
BASE_JAVA_OPTS=$JAVA_OPTS
JAVA_OPTS="$BASE_JAVA_OPTS -XX:ArchiveClassesAtExit=$CDS_ARCHIVE"
start_service first "http://127.0.0.1:$FAKE_PORT" 100000
helper merge "$WORK/meta.json" "ready_first_ms=$READY_MS"
log "first start ready after $READY_MS ms"
stop_service
JAVA_OPTS="$BASE_JAVA_OPTS"
[[ -s "$CDS_ARCHIVE" ]] && JAVA_OPTS="$BASE_JAVA_OPTS -XX:SharedArchiveFile=$CDS_ARCHIVE"

log "starting the service (fake Mailmodo: nginx, MAILMODO_RATE_LIMIT=100000)"
start_service main "http://127.0.0.1:$FAKE_PORT" 100000
helper merge "$WORK/meta.json" "ready_ms=$READY_MS"
log "ready after $READY_MS ms"

log "identifying $TRACK_USERS users for the track mix (batches of 100)"
sync_run pre_identify batch "$TRACK_USERS" 60 2 trk
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["complete"] else 1)' "$WORK/pre_identify.json" \
  || die "pre-identify did not deliver all $TRACK_USERS users"

log "warm-up (${WARMUP}s, alternating identify/track)"
run_wrk warmup "$SERVICE_URL" mix warm "$WARMUP" "$CONNS" 0

# profiled NAME COMMAND...: runs COMMAND; with BENCH_PROFILE, CPU-profiled into profile-NAME.{collapsed,txt}
profiled() {
  local name=$1
  shift
  [[ -n "$PROFILER_LIB" ]] && profiler_cmd "start,event=cpu,interval=1ms"
  "$@"
  if [[ -n "$PROFILER_LIB" ]]; then
    profiler_cmd "dump,file=$PROFILE_DIR/profile-$name.collapsed,collapsed"
    profiler_cmd "stop,file=$PROFILE_DIR/profile-$name.txt,flat=30,traces=0"
  fi
}
[[ -n "$PROFILER_LIB" ]] && log "async-profiler: a CPU profile of each measured run -> $PROFILE_DIR"

log "service, identify mix (${DURATION}s)"
profiled identify run_wrk identify "$SERVICE_URL" identify id "$DURATION" "$CONNS" 0

log "service, track mix (${DURATION}s)"
profiled track run_wrk track "$SERVICE_URL" track tr "$DURATION" "$CONNS" 0

log "service, identify at a fixed rate of $FIXED_RATE/s (${DURATION}s, $FIXED_CONNS connections)"
profiled fixed-rate run_wrk fixed_rate "$SERVICE_URL" identify fx "$DURATION" "$FIXED_CONNS" "$FIXED_RATE"
stop_service

# ---- 3. slow Mailmodo: python fake answering every call after SLOW_DELAY_MS ------------------------------------
# Every event waits for a Mailmodo call, so with one request in flight per connection the rate is bounded by
# connections ÷ delay unless the service gathers calls; a service that parks a thread per waiting call shows it
# as a thread count that grows with the load.
python3 "$BENCH_DIR/fake_mailmodo.py" --port "$SLOWFAKE_PORT" --limit 1000000 --delay-ms "$SLOW_DELAY_MS" \
  >"$WORK/fake_mailmodo_slow.log" 2>&1 &
PIDS+=($!)
SLOWFAKE_URL="http://127.0.0.1:$SLOWFAKE_PORT"
for _ in $(seq 50); do helper http GET "$SLOWFAKE_URL/stats" >/dev/null 2>&1 && break; sleep 0.1; done

# what the slow fake itself allows over these connections: wrk straight to it, with the same bodies
log "reference: wrk → slow fake directly (${DURATION}s)"
SERVICE_PID= run_wrk slow_reference "$SLOWFAKE_URL/addEvent" track-email sr "$DURATION" "$CONNS" 0 "$SLOWFAKE_URL"

log "starting the service (fake Mailmodo: python, answering after ${SLOW_DELAY_MS} ms, MAILMODO_RATE_LIMIT=100000)"
start_service slow "$SLOWFAKE_URL" 100000
sleep 1   # the start-up's own threads settle
THREADS_IDLE=$(threads_of "$SERVICE_PID")
: >"$WORK/slow.threads"
sample_threads "$SERVICE_PID" "$WORK/slow.threads" &
SAMPLER_PID=$!
PIDS+=("$SAMPLER_PID")
log "warm-up (${SLOW_WARMUP}s, tracks with their own email; $THREADS_IDLE threads idle)"
run_wrk slow_warmup "$SERVICE_URL" track-email sw "$SLOW_WARMUP" "$CONNS" 0 "$SLOWFAKE_URL"
THREADS_BEFORE=$(threads_of "$SERVICE_PID")
log "service, tracks with their own email, Mailmodo answering after ${SLOW_DELAY_MS} ms (${DURATION}s)"
run_wrk slow "$SERVICE_URL" track-email sl "$DURATION" "$CONNS" 0 "$SLOWFAKE_URL"
stop_pid "$SAMPLER_PID" 2
THREADS_MAX=$(sort -n "$WORK/slow.threads" | tail -1)
helper merge "$WORK/slow.json" "threads_idle=$THREADS_IDLE" "threads_before_run=$THREADS_BEFORE" \
  "threads_max=${THREADS_MAX:-null}" "conns=$CONNS" "delay_ms=$SLOW_DELAY_MS"
log "slow: threads idle $THREADS_IDLE, before the run $THREADS_BEFORE, max ${THREADS_MAX:-?}"
stop_service

# ---- 4. rate-limited: python fake enforcing R per sliding second ----------------------------------------------
python3 "$BENCH_DIR/fake_mailmodo.py" --port "$PYFAKE_PORT" --limit "$RATE_LIMIT" >"$WORK/fake_mailmodo.log" 2>&1 &
PIDS+=($!)
PYFAKE_URL="http://127.0.0.1:$PYFAKE_PORT"
for _ in $(seq 50); do helper http GET "$PYFAKE_URL/stats" >/dev/null 2>&1 && break; sleep 0.1; done

log "starting the service (fake Mailmodo: python, R=$RATE_LIMIT, MAILMODO_RATE_LIMIT=$RATE_LIMIT)"
start_service limited "$PYFAKE_URL" "$RATE_LIMIT"
helper merge "$WORK/meta.json" "ready2_ms=$READY_MS"

log "(a) $SYNC_EVENTS identifies as batch requests of 100 (bound ${SYNC_BOUND_BATCH}s)"
sync_run sync_batch batch "$SYNC_EVENTS" "$SYNC_BOUND_BATCH" "$BATCH_CONCURRENCY" rlb
log "(b) $SYNC_EVENTS identifies as single requests, $SINGLE_CONCURRENCY in flight (bound ${SYNC_BOUND_SINGLE}s)"
sync_run sync_single single "$SYNC_EVENTS" "$SYNC_BOUND_SINGLE" "$SINGLE_CONCURRENCY" rls

stop_service

# ---- report -------------------------------------------------------------------------------------------------
if grep -qE ' (ERROR|FATAL) ' "$WORK"/service-*.log; then
  log "the service logged $(cat "$WORK"/service-*.log | grep -cE ' (ERROR|FATAL) ') ERROR lines, e.g.:"
  grep -hE -m3 ' (ERROR|FATAL) ' "$WORK"/service-*.log >&2 || true
fi
helper report "$WORK" "$BENCH_DIR/RESULTS.md"
