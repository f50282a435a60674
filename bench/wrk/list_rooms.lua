-- GET /api/v1/rooms?maxItems=N (first page; N from BENCH_LIST_MAX_ITEMS, default 100): a
-- primary-key range scan plus serialization of N rooms (about 500 bytes each) per request.
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

wrk.method = "GET"
wrk.path = "/api/v1/rooms?maxItems=" .. bench.env("BENCH_LIST_MAX_ITEMS", "100")
bench.use_api_key()

done = bench.done
