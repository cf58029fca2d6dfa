-- handler_lifecycle.kont in Lua 5.4: n times, create a coroutine, run it
-- to its single yield, resume it, and let it finish. Output n(n-1)/2.
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

local function body(i)
  yield()
  return i
end

local function lifecycle(i)
  local co = create(body)
  resume(co, i)                     -- runs until the yield
  local ok, v = resume(co)          -- finishes: v = i
  if not ok then error(v) end
  return v
end

local function run(n)
  local total = 0
  local i = 0
  while i < n do
    total = total + lifecycle(i)
    i = i + 1
  end
  return total
end

print(run(math.tointeger(tonumber(arg[1]))))
