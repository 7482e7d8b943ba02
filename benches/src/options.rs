//! What to run: command-line flags, with environment variables as defaults.

use crate::clients::{Peer, PoolMode};
use crate::server::ServerKind;
use crate::workload::{Sizes, Workload};

/// Which tokio runtime every run gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// tokio's defaults (one worker per core), as `#[tokio::main]` makes.
    #[default]
    MultiThread,
    /// One thread runs every task and the I/O driver.
    CurrentThread,
}

impl Flavor {
    /// The name used on the command line and in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Flavor::MultiThread => "multi-thread",
            Flavor::CurrentThread => "current-thread",
        }
    }

    /// Parses a name given on the command line or in `BENCH_RUNTIME`.
    pub fn parse(word: &str) -> Result<Flavor, String> {
        match word.trim() {
            "multi-thread" => Ok(Flavor::MultiThread),
            "current-thread" => Ok(Flavor::CurrentThread),
            other => Err(format!(
                "--runtime wants multi-thread or current-thread, got `{other}`"
            )),
        }
    }

    /// A fresh runtime of this flavour: nothing left over from one client's
    /// run (tasks, buffers, connections) can slow the next.
    pub fn build(&self) -> Result<tokio::runtime::Runtime, String> {
        let mut builder = match self {
            Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        };
        builder
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build a tokio runtime: {e}"))
    }
}

/// Whether and how the instruction counts run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instructions {
    /// After the timed runs, when valgrind is on `PATH` (the default).
    Auto,
    /// Not at all.
    Off,
    /// Only them: no timed runs, no memory figures.
    Only,
}

/// The usage text printed by `--help`.
pub const USAGE: &str = "\
compare: tornadis, redis-rs and fred side by side against a local redis-server

USAGE:
    cargo run --release -p tornadis-benches --bin compare -- [OPTIONS]

OPTIONS:
    --quick               about a tenth of the operations (env BENCH_QUICK=1)
    --reps N              repetitions of each workload per client, default 3 (env BENCH_REPS)
    --workloads LIST      comma-separated: seq, seq-tcp, seq-unix, concurrent,
                          concurrent-64, concurrent-512, pipeline, pipeline-get, pool, large
                          (env BENCH_WORKLOADS; default all)
    --clients LIST        comma-separated: tornadis, redis-rs, fred, deadpool-redis (`pool`
                          only) (env BENCH_CLIENTS; default all)
    --tornadis-pool MODE  how tornadis runs `pool`: client-pool (its ClientPool, a client
                          borrowed per command; default) or round-robin (8 shared
                          Clients in turn) (env BENCH_TORNADIS_POOL)
    --server LIST         comma-separated: redis, valkey (env BENCH_SERVER; default redis): the
                          workloads run on each in turn; Valkey is VALKEY_SERVER or
                          target/test-servers/valkey-server (tests/install-servers.sh)
    --runtime FLAVOR      multi-thread (tokio's defaults, as #[tokio::main]; default) or
                          current-thread (env BENCH_RUNTIME)
    --instructions        only the instruction counts (callgrind), no timed runs
    --no-instructions     skip the instruction counts (by default they run when
                          valgrind is on PATH)
    --no-memory           skip the memory figures (tornadis concurrent-64 run 10 times,
                          peak RSS of each client on concurrent-512)
    --no-reference        skip the C reference runs (REDIS_BENCHMARK or PATH) after each
                          repetition of `pipeline`/`pipeline-get` (`redis-benchmark -c 1 -P <len>`) and
                          of `pool` (`redis-benchmark -c <connections> -P 1`)
    --update-readme       write the table into benches/README.md and the chart into
                          benches/results/ops.svg (a full run always writes the chart)
    -h, --help            this text
";

/// The options of one invocation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Workload sizes (full or quick).
    pub sizes: Sizes,
    /// Whether `--quick` was given.
    pub quick: bool,
    /// Repetitions per workload per client.
    pub reps: usize,
    /// The workloads to run, in report order.
    pub workloads: Vec<Workload>,
    /// The clients to run, in interleaving order.
    pub peers: Vec<Peer>,
    /// How tornadis runs the `pool` workload.
    pub tornadis_pool: PoolMode,
    /// The servers to run against, in turn.
    pub servers: Vec<ServerKind>,
    /// The tokio runtime of every run.
    pub runtime: Flavor,
    /// Whether to count instructions per operation under callgrind.
    pub instructions: Instructions,
    /// Whether to run the RSS check.
    pub memory: bool,
    /// Whether to run `redis-benchmark` beside the `pipeline` and `pool` workloads.
    pub reference: bool,
    /// Whether to rewrite the results section of `benches/README.md`.
    pub update_readme: bool,
    /// The arguments as given, to print the exact command in the report.
    pub args: Vec<String>,
}

