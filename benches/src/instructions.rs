//! Instructions per operation, counted by callgrind: figures that stay put
//! when the machine is loaded, unlike wall and CPU time.
//!
//! Each workload and client runs in a child process (see [`crate::child`])
//! under `valgrind --tool=callgrind`, twice: once small and once
//! [`BIG`]÷[`SMALL`] times larger. Start-up, connecting and the warm-up are
//! the same in both, so the difference of the two totals divided by the
//! difference in operations is what one more operation costs. The counts
//! are user-space instructions of every thread of the client process
//! (tokio's workers included); a system call counts as the instructions
//! around it, not the kernel's work. Valgrind runs the threads one at a
//! time, so a multi-threaded runtime batches differently than it does
//! natively, and how often its idle workers look for work varies from run to
//! run: its counts are the median of [`MULTI_THREAD_REPS`] measurements. On a
//! current-thread runtime the counts repeat to within a few per cent, so one
//! measurement is taken.
//!
//! The callgrind profiles are kept in `target/callgrind/` for
//! `callgrind_annotate`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::child::ChildRun;
use crate::clients::Peer;
use crate::options::Flavor;
use crate::report::Spread;
use crate::workload::{Sizes, Workload};

/// The scale of the small run.
pub const SMALL: usize = 1;
/// The scale of the large run.
pub const BIG: usize = 3;

/// How many measurements a count on the multi-threaded runtime takes.
pub const MULTI_THREAD_REPS: usize = 3;

/// Whether `valgrind` can be run.
pub fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The workloads whose instructions are counted: the sequential, the
/// 64-task concurrent, both pipeline and the pool workloads (`large` costs
/// the kernel copying a mebibyte, which callgrind does not see;
/// `concurrent-512` would make the harness run longer for little).
pub fn counted(workload: Workload) -> bool {
    matches!(
        workload,
        Workload::SeqTcp
            | Workload::SeqUnix
            | Workload::Concurrent(64)
            | Workload::Pipeline
            | Workload::PipelineGet
            | Workload::Pool
    )
}

/// The sizes of an instruction run at `scale`: small enough that the slowest
/// client finishes in seconds under callgrind.
pub fn sizes(scale: usize) -> Sizes {
    Sizes {
        seq_ops: 400 * scale,
        ops_per_task: 8 * scale,
        pipeline_batches: 2 * scale,
        large_ops: scale,
        warmup_ops: 100,
        ..Sizes::full()
    }
}

/// The total instructions callgrind reports at exit (`Collected : N`).
pub fn collected(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let (_, rest) = l.split_once("Collected :")?;
        rest.trim().replace(',', "").parse().ok()
    })
}

/// One workload's count through one client.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    /// The workload.
    pub workload: Workload,
    /// The client.
    pub peer: Peer,
    /// The runtime flavour.
    pub runtime: Flavor,
    /// Instructions per operation, over the measurements taken.
    pub per_op: Spread,
}

/// Counts `run` (its sizes are replaced by [`sizes`]) `reps` times and
/// summarises. Profiles go to `out_dir` (the last measurement's are kept).
pub fn count(exe: &Path, run: &ChildRun, out_dir: &Path, reps: usize) -> Result<Count, String> {
    let mut values = Vec::new();
    for _ in 0..reps.max(1) {
        values.push(measure(exe, run, out_dir)?);
    }
    Ok(Count {
        workload: run.workload,
        peer: run.peer,
        runtime: run.runtime,
        per_op: Spread::of(values).ok_or("no instruction count was finite")?,
    })
}

/// One measurement: two children under callgrind, the difference per operation.
fn measure(exe: &Path, run: &ChildRun, out_dir: &Path) -> Result<f64, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let mut totals = Vec::new();
    for scale in [SMALL, BIG] {
        let mut run = run.clone();
        run.sizes = sizes(scale);
        let profile: PathBuf = out_dir.join(format!(
            "callgrind.{}.{}.{}.x{scale}.out",
            run.workload,
            run.peer,
            run.runtime.name()
        ));
        let wrapper = vec![
            "valgrind".to_string(),
            "--tool=callgrind".to_string(),
            format!("--callgrind-out-file={}", profile.display()),
        ];
        let (report, stderr) = run.spawn(exe, &wrapper)?;
        let total = collected(&stderr).ok_or_else(|| {
            format!(
                "callgrind printed no total for {} {}:\n{stderr}",
                run.workload, run.peer
            )
        })?;
        totals.push((report.ops, total));
    }
    let [(ops_small, small), (ops_big, big)] = totals[..] else {
        return Err("expected two instruction runs".into());
    };
    if ops_big <= ops_small {
        return Err(format!(
            "{} {}: the large run did no more operations ({ops_big}) than the small one ({ops_small})",
            run.workload, run.peer
        ));
    }
    Ok((big as f64 - small as f64) / (ops_big - ops_small) as f64)
}

