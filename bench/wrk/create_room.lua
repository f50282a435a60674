-- POST /api/v1/rooms with a small JSON body: the full write path (validation, id and secrets
-- generation, one SQLite transaction, 201 + JSON). Every request creates a room.
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

wrk.method = "POST"
wrk.path = "/api/v1/rooms"
wrk.body = '{"roomName":"' .. bench.env("BENCH_ROOM_NAME", "Bench") .. '"}'
bench.use_api_key({ ["Content-Type"] = "application/json" })

done = bench.done
