//! The link's task: one session with Redis at a time, and between sessions a wait with backoff.
//!
//! A session opens a command connection and a pub/sub connection, publishes what changed here
//! while the link was down, reads the stored states (a late or reconnecting process catches
//! up), republishes states this process holds that Redis lost (a server restarted empty), then
//! serves: local transitions are published (first, so that a fleet state that arrives at the
//! same moment is older than this process's newest, not the other way round), publications are
//! applied, and budgets are flushed every `flush_interval`. Any error or timeout ends the
//! session: one WARN per outage, budgets go back to local, and transitions made meanwhile are
//! remembered (one entry per breaker, not a queue) for the next session. A session counts as
//! up (connected, INFO, backoff reset) only once its catch-up and first flush succeeded, so
//! sessions that a server ends before that (it refuses the scripts) are one outage.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::connection::{Connection, Target};
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::breaker_state::BreakerState;
use crate::{Backoff, Jitter};

use super::budgets::{FleetBudgets, millis};
use super::message::{MAX_VERSION, Versioned, open_ms, parse_fields, parse_message, state_name};
use super::options::FleetOptions;
use super::outbox::Inbox;
use super::rate_limits::FleetRateLimits;
use super::scripts::{COUNTER_AHEAD, Scripts};
use super::tls::Refusal;
use super::{Down, Status, breakers};

/// The link reads Redis's clock and version counter this often (which also notices a server
/// that stopped answering).
const PING_EVERY: Duration = Duration::from_secs(1);

/// How far ahead of the fleet's clock (Redis's clock or version counter, whichever is ahead, as
/// last read) a version may be: beyond it, a state is refused. Versions run ahead of Redis's
/// clock only by one microsecond per publication within the same microsecond, so this leaves
/// room for the time between two readings; a crafted or corrupt version can freeze a breaker
/// for no longer than this.
const MAX_AHEAD: Duration = Duration::from_secs(5);

/// At most one WARN about versions ahead of the fleet's clock this often.
const AHEAD_WARN_EVERY: Duration = Duration::from_secs(60);

/// The most stored states read at connection.
const MAX_STORED: usize = 10_000;

/// The fleet's extra keep for an open state past its open period.
const OPEN_MARGIN: Duration = Duration::from_secs(1);

pub(super) struct Link {
    target: Target,
    /// Sessions started (a cluster's pub/sub connection goes to each node in turn).
    sessions: usize,
    options: Arc<FleetOptions>,
    status: Arc<Status>,
    scripts: Scripts,
    inbox: Inbox,
    /// Breakers that may have a transition to publish (their flag says whether they do).
    dirty: HashSet<&'static str>,
    budgets: FleetBudgets,
    rate_limits: FleetRateLimits,
    /// Since when the link has been down, if it is.
    down_since: Option<Instant>,
    ever_up: bool,
    /// The current session got as far as catching up with the fleet (counted as up).
    up_in_session: bool,
    /// Redis's clock minus this machine's, in microseconds, as last read.
    clock_offset_us: i64,
    /// Redis's version counter, as last read.
    counter_seen: u64,
    /// When a version ahead of the fleet's clock was last reported.
    ahead_warned: Option<Instant>,
    /// When a version counter out of range was last reported.
    counter_warned: Option<Instant>,
    /// The refusals (certificate, password) already named in a WARN during this outage.
    refusals_warned: Vec<Refusal>,
}

impl Link {
    pub(super) fn new(
        target: Target,
        options: Arc<FleetOptions>,
        status: Arc<Status>,
        inbox: Inbox,
    ) -> Link {
        Link {
            target,
            sessions: 0,
            scripts: Scripts::new(&options.prefix),
            options,
            status,
            inbox,
            dirty: HashSet::new(),
            budgets: FleetBudgets::default(),
            rate_limits: FleetRateLimits::default(),
            down_since: None,
            ever_up: false,
            up_in_session: false,
            clock_offset_us: 0,
            counter_seen: 0,
            ahead_warned: None,
            counter_warned: None,
            refusals_warned: Vec::new(),
        }
    }