/// What parsing decided: run, or print the usage.
#[derive(Debug)]
pub enum Parsed {
    /// Run with these options.
    Run(Options),
    /// `--help` was given.
    Help,
}

/// Parses `args` (without the program name), reading defaults from `env`.
pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Parsed, String> {
    let mut quick = env("BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0");
    let mut reps = env("BENCH_REPS");
    let mut workloads = env("BENCH_WORKLOADS");
    let mut clients = env("BENCH_CLIENTS");
    let mut pool = env("BENCH_TORNADIS_POOL");
    let mut servers = env("BENCH_SERVER");
    let mut runtime = env("BENCH_RUNTIME");
    let mut instructions = Instructions::Auto;
    let mut memory = true;
    let mut reference = true;
    let mut update_readme = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--quick" => quick = true,
            "--reps" => reps = Some(value("--reps")?),
            "--workloads" => workloads = Some(value("--workloads")?),
            "--clients" => clients = Some(value("--clients")?),
            "--tornadis-pool" => pool = Some(value("--tornadis-pool")?),
            "--server" => servers = Some(value("--server")?),
            "--runtime" => runtime = Some(value("--runtime")?),
            "--instructions" => instructions = Instructions::Only,
            "--no-instructions" => instructions = Instructions::Off,
            "--no-memory" => memory = false,
            "--no-reference" => reference = false,
            "--update-readme" => update_readme = true,
            other => return Err(format!("unknown argument `{other}`; see --help")),
        }
    }
    let reps = match reps {
        None => 3,
        Some(r) => match r.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(format!("--reps wants a positive number, got `{r}`")),
        },
    };
    Ok(Parsed::Run(Options {
        sizes: if quick { Sizes::quick() } else { Sizes::full() },
        quick,
        reps,
        workloads: select_workloads(workloads.as_deref())?,
        peers: select_peers(clients.as_deref())?,
        tornadis_pool: match pool.as_deref() {
            None | Some("client-pool") => PoolMode::ClientPool,
            Some("round-robin") => PoolMode::RoundRobin,
            Some(other) => {
                return Err(format!(
                    "--tornadis-pool wants client-pool or round-robin, got `{other}`"
                ))
            }
        },
        servers: select_servers(servers.as_deref())?,
        runtime: match runtime.as_deref() {
            None => Flavor::default(),
            Some(word) => Flavor::parse(word)?,
        },
        instructions,
        memory,
        reference,
        update_readme,
        args: args.to_vec(),
    }))
}

fn words(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|w| !w.is_empty())
}

fn select_workloads(list: Option<&str>) -> Result<Vec<Workload>, String> {
    let Some(list) = list else {
        return Ok(Workload::ALL.to_vec());
    };
    for word in words(list) {
        if !Workload::ALL.iter().any(|w| w.matches(word)) {
            return Err(format!("unknown workload `{word}`; see --help"));
        }
    }
    let chosen: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| words(list).any(|word| w.matches(word)))
        .collect();
    if chosen.is_empty() {
        return Err("no workload selected".into());
    }
    Ok(chosen)
}

