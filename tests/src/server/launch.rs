//! Spawning `redis-server` and waiting until it answers.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::builder::{Mode, RedisServerBuilder};
use crate::raw;

/// Name of the generated sentinel config file inside the server's directory.
pub(super) const SENTINEL_CONFIG: &str = "sentinel.conf";

/// Where a server keeps its files.
pub(super) struct Paths<'a> {
    pub(super) dir: &'a Path,
    pub(super) unix_socket: &'a Path,
    pub(super) log: &'a Path,
    /// The TLS port, for a server with a TLS listener (its certificate
    /// files are written into `dir`).
    pub(super) tls_port: Option<u16>,
}

/// Arguments that choose where the server listens and keeps its files.
///
/// A TLS listener's arguments (`--tls-port` and its files) are added by
/// `RedisServerBuilder::command_line`, and `launch` then also checks that
/// the TLS port accepts connections.
pub(super) fn listener_args(port: u16, paths: &Paths<'_>) -> Vec<OsString> {
    vec![
        "--port".into(),
        port.to_string().into(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--unixsocket".into(),
        paths.unix_socket.into(),
        "--unixsocketperm".into(),
        "700".into(),
        "--dir".into(),
        paths.dir.into(),
    ]
}

pub(super) enum LaunchError {
    /// The port (or its cluster bus port) was bound by someone else.
    PortTaken,
    /// Any other failure, explained.
    Failed(String),
}

/// Spawns `redis-server` on `port` and waits until it answers `PING` on its
/// unix socket and on TCP. The unix socket path is private to this fixture,
/// so an answer there proves it is our process that listens (Redis opens
/// its TCP port first and aborts if it cannot), not another server that
/// happened to take the port.
pub(super) fn launch(
    builder: &RedisServerBuilder,
    port: u16,
    paths: &Paths<'_>,
    deadline: Instant,
) -> Result<Child, LaunchError> {
    if let Mode::Sentinel(directives) = &builder.mode {
        // Sentinels rewrite their config as they learn; keep it on restart.
        let config = paths.dir.join(SENTINEL_CONFIG);
        if !config.exists() {
            fs::write(&config, directives.join("\n") + "\n")
                .map_err(|e| LaunchError::Failed(format!("writing {}: {e}", config.display())))?;
        }
    }
    let log_start = fs::metadata(paths.log).map(|m| m.len()).unwrap_or(0);
    let open_log = || {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(paths.log)
            .map_err(|e| LaunchError::Failed(format!("opening {}: {e}", paths.log.display())))
    };
    let binary = builder.server_kind().binary();
    let mut child = Command::new(binary)
        .args(builder.command_line(port, paths))
        .stdin(Stdio::null())
        .stdout(open_log()?)
        .stderr(open_log()?)
        .spawn()
        .map_err(|e| LaunchError::Failed(format!("cannot run {}: {e}", binary.display())))?;
    let auth = builder.auth();
    loop {
        match child.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => {
                let log = read_from(paths.log, log_start);
                return Err(if log.contains("Address already in use") {
                    LaunchError::PortTaken
                } else {
                    LaunchError::Failed(format!(
                        "{} on port {port} exited during startup ({status})",
                        builder.server_kind()
                    ))
                });
            }
            Err(e) => {
                return Err(LaunchError::Failed(format!(
                    "waiting for the server process: {e}"
                )))
            }
        }
        let probe = raw::ping_unix(paths.unix_socket, &auth)
            .and_then(|()| raw::ping_tcp((Ipv4Addr::LOCALHOST, port), &auth))
            .and_then(|()| match paths.tls_port {
                Some(tls_port) => accepts((Ipv4Addr::LOCALHOST, tls_port)),
                None => Ok(()),
            });
        match probe {
            Ok(()) => return Ok(child),
            Err(reason) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(LaunchError::Failed(format!(
                    "{} on port {port} did not answer PING in time: {reason}",
                    builder.server_kind()
                )));
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Whether a TCP port accepts connections (the TLS port: the probe does not
/// speak TLS, and by the time the server answers `PING` elsewhere its
/// listeners are all open, so a connection is enough).
fn accepts(addr: (Ipv4Addr, u16)) -> Result<(), String> {
    TcpStream::connect_timeout(&addr.into(), Duration::from_secs(2))
        .map(drop)
        .map_err(|e| format!("connect to TLS port {}: {e}", addr.1))
}

fn read_from(path: &Path, offset: u64) -> String {
    let mut text = Vec::new();
    if let Ok(mut file) = File::open(path) {
        if file.seek(SeekFrom::Start(offset)).is_ok() {
            let _ = file.read_to_end(&mut text);
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// The last `lines` lines of a log file.
pub(super) fn tail(path: &Path, lines: usize) -> String {
    let text = read_from(path, 0);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub(super) fn fail(why: &str, log: &Path) -> ! {
    panic!(
        "\n*** server fixture: {why} ***\n--- last lines of {} ---\n{}\n---\n",
        log.display(),
        tail(log, 40)
    )
}
