//! The C references, `redis-benchmark` against the same server, run once per
//! repetition right after the clients' runs of a workload:
//!
//! - beside `pipeline`: `-c 1 -P <len>`, one connection with one pipeline in
//!   flight, SET and GET of values of the workload's size and as many
//!   commands as one `pipeline` run. It tells how close a client's pipeline
//!   comes to what the server itself can take on one connection: the target
//!   is ≥ 95% of it.
//! - beside `pool`: `-c <connections> -P 1`, as many connections as the pool
//!   holds, each with one request at a time: what an exclusive pool (one
//!   user per connection, as `ClientPool` and deadpool-redis lend them)
//!   could reach if the client cost nothing.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use crate::report::{Spread, Summary};
use crate::workload::Sizes;

/// What a pipeline must reach, as a share of `redis-benchmark -P`.
pub const TARGET: f64 = 0.95;

/// One `redis-benchmark` run: commands per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    /// SET, commands per second.
    pub set: f64,
    /// GET, commands per second.
    pub get: f64,
}

/// `REDIS_BENCHMARK`, or `redis-benchmark` on the `PATH`, or an error saying
/// how to provide one.
pub fn binary() -> Result<PathBuf, String> {
    if let Some(explicit) = std::env::var_os("REDIS_BENCHMARK") {
        let path = PathBuf::from(explicit);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("REDIS_BENCHMARK={} is not a file", path.display()))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("redis-benchmark"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "redis-benchmark not found on the PATH (Debian: apt-get install redis-tools); \
             set REDIS_BENCHMARK, or pass --no-reference"
                .to_string()
        })
}

/// Runs `redis-benchmark` once against `host:port` with the `pipeline`
/// workload's sizes.
pub fn run(bin: &PathBuf, host: &str, port: u16, sizes: &Sizes) -> Result<Reference, String> {
    let commands = sizes.pipeline_len * sizes.pipeline_batches;
    run_shape(bin, host, port, sizes, 1, sizes.pipeline_len, commands)
}

/// Runs `redis-benchmark` once against `host:port` with the `pool`
/// workload's shape: one connection per pooled connection, one request at a
/// time on each.
pub fn run_pool(bin: &PathBuf, host: &str, port: u16, sizes: &Sizes) -> Result<Reference, String> {
    // Enough for a steady rate; the pool's own count would take long at
    // one request per connection at a time.
    let commands = (sizes.pool_tasks * sizes.ops_per_task).min(100_000);
    run_shape(bin, host, port, sizes, sizes.pool_connections, 1, commands)
}

fn run_shape(
    bin: &PathBuf,
    host: &str,
    port: u16,
    sizes: &Sizes,
    connections: usize,
    pipeline: usize,
    commands: usize,
) -> Result<Reference, String> {
    let out = Command::new(bin)
        .args(["-h", host, "-p", &port.to_string()])
        .args(["-c", &connections.to_string()])
        .args(["-P", &pipeline.to_string()])
        .args(["-n", &commands.to_string()])
        .args(["-d", &sizes.value_len.to_string()])
        .args(["-t", "set,get", "--csv"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            bin.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_csv(&String::from_utf8_lossy(&out.stdout))
}

/// The SET and GET rates of `redis-benchmark --csv` output.
pub fn parse_csv(out: &str) -> Result<Reference, String> {
    let rate = |test: &str| {
        out.lines()
            .filter_map(|line| {
                let mut cols = line.split(',').map(|c| c.trim().trim_matches('"'));
                (cols.next()? == test).then(|| cols.next()?.parse::<f64>().ok())?
            })
            .next()
            .ok_or_else(|| format!("redis-benchmark printed no {test} rate: {out:?}"))
    };
    Ok(Reference {
        set: rate("SET")?,
        get: rate("GET")?,
    })
}

/// The Markdown section comparing each client's `pipeline` (SETs) with the
/// reference's SET rate, and its `pipeline-get` with the GET rate.
pub fn table(references: &[Reference], clients: &[&Summary]) -> String {
    let (Some(set), Some(get)) = (
        Spread::of(references.iter().map(|r| r.set)),
        Spread::of(references.iter().map(|r| r.get)),
    ) else {
        return String::new();
    };
    let mut out = format!(
        "\n`redis-benchmark -c 1 -P <pipeline length>` (C, one connection, the same server, {} runs): \
         SET {:.2}M/s ({:.2}–{:.2}M), GET {:.2}M/s ({:.2}–{:.2}M). `pipeline` (SETs) is compared with \
         SET, `pipeline-get` with GET; target ≥ {:.0}%.\n\n\
         | workload | client | ops/s | ÷ redis-benchmark | verdict |\n|---|---|---|---|---|\n",
        references.len(),
        set.median / 1e6,
        set.min / 1e6,
        set.max / 1e6,
        get.median / 1e6,
        get.min / 1e6,
        get.max / 1e6,
        TARGET * 100.0,
    );
    for s in clients {
        let (reference, test) = match s.workload {
            crate::workload::Workload::PipelineGet => (get.median, "GET"),
            _ => (set.median, "SET"),
        };
        let share = s.ops.median / reference;
        let verdict = if share >= TARGET { "met" } else { "missed" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0}% of {test} | {verdict} |",
            s.workload,
            s.peer,
            crate::report::human(s.ops.median),
            share * 100.0
        );
    }
    out
}

/// The Markdown section comparing each client's `pool` (GETs) with the
/// reference's GET rate on as many connections, one request at a time each.
pub fn pool_table(references: &[Reference], clients: &[&Summary], connections: usize) -> String {
    let Some(get) = Spread::of(references.iter().map(|r| r.get)) else {
        return String::new();
    };
    let mut out = format!(
        "\n`redis-benchmark -c {connections} -P 1` (C, {connections} connections with one request \
         at a time each, the same server, {} runs): GET {} ({}–{}). That is the most an exclusive \
         pool of {connections} connections (one user per connection) can reach with a client that \
         costs nothing; redis-rs and fred pipeline many tasks' requests on each connection.\n\n\
         | client | pool ops/s | ÷ redis-benchmark GET |\n|---|---|---|\n",
        references.len(),
        crate::report::human(get.median),
        crate::report::human(get.min),
        crate::report::human(get.max),
    );
    for s in clients {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0}% |",
            s.peer,
            crate::report::human(s.ops.median),
            s.ops.median / get.median * 100.0
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rates_of_the_csv() {
        let out = "\"test\",\"rps\",\"avg_latency_ms\"\n\"SET\",\"1600000.00\",\"0.504\"\n\"GET\",\"1941747.62\",\"0.335\"\n";
        assert_eq!(
            parse_csv(out),
            Ok(Reference {
                set: 1_600_000.0,
                get: 1_941_747.62
            })
        );
        assert!(parse_csv("\"SET\",\"1.0\"\n").is_err());
        assert!(parse_csv("").is_err());
    }
}
