//! A fleet, not one process (feature `redis`): circuit breakers, retry budgets and rate
//! limits shared by every process of a service through Redis.
//!
//! Without it, each process learns on its own that a dependency is down (each pays
//! `failure_threshold` failures), and a retry budget bounds retries per process, so N processes
//! in a storm spend N reserves. With a link connected, a breaker that trips in one process is
//! opened in all of them for the time it has left, a recovery or a manual state spreads the same
//! way, a process that starts late begins with the fleet's states, and a budget's tokens are
//! the fleet's.
//!
//! ```no_run
//! use retry_runtime::fleet::{self, FleetOptions};
//! use retry_runtime::{BudgetConfig, register_budget};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // Budgets registered before connecting join the fleet at the link's first catch-up (before
//!     // `wait_synced` is true); ones created while the link is up start with the fleet's tokens.
//!     register_budget("api", BudgetConfig::DEFAULT)?;
//!     let fleet = fleet::connect("redis://127.0.0.1:6379/", FleetOptions::new().prefix("orders"))?;
//!     // Optional: start serving with the fleet's states (a late process starts open).
//!     if !fleet.wait_synced(std::time::Duration::from_millis(500)) {
//!         eprintln!("Redis not reached yet; starting with local state");
//!     }
//!     // ... serve: #[circuit_breaker(name = "db")] and #[retry(budget = "api")] sites share
//!     // their state with every process connected to the same Redis under "orders".
//!     fleet.shutdown(); // or drop it
//!     Ok(())
//! }
//! ```
//!
//! # The model
//!
//! [`connect`] starts one thread (`retry-runtime-fleet`) running its own current-thread tokio
//! runtime, so it works from a sync `main` or beside any runtime, and never competes with the
//! application's tasks. The link keeps one command connection and one pub/sub connection.
//!
//! - **Breakers.** A transition of a shared breaker sets the breaker's flag and names it to the
//!   link (a bounded channel, `try_send`, once until the link takes it); the link reads the
//!   breaker's state and runs one Lua script that gives it the next fleet version, stores it (state, trips in a row, the end of its open period on
//!   Redis's clock, version, origin process) with an expiry, and publishes it. Every process
//!   applies a publication whose version is newer than the last it saw for that breaker. Open
//!   spreads with its time left (never more than the receiver's `max_open_for`; an open
//!   breaker takes it only if it ends later than its own open period); forced open,
//!   disabled, metrics only and closed spread as they are; half-open does not (each process
//!   probes on its own), but its outcome does: a probe that succeeds closes the breaker
//!   everywhere, one that fails reopens it everywhere.
//! - **Budgets.** A shared budget's tokens live in Redis: an atomic script credits `share` x
//!   calls and the `min_per_second` trickle (capped at `cap`, starting from one reserve for the
//!   whole fleet) and leases each process small batches of tokens. Calls are counted and
//!   retries paid from the leased pool with the same atomics as a local budget; the link flushes
//!   the count and tops the pool up every `flush_interval`. A storm across any number of
//!   processes then retries at most `share` x calls + one reserve + the trickle, while the link
//!   is up. A budget created while the link is up starts shared, with no tokens of its own (it
//!   retries with what the next flush leases it); one created while the link is down, or
//!   before [`connect`], holds a local reserve until it joins at the next catch-up, so each such
//!   process may spend one reserve of its own on top. A lease never exceeds what the budget can
//!   hold (its `cap`).
//! - **Rate limits.** A shared `#[rate_limit]`'s permits live in Redis, in a token bucket kept
//!   by the budgets' script (no calls; `per_second` a second, up to `burst`, starting full),
//!   which leases each process a batch at a time: `max(lease_batch, per_second x
//!   flush_interval)`, at most `burst`. A call takes a leased permit with one atomic, or is
//!   rejected when none is left; a call that may wait (`max_wait`) borrows the next one (at
//!   most one lease ahead) and sleeps for the time its process's share of the rate takes to
//!   earn it. The link tops pools up every `flush_interval` on average (each wait drawn from
//!   a half to one and a half of it, so that processes do not ask in a fixed order). Over any
//!   `t` seconds the fleet admits at most `burst + per_second x t` calls plus the permits its
//!   processes held when the `t` seconds began (at most one lease each) and, for calls that
//!   wait, what they borrowed (one more lease each). Only registered limiters are shared
//!   (not [`RateLimiter::new`](crate::RateLimiter::new)'s); one created while the link is up
//!   starts with no permits of its own (its calls are rejected, or wait, until the next
//!   flush); one registered before connecting joins at the first catch-up.
//!
//!   While Redis is down, each process admits its **last known share**: `per_second / n`
//!   calls a second with bursts of `burst / n` (at least one), `n` being the processes that
//!   asked Redis for that limiter in the last 3 s (each asks at least every second while
//!   linked), as Redis counted them at the last lease. So a fleet whose processes stay the same
//!   stays within its limit through an outage; one that grows meanwhile may exceed it, by the
//!   new processes' shares. A limiter that never had a lease (Redis unreachable since start-up)
//!   admits its whole limit in each process, as without a link; so does every limiter once the
//!   link is shut down.
//!
//! # Ordering
//!
//! Versions come from one counter in Redis (its clock in microseconds, bumped past the last
//! one), so they are totally ordered and only grow while Redis keeps its data. A process
//! applies a state only over an older version, so a stale publication never undoes a newer
//! state, and applying one twice does nothing. States this process publishes are never applied
//! back to it (the link marks the transitions it applies and does not publish them: no echo).
//! Local transitions are published before publications that arrive at the same moment are
//! applied, so the fleet settles on the newest.
//!
//! What guards the order when Redis or a message does not keep it:
//!
//! - **Versions ahead of the fleet's clock are refused.** The link reads Redis's clock and
//!   counter at connection and every second; a state (published or stored) whose version is
//!   more than 5 s ahead of them is not applied (one WARN a minute says so), so a crafted or
//!   corrupt version cannot freeze a breaker. One within the 5 s delays no later transition:
//!   a new state's version is also above the newest its process knows for that breaker, so a
//!   transition always supersedes every state its process has seen.
//! - **Redis behind the fleet: its versions rule.** If at connection Redis's clock and counter
//!   are both behind the newest version this process knows (a server restarted empty, or from
//!   an old snapshot, with its clock behind), the process forgets its versions: the states
//!   Redis stores are applied (a snapshot restored on a clock behind is then taken as it is),
//!   and its own that Redis lacks are republished as new versions, so processes agree again on
//!   Redis's order rather than each waiting for the clock to catch up.
//! - **A counter out of range is re-based.** `P:version` is believed only as a whole number
//!   within an hour of Redis's clock: anything else (written by hand or by another program,
//!   or past what a Lua double counts exactly: 2^53 + 1, `i64::MAX`, 10^38) makes no version
//!   believable, and the next publication starts the counter over from Redis's clock (one
//!   WARN a minute says so). A process that knows versions more than 10 s past the fleet's
//!   clock then forgets them, as below, so later transitions spread rather than look stale.
//! - **Catch-up corrects Redis.** After publishing what changed during an outage, a connecting
//!   process reads the stored states. A state Redis lost (restarted empty) is republished
//!   unless it is closed; one stored with an older version than this process knows (restored
//!   from an old snapshot) is overwritten with this process's state. Both keep the version they
//!   had, and the script writes them only if neither the stored state nor the last version
//!   written for that breaker (`P:versions`, which does not expire) is as new: a change another
//!   process made meanwhile, even one that has expired since, is never undone.
//!
//! So, once Redis is reachable and no process changes a breaker, the connected processes and
//! every process that starts later converge on the state with the newest version that Redis or
//! a connected process knew, whatever the interleaving of publications, outages and restarts.
//! Not guaranteed: two processes that change one breaker during the same outage each keep
//! their change until they reconnect, and then the one published last wins; a state that
//! expired in Redis (after `state_ttl`, or an open one after its period) is not given to a
//! process that starts later, and a process that missed it keeps its own older state (which
//! is not written back over it either).

