//! Turning runs into medians, ranges and ratios, and those into Markdown.

use std::fmt::Write;

use crate::clients::Peer;
use crate::measure::Sample;
use crate::workload::Workload;

/// One timed run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The workload.
    pub workload: Workload,
    /// The client.
    pub peer: Peer,
    /// What it measured.
    pub sample: Sample,
}

/// Median, minimum and maximum of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, or `None` when there are none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
        })
    }
}

/// The summary of every run of one workload through one client.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The workload.
    pub workload: Workload,
    /// The client.
    pub peer: Peer,
    /// How many runs.
    pub runs: usize,
    /// Operations per second.
    pub ops: Spread,
    /// Payload MB/s (only for throughput workloads).
    pub mb: Option<Spread>,
    /// Client CPU microseconds per operation.
    pub cpu_us: Spread,
    /// Median over runs of each run's p50 latency, microseconds.
    pub p50_us: f64,
    /// Median over runs of each run's p99 latency, microseconds.
    pub p99_us: f64,
}

/// Summarises the runs of `workload` through `peer`, if there were any.
pub fn summarise(runs: &[Run], workload: Workload, peer: Peer) -> Option<Summary> {
    let mine: Vec<&Sample> = runs
        .iter()
        .filter(|r| r.workload == workload && r.peer == peer)
        .map(|r| &r.sample)
        .collect();
    let quantile = |q: f64| {
        Spread::of(
            mine.iter()
                .filter_map(|s| s.latency.quantile(q))
                .map(|d| d.as_secs_f64() * 1e6),
        )
        .map_or(f64::NAN, |s| s.median)
    };
    Some(Summary {
        workload,
        peer,
        runs: mine.len(),
        ops: Spread::of(mine.iter().map(|s| s.ops_per_sec()))?,
        mb: if workload.is_throughput() {
            Spread::of(mine.iter().map(|s| s.mb_per_sec()))
        } else {
            None
        },
        cpu_us: Spread::of(mine.iter().map(|s| s.cpu_us_per_op()))?,
        p50_us: quantile(0.5),
        p99_us: quantile(0.99),
    })
}

/// A target from the issue, for one workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Against whom: `None` for the better of the peers, or one peer.
    pub against: Option<Peer>,
    /// tornadis ops/s must be at least this multiple.
    pub min_speed: f64,
    /// tornadis CPU per op must be at most this multiple, if set.
    pub max_cpu: Option<f64>,
}

/// The target for `workload`.
pub fn target(workload: Workload) -> Target {
    match workload {
        Workload::SeqTcp | Workload::SeqUnix => Target {
            against: None,
            min_speed: 1.1,
            max_cpu: None,
        },
        Workload::Concurrent(_) => Target {
            against: None,
            min_speed: 2.0,
            max_cpu: Some(0.4),
        },
        Workload::Pool => Target {
            against: Some(Peer::RedisRs),
            min_speed: 1.0,
            max_cpu: None,
        },
        Workload::Pipeline | Workload::PipelineGet => Target {
            against: Some(Peer::RedisRs),
            min_speed: 1.2,
            max_cpu: Some(0.6),
        },
        Workload::ClusterOps | Workload::ClusterPipeline => Target {
            against: None,
            min_speed: 1.5,
            max_cpu: None,
        },
        Workload::Large => Target {
            against: None,
            min_speed: 1.0,
            max_cpu: None,
        },
    }
}

