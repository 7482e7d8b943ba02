//! The `pool` workload through deadpool-redis, the exclusive pool redis-rs
//! users reach for: `Config::from_url(..)` with a pool of eight, and each
//! GET borrows a connection (`pool.get().await`) that goes back on drop, as
//! its documentation shows. It is the peer of tornadis's `ClientPool`, which
//! lends a client to one user at a time in the same way. The other
//! workloads are not run through it (they are redis-rs's own).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use deadpool_redis::redis::AsyncCommands;
use deadpool_redis::{Config, Pool, PoolConfig, Runtime};

use super::{check_len, Target};
use crate::measure::{Histogram, Sample, Stopwatch};
use crate::workload::Workload;

fn fail(e: impl std::fmt::Display) -> String {
    format!("deadpool-redis: {e}")
}

/// Runs `workload` once on a fresh pool; only `pool` is run through it.
pub async fn run(workload: Workload, t: &Target) -> Result<Sample, String> {
    if workload != Workload::Pool {
        return Err(format!("deadpool-redis runs only `pool`, not {workload}"));
    }
    let mut config = Config::from_url(t.url());
    config.pool = Some(PoolConfig::new(t.sizes.pool_connections));
    let pool = config.create_pool(Some(Runtime::Tokio1)).map_err(fail)?;
    // Open every connection before timing, as tornadis's `preconnect` does.
    let mut opened = Vec::with_capacity(t.sizes.pool_connections);
    for _ in 0..t.sizes.pool_connections {
        opened.push(pool.get().await.map_err(fail)?);
    }
    drop(opened);
    gets(pool, workload, t).await
}

async fn get(pool: &Pool, key: &str, workload: Workload, want: usize) -> Result<(), String> {
    let mut con = pool.get().await.map_err(fail)?;
    let v: Option<Bytes> = con.get(key).await.map_err(fail)?;
    check_len(workload, v.as_ref().map(Bytes::len), want)
}

async fn gets(pool: Pool, workload: Workload, t: &Target) -> Result<Sample, String> {
    let want = t.value.len();
    let pool = Arc::new(pool);
    for i in 0..t.sizes.warmup_ops {
        get(&pool, t.key(i), workload, want).await?;
    }
    let (tasks, per_task) = (t.sizes.pool_tasks, t.sizes.ops_per_task);
    let clock = Stopwatch::start();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let pool = Arc::clone(&pool);
        let t = t.clone();
        handles.push(tokio::spawn(async move {
            let mut latency = Histogram::default();
            let mut last = Instant::now();
            for i in 0..per_task {
                get(&pool, t.key(task * per_task + i), workload, want).await?;
                let now = Instant::now();
                latency.record(now - last);
                last = now;
            }
            Ok::<_, String>(latency)
        }));
    }
    let latency = super::join_histograms(handles).await?;
    let (wall, cpu) = clock.stop();
    pool.close();
    Ok(Sample {
        ops: (tasks * per_task) as u64,
        bytes: 0,
        wall,
        cpu,
        latency,
    })
}
