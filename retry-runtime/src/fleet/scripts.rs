//! The Lua scripts the link runs in Redis, and the keys they use. Each script is atomic, reads
//! the time from Redis (`TIME`), so no process's clock matters, and formats every number it
//! returns as an integer string (Lua's `tostring` would write `1.7e+15`).
//!
//! Keys under the fleet's prefix `P`, each starting `{P}` so that a Redis Cluster keeps them
//! in one hash slot (and runs each script on the node that owns them all):
//! - `{P}:version`: the last version given out (no expiry). Versions are Redis's clock in
//!   microseconds, or one more than the last if that is not ahead, so they only grow, also
//!   across a restart of a server that kept no data (its clock has moved on). A counter that
//!   is not a whole number within [`COUNTER_AHEAD`] of Redis's clock is re-based on the clock
//!   by the next publication.
//! - `{P}:breaker:<name>`: a hash of the breaker's shared state (`version`, `origin`, `state`,
//!   `trips`, `deadline` in Redis milliseconds), expiring when the open period ends (plus a
//!   margin) or, for other states, after the fleet's `state_ttl`.
//! - `{P}:versions`: a hash of the last version written for each breaker (no expiry), so that a
//!   state republished under its old version is refused when a newer one was written, even if
//!   that one has expired since.
//! - `{P}:breakers`: the set of breaker names, so a late process reads every state without
//!   `SCAN`ning; names whose hash has expired are removed as they are found.
//! - `{P}:breakers:changes`: the pub/sub channel of publications.
//! - `{P}:budget:<name>`: a hash of the fleet budget's balance (`milli`, thousandths of a token)
//!   and when its trickle was last credited (`at`).
//! - `{P}:rate:<name>`: a fleet rate limiter's token bucket, the same hash as a budget's (`milli`,
//!   `at`): `per_second` a second, up to `burst`, starting full.
//! - `{P}:rate-members:<name>`: a sorted set of the processes (origin ids) that leased from that
//!   limiter, scored by when they last asked (Redis ms); the ones older than a few seconds are
//!   dropped, and the count is each process's share while Redis is down.
//!
//! The read script reaches hashes by the names in the set, keys it is not given: on a cluster
//! that works because they are in the slot of the keys it is given.

use redis::Script;

/// Publishes a breaker's state: the next version, the stored hash with its expiry, the name in
/// the set, and the message. Returns the version.
///
/// A state republished after Redis lost it, or over a stale stored state, keeps the version it
/// had (ARGV[8]), and is only written if it is newer than both the stored state and the last
/// version written for this breaker (`{P}:versions`, which outlives the state's expiry): a
/// process that held a state through an outage must not make it newer than a change another
/// process made meanwhile, nor bring back a state older than one that expired.
///
/// A new state's version is also above the newest the publishing process knows for this
/// breaker (ARGV[9]): a transition always supersedes every state its process has seen, even one
/// whose version ran ahead of Redis's clock.
///
/// The counter, and the newest version the process knows, are believed up to ARGV[10]
/// microseconds past Redis's clock ([`COUNTER_AHEAD`]); beyond it (a value written by hand or
/// by something else, or one past what a double counts exactly: 2^53 + 1, `i64::MAX`, 10^38)
/// the counter is re-based: the version is Redis's clock, which is then stored as the counter.
///
/// KEYS: state hash, version counter, names set, last versions hash. ARGV: name, state, trips,
/// open ms, origin, expiry ms, channel, version to keep ('' for the next one), newest version
/// known here ('0' if none), the counter's allowance past Redis's clock (µs). Returns '' when a
/// kept version was not written (a newer state was written, and published to this process
/// too).
const PUBLISH: &str = r"
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local most = now_us + tonumber(ARGV[10])
-- A counter that is not a number, or further past Redis's clock than a counter runs (2^53 + 1,
-- 1e38, i64::MAX: past what a double counts exactly), is re-based on the clock: kept, it would
-- hand out versions that no longer grow, or that the processes refuse.
if not last or last ~= last or last < 0 or last > most then last = 0 end
local known = tonumber(ARGV[9]) or 0
if known ~= known or known < 0 or known > most then known = 0 end
local version = now_us
local kept = tonumber(ARGV[8])
if kept and kept <= most then
  version = kept
  -- (Versions stored past the allowance were not written by the scripts: they stop nothing.)
  local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '')
  if stored and stored >= version and stored <= most then return '' end
  local written = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '')
  if written and written >= version and written <= most then return '' end
else
  if version <= last then version = last + 1 end
  if version <= known then version = known + 1 end
end
local v = string.format('%.0f', version)
if version > last then redis.call('SET', KEYS[2], v) end
redis.call('HSET', KEYS[4], ARGV[1], v)
local deadline = string.format('%.0f', math.floor(now_us / 1000) + tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'version', v, 'origin', ARGV[5], 'state', ARGV[2],
  'trips', ARGV[3], 'deadline', deadline)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[7],
  table.concat({'v1', v, ARGV[5], ARGV[2], ARGV[3], ARGV[4], ARGV[1]}, ' '))
return v
";