/// Formats a rate: `15.2k`, `1.82M`.
pub fn human(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

fn us(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The per-client table: one row per workload and client.
pub fn results_table(summaries: &[Summary]) -> String {
    let mut out = String::new();
    out.push_str("| workload | client | ops/s median (min–max) | MB/s | p50 µs | p99 µs | client CPU µs/op median (min–max) | runs |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for s in summaries {
        let mb = s.mb.map_or("".into(), |m| {
            format!("{:.0} ({:.0}–{:.0})", m.median, m.min, m.max)
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} ({}–{}) | {} | {} | {} | {} ({}–{}) | {} |",
            s.workload,
            s.peer,
            human(s.ops.median),
            human(s.ops.min),
            human(s.ops.max),
            mb,
            us(s.p50_us),
            us(s.p99_us),
            us(s.cpu_us.median),
            us(s.cpu_us.min),
            us(s.cpu_us.max),
            s.runs
        );
    }
    out
}

/// The ratios table: tornadis against each peer, and the target.
pub fn ratios_table(summaries: &[Summary], workloads: &[Workload]) -> String {
    let find = |w: Workload, p: Peer| summaries.iter().find(|s| s.workload == w && s.peer == p);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let fmt = |x: f64| {
        if x.is_finite() {
            format!("{x:.2}×")
        } else {
            "–".into()
        }
    };
    let mut out = String::new();
    out.push_str("| workload | ops/s vs redis-rs | ops/s vs fred | ops/s vs deadpool-redis | CPU/op vs redis-rs | CPU/op vs fred | CPU/op vs deadpool-redis | target | verdict |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for &w in workloads {
        let Some(t) = find(w, Peer::Tornadis) else {
            continue;
        };
        let r = find(w, Peer::RedisRs);
        let f = find(w, Peer::Fred);
        let d = find(w, Peer::Deadpool);
        let speed = |p: Option<&Summary>| p.map_or(f64::NAN, |p| ratio(t.ops.median, p.ops.median));
        let cpu =
            |p: Option<&Summary>| p.map_or(f64::NAN, |p| ratio(t.cpu_us.median, p.cpu_us.median));
        let goal = target(w);
        // The peers the target is measured against; a verdict needs them all
        // (`f64::min` would quietly compare against the one that ran).
        let against: &[(Peer, Option<&Summary>)] = match goal.against {
            Some(Peer::RedisRs) => &[(Peer::RedisRs, r)],
            Some(Peer::Fred) => &[(Peer::Fred, f)],
            _ => &[(Peer::RedisRs, r), (Peer::Fred, f)],
        };
        let missing: Vec<&str> = against
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(p, _)| p.name())
            .collect();
        let who = match goal.against {
            Some(p) => p.name(),
            None => "the better peer",
        };
        // The better peer: the faster one for speed, the leaner one for CPU.
        let speed_vs = against
            .iter()
            .map(|(_, s)| speed(*s))
            .fold(f64::INFINITY, f64::min);
        let cpu_vs = against
            .iter()
            .map(|(_, s)| cpu(*s))
            .fold(f64::NEG_INFINITY, f64::max);
        let mut want = format!("≥ {:.1}× {who}", goal.min_speed);
        if let Some(c) = goal.max_cpu {
            let _ = write!(want, ", CPU ≤ {c:.1}×");
        }
        let verdict = if !missing.is_empty() {
            format!("no verdict: no result from {}", missing.join(", "))
        } else if !speed_vs.is_finite() {
            "no verdict: a peer measured no operations".to_string()
        } else {
            let speed_ok = speed_vs >= goal.min_speed;
            let cpu_ok = goal
                .max_cpu
                .is_none_or(|c| cpu_vs.is_finite() && cpu_vs <= c);
            match (speed_ok, cpu_ok) {
                (true, true) => "met".into(),
                (false, true) => format!("missed: speed {}", fmt(speed_vs)),
                (true, false) => format!("missed: CPU {}", fmt(cpu_vs)),
                (false, false) => format!("missed: speed {}, CPU {}", fmt(speed_vs), fmt(cpu_vs)),
            }
        };
        let _ = writeln!(
            out,
            "| {w} | {} | {} | {} | {} | {} | {} | {want} | {verdict} |",
            fmt(speed(r)),
            fmt(speed(f)),
            fmt(speed(d)),
            fmt(cpu(r)),
            fmt(cpu(f)),
            fmt(cpu(d)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_middle() {
        let s = Spread::of([3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Spread::of([4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(Spread::of([]).is_none());
    }

    fn summary(workload: Workload, peer: Peer, ops: f64, cpu_us: f64) -> Summary {
        Summary {
            workload,
            peer,
            runs: 1,
            ops: Spread::of([ops]).unwrap(),
            mb: None,
            cpu_us: Spread::of([cpu_us]).unwrap(),
            p50_us: 1.0,
            p99_us: 1.0,
        }
    }

    #[test]
    fn a_verdict_against_the_better_peer_needs_both_peers() {
        let w = Workload::SeqTcp;
        let t = summary(w, Peer::Tornadis, 30_000.0, 10.0);
        let r = summary(w, Peer::RedisRs, 25_000.0, 12.0);
        let f = summary(w, Peer::Fred, 40_000.0, 11.0);
        // Both peers: measured against the faster (fred), so 0.75× misses.
        let both = ratios_table(&[t.clone(), r.clone(), f], &[w]);
        assert!(both.contains("missed: speed 0.75×"), "{both}");
        // fred failed: no verdict, naming it, rather than 1.2× against redis-rs.
        let one = ratios_table(&[t, r], &[w]);
        assert!(one.contains("no verdict: no result from fred"), "{one}");
        assert!(!one.contains("met"), "{one}");
    }

    #[test]
    fn human_rates() {
        assert_eq!(human(15_234.0), "15k");
        assert_eq!(human(1_820_000.0), "1.82M");
        assert_eq!(human(2_600.0), "2.6k");
    }
}
