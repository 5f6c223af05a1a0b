-- wrk script of the mixed_load benchmark (bench/bench_mixed_load.py writes its data file).
--
-- MIXED_LOAD_REQUESTS names a Lua file returning the request list: a fixed, pre-shuffled
-- sequence of {kind, method, path, headers, body} whose kinds occur in the benchmark's weights.
-- Each wrk thread walks the whole list in order from its own starting point, so every thread
-- sends the same mix and the mix does not depend on a random generator at run time.
--
-- The report line (JSON after "JSON ") adds to wrk's summary what wrk does not print: the
-- answers by status, the requests sent by kind and the first bodies of failed answers.
-- A response cannot be matched to its request (a thread serves several connections), so the
-- statuses are counted over all kinds; bench_mixed_load.py checks every request once before
-- the load, so a non-2xx/3xx status under load is load-induced.

local counter = 0
local threads = {}

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local data = dofile(os.getenv("MIXED_LOAD_REQUESTS"))
   requests, kinds = {}, {}
   for i, r in ipairs(data) do
      requests[i] = wrk.format(r.method, r.path, r.headers, r.body)
      kinds[i] = r.kind
   end
   position = (id * 97) % #requests
   statuses, sent, samples = {}, {}, {}
end

function request()
   position = position % #requests + 1
   local kind = kinds[position]
   sent[kind] = (sent[kind] or 0) + 1
   return requests[position]
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status >= 400 and #samples < 5 then
      local text = string.sub(body or "", 1, 160):gsub("[^%w%s%p]", "?"):gsub("[\\\"]", "'"):gsub("%s", " ")
      table.insert(samples, key .. " " .. text)
   end
end

local function add(into, from)
   for key, value in pairs(from or {}) do
      into[key] = (into[key] or 0) + value
   end
end

local function encode_counts(counts)
   local parts = {}
   for key, value in pairs(counts) do
      table.insert(parts, string.format("\"%s\": %d", key, value))
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
   local all_statuses, all_sent, all_samples = {}, {}, {}
   for _, thread in ipairs(threads) do
      add(all_statuses, thread:get("statuses"))
      add(all_sent, thread:get("sent"))
      for _, sample in ipairs(thread:get("samples") or {}) do
         table.insert(all_samples, "\"" .. sample .. "\"")
      end
   end
   local errors = summary.errors
   io.write(string.format(
      "JSON {\"requests\": %d, \"seconds\": %f, \"connect\": %d, \"read\": %d, \"write\": %d, "
         .. "\"status\": %d, \"timeout\": %d, \"p50\": %f, \"p95\": %f, \"p99\": %f, \"max\": %f, "
         .. "\"statuses\": %s, \"sent\": %s, \"samples\": [%s]}\n",
      summary.requests, summary.duration / 1e6, errors.connect, errors.read, errors.write,
      errors.status, errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, encode_counts(all_statuses),
      encode_counts(all_sent), table.concat(all_samples, ", ")))
end
