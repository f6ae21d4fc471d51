-- wrk script for a page that must be built every time: each request asks for the path with __N__
-- replaced by a number of its own, so nothing kept for one address answers another.
local counter = 0
local threads = 0

function setup(thread)  -- runs in the main state: give each thread a tag of its own
  threads = threads + 1
  thread:set("tag", tostring(threads))
end

function request()
  counter = counter + 1
  local path = string.gsub(wrk.path, "__N__", tag .. "-" .. counter)
  return wrk.format(nil, path)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("BENCH rps=%.2f p50=%.3f p95=%.3f requests=%d errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
