//! [`RedisServer`]: one real `redis-server` process for a test.
//!
//! Each server gets its own temporary directory (data, log, unix socket,
//! generated config), a free TCP port on 127.0.0.1 and a unix socket. A
//! server counts as started once it answers `PING` on both. Dropping it
//! kills and reaps the process and removes the directory.

mod builder;
mod kind;
mod launch;
mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use builder::Mode;
pub use builder::{RedisServerBuilder, DEFAULT_STARTUP_TIMEOUT};
pub use kind::{ServerKind, SERVER_KIND_VAR};
use launch::{fail, launch, tail, LaunchError, Paths};
pub use tls::{redis_supports_tls, supports_tls, ClientAuth, TestCerts};

use crate::cli;
use crate::ports::{self, PortReservation};
use crate::raw::Auth;
use crate::tempdir::TempDir;
use crate::wait::wait_until;

/// A running `redis-server` (or sentinel), killed and cleaned up on drop.
///
/// ```no_run
/// use tornadis_tests::RedisServer;
///
/// let mut server = RedisServer::start();
/// server.cli(&["SET", "k", "v"]);
/// server.restart(); // same port, same socket path
/// assert_eq!(server.cli(&["PING"]), "PONG");
/// ```
#[derive(Debug)]
pub struct RedisServer {
    pub(super) child: Option<Child>,
    pub(super) pid: u32,
    pub(super) builder: RedisServerBuilder,
    // Dropped after the process is killed (see `Drop`): the port is released
    // and the directory removed only once nothing uses them.
    pub(super) port: PortReservation,
    pub(super) tls_port: Option<PortReservation>,
    pub(super) unix_socket: PathBuf,
    pub(super) log_path: PathBuf,
    pub(super) dir: TempDir,
}

impl RedisServer {
    /// Starts a server with default options; see [`RedisServerBuilder::start`].
    pub fn start() -> RedisServer {
        RedisServer::builder().start()
    }

    /// A builder for a server with options.
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder::default()
    }

    /// Which server program runs (Redis or Valkey).
    pub fn kind(&self) -> ServerKind {
        self.builder.server_kind()
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port.port()
    }

    /// `"127.0.0.1:PORT"`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }

    /// The TCP address as a [`SocketAddr`].
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port()))
    }

    /// `"redis://127.0.0.1:PORT"` (without credentials).
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr())
    }

    /// Two clients of this server with default settings: one speaking RESP3
    /// (the default), one RESP2, for tests that check a reply in both shapes.
    pub fn clients_in_both_protocols(&self) -> [tornadis::Client; 2] {
        let resp2 = tornadis::Client::builder()
            .port(self.port())
            .protocol(tornadis::Protocol::Resp2)
            .build()
            .expect("a RESP2 client config for the test server");
        let resp3 = tornadis::Client::from_url(&self.url()).expect("the test server's URL");
        [resp3, resp2]
    }

    /// The TLS port, for a server started with
    /// [`RedisServerBuilder::tls`].
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port.as_ref().map(PortReservation::port)
    }

    /// `"rediss://127.0.0.1:TLS_PORT"` (without credentials).
    ///
    /// # Panics
    /// If the server was started without TLS.
    pub fn tls_url(&self) -> String {
        match self.tls_port() {
            Some(port) => format!("rediss://127.0.0.1:{port}"),
            None => panic!("this server was started without TLS (RedisServerBuilder::tls)"),
        }
    }

    /// The certificates of a TLS server.
    pub fn tls_certs(&self) -> Option<&TestCerts> {
        self.builder.tls.as_ref().map(|t| &t.certs)
    }

    /// Gives the TLS listener other certificates (a rotation): they are
    /// written and used from the next [`restart`](Self::restart) on.
    ///
    /// # Panics
    /// If the server was started without TLS.
    pub fn replace_tls_certs(&mut self, certs: TestCerts) {
        match &mut self.builder.tls {
            Some(listener) => listener.certs = certs,
            None => panic!("this server was started without TLS (RedisServerBuilder::tls)"),
        }
    }

    /// The unix socket's path.
    pub fn unix_socket(&self) -> &Path {
        &self.unix_socket
    }

    /// `"unix:///path/to/redis.sock"`.
    pub fn unix_url(&self) -> String {
        format!("unix://{}", self.unix_socket.display())
    }

    /// The default user's password, if one is required.
    pub fn password(&self) -> Option<&str> {
        self.builder.password.as_deref()
    }

    /// The process id of the running server, or `None` while stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|_| self.pid)
    }

    /// The server's directory (data, log, socket, generated config).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log file (its stdout and stderr, across restarts).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last `lines` lines of the server's log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_path, lines)
    }

    /// Whether the process is still running (it may have crashed or been
    /// shut down by a command).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Runs `redis-cli` against this server as the default user (with the
    /// password, if any) and returns its output, trimmed.
    ///
    /// Error replies come back as text (e.g. `"ERR unknown command …"`).
    /// Panics if the server cannot be reached.
    pub fn cli(&self, args: &[&str]) -> String {
        cli::run(self.port(), &self.builder.auth(), args)
    }

    /// Runs `redis-cli` as `user` with `password` (see [`cli`](Self::cli)).
    pub fn cli_as(&self, user: &str, password: &str, args: &[&str]) -> String {
        let auth = Auth {
            user: Some(user.to_string()),
            password: Some(password.to_string()),
        };
        cli::run(self.port(), &auth, args)
    }

    /// Kills the server (SIGKILL, like a crash) and reaps it. The port stays
    /// reserved in this process for [`restart`](Self::restart); the data
    /// directory is kept. Does nothing if already stopped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Errors mean the process is already gone; reaping still matters.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server if it runs, then starts it again on the same port
    /// and unix socket, with the same options, and waits until it answers.
    ///
    /// # Panics
    /// If the port does not become free, or the server does not answer,
    /// within the startup timeout.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port();
        let timeout = self.builder.startup_timeout;
        let deadline = Instant::now() + timeout;
        let cluster = self.builder.mode == Mode::Cluster;
        loop {
            let free = wait_until(
                deadline.saturating_duration_since(Instant::now()),
                &format!("port {port} to be free for a restart"),
                || match ports::is_free(port, cluster) {
                    true => Ok(()),
                    false => Err("still bound".to_string()),
                },
            );
            if let Err(why) = free {
                fail(&why, &self.log_path);
            }
            let paths = Paths {
                dir: self.dir.path(),
                unix_socket: &self.unix_socket,
                log: &self.log_path,
                tls_port: self.tls_port(),
            };
            match launch(&self.builder, port, &paths, deadline) {
                Ok(child) => {
                    self.pid = child.id();
                    self.child = Some(child);
                    return;
                }
                Err(LaunchError::PortTaken) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(100));
                }
                Err(LaunchError::PortTaken) => fail(
                    &format!("port {port} stayed taken by another process"),
                    &self.log_path,
                ),
                Err(LaunchError::Failed(why)) => fail(&why, &self.log_path),
            }
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
