//! What the fleet tests share: a `redis-server` of their own on a free loopback port, killed
//! when dropped (also when the test panics), and child processes of the test binary itself.
//!
//! Children: a test file has a `#[test] fn fleet_child()` that does nothing unless the
//! environment variable `FLEET_CHILD` names a role. [`Child::spawn`] runs the current test
//! binary again with `--exact <module>::fleet_child`, so a child is the user's code built as the test
//! was, with no extra binary target or feature plumbing; it reads commands on stdin and answers
//! each with one line starting `fleet> ` on stdout (libtest's own lines are skipped).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A `redis-server` on 127.0.0.1, without persistence unless started with
/// [`RedisServer::start_persistent`].
pub struct RedisServer {
    port: u16,
    process: Option<std::process::Child>,
    /// The directory of its RDB file, if it keeps one (removed when dropped).
    dir: Option<std::path::PathBuf>,
    /// More arguments for `redis-server` (a cluster node's).
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts one, or returns `None` (after saying so, loudly) when `redis-server` is not
    /// installed; under CI (`CI` set) a missing server fails the test instead.
    pub fn start() -> Option<RedisServer> {
        Self::start_in(None)
    }

    /// One that saves its data (on `SAVE`) in a directory of its own and loads it when it
    /// restarts: a server restored from an old snapshot.
    pub fn start_persistent() -> Option<RedisServer> {
        let dir =
            std::env::temp_dir().join(format!("fleet-rdb-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("a directory for the RDB file");
        Self::start_in(Some(dir))
    }

    fn start_in(dir: Option<std::path::PathBuf>) -> Option<RedisServer> {
        if !installed("redis-server") {
            return None;
        }
        Some(Self::start_on_free_ports(|| (free_port(), Vec::new()), dir).0)
    }

    /// One with more arguments for `redis-server` (a TLS port and its files, ACL users), or
    /// `None` as [`start`](Self::start).
    pub fn start_with(extra: Vec<String>) -> Option<RedisServer> {
        if !installed("redis-server") {
            return None;
        }
        Some(Self::start_on_free_ports(|| (free_port(), extra.clone()), None).0)
    }

    /// One that also listens for TLS, on a port of its own (returned beside it; its port + 10000,
    /// where a cluster node's bus listens, was free too): `arguments` makes the TLS arguments
    /// for a port. `None` as [`start`](Self::start).
    pub fn start_tls(arguments: impl Fn(u16) -> Vec<String>) -> Option<(RedisServer, u16)> {
        if !installed("redis-server") {
            return None;
        }
        let (server, tls_port) = Self::start_on_free_ports(
            || {
                // Its port + 10000 free too: a cluster node's bus listens there.
                let tls_port = loop {
                    let port = free_port();
                    if port <= 55_535 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
                        break port;
                    }
                };
                (tls_port, arguments(tls_port))
            },
            None,
        );
        Some((server, tls_port))
    }

    /// Starts a server on a free port with the arguments `pick` gives (for ports of its own that
    /// it picks), picking again when the server exits at start-up: a port found free can be
    /// taken by another test's connection before the server binds it.
    fn start_on_free_ports(
        pick: impl Fn() -> (u16, Vec<String>),
        dir: Option<std::path::PathBuf>,
    ) -> (RedisServer, u16) {
        let mut tries = 0;
        loop {
            let (picked, extra) = pick();
            let mut server = RedisServer {
                port: free_port(),
                process: None,
                dir: dir.clone(),
                extra,
            };
            match server.try_restart() {
                Ok(()) => return (server, picked),
                Err(exited) if tries < 5 => {
                    tries += 1;
                    eprintln!("{exited}; trying other ports");
                }
                Err(exited) => panic!("{exited}, five times"),
            }
        }
    }

    /// The arguments of [`start_with`](Self::start_with), from the next
    /// [`restart`](Self::restart) on (a server back with another certificate).
    pub fn set_extra(&mut self, extra: Vec<String>) {
        self.extra = extra;
    }

    /// Its plain (not TLS) port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (SIGKILL: no goodbye to its clients).
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Stops (`SIGSTOP`) or resumes (`SIGCONT`) the server: a server that hangs, its
    /// connections open and silent.
    pub fn signal(&self, signal: &str) {
        let pid = self.process.as_ref().expect("a running server").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid} failed");
    }