//! # Costs
//!
//! Nothing is added to a call's path: a closed breaker's call, a success or failure that does
//! not change its state, a budget's deposit and withdrawal cost what they cost without the
//! feature, plus one relaxed load for a budget or a rate limiter (is it shared?); a shared
//! budget's deposit only counts the call (Redis credits the share), and a shared rate
//! limiter's admission is one compare-and-swap on its leased pool (the local GCRA's is one
//! too). A transition (rare) adds a flag swap and a
//! `try_send`. Nothing on a call's path awaits Redis or takes a lock for it; applying a fleet
//! state happens on the link's thread.
//!
//! # When Redis fails
//!
//! Down, slow (no answer within `response_timeout`), restarted or unreachable from the start:
//! every process goes on with its local state (breakers keep their states and counts, budgets
//! are the process's own again with the tokens they hold, so during an outage each process
//! spends its own budget; shared rate limiters admit the process's last known share of the
//! limit, see [the model](#the-model)), the link logs one WARN per outage (`fleet link to redis://...
//! lost: ...; local state goes on, reconnecting`) and reconnects with exponential backoff and
//! jitter (50 ms doubling to 1 s by default), and one INFO when it is back. The link counts as
//! back ([`Fleet::is_connected`], the INFO, the backoff starting over) only once a session has
//! caught up: a server that accepts connections but refuses the scripts (a read-only replica
//! after a failover, out of memory, an ACL without `EVALSHA`) is one outage, backing off, not
//! a link that flaps. Transitions made meanwhile are remembered, one entry per breaker (never a
//! queue that grows), and published first when it is back; then it catches up (see
//! [Ordering](#ordering)), so the fleet converges. Entries in Redis that are not what the
//! link wrote (not UTF-8, malformed) are skipped one by one, at DEBUG. A URL that does not
//! parse is an error of [`connect`] (passwords, also `?pass=` and `?password=`, are never
//! shown); a server that cannot be reached is not.
//!
//! # TLS and authentication
//!
//! Managed Redis services ask for both. With feature `redis-tls`, a `rediss://` URL links over
//! TLS (rustls, with ring's cryptography: no system OpenSSL). The server's certificate is
//! checked against the CA given with [`FleetOptions::ca_certificate`] (PEM) or
//! [`FleetOptions::ca_certificate_file`], or against the system's roots without one, and must
//! name the URL's host or IP address. An ACL user and password go in the URL
//! (`rediss://user:password@host:6380/`, or `rediss://:password@host:6380/` for
//! `requirepass`; percent-encode `@`, `:` or `/` in them).
//!
//! ```no_run
//! use retry_runtime::fleet::{self, FleetOptions};
//!
//! let options = FleetOptions::new()
//!     .prefix("orders")
//!     .ca_certificate_file("/etc/redis/ca.pem");
//! let fleet = fleet::connect("rediss://orders:PASSWORD@redis.internal:6380/", options)?;
//! # drop(fleet);
//! # Ok::<(), retry_runtime::fleet::FleetError>(())
//! ```
//!
//! [`connect`] checks what can be checked before connecting, and returns an error that names
//! the option, the file and why: a CA file that cannot be read, is not a regular file or holds
//! more than 1 MiB (it is read no further), PEM without a certificate or with one that is not
//! a valid X.509 certificate, a CA given with a URL that is not `rediss://`, `#insecure` (no
//! check of the server's certificate: not offered), and `rediss://` without the feature. A
//! server that refuses the link is not an error of `connect`: the link logs one WARN that says
//! what to check, such as `fleet link to rediss://***@host:6380/ not reached: invalid peer
//! certificate: UnknownIssuer (the server's certificate is not trusted: is it signed by the CA
//! given ...)`, `... Password authentication failed - AuthenticationFailed (Redis refused the
//! user and password in the URL ...)`, or `... (the TLS handshake failed: do the server and
//! rustls share a TLS version ...)`, and keeps reconnecting with its backoff (a
//! DEBUG line for each attempt), while calls go on with the local state. A refusal that starts
//! later in an outage (Redis back with another certificate or password after being unreachable)
//! gets one WARN of its own. No log line, error or [`Fleet::url`] shows a password: the user
//! information is shown as `***`.
//!
//! rustls takes its cryptography from the process's default provider: if none is installed
//! when [`connect`] is called, the link installs ring's (as rustls itself does when ring is the
//! only one built); an application that installs another one before `connect` keeps it.
//!
//! # What stays each process's own
//!
//! Counts: a breaker's [`counts`](crate::CircuitBreaker::counts) are this process's calls (a
//! breaker the fleet opened counts no trip of its own), and a shared budget's
//! [`counts`](crate::RetryBudget::counts) are this process's calls and retries, with the
//! tokens leased to it as its balance. Half-open probes, failure windows and test scopes
//! ([`testing::scope`](crate::testing::scope)) are local too: breakers of a test scope are
//! never shared. Transitions made before [`connect`] are not published; the fleet's stored
//! states are applied over them, so connect at start-up, before serving. A stored state read
//! for a breaker that has not registered yet waits for it, no longer than `state_ttl`.
//!
//! A fleet needs one Redis server (or a primary), or a Redis Cluster ([`connect_cluster`]:
//! every key of a prefix is in one hash slot, `{prefix}:...`). Give every process the same breaker, budget and rate limit
//! settings; each applies a fleet state with its own limits (a rate limiter's bucket in Redis
//! takes the settings of the process that asks).

