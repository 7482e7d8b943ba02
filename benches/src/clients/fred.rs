//! The workloads through fred: a `Client` built from a `Config` and
//! initialised with `init` (cloned into each task), `client.pipeline()` for
//! explicit pipelines, and fred's own `Pool` (built with `build_pool`) for
//! `pool`, as its examples show. fred's default performance settings keep
//! automatic pipelining on.

use std::time::Instant;

use bytes::Bytes;
use fred::prelude::*;

use super::{check_len, check_replies, Target};
use crate::measure::{Histogram, Sample, Stopwatch};
use crate::workload::{Workload, LARGE_KEY};

fn fail(e: fred::error::Error) -> String {
    format!("fred: {e}")
}

fn tcp_config(t: &Target) -> Result<Config, String> {
    Config::from_url(&t.url()).map_err(fail)
}

async fn client(config: Config) -> Result<Client, String> {
    let client = Builder::from_config(config).build().map_err(fail)?;
    client.init().await.map_err(fail)?;
    Ok(client)
}

/// Runs `workload` once on fresh connections.
pub async fn run(workload: Workload, t: &Target) -> Result<Sample, String> {
    match workload {
        Workload::SeqTcp => seq(client(tcp_config(t)?).await?, workload, t).await,
        Workload::SeqUnix => {
            let url = format!("redis+unix://{}", t.unix_socket.display());
            let config = Config::from_url_unix(&url).map_err(fail)?;
            seq(client(config).await?, workload, t).await
        }
        Workload::Concurrent(tasks) => {
            let c = client(tcp_config(t)?).await?;
            let out = gets(c.clone(), tasks, workload, t).await;
            let _ = c.quit().await;
            out
        }
        Workload::Pool => {
            let pool = Builder::from_config(tcp_config(t)?)
                .build_pool(t.sizes.pool_connections)
                .map_err(fail)?;
            pool.init().await.map_err(fail)?;
            let out = gets(pool.clone(), t.sizes.pool_tasks, workload, t).await;
            let _ = pool.quit().await;
            out
        }
        Workload::Pipeline | Workload::PipelineGet => {
            pipeline(client(tcp_config(t)?).await?, workload, t).await
        }
        Workload::Large => large(client(tcp_config(t)?).await?, workload, t).await,
        Workload::ClusterOps | Workload::ClusterPipeline => super::cluster_elsewhere(workload),
    }
}

async fn get<C: KeysInterface>(
    c: &C,
    key: &str,
    workload: Workload,
    want: usize,
) -> Result<(), String> {
    let v: Option<Bytes> = c.get(key).await.map_err(fail)?;
    check_len(workload, v.as_ref().map(Bytes::len), want)
}

async fn seq(c: Client, workload: Workload, t: &Target) -> Result<Sample, String> {
    let want = t.value.len();
    let step = |i: usize| {
        let c = &c;
        async move {
            if i % 2 == 0 {
                c.set::<(), _, _>(t.key(i / 2), t.value.clone(), None, None, false)
                    .await
                    .map_err(fail)
            } else {
                get(c, t.key(i / 2), workload, want).await
            }
        }
    };
    for i in 0..t.sizes.warmup_ops {
        step(i).await?;
    }
    let mut latency = Histogram::default();
    let clock = Stopwatch::start();
    let mut last = Instant::now();
    for i in 0..t.sizes.seq_ops {
        step(i).await?;
        let now = Instant::now();
        latency.record(now - last);
        last = now;
    }
    let (wall, cpu) = clock.stop();
    let _ = c.quit().await;
    Ok(Sample {
        ops: t.sizes.seq_ops as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

/// GETs from many tasks through `c`: a `Client` (one connection, automatic
/// pipelining) or a `Pool` (which picks a client per command).
async fn gets<C>(c: C, tasks: usize, workload: Workload, t: &Target) -> Result<Sample, String>
where
    C: KeysInterface + Clone + Send + Sync + 'static,
{
    let want = t.value.len();
    for i in 0..t.sizes.warmup_ops {
        get(&c, t.key(i), workload, want).await?;
    }
    let per_task = t.sizes.ops_per_task;
    let clock = Stopwatch::start();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let c = c.clone();
        let t = t.clone();
        handles.push(tokio::spawn(async move {
            let mut latency = Histogram::default();
            let mut last = Instant::now();
            for i in 0..per_task {
                get(&c, t.key(task * per_task + i), workload, want).await?;
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
async fn pipeline(c: Client, workload: Workload, t: &Target) -> Result<Sample, String> {
    let len = t.sizes.pipeline_len;
    let batch = |b: usize| {
        let c = &c;
        async move {
            let pipe = c.pipeline();
            if workload == Workload::PipelineGet {
                for i in 0..len {
                    pipe.get::<(), _>(t.key(b * len + i)).await.map_err(fail)?;
                }
                let replies: Vec<Option<Bytes>> = pipe.all().await.map_err(fail)?;
                check_replies(replies.len(), len)?;
                return replies.iter().try_for_each(|r| {
                    check_len(workload, r.as_ref().map(Bytes::len), t.value.len())
                });
            }
            for i in 0..len {
                // Returns once the command is queued in the pipeline.
                pipe.set::<(), _, _>(t.key(b * len + i), t.value.clone(), None, None, false)
                    .await
                    .map_err(fail)?;
            }
            let replies: Vec<Value> = pipe.all().await.map_err(fail)?;
            check_replies(replies.len(), len)
        }
    };
    batch(0).await?;
    let mut latency = Histogram::default();
    let clock = Stopwatch::start();
    let mut last = Instant::now();
    for b in 0..t.sizes.pipeline_batches {
        batch(b).await?;
        let now = Instant::now();
        latency.record(now - last);
        last = now;
    }
    let (wall, cpu) = clock.stop();
    let _ = c.quit().await;
    Ok(Sample {
        ops: (t.sizes.pipeline_batches * len) as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

async fn large(c: Client, workload: Workload, t: &Target) -> Result<Sample, String> {
    let want = t.sizes.large_len;
    for _ in 0..(t.sizes.large_ops / 10).max(1) {
        get(&c, LARGE_KEY, workload, want).await?;
    }
    let mut latency = Histogram::default();
    let clock = Stopwatch::start();
    let mut last = Instant::now();
    for _ in 0..t.sizes.large_ops {
        get(&c, LARGE_KEY, workload, want).await?;
        let now = Instant::now();
        latency.record(now - last);
        last = now;
    }
    let (wall, cpu) = clock.stop();
    let _ = c.quit().await;
    Ok(Sample {
        ops: t.sizes.large_ops as u64,
        bytes: (t.sizes.large_ops * want) as u64,
        wall,
        cpu,
        latency,
    })
}
