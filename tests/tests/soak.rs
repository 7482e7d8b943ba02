//! Reply integrity soak: many tasks on one client SET and GET keys whose
//! values name their task, key and sequence number, while requests are
//! cancelled at random points, the proxy cuts connections and the server is
//! restarted. No task may ever get a reply that is not its own, no request
//! may hang, and every request that was not cancelled must end in a value or
//! a clear error.
//!
//! Beside them, a few tasks drive dedicated and pooled clients through the
//! same faults: SELECT and MULTI/EXEC (state that a lost connection must
//! never drop silently), and blocking commands cancelled midway (a pooled
//! client must never lend a connection a BLPOP still waits on). A pooled
//! client that lands in another db, or an EXEC that answers as if MULTI
//! was never sent, counts as a wrong reply.
//!
//! `TORNADIS_SOAK_OPS` sets the number of operations (default below);
//! `TORNADIS_SOAK_TASKS` the number of tasks (default 64).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tornadis::bytes::Bytes;
use tornadis::{Client, ClientPool, ErrorKind, Value};
use tornadis_tests::{FaultProxy, RedisServer};

/// Operations (one SET or one GET each) in the default run. Chosen to stay
/// near 20 s on a loaded two-core machine in a debug build.
const DEFAULT_OPS: u64 = 200_000;
const DEFAULT_TASKS: u64 = 64;
/// Tasks on dedicated and pooled clients, beside the shared client's.
const STATEFUL_TASKS: u64 = 6;
/// Keys per task: a task's SETs rotate over them.
const KEYS_PER_TASK: u64 = 8;
/// A request that takes longer than this hangs (a failed test).
const HANG: Duration = Duration::from_secs(20);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// xorshift64: cheap, deterministic per task, good enough to pick delays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Default)]
struct Counts {
    ops: AtomicU64,
    ok: AtomicU64,
    cancelled: AtomicU64,
    hangs: AtomicU64,
    mismatches: AtomicU64,
    /// Rounds of the dedicated and pooled tasks.
    stateful_rounds: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    first_mismatches: Mutex<Vec<String>>,
}

impl Counts {
    fn error(&self, e: &tornadis::Error) {
        let name = match (e.kind(), e.code()) {
            (ErrorKind::Server, Some(code)) => format!("server {code}"),
            (kind, _) => format!("{kind:?}"),
        };
        *self.errors.lock().unwrap().entry(name).or_default() += 1;
    }

    fn mismatch(&self, what: String) {
        self.mismatches.fetch_add(1, Ordering::SeqCst);
        let mut first = self.first_mismatches.lock().unwrap();
        if first.len() < 10 {
            first.push(what);
        }
    }

    fn error_total(&self) -> u64 {
        self.errors.lock().unwrap().values().sum()
    }
}

enum Outcome {
    Reply(tornadis::Result<Value>),
    Cancelled,
    Hung,
}

/// Runs one request; one in eight is dropped after 0 to 3 ms, wherever it
/// got to (not yet sent, written, reply half read, ...).
async fn run(
    rng: &mut Rng,
    counts: &Counts,
    fut: impl std::future::IntoFuture<Output = tornadis::Result<Value>>,
) -> Outcome {
    counts.ops.fetch_add(1, Ordering::SeqCst);
    if rng.next() % 8 == 0 {
        let after = Duration::from_micros(rng.next() % 3000);
        return match tokio::time::timeout(after, fut).await {
            Ok(r) => Outcome::Reply(r),
            Err(_) => {
                counts.cancelled.fetch_add(1, Ordering::SeqCst);
                Outcome::Cancelled
            }
        };
    }
    match tokio::time::timeout(HANG, fut).await {
        Ok(r) => Outcome::Reply(r),
        Err(_) => {
            counts.hangs.fetch_add(1, Ordering::SeqCst);
            Outcome::Hung
        }
    }
}

/// What a key may hold, as far as its task knows.
struct KeyState {
    /// Values it may hold (`None`: missing). Several after a SET whose
    /// outcome is unknown (cancelled, or its connection was lost).
    possible: Vec<Option<Bytes>>,
    /// Server restarts seen when this was last known: a restart since
    /// then may have lost the key (the server does not persist).
    epoch: u64,
}

