-- POST /internal-api/v1/participants/token without a name: the frontend's pre-join check (room
-- lookup, secret check, JWT signing; no reservation, no LiveKit).
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

wrk.headers["Content-Type"] = "application/json"
setup = bench.setup

function init(args)
  request = bench.rotating_requests(bench.read_rooms(), function(room)
    return "POST", "/internal-api/v1/participants/token",
      '{"roomId":"' .. room.id .. '","secret":"' .. room.moderator_secret .. '"}'
  end)
end

done = bench.done
