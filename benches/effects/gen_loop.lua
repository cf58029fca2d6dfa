-- gen_loop.kont in Lua 5.4: the generator is a coroutine that yields i for
-- i = 0..n-1 from a while loop; the driver (the handler) adds i to a local
-- and resumes it. Output n(n-1)/2.
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

local function generate(n)
  local i = 0
  while i < n do
    yield(i)
    i = i + 1
  end
end

local function run(n)
  local total = 0
  local co = create(generate)
  local ok, v = resume(co, n)
  while coroutine.status(co) == "suspended" do
    total = total + v
    ok, v = resume(co)
  end
  if not ok then error(v) end
  return total
end

print(run(math.tointeger(tonumber(arg[1]))))
