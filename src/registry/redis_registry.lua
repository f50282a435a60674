-- The participant registry of one room, in Redis (deviations §3–§5). One script, one operation per
-- call: the whole operation runs inside Redis as one atomic step, so Convene instances sharing the
-- server can never hand out the same name or lose an update. It mirrors InProcessRegistry
-- (in_process_registry.cpp) rule for rule; keep the two in step (registry_conformance_test.cpp runs
-- the same suite over both).
--
-- KEYS (built by RedisRegistry; the five room keys share the hash tag {<roomId>}):
--   1 records  hash    identity -> record (cjson, see `encode`)
--   2 names    hash    name key (see "Names") -> identity holding it
--   3 bans     set     banned identities (until the meeting ends)
--   4 high     hash    suffix stem key -> highest `_N` suffix ever handed out for it
--   5 free     zset    free suffixes below that high-water mark (see `free_member`)
--   6 rooms    set     ids of the rooms that have entries or bans (global, for Rooms())
--   7 counter  string  global admission counter (record generations)
--   8 ledger   prefix  of the per-identity keys of departed records: KEYS[8] .. identity holds a
--                      record (same encoding) with PEXPIREAT at its `u`, so a departed
--                      participant's roles, demotion and grant version outlive its presence until
--                      no token issued to it can be used (deviations §5.1); Redis expires them.
--   9 epoch    string  how many meetings of the room have ended; a departed record that left
--                      under another epoch has its grant version moved on when it is read (every
--                      grant dies with the end of the meeting, deviations §2.2)
-- Keys 6 and 7 are outside the room's slot. That is fine on a standalone server or behind Sentinel
-- (what Convene supports); on Redis Cluster these scripts would need both moved into the room slot.
--
-- ARGV[1] is the operation, ARGV[2] the room id, the rest depend on the operation (see the
-- dispatch table at the end). Times come from the caller (no TIME), in ms, as decimal strings.
-- Name keys come from the caller too (see "Names").
--
-- Replies: a record is returned as a flat array of strings (see `reply`). Expected refusals are
-- ordinary replies ({'full'}, {'banned', identity}, {'taken', identity}); a Lua error means a bug or
-- corrupt data and surfaces as an error reply.

local records, names, bans, high, free, rooms, counter, ledger_prefix, epoch_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local op, room = ARGV[1], ARGV[2]

-- Display names are at most 256 bytes (domain::kMaxDisplayNameBytes); so are identities.
local MAX_NAME_BYTES = 256
local MAX_IDENTITY_BYTES = 256
local MODERATOR, SPEAKER = 'moderator', 'speaker'

---------------------------------------------------------------------------------------------------
-- Names (domain/display_name.cpp, domain/name_key.cpp)

-- Names compare on a key, Unicode NFKC_Casefold (domain::NameKey), which Lua cannot compute:
-- RedisRegistry passes the keys of the names an operation needs, and a record keeps the key of
-- its name (`k`) for the operations that only know an identity. The key of `<base>_N` is
-- key(base) .. '_N', so keys of suffixed candidates are built here from their base's key.

-- Records written before keys were passed have no `k`; their `names` entry was made with this
-- ASCII-only fold (an explicit range: string.lower would follow the server's LC_CTYPE).
local function lower_char(c) return string.char(string.byte(c) + 32) end
local function legacy_key(name) return (string.gsub(name, '[A-Z]', lower_char)) end
local function key_of(rec) return rec.k or legacy_key(rec.n) end

-- "<base>_<N>" with N a canonical decimal in 1..2^32-1 -> base, N. The digits run to the end and
-- contain no '_', so the split is at the last '_' ("bob_1_2" is "bob_1", 2).
local function split_suffix(name)
  local base, digits = string.match(name, '^(.+)_([1-9][0-9]*)$')
  if not base or #digits > 10 then return nil end
  local n = tonumber(digits)
  if n > 4294967295 then return nil end
  return base, n
end

local function with_suffix(name, n) return name .. '_' .. string.format('%d', n) end

-- Suffix numbers by digit count (domain::SuffixDigits): all numbers with as many digits shorten a
-- long base alike.
local MAX_SUFFIX_DIGITS = 10
local LEVEL_LOWEST = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}
local LEVEL_HIGHEST = {9, 99, 999, 9999, 99999, 999999, 9999999, 99999999, 999999999, 4294967295}
local function digits_of(n) return #string.format('%d', n) end

