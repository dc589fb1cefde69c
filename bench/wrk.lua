-- wrk script for bench/run.sh. Configured by environment variables (wrk's top level has no args):
--   BENCH_MODE    identify | track | mix (alternating identify/track) | relay (identify bodies, for the reference)
--                 | track-email (tracks carrying their own email in context.traits: one /addEvent call each, no
--                 contact lookup, no gathering of identifies — the slow-Mailmodo run)
--   BENCH_PREFIX  makes messageIds/userIds unique per scenario (e.g. "id", "warm")
--   BENCH_AUTH    the Authorization header value
--   BENCH_USERS   track: userIds are trk-0 .. trk-(BENCH_USERS-1), identified beforehand
--   BENCH_RATE    > 0: pace requests to about this many per second in total (open-ish loop, see delay())
--   BENCH_THREADS the -t value (to split BENCH_RATE between threads)
--   BENCH_DEBUG   set: print the first answers (status and body) of each thread
-- done() prints one line "BENCH {json}" with the run's numbers.

local mode = os.getenv("BENCH_MODE") or "identify"
local prefix = os.getenv("BENCH_PREFIX") or "run"
local auth = os.getenv("BENCH_AUTH") or ""
local users = tonumber(os.getenv("BENCH_USERS") or "0")
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local debug = os.getenv("BENCH_DEBUG") ~= nil

local headers = { ["Content-Type"] = "application/json", ["Authorization"] = auth }
local timestamp = os.date("!%Y-%m-%dT%H:%M:%SZ")

local function identify_body(id)
  return '{"type":"identify","userId":"u-' .. id .. '","messageId":"m-' .. id ..
         '","traits":{"email":"u-' .. id .. '@example.com","firstName":"Ann","lastName":"Lee",' ..
         '"company":"Initech","plan":"pro"},"timestamp":"' .. timestamp .. '"}'
end

local function track_body(id, user)
  return '{"type":"track","userId":"trk-' .. user .. '","messageId":"t-' .. id ..
         '","event":"Product Viewed","properties":{"product_id":"p1","price":18.99},"timestamp":"' ..
         timestamp .. '"}'
end

local function track_email_body(id)
  return '{"type":"track","userId":"te-' .. id .. '","messageId":"te-' .. id ..
         '","event":"Product Viewed","context":{"traits":{"email":"te-' .. id .. '@example.com"}},' ..
         '"properties":{"product_id":"p1","price":18.99},"timestamp":"' .. timestamp .. '"}'
end

-- main state: hand each thread its id, keep the threads for done()
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- thread state
counter = 0
ok200 = 0
s503 = 0
other = 0

-- every mode builds its requests the same way (the reference too, with the same identify bodies), so wrk's
-- own cost is the same in all runs; counter = requests sent by this thread
function request()
  counter = counter + 1
  local id = prefix .. "-" .. tid .. "-" .. counter
  local body
  if mode == "track-email" then
    body = track_email_body(id)
  elseif mode == "track" or (mode == "mix" and counter % 2 == 0) then
    body = track_body(id, (tid * 7919 + counter) % users)
  else
    body = identify_body(id)
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
  if debug and ok200 + s503 + other < 2 then print(status, body) end
  if status == 200 then
    ok200 = ok200 + 1
  elseif status == 503 then
    s503 = s503 + 1
  else
    other = other + 1
  end
end

if rate > 0 then
  -- Pacing: each thread hands out send slots 1/(rate/threads) s apart; a connection whose answer came
  -- waits for the next free slot. With enough connections this is close to a fixed arrival rate (when the
  -- service falls behind, slots are taken at once: the measured latency then omits the queueing delay).
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / (rate / nthreads)
  local next_slot = 0
  function delay()
    local now = now_ms()
    local slot = math.max(next_slot, now)
    next_slot = slot + interval
    return math.floor(slot - now)
  end
end

function done(summary, latency, requests)
  local sent, ok, unavailable, others = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + thread:get("counter")
    ok = ok + thread:get("ok200")
    unavailable = unavailable + thread:get("s503")
    others = others + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"mode":"%s","sent":%d,"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p99_ms":%.3f,"max_ms":%.3f,"ok200":%d,"status_503":%d,"status_other":%d,' ..
    '"sock_connect":%d,"sock_read":%d,"sock_write":%d,"sock_timeout":%d,"target_rate":%d}\n',
    mode, sent, summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, ok, unavailable, others,
    e.connect, e.read, e.write, e.timeout, rate))
end