async fn task(
    t: u64,
    c: Client,
    target: u64,
    issued: Arc<AtomicU64>,
    restarts: Arc<AtomicU64>,
    counts: Arc<Counts>,
) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut keys: Vec<KeyState> = (0..KEYS_PER_TASK)
        .map(|_| KeyState {
            possible: vec![None],
            epoch: 0,
        })
        .collect();
    let mut seq = 0u64;
    while issued.fetch_add(2, Ordering::SeqCst) < target {
        seq += 1;
        let k = seq % KEYS_PER_TASK;
        let key = format!("soak:{t}:{k}");
        let value = Bytes::from(format!("{t}:{k}:{seq}"));
        let state = &mut keys[k as usize];

        let epoch_before_set = restarts.load(Ordering::SeqCst);
        match run(&mut rng, &counts, c.call(("SET", key.as_str(), &value[..]))).await {
            Outcome::Reply(Ok(Value::SimpleString(s))) if &s[..] == b"OK" => {
                counts.ok.fetch_add(1, Ordering::SeqCst);
                state.possible = vec![Some(value.clone())];
                state.epoch = epoch_before_set;
            }
            Outcome::Reply(Ok(other)) => {
                counts.mismatch(format!("SET {key}: reply {other:?}"));
                state.possible.push(Some(value.clone()));
            }
            Outcome::Reply(Err(e)) => {
                counts.error(&e);
                state.possible.push(Some(value.clone()));
            }
            Outcome::Cancelled | Outcome::Hung => state.possible.push(Some(value.clone())),
        }

        let got = match run(&mut rng, &counts, c.call(("GET", key.as_str()))).await {
            Outcome::Reply(Ok(Value::Bulk(b))) => Some(b),
            Outcome::Reply(Ok(Value::Nil)) => None,
            Outcome::Reply(Ok(other)) => {
                counts.mismatch(format!("GET {key}: reply {other:?}"));
                continue;
            }
            Outcome::Reply(Err(e)) => {
                counts.error(&e);
                continue;
            }
            Outcome::Cancelled | Outcome::Hung => continue,
        };
        let epoch_after_get = restarts.load(Ordering::SeqCst);
        let lost_allowed = got.is_none() && epoch_after_get != state.epoch;
        if state.possible.contains(&got) || lost_allowed {
            counts.ok.fetch_add(1, Ordering::SeqCst);
            state.possible = vec![got];
            state.epoch = epoch_after_get;
        } else {
            counts.mismatch(format!(
                "GET {key}: got {got:?}, expected one of {:?}",
                state.possible
            ));
        }
    }
}

/// Counts one outcome of a stateful task's request: `Ok(true)` a right
/// reply, `Ok(false)` a wrong one (`what` says why), `Err` an error.
fn tally(counts: &Counts, outcome: Result<bool, &tornadis::Error>, what: impl FnOnce() -> String) {
    counts.ops.fetch_add(1, Ordering::SeqCst);
    match outcome {
        Ok(true) => {
            counts.ok.fetch_add(1, Ordering::SeqCst);
        }
        Ok(false) => counts.mismatch(what()),
        Err(e) => counts.error(e),
    }
}

/// A request that must not hang; `None` after [`HANG`] (counted).
async fn bounded<T>(
    counts: &Counts,
    fut: impl std::future::IntoFuture<Output = tornadis::Result<T>>,
) -> Option<tornadis::Result<T>> {
    match tokio::time::timeout(HANG, fut).await {
        Ok(r) => Some(r),
        Err(_) => {
            counts.ops.fetch_add(1, Ordering::SeqCst);
            counts.hangs.fetch_add(1, Ordering::SeqCst);
            None
        }
    }
}