-- The base of a candidate with a `digits`-digit suffix: shortened, at a UTF-8 character boundary,
-- when the candidate would be over the limit.
local function fit_for_suffix(base, digits)
  local suffix = 1 + digits
  if #base + suffix <= MAX_NAME_BYTES then return base end
  local keep = MAX_NAME_BYTES - suffix
  -- Lua strings are 1-based: byte keep+1 is the first one cut off.
  while keep > 0 do
    local b = string.byte(base, keep + 1)
    if b < 0x80 or b >= 0xC0 then break end  -- not a continuation byte
    keep = keep - 1
  end
  return string.sub(base, 1, keep)
end

-- "<name>-<suffix>" within MAX_IDENTITY_BYTES (domain::MintIdentity).
local function mint_identity(name, suffix)
  local room = MAX_IDENTITY_BYTES - 1 - #suffix
  local keep = #name
  if keep > room then
    keep = room
    while keep > 0 do
      local b = string.byte(name, keep + 1)
      if b < 0x80 or b >= 0xC0 then break end
      keep = keep - 1
    end
  end
  return string.sub(name, 1, keep) .. '-' .. suffix
end

---------------------------------------------------------------------------------------------------
-- Records. Stored as cjson objects with short fields:
--   n name, k key of the name, r roles (array, in order granted), s selected role, pr promoted,
--   de demoted, m moderator secret holder, j joined (false = reserved), ra reserved_at_ms,
--   ja joined_at_ms, g generation, cg created_generation, gv grant version, u usable until (ms),
--   ep the room's epoch when the record departed (ledger copies only).
-- Times and generations are decimal strings: cjson prints numbers with 14 significant digits only.

local function new_record(name, key)
  return {n = name, k = key, r = {}, s = SPEAKER, pr = false, de = false, m = false, j = false,
          ra = '0', ja = '0', g = '0', cg = '0', gv = '0', u = '0'}
end

-- A stored record; records written before grant versions and usable-until times existed get '0'.
local function decode(raw)
  local rec = cjson.decode(raw)
  rec.gv, rec.u = rec.gv or '0', rec.u or '0'
  return rec
end

-- A present (reserved or joined) record.
local function load(identity)
  local raw = redis.call('HGET', records, identity)
  if not raw then return nil end
  return decode(raw)
end

local function current_epoch() return redis.call('GET', epoch_key) or '0' end

-- A departed record from the ledger, with the grant version moved on if a meeting ended since.
local function load_departed(identity)
  local raw = redis.call('GET', ledger_prefix .. identity)
  if not raw then return nil end
  local rec = decode(raw)
  -- Without roles it records nothing worth keeping (an identity learned from LiveKit).
  if #rec.r == 0 then return nil end
  -- One step per meeting ended since it departed, as the in-process ledger counts them.
  local ended = tonumber(current_epoch()) - tonumber(rec.ep or '0')
  if ended > 0 then rec.gv = string.format('%d', tonumber(rec.gv) + ended) end
  -- The ledger keeps what was recorded about the identity, not the bookkeeping of its last
  -- admission (the in-process ledger stores no such fields either).
  rec.ep, rec.j = nil, false
  rec.ra, rec.ja, rec.g, rec.cg = '0', '0', '0', '0'
  return rec
end

-- Keeps the departing record in the ledger until its tokens can no longer be used.
local function depart(identity, rec)
  local copy = {}
  for k, v in pairs(rec) do copy[k] = v end
  copy.ep, copy.j = current_epoch(), false
  local key = ledger_prefix .. identity
  redis.call('SET', key, cjson.encode(copy))
  redis.call('PEXPIREAT', key, tonumber(rec.u))
