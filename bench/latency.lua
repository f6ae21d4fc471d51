-- wrk script: one machine-readable line with requests/s, p50, p95 (ms) and the non-2xx count.
-- A path holding __N__ is a page that must be built every time: each request asks for it with __N__
-- replaced by a number of its own, so nothing kept for one address answers another. (Only then is
-- request() defined: wrk sends its one prepared request fastest when a script has none.)
if string.find(wrk.path, "__N__", 1, true) then
  local counter = 0
  local threads = 0

  function setup(thread)  -- runs in the main state: give each thread a tag of its own
    threads = threads + 1
    thread:set("tag", tostring(threads))
  end

  function request()
    counter = counter + 1
    return wrk.format(nil, (string.gsub(wrk.path, "__N__", tag .. "-" .. counter)))
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("BENCH rps=%.2f p50=%.3f p95=%.3f requests=%d errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