/// Dedicated and pooled clients under the same faults.
async fn stateful_task(
    t: u64,
    shared: Client,
    pool: ClientPool,
    target: u64,
    issued: Arc<AtomicU64>,
    counts: Arc<Counts>,
) {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let home = format!("soakp:{t}");
    let dedicated = shared.dedicated().unwrap();
    let mut seq = 0u64;
    while issued.fetch_add(4, Ordering::SeqCst) < target {
        seq += 1;
        counts.stateful_rounds.fetch_add(1, Ordering::SeqCst);
        // A pooled client starts in db 0, whatever the last user selected.
        let Some(Ok(c)) = bounded(&counts, pool.get_connected_client()).await else {
            continue;
        };
        let Some(got) = bounded(&counts, c.call(("GET", home.as_str()))).await else {
            continue;
        };
        let in_db1 = matches!(&got, Ok(Value::Bulk(b)) if b.starts_with(b"db1:"));
        tally(&counts, got.as_ref().map(|_| !in_db1), || {
            format!("pooled GET {home}: {got:?}, from the db another user selected")
        });
        // Select db 1 and leave a value there under the same key.
        if let Some(r) = bounded(&counts, c.call(("SELECT", 1))).await {
            let ok = matches!(&r, Ok(Value::SimpleString(_)));
            tally(&counts, r.as_ref().map(|_| ok), || {
                format!("SELECT 1: {r:?}")
            });
            if ok {
                let value = format!("db1:{t}:{seq}");
                if let Some(r) =
                    bounded(&counts, c.call(("SET", home.as_str(), value.as_str()))).await
                {
                    let ok = matches!(&r, Ok(Value::SimpleString(_)));
                    tally(&counts, r.as_ref().map(|_| ok), || {
                        format!("SET in db 1: {r:?}")
                    });
                }
            }
        }
        // A blocking command given up midway: the client goes back with it in flight.
        if rng.next() % 2 == 0 {
            let after = Duration::from_micros(rng.next() % 3000);
            counts.ops.fetch_add(1, Ordering::SeqCst);
            match tokio::time::timeout(after, c.call(("BLPOP", format!("soakq:{t}"), 0))).await {
                Err(_) => {
                    counts.cancelled.fetch_add(1, Ordering::SeqCst);
                }
                Ok(Err(e)) => counts.error(&e),
                Ok(Ok(v)) => counts.mismatch(format!("BLPOP of an empty list answered {v:?}")),
            }
        }
        drop(c);

        // MULTI/EXEC on a dedicated client: an EXEC that answers as if MULTI
        // was never sent means its state was dropped silently.
        let Some(r) = bounded(&counts, dedicated.call("MULTI")).await else {
            continue;
        };
        if let Err(e) = &r {
            counts.error(e);
            counts.ops.fetch_add(1, Ordering::SeqCst);
            // MULTI's fate is unknown (or its state was lost): start clean.
            dedicated.reset_connection();
            continue;
        }
        tally(&counts, Ok(true), String::new);
        let value = format!("{t}:{seq}");
        let Some(queued) = bounded(
            &counts,
            dedicated.call(("SET", format!("soakd:{t}"), value.as_str())),
        )
        .await
        else {
            continue;
        };
        let is_queued = matches!(&queued, Ok(Value::SimpleString(s)) if &s[..] == b"QUEUED");
        tally(&counts, queued.as_ref().map(|_| is_queued), || {
            format!("SET after MULTI: {queued:?}, not QUEUED")
        });
        let Some(exec) = bounded(&counts, dedicated.call("EXEC")).await else {
            continue;
        };
        let committed = matches!(&exec, Ok(Value::Array(items)) if items.len() == 1);
        tally(
            &counts,
            exec.as_ref().map(|_| committed || !is_queued),
            || format!("EXEC: {exec:?}"),
        );
        if exec.as_ref().is_err_and(|e| e.is_state_lost()) || queued.is_err() {
            dedicated.reset_connection();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_never_go_to_the_wrong_caller_under_cancellation_cuts_and_restarts() {
    let target = env_u64("TORNADIS_SOAK_OPS", DEFAULT_OPS);
    let tasks = env_u64("TORNADIS_SOAK_TASKS", DEFAULT_TASKS);
    let server = RedisServer::start();
    let proxy = Arc::new(FaultProxy::start(server.addr()));
    let c = Client::builder()
        .port(proxy.port())
        .reconnect_wait(HANG / 2)
        .build()
        .unwrap();
    c.call("PING").await.unwrap();

    let issued = Arc::new(AtomicU64::new(0));
    let restarts = Arc::new(AtomicU64::new(0));
    let counts = Arc::new(Counts::default());
    let done = Arc::new(AtomicBool::new(false));

    // Faults on a thread of their own: a cut every 100 ms (all connections,
    // or one after a few hundred bytes), and two server restarts.
    let chaos = {
        let (proxy, issued, restarts, done) = (
            proxy.clone(),
            issued.clone(),
            restarts.clone(),
            done.clone(),
        );
        let mut server = server;
        std::thread::spawn(move || {
            let mut rng = Rng(0x1234_5678_9ABC_DEF1);
            let (mut cuts, mut armed) = (0u64, 0u64);
            let mut restart_at = vec![target * 3 / 4, target * 2 / 5];
            loop {
                std::thread::sleep(Duration::from_millis(100));
                if done.load(Ordering::SeqCst) {
                    break;
                }
                if restart_at
                    .last()
                    .is_some_and(|&at| issued.load(Ordering::SeqCst) >= at)
                {
                    restart_at.pop();
                    // Counted before the kill: a key read after this may be gone.
                    restarts.fetch_add(1, Ordering::SeqCst);
                    server.restart();
                } else if rng.next() % 2 == 0 {
                    proxy.cut_all();
                    cuts += 1;
                } else {
                    proxy.cut_after(rng.next() % 2000);
                    armed += 1;
                }
            }
            (server, cuts, armed)
        })
    };

    let pool = ClientPool::builder()
        .config(
            tornadis::Config::builder()
                .port(proxy.port())
                .reconnect_wait(HANG / 2)
                .build()
                .unwrap(),
        )
        .max_size(4)
        .build()
        .unwrap();
    let started = Instant::now();
    let stateful: Vec<_> = (0..STATEFUL_TASKS)
        .map(|t| {
            tokio::spawn(stateful_task(
                t,
                c.clone(),
                pool.clone(),
                target,
                issued.clone(),
                counts.clone(),
            ))
        })
        .collect();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            tokio::spawn(task(
                t,
                c.clone(),
                target,
                issued.clone(),
                restarts.clone(),
                counts.clone(),
            ))
        })
        .collect();
    for h in handles.into_iter().chain(stateful) {
        h.await.unwrap();
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let (_server, cuts, armed) = chaos.join().unwrap();

    // The client still works once the faults stop. (A cut of an idle
    // connection is noticed at once, but a request racing with it would
    // rightly fail: give the client a moment.)
    proxy.heal();
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.call(("SET", "soak:final", "ok")).await.unwrap();
    assert_eq!(
        c.call(("GET", "soak:final")).await.unwrap(),
        Value::Bulk("ok".into())
    );

    let ops = counts.ops.load(Ordering::SeqCst);
    let ok = counts.ok.load(Ordering::SeqCst);
    let cancelled = counts.cancelled.load(Ordering::SeqCst);
    let hangs = counts.hangs.load(Ordering::SeqCst);
    let mismatches = counts.mismatches.load(Ordering::SeqCst);
    let errors = counts.errors.lock().unwrap().clone();
    println!(
        "soak: {ops} ops by {tasks} tasks in {elapsed:.1?} ({:.0} ops/s): {ok} ok, errors {errors:?}, \
         {cancelled} cancelled, {hangs} hangs, {mismatches} mismatches; \
         {cuts} cut_all, {armed} cut_after armed ({} fired), {} restarts, {} connections; \
         {} rounds of dedicated/pooled tasks",
        ops as f64 / elapsed.as_secs_f64(),
        proxy.triggered_cuts(),
        restarts.load(Ordering::SeqCst),
        c.connection_count(),
        counts.stateful_rounds.load(Ordering::SeqCst),
    );
    assert_eq!(
        mismatches,
        0,
        "replies that were not the caller's: {:#?}",
        counts.first_mismatches.lock().unwrap()
    );
    assert_eq!(hangs, 0, "requests hung for {HANG:?}");
    assert_eq!(
        ok + counts.error_total() + cancelled + hangs + mismatches,
        ops,
        "a request ended in neither a value nor an error"
    );
    assert!(ops >= target, "only {ops} of {target} operations ran");
    for kind in errors.keys() {
        // Lost connections are expected; a protocol or decode error would
        // mean the stream went out of sync, a client error a broken request.
        // A dedicated client whose connection was lost in a transaction
        // reports it (StateLost) instead of running on without it.
        assert!(
            kind == "Connection" || kind == "StateLost" || kind == "server LOADING",
            "unexpected error kind {kind}: {errors:?}"
        );
    }
    assert!(cuts + proxy.triggered_cuts() > 0, "no fault was injected");
    assert_eq!(restarts.load(Ordering::SeqCst), 2);
    assert!(cancelled > 0, "no request was cancelled");
    assert!(
        counts.stateful_rounds.load(Ordering::SeqCst) > 100,
        "the dedicated and pooled tasks hardly ran"
    );
}