end

local function save(identity, rec)
  -- An empty Lua table encodes as {}, which decodes back to an empty table: fine for `r`.
  redis.call('HSET', records, identity, cjson.encode(rec))
end

local function flag(b) if b then return '1' else return '0' end end

-- The reply for one record; RedisRegistry decodes it in this order.
local function reply(identity, rec, departed)
  local presence = 'reserved'
  if departed then presence = 'departed' elseif rec.j then presence = 'joined' end
  return {identity, rec.n, table.concat(rec.r, ','), rec.s, flag(rec.pr), flag(rec.de), flag(rec.m),
          presence, rec.ra, rec.ja, rec.g, rec.cg, rec.gv, rec.u}
end

local function has_role(roles, role)
  for _, r in ipairs(roles) do
    if r == role then return true end
  end
  return false
end

local function add_role(roles, role)
  if not has_role(roles, role) then roles[#roles + 1] = role end
end

local function split_roles(csv)
  local roles = {}
  for role in string.gmatch(csv, '[^,]+') do add_role(roles, role) end
  return roles
end

---------------------------------------------------------------------------------------------------
-- Suffix pools (RoomState::SuffixPool / Allocate / ReturnSuffix). A candidate `<stem>_N` uses the
-- requested name as its stem, shortened by fit_for_suffix for long names by an amount that
-- depends on the digit count of N, so pools are kept per stem key: a released name splits at its
-- last '_' into exactly the stem and number it was allocated from, and the number goes back to
-- the pool the next request for a name with that stem reads, at every length. Per stem key: the
-- high-water mark in `high`, and the free numbers at or below it in the one `free` zset of the
-- room. Members are "<5-digit length of stem key><stem key><10-digit N>", all with score 0, so a
-- lexicographic range over the prefix "<length><stem key>" holds exactly that stem's numbers (the
-- length makes the prefix unambiguous whatever bytes the key contains), lowest first. Finding,
-- taking or returning a number is O(log n): no scan over the participants.