/// Reads every stored breaker state: six strings per breaker (name, version, origin, state,
/// trips, open ms left on Redis's clock), at most ARGV[2] breakers.
///
/// KEYS: names set. ARGV: the state hashes' key prefix (`{P}:breaker:`), the limit.
const READ: &str = r"
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[2])
local out = {}
local found = 0
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[1] .. name, 'version', 'origin', 'state', 'trips', 'deadline')
  if f[1] and f[2] and f[3] and f[4] and f[5] then
    if found < limit then
      local left = (tonumber(f[5]) or 0) - now_ms
      if left < 0 then left = 0 end
      table.insert(out, name)
      table.insert(out, f[1])
      table.insert(out, f[2])
      table.insert(out, f[3])
      table.insert(out, f[4])
      table.insert(out, string.format('%.0f', left))
      found = found + 1
    end
  else
    redis.call('SREM', KEYS[1], name)
  end
end
return out
";

/// Credits a fleet budget with calls and its trickle, then leases up to a batch of whole
/// tokens. A new (or expired) budget starts with its reserve. Returns the milli-tokens leased,
/// the fleet's balance after the lease, and the number of members ('0' without a members set).
///
/// A fleet rate limiter is the same bucket with no calls: the trickle is its `per_second`, the
/// cap and the reserve its `burst`; the process is counted in the members set (KEYS[2]), and
/// members that have not asked within ARGV[9] ms are dropped.
///
/// KEYS: budget hash, members set (optional). ARGV: calls, share (milli), trickle (milli per
/// second), cap (milli), reserve (milli), wanted (milli, whole tokens), expiry ms, member id,
/// members' window ms.
const BUDGET: &str = r"
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local calls = tonumber(ARGV[1])
local share = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local wanted = tonumber(ARGV[6])
local milli = tonumber(redis.call('HGET', KEYS[1], 'milli'))
local at = tonumber(redis.call('HGET', KEYS[1], 'at'))
if not milli or not at or at > now_ms then
  milli = math.min(tonumber(ARGV[5]), cap)
  at = now_ms
end
if rate > 0 then
  local earned = math.floor((now_ms - at) * rate / 1000)
  if earned >= 1 then
    milli = math.min(cap, milli + earned)
    at = math.min(now_ms, at + math.ceil(earned * 1000 / rate))
  end
else
  at = now_ms
end
milli = math.min(cap, milli + calls * share)
local lease = math.min(wanted, math.floor(milli / 1000) * 1000)
if lease < 0 then lease = 0 end
milli = milli - lease
redis.call('HSET', KEYS[1], 'milli', string.format('%.0f', milli), 'at', string.format('%.0f', at))
redis.call('PEXPIRE', KEYS[1], ARGV[7])
local members = 0
if KEYS[2] then
  redis.call('ZADD', KEYS[2], now_ms, ARGV[8])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_ms - tonumber(ARGV[9]))
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
  members = redis.call('ZCARD', KEYS[2])
end
return {string.format('%.0f', lease), string.format('%.0f', milli), string.format('%d', members)}
";

/// How far past Redis's clock the version counter is believed: it runs ahead of the clock by a
/// microsecond per publication within one microsecond, by a believed forward-dated version
/// (at most 5 s, see `link::MAX_AHEAD`), or by a step back of Redis's clock; further than this
/// it was not written by the scripts (or Redis's clock stepped back by more), and the next
/// publication re-bases it on Redis's clock. Far below the room versions have: Redis's clock
/// in microseconds reaches 2^53, past which a Lua double stops counting, in the year 2255.
pub(super) const COUNTER_AHEAD: std::time::Duration = std::time::Duration::from_secs(3600);

/// Redis's clock and the version counter, read together (a script, so that a cluster routes it
/// by the counter's key). Returns the seconds, the microseconds, and the counter ('' if none).
///
/// KEYS: version counter.
const CLOCK: &str = r"
local t = redis.call('TIME')
return {t[1], t[2], redis.call('GET', KEYS[1]) or ''}
";

/// The scripts and the fleet's key names.
pub(super) struct Scripts {
    pub(super) publish: Script,
    pub(super) read: Script,
    pub(super) budget: Script,
    pub(super) clock: Script,
    prefix: String,
}

impl Scripts {
    pub(super) fn new(prefix: &str) -> Scripts {
        Scripts {
            publish: Script::new(PUBLISH),
            read: Script::new(READ),
            budget: Script::new(BUDGET),
            clock: Script::new(CLOCK),
            prefix: prefix.to_owned(),
        }
    }

    pub(super) fn version_key(&self) -> String {
        format!("{{{}}}:version", self.prefix)
    }

    pub(super) fn breaker_key_prefix(&self) -> String {
        format!("{{{}}}:breaker:", self.prefix)
    }

    pub(super) fn breaker_key(&self, name: &str) -> String {
        format!("{{{}}}:breaker:{name}", self.prefix)
    }

    pub(super) fn versions_key(&self) -> String {
        format!("{{{}}}:versions", self.prefix)
    }

    pub(super) fn names_key(&self) -> String {
        format!("{{{}}}:breakers", self.prefix)
    }

    pub(super) fn channel(&self) -> String {
        format!("{{{}}}:breakers:changes", self.prefix)
    }

    pub(super) fn budget_key(&self, name: &str) -> String {
        format!("{{{}}}:budget:{name}", self.prefix)
    }

    pub(super) fn rate_key(&self, name: &str) -> String {
        format!("{{{}}}:rate:{name}", self.prefix)
    }

    pub(super) fn rate_members_key(&self, name: &str) -> String {
        format!("{{{}}}:rate-members:{name}", self.prefix)
    }
}
