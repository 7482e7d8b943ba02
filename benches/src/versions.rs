//! The facts a result table is reported with: date, crate versions, server
//! version, machine.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// What a run was made with.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// `name version` of each compared crate and of tokio, from `Cargo.lock`.
    pub crates: Vec<(String, String)>,
    /// The git commit of the measured tree (`git rev-parse --short HEAD`,
    /// marked `+changes` when `tornadis/` has uncommitted edits), or the
    /// `BENCH_COMMIT` environment variable when set (for a tree exported
    /// without `.git`).
    pub commit: String,
    /// `redis-server --version`, trimmed to the version.
    pub server: String,
    /// `rustc --version`.
    pub rustc: String,
    /// CPU model and number of cores.
    pub machine: String,
}

impl RunInfo {
    /// Collects the facts; anything unavailable reads `unknown`.
    pub fn collect() -> Self {
        let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
        let lock = std::fs::read_to_string(lock).unwrap_or_default();
        let crates = ["tornadis", "redis", "fred", "tokio"]
            .into_iter()
            .map(|name| {
                let version = locked_version(&lock, name).unwrap_or_else(|| "unknown".into());
                (name.to_string(), version)
            })
            .collect();
        RunInfo {
            date: utc_now(),
            crates,
            commit: commit(),
            server: server_version(Path::new("redis-server")),
            rustc: command_output("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
            machine: machine(),
        }
    }

    /// The version of a crate, or `unknown`.
    pub fn version(&self, name: &str) -> &str {
        self.crates
            .iter()
            .find(|(n, _)| n == name)
            .map_or("unknown", |(_, v)| v.as_str())
    }
}

/// The version a server binary (`redis-server`, `valkey-server`) reports
/// with `--version`, or `unknown`.
pub fn server_version(binary: &Path) -> String {
    Command::new(binary)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .find_map(|w| w.strip_prefix("v=").map(str::to_string))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The version `Cargo.lock` records for package `name` (the first one, if
/// several versions are locked).
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?;
            let v = next
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(v.to_string());
        }
    }
    None
}

fn commit() -> String {
    if let Ok(c) = std::env::var("BENCH_COMMIT") {
        return c;
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    let Some(head) = command_output("git", &["-C", dir, "rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty = command_output(
        "git",
        &["-C", dir, "status", "--porcelain", "--", "../tornadis"],
    )
    .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head}+changes")
    } else {
        head
    }
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    }

    #[test]
    fn versions_from_a_lock_file() {
        let lock = "[[package]]\nname = \"redis\"\nversion = \"1.8.1\"\n\n[[package]]\nname = \"fred\"\nversion = \"10.1.0\"\n";
        assert_eq!(locked_version(lock, "redis").as_deref(), Some("1.8.1"));
        assert_eq!(locked_version(lock, "fred").as_deref(), Some("10.1.0"));
        assert_eq!(locked_version(lock, "tokio"), None);
    }
}