    /// Starts the server (again) on its port, empty (or from its last `SAVE` if persistent),
    /// and waits until it answers PING.
    pub fn restart(&mut self) {
        if let Err(exited) = self.try_restart() {
            panic!("{exited}");
        }
    }

    /// [`restart`](Self::restart), or why the server exited before it answered.
    fn try_restart(&mut self) -> Result<(), String> {
        self.kill();
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"]);
        command.args(&self.extra);
        match &self.dir {
            Some(dir) => command.arg("--dir").arg(dir),
            // No RDB file is ever read from (or written to) the working directory.
            None => command.args(["--dbfilename", "fleet-test-never-saved.rdb"]),
        };
        // Its log, for the reason it gives when it exits at start-up.
        let log = self.log();
        command.arg("--logfile").arg(&log);
        let process = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.process = Some(process);
        let exited = |port: u16, status: std::process::ExitStatus| {
            let said = std::fs::read(&log).unwrap_or_default();
            let tail =
                String::from_utf8_lossy(&said[said.len().saturating_sub(600)..]).into_owned();
            format!("redis-server on port {port} exited: {status}; its log ends:\n{tail}")
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers_ping() {
            // Our server, not another one that took the port meanwhile.
            if let Some(status) = self
                .process
                .as_mut()
                .and_then(|p| p.try_wait().ok().flatten())
            {
                self.process = None;
                return Err(exited(self.port, status));
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer PING within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(status) = self
            .process
            .as_mut()
            .and_then(|p| p.try_wait().ok().flatten())
        {
            self.process = None;
            return Err(exited(self.port, status));
        }
        Ok(())
    }

    /// Where the server logs.
    fn log(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "fleet-redis-{}-{}.log",
            std::process::id(),
            self.port
        ))
    }

    /// Runs one command on the server (as `redis-cli` would) and returns its raw reply.
    pub fn command(&self, words: &[&str]) -> String {
        let words: Vec<&[u8]> = words.iter().map(|word| word.as_bytes()).collect();
        self.command_bytes(&words)
    }

    /// [`command`](Self::command) with arguments that need not be text.
    pub fn command_bytes(&self, words: &[&[u8]]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis answers");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request = format!("*{}\r\n", words.len()).into_bytes();
        for word in words {
            request.extend_from_slice(format!("${}\r\n", word.len()).as_bytes());
            request.extend_from_slice(word);
            request.extend_from_slice(b"\r\n");
        }
        stream.write_all(&request).unwrap();
        let mut reply = [0_u8; 8192];
        let read = stream.read(&mut reply).unwrap();
        String::from_utf8_lossy(&reply[..read]).into_owned()
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0_u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(self.log());
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Whether `program` runs (`--version`); says so, loudly, when it does not, and under CI (`CI`
/// set) fails the test instead.
pub fn installed(program: &str) -> bool {
    if Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{program} not found on PATH; the fleet tests need it (apt-get install redis-server; .ci/run installs it)"
    );
    eprintln!("\n*** skipped: {program} not found (apt-get install redis-server) ***\n");
    false
}

/// A Redis Cluster of three primaries on loopback (`redis-server --cluster-enabled yes`, joined
/// by `redis-cli --cluster create`), each node killed when dropped.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    dir: std::path::PathBuf,
}

impl RedisCluster {
    /// Starts one and waits until every node says the cluster is ok, or returns `None` (after
    /// saying so) when `redis-server` or `redis-cli` is not installed.
    pub fn start() -> Option<RedisCluster> {
        if !installed("redis-server") || !installed("redis-cli") {
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "fleet-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("a directory for the nodes' files");
        let (mut nodes, mut failed_starts) = (Vec::new(), 0);
        while nodes.len() < 3 {
            // A node also listens on its port + 10000 (the cluster bus).
            let port = free_port();
            if port > 55_535 || TcpListener::bind(("127.0.0.1", port + 10_000)).is_err() {
                continue;
            }
            let config = dir.join(format!("nodes-{port}.conf"));
            let mut node = RedisServer {
                port,
                process: None,
                dir: None,
                extra: cluster_node_arguments(&config),
            };
            // A port found free can be taken before the node binds it: pick another.
            match node.try_restart() {
                Ok(()) => nodes.push(node),
                Err(exited) if failed_starts < 5 => {
                    failed_starts += 1;
                    eprintln!("{exited}; trying another port");
                }
                Err(exited) => panic!("{exited}, five times"),
            }
        }
        let addresses: Vec<String> = nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli runs");
        assert!(created.success(), "redis-cli --cluster create failed");
        let cluster = RedisCluster { nodes, dir };
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

    /// Every node's URL.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The nodes.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nobody listened on a moment ago.
/// What makes a `redis-server` a cluster node, keeping its cluster state in `config`.
pub fn cluster_node_arguments(config: &std::path::Path) -> Vec<String> {
    vec![
        "--cluster-enabled".to_owned(),
        "yes".to_owned(),
        "--cluster-config-file".to_owned(),
        config.to_string_lossy().into_owned(),
        "--cluster-node-timeout".to_owned(),
        "2000".to_owned(),
    ]
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// A child process of the test binary, in a role; killed when dropped.
pub struct Child {
    role: String,
    process: std::process::Child,
    stdin: std::process::ChildStdin,
    answers: mpsc::Receiver<String>,
}

impl Child {
    /// Runs the `fleet_child` test of the calling file's module (`budget::fleet_child` when
    /// called from `budget.rs`) with `FLEET_CHILD=role` and `environment`.
    #[track_caller]
    pub fn spawn(role: &str, environment: &[(&str, &str)]) -> Child {
        let module = std::path::Path::new(std::panic::Location::caller().file())
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("called from a module file");
        let test = format!("{module}::fleet_child");
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        command
            .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env("FLEET_CHILD", role)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in environment {
            command.env(key, value);
        }
        let mut process = command.spawn().expect("the child starts");
        let stdin = process.stdin.take().expect("piped stdin");
        let stdout = process.stdout.take().expect("piped stdout");
        let (sender, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The first answer follows libtest's `test <module>::fleet_child ... ` on its line.
                if let Some(at) = line.find("fleet> ")
                    && sender.send(line[at + 7..].to_owned()).is_err()
                {
                    break;
                }
            }
        });
        Child {
            role: role.to_owned(),
            process,
            stdin,
            answers,
        }
    }

    /// Sends a command without waiting for its answer.
    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|error| panic!("child {} is gone: {error}", self.role));
    }

    /// The answer to the last command sent (within 30 s).
    pub fn answer(&mut self) -> String {
        self.answers
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("child {} did not answer within 30 s", self.role))
    }

    /// Sends a command and waits for its answer.
    pub fn ask(&mut self, command: &str) -> String {
        self.send(command);
        self.answer()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The child's side: answers each command line from stdin with `answer(line)`, until stdin
/// closes.
pub fn serve(mut answer: impl FnMut(&str) -> String) {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let reply = answer(line.trim());
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "fleet> {reply}");
        let _ = stdout.flush();
    }
}

/// Microseconds since the Unix epoch: one clock for every process on this machine.
pub fn wall_micros() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros(),
    )
    .unwrap_or(u64::MAX)
}

/// The `q` quantile (0 to 1) of `values`, by nearest rank.
pub fn quantile(values: &mut [u64], q: f64) -> u64 {
    assert!(!values.is_empty());
    values.sort_unstable();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// A prefix for one test's keys in Redis.
pub fn prefix(test: &str) -> String {
    format!("test-{test}-{}", std::process::id())
}