    /// Runs sessions until `stop` says so (or its sender is gone).
    pub(super) async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0_u32;
        let mut previous = Duration::ZERO;
        loop {
            let down = tokio::select! {
                biased;
                _ = stop.changed() => break,
                result = self.session() => match result {
                    Err(down) => down,
                    Ok(never) => match never {},
                },
            };
            self.went_down(&down);
            if std::mem::take(&mut self.up_in_session) {
                // It was up: the next outage backs off from the start.
                failures = 0;
                previous = Duration::ZERO;
            }
            let delay = self.backoff(failures, previous);
            failures = failures.saturating_add(1);
            previous = delay;
            // Wait, remembering which breakers changed meanwhile.
            let wait = tokio::time::sleep(delay);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    biased;
                    _ = stop.changed() => {
                        self.stopped();
                        return;
                    }
                    () = &mut wait => break,
                    Some(name) = self.inbox.recv() => {
                        self.dirty.insert(name);
                    }
                }
            }
        }
        self.stopped();
    }

    fn stopped(&mut self) {
        super::budgets::set_live(None);
        self.budgets.leave();
        self.rate_limits.stop();
        breakers::close();
        self.status.set_connected(false);
    }

    /// The wait before the next attempt: exponential from `reconnect_min` to `reconnect_max`,
    /// drawn in its upper half.
    fn backoff(&self, failures: u32, previous: Duration) -> Duration {
        let (base, cap) = (self.options.reconnect_min, self.options.reconnect_max);
        let nominal = Backoff::Exponential { factor: 2.0 }.nominal_delay(failures, base, cap);
        Jitter::Equal.apply(nominal, base, cap, previous, crate::rng::unit_draw())
    }

    /// One WARN per outage, with what to check when the server refused the link (its
    /// certificate, the password); one more if a refusal not named yet comes later in the same
    /// outage (a server back with another certificate or password). Each other failed attempt
    /// is a DEBUG line.
    fn went_down(&mut self, down: &Down) {
        self.status.set_connected(false);
        super::budgets::set_live(None);
        self.budgets.leave();
        self.rate_limits.down();
        let refusal = down.refusal();
        let hint = refusal.map_or(String::new(), |refusal| format!(" ({})", refusal.hint()));
        let url = &self.status.url;
        if self.down_since.is_none() {
            self.down_since = Some(Instant::now());
            self.refusals_warned.clear();
            self.refusals_warned.extend(refusal);
            let what = if self.ever_up { "lost" } else { "not reached" };
            tracing::warn!(
                target: crate::TRACING_TARGET,
                url = %url,
                error = %down,
                "fleet link to {url} {what}: {down}{hint}; local state goes on, reconnecting"
            );
        } else if let Some(refusal) = refusal
            && !self.refusals_warned.contains(&refusal)
        {
            self.refusals_warned.push(refusal);
            tracing::warn!(
                target: crate::TRACING_TARGET,
                url = %url,
                error = %down,
                "fleet link to {url} still down: {down}{hint}; local state goes on, reconnecting"
            );
        } else {
            tracing::debug!(
                target: crate::TRACING_TARGET,
                url = %url,
                error = %down,
                "fleet link to {url} still down: {down}; reconnecting"
            );
        }
    }

    /// The session caught up with the fleet: only now is the link counted as up (a server that
    /// accepts connections but refuses the scripts never is, and its sessions stay one outage).
    fn came_up(&mut self) {
        self.status.set_connected(true);
        match self.down_since.take() {
            Some(since) if self.ever_up => tracing::info!(
                target: crate::TRACING_TARGET,
                url = %self.status.url,
                "fleet link to {} restored after {:?}",
                self.status.url,
                since.elapsed()
            ),
            _ => tracing::info!(
                target: crate::TRACING_TARGET,
                url = %self.status.url,
                "fleet link to {} connected",
                self.status.url
            ),
        }
        self.ever_up = true;
        self.up_in_session = true;
    }

    /// One connection's life; it only ends with the reason it ended.
    async fn session(&mut self) -> Result<Infallible, Down> {
        let timeout = self.options.response_timeout;
        self.sessions = self.sessions.wrapping_add(1);
        let mut connection = self.target.connect(timeout).await?;
        let mut pubsub = self.target.pubsub(self.sessions, timeout).await?;
        within(timeout, pubsub.subscribe(self.scripts.channel())).await?;
        let mut messages = pubsub.into_on_message();
        self.read_fleet_clock(&mut connection).await?;
        let known = breakers::highest_version();
        if known > self.fleet_now() {
            // Redis lost its counter and its clock is behind versions this process saw (a
            // restart, empty or from an old snapshot, on a clock behind): new versions would
            // look stale for as long. Redis's versions order the fleet from now on.
            tracing::warn!(
                target: crate::TRACING_TARGET,
                url = %self.status.url,
                known,
                fleet_clock = self.fleet_now(),
                "fleet link: Redis's versions are behind those this process saw; following Redis's from now on"
            );
            breakers::rebase();
        }
        self.catch_up(&mut connection).await?;
        // Budgets join (and take their first lease) before the handle says the link is synced,
        // so no call after `wait_synced` spends a reserve of the process's own; one created from
        // now on starts shared (and joins at this flush or the next).
        super::budgets::set_live(Some(Arc::clone(&self.options)));
        self.budgets
            .flush(&mut connection, &self.scripts, &self.options)
            .await?;
        self.rate_limits
            .flush(
                &mut connection,
                &self.scripts,
                &self.options,
                self.status.origin,
            )
            .await?;
        self.came_up();
        self.status.set_synced();
        let mut tick = tokio::time::interval(self.options.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Rate limiters are topped up at `flush_interval` on average, each time after a random
        // half to one and a half of it: processes that ask in a fixed phase would split a scarce
        // limit by who asks first after each permit is earned, always the same one.
        let rate_tick = tokio::time::sleep(super::rate_limits::next_flush(&self.options));
        tokio::pin!(rate_tick);
        let mut last_asked = Instant::now();
        loop {
            tokio::select! {
                biased;
                Some(name) = self.inbox.recv() => {
                    self.dirty.insert(name);
                    while let Some(name) = self.inbox.try_recv() {
                        self.dirty.insert(name);
                    }
                    self.publish_dirty(&mut connection).await?;
                }
                message = messages.next() => {
                    let message = message.ok_or(Down::Closed)?;
                    match message.get_payload::<String>() {
                        Ok(text) => self.receive(&text),
                        Err(error) => ignored("a publication that is not text", &error),
                    }
                }
                () = &mut rate_tick => {
                    self.rate_limits
                        .flush(&mut connection, &self.scripts, &self.options, self.status.origin)
                        .await?;
                    let next = super::rate_limits::next_flush(&self.options);
                    rate_tick.as_mut().reset(tokio::time::Instant::now() + next);
                }
                _ = tick.tick() => {
                    if self.inbox.take_overflow() {
                        self.all_queued();
                        self.publish_dirty(&mut connection).await?;
                    }
                    self.budgets.flush(&mut connection, &self.scripts, &self.options).await?;
                    if last_asked.elapsed() >= PING_EVERY {
                        self.read_fleet_clock(&mut connection).await?;
                        self.rebase_if_ahead();
                        last_asked = Instant::now();
                    }
                }
            }
        }
    }

    /// At connection: publish what changed here while the link was down (newer than anything
    /// stored before the outage), take the stored states newer than this process's, and
    /// republish states Redis lost.
    async fn catch_up(&mut self, connection: &mut Connection) -> Result<(), Down> {
        let _ = self.inbox.take_overflow();
        while let Some(name) = self.inbox.try_recv() {
            self.dirty.insert(name);
        }
        self.all_queued();
        self.publish_dirty(connection).await?;
        // Raw bytes: one entry that is not text (or not a state) is skipped, not the read.
        let fields: Vec<Vec<u8>> = self
            .scripts
            .read
            .key(self.scripts.names_key())
            .arg(self.scripts.breaker_key_prefix())
            .arg(MAX_STORED)
            .invoke_async(connection)
            .await?;
        let mut stored = HashMap::new();
        for state in fields.chunks_exact(6) {
            let text: Result<Vec<&str>, _> = state
                .iter()
                .map(|field| std::str::from_utf8(field))
                .collect();
            let said = match text {
                Ok(text) => parse_fields(text[0], text[1], text[2], text[3], text[4], text[5]),
                Err(error) => Err(format!("a field is not UTF-8: {error}")),
            };
            match said {
                Ok(said) if self.believable(&said) => {
                    stored.insert(said.name.clone(), said.version);
                    breakers::consider(&said);
                }
                Ok(_) => {}
                Err(reason) => ignored("a stored breaker state", &reason),
            }
        }
        for breaker in crate::breaker::registry::breakers_snapshot() {
            if !self.options.shares_breaker(breaker.name()) {
                continue;
            }
            let Some(shared) = breakers::snapshot(breaker) else {
                continue;
            };
            let kept = breakers::version_of(breaker.name());
            let republish = match stored.get(breaker.name()) {
                // Older than the state this process knows (a server restored from an old
                // snapshot): this process's state, under its version, corrects it.
                Some(stored) => kept.is_some_and(|kept| *stored < kept),
                // Lost (a server restarted empty): a state other than closed is written back.
                None => match shared.state {
                    BreakerState::Open => !shared.open_for_left.is_zero(),
                    BreakerState::Closed | BreakerState::HalfOpen => false,
                    _ => true,
                },
            };
            if republish {
                self.publish(connection, breaker.name(), shared, kept)
                    .await?;
            }
        }
        Ok(())
    }

    /// Reads Redis's clock and version counter: the fleet's clock, against which versions are
    /// believed.
    async fn read_fleet_clock(&mut self, connection: &mut Connection) -> Result<(), Down> {
        let (seconds, micros, counter): (Vec<u8>, Vec<u8>, Vec<u8>) = self
            .scripts
            .clock
            .key(self.scripts.version_key())
            .invoke_async(connection)
            .await?;
        let number = |bytes: &[u8]| std::str::from_utf8(bytes).ok()?.parse::<u64>().ok();
        let (Some(seconds), Some(micros)) = (number(&seconds), number(&micros)) else {
            return Err(Down::Unexpected(format!(
                "a time of `{} {}`",
                String::from_utf8_lossy(&seconds),
                String::from_utf8_lossy(&micros)
            )));
        };
        let counter = Some(counter).filter(|counter| !counter.is_empty());
        let redis_us = seconds.saturating_mul(1_000_000).saturating_add(micros);
        self.clock_offset_us =
            i64::try_from(i128::from(redis_us) - i128::from(wall_micros())).unwrap_or(0);
        // Range-checked like every value read from Redis: a counter that is not a whole number
        // within `COUNTER_AHEAD` of Redis's clock is not the fleet's clock (the next publication
        // re-bases it on Redis's clock), so it makes no version believable.
        let most = redis_us.saturating_add(micros_of(COUNTER_AHEAD));
        let read = counter.as_deref().map(|counter| {
            std::str::from_utf8(counter)
                .ok()
                .and_then(|text| text.parse::<u64>().ok())
                .filter(|counter| *counter <= most)
                .ok_or_else(|| String::from_utf8_lossy(counter).into_owned())
        });
        self.counter_seen = match read {
            None => 0,
            Some(Ok(counter)) => counter,
            Some(Err(shown)) => {
                self.counter_refused(&shown);
                0
            }
        };
        Ok(())
    }

    /// The version counter holds a value that is no version: one WARN a minute says so.
    fn counter_refused(&mut self, shown: &str) {
        let shown: String = shown.chars().take(48).collect();
        if self
            .counter_warned
            .is_none_or(|warned| warned.elapsed() >= AHEAD_WARN_EVERY)
        {
            self.counter_warned = Some(Instant::now());
            tracing::warn!(
                target: crate::TRACING_TARGET,
                key = self.scripts.version_key(),
                value = %shown,
                "fleet link: the version counter holds `{shown}`, not a version within {COUNTER_AHEAD:?} of Redis's clock; the next publication re-bases it on Redis's clock"
            );
        } else {
            ignored("a version counter out of range", &shown);
        }
    }

    /// This process knows versions further ahead of the fleet's clock than any it believed
    /// (Redis's counter was re-based, or Redis went back while the session lasted): it forgets
    /// them, as at a connection to a Redis behind the fleet, so that new versions order the
    /// fleet's states again rather than look stale.
    fn rebase_if_ahead(&mut self) {
        let known = breakers::highest_version();
        let fleet_now = self.fleet_now();
        if known > fleet_now.saturating_add(micros_of(MAX_AHEAD) * 2) {
            tracing::warn!(
                target: crate::TRACING_TARGET,
                url = %self.status.url,
                known,
                fleet_clock = fleet_now,
                "fleet link: Redis's versions went back behind those this process saw; following Redis's from now on"
            );
            breakers::rebase();
        }
    }

    /// The fleet's clock now, as this process sees it: the next version Redis would give out.
    fn fleet_now(&self) -> u64 {
        let redis_now = i128::from(wall_micros()) + i128::from(self.clock_offset_us);
        u64::try_from(redis_now.max(0))
            .unwrap_or(u64::MAX)
            .max(self.counter_seen)
    }

    /// Whether `said`'s version is no further ahead of the fleet's clock than `MAX_AHEAD`; one
    /// beyond is refused (it would make every state after it look stale), with a WARN at most
    /// every `AHEAD_WARN_EVERY`.
    fn believable(&mut self, said: &Versioned) -> bool {
        let limit = self.fleet_now().saturating_add(micros_of(MAX_AHEAD));
        if said.version <= limit {
            return true;
        }
        if self
            .ahead_warned
            .is_none_or(|warned| warned.elapsed() >= AHEAD_WARN_EVERY)
        {
            self.ahead_warned = Some(Instant::now());
            tracing::warn!(
                target: crate::TRACING_TARGET,
                name = said.name,
                version = said.version,
                limit,
                "fleet link: refused a breaker state whose version is ahead of the fleet's clock (crafted, or from a server with its clock ahead); more are refused quietly for a minute"
            );
        } else {
            ignored("a state ahead of the fleet's clock", &said.version);
        }
        false
    }

    /// A publication: applied if it is the newest for its breaker.
    fn receive(&mut self, text: &str) {
        match parse_message(text) {
            Ok(said) if self.believable(&said) => breakers::consider(&said),
            Ok(_) => {}
            Err(reason) => ignored("a publication", &reason),
        }
    }

    /// Every breaker with a transition still to publish (after the channel overflowed, or at
    /// connection).
    fn all_queued(&mut self) {
        for breaker in crate::breaker::registry::breakers_snapshot() {
            if breaker.transition_queued().load(Ordering::Acquire) {
                self.dirty.insert(breaker.name());
            }
        }
    }

    /// Publishes the current state of every breaker that changed; one that fails stays marked.
    async fn publish_dirty(&mut self, connection: &mut Connection) -> Result<(), Down> {
        let names: Vec<&'static str> = self.dirty.iter().copied().collect();
        for name in names {
            if let Some(breaker) = crate::breaker::registry::breaker(name)
                // Cleared before the state is read: a transition after this queues it again.
                && breaker.transition_queued().swap(false, Ordering::AcqRel)
                && self.options.shares_breaker(name)
                && let Some(shared) = breakers::snapshot(breaker)
                && let Err(down) = self.publish(connection, name, shared, None).await
            {
                breaker.transition_queued().store(true, Ordering::Release);
                return Err(down);
            }
            self.dirty.remove(name);
        }
        Ok(())
    }

    async fn publish(
        &self,
        connection: &mut Connection,
        name: &str,
        shared: super::message::SharedState,
        kept_version: Option<u64>,
    ) -> Result<(), Down> {
        let open = open_ms(shared.open_for_left);
        let keep = if shared.state == BreakerState::Open {
            open.saturating_add(millis(OPEN_MARGIN))
        } else {
            millis(self.options.state_ttl)
        };
        let version: String = self
            .scripts
            .publish
            .key(self.scripts.breaker_key(name))
            .key(self.scripts.version_key())
            .key(self.scripts.names_key())
            .key(self.scripts.versions_key())
            .arg(name)
            .arg(state_name(shared.state))
            .arg(shared.trips_in_a_row)
            .arg(open)
            .arg(self.status.origin)
            .arg(keep)
            .arg(self.scripts.channel())
            .arg(
                kept_version
                    .map(|version| version.to_string())
                    .unwrap_or_default(),
            )
            .arg(breakers::version_of(name).unwrap_or(0))
            .arg(micros_of(COUNTER_AHEAD))
            .invoke_async(connection)
            .await?;
        if version.is_empty() && kept_version.is_some() {
            return Ok(()); // a newer state is stored, and published to this process too
        }
        // The script re-bases a counter out of range, so a version past what versions count is
        // not its answer.
        let version = version
            .parse::<u64>()
            .ok()
            .filter(|version| *version <= MAX_VERSION)
            .ok_or_else(|| Down::Unexpected(format!("a version of `{version}`")))?;
        tracing::debug!(
            target: crate::TRACING_TARGET,
            name,
            state = %shared.state,
            version,
            kept = kept_version.is_some(),
            "fleet link: published a breaker state"
        );
        breakers::published(name, version);
        Ok(())
    }
}

/// Whole microseconds, saturating.
fn micros_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Microseconds since the Unix epoch on this machine's clock.
fn wall_micros() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros(),
    )
    .unwrap_or(u64::MAX)
}

/// Something from Redis that is not what the link wrote: skipped, at DEBUG.
fn ignored(what: &str, reason: &dyn std::fmt::Display) {
    tracing::debug!(
        target: crate::TRACING_TARGET,
        %reason,
        "fleet link: ignored {what}"
    );
}

/// `future`, or `Down::TimedOut` after `timeout`.
pub(super) async fn within<T>(
    timeout: Duration,
    future: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, Down> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(Down::TimedOut(timeout)),
    }
}