mod breakers;
mod budgets;
mod connection;
mod error;
mod link;
mod message;
mod options;
mod outbox;
mod rate_limits;
mod scripts;
mod tls;

use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub use error::FleetError;
pub use options::FleetOptions;

/// A running fleet link, from [`connect`]. Dropping it (or [`shutdown`](Fleet::shutdown))
/// stops the link: breakers, budgets and rate limiters are this process's own again, as they
/// are.
///
/// ```no_run
/// use retry_runtime::fleet::{self, FleetOptions};
///
/// let fleet = fleet::connect("redis://127.0.0.1:6379/", FleetOptions::new())?;
/// println!("linked to {}: {}", fleet.url(), fleet.is_connected());
/// # Ok::<(), retry_runtime::fleet::FleetError>(())
/// ```
pub struct Fleet {
    status: Arc<Status>,
    stop: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

/// What the link tells its handle.
struct Status {
    /// The URL without its password.
    url: String,
    /// This process in the fleet's messages.
    origin: u64,
    connected: AtomicBool,
    synced: Mutex<bool>,
    synced_changed: Condvar,
}

impl Status {
    fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Release);
    }

    fn set_synced(&self) {
        *self.synced.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.synced_changed.notify_all();
    }
}

/// Ends the link's thread: if it ends by a panic (a bug), the process is on its own again and
/// the handle says the link is not connected (a normal end has done this already).
struct Ended(Arc<Status>);