fn figure(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// The Markdown table: instructions per operation for each client (median,
/// with the range when several measurements were taken), and tornadis ÷
/// each peer of the medians (lower is better).
pub fn table(counts: &[Count], workloads: &[Workload], peers: &[Peer]) -> String {
    let find = |w: Workload, p: Peer, r: Flavor| {
        counts
            .iter()
            .find(|c| c.workload == w && c.peer == p && c.runtime == r)
    };
    let median = |c: Option<&Count>| c.map_or(f64::NAN, |c| c.per_op.median);
    let mut out = String::from("| workload | runtime |");
    for p in peers {
        let _ = write!(out, " {p} |");
    }
    let others: Vec<Peer> = peers
        .iter()
        .copied()
        .filter(|&p| p != Peer::Tornadis)
        .collect();
    let with_tornadis = peers.contains(&Peer::Tornadis);
    if with_tornadis {
        for p in &others {
            let _ = write!(out, " tornadis ÷ {p} |");
        }
    }
    out.push_str("\n|---|---|");
    let columns = peers.len() + if with_tornadis { others.len() } else { 0 };
    out.push_str(&"---|".repeat(columns));
    out.push('\n');
    for &w in workloads.iter().filter(|&&w| counted(w)) {
        for r in [Flavor::MultiThread, Flavor::CurrentThread] {
            if peers.iter().all(|&p| find(w, p, r).is_none()) {
                continue;
            }
            let _ = write!(out, "| {w} | {} |", r.name());
            for &p in peers {
                match find(w, p, r) {
                    Some(c) if c.per_op.min < c.per_op.max => {
                        let s = c.per_op;
                        let _ = write!(
                            out,
                            " {} ({}–{}) |",
                            figure(s.median),
                            figure(s.min),
                            figure(s.max)
                        );
                    }
                    Some(c) => {
                        let _ = write!(out, " {} |", figure(c.per_op.median));
                    }
                    None => out.push_str(" – |"),
                }
            }
            if with_tornadis {
                let t = median(find(w, Peer::Tornadis, r));
                for &p in &others {
                    let ratio = t / median(find(w, p, r));
                    if ratio.is_finite() {
                        let _ = write!(out, " {ratio:.2}× |");
                    } else {
                        out.push_str(" – |");
                    }
                }
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_is_read_from_callgrinds_summary() {
        let stderr = "==123== Callgrind, a call-graph generating cache profiler\n\
                      ==123== Events    : Ir\n==123== Collected : 1234567\n==123==\n\
                      ==123== I   refs:      1,234,567\n";
        assert_eq!(collected(stderr), Some(1_234_567));
        assert_eq!(collected("nothing here"), None);
    }

    #[test]
    fn the_table_has_a_ratio_per_peer() {
        let one = |peer, runtime, values: &[f64]| Count {
            workload: Workload::SeqTcp,
            peer,
            runtime,
            per_op: Spread::of(values.iter().copied()).unwrap(),
        };
        let counts = [
            one(Peer::Tornadis, Flavor::CurrentThread, &[20_000.0]),
            one(Peer::RedisRs, Flavor::CurrentThread, &[40_000.0]),
            one(
                Peer::Tornadis,
                Flavor::MultiThread,
                &[21_000.0, 20_000.0, 23_000.0],
            ),
        ];
        let t = table(
            &counts,
            &[Workload::SeqTcp, Workload::Large],
            &[Peer::Tornadis, Peer::RedisRs, Peer::Fred],
        );
        assert!(
            t.contains("| seq-tcp | current-thread | 20.0k | 40.0k | – | 0.50× | – |"),
            "{t}"
        );
        assert!(
            t.contains("| seq-tcp | multi-thread | 21.0k (20.0k–23.0k) | – | – | – | – |"),
            "{t}"
        );
        assert!(!t.contains("large"), "{t}");
    }
}
