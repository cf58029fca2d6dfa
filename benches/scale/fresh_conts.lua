-- fresh_conts.kont in Lua 5.4: create n coroutines, hold them all in a
-- table, then resume each once (task returns at once). Output n(n-1)/2.
local create, resume = coroutine.create, coroutine.resume

local function task(i)
  return i
end

local function run(n)
  local cos = {}
  for i = 1, n do
    cos[i] = create(task)
  end
  local total = 0
  for i = 1, n do
    local _, v = resume(cos[i], i - 1)
    total = total + v
  end
  return total
end

print(run(math.tointeger(tonumber(arg[1]))))