impl Drop for Ended {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.set_connected(false);
            budgets::set_live(None);
            budgets::leave_all();
            rate_limits::leave_all();
            breakers::close();
        }
    }
}

/// Why a session with Redis ended.
#[derive(Debug)]
enum Down {
    Redis(redis::RedisError),
    TimedOut(Duration),
    /// The pub/sub connection closed.
    Closed,
    /// Redis answered something the scripts never return.
    Unexpected(String),
}

impl Down {
    /// The server refused this link (its certificate is not trusted, or it refused the
    /// password): the WARN says what to check.
    fn refusal(&self) -> Option<tls::Refusal> {
        match self {
            Down::Redis(error) => tls::Refusal::of(error),
            _ => None,
        }
    }
}

impl From<redis::RedisError> for Down {
    fn from(error: redis::RedisError) -> Self {
        Down::Redis(error)
    }
}

impl fmt::Display for Down {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Down::Redis(error) => write!(f, "{error}"),
            Down::TimedOut(after) => write!(f, "no answer within {after:?}"),
            Down::Closed => f.write_str("the pub/sub connection closed"),
            Down::Unexpected(what) => write!(f, "unexpected answer: {what}"),
        }
    }
}

/// Starts the fleet link to the Redis server at `url` (`redis://[[user]:password@]host:port/db`,
/// or `rediss://...` over TLS with feature `redis-tls`: see [TLS and
/// authentication](self#tls-and-authentication)), on a thread of its own, and returns at once:
/// the link connects in the background, and keeps reconnecting while the server cannot be
/// reached or refuses it. One link per process at a time.
///
/// ```no_run
/// use retry_runtime::fleet::{self, FleetOptions};
///
/// let fleet = fleet::connect("redis://127.0.0.1:6379/", FleetOptions::new().prefix("orders"))?;
/// // ... the process runs; its breakers and budgets are the fleet's ...
/// drop(fleet);
/// # Ok::<(), retry_runtime::fleet::FleetError>(())
/// ```
///
/// # Errors
/// [`FleetError::InvalidUrl`] when `url` does not parse (or is `rediss://` without feature
/// `redis-tls`, or asks for `#insecure`), [`FleetError::InvalidOptions`] for an option out of
/// range (a CA that cannot be read or holds no valid certificate, or one given with a URL that
/// is not `rediss://`), [`FleetError::AlreadyConnected`] while another link runs, and
/// [`FleetError::Start`] when its thread cannot start.
pub fn connect(url: &str, options: FleetOptions) -> Result<Fleet, FleetError> {
    options.validate()?;
    let shown = without_password(url);
    let ca = tls::checked_ca(&options)?;
    let client = tls::client(url, &shown, ca.as_ref())?;
    start(connection::Target::Server(Box::new(client)), shown, options)
}

