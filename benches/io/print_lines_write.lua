-- print_lines.kont in Lua 5.4 with io.write instead of print: the same N lines "line I",
-- written through C stdio's block buffer (Lua's print flushes after every line).
local function run(n)
  local i = 0
  while i < n do
    io.write("line ", i, "\n")
    i = i + 1
  end
end

run(tonumber(arg[1]))
