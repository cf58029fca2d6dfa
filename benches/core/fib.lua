-- fib.kont in Lua 5.4: plain doubly recursive fib. Input 35, output 9227465.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

print(fib(math.tointeger(tonumber(arg[1]))))