/// [`connect`] to a Redis Cluster: `urls` name some or all of its nodes
/// (`redis://[[user]:password@]host:port`, or all `rediss://` with feature `redis-tls`, the CA
/// of [`FleetOptions::ca_certificate`] trusted for every node; the link learns the others from
/// them). Every key of the
/// fleet's prefix is in one hash slot (`{prefix}:...`), so its scripts run on the node that
/// owns it; publications are Redis's classic pub/sub, which a cluster sends to every node, and
/// the link subscribes on the nodes given, one after the other across sessions.
///
/// ```no_run
/// use retry_runtime::fleet::{self, FleetOptions};
///
/// let fleet = fleet::connect_cluster(
///     ["redis://10.0.0.5:7000/", "redis://10.0.0.6:7000/", "redis://10.0.0.7:7000/"],
///     FleetOptions::new().prefix("orders"),
/// )?;
/// # drop(fleet);
/// # Ok::<(), retry_runtime::fleet::FleetError>(())
/// ```
///
/// # Errors
/// As [`connect`]'s; also [`FleetError::InvalidUrl`] when `urls` is empty.
pub fn connect_cluster<I, S>(urls: I, options: FleetOptions) -> Result<Fleet, FleetError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    options.validate()?;
    let urls: Vec<String> = urls
        .into_iter()
        .map(|url| url.as_ref().to_owned())
        .collect();
    let shown = urls
        .iter()
        .map(|url| without_password(url))
        .collect::<Vec<_>>()
        .join(",");
    if urls.is_empty() {
        return Err(FleetError::InvalidUrl {
            url: shown,
            reason: "a cluster needs at least one node's URL".to_owned(),
        });
    }
    let ca = tls::checked_ca(&options)?;
    let nodes = urls
        .iter()
        .map(|url| tls::client(url, &without_password(url), ca.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let target = connection::Target::cluster(&urls, nodes, ca.as_ref(), options.response_timeout)
        .map_err(|error| FleetError::InvalidUrl {
        url: shown.clone(),
        reason: error.to_string(),
    })?;
    start(target, shown, options)
}

/// Starts the link's thread.
fn start(
    target: connection::Target,
    shown: String,
    options: FleetOptions,
) -> Result<Fleet, FleetError> {
    let inbox = outbox::Inbox::claim().ok_or(FleetError::AlreadyConnected)?;
    // The fleet attaches itself to breakers, budgets and rate limiters through their slots;
    // those created while the link is up start shared.
    let _ = crate::breaker::TRANSITION_LISTENER.set(outbox::transitioned);
    let _ = crate::budget::STARTS_SHARED.set(budgets::starts_shared);
    let _ = crate::rate_limit::shared::STARTS_SHARED.set(rate_limits::starts_shared);
    let status = Arc::new(Status {
        url: shown,
        origin: origin_id(),
        connected: AtomicBool::new(false),
        synced: Mutex::new(false),
        synced_changed: Condvar::new(),
    });
    let options = Arc::new(options);
    breakers::open(Arc::clone(&options), status.origin);
    let (stop, stopped) = watch::channel(false);
    let link = link::Link::new(target, options, Arc::clone(&status), inbox);
    let link_status = Arc::clone(&status);
    // The runtime is built (and dropped) on the link's thread, never on the caller's, which
    // may be a runtime's worker where dropping one would panic.
    let (started, start) = std::sync::mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("retry-runtime-fleet".to_owned())
        .spawn(move || {
            let _ended = Ended(Arc::clone(&link_status));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => {
                    let _ = started.send(Ok(()));
                    runtime.block_on(link.run(stopped));
                }
                Err(error) => {
                    drop(link);
                    let _ = started.send(Err(error));
                }
            }
        });
    let failed = match thread {
        Ok(thread) => match start.recv() {
            Ok(Ok(())) => {
                return Ok(Fleet {
                    status,
                    stop: Some(stop),
                    thread: Some(thread),
                });
            }
            Ok(Err(error)) => error,
            Err(_) => std::io::Error::other("the link's thread ended before it started"),
        },
        Err(error) => error,
    };
    breakers::close();
    Err(FleetError::Start(failed))
}

