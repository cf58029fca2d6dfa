-- print_lines.kont in Lua 5.4: prints N lines "line I" (I from 0 to N - 1) with print,
-- standard output redirected to a file (C stdio, block-buffered).
local function run(n)
  local i = 0
  while i < n do
    print("line " .. i)
    i = i + 1
  end
end

run(tonumber(arg[1]))