local function pool_prefix(stem_key) return string.format('%05d', #stem_key) .. stem_key end
local function free_member(stem_key, n) return pool_prefix(stem_key) .. string.format('%010d', n) end
local function pool_range(stem_key)
  local prefix = pool_prefix(stem_key)
  return '[' .. prefix, '(' .. prefix .. '\255'  -- every member is the prefix plus digits
end

local function name_free(key) return redis.call('HEXISTS', names, key) == 0 end

-- Usable only if nobody holds the name, nobody uses it as an identity (a caller-chosen identity may
-- equal someone's future display name) and it is not a banned identity (whoever got it would be
-- removed on join).
local function usable(name, key)
  return name_free(key) and redis.call('HEXISTS', records, name) == 0
    and redis.call('SISMEMBER', bans, name) == 0
end

-- Makes from..to free numbers of a stem (ZADD in batches: Lua's unpack has a stack limit).
local function add_free(stem_key, from, to)
  local batch = {}
  for n = from, to do
    batch[#batch + 1] = 0
    batch[#batch + 1] = free_member(stem_key, n)
    if #batch >= 1000 then
      redis.call('ZADD', free, unpack(batch))
      batch = {}
    end
  end
  if #batch > 0 then redis.call('ZADD', free, unpack(batch)) end
end

-- The lowest number in lowest..highest that may be free for the stem: a free one below the
-- high-water mark, else the one above it. nil when all of them have been handed out.
local function take_suffix(stem_key, lowest, highest)
  local min, max = pool_range(stem_key)
  local member = redis.call('ZRANGEBYLEX', free, '[' .. free_member(stem_key, lowest), max, 'LIMIT', 0, 1)[1]
  if member then
    local n = tonumber(string.sub(member, -10))  -- below the mark, so lower than any number above it
    if n > highest then return nil end
    redis.call('ZREM', free, member)
    return n
  end
  -- A stem read over every digit count (any name that is never shortened): no bound to check.
  if lowest == 1 and highest == LEVEL_HIGHEST[MAX_SUFFIX_DIGITS] then return redis.call('HINCRBY', high, stem_key, 1) end
  local high_water = tonumber(redis.call('HGET', high, stem_key)) or 0
  if high_water >= highest then return nil end
  -- A long name's shortened stem may be read from two digits on while its lower numbers were
  -- never handed out: they stay free for the names whose candidates use them (the stem itself
  -- typed as a name). A long name gets here only once every number of its previous stem has been
  -- handed out, so the members added never outnumber those handed out.
  local n = math.max(high_water + 1, lowest)
  add_free(stem_key, high_water + 1, n - 1)
  redis.call('HSET', high, stem_key, string.format('%d', n))
  return n
end

-- Lowest free `<name>_N` (deviations §3.1): free numbers first, lowest first, then numbers above
-- the high-water mark. Numbers somebody took by typing the suffixed name are skipped (they return
-- to the pool when released). Consecutive digit counts whose candidates have the same stem key
-- read one pool over their whole range of numbers. Always succeeds. Returns the name and its key.
local function allocate(requested, key, stem_key_of)
  if usable(requested, key) then return requested, key end
  local first = 1
  while first <= MAX_SUFFIX_DIGITS do
    local stem_key, last = stem_key_of(first), first
    while last < MAX_SUFFIX_DIGITS and stem_key_of(last + 1) == stem_key do last = last + 1 end
    while true do
      local n = take_suffix(stem_key, LEVEL_LOWEST[first], LEVEL_HIGHEST[last])
      if not n then break end
      local candidate = with_suffix(fit_for_suffix(requested, digits_of(n)), n)
      local candidate_key = with_suffix(stem_key, n)
      if usable(candidate, candidate_key) then return candidate, candidate_key end
    end
    first = last + 1
  end
  -- Every one of 4 294 967 295 numbers would have to be held in this room at once.
  error('every suffix of the name is in use')
end

local function return_suffix(key)
  local stem_key, n = split_suffix(key)
  if not stem_key then return end
  local high_water = tonumber(redis.call('HGET', high, stem_key))
  if not high_water then return end
  if n <= high_water then redis.call('ZADD', free, 0, free_member(stem_key, n)) end
  -- Every number up to the mark is free again and the stem itself is free: forget the pool.
  local min, max = pool_range(stem_key)
  if redis.call('ZLEXCOUNT', free, min, max) == high_water and name_free(stem_key) then
    redis.call('ZREMRANGEBYLEX', free, min, max)
    redis.call('HDEL', high, stem_key)
  end
end

local function insert(identity, rec)
  redis.call('HSETNX', names, rec.k, identity)
  save(identity, rec)
end

local function release_name(identity, rec)
  local key = key_of(rec)
  if redis.call('HGET', names, key) == identity then
    redis.call('HDEL', names, key)
    return_suffix(key)
  end
end

-- The record stops being present; its ledger copy keeps what was recorded about it.
local function remove(identity, rec)
  release_name(identity, rec)
  redis.call('HDEL', records, identity)
  depart(identity, rec)
end

-- After every change: a room without entries or bans leaves no keys at all (bounded memory; its
-- suffix pools go with it, as the in-process room state does), and Rooms() lists the others.
local function settle()
  if redis.call('HLEN', records) == 0 and redis.call('SCARD', bans) == 0 then
    redis.call('DEL', records, names, bans, high, free)
    redis.call('SREM', rooms, room)
  else
    redis.call('SADD', rooms, room)
  end
end

local function is_banned(identity) return redis.call('SISMEMBER', bans, identity) == 1 end

---------------------------------------------------------------------------------------------------
-- Admission

-- The roles of a token: what the registry already grants, plus the role this request proves, except
-- that a demotion sticks (deviations §1.5).
local function apply_requested_role(rec, role, from_grant)
  local blocked = role == MODERATOR and rec.de
  if not blocked then add_role(rec.r, role) end
  if has_role(rec.r, role) then
    rec.s = role
  elseif #rec.r > 0 and not has_role(rec.r, rec.s) then
    rec.s = rec.r[#rec.r]
  end
  if role == MODERATOR and not from_grant and not blocked then rec.m = true end
end

-- Generate may reuse an owned entry when the person asks for the same name again (a page reload):
-- the exact allocated name, or a candidate allocated from it ("Alice_2" for "Alice"; for a long
-- name, its shortened stem with a suffix).
local function same_requested_name(rec, key, stem_key_of)
  local name_key = key_of(rec)
  if name_key == key then return true end
  local stem_key, n = split_suffix(name_key)
  return stem_key ~= nil and stem_key == stem_key_of(digits_of(n))
end

-- ARGV: 3 mode ('generate' | 'refresh'), 4 name, 5 identity ('' = none), 6 owned identity
-- ('' = none), 7 whether 5 is set, 8 whether 6 is set ('1' | '0'), 9 identity suffix, 10 role,
-- 11 role from a grant ('1' | '0'), 12 max participants ('' = unlimited), 13 now, 14 usable until,
-- 15 key of 4, 16–25 keys of the stems of 4 for suffixes of 1–10 digits (only for names long
-- enough to be shortened; absent = the stem is the name itself).
local function admit()
  local mode, name = ARGV[3], ARGV[4]
  local identity, owned = ARGV[5], ARGV[6]
  local has_identity, has_owned = ARGV[7] == '1', ARGV[8] == '1'
  local suffix = ARGV[9]
  local role, from_grant = ARGV[10], ARGV[11] == '1'
  local max, now, usable_until = tonumber(ARGV[12]), ARGV[13], ARGV[14]
  local name_key = ARGV[15]
  local function stem_key_of(digits) return ARGV[15 + digits] or name_key end

  local function room_full() return max and redis.call('HLEN', records) >= max end
  local function next_generation() return string.format('%d', redis.call('INCR', counter)) end
  local function stamp(rec)
    apply_requested_role(rec, role, from_grant)
    rec.ra = now
    rec.g = next_generation()
    if tonumber(usable_until) > tonumber(rec.u) then rec.u = usable_until end
  end

  -- A present record again (reload, refresh): same identity; a new name only when asked for.
  local function admit_present(id, rec, rename)
    if rename then
      release_name(id, rec)
      rec.n, rec.k = allocate(name, name_key, stem_key_of)
      redis.call('HSETNX', names, rec.k, id)
    end
    stamp(rec)
    save(id, rec)
    return {'ok', reply(id, rec)}
  end
  -- A departed (or never recorded) identity comes back: a name is allocated for it again.
  local function admit_absent(id, rec)
    if room_full() then return {'full'} end
    rec.n, rec.k = allocate(name, name_key, stem_key_of)
    rec.j = false
    stamp(rec)
    rec.cg = rec.g
    insert(id, rec)
    redis.call('DEL', ledger_prefix .. id)
    settle()
    return {'ok', reply(id, rec)}
  end
  local function fresh() return new_record('', '') end

  if mode == 'refresh' then
    if is_banned(owned) then return {'banned', owned} end
    local rec = load(owned)
    if rec then return admit_present(owned, rec, false) end
    -- Departed: its recorded roles come back. Never recorded (or expired): the role proven now.
    return admit_absent(owned, load_departed(owned) or fresh())
  end

  -- Generate. A caller proving it holds a kicked identity is the kicked participant: refused
  -- until the meeting ends, whatever name it asks for now.
  if has_owned and is_banned(owned) then return {'banned', owned} end
  if has_identity then
    if is_banned(identity) then return {'banned', identity} end
    local is_owned = has_owned and owned == identity
    local existing = load(identity)
    if existing then
      if not is_owned then return {'taken', identity} end
      return admit_present(identity, existing, not same_requested_name(existing, name_key, stem_key_of))
    end
    local departed = load_departed(identity)
    if departed then
      -- Somebody's tokens may still carry it: only its holder may have it again.
      if not is_owned then return {'taken', identity} end
      return admit_absent(identity, departed)
    end
    return admit_absent(identity, fresh())
  end
  if has_owned then
    local rec = load(owned)
    if rec then return admit_present(owned, rec, not same_requested_name(rec, name_key, stem_key_of)) end
    local departed = load_departed(owned)
    if departed then return admit_absent(owned, departed) end
  end

  -- A new identity, minted from the allocated name: unique per admission (deviations §3.5).
  if room_full() then return {'full'} end
  local rec = new_record(allocate(name, name_key, stem_key_of))
  local id = mint_identity(rec.n, suffix)
  stamp(rec)
  -- 60 random bits make a clash all but impossible; it still must not merge two participants.
  if redis.call('HEXISTS', records, id) == 1 or redis.call('EXISTS', ledger_prefix .. id) == 1 then
    id = id .. '-' .. rec.g
  end
  rec.cg = rec.g
  insert(id, rec)
  settle()
  return {'ok', reply(id, rec)}
end

-- ARGV: 3 identity, 4 generation of the admission to undo.
local function rollback()
  local identity, generation = ARGV[3], ARGV[4]
  local rec = load(identity)
  if rec and rec.g == generation and rec.cg == generation and not rec.j then remove(identity, rec) end
  settle()
  return 1
end

---------------------------------------------------------------------------------------------------
-- Presence

-- ARGV: 3 identity, 4 name as LiveKit reports it, 5 now, 6 usable until for an identity never
-- recorded (its tokens' lifetime is unknown), 7 key of 4 (of 3 when 4 is empty), 8 key of 3.
-- Returns 0 for a banned identity.
local function mark_joined()
  local identity, name, now, unknown_until = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  local name_key, identity_key = ARGV[7], ARGV[8]
  if is_banned(identity) then return 0 end
  local rec = load(identity)
  if rec then
    rec.j, rec.ja = true, now
    save(identity, rec)
    return 1
  end
  -- Joined without a reservation: a departed identity rejoining with a token it still holds (its
  -- recorded roles come back), an external token, or the entry was released. Record it so its
  -- name and identity are not handed to someone else while it is present (R3).
  if name == '' then name = identity end
  rec = load_departed(identity)
  if not rec then
    rec = new_record(name, name_key)
    rec.u = unknown_until
  end
  rec.n, rec.k = name, name_key
  redis.call('DEL', ledger_prefix .. identity)
  if not name_free(rec.k) then rec.n, rec.k = identity, identity_key end
  rec.j, rec.ja = true, now
  if name_free(rec.k) then
    insert(identity, rec)
  else
    -- Even the identity's name is held by someone else: keep the identity known without a name.
    save(identity, rec)
  end
  settle()
  return 1
end

-- ARGV: 3 identity, 4 name. Releases only if this identity holds the entry under that name (R4).
local function mark_left()
  local identity, name = ARGV[3], ARGV[4]
  local released = 0
  local rec = load(identity)
  if rec and rec.n == name then
    if rec.j and tonumber(rec.ra) > tonumber(rec.ja) then
      -- A token was issued after this session joined (a refresh or reload): the person is probably
      -- reconnecting, so the entry falls back to `reserved` and its pending TTL.
      rec.j = false
      save(identity, rec)
    else
      remove(identity, rec)
      released = 1
    end
  end
  settle()
  return released
end

-- ARGV: 3 identity, 4 reserved-before time.
local function release_stale()
  local identity, before = ARGV[3], tonumber(ARGV[4])
  local released = 0
  local rec = load(identity)
  if rec and not rec.j and tonumber(rec.ra) < before then
    remove(identity, rec)
    released = 1
  end
  settle()
  return released
end

-- ARGV: 3 finished-at time. Tokens issued after the finish belong to the next meeting (R6).
local function finish_meeting()
  local finished_at = tonumber(ARGV[3])
  redis.call('DEL', bans)
  local all = redis.call('HGETALL', records)
  -- Departures below are recorded under the old epoch, so their grant versions move on when read.
  for i = 1, #all, 2 do
    local rec = decode(all[i + 1])
    if math.max(tonumber(rec.ra), tonumber(rec.ja)) <= finished_at then
      remove(all[i], rec)
    else
      rec.gv = string.format('%d', tonumber(rec.gv) + 1)
      save(all[i], rec)
    end
  end
  redis.call('INCR', epoch_key)
  settle()
  return 1
end

---------------------------------------------------------------------------------------------------
-- Bans and roles

-- ARGV: 3 identity.
local function ban()
  local identity = ARGV[3]
  redis.call('SADD', bans, identity)
  local rec = load(identity)
  if rec then remove(identity, rec) end
  settle()
  return 1
end

-- ARGV: 3 identity.
local function unban()
  redis.call('SREM', bans, ARGV[3])
  settle()
  return 1
end

-- ARGV: 3 identity.
local function banned() if is_banned(ARGV[3]) then return 1 else return 0 end end

-- ARGV: 3 identity, 4 role. Returns the record, or nil for an unknown identity.
local function set_role()
  local identity, role = ARGV[3], ARGV[4]
  local rec = load(identity)
  if not rec then return nil end
  local was_moderator = has_role(rec.r, MODERATOR)
  rec.r, rec.s = {role}, role
  rec.gv = string.format('%d', tonumber(rec.gv) + 1)
  if role == MODERATOR then
    rec.de = false
    rec.pr = not rec.m
  else
    rec.pr = false
    rec.de = rec.de or was_moderator
  end
  save(identity, rec)
  return reply(identity, rec)
end

-- ARGV: 3 identity, 4 roles (comma-separated), 5 selected role, 6 promoted, 7 demoted ('1' | '0').
local function restore_roles()
  local identity = ARGV[3]
  local rec = load(identity)
  if rec then
    rec.r, rec.s = split_roles(ARGV[4]), ARGV[5]
    rec.pr, rec.de = ARGV[6] == '1', ARGV[7] == '1'
    save(identity, rec)
  end
  return 1
end

---------------------------------------------------------------------------------------------------
-- Reads

-- ARGV: 3 identity. The record (present, else departed), or nil.
local function get()
  local identity = ARGV[3]
  local rec = load(identity)
  if rec then return reply(identity, rec) end
  rec = load_departed(identity)
  if not rec then return nil end
  return reply(identity, rec, true)
end

-- The room was deleted: its names, presence and bans go. What was recorded about its participants
-- stays in the ledger until their tokens expire, like any departed record: no token for a deleted
-- room is accepted anywhere, and a participant's own token keeps authenticating it (so a route
-- on the deleted room answers 404 for the room, not 403 for the participant).
-- ARGV: 3 the time by which every token of the room has expired (now + the longest token life):
-- the epoch key, which voids the departed records' grants, is kept exactly that long.
local function forget_room()
  local all = redis.call('HGETALL', records)
  for i = 1, #all, 2 do
    local rec = decode(all[i + 1])
    depart(all[i], rec)
  end
  redis.call('DEL', records, names, bans, high, free)
  redis.call('INCR', epoch_key)
  redis.call('PEXPIREAT', epoch_key, tonumber(ARGV[3]))
  redis.call('SREM', rooms, room)
  return 1
end

-- Every record of the room, unordered.
local function list()
  local out = {}
  local all = redis.call('HGETALL', records)
  for i = 1, #all, 2 do
    local rec = decode(all[i + 1])
    out[#out + 1] = reply(all[i], rec)
  end
  return out
end

local operations = {
  admit = admit, rollback = rollback, mark_joined = mark_joined, mark_left = mark_left,
  release_stale = release_stale, finish_meeting = finish_meeting, ban = ban, unban = unban,
  banned = banned, set_role = set_role, restore_roles = restore_roles, get = get, list = list,
  forget_room = forget_room,
}
local operation = operations[op]
if not operation then return redis.error_reply('ERR unknown registry operation') end
return operation()