impl Fleet {
    /// The server's URL, without its password.
    pub fn url(&self) -> &str {
        &self.status.url
    }

    /// Whether the link is connected to Redis now, and caught up with the fleet (a server that
    /// accepts connections but refuses the scripts does not count).
    pub fn is_connected(&self) -> bool {
        self.status.connected.load(Ordering::Acquire)
    }

    /// Waits up to `timeout` for the link's first catch-up with the fleet (connected, stored
    /// states read and applied, shared budgets joined); true once it happened. Call it at
    /// start-up to serve the first calls with the fleet's states; it blocks, so from async code
    /// call it in a blocking task.
    pub fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut synced = self
            .status
            .synced
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*synced {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            synced = self
                .status
                .synced_changed
                .wait_timeout(synced, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Stops the link and waits for its thread (at most the time to drop what it was doing).
    pub fn shutdown(mut self) {
        self.stop_link();
    }

    fn stop_link(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop_link();
    }
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("url", &self.status.url)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

/// `url` with any password replaced by `***`, for logs and errors: the user information of
/// `scheme://user:password@host` and the `pass=` or `password=` query parameters (redis-rs
/// reads a Unix socket's password from them: `redis+unix:///path?pass=secret`).
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = rest.find(['/', '?']).unwrap_or(rest.len());
    let rest = match rest[..authority].rfind('@') {
        Some(at) => format!("***@{}", &rest[at + 1..]),
        None => rest.to_owned(),
    };
    let Some((path, query)) = rest.split_once('?') else {
        return format!("{scheme}://{rest}");
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key == "pass" || key == "password" => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    let fragment = fragment.map_or(String::new(), |fragment| format!("#{fragment}"));
    format!("{scheme}://{path}?{}{fragment}", query.join("&"))
}

/// A random id for this process's messages (process ids repeat across hosts).
fn origin_id() -> u64 {
    std::hash::RandomState::new().hash_one((std::process::id(), Instant::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(
            without_password("redis://:secret@db.internal:6379/0"),
            "redis://***@db.internal:6379/0"
        );
        assert_eq!(
            without_password("redis://user:p@ss@host/"),
            "redis://***@host/"
        );
        assert_eq!(
            without_password("redis://127.0.0.1:6379/"),
            "redis://127.0.0.1:6379/"
        );
        assert_eq!(
            without_password("redis+unix:///run/redis.sock?db=2&pass=secret"),
            "redis+unix:///run/redis.sock?db=2&pass=***"
        );
        assert_eq!(
            without_password("unix:///run/redis.sock?password=secret&user=me"),
            "unix:///run/redis.sock?password=***&user=me"
        );
        assert_eq!(
            without_password("redis://u:secret@host/0?password=again"),
            "redis://***@host/0?password=***"
        );
        assert_eq!(
            without_password("redis+unix:///run/redis.sock?db=1"),
            "redis+unix:///run/redis.sock?db=1"
        );
        for url in [
            "redis+unix:///run/redis.sock?pass=secret",
            "redis://:secret@h/?password=secret",
        ] {
            assert!(!without_password(url).contains("secret"), "{url}");
        }
    }

    #[test]
    fn a_bad_url_or_option_is_an_error_that_says_why() {
        let error = connect("http://localhost/", FleetOptions::new()).unwrap_err();
        assert!(matches!(error, FleetError::InvalidUrl { .. }), "{error}");
        let error = connect("redis://127.0.0.1/", FleetOptions::new().lease_batch(0)).unwrap_err();
        assert!(error.to_string().contains("lease_batch"), "{error}");
        let error = connect("redis://127.0.0.1/", FleetOptions::new().prefix("a b")).unwrap_err();
        assert!(error.to_string().contains("prefix"), "{error}");
        // Braces would end the keys' hash tag (`{prefix}:...`).
        let error = connect("redis://127.0.0.1/", FleetOptions::new().prefix("a}b")).unwrap_err();
        assert!(error.to_string().contains("braces"), "{error}");
        let none: [&str; 0] = [];
        let error = connect_cluster(none, FleetOptions::new()).unwrap_err();
        assert!(matches!(error, FleetError::InvalidUrl { .. }), "{error}");
        let error = connect_cluster(
            ["redis://:secret@127.0.0.1:7000/", "http://127.0.0.1:7001/"],
            FleetOptions::new(),
        )
        .unwrap_err();
        assert!(matches!(error, FleetError::InvalidUrl { .. }), "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    /// Without feature `redis-tls`, a TLS URL or a CA is an error that names the feature.
    #[cfg(not(feature = "redis-tls"))]
    #[test]
    fn tls_without_its_feature_is_an_error_that_names_it() {
        let error = connect("rediss://:secret@127.0.0.1:6380/", FleetOptions::new()).unwrap_err();
        assert!(matches!(error, FleetError::InvalidUrl { .. }), "{error}");
        assert!(error.to_string().contains("`redis-tls`"), "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");
        let options = FleetOptions::new().ca_certificate_file("/etc/redis/ca.pem");
        let error = connect("redis://127.0.0.1:6379/", options).unwrap_err();
        assert!(error.to_string().contains("`redis-tls`"), "{error}");
        assert!(error.to_string().contains("ca_certificate_file"), "{error}");
    }
}
