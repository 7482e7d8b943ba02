//! The workloads through tornadis: one multiplexed [`Client`] cloned into
//! every task, typed methods from [`Commands`], raw [`Pipeline`]s.
//!
//! `pool` uses a `ClientPool` of eight clients, as its documentation shows:
//! each command borrows a client (`get_connected_client`), runs, and gives
//! it back on drop. With `--tornadis-pool round-robin` it uses eight
//! independent `Client`s picked round-robin per command instead, which is
//! what redis-rs's variant does.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tornadis::{Client, ClientPool, Commands, Pipeline};

use super::{check_len, PoolMode, RoundRobin, Target};
use crate::measure::{Histogram, Sample, Stopwatch};
use crate::workload::{Workload, LARGE_KEY};

fn fail(e: tornadis::Error) -> String {
    format!("tornadis: {e}")
}

async fn connect_tcp(t: &Target) -> Result<Client, String> {
    let client = Client::builder()
        .host(t.host.as_str())
        .port(t.port)
        .build()
        .map_err(fail)?;
    client.connect().await.map_err(fail)?;
    Ok(client)
}

async fn connect_unix(t: &Target) -> Result<Client, String> {
    let client = Client::builder()
        .unix_socket(&t.unix_socket)
        .build()
        .map_err(fail)?;
    client.connect().await.map_err(fail)?;
    Ok(client)
}

/// Runs `workload` once on fresh connections.
pub async fn run(workload: Workload, t: &Target) -> Result<Sample, String> {
    match workload {
        Workload::SeqTcp => seq(connect_tcp(t).await?, workload, t).await,
        Workload::SeqUnix => seq(connect_unix(t).await?, workload, t).await,
        Workload::Concurrent(tasks) => {
            let client = connect_tcp(t).await?;
            let source = Source::Clients(RoundRobin::new(vec![client])?);
            gets(source, tasks, workload, t).await
        }
        Workload::Pool => {
            let n = t.sizes.pool_connections;
            let source = match t.tornadis_pool {
                PoolMode::ClientPool => {
                    let config = Client::builder()
                        .host(t.host.as_str())
                        .port(t.port)
                        .build()
                        .map_err(fail)?
                        .config()
                        .clone();
                    let pool = ClientPool::builder()
                        .config(config)
                        .max_size(n)
                        .build()
                        .map_err(fail)?;
                    pool.preconnect(n).await.map_err(fail)?;
                    Source::Pool(pool)
                }
                PoolMode::RoundRobin => {
                    let mut clients = Vec::with_capacity(n);
                    for _ in 0..n {
                        clients.push(connect_tcp(t).await?);
                    }
                    Source::Clients(RoundRobin::new(clients)?)
                }
            };
            gets(source, t.sizes.pool_tasks, workload, t).await
        }
        Workload::Pipeline | Workload::PipelineGet => {
            pipeline(connect_tcp(t).await?, workload, t).await
        }
        Workload::Large => large(connect_tcp(t).await?, workload, t).await,
        Workload::ClusterOps | Workload::ClusterPipeline => super::cluster_elsewhere(workload),
    }
}

async fn get(client: &Client, key: &str, workload: Workload, want: usize) -> Result<(), String> {
    let v: Option<Bytes> = client.get(key).await.map_err(fail)?;
    check_len(workload, v.as_ref().map(Bytes::len), want)
}

async fn seq(client: Client, workload: Workload, t: &Target) -> Result<Sample, String> {
    let want = t.value.len();
    let step = |i: usize| {
        let client = &client;
        async move {
            if i % 2 == 0 {
                client.set(t.key(i / 2), &t.value).await.map_err(fail)?;
                Ok(())
            } else {
                get(client, t.key(i / 2), workload, want).await
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
    Ok(Sample {
        ops: t.sizes.seq_ops as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

/// Where the GET workloads take their client from for each command.
enum Source {
    /// Shared multiplexed clients, in turn.
    Clients(RoundRobin<Client>),
    /// A client borrowed from the pool for the one command.
    Pool(ClientPool),
}

impl Source {
    async fn get(&self, key: &str, workload: Workload, want: usize) -> Result<(), String> {
        match self {
            Source::Clients(clients) => get(clients.next(), key, workload, want).await,
            Source::Pool(pool) => {
                let client = pool.get_connected_client().await.map_err(fail)?;
                get(&client, key, workload, want).await
            }
        }
    }
}

async fn gets(
    source: Source,
    tasks: usize,
    workload: Workload,
    t: &Target,
) -> Result<Sample, String> {
    let want = t.value.len();
    let clients = Arc::new(source);
    for i in 0..t.sizes.warmup_ops {
        clients.get(t.key(i), workload, want).await?;
    }
    let per_task = t.sizes.ops_per_task;
    let clock = Stopwatch::start();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let clients = Arc::clone(&clients);
        let t = t.clone();
        handles.push(tokio::spawn(async move {
            let mut latency = Histogram::default();
            let mut last = Instant::now();
            for i in 0..per_task {
                clients
                    .get(t.key(task * per_task + i), workload, want)
                    .await?;
                let now = Instant::now();
                latency.record(now - last);
                last = now;
            }
            Ok::<_, String>(latency)
        }));
    }
    let latency = super::join_histograms(handles).await?;
    let (wall, cpu) = clock.stop();
    if let Source::Pool(pool) = &*clients {
        pool.destroy();
    }
    Ok(Sample {
        ops: (tasks * per_task) as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

/// `pipeline` (SETs) or `pipeline-get` (GETs, each reply checked).
async fn pipeline(client: Client, workload: Workload, t: &Target) -> Result<Sample, String> {
    let len = t.sizes.pipeline_len;
    let gets = workload == Workload::PipelineGet;
    let want = t.value.len();
    let batch = |b: usize| {
        let client = &client;
        async move {
            let mut pipe = Pipeline::new();
            for i in 0..len {
                match gets {
                    true => pipe.stack_call(("GET", t.key(b * len + i))),
                    false => pipe.stack_call(("SET", t.key(b * len + i), &t.value)),
                };
            }
            let replies = client.call_pipeline(&pipe).await.map_err(fail)?;
            super::check_replies(replies.len(), len)?;
            replies
                .into_iter()
                .try_for_each(|r| match (r.map_err(fail)?, gets) {
                    (tornadis::Value::Bulk(v), true) => check_len(workload, Some(v.len()), want),
                    (_, true) => check_len(workload, None, want),
                    (_, false) => Ok(()),
                })
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
    Ok(Sample {
        ops: (t.sizes.pipeline_batches * len) as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}

async fn large(client: Client, workload: Workload, t: &Target) -> Result<Sample, String> {
    let want = t.sizes.large_len;
    let warmup = (t.sizes.large_ops / 10).max(1);
    for _ in 0..warmup {
        get(&client, LARGE_KEY, workload, want).await?;
    }
    let mut latency = Histogram::default();
    let clock = Stopwatch::start();
    let mut last = Instant::now();
    for _ in 0..t.sizes.large_ops {
        get(&client, LARGE_KEY, workload, want).await?;
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
