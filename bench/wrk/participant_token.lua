-- POST /internal-api/v1/participants/token with a display name: the whole admission path (room
-- lookup, secret check, atomic unique-name allocation in the registry, LiveKit room known to
-- exist after the first request, JWT signing). Every request asks for the same name in its room,
-- so the registry allocates Alice, Alice_1, Alice_2, ... — the same-name scaling case.
package.path = (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua;" .. package.path
local bench = require("bench_common")

wrk.headers["Content-Type"] = "application/json"
setup = bench.setup

local name = bench.env("BENCH_PARTICIPANT_NAME", "Alice")

function init(args)
  request = bench.rotating_requests(bench.read_rooms(), function(room)
    return "POST", "/internal-api/v1/participants/token",
      '{"roomId":"' .. room.id .. '","secret":"' .. room.speaker_secret .. '","participantName":"' .. name .. '"}'
  end)
end

done = bench.done
