-- wrk script for bench/serve_issue21.sh: one request shape per run, from the environment, and
-- one JSON line of results at the end (so the shell reads figures, not wrk's prose).
--   DV_METHOD  GET (default) or POST
--   DV_BODY    the JSON body of a POST (sent with Content-Type: application/json)
--   DV_TOKEN   a bearer token; taken from the environment so it is never on a command line
local method = os.getenv("DV_METHOD") or "GET"
local body = os.getenv("DV_BODY") or ""
local token = os.getenv("DV_TOKEN") or ""

wrk.method = method
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Latencies are in microseconds; errors.status counts answers outside 2xx/3xx.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'DVRESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
