-- Trims from a stream the entries that every consumer group has acknowledged, and nothing else, atomically (a
-- script runs alone in Redis). KEYS[1]: the stream. ARGV: the groups that must exist before anything is trimmed,
-- the subscribers' app-ids: a subscriber that has not subscribed yet still has every entry to read.
-- Returns the number of entries trimmed. Run by scripts/trim-streams.sh.
local stream = KEYS[1]
if redis.call('EXISTS', stream) == 0 then
  return 0
end

-- Stream ids are "<ms>-<seq>"; ms fits a Lua number exactly (below 2^53), but is kept as text to be written back.
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms, tonumber(seq)
end

local function before(a, b)
  local a_ms, a_seq = parse(a)
  local b_ms, b_seq = parse(b)
  if tonumber(a_ms) ~= tonumber(b_ms) then
    return tonumber(a_ms) < tonumber(b_ms)
  end
  return a_seq < b_seq
end

local present = {}
local keep_from -- the oldest entry some group still needs
for _, fields in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local group = {}
  for i = 1, #fields, 2 do
    group[fields[i]] = fields[i + 1]
  end
  present[group['name']] = true
  -- A group needs its oldest pending entry (delivered, not acknowledged) and everything after the last one it was
  -- delivered: whichever comes first.
  local needs
  local pending = redis.call('XPENDING', stream, group['name'])
  if pending[1] > 0 then
    needs = pending[2]
  else
    local ms, seq = parse(group['last-delivered-id'])
    needs = ms .. '-' .. string.format('%d', seq + 1)
  end
  if keep_from == nil or before(needs, keep_from) then
    keep_from = needs
  end
end

for _, name in ipairs(ARGV) do
  if not present[name] then
    return 0
  end
end
if keep_from == nil then
  return 0
end
return redis.call('XTRIM', stream, 'MINID', keep_from)
