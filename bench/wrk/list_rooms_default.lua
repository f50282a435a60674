-- GET /api/v1/rooms with the default page size (10 rooms): what the reference's console and most
-- API clients request.
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

wrk.method = "GET"
wrk.path = "/api/v1/rooms"
bench.use_api_key()

done = bench.done
