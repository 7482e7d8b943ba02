//! ClusterClient against a real six-node cluster: routing across all slots,
//! multi-slot commands, resharding (MOVED and ASK) and failover under load.
//!
//! Each test starts its own cluster; they run one at a time to keep the
//! machine's two cores from starving the cluster's failure detector.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tornadis::cluster::{key_slot, ClusterClient, ReadFrom};
use tornadis::{Commands, Value};
use tornadis_tests::{RedisCluster, ServerKind};

/// One cluster test at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

fn client(cluster: &RedisCluster) -> ClusterClient {
    cluster
        .addrs()
        .iter()
        .fold(ClusterClient::builder(), |b, a| b.seed(a))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_keys_in_every_slot_and_splits_multi_key_commands() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    let c = client(&cluster);

    // 10,000 keys over all slots, written and read back concurrently.
    let mut tasks = Vec::new();
    for t in 0..20 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in (t..10_000).step_by(20) {
                let key = format!("key:{i}");
                c.set(key.as_str(), i).await.unwrap();
                let v: Option<i64> = c.get(key.as_str()).await.unwrap();
                assert_eq!(v, Some(i64::from(i)), "{key}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let dbsize: i64 = c.call_as("DBSIZE").await.unwrap();
    assert_eq!(dbsize, 10_000, "DBSIZE sums every primary");
    assert_eq!(c.primaries().len(), 3);
    // The table's request/response policies: KEYS concatenates every
    // primary's keys; SCRIPT LOAD reaches every node and SCRIPT EXISTS is
    // the logical AND of their answers; WAIT is refused (it counts the
    // writes of a connection the cluster client shares).
    let all: Vec<String> = c.call_as(("KEYS", "key:1*")).await.unwrap();
    assert_eq!(all.len(), 1111, "KEYS from every primary");
    let sha: String = c.call_as(("SCRIPT", "LOAD", "return 1")).await.unwrap();
    let exists: Vec<i64> = c
        .call_as(("SCRIPT", "EXISTS", sha.as_str(), "0000"))
        .await
        .unwrap();
    assert_eq!(exists, vec![1, 0]);
    let e = c.call(("WAIT", 1, 10)).await.unwrap_err();
    assert!(e.is_client(), "{e}");

    // MGET / MSET / DEL / EXISTS across slots, answers in the caller's order.
    let keys: Vec<String> = (0..50).map(|i| format!("multi:{i}")).collect();
    let slots: std::collections::HashSet<u16> =
        keys.iter().map(|k| key_slot(k.as_bytes())).collect();
    assert!(slots.len() > 10, "the keys really span slots");
    let pairs: Vec<(String, String)> = keys.iter().map(|k| (k.clone(), format!("v-{k}"))).collect();
    c.call(("MSET", pairs.clone())).await.unwrap();
    let mut mget = keys.clone();
    mget.insert(3, "missing".into());
    let values: Vec<Option<String>> = c.call_as(("MGET", mget.clone())).await.unwrap();
    assert_eq!(values.len(), 51);
    assert_eq!(values[3], None);
    for (k, v) in mget.iter().zip(&values) {
        if k != "missing" {
            assert_eq!(v.as_deref(), Some(format!("v-{k}").as_str()));
        }
    }
    let exists: i64 = c.call_as(("EXISTS", mget.clone())).await.unwrap();
    assert_eq!(exists, 50);
    let deleted: i64 = c.call_as(("DEL", mget)).await.unwrap();
    assert_eq!(deleted, 50);

    // Other multi-slot commands are refused before sending.
    let e = c.call(("SUNION", "a", "b", "c", "d")).await.unwrap_err();
    assert!(e.is_client(), "{e}");
    assert!(e.to_string().contains("CROSSSLOT"), "{e}");
    // Hash tags keep keys together.
    let n: i64 = c.call_as(("SADD", "{tag}a", "x")).await.unwrap();
    assert_eq!(n, 1);
    let union: Vec<String> = c.call_as(("SUNION", "{tag}a", "{tag}b")).await.unwrap();
    assert_eq!(union, vec!["x".to_string()]);
    // Pipelines: each command routed by its own keys, replies in order.
    let mut pipe = tornadis::Pipeline::new();
    for i in 0..100 {
        pipe.stack_call(("SET", format!("p:{i}"), i));
    }
    pipe.stack_call(("LPUSH", "p:0", "x")); // WRONGTYPE on one node only
    for i in 0..100 {
        pipe.stack_call(("GET", format!("p:{i}")));
    }
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(replies.len(), 201);
    assert_eq!(replies[100].as_ref().unwrap_err().code(), Some("WRONGTYPE"));
    for i in 0..100 {
        assert_eq!(
            replies[101 + i].as_ref().unwrap(),
            &Value::Bulk(i.to_string().into())
        );
    }
    // Transactions need one slot.
    let mut tx = tornadis::Pipeline::new();
    tx.atomic()
        .stack_call(("INCR", "{t}a"))
        .stack_call(("INCR", "{t}b"));
    let replies = c.call_pipeline(&tx).await.unwrap();
    assert_eq!(replies[1].as_ref().unwrap(), &Value::Integer(1));
    let mut cross = tornadis::Pipeline::new();
    cross
        .atomic()
        .stack_call(("INCR", "a"))
        .stack_call(("INCR", "b"));
    assert!(c
        .call_pipeline(&cross)
        .await
        .unwrap_err()
        .to_string()
        .contains("CROSSSLOT"));
    // Keyless commands go to a primary; transactions on one slot work.
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
    let (a, b): (i64, i64) = c
        .call_as(("EVAL", "return {1, 2}", 0))
        .await
        .map(|v: Vec<i64>| (v[0], v[1]))
        .unwrap();
    assert_eq!((a, b), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_from_replicas() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    let c = cluster
        .addrs()
        .iter()
        .fold(ClusterClient::builder(), |b, a| b.seed(a))
        .read_from(ReadFrom::Replica)
        .build()
        .unwrap();
    c.set("r", "1").await.unwrap();
    // Wait until the write reached the replica.
    let _ = c.call(("WAIT", 1, 2000)).await;
    // The server lists a replica in CLUSTER SLOTS only once it has replicated
    // something: read the slot map again now that it has.
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.refresh_topology().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v: Option<String> = c.get("r").await.unwrap();
        if v.as_deref() == Some("1") {
            break;
        }
        assert!(Instant::now() < deadline, "replica never served the key");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The read really goes to a replica: its connection sent READONLY. The
    // replica's replication offset reaches the other nodes by gossip, so
    // the slot map may need a few reads before it lists the replica.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v: Option<String> = c.get("r").await.unwrap();
        assert_eq!(v.as_deref(), Some("1"));
        let any_readonly = cluster
            .replicas()
            .iter()
            .any(|&i| cluster.node(i).cli(&["CLIENT", "LIST"]).contains("flags=r"));
        if any_readonly {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no replica got a READONLY connection within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.refresh_topology().await.unwrap();
    }
    // Writes still go to primaries.
    c.set("r", "2").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resharding_under_load_follows_moved_and_ask() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    let c = client(&cluster);
    // Keys that all live in one slot, moved from its primary to another.
    let keys: Vec<String> = (0..200).map(|i| format!("{{moving}}:{i}")).collect();
    for k in &keys {
        c.set(k.as_str(), 1).await.unwrap();
    }
    let slot = key_slot(b"moving");
    let source = cluster.primary_for_slot(slot).unwrap();
    let target = *cluster.primaries().iter().find(|&&p| p != source).unwrap();
    let id = |i: usize| cluster.node(i).cli(&["CLUSTER", "MYID"]);
    let (source_id, target_id) = (id(source), id(target));

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ops = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for t in 0..4 {
        let (c, keys, stop, ops) = (c.clone(), keys.clone(), stop.clone(), ops.clone());
        load.push(tokio::spawn(async move {
            let mut i = t;
            while !stop.load(Ordering::Relaxed) {
                let k = &keys[i % keys.len()];
                let n: i64 = c
                    .incr(k.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("INCR {k} failed during resharding: {e}"));
                assert!(n >= 2);
                ops.fetch_add(1, Ordering::Relaxed);
                i += 4;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let slot_s = slot.to_string();
    let target_node = cluster.node(target);
    let source_node = cluster.node(source);
    assert_eq!(
        target_node.cli(&["CLUSTER", "SETSLOT", &slot_s, "IMPORTING", &source_id]),
        "OK"
    );
    assert_eq!(
        source_node.cli(&["CLUSTER", "SETSLOT", &slot_s, "MIGRATING", &target_id]),
        "OK"
    );
    // Move the keys a few at a time: meanwhile, keys already moved answer ASK.
    let target_port = target_node.port().to_string();
    loop {
        let batch = source_node.cli(&["CLUSTER", "GETKEYSINSLOT", &slot_s, "10"]);
        let batch: Vec<&str> = batch.lines().filter(|l| !l.is_empty()).collect();
        if batch.is_empty() {
            break;
        }
        let mut args = vec![
            "MIGRATE",
            "127.0.0.1",
            &target_port,
            "",
            "0",
            "5000",
            "KEYS",
        ];
        args.extend(batch.iter().copied());
        let out = source_node.cli(&args);
        assert!(out.contains("OK"), "MIGRATE: {out}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for i in cluster.primaries() {
        cluster
            .node(i)
            .cli(&["CLUSTER", "SETSLOT", &slot_s, "NODE", &target_id]);
    }
    // Keep the load on after the move: the old owner now answers MOVED.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    let done = ops.load(Ordering::Relaxed);
    assert!(done > 50, "too little load ran: {done}");
    let total: i64 = {
        let mut sum = 0;
        for k in &keys {
            sum += c.get::<i64>(k.as_str()).await.unwrap().unwrap();
        }
        sum
    };
    assert_eq!(
        total as u64,
        keys.len() as u64 + done,
        "every acknowledged INCR is in the data"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_after_a_primary_dies() {
    let _serial = SERIAL.lock().await;
    let mut cluster = RedisCluster::start();
    let c = client(&cluster);
    let slot_key = "failover-key";
    c.set(slot_key, 0).await.unwrap();
    let victim = cluster
        .primary_for_slot(key_slot(slot_key.as_bytes()))
        .unwrap();

    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (c, acked, stop) = (c.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut errors = 0u64;
            let mut last_ok = 0i64;
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_secs(5), c.incr(slot_key)).await {
                    Ok(Ok(n)) => {
                        let n: i64 = n;
                        assert!(
                            n > last_ok,
                            "an acknowledged write went missing: {n} after {last_ok}"
                        );
                        last_ok = n;
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Err(_)) | Err(_) => {
                        errors += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            errors
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_at = Instant::now();
    cluster.kill_node(victim);
    // Requests succeed again within a few seconds, without user action.
    let before = acked.load(Ordering::Relaxed);
    let recovered = loop {
        if acked.load(Ordering::Relaxed) > before + 10 {
            break killed_at.elapsed();
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(30),
            "no recovery within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let errors = writer.await.unwrap();
    println!("cluster failover: requests succeeded again {recovered:?} after the primary was killed ({errors} failed during the outage)");
    let v: Option<i64> = c.get(slot_key).await.unwrap();
    assert!(
        v.unwrap() as u64 >= acked.load(Ordering::Relaxed),
        "acknowledged writes survived"
    );
}

/// Freezes a node (SIGSTOP) until dropped (SIGCONT).
struct Frozen(u32);

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.0.to_string()])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_from_a_frozen_primary_with_default_settings() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    // Default settings throughout, and no timeout of the test's own around
    // the requests: each must end by itself.
    let c = client(&cluster);
    let key = "frozen-key";
    c.set(key, 1).await.unwrap();
    let victim = cluster.primary_for_slot(key_slot(key.as_bytes())).unwrap();
    let pid = cluster.node(victim).pid().unwrap();
    let ok = std::process::Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let frozen = Frozen(pid);
    let frozen_at = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut failures = 0;
    let recovered = loop {
        let started = Instant::now();
        let r: tornadis::Result<Option<i64>> = c.get(key).await;
        slowest = slowest.max(started.elapsed());
        match r {
            Ok(v) => {
                assert_eq!(v, Some(1));
                break frozen_at.elapsed();
            }
            Err(e) => {
                assert!(e.is_timeout() || e.is_connection() || e.is_server(), "{e}");
                failures += 1;
            }
        }
        assert!(
            frozen_at.elapsed() < Duration::from_secs(20),
            "no recovery within 20 s of the primary freezing (failover takes about 4 s)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "cluster with a frozen primary, default settings: reads succeeded again {recovered:.2?} after \
         the freeze ({failures} failed, the slowest took {slowest:.2?})"
    );
    // Each failed request ended within the read timeout plus a margin.
    assert!(slowest < Duration::from_secs(8), "{slowest:?}");
    // Writes too, on the promoted replica.
    c.set(key, 2).await.unwrap();
    drop(frozen);
}

/// Typed commands are checked against each node's own server, even the
/// first command a node gets (its connection opens first to learn it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_node_checks_typed_commands_before_its_first_send() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    // One seed: the other nodes have no connection until a command needs one.
    let c = ClusterClient::builder()
        .seed(&cluster.addrs()[0])
        .build()
        .unwrap();
    // Keys on every primary, each the first command its node gets.
    let keys: Vec<String> = (0..30).map(|i| format!("gate:{i}")).collect();
    let primaries: std::collections::HashSet<_> = keys
        .iter()
        .filter_map(|k| cluster.primary_for_slot(key_slot(k.as_bytes())))
        .collect();
    assert_eq!(primaries.len(), 3, "the keys reach every primary");
    for key in &keys {
        let reply = c.hgetex::<String>(key.as_str(), ["f"]).await;
        match cluster.node(0).kind() {
            ServerKind::Redis => {
                let err = reply.unwrap_err();
                assert!(err.is_client(), "{key}: {err}");
                assert!(
                    err.detail().starts_with(
                        "HGETEX needs Redis >= 8.0.0 or Valkey >= 9.0.0; this server is Redis 7.0.15"
                    ),
                    "{err}"
                );
            }
            ServerKind::Valkey => assert_eq!(reply.unwrap(), [None]),
        }
    }
    if cluster.node(0).kind() == ServerKind::Redis {
        let sent: usize = cluster
            .nodes()
            .iter()
            .filter(|n| n.cli(&["INFO", "commandstats"]).contains("cmdstat_hgetex"))
            .count();
        assert_eq!(sent, 0, "no node was sent HGETEX");
    }
}
