//! The clients under comparison, each driving every workload the way its own
//! documentation recommends.
//!
//! Every run follows the same shape: connect, warm up (untimed), then the
//! timed part between [`Stopwatch::start`](crate::measure::Stopwatch) and
//! `stop`, recording the latency of each awaited unit. Replies are checked
//! (a GET must return the stored value's length) so that a client that
//! returned nothing quickly could not win.

pub mod cluster;
pub mod deadpool;
pub mod fred;
pub mod redis_rs;
pub mod tornadis;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

use crate::measure::Sample;
use crate::workload::{Sizes, Workload};

/// A client library under comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// This project.
    Tornadis,
    /// The `redis` crate with a tokio multiplexed connection.
    RedisRs,
    /// The `fred` crate.
    Fred,
    /// deadpool-redis, an exclusive pool of redis-rs connections (`pool` only).
    Deadpool,
}

impl Peer {
    /// The order runs are interleaved in: A B C A B C ...
    pub const ALL: [Peer; 4] = [Peer::Tornadis, Peer::RedisRs, Peer::Fred, Peer::Deadpool];

    /// The name used in tables and on the chart.
    pub fn name(&self) -> &'static str {
        match self {
            Peer::Tornadis => "tornadis",
            Peer::RedisRs => "redis-rs",
            Peer::Fred => "fred",
            Peer::Deadpool => "deadpool-redis",
        }
    }

    /// Whether this client runs `workload` (deadpool-redis runs only `pool`,
    /// where it is the exclusive-pool peer of tornadis's `ClientPool`).
    pub fn runs(&self, workload: Workload) -> bool {
        match self {
            Peer::Deadpool => workload == Workload::Pool,
            _ => true,
        }
    }

    /// Runs one workload once, on a fresh connection.
    pub async fn run(&self, workload: Workload, target: &Target) -> Result<Sample, String> {
        if workload.is_cluster() {
            return match self {
                Peer::Tornadis => cluster::tornadis(workload, target).await,
                Peer::RedisRs => cluster::redis_rs(workload, target).await,
                Peer::Fred => cluster::fred(workload, target).await,
                Peer::Deadpool => Err("deadpool-redis runs only `pool`".into()),
            };
        }
        match self {
            Peer::Tornadis => tornadis::run(workload, target).await,
            Peer::RedisRs => redis_rs::run(workload, target).await,
            Peer::Fred => fred::run(workload, target).await,
            Peer::Deadpool => deadpool::run(workload, target).await,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the server listens and what the workloads read and write.
#[derive(Debug, Clone)]
pub struct Target {
    /// TCP host.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Unix socket path.
    pub unix_socket: PathBuf,
    /// Workload sizes.
    pub sizes: Sizes,
    /// The small keys, built once so that no run formats keys in its loop.
    pub keys: Arc<Vec<String>>,
    /// The value every small key holds.
    pub value: Bytes,
    /// How tornadis spreads the `pool` workload over its connections.
    pub tornadis_pool: PoolMode,
    /// The cluster's nodes (`host`, `port`), empty when none was started.
    pub cluster: Vec<(String, u16)>,
}

/// How tornadis runs the `pool` workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolMode {
    /// Its `ClientPool`: each command borrows a client and gives it back.
    #[default]
    ClientPool,
    /// Independent `Client`s, picked round-robin per command (as redis-rs).
    RoundRobin,
}

impl PoolMode {
    /// The name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            PoolMode::ClientPool => "client-pool",
            PoolMode::RoundRobin => "round-robin",
        }
    }
}

impl Target {
    /// A target for a server at `host:port` and `unix_socket`.
    pub fn new(
        host: &str,
        port: u16,
        unix_socket: PathBuf,
        sizes: Sizes,
        tornadis_pool: PoolMode,
    ) -> Self {
        Target {
            host: host.to_string(),
            port,
            unix_socket,
            keys: Arc::new((0..sizes.keys).map(crate::workload::key).collect()),
            value: Bytes::from(sizes.value()),
            sizes,
            tornadis_pool,
            cluster: Vec::new(),
        }
    }

    /// `redis://host:port`.
    pub fn url(&self) -> String {
        format!("redis://{}:{}", self.host, self.port)
    }

    /// The key of operation `i` (cycling through the key space).
    pub fn key(&self, i: usize) -> &str {
        self.keys
            .get(i % self.keys.len().max(1))
            .map_or("bench:key:0", String::as_str)
    }
}

/// Fails with a message naming the workload when a GET returned a value of
/// the wrong size (or nothing).
pub(crate) fn check_len(workload: Workload, got: Option<usize>, want: usize) -> Result<(), String> {
    match got {
        Some(n) if n == want => Ok(()),
        Some(n) => Err(format!(
            "{workload}: GET returned {n} bytes, expected {want}"
        )),
        None => Err(format!(
            "{workload}: GET returned nil, expected {want} bytes"
        )),
    }
}

/// The cluster workloads run in [`cluster`], never through the single-server paths.
pub(crate) fn cluster_elsewhere(workload: Workload) -> Result<Sample, String> {
    Err(format!(
        "{workload} runs against the cluster (see clients::cluster)"
    ))
}

/// Fails when a pipeline answered a different number of replies.
pub(crate) fn check_replies(got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "a pipeline of {want} commands returned {got} replies"
        ))
    }
}

/// Connections picked in turn, one per command, shared by every task: what a
/// client-side pool does for a multiplexed client that has none of its own.
#[derive(Debug)]
pub struct RoundRobin<C> {
    items: Vec<C>,
    next: std::sync::atomic::AtomicUsize,
}

impl<C> RoundRobin<C> {
    /// A rotation over `items`; fails when there are none.
    pub fn new(items: Vec<C>) -> Result<Self, String> {
        if items.is_empty() {
            return Err("a round-robin needs at least one connection".into());
        }
        Ok(RoundRobin {
            items,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// How many items take turns.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Always false: `new` refuses an empty list.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The index of the next item in turn.
    pub fn next_index(&self) -> usize {
        // With one item, skip the shared counter: no contention to measure.
        if self.items.len() == 1 {
            0
        } else {
            self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.items.len()
        }
    }

    /// The next item in turn.
    pub fn next(&self) -> &C {
        // `new` refused an empty list, so the index is always in range.
        &self.items[self.next_index()]
    }

    /// Every item, in turn order.
    pub fn items(&self) -> &[C] {
        &self.items
    }
}

/// Awaits every task and merges their latency histograms; the first error
/// (or panic) fails the run.
pub(crate) async fn join_histograms(
    handles: Vec<tokio::task::JoinHandle<Result<crate::measure::Histogram, String>>>,
) -> Result<crate::measure::Histogram, String> {
    let mut all = crate::measure::Histogram::default();
    let mut first_error = None;
    for h in handles {
        match h.await {
            Ok(Ok(latency)) => all.merge(&latency),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(format!("a task failed: {e}"));
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(all),
    }
}
