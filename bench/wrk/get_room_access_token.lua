-- GET /api/v1/rooms/{roomId} authenticated as the admin with `Authorization: Bearer <access token>`
-- instead of the API key: the same lookup as get_room.lua plus the HS256 verification of the
-- access token and the user check on every request. run.sh logs in once before the scenario (flag
-- `admin`) and passes the token in BENCH_ACCESS_TOKEN; rooms rotate as in get_room.lua.
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

local token = bench.env("BENCH_ACCESS_TOKEN", nil)
assert(token, "BENCH_ACCESS_TOKEN is not set (is the scenario flagged admin in run.sh?)")
wrk.headers["Authorization"] = "Bearer " .. token
setup = bench.setup

function init(args)
  request = bench.rotating_requests(bench.read_rooms(), function(room)
    return "GET", "/api/v1/rooms/" .. room.id
  end)
end

done = bench.done