fn select_servers(list: Option<&str>) -> Result<Vec<ServerKind>, String> {
    let Some(list) = list else {
        return Ok(vec![ServerKind::Redis]);
    };
    let mut chosen = Vec::new();
    for word in words(list) {
        let kind = ServerKind::ALL
            .into_iter()
            .find(|k| k.name() == word)
            .ok_or_else(|| format!("unknown server `{word}`; use redis or valkey"))?;
        if !chosen.contains(&kind) {
            chosen.push(kind);
        }
    }
    if chosen.is_empty() {
        return Err("no server selected".into());
    }
    Ok(chosen)
}

fn select_peers(list: Option<&str>) -> Result<Vec<Peer>, String> {
    let Some(list) = list else {
        return Ok(Peer::ALL.to_vec());
    };
    for word in words(list) {
        if !Peer::ALL.iter().any(|p| p.name() == word) {
            return Err(format!("unknown client `{word}`; see --help"));
        }
    }
    let chosen: Vec<Peer> = Peer::ALL
        .into_iter()
        .filter(|p| words(list).any(|word| p.name() == word))
        .collect();
    if chosen.is_empty() {
        return Err("no client selected".into());
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Options, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        match parse(&args, |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })? {
            Parsed::Run(o) => Ok(o),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_run_everything_three_times_at_full_size() {
        let o = run(&[], &[]).unwrap();
        assert_eq!(o.reps, 3);
        assert_eq!(o.workloads, Workload::ALL.to_vec());
        assert_eq!(o.peers, Peer::ALL.to_vec());
        assert_eq!(o.sizes, Sizes::full());
        assert_eq!(o.tornadis_pool, PoolMode::ClientPool);
        assert_eq!(o.servers, vec![ServerKind::Redis]);
        assert_eq!(o.runtime, Flavor::MultiThread);
        assert_eq!(o.instructions, Instructions::Auto);
    }

    #[test]
    fn servers_runtimes_and_instruction_modes() {
        let o = run(
            &[
                "--server",
                "valkey,redis",
                "--runtime",
                "current-thread",
                "--instructions",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(o.servers, vec![ServerKind::Valkey, ServerKind::Redis]);
        assert_eq!(o.runtime, Flavor::CurrentThread);
        assert_eq!(o.instructions, Instructions::Only);
        let o = run(&["--no-instructions"], &[("BENCH_SERVER", "valkey")]).unwrap();
        assert_eq!(o.servers, vec![ServerKind::Valkey]);
        assert_eq!(o.instructions, Instructions::Off);
        assert!(run(&["--server", "keydb"], &[]).is_err());
        assert!(run(&["--runtime", "single"], &[]).is_err());
    }

    #[test]
    fn a_group_name_selects_its_variants_and_flags_beat_the_environment() {
        let o = run(
            &["--workloads", "seq,large", "--reps", "5"],
            &[("BENCH_REPS", "7"), ("BENCH_QUICK", "1")],
        )
        .unwrap();
        assert_eq!(
            o.workloads,
            vec![Workload::SeqTcp, Workload::SeqUnix, Workload::Large]
        );
        assert_eq!(o.reps, 5);
        assert_eq!(o.sizes, Sizes::quick());
    }

    #[test]
    fn mistakes_are_reported() {
        assert!(run(&["--workloads", "seqq"], &[]).is_err());
        assert!(run(&["--reps", "0"], &[]).is_err());
        assert!(run(&["--clients", "jedis"], &[]).is_err());
        assert!(run(&["--reps"], &[]).is_err());
        assert!(run(&["--frobnicate"], &[]).is_err());
        assert!(run(&["--tornadis-pool", "fifo"], &[]).is_err());
        let rr = run(&["--tornadis-pool", "round-robin"], &[]).unwrap();
        assert_eq!(rr.tornadis_pool, PoolMode::RoundRobin);
        assert_eq!(
            run(&["--clients", "fred"], &[]).unwrap().peers,
            vec![Peer::Fred]
        );
    }
}
