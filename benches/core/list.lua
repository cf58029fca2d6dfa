-- list.kont in Lua 5.4 (input 500000, output 393706734): the same list
-- pipeline with cons cells as tables {head, tail} and nil as the empty list;
-- every pass is a tail-recursive function (Lua's `return f(...)` is a proper
-- tail call, like kont's), two rounds, as in the kont program.
local function build(i, n, acc)            -- [n-1, ..., 1, 0]
  if i == n then return acc end
  return build(i + 1, n, { i, acc })
end

local function rev_map(f, xs, acc)
  if xs == nil then return acc end
  return rev_map(f, xs[2], { f(xs[1]), acc })
end

local function rev_filter(p, xs, acc)
  if xs == nil then return acc end
  local x = xs[1]
  if p(x) then return rev_filter(p, xs[2], { x, acc }) end
  return rev_filter(p, xs[2], acc)
end

local function reverse(xs, acc)
  if xs == nil then return acc end
  return reverse(xs[2], { xs[1], acc })
end

local function fold(f, acc, xs)
  if xs == nil then return acc end
  return fold(f, f(acc, xs[1]), xs[2])
end

local function length(xs, n)
  if xs == nil then return n end
  return length(xs[2], n + 1)
end

local function run(n)
  local total = 0
  local r = 0
  while r < 2 do
    local xs = build(0, n, nil)
    local ys = rev_map(function(x) return x * 3 + r end, xs, nil)
    local zs = rev_filter(function(x) return x % 2 == 0 end, ys, nil)
    local ws = reverse(zs, nil)
    local h = fold(function(acc, x) return (acc * 31 + x) % 1000000007 end, 0, ws)
    total = total + h + length(ws, 0)
    r = r + 1
  end
  return total
end

print(run(math.tointeger(tonumber(arg[1]))))
