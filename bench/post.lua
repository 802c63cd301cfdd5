-- wrk script: POST the AdmissionReview in $RG_BENCH_BODY to every request.
-- With RG_BENCH_DELAY_MS set, each connection waits that long between
-- requests, which paces the total rate (connections / delay).
local f = assert(io.open(os.getenv("RG_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

local pause = tonumber(os.getenv("RG_BENCH_DELAY_MS") or "")
if pause then
  function delay()
    return pause
  end
end
