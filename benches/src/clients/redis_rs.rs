//! The workloads through redis-rs: a `MultiplexedConnection` (its
//! documented async connection, cheap to clone, one clone per task) with the
//! `AsyncCommands` trait, and `redis::pipe()` for pipelines.
//!
//! `pool` uses eight multiplexed connections picked round-robin per command:
//! redis-rs documents no async pool for multiplexed connections (its README
//! says none is needed), so this is the plain way to spread load over eight.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;

use super::{check_len, check_replies, RoundRobin, Target};
use crate::measure::{Histogram, Sample, Stopwatch};
use crate::workload::{Workload, LARGE_KEY};

fn fail(e: redis::RedisError) -> String {
    format!("redis-rs: {e}")
}

async fn connect(url: &str) -> Result<MultiplexedConnection, String> {
    let client = redis::Client::open(url).map_err(fail)?;
    client
        .get_multiplexed_async_connection()
        .await
        .map_err(fail)
}

async fn connect_tcp(t: &Target) -> Result<MultiplexedConnection, String> {
    connect(&t.url()).await
}

/// Runs `workload` once on fresh connections.
pub async fn run(workload: Workload, t: &Target) -> Result<Sample, String> {
    match workload {
        Workload::SeqTcp => seq(connect_tcp(t).await?, workload, t).await,
        Workload::SeqUnix => {
            let url = format!("unix://{}", t.unix_socket.display());
            seq(connect(&url).await?, workload, t).await
        }
        Workload::Concurrent(tasks) => {
            let con = connect_tcp(t).await?;
            gets(RoundRobin::new(vec![con])?, tasks, workload, t).await
        }
        Workload::Pool => {
            let mut cons = Vec::with_capacity(t.sizes.pool_connections);
            for _ in 0..t.sizes.pool_connections {
                cons.push(connect_tcp(t).await?);
            }
            gets(RoundRobin::new(cons)?, t.sizes.pool_tasks, workload, t).await
        }
        Workload::Pipeline | Workload::PipelineGet => {
            pipeline(connect_tcp(t).await?, workload, t).await
        }
        Workload::Large => large(connect_tcp(t).await?, workload, t).await,
        Workload::ClusterOps | Workload::ClusterPipeline => super::cluster_elsewhere(workload),
    }
}

async fn get(
    con: &mut MultiplexedConnection,
    key: &str,
    workload: Workload,
    want: usize,
) -> Result<(), String> {
    let v: Option<Bytes> = con.get(key).await.map_err(fail)?;
    check_len(workload, v.as_ref().map(Bytes::len), want)
}

async fn seq(
    mut con: MultiplexedConnection,
    workload: Workload,
    t: &Target,
) -> Result<Sample, String> {
    let want = t.value.len();
    async fn step(
        con: &mut MultiplexedConnection,
        i: usize,
        workload: Workload,
        t: &Target,
        want: usize,
    ) -> Result<(), String> {
        if i % 2 == 0 {
            con.set::<_, _, ()>(t.key(i / 2), t.value.as_ref())
                .await
                .map_err(fail)
        } else {
            get(con, t.key(i / 2), workload, want).await
        }
    }
    for i in 0..t.sizes.warmup_ops {
        step(&mut con, i, workload, t, want).await?;
    }
    let mut latency = Histogram::default();
    let clock = Stopwatch::start();
    let mut last = Instant::now();
    for i in 0..t.sizes.seq_ops {
        step(&mut con, i, workload, t, want).await?;
        let now = Instant::now();
        latency.record(now - last);
        last = now;
    }
    let (wall, cpu) = clock.stop();
    Ok(Sample {
        ops: t.sizes.seq_ops as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

async fn gets(
    cons: RoundRobin<MultiplexedConnection>,
    tasks: usize,
    workload: Workload,
    t: &Target,
) -> Result<Sample, String> {
    let want = t.value.len();
    let cons = Arc::new(cons);
    for i in 0..t.sizes.warmup_ops {
        get(&mut cons.next().clone(), t.key(i), workload, want).await?;
    }
    let per_task = t.sizes.ops_per_task;
    let clock = Stopwatch::start();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let cons = Arc::clone(&cons);
        let t = t.clone();
        handles.push(tokio::spawn(async move {
            // The documented pattern: each task owns clones of the
            // connections; the shared counter picks one per command.
            let mut own: Vec<MultiplexedConnection> = cons.items().to_vec();
            let mut latency = Histogram::default();
            let mut last = Instant::now();
            for i in 0..per_task {
                let key = t.key(task * per_task + i);
                let Some(con) = own.get_mut(cons.next_index()) else {
                    return Err("redis-rs: no connection in the rotation".to_string());
                };
                get(con, key, workload, want).await?;
                let now = Instant::now();
                latency.record(now - last);
                last = now;
            }
            Ok::<_, String>(latency)
        }));
    }
    let latency = super::join_histograms(handles).await?;
    let (wall, cpu) = clock.stop();
    Ok(Sample {
        ops: (tasks * per_task) as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

/// `pipeline` (SETs) or `pipeline-get` (GETs, each reply checked).
async fn pipeline(
    mut con: MultiplexedConnection,
    workload: Workload,
    t: &Target,
) -> Result<Sample, String> {
    let len = t.sizes.pipeline_len;
    async fn batch(
        con: &mut MultiplexedConnection,
        b: usize,
        workload: Workload,
        t: &Target,
    ) -> Result<(), String> {
        let len = t.sizes.pipeline_len;
        let mut pipe = redis::pipe();
        if workload == Workload::PipelineGet {
            for i in 0..len {
                pipe.get(t.key(b * len + i));
            }
            let replies: Vec<Option<Bytes>> = pipe.query_async(con).await.map_err(fail)?;
            check_replies(replies.len(), len)?;
            return replies
                .iter()
                .try_for_each(|r| check_len(workload, r.as_ref().map(Bytes::len), t.value.len()));
        }
        for i in 0..len {
            pipe.set(t.key(b * len + i), t.value.as_ref());
        }
        let replies: Vec<redis::Value> = pipe.query_async(con).await.map_err(fail)?;
        check_replies(replies.len(), len)
    }
    batch(&mut con, 0, workload, t).await?;
    let mut latency = Histogram::default();
    let clock = Stopwatch::start();
    let mut last = Instant::now();
    for b in 0..t.sizes.pipeline_batches {
        batch(&mut con, b, workload, t).await?;
        let now = Instant::now();
        latency.record(now - last);
        last = now;
    }
    let (wall, cpu) = clock.stop();
    Ok(Sample {
        ops: (t.sizes.pipeline_batches * len) as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

async fn large(
    mut con: MultiplexedConnection,
    workload: Workload,
    t: &Target,
) -> Result<Sample, String> {
    let want = t.sizes.large_len;
    for _ in 0..(t.sizes.large_ops / 10).max(1) {
        get(&mut con, LARGE_KEY, workload, want).await?;
    }
    let mut latency = Histogram::default();
    let clock = Stopwatch::start();
    let mut last = Instant::now();
    for _ in 0..t.sizes.large_ops {
        get(&mut con, LARGE_KEY, workload, want).await?;
        let now = Instant::now();
        latency.record(now - last);
        last = now;
    }
    let (wall, cpu) = clock.stop();
    Ok(Sample {
        ops: t.sizes.large_ops as u64,
        bytes: (t.sizes.large_ops * want) as u64,
        wall,
        cpu,
        latency,
    })
}
