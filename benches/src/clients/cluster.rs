//! The cluster workloads through each client's own cluster client, against
//! the harness's 3-primary + 3-replica cluster:
//!
//! - tornadis: `ClusterClient` (seeded with every node), `Commands` and
//!   `call_pipeline`;
//! - redis-rs: `redis::cluster::ClusterClient` + `get_async_connection`
//!   (the `cluster-async` feature), a clone per task, `AsyncCommands` and
//!   `redis::pipe()`;
//! - fred: a clustered `Client` (`ServerConfig::new_clustered`), its
//!   `pipeline()`.
//!
//! `cluster-64`: 64 tasks, each alternating SET and GET of a key (the GET
//! reads the value just written); the keys hash to slots all over the
//! cluster. `cluster-pipeline`: pipelines of 1,000 SETs, whose keys fall in
//! every primary's slots, so each pipeline is split per node.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use super::{check_len, check_replies, Target};
use crate::measure::{Histogram, Sample, Stopwatch};
use crate::workload::{Workload, CLUSTER_TASKS};

/// Runs `ops(client, target, task, i)` for every operation of `cluster-64`:
/// the warm-up on task 0, then 64 tasks timed.
macro_rules! timed_tasks {
    ($client:expr, $t:expr, |$c:ident, $tt:ident, $i:ident| $op:expr) => {{
        let client = $client;
        let t: Arc<Target> = Arc::new($t.clone());
        #[allow(unused_mut)]
        let mut warm = client.clone();
        for $i in 0..t.sizes.warmup_ops {
            let $c = &mut warm;
            let $tt = &*t;
            $op?;
        }
        let per_task = t.sizes.ops_per_task;
        let clock = Stopwatch::start();
        let mut handles = Vec::with_capacity(CLUSTER_TASKS);
        for task in 0..CLUSTER_TASKS {
            #[allow(unused_mut)]
            let mut client = client.clone();
            let t = Arc::clone(&t);
            handles.push(tokio::spawn(async move {
                let mut latency = Histogram::default();
                let mut last = Instant::now();
                for n in 0..per_task {
                    let $i = task * per_task + n;
                    let $c = &mut client;
                    let $tt = &*t;
                    $op?;
                    let now = Instant::now();
                    latency.record(now - last);
                    last = now;
                }
                Ok::<_, String>(latency)
            }));
        }
        let latency = super::join_histograms(handles).await?;
        let (wall, cpu) = clock.stop();
        Ok::<_, String>(Sample {
            ops: (CLUSTER_TASKS * per_task) as u64,
            bytes: 0,
            wall,
            cpu,
            latency,
        })
    }};
}

/// Runs `batch(b)` (one pipeline of `pipeline_len` SETs) once untimed, then
/// `pipeline_batches` times timed.
macro_rules! timed_batches {
    ($t:expr, |$b:ident| $batch:expr) => {{
        let t: &Target = $t;
        {
            let $b = 0;
            $batch?;
        }
        let mut latency = Histogram::default();
        let clock = Stopwatch::start();
        let mut last = Instant::now();
        for $b in 0..t.sizes.pipeline_batches {
            $batch?;
            let now = Instant::now();
            latency.record(now - last);
            last = now;
        }
        let (wall, cpu) = clock.stop();
        Ok::<_, String>(Sample {
            ops: (t.sizes.pipeline_batches * t.sizes.pipeline_len) as u64,
            bytes: 0,
            wall,
            cpu,
            latency,
        })
    }};
}

fn nodes(t: &Target) -> Result<&[(String, u16)], String> {
    if t.cluster.is_empty() {
        Err("no cluster was started for the cluster workloads".into())
    } else {
        Ok(&t.cluster)
    }
}

