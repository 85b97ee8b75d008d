-- Trims from a stream the entries that every consumer group has acknowledged, and nothing else, atomically (a
-- script runs alone in Redis). KEYS[1]: the stream. ARGV[1]: how long, in ms, to keep an entry even once it has
-- been acknowledged (0: not at all; the dead letters are kept for replay). ARGV[2..]: the groups that must exist
-- before anything is trimmed, the subscribers' app-ids: one that has not subscribed yet still has every entry to
-- read. Returns {entries trimmed, the other groups on the stream, comma-separated}: they hold entries back too.
-- Run by scripts/trim-streams.sh. Needs Redis 6.2 (XTRIM MINID).
local stream = KEYS[1]
if redis.call('EXISTS', stream) == 0 then
  return {0, ''}
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

local expected = {}
for i = 2, #ARGV do
  expected[ARGV[i]] = false
end
local others = {}
local keep_from -- the oldest entry some group still needs
for _, fields in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local group = {}
  for i = 1, #fields, 2 do
    group[fields[i]] = fields[i + 1]
  end
  if expected[group['name']] == nil then
    table.insert(others, group['name'])
  else
    expected[group['name']] = true
  end
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
local others_list = table.concat(others, ',')

for _, subscribed in pairs(expected) do
  if not subscribed then
    return {0, others_list}
  end
end
if keep_from == nil then
  return {0, others_list}
end
local keep_for = tonumber(ARGV[1])
if keep_for > 0 then
  local now = redis.call('TIME')
  local kept = string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - keep_for) .. '-0'
  if before(kept, keep_from) then
    keep_from = kept
  end
end
return {redis.call('XTRIM', stream, 'MINID', keep_from), others_list}
