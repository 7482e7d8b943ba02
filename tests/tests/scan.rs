//! Cursor streams (SCAN, SSCAN, HSCAN, ZSCAN) against real servers, in RESP2
//! and RESP3, and a whole six-node cluster: CLUSTERSCAN on Valkey 9.1, SCAN
//! over every primary on Redis.

use std::collections::{HashMap, HashSet};

use tokio::sync::Mutex;
use tornadis::cluster::ClusterClient;
use tornadis::{Client, Commands, Config, Protocol, ScanStream};
use tornadis_tests::{RedisCluster, RedisServer, ServerKind};

/// One cluster test at a time: six nodes are a lot for two cores.
static SERIAL: Mutex<()> = Mutex::const_new(());

fn client(server: &RedisServer, protocol: Protocol) -> Client {
    Client::builder()
        .url(&server.url())
        .protocol(protocol)
        .build()
        .unwrap()
}

/// Drains a stream, failing the test on an error.
async fn drain<T: tornadis::FromValue>(mut s: ScanStream<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        out.push(item.unwrap());
    }
    out
}

/// Fills the server: `n` string keys `user:i`, `n` hashes `h:i`, a big set,
/// hash and sorted set (big enough to be walked in many batches).
async fn fill(c: &Client, n: usize) {
    let mut pipe = tornadis::Pipeline::new();
    for i in 0..n {
        pipe.stack_call(("SET", format!("user:{i}"), i));
        pipe.stack_call(("HSET", format!("h:{i}"), "f", i));
        pipe.stack_call(("SADD", "bigset", format!("m{i}")));
        pipe.stack_call(("HSET", "bighash", format!("f{i}"), i));
        pipe.stack_call(("ZADD", "bigzset", i as f64 / 2.0, format!("z{i}")));
    }
    for r in c.call_pipeline(&pipe).await.unwrap() {
        r.unwrap();
    }
}

#[tokio::test]
async fn scan_walks_every_key_with_match_count_and_type() {
    let server = RedisServer::start();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = client(&server, protocol);
        c.flushdb().await.unwrap();
        // An empty database: the stream ends after one batch.
        assert!(drain(c.scan_stream::<String>()).await.is_empty());

        fill(&c, 600).await;
        let all: HashSet<String> = drain(c.scan_stream::<String>().count(100))
            .await
            .into_iter()
            .collect();
        assert_eq!(all.len(), 600 * 2 + 3, "{protocol:?}");

        let users = drain(c.scan_stream::<String>().match_pattern("user:*"))
            .await
            .into_iter()
            .collect::<HashSet<_>>();
        let expected: HashSet<String> = (0..600).map(|i| format!("user:{i}")).collect();
        assert_eq!(users, expected, "{protocol:?}");

        let hashes: HashSet<Vec<u8>> =
            drain(c.scan_stream::<Vec<u8>>().of_type("hash").count(1000))
                .await
                .into_iter()
                .collect();
        assert_eq!(hashes.len(), 601, "{protocol:?}: h:0..599 and bighash");
        assert!(hashes.contains(&b"bighash"[..]));

        let both = drain(
            c.scan_stream::<String>()
                .match_pattern("big*")
                .of_type("zset"),
        )
        .await;
        assert_eq!(both, ["bigzset"], "{protocol:?}");
    }
}

#[tokio::test]
async fn sscan_hscan_zscan_yield_typed_items() {
    let server = RedisServer::start();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = client(&server, protocol);
        c.flushdb().await.unwrap();
        fill(&c, 500).await;

        let members: HashSet<String> = drain(c.sscan_stream("bigset")).await.into_iter().collect();
        assert_eq!(
            members,
            (0..500).map(|i| format!("m{i}")).collect(),
            "{protocol:?}"
        );

        let fields: HashMap<String, i64> = drain(c.hscan_stream("bighash").count(50))
            .await
            .into_iter()
            .collect();
        assert_eq!(fields.len(), 500, "{protocol:?}");
        assert!(
            fields.iter().all(|(f, v)| *f == format!("f{v}")),
            "{protocol:?}"
        );

        let scored: HashMap<String, f64> = drain(c.zscan_stream("bigzset").match_pattern("z1*"))
            .await
            .into_iter()
            .collect();
        let expected: HashSet<String> = (0..500)
            .map(|i| format!("z{i}"))
            .filter(|m| m.starts_with("z1"))
            .collect();
        assert_eq!(scored.keys().cloned().collect::<HashSet<_>>(), expected);
        assert_eq!(scored["z13"], 6.5, "{protocol:?}");

        // Small collections come back in one batch (cursor 0 at once).
        c.sadd("small", [1, 2, 3]).await.unwrap();
        let mut small: Vec<i64> = drain(c.sscan_stream("small")).await;
        small.sort_unstable();
        assert_eq!(small, [1, 2, 3]);
        // A missing key is an empty collection.
        assert!(drain(c.hscan_stream::<String, String>("nope"))
            .await
            .is_empty());
    }
}

