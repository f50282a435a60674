-- POST /internal-api/v1/auth/login with the admin's credentials (header transport mode: 200 with
-- an access and a refresh token). Bound by bcrypt (cost 10, ~60 ms of CPU per check), which runs on
-- Convene's 2-thread blocking pool, so expect tens of logins per second per core and latencies of
-- (connections / rate) seconds, not the HTTP path's microseconds. Every request is a successful
-- login; run.sh still starts the server with MEET_LOGIN_RATE_LIMIT=off for `admin` scenarios.
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

wrk.method = "POST"
wrk.path = "/internal-api/v1/auth/login"
wrk.body = string.format('{"username":"%s","password":"%s"}', bench.env("BENCH_ADMIN_USER", "admin"),
  bench.env("BENCH_ADMIN_PASSWORD", "admin"))
wrk.headers["Content-Type"] = "application/json"

done = bench.done
