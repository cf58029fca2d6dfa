-- suspended_100k.kont in Lua 5.4: n coroutines suspended at once, held in a
-- table, then all resumed (with 1; each returns 1 + i). Output n(n+1)/2.
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

local function task(i)
  local v = yield()
  return v + i
end

local function run(n)
  local cos = {}
  for i = 0, n - 1 do
    local co = create(task)
    resume(co, i)                   -- runs until it suspends
    cos[#cos + 1] = co
  end
  local total = 0
  for j = #cos, 1, -1 do            -- newest first, like the kont list
    local ok, v = resume(cos[j], 1)
    if not ok then error(v) end
    total = total + v
  end
  return total
end

print(run(math.tointeger(tonumber(arg[1]))))