#[tokio::test]
async fn errors_end_the_stream() {
    let server = RedisServer::start();
    let c = client(&server, Protocol::Resp3);
    c.set("plain", "v").await.unwrap();
    let mut s = c.sscan_stream::<String>("plain");
    let e = s.next().await.unwrap().unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
    assert!(s.next().await.is_none());

    // Items that do not decode as the type asked for.
    c.sadd("words", ["a", "b"]).await.unwrap();
    let mut s = c.sscan_stream::<i64>("words");
    let e = s.next().await.unwrap().unwrap_err();
    assert!(e.is_decode(), "{e}");
    assert_eq!(e.command(), Some("SSCAN"));
    assert!(s.next().await.is_none());

    // TYPE belongs to SCAN only: refused before sending.
    let mut s = c.hscan_stream::<String, String>("h").of_type("hash");
    assert!(s.next().await.unwrap().unwrap_err().is_client());

    // Connection lost with autoconnect off: the error, then the end.
    let c = Client::builder()
        .url(&server.url())
        .autoconnect(false)
        .build()
        .unwrap();
    let mut s = c.scan_stream::<String>();
    assert!(s.next().await.unwrap().unwrap_err().is_connection());
    assert!(s.next().await.is_none());
}

#[tokio::test]
async fn a_stream_runs_in_its_own_task_while_keys_change() {
    let server = RedisServer::start();
    let c = client(&server, Protocol::Resp3);
    fill(&c, 300).await;
    let stream = c.scan_stream::<String>().match_pattern("user:*").count(20);
    let scan = tokio::spawn(drain(stream));
    // Keys added during the scan may or may not show up; those present all
    // along must all be there.
    for i in 0..300 {
        c.set(format!("user:new:{i}"), 1).await.unwrap();
    }
    let seen: HashSet<String> = scan.await.unwrap().into_iter().collect();
    for i in 0..300 {
        assert!(seen.contains(&format!("user:{i}")), "user:{i} missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_scan_covers_every_primary() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    let c = cluster
        .addrs()
        .iter()
        .fold(ClusterClient::builder(), |b, a| b.seed(a))
        .build()
        .unwrap();
    let keys: HashSet<String> = (0..2000).map(|i| format!("ckey:{i}")).collect();
    let mut tasks = Vec::new();
    for chunk in keys.iter().cloned().collect::<Vec<_>>().chunks(200) {
        let (c, chunk) = (c.clone(), chunk.to_vec());
        tasks.push(tokio::spawn(async move {
            for k in chunk {
                c.set(k.as_str(), 1).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    c.sadd(
        "{tag}set",
        (0..300).map(|i| format!("m{i}")).collect::<Vec<_>>(),
    )
    .await
    .unwrap();

    let all = drain(c.scan_stream::<String>(&Config::default()).count(100)).await;
    let seen: HashSet<String> = all.iter().cloned().collect();
    assert_eq!(all.len(), seen.len(), "every key exactly once");
    let mut expected = keys.clone();
    expected.insert("{tag}set".into());
    assert_eq!(seen, expected);
    // Valkey 9.1 walks the cluster with CLUSTERSCAN alone; Redis, which lacks
    // it, with SCAN on each primary.
    let (cluster_scans, scans) = (calls(&cluster, "clusterscan"), calls(&cluster, "scan"));
    match cluster.node(0).kind() {
        ServerKind::Valkey => {
            assert!(cluster_scans > 3, "CLUSTERSCAN batches: {cluster_scans}");
            assert_eq!(scans, 0, "no per-node SCAN");
        }
        ServerKind::Redis => {
            assert_eq!(cluster_scans, 0);
            assert!(scans >= 3, "SCAN batches: {scans}");
        }
    }
    let dbsize: i64 = c.call_as("DBSIZE").await.unwrap();
    assert_eq!(
        dbsize as usize,
        seen.len(),
        "every primary's keys were walked"
    );

    let only = drain(
        c.scan_stream::<String>(&Config::default())
            .match_pattern("ckey:1999"),
    )
    .await;
    assert_eq!(only, ["ckey:1999"]);

    // Key commands go to the node serving the key.
    let members: HashSet<String> = drain(c.sscan_stream("{tag}set"))
        .await
        .into_iter()
        .collect();
    assert_eq!(members.len(), 300);
    c.hset_multiple("{tag}h", [("a", 1), ("b", 2)])
        .await
        .unwrap();
    let pairs: HashMap<String, i64> = drain(c.hscan_stream("{tag}h")).await.into_iter().collect();
    assert_eq!(pairs, HashMap::from([("a".into(), 1), ("b".into(), 2)]));
    c.zadd("{tag}z", [(1.5, "x")]).await.unwrap();
    let scored = drain(c.zscan_stream::<String>("{tag}z")).await;
    assert_eq!(scored, [("x".to_string(), 1.5)]);

    // A node config the nodes refuse (cluster nodes have database 0 only):
    // on Redis, the handshake's error, then the end; CLUSTERSCAN runs over
    // the cluster's own connections and never uses it.
    let bad = Config::builder().db(3).build().unwrap();
    let mut s = c.scan_stream::<String>(&bad);
    match cluster.node(0).kind() {
        ServerKind::Redis => {
            let e = s.next().await.unwrap().unwrap_err();
            assert!(!e.is_decode(), "{e}");
            assert!(s.next().await.is_none());
        }
        ServerKind::Valkey => {
            let dbsize: i64 = c.call_as("DBSIZE").await.unwrap();
            assert_eq!(drain(s).await.len(), dbsize as usize);
        }
    }
}

/// How many times the cluster's nodes ran `command` (`INFO commandstats`).
fn calls(cluster: &RedisCluster, command: &str) -> u64 {
    let prefix = format!("cmdstat_{command}:calls=");
    cluster
        .nodes()
        .iter()
        .map(|node| {
            node.cli(&["INFO", "commandstats"])
                .lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .and_then(|rest| rest.split(',').next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}
