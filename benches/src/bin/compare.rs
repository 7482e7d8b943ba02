//! Side-by-side comparison of tornadis, redis-rs and fred.
//!
//! Starts its own `redis-server` (or `valkey-server`; free TCP port and a
//! unix socket, no persistence), loads the keys, then runs every selected
//! workload through each client in turn (A B C A B C ...), each run on a
//! fresh tokio runtime and fresh connections, and prints medians, ranges and
//! ratios; then the memory figures and the instruction counts (callgrind),
//! which run the binary itself as a child process (see `child`). See `--help`
//! and `benches/README.md`.

use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tornadis_benches::chart::ops_chart;
use tornadis_benches::child::{self, ChildReport, ChildRun};
use tornadis_benches::clients::{Peer, Target};
use tornadis_benches::instructions;
use tornadis_benches::measure::resident_bytes;
use tornadis_benches::options::{self, Flavor, Instructions, Options, Parsed};
use tornadis_benches::reference;
use tornadis_benches::report::{self, ratios_table, results_table, Run};
use tornadis_benches::server::{self, Cluster, Server, ServerKind};
use tornadis_benches::versions::{server_version, RunInfo};
use tornadis_benches::workload::{Workload, LARGE_KEY};

const README_START: &str = "<!-- results:start -->";
const README_END: &str = "<!-- results:end -->";