/// Through tornadis's `ClusterClient`.
pub async fn tornadis(workload: Workload, t: &Target) -> Result<Sample, String> {
    use tornadis::cluster::ClusterClient;
    use tornadis::{Commands, Pipeline};
    let fail = |e: tornadis::Error| format!("tornadis: {e}");
    let c = nodes(t)?
        .iter()
        .fold(ClusterClient::builder(), |b, (h, p)| {
            b.seed(&format!("{h}:{p}"))
        })
        .build()
        .map_err(fail)?;
    let want = t.value.len();
    match workload {
        Workload::ClusterPipeline => {
            let len = t.sizes.pipeline_len;
            timed_batches!(t, |b| async {
                let mut pipe = Pipeline::new();
                for i in 0..len {
                    pipe.stack_call(("SET", t.key(b * len + i), &t.value));
                }
                let replies = c.call_pipeline(&pipe).await.map_err(fail)?;
                check_replies(replies.len(), len)?;
                replies
                    .into_iter()
                    .try_for_each(|r| r.map(drop))
                    .map_err(fail)
            }
            .await)
        }
        _ => timed_tasks!(c, t, |c, t, i| async {
            if i % 2 == 0 {
                c.set(t.key(i / 2), &t.value).await.map_err(fail)
            } else {
                let v: Option<Bytes> = c.get(t.key(i / 2)).await.map_err(fail)?;
                check_len(workload, v.as_ref().map(Bytes::len), want)
            }
        }
        .await),
    }
}

/// Through redis-rs's async cluster connection.
pub async fn redis_rs(workload: Workload, t: &Target) -> Result<Sample, String> {
    use redis::AsyncCommands;
    let fail = |e: redis::RedisError| format!("redis-rs: {e}");
    let urls: Vec<String> = nodes(t)?
        .iter()
        .map(|(h, p)| format!("redis://{h}:{p}"))
        .collect();
    let client = redis::cluster::ClusterClient::new(urls).map_err(fail)?;
    let mut con = client.get_async_connection().await.map_err(fail)?;
    let want = t.value.len();
    match workload {
        Workload::ClusterPipeline => {
            let len = t.sizes.pipeline_len;
            timed_batches!(t, |b| async {
                let mut pipe = redis::pipe();
                for i in 0..len {
                    pipe.set(t.key(b * len + i), t.value.as_ref());
                }
                let replies: Vec<redis::Value> = pipe.query_async(&mut con).await.map_err(fail)?;
                check_replies(replies.len(), len)
            }
            .await)
        }
        _ => timed_tasks!(con, t, |c, t, i| async {
            if i % 2 == 0 {
                c.set::<_, _, ()>(t.key(i / 2), t.value.as_ref())
                    .await
                    .map_err(fail)
            } else {
                let v: Option<Bytes> = c.get(t.key(i / 2)).await.map_err(fail)?;
                check_len(workload, v.as_ref().map(Bytes::len), want)
            }
        }
        .await),
    }
}

/// Through fred's clustered client.
pub async fn fred(workload: Workload, t: &Target) -> Result<Sample, String> {
    use fred::prelude::*;
    let fail = |e: fred::error::Error| format!("fred: {e}");
    let hosts: Vec<(String, u16)> = nodes(t)?.to_vec();
    let config = Config {
        server: ServerConfig::new_clustered(hosts),
        ..Config::default()
    };
    let c = Builder::from_config(config).build().map_err(fail)?;
    c.init().await.map_err(fail)?;
    let want = t.value.len();
    let out = match workload {
        Workload::ClusterPipeline => {
            let len = t.sizes.pipeline_len;
            timed_batches!(t, |b| async {
                let pipe = c.pipeline();
                for i in 0..len {
                    pipe.set::<(), _, _>(t.key(b * len + i), t.value.clone(), None, None, false)
                        .await
                        .map_err(fail)?;
                }
                let replies: Vec<Value> = pipe.all().await.map_err(fail)?;
                check_replies(replies.len(), len)
            }
            .await)
        }
        _ => timed_tasks!(c.clone(), t, |c, t, i| async {
            if i % 2 == 0 {
                c.set::<(), _, _>(t.key(i / 2), t.value.clone(), None, None, false)
                    .await
                    .map_err(fail)
            } else {
                let v: Option<Bytes> = c.get(t.key(i / 2)).await.map_err(fail)?;
                check_len(workload, v.as_ref().map(Bytes::len), want)
            }
        }
        .await),
    };
    let _ = c.quit().await;
    out
}
