//! The rate limiters' side of the link: fleet rate limits whose permits live in Redis, leased
//! by the budgets' script (a token bucket with no calls: `per_second` a second up to `burst`).
//!
//! A shared limiter's calls take the permits leased to their process (one atomic; see
//! `rate_limit::shared`); every `flush_interval` the link tops each pool up to one lease, so
//! the call path never waits on Redis. Permits are only created in Redis (the bucket starts
//! with `burst` and earns `per_second`), and a lease moves them out, so over any `t` seconds
//! the fleet admits at most `burst + per_second x t` calls plus the permits its processes held
//! when the `t` seconds began (at most one lease each), however many processes it has.
//!
//! Each process is counted in the limiter's members set when it asks (at least every second):
//! while Redis is down, a process admits `1 / n` of the limit (`n` the members Redis last
//! counted), so the fleet stays near its limit through an outage as long as its membership does
//! not change.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::connection::Connection;

use super::Down;
use super::budgets::millis;
use super::options::FleetOptions;
use super::scripts::Scripts;
use crate::rate_limit::RateLimiter;

/// A process asks Redis about each shared limiter at least this often, leased or not, so the
/// members set counts it.
const MEMBER_REFRESH: Duration = Duration::from_secs(1);

/// A process that has not asked for this long is no longer counted as a member.
const MEMBER_WINDOW: Duration = Duration::from_secs(3);

/// The most members a count read from Redis may say.
const MAX_MEMBERS: u32 = 1_000_000;

/// Whether a rate limiter created now, named `name`, starts leased: with no permits of its own
/// (the next flush leases them), rather than with a local burst. True while a link is up and
/// shares it. Installed into the rate limiter's slot by `connect`.
pub(super) fn starts_shared(name: &str) -> bool {
    crate::scope::current() == 0
        && super::budgets::live()
            .as_ref()
            .is_some_and(|options| options.shares_rate_limiter(name))
}

/// Permits a process leases at a time: enough to keep up with the whole rate between two
/// flushes, at least `lease_batch`, never more than the bucket holds (`burst`).
pub(super) fn lease_of(limiter: &RateLimiter, options: &FleetOptions) -> i64 {
    let config = limiter.config();
    let per_flush = (f64::from(config.per_second()) * options.flush_interval.as_secs_f64()).ceil();
    // At most 10 s x 1e9 a second: exact in a f64 and an i64.
    #[allow(clippy::cast_possible_truncation)]
    let per_flush = per_flush as i64;
    per_flush
        .max(i64::from(options.lease_batch))
        .min(i64::from(config.burst()))
}

/// The wait before the next top-up: `flush_interval` x a uniform draw in [0.5, 1.5).
pub(super) fn next_flush(options: &FleetOptions) -> Duration {
    options
        .flush_interval
        .mul_f64(0.5 + crate::rng::unit_draw())
}

/// The rate limiters this link shares now, with when each last asked Redis.
#[derive(Default)]
pub(super) struct FleetRateLimits {
    joined: HashMap<&'static str, Option<Instant>>,
}

impl FleetRateLimits {
    /// Tops up every shared limiter's pool to one lease (repaying permits borrowed by calls
    /// that wait), and counts this process as a member; a limiter registered since the last
    /// flush joins the fleet now.
    pub(super) async fn flush(
        &mut self,
        connection: &mut Connection,
        scripts: &Scripts,
        options: &FleetOptions,
        origin: u64,
    ) -> Result<(), Down> {
        for limiter in crate::rate_limit::registry::rate_limiters_snapshot() {
            if !options.shares_rate_limiter(limiter.name()) {
                continue;
            }
            let asked = self.joined.entry(limiter.name()).or_insert_with(|| {
                limiter.join_fleet();
                None
            });
            let lease = lease_of(limiter, options);
            let pool = limiter.leased_permits();
            let wanted = if pool < lease { lease - pool } else { 0 };
            if wanted == 0 && asked.is_some_and(|at| at.elapsed() < MEMBER_REFRESH) {
                continue;
            }
            let config = limiter.config();
            let burst_milli = i64::from(config.burst()) * 1000;
            let (leased, _fleet_balance, members): (Vec<u8>, Vec<u8>, Vec<u8>) = scripts
                .budget
                .key(scripts.rate_key(limiter.name()))
                .key(scripts.rate_members_key(limiter.name()))
                .arg(0) // calls
                .arg(0) // share
                .arg(i64::from(config.per_second()) * 1000)
                .arg(burst_milli)
                .arg(burst_milli)
                .arg(wanted * 1000)
                .arg(millis(options.state_ttl))
                .arg(origin)
                .arg(millis(MEMBER_WINDOW))
                .invoke_async(connection)
                .await?;
            *asked = Some(Instant::now());
            let number = |bytes: &[u8]| std::str::from_utf8(bytes).ok()?.parse::<i64>().ok();
            let leased = number(&leased)
                .filter(|leased| (0..=wanted * 1000).contains(leased) && leased % 1000 == 0)
                .ok_or_else(|| {
                    Down::Unexpected(format!(
                        "a lease of `{}` permits (milli)",
                        String::from_utf8_lossy(&leased)
                    ))
                })?;
            let members = number(&members)
                .and_then(|members| u32::try_from(members).ok())
                .filter(|members| (1..=MAX_MEMBERS).contains(members))
                .ok_or_else(|| {
                    Down::Unexpected(format!(
                        "a count of `{}` members",
                        String::from_utf8_lossy(&members)
                    ))
                })?;
            limiter.credit_lease(
                leased / 1000,
                members,
                u32::try_from(lease).unwrap_or(u32::MAX),
            );
        }
        Ok(())
    }

    /// The link lost Redis: every shared limiter admits its last known share until it is back.
    pub(super) fn down(&mut self) {
        self.joined.clear();
        for limiter in crate::rate_limit::registry::rate_limiters_snapshot() {
            if limiter.is_leased() {
                limiter.share_while_down();
            }
        }
    }

    /// The link stopped: every limiter is its process's own again.
    pub(super) fn stop(&mut self) {
        self.joined.clear();
        leave_all();
    }
}

/// Every limiter shared now (leased, or at its share) is its process's own again.
pub(super) fn leave_all() {
    for limiter in crate::rate_limit::registry::rate_limiters_snapshot() {
        limiter.leave_fleet();
    }
}
