-- GET /api/v1/rooms/{roomId}, rotating over every seeded room (BENCH_ROOMS_FILE), so that a
-- 100 000-room fixture exercises the whole table rather than one hot row.
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

bench.use_api_key()
setup = bench.setup

function init(args)
  request = bench.rotating_requests(bench.read_rooms(), function(room)
    return "GET", "/api/v1/rooms/" .. room.id
  end)
end

done = bench.done
