-- Shared helpers for the wrk scenario scripts (wrk 4.1, LuaJIT). Each scenario script starts with
--   package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
--   local bench = require("bench_common")
-- and ends with `done = bench.done` so that run.sh gets one machine-readable line.
--
-- Environment set by run.sh:
--   BENCH_API_KEY      value for the x-api-key header
--   BENCH_ROOMS_FILE   seeded rooms, one per line: roomId<TAB>moderatorSecret<TAB>speakerSecret
--   BENCH_WRK_THREADS  wrk -t value, used to spread the threads over the rooms list
local M = {}

function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

-- Adds the API key (and any extra headers) to wrk.headers, which wrk.format() and the static
-- request use.
function M.use_api_key(extra)
  wrk.headers["x-api-key"] = M.env("BENCH_API_KEY", "bench-api-key")
  for k, v in pairs(extra or {}) do wrk.headers[k] = v end
end

-- Seeded rooms as an array of { id = , moderator_secret = , speaker_secret = }.
function M.read_rooms()
  local path = M.env("BENCH_ROOMS_FILE", nil)
  assert(path, "BENCH_ROOMS_FILE is not set (does the scenario seed any rooms?)")
  local f = assert(io.open(path, "r"))
  local rooms = {}
  for line in f:lines() do
    local id, mod, spk = line:match("^([^\t]+)\t?([^\t]*)\t?([^\t]*)")
    if id then rooms[#rooms + 1] = { id = id, moderator_secret = mod, speaker_secret = spk } end
  end
  f:close()
  assert(#rooms > 0, "no rooms in " .. path)
  return rooms
end

-- setup() runs once per wrk thread in the main Lua state; it numbers the threads so that each
-- one can start at a different place in a rotation (read it with M.thread_index() in init()).
local next_thread = 0
function M.setup(thread)
  thread:set("bench_thread_index", next_thread)
  next_thread = next_thread + 1
end

function M.thread_index()
  return bench_thread_index or 0 -- luacheck: ignore (global set by thread:set)
end

function M.thread_count()
  return tonumber(M.env("BENCH_WRK_THREADS", "1")) or 1
end

-- Builds one pre-formatted request per item (make(item) returns method, path[, body]) and
-- returns a request() function rotating over them, each thread starting at its own offset.
-- Pre-formatting keeps the per-request Lua work to a table lookup.
function M.rotating_requests(items, make)
  local reqs = {}
  for i, item in ipairs(items) do
    local method, path, body = make(item)
    reqs[i] = wrk.format(method, path, nil, body)
  end
  local n = #reqs
  local i = (M.thread_index() * math.floor(n / M.thread_count())) % n
  return function()
    i = i % n + 1
    return reqs[i]
  end
end

local function num(x, fmt)
  return string.format(fmt or "%.3f", x)
end

-- wrk's done() hook: one line `WRK_JSON {...}` for run.sh. Latencies in ms.
-- non2xx: wrk's summary.errors.status, i.e. responses with status >= 400 (wrk counts them
-- without a response() hook, which would cost throughput). socket_errors: connect + read +
-- write + timeout.
function M.done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local fields = {
    '"requests":' .. summary.requests,
    '"duration_us":' .. summary.duration,
    '"bytes":' .. summary.bytes,
    '"rps":' .. num(summary.requests / secs, "%.1f"),
    '"latency_mean_ms":' .. num(latency.mean / 1000),
    '"latency_max_ms":' .. num(latency.max / 1000),
    '"p50_ms":' .. num(latency:percentile(50) / 1000),
    '"p90_ms":' .. num(latency:percentile(90) / 1000),
    '"p99_ms":' .. num(latency:percentile(99) / 1000),
    '"p999_ms":' .. num(latency:percentile(99.9) / 1000),
    '"non2xx":' .. e.status,
    '"socket_errors":' .. (e.connect + e.read + e.write + e.timeout),
    '"errors_connect":' .. e.connect,
    '"errors_read":' .. e.read,
    '"errors_write":' .. e.write,
    '"errors_timeout":' .. e.timeout,
  }
  io.write("WRK_JSON {" .. table.concat(fields, ",") .. "}\n")
end

return M
