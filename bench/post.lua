-- wrk script: POST one request per call, JSON body with a fresh follower each time, and either as fast as the
-- connection allows (saturation) or paced per connection (fixed rate: RATE total requests/s over all
-- connections, set through the environment). Counts status codes so that the driver can tell 2xx from errors.
local rate = tonumber(os.getenv("RATE") or "0")
local body_kind = os.getenv("BODY") or "follow"        -- follow: POST /followers; data: raw event data for daprd
local token = os.getenv("DAPR_API_TOKEN")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  connections = tonumber(os.getenv("CONNECTIONS") or "1")
end

function delay()
  if rate > 0 then
    -- Each connection sends one request every connections/rate seconds: RATE per second in total.
    return math.floor(connections * 1000 / rate)
  end
  return 0
end

function request()
  counter = counter + 1
  local follower = "f" .. id .. "x" .. counter
  local headers = { ["Content-Type"] = "application/json" }
  local body
  if body_kind == "data" then
    headers["dapr-api-token"] = token
    body = '{"userId":"bench","followerId":"' .. follower .. '","followedAt":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '"}'
  else
    body = '{"userId":"bench","followerId":"' .. follower .. '"}'
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, count in pairs(s) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  io.write("RESULT")
  io.write(string.format(" requests=%d duration_us=%d", summary.requests, summary.duration))
  io.write(string.format(" socket_errors=%d", summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
  io.write(string.format(" p50_us=%d p90_us=%d p99_us=%d max_us=%d", latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
  for status, count in pairs(merged) do
    io.write(string.format(" status_%d=%d", status, count))
  end
  io.write("\n")
end
