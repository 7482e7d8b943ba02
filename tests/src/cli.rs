//! Running `redis-cli` against a fixture's server, for test setup and
//! inspection.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::binaries;
use crate::raw::Auth;

/// How long one `redis-cli` run may take before it is killed. redis-cli has
/// no timeout of its own, and a paused or blackholed server would otherwise
/// hang the test forever.
pub(crate) const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `redis-cli -h 127.0.0.1 -p PORT [--user U] [-a PASS] ARGS…` and
/// returns its standard output without trailing whitespace.
///
/// Error replies are output like any reply (redis-cli prints them and
/// exits 0). Panics if redis-cli cannot run, exits unsuccessfully (e.g. the
/// server is down) or takes longer than [`CLI_TIMEOUT`].
pub(crate) fn run(port: u16, auth: &Auth, args: &[&str]) -> String {
    let mut command = Command::new(binaries::redis_cli());
    command
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .arg("--no-auth-warning");
    if let Some(password) = &auth.password {
        if let Some(user) = &auth.user {
            command.args(["--user", user]);
        }
        command.args(["-a", password]);
    }
    command.args(args);
    run_command(command, &format!("redis-cli -p {port} {args:?}"))
}

/// Runs a prepared `redis-cli` command with [`CLI_TIMEOUT`], returning its
/// trimmed standard output; panics on failure with everything it printed.
pub(crate) fn run_command(mut command: Command, what: &str) -> String {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    // Read both pipes on threads so a chatty child never blocks on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + CLI_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} did not finish within {CLI_TIMEOUT:?}");
            }
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    };
    let collect =
        |h: Option<thread::JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
    let (stdout, stderr) = (collect(stdout), collect(stderr));
    if !status.success() {
        panic!("{what} failed ({status}):\nstdout: {stdout}\nstderr: {stderr}");
    }
    stdout.trim_end().to_string()
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
