//! The server the workloads run against: a `redis-server` or `valkey-server`
//! started on a free TCP port and a unix socket, persistence off, stopped
//! when dropped.
//!
//! The harness keeps its own small launcher rather than the integration
//! tests' fixtures: depending on the tests crate would switch on the library
//! features the tests need (TLS, OpenTelemetry), and Cargo unifies features,
//! so the benchmark would measure a tornadis that no default build is.

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `redis-server`: `REDIS_SERVER`, or `PATH`.
    Redis,
    /// `valkey-server`: `VALKEY_SERVER`, the copy `tests/install-servers.sh`
    /// caches in `target/test-servers/`, or `PATH`.
    Valkey,
}

impl ServerKind {
    /// Both kinds, Redis first.
    pub const ALL: [ServerKind; 2] = [ServerKind::Redis, ServerKind::Valkey];

    /// `redis` or `valkey`.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Redis => "redis",
            ServerKind::Valkey => "valkey",
        }
    }

    /// The binary to run, or an error saying how to provide one.
    pub fn binary(self) -> Result<PathBuf, String> {
        let (var, name, cached) = match self {
            ServerKind::Redis => ("REDIS_SERVER", "redis-server", None),
            ServerKind::Valkey => (
                "VALKEY_SERVER",
                "valkey-server",
                Some(
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../target/test-servers/valkey-server"),
                ),
            ),
        };
        if let Some(explicit) = std::env::var_os(var) {
            let path = PathBuf::from(explicit);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(format!("{var}={} is not a file", path.display()))
            };
        }
        if let Some(path) = cached.filter(|p| p.is_file()) {
            return Ok(path);
        }
        std::env::var_os("PATH")
            .and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|p| p.is_file())
            })
            .ok_or_else(|| {
                format!(
                    "`{name}` was not found: set {var}=/path/to/{name}{}",
                    if self == ServerKind::Valkey {
                        ", or run tests/install-servers.sh"
                    } else {
                        ", or install Redis"
                    }
                )
            })
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A running server; stopped (and its directory removed) on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    dir: PathBuf,
    port: u16,
    unix_socket: PathBuf,
}

impl Server {
    /// Starts a server of `kind` and waits until it answers `PING`.
    pub fn start(kind: ServerKind) -> Result<Server, String> {
        Server::start_with(kind, &[])
    }

    /// Starts a server as [`start`](Server::start) does, with `extra`
    /// arguments on its command line.
    pub fn start_with(kind: ServerKind, extra: &[&str]) -> Result<Server, String> {
        let binary = kind.binary()?;
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!(
            "tornadis-bench-{kind}-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let unix_socket = dir.join("server.sock");
        let log = dir.join("server.log");
        let child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--unixsocket")
            .arg(&unix_socket)
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(&log)
            // Persistence would fork and write in the middle of the SET workloads.
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = Server {
            child,
            dir,
            port,
            unix_socket,
        };
        server.wait_ready(&log)?;
        Ok(server)
    }

    fn wait_ready(&mut self, log: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = TcpStream::connect(self.socket_addr()).and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(2)))?;
                exchange(&mut s, &[&[b"PING"]])
            });
            if matches!(ready.as_deref(), Ok([pong]) if pong == "+PONG") {
                return Ok(());
            }
            let exited = self.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(10).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                return Err(format!(
                    "the server on port {} did not come up ({}); its log ends:\n{}",
                    self.port,
                    exited.map_or_else(|| "no answer within 20 s".into(), |s| s.to_string()),
                    tail.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TCP address.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The unix socket.
    pub fn unix_socket(&self) -> &Path {
        &self.unix_socket
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A cluster of three primaries with one replica each, made of six servers
/// started as [`Server::start`] does (cluster mode on), joined with
/// `redis-cli --cluster create --cluster-replicas 1`; stopped when dropped.
#[derive(Debug)]
pub struct Cluster {
    nodes: Vec<Server>,
}

impl Cluster {
    /// Starts six nodes and waits until every one reports `cluster_state:ok`.
    pub fn start(kind: ServerKind) -> Result<Cluster, String> {
        let mut nodes = Vec::with_capacity(6);
        for _ in 0..6 {
            nodes.push(Server::start_with(
                kind,
                &[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                ],
            )?);
        }
        let cluster = Cluster { nodes };
        let mut create = Command::new(cli()?);
        create.arg("--cluster").arg("create");
        for n in &cluster.nodes {
            create.arg(n.socket_addr().to_string());
        }
        let out = create
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run redis-cli --cluster create: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        for n in &cluster.nodes {
            loop {
                let info = Command::new(cli()?)
                    .args(["-p", &n.port().to_string(), "cluster", "info"])
                    .output()
                    .map_err(|e| format!("cannot run redis-cli cluster info: {e}"))?;
                if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "the cluster node on port {} did not reach cluster_state:ok within 30 s",
                        n.port()
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(cluster)
    }

    /// Every node's (host, port), primaries and replicas alike.
    pub fn nodes(&self) -> Vec<(String, u16)> {
        self.nodes
            .iter()
            .map(|n| ("127.0.0.1".to_string(), n.port()))
            .collect()
    }
}

/// `redis-cli` (or `REDIS_CLI`), which creates the cluster.
fn cli() -> Result<PathBuf, String> {
    if let Some(explicit) = std::env::var_os("REDIS_CLI") {
        return Ok(PathBuf::from(explicit));
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("redis-cli"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| {
            "`redis-cli` was not found (it creates the cluster): set REDIS_CLI or install Redis"
                .into()
        })
}

fn free_port() -> Result<u16, String> {
    // The port is free when the listener closes; the server takes it a
    // moment later (another process could, in between, but the startup
    // check would then fail loudly).
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// Sends `commands` in RESP and reads one single-line reply per command
/// (`+OK`, `-ERR …`, `:1`), independent of the clients under test.
pub fn exchange<S: Read + Write>(
    stream: &mut S,
    commands: &[&[&[u8]]],
) -> std::io::Result<Vec<String>> {
    let mut request = Vec::new();
    for args in commands {
        request.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args.iter() {
            request.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            request.extend_from_slice(a);
            request.extend_from_slice(b"\r\n");
        }
    }
    stream.write_all(&request)?;
    stream.flush()?;
    let mut replies = Vec::with_capacity(commands.len());
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while replies.len() < commands.len() {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        if byte[0] == b'\n' && line.last() == Some(&b'\r') {
            line.pop();
            replies.push(String::from_utf8_lossy(&line).into_owned());
            line.clear();
        } else {
            line.push(byte[0]);
        }
    }
    Ok(replies)
}
