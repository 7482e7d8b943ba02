//! One run of one workload through one client in a child process: how the
//! harness counts instructions (the child runs under callgrind) and measures
//! a client's peak memory (the child's own high-water mark, untouched by the
//! other clients' runs).
//!
//! The parent re-executes its own binary with [`CHILD_VAR`] set to the run's
//! description; [`main_if_child`] notices it first thing in `main`, runs that
//! one workload against the parent's server, prints a short report on stdout
//! and exits. Nothing of the parent (its server, its other runs) is inside
//! the child, so its counts are the client's alone plus the fixed cost of
//! starting up, which the caller cancels by running two sizes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::clients::{Peer, PoolMode, Target};
use crate::measure::{peak_resident_bytes, resident_bytes};
use crate::options::Flavor;
use crate::workload::{Sizes, Workload};

/// The environment variable that turns the binary into a child run.
pub const CHILD_VAR: &str = "TORNADIS_BENCH_CHILD";

/// What a child runs: one workload, one client, one server.
#[derive(Debug, Clone)]
pub struct ChildRun {
    /// The workload.
    pub workload: Workload,
    /// The client.
    pub peer: Peer,
    /// Server TCP host.
    pub host: String,
    /// Server TCP port.
    pub port: u16,
    /// Server unix socket.
    pub unix_socket: PathBuf,
    /// The sizes (only the operation counts differ from [`Sizes::full`]).
    pub sizes: Sizes,
    /// How tornadis runs `pool`.
    pub pool: PoolMode,
    /// The runtime flavour.
    pub runtime: Flavor,
}

/// What a child reports back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildReport {
    /// Operations in the timed part.
    pub ops: u64,
    /// Resident memory once the runtime was built, before connecting (bytes).
    pub base_rss: u64,
    /// The process's peak resident memory at the end (bytes).
    pub peak_rss: u64,
}

impl ChildRun {
    /// The description passed in [`CHILD_VAR`]: one `key=value` per line.
    pub fn encode(&self) -> String {
        let s = &self.sizes;
        format!(
            "workload={}\nclient={}\nhost={}\nport={}\nunix={}\nseq_ops={}\nops_per_task={}\npipeline_batches={}\nlarge_ops={}\nwarmup_ops={}\npool={}\nruntime={}\n",
            self.workload,
            self.peer,
            self.host,
            self.port,
            self.unix_socket.display(),
            s.seq_ops,
            s.ops_per_task,
            s.pipeline_batches,
            s.large_ops,
            s.warmup_ops,
            self.pool.name(),
            self.runtime.name(),
        )
    }

    /// Reads a description made by [`encode`](Self::encode).
    pub fn decode(text: &str) -> Result<ChildRun, String> {
        let get = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
                .ok_or_else(|| format!("{CHILD_VAR} lacks `{key}`"))
        };
        let number = |key: &str| {
            get(key).and_then(|v| {
                v.parse::<usize>()
                    .map_err(|_| format!("{CHILD_VAR}: `{key}` is not a number: `{v}`"))
            })
        };
        let workload = get("workload")?;
        let workload = Workload::ALL
            .into_iter()
            .find(|w| w.name() == workload)
            .ok_or_else(|| format!("{CHILD_VAR}: unknown workload `{workload}`"))?;
        let client = get("client")?;
        let peer = Peer::ALL
            .into_iter()
            .find(|p| p.name() == client)
            .ok_or_else(|| format!("{CHILD_VAR}: unknown client `{client}`"))?;
        let pool = match get("pool")? {
            "round-robin" => PoolMode::RoundRobin,
            _ => PoolMode::ClientPool,
        };
        Ok(ChildRun {
            workload,
            peer,
            host: get("host")?.to_string(),
            port: get("port")?
                .parse()
                .map_err(|_| format!("{CHILD_VAR}: bad port"))?,
            unix_socket: PathBuf::from(get("unix")?),
            sizes: Sizes {
                seq_ops: number("seq_ops")?,
                ops_per_task: number("ops_per_task")?,
                pipeline_batches: number("pipeline_batches")?,
                large_ops: number("large_ops")?,
                warmup_ops: number("warmup_ops")?,
                ..Sizes::full()
            },
            pool,
            runtime: Flavor::parse(get("runtime")?)?,
        })
    }

    /// Runs this in a child process of `exe`, under `wrapper` (e.g.
    /// `valgrind --tool=callgrind …`) when given. Returns the report and the
    /// child's standard error (where a wrapper prints its summary).
    pub fn spawn(&self, exe: &Path, wrapper: &[String]) -> Result<(ChildReport, String), String> {
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let out = cmd.env(CHILD_VAR, self.encode()).output().map_err(|e| {
            format!(
                "cannot start {}: {e}",
                wrapper
                    .first()
                    .map_or_else(|| exe.display().to_string(), String::clone)
            )
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "{} {} in a child process failed ({}):\n{}",
                self.workload,
                self.peer,
                out.status,
                tail.join("\n")
            ));
        }
        let field = |key: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| format!("the child's report lacks `{key}`: {stdout}"))
        };
        Ok((
            ChildReport {
                ops: field("ops")?,
                base_rss: field("base_rss")?,
                peak_rss: field("peak_rss")?,
            },
            stderr,
        ))
    }

    fn run_here(&self) -> Result<ChildReport, String> {
        let target = Target::new(
            &self.host,
            self.port,
            self.unix_socket.clone(),
            self.sizes,
            self.pool,
        );
        let rt = self.runtime.build()?;
        let base_rss = resident_bytes().unwrap_or(0);
        let sample = rt.block_on(self.peer.run(self.workload, &target))?;
        drop(rt);
        Ok(ChildReport {
            ops: sample.ops,
            base_rss,
            peak_rss: peak_resident_bytes().unwrap_or(0),
        })
    }
}

/// When this process is a child run ([`CHILD_VAR`] is set): runs it, prints
/// the report, and returns the exit code. `None` for a normal invocation.
pub fn main_if_child() -> Option<i32> {
    let spec = std::env::var(CHILD_VAR).ok()?;
    let outcome = ChildRun::decode(&spec).and_then(|run| run.run_here());
    Some(match outcome {
        Ok(r) => {
            println!(
                "ops={}\nbase_rss={}\npeak_rss={}",
                r.ops, r.base_rss, r.peak_rss
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_round_trips() {
        let run = ChildRun {
            workload: Workload::Concurrent(64),
            peer: Peer::Fred,
            host: "127.0.0.1".into(),
            port: 40123,
            unix_socket: PathBuf::from("/tmp/some dir/redis.sock"),
            sizes: Sizes {
                seq_ops: 7,
                ops_per_task: 3,
                ..Sizes::quick()
            },
            pool: PoolMode::RoundRobin,
            runtime: Flavor::CurrentThread,
        };
        let back = ChildRun::decode(&run.encode()).unwrap();
        assert_eq!(back.workload, run.workload);
        assert_eq!(back.peer, run.peer);
        assert_eq!(back.port, 40123);
        assert_eq!(back.unix_socket, run.unix_socket);
        assert_eq!(back.sizes.seq_ops, 7);
        assert_eq!(back.sizes.ops_per_task, 3);
        assert_eq!(back.sizes.pipeline_batches, Sizes::quick().pipeline_batches);
        assert_eq!(back.pool, PoolMode::RoundRobin);
        assert_eq!(back.runtime, Flavor::CurrentThread);
        assert!(ChildRun::decode("workload=seq-tcp\n").is_err());
    }
}
