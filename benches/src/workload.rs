//! The workloads of the side-by-side comparison and their sizes.

use std::fmt;

/// One workload, as named on the command line and in the results table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// One connection, one task, alternating SET/GET of 16-byte values over TCP.
    SeqTcp,
    /// The same over the unix socket.
    SeqUnix,
    /// One shared client, this many tasks issuing GETs concurrently.
    Concurrent(usize),
    /// Explicit pipelines of SETs.
    Pipeline,
    /// Explicit pipelines of GETs of the loaded keys.
    PipelineGet,
    /// Several connections shared by many tasks issuing GETs.
    Pool,
    /// GET of one large value, one at a time.
    Large,
    /// A 3-primary + 3-replica cluster: 64 tasks alternating SET and GET
    /// over keys in every slot.
    ClusterOps,
    /// The cluster: explicit pipelines of 1,000 SETs whose keys fall in
    /// every slot.
    ClusterPipeline,
}

impl Workload {
    /// Every workload, in the order they run and are reported.
    pub const ALL: [Workload; 10] = [
        Workload::SeqTcp,
        Workload::SeqUnix,
        Workload::Concurrent(64),
        Workload::Concurrent(512),
        Workload::Pipeline,
        Workload::PipelineGet,
        Workload::Pool,
        Workload::Large,
        Workload::ClusterOps,
        Workload::ClusterPipeline,
    ];

    /// The name used on the command line and in the table.
    pub fn name(&self) -> String {
        match self {
            Workload::SeqTcp => "seq-tcp".into(),
            Workload::SeqUnix => "seq-unix".into(),
            Workload::Concurrent(n) => format!("concurrent-{n}"),
            Workload::Pipeline => "pipeline".into(),
            Workload::PipelineGet => "pipeline-get".into(),
            Workload::Pool => "pool".into(),
            Workload::Large => "large".into(),
            Workload::ClusterOps => format!("cluster-{CLUSTER_TASKS}"),
            Workload::ClusterPipeline => "cluster-pipeline".into(),
        }
    }

    /// True when a filter word selects this workload: the exact name, or the
    /// part before the dash (`seq` selects both transports).
    pub fn matches(&self, word: &str) -> bool {
        let name = self.name();
        name == word || name.split('-').next() == Some(word)
    }

    /// Whether the workload runs against the cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Workload::ClusterOps | Workload::ClusterPipeline)
    }

    /// Whether the workload is about bytes moved rather than commands.
    pub fn is_throughput(&self) -> bool {
        matches!(self, Workload::Large)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// How big each workload is. [`Sizes::full`] is the documented benchmark;
/// [`Sizes::quick`] is a smoke run with the same shapes and fewer operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Commands in one `seq` run (half SET, half GET).
    pub seq_ops: usize,
    /// GETs each task issues in `concurrent` and `pool`.
    pub ops_per_task: usize,
    /// Commands per explicit pipeline.
    pub pipeline_len: usize,
    /// Pipelines per `pipeline` run.
    pub pipeline_batches: usize,
    /// Connections in `pool`.
    pub pool_connections: usize,
    /// Tasks in `pool`.
    pub pool_tasks: usize,
    /// GETs per `large` run.
    pub large_ops: usize,
    /// Size of the `large` value in bytes.
    pub large_len: usize,
    /// Size of the values in every other workload.
    pub value_len: usize,
    /// How many distinct keys the GET workloads read.
    pub keys: usize,
    /// Untimed operations before each timed part (connections warm, buffers grown).
    pub warmup_ops: usize,
}

impl Sizes {
    /// The sizes the issue asks for.
    pub fn full() -> Self {
        Sizes {
            seq_ops: 20_000,
            ops_per_task: 5_000,
            pipeline_len: 1_000,
            pipeline_batches: 200,
            pool_connections: 8,
            pool_tasks: 64,
            large_ops: 300,
            large_len: 1 << 20,
            value_len: 16,
            keys: 1_000,
            warmup_ops: 200,
        }
    }

    /// About a tenth of the work, for a smoke run.
    pub fn quick() -> Self {
        Sizes {
            seq_ops: 2_000,
            ops_per_task: 500,
            pipeline_batches: 20,
            large_ops: 30,
            warmup_ops: 50,
            ..Sizes::full()
        }
    }

    /// The key read or written by operation `i`.
    pub fn key(&self, i: usize) -> String {
        key(i % self.keys.max(1))
    }

    /// The 16-byte (by default) value every small key holds.
    pub fn value(&self) -> Vec<u8> {
        (0..self.value_len).map(|i| b'a' + (i % 26) as u8).collect()
    }
}

/// The name of small key number `i`.
pub fn key(i: usize) -> String {
    format!("bench:key:{i}")
}

/// Tasks in the `cluster` workload.
pub const CLUSTER_TASKS: usize = 64;

/// The key that holds the large value.
pub const LARGE_KEY: &str = "bench:large";
