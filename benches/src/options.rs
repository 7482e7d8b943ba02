//! What to run: command-line flags, with environment variables as defaults.

use crate::clients::{Peer, PoolMode};
use crate::workload::{Sizes, Workload};

/// The usage text printed by `--help`.
pub const USAGE: &str = "\
compare: tornadis, redis-rs and fred side by side against a local redis-server

USAGE:
    cargo run --release -p tornadis-benches --bin compare -- [OPTIONS]

OPTIONS:
    --quick               about a tenth of the operations (env BENCH_QUICK=1)
    --reps N              repetitions of each workload per client, default 3 (env BENCH_REPS)
    --workloads LIST      comma-separated: seq, seq-tcp, seq-unix, concurrent,
                          concurrent-64, concurrent-512, pipeline, pool, large
                          (env BENCH_WORKLOADS; default all)
    --clients LIST        comma-separated: tornadis, redis-rs, fred (env BENCH_CLIENTS; default all)
    --tornadis-pool MODE  how tornadis runs `pool`: client-pool (its ClientPool, a client
                          borrowed per command; default) or round-robin (8 shared
                          Clients in turn) (env BENCH_TORNADIS_POOL)
    --no-memory           skip the RSS check (tornadis concurrent-64 run 10 times)
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
    /// Whether to run the RSS check.
    pub memory: bool,
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
    let mut memory = true;
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
            "--no-memory" => memory = false,
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
        memory,
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
