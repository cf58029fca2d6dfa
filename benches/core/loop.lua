-- loop.kont in Lua 5.4 (input 30000, output 15120000576): nested while loops
-- over an array of 1000 integers. Lua arrays are 1-based: kont's a[j] is a[j + 1]
-- here; the values are the same.
local function run(rounds)
  local n = 1000
  local a = {}
  local i = 0
  while i < n do a[i + 1] = i; i = i + 1 end
  local sum = 0
  local r = 0
  while r < rounds do
    local j = 0
    while j < n do
      local x = (a[j + 1] * 31 + r) % 1009
      a[j + 1] = x
      sum = sum + x
      j = j + 1
    end
    r = r + 1
  end
  return sum
end

print(run(math.tointeger(tonumber(arg[1]))))
