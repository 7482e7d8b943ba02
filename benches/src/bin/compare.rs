//! Side-by-side comparison of tornadis, redis-rs and fred.
//!
//! Starts its own `redis-server` (free TCP port and a unix socket, no
//! persistence), loads the keys, then runs every selected workload through
//! each client in turn (A B C A B C ...), each run on a fresh tokio runtime
//! and fresh connections, and prints medians, ranges and ratios. See
//! `--help` and `benches/README.md`.

use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tornadis_benches::chart::ops_chart;
use tornadis_benches::clients::{Peer, Target};
use tornadis_benches::measure::resident_bytes;
use tornadis_benches::options::{self, Options, Parsed};
use tornadis_benches::report::{self, ratios_table, results_table, Run};
use tornadis_benches::versions::RunInfo;
use tornadis_benches::workload::{Workload, LARGE_KEY};
use tornadis_tests::{raw, RedisServer};

const README_START: &str = "<!-- results:start -->";
const README_END: &str = "<!-- results:end -->";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match options::parse(&args, |k| std::env::var(k).ok()) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help) => {
            print!("{}", options::USAGE);
            return;
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&opts) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(opts: &Options) -> Result<(), String> {
    let started = Instant::now();
    let server = RedisServer::builder()
        // Persistence would fork and write in the middle of the SET workloads.
        .args(["--save", "", "--appendonly", "no"])
        .start();
    let target = Target::new(
        "127.0.0.1",
        server.port(),
        server.unix_socket().to_path_buf(),
        opts.sizes,
        opts.tornadis_pool,
    );
    load(&server, &target)?;
    let info = RunInfo::collect();
    eprintln!(
        "redis-server {} on {} and {}; {} repetitions{}",
        info.server,
        server.addr(),
        server.unix_socket().display(),
        opts.reps,
        if opts.quick { " (quick)" } else { "" }
    );

    let mut runs = Vec::new();
    for &workload in &opts.workloads {
        for rep in 0..opts.reps {
            for &peer in &opts.peers {
                let sample = runtime()?.block_on(peer.run(workload, &target))?;
                eprintln!(
                    "{workload:>15} {peer:>9} #{rep}: {:>9} ops/s  p50 {:>8.1} µs  p99 {:>8.1} µs  CPU {:>6.2} µs/op",
                    report::human(sample.ops_per_sec()),
                    sample.latency.quantile(0.5).map_or(f64::NAN, |d| d.as_secs_f64() * 1e6),
                    sample.latency.quantile(0.99).map_or(f64::NAN, |d| d.as_secs_f64() * 1e6),
                    sample.cpu_us_per_op(),
                );
                runs.push(Run {
                    workload,
                    peer,
                    sample,
                });
            }
        }
    }

    let memory = if opts.memory && opts.peers.contains(&Peer::Tornadis) {
        memory_check(&target)?
    } else {
        String::new()
    };

    let summaries: Vec<_> = opts
        .workloads
        .iter()
        .flat_map(|&w| opts.peers.iter().map(move |&p| (w, p)))
        .filter_map(|(w, p)| report::summarise(&runs, w, p))
        .collect();
    let command = command_line(opts);
    let versions = info
        .crates
        .iter()
        .map(|(n, v)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut md = String::new();
    md.push_str(&format!(
        "Run on {} with `{command}` (tornadis at commit {}): {versions}; redis-server {}; {}; {}. {} runs per client and workload, interleaved; tornadis `pool` mode: {}; total {:.0} s.\n\n",
        info.date,
        info.commit,
        info.server,
        info.rustc,
        info.machine,
        opts.reps,
        opts.tornadis_pool.name(),
        started.elapsed().as_secs_f64()
    ));
    md.push_str(&results_table(&summaries));
    md.push_str("\nRatios are tornadis ÷ peer of the medians (ops/s: higher is better; CPU/op: lower is better).\n\n");
    md.push_str(&ratios_table(&summaries, &opts.workloads));
    md.push_str(&memory);
    println!("{md}");

    let subtitle = format!(
        "{}; {}; {} runs each{}",
        info.date,
        versions,
        opts.reps,
        if opts.quick { " (quick mode)" } else { "" }
    );
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    if !opts.quick || opts.update_readme {
        let chart = ops_chart(&summaries, &opts.workloads, &opts.peers, &subtitle);
        write(&results.join("ops.svg"), &chart)?;
    }
    if opts.update_readme {
        update_readme(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
            &md,
        )?;
    }
    Ok(())
}

/// A fresh multi-threaded runtime with tokio's defaults (one worker per
/// core), as `#[tokio::main]` makes: nothing left over from one client's run
/// (tasks, buffers, connections) can slow the next.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))
}

/// Stores the small keys and the large value with plain RESP, independent
/// of the clients under test.
fn load(server: &RedisServer, t: &Target) -> Result<(), String> {
    let mut stream = TcpStream::connect(server.socket_addr())
        .map_err(|e| format!("connecting to load data: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut mset: Vec<&[u8]> = vec![b"MSET"];
    for key in t.keys.iter() {
        mset.push(key.as_bytes());
        mset.push(&t.value);
    }
    let large = vec![b'x'; t.sizes.large_len];
    let set: [&[u8]; 3] = [b"SET", LARGE_KEY.as_bytes(), &large];
    let replies = raw::exchange(&mut stream, &[&mset[..], &set[..]])
        .map_err(|e| format!("loading data: {e}"))?;
    if replies.iter().any(|r| r != "+OK") {
        return Err(format!("loading data: unexpected replies {replies:?}"));
    }
    Ok(())
}

/// Runs tornadis `concurrent-64` ten times in one runtime and reports the
/// process's resident memory after each: it must stay flat.
fn memory_check(t: &Target) -> Result<String, String> {
    let rt = runtime()?;
    let mut rss = Vec::new();
    for _ in 0..10 {
        rt.block_on(Peer::Tornadis.run(Workload::Concurrent(64), t))?;
        rss.push(resident_bytes().unwrap_or(0));
    }
    let mib: Vec<String> = rss
        .iter()
        .map(|b| format!("{:.1}", *b as f64 / 1048576.0))
        .collect();
    let first = rss.first().copied().unwrap_or(0) as f64;
    let last = rss.last().copied().unwrap_or(0) as f64;
    let line = format!(
        "\nMemory: process RSS (MiB) after each of 10 tornadis concurrent-64 runs: {} (last ÷ first = {:.2}).\n",
        mib.join(", "),
        if first > 0.0 { last / first } else { f64::NAN }
    );
    eprint!("{line}");
    Ok(line)
}

fn command_line(opts: &Options) -> String {
    let mut cmd = String::from("cargo run --release -p tornadis-benches --bin compare");
    if !opts.args.is_empty() {
        cmd.push_str(" --");
        for a in &opts.args {
            cmd.push(' ');
            cmd.push_str(a);
        }
    }
    cmd
}

fn write(path: &PathBuf, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let mut f =
        std::fs::File::create(path).map_err(|e| format!("writing {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Replaces the text between the results markers of the README.
fn update_readme(path: &PathBuf, md: &str) -> Result<(), String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let (Some(start), Some(end)) = (text.find(README_START), text.find(README_END)) else {
        return Err(format!(
            "{} has no {README_START} … {README_END} section",
            path.display()
        ));
    };
    if end < start {
        return Err(format!(
            "{}: the results markers are out of order",
            path.display()
        ));
    }
    let updated = format!("{}{README_START}\n{md}\n{}", &text[..start], &text[end..]);
    write(path, &updated)
}
