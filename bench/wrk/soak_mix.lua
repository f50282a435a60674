-- Mixed load for bench/soak.sh: reads, lists, named participant tokens, and room creates each
-- followed later by the delete of that room, so the store does not grow without bound and the
-- RSS and fd trends of a long run say something about leaks rather than about data growth.
--   ~45 % GET /api/v1/rooms/{id}          (rotating over the seeded rooms)
--   ~10 % GET /api/v1/rooms?maxItems=10
--   ~25 % POST participants/token, name "Soak" (reservations expire after MEET_NAME_PENDING_TTL)
--   ~10 % POST /api/v1/rooms, ~10 % DELETE of a room this thread created
-- BENCH_SOAK_DELAY_MS (default 0): each connection waits that long before its next request, which
-- with a fixed connection count caps the request rate (wrk 4.1 has no -R).
-- Every response other than 2xx is counted per status in done()'s WRK_JSON line ("statuses").
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

local threads = {}
function setup(thread)
  bench.setup(thread)
  threads[#threads + 1] = thread
end

local delay_ms = tonumber(bench.env("BENCH_SOAK_DELAY_MS", "0")) or 0
local api_key = bench.env("BENCH_API_KEY", "bench-api-key")

local reads, tokens, rooms_n
local created = {} -- ids of rooms this thread created and has not deleted yet
local counter = 0
bad = {} -- status -> count of non-2xx responses (read by done() through thread:get)
bad_total = 0

function init(args)
  local rooms = bench.read_rooms()
  rooms_n = #rooms
  local json = { ["Content-Type"] = "application/json", ["x-api-key"] = api_key }
  local key = { ["x-api-key"] = api_key }
  reads, tokens = {}, {}
  for i, room in ipairs(rooms) do
    reads[i] = wrk.format("GET", "/api/v1/rooms/" .. room.id, key)
    tokens[i] = wrk.format("POST", "/internal-api/v1/participants/token", json,
      '{"roomId":"' .. room.id .. '","secret":"' .. room.speaker_secret .. '","participantName":"Soak"}')
  end
  list_req = wrk.format("GET", "/api/v1/rooms?maxItems=10", key)
  create_req = wrk.format("POST", "/api/v1/rooms", json, '{"roomName":"Soak room"}')
  counter = bench.thread_index() * 7
end

function request()
  counter = counter + 1
  local slot = counter % 20
  local i = counter % rooms_n + 1
  if slot < 9 then return reads[i] end
  if slot < 11 then return list_req end
  if slot < 16 then return tokens[i] end
  if slot < 18 or #created == 0 then return create_req end
  local id = table.remove(created)
  return wrk.format("DELETE", "/api/v1/rooms/" .. id, { ["x-api-key"] = api_key })
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"roomId":"([^"]+)"')
    if id then created[#created + 1] = id end
  elseif status < 200 or status > 299 then
    bad[status] = (bad[status] or 0) + 1
    bad_total = bad_total + 1
  end
end

if delay_ms > 0 then
  function delay() return delay_ms end
end

function done(summary, latency, requests)
  local parts, total = {}, 0
  local merged = {}
  for _, thread in ipairs(threads) do
    local t = thread:get("bad")
    for status, n in pairs(t) do merged[status] = (merged[status] or 0) + n end
    total = total + (thread:get("bad_total") or 0)
  end
  for status, n in pairs(merged) do parts[#parts + 1] = '"' .. status .. '":' .. n end
  io.write('SOAK_STATUSES {"non2xx_total":' .. total .. ',"by_status":{' .. table.concat(parts, ",") .. '}}\n')
  bench.done(summary, latency, requests)
end