fn main() {
    if let Some(code) = child::main_if_child() {
        std::process::exit(code);
    }
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
    let info = RunInfo::collect();
    let versions = info
        .crates
        .iter()
        .map(|(n, v)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sections = String::new();
    let mut servers = Vec::new();
    for (i, &kind) in opts.servers.iter().enumerate() {
        let (section, server) = run_on(kind, i == 0, opts, &info, &versions)?;
        sections.push_str(&section);
        servers.push(server);
    }
    let command = command_line(opts);
    let what = if opts.instructions == Instructions::Only {
        "instruction counts only".to_string()
    } else {
        format!(
            "{} runs per client and workload, interleaved; tornadis `pool` mode: {}",
            opts.reps,
            opts.tornadis_pool.name()
        )
    };
    let md = format!(
        "Run on {} with `{command}` (tornadis at commit {}): {versions}; {}; {}; {}; tokio {} runtime. {what}; total {:.0} s.\n\n{sections}",
        info.date,
        info.commit,
        servers.join(", "),
        info.rustc,
        info.machine,
        opts.runtime.name(),
        started.elapsed().as_secs_f64()
    );
    println!("{md}");
    if opts.update_readme {
        update_readme(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
            &md,
        )?;
    }
    Ok(())
}

/// Everything selected, against one server of `kind`: the Markdown section
/// and the server's name and version.
fn run_on(
    kind: ServerKind,
    first: bool,
    opts: &Options,
    info: &RunInfo,
    versions: &str,
) -> Result<(String, String), String> {
    let server = Server::start(kind)?;
    let name = format!("{kind}-server {}", server_version(&kind.binary()?));
    let mut target = Target::new(
        "127.0.0.1",
        server.port(),
        server.unix_socket().to_path_buf(),
        opts.sizes,
        opts.tornadis_pool,
    );
    load(&server, &target)?;
    // The cluster workloads get a cluster of their own, of the same server.
    let cluster = if opts.instructions != Instructions::Only
        && opts.workloads.iter().any(Workload::is_cluster)
    {
        let cluster = Cluster::start(kind)?;
        target.cluster = cluster.nodes();
        eprintln!(
            "{kind} cluster of 3 primaries + 3 replicas on ports {:?}",
            target.cluster.iter().map(|n| n.1).collect::<Vec<_>>()
        );
        Some(cluster)
    } else {
        None
    };
    eprintln!(
        "{name} on {} and {}; {} repetitions{}; {} runtime",
        server.socket_addr(),
        server.unix_socket().display(),
        opts.reps,
        if opts.quick { " (quick)" } else { "" },
        opts.runtime.name()
    );
    let mut md = String::new();
    if opts.servers.len() > 1 {
        md.push_str(&format!("#### {name}\n\n"));
    }
    if opts.instructions != Instructions::Only {
        md.push_str(&timed(opts, &target, info, versions, kind, first)?);
    }
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the running binary: {e}"))?;
    let count = match opts.instructions {
        // Client instructions hardly depend on the server: counted once.
        _ if !first => false,
        Instructions::Off => false,
        Instructions::Only => true,
        Instructions::Auto => {
            let found = instructions::valgrind_available();
            if !found {
                eprintln!("valgrind not found: no instruction counts");
                md.push_str("\nInstruction counts skipped: `valgrind` was not found.\n");
            }
            found
        }
    };
    drop(cluster);
    if count {
        md.push_str(&instruction_counts(&exe, opts, &target)?);
    }
    Ok((md, name))
}

/// The timed, interleaved runs and the memory figures.
fn timed(
    opts: &Options,
    target: &Target,
    info: &RunInfo,
    versions: &str,
    kind: ServerKind,
    first: bool,
) -> Result<String, String> {
    let mut runs = Vec::new();
    let mut failures = String::new();
    // The C references beside the pipelines and `pool`: a missing binary
    // stops the run before anything is measured, rather than leaving the
    // rows out.
    let referenced = [Workload::Pipeline, Workload::PipelineGet, Workload::Pool];
    let reference = match opts.reference && opts.workloads.iter().any(|w| referenced.contains(w)) {
        true => Some(reference::binary()?),
        false => None,
    };
    let mut references = Vec::new();
    let mut pool_references = Vec::new();
    for &workload in &opts.workloads {
        for rep in 0..opts.reps {
            for &peer in opts.peers.iter().filter(|p| p.runs(workload)) {
                let outcome = opts.runtime.build()?.block_on(peer.run(workload, target));
                let sample = match outcome {
                    Ok(sample) => sample,
                    // A client that cannot run a cluster workload is reported, not fatal.
                    Err(e) if workload.is_cluster() => {
                        eprintln!("{workload:>15} {peer:>9} #{rep}: failed: {e}");
                        if rep == 0 {
                            failures
                                .push_str(&format!("\n`{workload}` through {peer} failed: {e}\n"));
                        }
                        continue;
                    }
                    Err(e) => return Err(e),
                };
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
            // One C run per repetition serves both pipeline workloads.
            let pipeline_reference = workload == Workload::Pipeline
                || (workload == Workload::PipelineGet
                    && !opts.workloads.contains(&Workload::Pipeline));
            if let (true, Some(bin)) = (pipeline_reference, &reference) {
                let r = reference::run(bin, &target.host, target.port, &opts.sizes)?;
                eprintln!(
                    "{workload:>15} redis-benchmark #{rep}: SET {:>9} GET {:>9} ops/s (C, -c 1 -P {})",
                    report::human(r.set),
                    report::human(r.get),
                    opts.sizes.pipeline_len
                );
                references.push(r);
            }
            if let (Workload::Pool, Some(bin)) = (workload, &reference) {
                let r = reference::run_pool(bin, &target.host, target.port, &opts.sizes)?;
                eprintln!(
                    "{workload:>15} redis-benchmark #{rep}: GET {:>9} ops/s (C, -c {} -P 1)",
                    report::human(r.get),
                    opts.sizes.pool_connections
                );
                pool_references.push(r);
            }
        }
    }

    let mut memory = String::new();
    // Memory figures are the client's: taken on the first server only.
    if opts.memory && first {
        if opts.peers.contains(&Peer::Tornadis) {
            memory.push_str(&memory_check(opts, target)?);
        }
        memory.push_str(&peak_memory(opts, target)?);
    }

    let summaries: Vec<_> = opts
        .workloads
        .iter()
        .flat_map(|&w| opts.peers.iter().map(move |&p| (w, p)))
        .filter_map(|(w, p)| report::summarise(&runs, w, p))
        .collect();
    let mut md = String::new();
    md.push_str(&results_table(&summaries));
    md.push_str("\nRatios are tornadis ÷ peer of the medians (ops/s: higher is better; CPU/op: lower is better).\n\n");
    md.push_str(&ratios_table(&summaries, &opts.workloads));
    let pipelines: Vec<&report::Summary> = summaries
        .iter()
        .filter(|s| matches!(s.workload, Workload::Pipeline | Workload::PipelineGet))
        .collect();
    md.push_str(&reference::table(&references, &pipelines));
    let pools: Vec<&report::Summary> = summaries
        .iter()
        .filter(|s| s.workload == Workload::Pool)
        .collect();
    md.push_str(&reference::pool_table(
        &pool_references,
        &pools,
        opts.sizes.pool_connections,
    ));
    md.push_str(&failures);
    md.push_str(&memory);

    let subtitle = format!(
        "{}; {}; {kind}-server; {} runtime; {} runs each{}",
        info.date,
        versions,
        opts.runtime.name(),
        opts.reps,
        if opts.quick { " (quick mode)" } else { "" }
    );
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    if !opts.quick || opts.update_readme {
        let chart = ops_chart(&summaries, &opts.workloads, &opts.peers, &subtitle);
        let file = if first {
            "ops.svg".to_string()
        } else {
            format!("ops-{kind}.svg")
        };
        write(&results.join(file), &chart)?;
    }
    Ok(md)
}

/// Instructions per operation of every selected client on the counted
/// workloads, each under callgrind in a child process.
fn instruction_counts(exe: &Path, opts: &Options, t: &Target) -> Result<String, String> {
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/callgrind");
    let mut counts = Vec::new();
    for &workload in opts.workloads.iter().filter(|&&w| instructions::counted(w)) {
        for (runtime, reps) in [
            (Flavor::MultiThread, instructions::MULTI_THREAD_REPS),
            (Flavor::CurrentThread, 1),
        ] {
            for &peer in opts.peers.iter().filter(|p| p.runs(workload)) {
                let mut run = child_run(workload, peer, opts, t, opts.sizes);
                run.runtime = runtime;
                let count = instructions::count(exe, &run, &out_dir, reps)?;
                eprintln!(
                    "{workload:>15} {peer:>9} {:>14}: {:>7.0} instructions/op (callgrind; {:.0}–{:.0})",
                    runtime.name(),
                    count.per_op.median,
                    count.per_op.min,
                    count.per_op.max,
                );
                counts.push(count);
            }
        }
    }
    Ok(format!(
        "\nInstructions per operation (callgrind: user space, every thread of the client process; \
         the difference between a run of {} and one of {} times the operations, so start-up and warm-up cancel; \
         multi-thread: median (min–max) of {} measurements; lower is better):\n\n{}",
        instructions::SMALL,
        instructions::BIG,
        instructions::MULTI_THREAD_REPS,
        instructions::table(&counts, &opts.workloads, &opts.peers)
    ))
}

fn child_run(
    workload: Workload,
    peer: Peer,
    opts: &Options,
    t: &Target,
    sizes: tornadis_benches::workload::Sizes,
) -> ChildRun {
    ChildRun {
        workload,
        peer,
        host: t.host.clone(),
        port: t.port,
        unix_socket: t.unix_socket.clone(),
        sizes,
        pool: opts.tornadis_pool,
        runtime: opts.runtime,
    }
}

/// The peak resident memory of each client on `concurrent-512`, each run in
/// a child process of its own (so no other client's allocations count).
fn peak_memory(opts: &Options, t: &Target) -> Result<String, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the running binary: {e}"))?;
    let workload = Workload::Concurrent(512);
    let mut reports: Vec<(Peer, ChildReport)> = Vec::new();
    for _ in 0..opts.reps {
        for &peer in opts.peers.iter().filter(|p| p.runs(workload)) {
            let (r, _) = child_run(workload, peer, opts, t, opts.sizes).spawn(&exe, &[])?;
            eprintln!(
                "{workload:>15} {peer:>9}: peak RSS {:.1} MiB ({:.1} MiB before connecting)",
                mib(r.peak_rss),
                mib(r.base_rss)
            );
            reports.push((peer, r));
        }
    }
    let mut md = format!(
        "\nPeak RSS (MiB) of a process running one {workload} run ({} tasks × {} GETs), each client in a child process of its own, {} runs: peak `VmHWM` median (min–max), and its growth over the RSS before connecting.\n\n\
         | client | peak RSS | growth |\n|---|---|---|\n",
        512,
        opts.sizes.ops_per_task,
        opts.reps
    );
    for &peer in opts.peers.iter().filter(|p| p.runs(workload)) {
        let mine: Vec<&ChildReport> = reports
            .iter()
            .filter(|(p, _)| *p == peer)
            .map(|(_, r)| r)
            .collect();
        let peak = report::Spread::of(mine.iter().map(|r| mib(r.peak_rss)));
        let growth = report::Spread::of(
            mine.iter()
                .map(|r| mib(r.peak_rss.saturating_sub(r.base_rss))),
        );
        if let (Some(p), Some(g)) = (peak, growth) {
            md.push_str(&format!(
                "| {peer} | {:.1} ({:.1}–{:.1}) | {:.1} ({:.1}–{:.1}) |\n",
                p.median, p.min, p.max, g.median, g.min, g.max
            ));
        }
    }
    Ok(md)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Stores the small keys and the large value with plain RESP, independent
/// of the clients under test.
fn load(server: &Server, t: &Target) -> Result<(), String> {
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
    let replies = server::exchange(&mut stream, &[&mset[..], &set[..]])
        .map_err(|e| format!("loading data: {e}"))?;
    if replies.iter().any(|r| r != "+OK") {
        return Err(format!("loading data: unexpected replies {replies:?}"));
    }
    Ok(())
}

/// Runs tornadis `concurrent-64` ten times in one runtime and reports the
/// process's resident memory after each: it must stay flat.
fn memory_check(opts: &Options, t: &Target) -> Result<String, String> {
    let rt = opts.runtime.build()?;
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
