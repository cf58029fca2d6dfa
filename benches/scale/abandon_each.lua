-- abandon_each.kont in Lua 5.4: n times, create a coroutine, run it to its
-- yield and drop it (the garbage collector reclaims it). Output n.
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

local function task(i)
  local v = yield()
  return v + i
end

local function run(n)
  local count = 0
  for i = 0, n - 1 do
    local co = create(task)
    resume(co, i)                   -- runs until it suspends; then dropped
    count = count + 1
  end
  return count
end

print(run(math.tointeger(tonumber(arg[1]))))
