-- abandon_all.kont in Lua 5.4: n coroutines suspended at once in a table,
-- then the table is dropped and a full garbage collection reclaims them;
-- then one more coroutine is run to the end. Output n.
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

local function task(i)
  local v = yield()
  return v + i
end

local function spawn(i)
  local co = create(task)
  resume(co, i)                     -- runs until it suspends
  return co
end

local function run(n)
  local cos = {}
  for i = 0, n - 1 do cos[#cos + 1] = spawn(i) end
  cos = nil
  collectgarbage()
  local ok, v = resume(spawn(n), 0)
  if not ok then error(v) end
  return v
end

print(run(math.tointeger(tonumber(arg[1]))))
