//! The fleet over TLS with an ACL user (feature `redis-tls`), against a real `redis-server
//! --tls-port` on loopback whose certificates the test makes (rcgen; no `openssl` command): a
//! trip spreads across processes over `rediss://user:password@...` with the CA given through
//! `FleetOptions`, on one server and on a three-node Redis Cluster; a wrong CA or a wrong password is one clear WARN and a link that keeps
//! retrying (it connects once the server is right) while calls go on; the password is in no
//! log line; and a CA or URL that cannot work is an error of `connect` that says what, where
//! and why.
//!
//! Each test starts its own `redis-server` (a plain port for the test's own commands, a TLS
//! port for the links) and children of this test binary (see `fleet_support`).
#![cfg(feature = "redis-tls")]

use crate::support as fleet_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fleet_support::{
    Child, RedisServer, cluster_node_arguments, free_port, installed, prefix, serve,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use retry_runtime::fleet::{self, FleetError, FleetOptions};
use retry_runtime::{BreakerConfig, CircuitOpen, circuit_breaker, register_breaker};

/// The ACL user's password: no log line, error or URL shown may hold it.
const PASSWORD: &str = "s3cret-fleet-Pa55";
/// A password the server does not take (and that no log line may hold either).
const WRONG_PASSWORD: &str = "wr0ng-fleet-Pa55";

#[derive(Debug)]
enum DbError {
    Down,
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

#[circuit_breaker(name = "tls.db", failure_threshold = 3, open_for = "30s")]
fn db(fail: bool) -> Result<(), DbError> {
    if fail { Err(DbError::Down) } else { Ok(()) }
}

/// Everything the child's subscriber wrote (DEBUG and up).
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Captured;

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(bytes);
        if std::env::var_os("FLEET_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_lines() -> Vec<String> {
    String::from_utf8_lossy(&LOG.lock().unwrap())
        .lines()
        .map(str::to_owned)
        .collect()
}

fn warnings() -> Vec<String> {
    log_lines()
        .into_iter()
        .filter(|line| line.contains(" WARN ") && line.contains("fleet link"))
        .collect()
}

/// Failed attempts after the first one of an outage (the first is the WARN).
fn failed_attempts() -> usize {
    log_lines()
        .iter()
        .filter(|line| line.contains(" DEBUG ") && line.contains("still down"))
        .count()
}

/// Waits up to `timeout_ms` for `done`; "ok", or "timeout" and what `now` says.
fn wait_for(timeout_ms: &str, done: impl Fn() -> bool, now: impl Fn() -> String) -> String {
    let deadline = Instant::now() + Duration::from_millis(timeout_ms.parse().unwrap());
    loop {
        if done() {
            return "ok".to_owned();
        }
        if Instant::now() >= deadline {
            return format!("timeout {}", now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A child: `tls.db` registered, then a link to `FLEET_URL` (or the cluster whose node URLs
/// `FLEET_CLUSTER` lists, comma-separated) under `FLEET_PREFIX`, trusting the CA in the file
/// `FLEET_CA`; its log captured, and commands answered on stdin.
#[test]
fn fleet_child() {
    let Ok(_role) = std::env::var("FLEET_CHILD") else {
        return;
    };
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(|| Captured)
        .with_max_level(tracing::Level::DEBUG)
        .init();
    let config = BreakerConfig::builder()
        .failure_threshold(3)
        .open_for(Duration::from_secs(30))
        .build()
        .unwrap();
    register_breaker("tls.db", config);
    let mut options = FleetOptions::new().prefix(std::env::var("FLEET_PREFIX").unwrap());
    if let Ok(ca) = std::env::var("FLEET_CA") {
        options = options.ca_certificate_file(ca);
    }
    let link = match std::env::var("FLEET_CLUSTER") {
        Ok(urls) => fleet::connect_cluster(urls.split(','), options).unwrap(),
        Err(_) => fleet::connect(&std::env::var("FLEET_URL").unwrap(), options).unwrap(),
    };
    assert!(
        std::env::var("FLEET_NO_SYNC").is_ok() || link.wait_synced(Duration::from_secs(30)),
        "the child never synced"
    );
    let state = || retry_runtime::breaker("tls.db").unwrap().state();
    serve(|command| {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["call", how] => match db(*how == "fail") {
                Ok(()) => "ok".to_owned(),
                Err(DbError::Down) => "down".to_owned(),
                Err(DbError::Rejected(open)) => format!("rejected {}", open.state),
            },
            ["trip"] => {
                for _ in 0..10 {
                    let _ = db(true);
                }
                state().to_string()
            }
            ["reset"] => {
                retry_runtime::breaker("tls.db").unwrap().reset();
                state().to_string()
            }
            ["state"] => state().to_string(),
            ["wait", wanted, timeout_ms] => wait_for(
                timeout_ms,
                || state().to_string() == *wanted,
                || state().to_string(),
            ),
            ["connected"] => link.is_connected().to_string(),
            ["wait_connected", timeout_ms] => wait_for(
                timeout_ms,
                || link.is_connected(),
                || "not connected".to_owned(),
            ),
            // Waits until the link has failed `n` more attempts after its first (each a DEBUG
            // line): it keeps retrying.
            ["failed_attempts", n, timeout_ms] => {
                let n: usize = n.parse().unwrap();
                wait_for(
                    timeout_ms,
                    || failed_attempts() >= n,
                    || failed_attempts().to_string(),
                )
            }
            ["wait_warnings", n, timeout_ms] => {
                let n: usize = n.parse().unwrap();
                wait_for(
                    timeout_ms,
                    || warnings().len() >= n,
                    || warnings().len().to_string(),
                )
            }
            // The WARN lines: their count, then each.
            ["warnings"] => {
                let warnings = warnings();
                format!("{}: {}", warnings.len(), warnings.join(" || "))
            }
            ["logged", word] => log_lines()
                .iter()
                .any(|line| line.contains(word))
                .to_string(),
            // What the handle shows of its URL.
            ["shown"] => format!("{} {link:?}", link.url()),
            other => format!("unknown command {other:?}"),
        }
    });
    link.shutdown();
}

/// A CA, and a server certificate it signed for 127.0.0.1 and localhost, as PEM files in a
/// directory of their own (removed when dropped).
struct Certificates {
    dir: PathBuf,
}

impl Certificates {
    fn new(name: &str) -> Certificates {
        let dir = std::env::temp_dir().join(format!(
            "fleet-tls-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("fleet test CA {name}"));
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_certificate = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        // Client authentication too: cluster nodes present it to each other on their TLS bus.
        server.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let server_certificate = server.signed_by(&server_key, &issuer).unwrap();
        let certificates = Certificates { dir };
        std::fs::write(certificates.ca(), ca_certificate.pem()).unwrap();
        std::fs::write(certificates.certificate(), server_certificate.pem()).unwrap();
        std::fs::write(certificates.key(), server_key.serialize_pem()).unwrap();
        certificates
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn certificate(&self) -> PathBuf {
        self.dir.join("server.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    /// `redis-server` arguments: TLS on `tls_port` with this server certificate (no client
    /// certificates asked for), and the ACL user `alice` with [`PASSWORD`].
    fn server_arguments(&self, tls_port: u16) -> Vec<String> {
        let path = |path: PathBuf| path.to_string_lossy().into_owned();
        [
            "--tls-port".to_owned(),
            tls_port.to_string(),
            "--tls-cert-file".to_owned(),
            path(self.certificate()),
            "--tls-key-file".to_owned(),
            path(self.key()),
            "--tls-ca-cert-file".to_owned(),
            path(self.ca()),
            "--tls-auth-clients".to_owned(),
            "no".to_owned(),
            "--user".to_owned(),
            "alice".to_owned(),
            "on".to_owned(),
            format!(">{PASSWORD}"),
            "~*".to_owned(),
            "&*".to_owned(),
            "+@all".to_owned(),
        ]
        .into()
    }
}

impl Drop for Certificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tls_url(password: &str, tls_port: u16) -> String {
    format!("rediss://alice:{password}@127.0.0.1:{tls_port}/")
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A child linked to `url` (trusting `certificates`' CA) that does not wait for the link before
/// it answers.
fn spawn_unsynced(name: &str, url: &str, prefix: &str, certificates: &Certificates) -> Child {
    let ca = path_text(&certificates.ca());
    Child::spawn(
        name,
        &[
            ("FLEET_URL", url),
            ("FLEET_PREFIX", prefix),
            ("FLEET_CA", ca.as_str()),
            ("FLEET_NO_SYNC", "1"),
        ],
    )
}

/// A link the server keeps refusing keeps trying (with its backoff), and calls go on with the
/// local state meanwhile: a trip opens the breaker here and rejects the next call.
fn trips_locally_while_refused(child: &mut Child) {
    assert_eq!(child.ask("failed_attempts 3 20000"), "ok");
    assert_eq!(child.ask("connected"), "false");
    assert_eq!(child.ask("trip"), "open");
    assert_eq!(child.ask("call ok"), "rejected open");
}

/// Neither password is in the child's log, nor in what its handle shows.
fn no_password_shown(child: &mut Child) {
    for password in [PASSWORD, WRONG_PASSWORD] {
        assert_eq!(child.ask(&format!("logged {password}")), "false");
        let shown = child.ask("shown");
        assert!(!shown.contains(password), "{shown}");
        assert!(shown.contains("rediss://***@127.0.0.1:"), "{shown}");
    }
}

#[test]
fn a_trip_spreads_over_tls_with_an_acl_user_and_a_late_process_starts_open() {
    let certificates = Certificates::new("spread");
    let Some((server, tls_port)) =
        RedisServer::start_tls(|port| certificates.server_arguments(port))
    else {
        return;
    };
    let url = tls_url(PASSWORD, tls_port);
    let prefix = prefix("tls-spread");
    let ca = path_text(&certificates.ca());
    let environment = [
        ("FLEET_URL", url.as_str()),
        ("FLEET_PREFIX", prefix.as_str()),
        ("FLEET_CA", ca.as_str()),
    ];
    // Each child asserts that its link synced.
    let mut fleet: Vec<Child> = (0..3)
        .map(|n| Child::spawn(&format!("p{n}"), &environment))
        .collect();
    for child in &mut fleet {
        assert_eq!(child.ask("connected"), "true");
    }
    // Every link is alice's, over the TLS port (its subscriptions, one per process).
    let subscribers = server.command(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    let subscribers: Vec<&str> = subscribers
        .lines()
        .filter(|line| line.contains("id="))
        .collect();
    assert_eq!(subscribers.len(), 3, "{subscribers:?}");
    for client in &subscribers {
        assert!(client.contains(" user=alice "), "{client}");
        assert!(
            client.contains(&format!(" laddr=127.0.0.1:{tls_port} ")),
            "{client}"
        );
    }

    let (first, others) = fleet.split_first_mut().unwrap();
    for _ in 0..5 {
        assert_eq!(first.ask("trip"), "open");
        for other in others.iter_mut() {
            assert_eq!(other.ask("wait open 10000"), "ok");
        }
        assert_eq!(first.ask("reset"), "closed");
        for other in others.iter_mut() {
            assert_eq!(other.ask("wait closed 10000"), "ok");
        }
    }
    // A trip from another process, and a process that starts after it starts open.
    assert_eq!(others[1].ask("trip"), "open");
    assert_eq!(first.ask("wait open 10000"), "ok");
    let mut late = Child::spawn("late", &environment);
    assert_eq!(late.ask("state"), "open");
    assert_eq!(late.ask("call ok"), "rejected open");

    fleet.push(late);
    for child in &mut fleet {
        assert_eq!(child.ask("connected"), "true");
        assert_eq!(child.ask("warnings"), "0: ");
        no_password_shown(child);
    }
}

/// A Redis Cluster of three primaries over TLS on loopback: each node has a plain port (the
/// test's own commands) and a TLS port, with the cluster bus over TLS too (`--tls-cluster
/// yes`, so the nodes announce their TLS ports), joined by `redis-cli --cluster create --tls`.
struct TlsCluster {
    nodes: Vec<RedisServer>,
    tls_ports: Vec<u16>,
    dir: PathBuf,
}

impl TlsCluster {
    fn start(certificates: &Certificates) -> Option<TlsCluster> {
        if !installed("redis-server") || !installed("redis-cli") {
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "fleet-tls-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (mut nodes, mut tls_ports) = (Vec::new(), Vec::new());
        while nodes.len() < 3 {
            // The cluster bus listens on the TLS port + 10000, which `start_tls` keeps free.
            let (node, tls_port) = RedisServer::start_tls(|tls_port| {
                let config = dir.join(format!("nodes-{tls_port}.conf"));
                let mut arguments = certificates.server_arguments(tls_port);
                arguments.extend(cluster_node_arguments(&config));
                arguments.extend(["--tls-cluster".to_owned(), "yes".to_owned()]);
                arguments
            })?;
            nodes.push(node);
            tls_ports.push(tls_port);
        }
        let mut create = Command::new("redis-cli")
            .args(["--tls", "--cacert"])
            .arg(certificates.ca())
            .arg("--cluster")
            .arg("create")
            .args(tls_ports.iter().map(|port| format!("127.0.0.1:{port}")))
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-cli runs");
        // It waits for the nodes to join, for ever if they never do.
        let deadline = Instant::now() + Duration::from_secs(60);
        let created = loop {
            if let Some(status) = create.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = create.kill();
                let _ = create.wait();
                panic!("redis-cli --cluster create --tls did not end within 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(created.success(), "redis-cli --cluster create --tls failed");
        let cluster = TlsCluster {
            nodes,
            tls_ports,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cluster.nodes.iter().all(|node| {
            node.command(&["CLUSTER", "INFO"])
                .contains("cluster_state:ok")
        }) {
            assert!(
                Instant::now() < deadline,
                "the cluster was not ok within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(cluster)
    }

    /// Each node's `rediss://alice:<password>@...` URL.
    fn urls(&self, password: &str) -> Vec<String> {
        self.tls_ports
            .iter()
            .map(|port| tls_url(password, *port))
            .collect()
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The same over a Redis Cluster: every node's URL `rediss://`, the one CA trusted for all of
/// them (the nodes the link learns of included).
#[test]
fn a_trip_spreads_over_tls_on_a_redis_cluster() {
    let certificates = Certificates::new("cluster");
    let Some(cluster) = TlsCluster::start(&certificates) else {
        return;
    };
    // One node given: the link learns the two others, over TLS with the same CA. The prefix is
    // one whose hash slot another node holds, so the scripts run on a node the link learned.
    let urls = cluster.urls(PASSWORD);
    let given_holds = |prefix: &str| {
        let reply = cluster.nodes[0].command(&["CLUSTER", "KEYSLOT", &format!("{{{prefix}}}")]);
        let slot: u32 = reply.trim().trim_start_matches(':').parse().unwrap();
        // `redis-cli --cluster create` gives the first node the first third of the slots.
        slot <= 5460
    };
    let prefix = (0..)
        .map(|n| prefix(&format!("tls-cluster{n}")))
        .find(|prefix| !given_holds(prefix))
        .unwrap();
    let ca = path_text(&certificates.ca());
    let environment = [
        ("FLEET_CLUSTER", urls[0].as_str()),
        ("FLEET_PREFIX", prefix.as_str()),
        ("FLEET_CA", ca.as_str()),
    ];
    let mut fleet: Vec<Child> = (0..3)
        .map(|n| Child::spawn(&format!("c{n}"), &environment))
        .collect();
    let (first, others) = fleet.split_first_mut().unwrap();
    for _ in 0..3 {
        assert_eq!(first.ask("trip"), "open");
        for other in others.iter_mut() {
            assert_eq!(other.ask("wait open 10000"), "ok");
        }
        assert_eq!(first.ask("reset"), "closed");
        for other in others.iter_mut() {
            assert_eq!(other.ask("wait closed 10000"), "ok");
        }
    }
    assert_eq!(others[0].ask("trip"), "open");
    let all = urls.join(",");
    let mut late = Child::spawn(
        "late",
        &[
            ("FLEET_CLUSTER", all.as_str()),
            ("FLEET_PREFIX", prefix.as_str()),
            ("FLEET_CA", ca.as_str()),
        ],
    );
    assert_eq!(late.ask("state"), "open");
    // The fleet's keys are on one node, not the one given, in one slot, written over TLS.
    let key = format!("{{{prefix}}}:version");
    let holders: Vec<usize> = (0..cluster.nodes.len())
        .filter(|n| {
            cluster.nodes[*n]
                .command(&["EXISTS", &key])
                .starts_with(":1")
        })
        .collect();
    assert_eq!(holders.len(), 1, "{holders:?}");
    assert_ne!(holders[0], 0);
    fleet.push(late);
    for child in &mut fleet {
        assert_eq!(child.ask("connected"), "true");
        assert_eq!(child.ask("warnings"), "0: ");
        no_password_shown(child);
    }
}

#[test]
fn a_wrong_ca_is_one_clear_warn_and_a_link_that_retries_until_the_server_has_a_trusted_certificate()
{
    let servers = Certificates::new("servers");
    let trusted = Certificates::new("trusted");
    let Some((mut server, tls_port)) =
        RedisServer::start_tls(|port| servers.server_arguments(port))
    else {
        return;
    };
    let url = tls_url(PASSWORD, tls_port);
    let prefix = prefix("tls-wrong-ca");
    let mut child = spawn_unsynced("wrong-ca", &url, &prefix, &trusted);
    trips_locally_while_refused(&mut child);
    // One WARN, which says the certificate is not trusted and names the option to check.
    let warnings = child.ask("warnings");
    assert!(warnings.starts_with("1: "), "{warnings}");
    assert!(warnings.contains("not reached"), "{warnings}");
    assert!(
        warnings.contains("certificate is not trusted"),
        "{warnings}"
    );
    assert!(warnings.contains("ca_certificate"), "{warnings}");
    no_password_shown(&mut child);

    // The server comes back with a certificate of the CA the link trusts: the link connects,
    // and the trip made meanwhile is the fleet's.
    server.set_extra(trusted.server_arguments(tls_port));
    server.restart();
    assert_eq!(child.ask("wait_connected 20000"), "ok");
    let late_ca = path_text(&trusted.ca());
    let mut late = Child::spawn(
        "late",
        &[
            ("FLEET_URL", url.as_str()),
            ("FLEET_PREFIX", prefix.as_str()),
            ("FLEET_CA", late_ca.as_str()),
        ],
    );
    assert_eq!(late.ask("wait open 10000"), "ok");
    assert!(child.ask("warnings").starts_with("1: "));
}

#[test]
fn a_wrong_password_is_one_clear_warn_and_a_link_that_retries_until_the_server_takes_it() {
    let certificates = Certificates::new("password");
    let Some((server, tls_port)) =
        RedisServer::start_tls(|port| certificates.server_arguments(port))
    else {
        return;
    };
    let url = tls_url(WRONG_PASSWORD, tls_port);
    let prefix = prefix("tls-wrong-password");
    let mut child = spawn_unsynced("wrong-password", &url, &prefix, &certificates);
    trips_locally_while_refused(&mut child);
    let warnings = child.ask("warnings");
    assert!(warnings.starts_with("1: "), "{warnings}");
    assert!(
        warnings.contains("refused the user and password"),
        "{warnings}"
    );
    no_password_shown(&mut child);

    // The server takes that password from now on: the link connects.
    assert!(
        server
            .command(&["ACL", "SETUSER", "alice", &format!(">{WRONG_PASSWORD}")])
            .starts_with("+OK")
    );
    assert_eq!(child.ask("wait_connected 20000"), "ok");
    assert!(child.ask("warnings").starts_with("1: "));
    no_password_shown(&mut child);
}

/// A server that offers only what rustls refuses (TLS 1.2 with RSA key exchange, no forward
/// secrecy): one WARN that names the handshake, not the certificate.
#[test]
fn a_server_without_a_cipher_suite_rustls_takes_is_one_warn_about_the_handshake() {
    let certificates = Certificates::new("ciphers");
    let Some((_server, tls_port)) = RedisServer::start_tls(|port| {
        let mut arguments = certificates.server_arguments(port);
        arguments.extend(
            ["--tls-protocols", "TLSv1.2", "--tls-ciphers", "AES128-SHA"].map(str::to_owned),
        );
        arguments
    }) else {
        return;
    };
    let url = tls_url(PASSWORD, tls_port);
    let prefix = prefix("tls-ciphers");
    let mut child = spawn_unsynced("ciphers", &url, &prefix, &certificates);
    assert_eq!(child.ask("failed_attempts 2 20000"), "ok");
    assert_eq!(child.ask("connected"), "false");
    let warnings = child.ask("warnings");
    assert!(warnings.starts_with("1: "), "{warnings}");
    assert!(warnings.contains("TLS handshake failed"), "{warnings}");
    assert!(!warnings.contains("not trusted"), "{warnings}");
    no_password_shown(&mut child);
}

/// An outage that starts as a server not reached and goes on as a server that refuses the
/// password: the refusal gets a WARN of its own (once), so it is not hidden behind the first.
#[test]
fn a_refusal_later_in_an_outage_gets_its_own_warn_once() {
    let certificates = Certificates::new("later");
    let Some((mut server, tls_port)) =
        RedisServer::start_tls(|port| certificates.server_arguments(port))
    else {
        return;
    };
    server.kill();
    let url = tls_url(WRONG_PASSWORD, tls_port);
    let prefix = prefix("tls-later");
    let mut child = spawn_unsynced("later", &url, &prefix, &certificates);
    assert_eq!(child.ask("failed_attempts 2 20000"), "ok");
    let warnings = child.ask("warnings");
    assert!(warnings.starts_with("1: "), "{warnings}");
    assert!(warnings.contains("not reached"), "{warnings}");
    assert!(!warnings.contains("refused the user"), "{warnings}");
    server.restart();
    assert_eq!(child.ask("wait_warnings 2 20000"), "ok");
    // More refused attempts add no WARN.
    assert_eq!(child.ask("failed_attempts 6 30000"), "ok");
    let warnings = child.ask("warnings");
    assert!(warnings.starts_with("2: "), "{warnings}");
    assert!(
        warnings.contains("still down") && warnings.contains("refused the user and password"),
        "{warnings}"
    );
    no_password_shown(&mut child);
}

/// `connect`'s error for `options` and `url`, which must say each of `said`, and no password.
fn refused(url: &str, options: FleetOptions, said: &[&str]) -> FleetError {
    let error = fleet::connect(url, options).unwrap_err();
    let text = error.to_string();
    for word in said {
        assert!(text.contains(word), "`{text}` does not say `{word}`");
    }
    for shown in [text, format!("{error:?}")] {
        assert!(!shown.contains(PASSWORD), "{shown}");
    }
    error
}

#[test]
fn a_ca_or_tls_url_that_cannot_work_is_an_error_of_connect_that_says_what_where_and_why() {
    let certificates = Certificates::new("input");
    let url = format!("rediss://alice:{PASSWORD}@127.0.0.1:1/");
    let dir = std::env::temp_dir().join(format!("fleet-tls-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, contents: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    };
    let with_file = |path: &Path| FleetOptions::new().ca_certificate_file(path);

    // A file that is not there, or not a file.
    let missing = dir.join("missing.pem");
    let error = refused(
        &url,
        with_file(&missing),
        &["ca_certificate_file", "missing.pem", "cannot be read"],
    );
    assert!(
        matches!(
            error,
            FleetError::InvalidOptions {
                option: "ca_certificate_file",
                ..
            }
        ),
        "{error:?}"
    );
    refused(
        &url,
        with_file(&dir),
        &["ca_certificate_file", "is not a regular file"],
    );
    // Larger than a CA can be: not read past the bound.
    let large = file("large.pem", &vec![b'A'; (1 << 20) + 1]);
    refused(
        &url,
        with_file(&large),
        &["large.pem", "at most 1048576 bytes"],
    );
    refused(
        &url,
        FleetOptions::new().ca_certificate(vec![b'A'; (1 << 20) + 1]),
        &["ca_certificate", "1 byte to 1048576 bytes"],
    );
    refused(
        &url,
        FleetOptions::new().ca_certificate(""),
        &["`ca_certificate`", "holds 0 bytes"],
    );
    // No certificate in it: text, or a private key given for the CA.
    let text = file("text.pem", b"not a certificate\n");
    refused(
        &url,
        with_file(&text),
        &["text.pem", "holds no certificate"],
    );
    let key = std::fs::read(certificates.key()).unwrap();
    let key = file("key.pem", &key);
    refused(&url, with_file(&key), &["key.pem", "holds no certificate"]);
    // A certificate block that is not a certificate.
    let garbage = file(
        "garbage.pem",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    refused(
        &url,
        with_file(&garbage),
        &["garbage.pem", "not a valid X.509 CA"],
    );
    let broken = file(
        "broken.pem",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    refused(&url, with_file(&broken), &["broken.pem", "not valid PEM"]);

    // A good CA with a URL that is not TLS: the link would never use it.
    let good = certificates.ca();
    let error = refused(
        &format!("redis://alice:{PASSWORD}@127.0.0.1:1/"),
        with_file(&good),
        &["ca_certificate_file", "not a TLS URL", "rediss://"],
    );
    assert!(matches!(error, FleetError::InvalidOptions { .. }));
    let pem = std::fs::read(&good).unwrap();
    let error = fleet::connect_cluster(
        [
            format!("redis://alice:{PASSWORD}@127.0.0.1:1/"),
            format!("redis://alice:{PASSWORD}@127.0.0.1:2/"),
        ],
        FleetOptions::new().ca_certificate(pem),
    )
    .unwrap_err();
    assert!(error.to_string().contains("not a TLS URL"), "{error}");
    assert!(!error.to_string().contains(PASSWORD), "{error}");
    // No certificate check at all is not offered.
    let error = refused(
        &format!("{url}#insecure"),
        with_file(&good),
        &["`#insecure`", "not supported", "ca_certificate"],
    );
    assert!(matches!(error, FleetError::InvalidUrl { .. }));

    let _ = std::fs::remove_dir_all(&dir);
}
