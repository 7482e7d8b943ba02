//! Pipelines on a real six-node cluster: typed pipelines, loops and raw
//! pipelines with keys in many slots come back in the caller's order, one
//! failing command leaves the others' replies in place, a command whose
//! slot moved is redirected on its own, and a transaction runs only within
//! one slot.

use std::collections::HashSet;

use tornadis::cluster::{key_slot, ClusterClient};
use tornadis::{Commands, Pipeline, Value};
use tornadis_tests::{RedisCluster, ServerKind};

fn client(cluster: &RedisCluster) -> ClusterClient {
    ClusterClient::new(cluster.addrs().iter().map(|a| format!("redis://{a}"))).unwrap()
}

/// A key whose slot the primary `node` serves.
fn key_on(cluster: &RedisCluster, node: usize, prefix: &str) -> String {
    (0..)
        .map(|i| format!("{prefix}:{i}"))
        .find(|k| cluster.primary_for_slot(key_slot(k.as_bytes())) == Some(node))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_on_a_cluster_keep_the_callers_order() {
    let cluster = RedisCluster::start();
    let c = client(&cluster);
    let p = cluster.primaries();
    let (a, b, d) = (
        key_on(&cluster, p[0], "a"),
        key_on(&cluster, p[1], "b"),
        key_on(&cluster, p[2], "d"),
    );

    // A typed pipeline over three nodes: replies in the order of the calls.
    let ((), (), n, va, vb, vd): ((), (), i64, Option<String>, Option<i64>, Option<String>) = c
        .pipeline()
        .set(a.as_str(), "on-a")
        .set(b.as_str(), 41)
        .incr(b.as_str())
        .get(a.as_str())
        .get(b.as_str())
        .get(d.as_str())
        .query()
        .await
        .unwrap();
    assert_eq!(n, 42);
    assert_eq!(va.as_deref(), Some("on-a"));
    assert_eq!(vb, Some(42));
    assert_eq!(vd, None);

    // A failing command fails the typed query, naming it and its place.
    let e = c
        .pipeline()
        .get::<String>(d.as_str())
        .set(a.as_str(), "x")
        .lpush(a.as_str(), ["no"]) // WRONGTYPE on a's node
        .get::<String>(b.as_str())
        .query()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
    assert!(e.to_string().contains("command 3 of 4"), "{e}");

    // The typed methods on a raw pipeline, with every reply kept: the
    // failure is its own entry and the others stay in place.
    let mut pipe = Pipeline::new();
    for i in 0..50 {
        pipe.set(format!("k:{i}"), i);
    }
    pipe.lpush(a.as_str(), ["no"]);
    for i in 0..50 {
        pipe.get::<i64>(format!("k:{i}"));
    }
    let slots: HashSet<u16> = (0..50)
        .map(|i| key_slot(format!("k:{i}").as_bytes()))
        .collect();
    assert!(slots.len() > 40, "the keys spread over many slots");
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(replies.len(), 101);
    assert_eq!(replies[50].as_ref().unwrap_err().code(), Some("WRONGTYPE"));
    for i in 0..50 {
        assert_eq!(
            replies[i].as_ref().unwrap(),
            &Value::SimpleString("OK".into())
        );
        assert_eq!(
            replies[51 + i].as_ref().unwrap(),
            &Value::Bulk(i.to_string().into())
        );
    }
    let totals: Vec<Option<i64>> = {
        let mut pipe = Pipeline::new();
        for i in (0..50).rev() {
            pipe.get::<i64>(format!("k:{i}"));
        }
        pipe.query_as(&c).await.unwrap()
    };
    assert_eq!(totals, (0..50).rev().map(Some).collect::<Vec<_>>());

    // A loop of one reply type, with a multi-slot MGET and a keyless PING among them.
    let mut pipe = c.pipeline_of::<Value>();
    for i in 0..20 {
        pipe.push(|c| c.incrby(format!("n:{i}"), i).decode_as());
    }
    pipe.push(|c| {
        c.mget::<Vec<Option<i64>>>(["k:1", "k:2", "k:3"])
            .decode_as()
    });
    pipe.push(|c| c.ping().decode_as());
    let replies = pipe.query().await.unwrap();
    for (i, r) in replies.iter().take(20).enumerate() {
        assert_eq!(r, &Value::Integer(i as i64));
    }
    assert_eq!(
        replies[20],
        Value::Array(vec![
            Value::Bulk("1".into()),
            Value::Bulk("2".into()),
            Value::Bulk("3".into())
        ])
    );
    assert_eq!(replies[21], Value::SimpleString("PONG".into()));

    // Atomic only within one slot: a clear client error otherwise, and
    // nothing sent.
    let e = c
        .pipeline()
        .set(a.as_str(), 1)
        .set(b.as_str(), 1)
        .atomic()
        .query()
        .await
        .unwrap_err();
    assert!(e.is_client() && e.to_string().contains("CROSSSLOT"), "{e}");
    let v: Option<String> = c.get(b.as_str()).await.unwrap();
    assert_eq!(
        v.as_deref(),
        Some("42"),
        "the refused transaction sent nothing"
    );
    let ((), n) = c
        .pipeline()
        .set("{t}:x", 1)
        .incr("{t}:y")
        .atomic()
        .query()
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_command_whose_slot_moved_is_redirected() {
    let cluster = RedisCluster::start();
    let c = client(&cluster);
    let p = cluster.primaries();
    let stays = key_on(&cluster, p[0], "stays");
    let moves = key_on(&cluster, p[1], "moves");
    c.set(moves.as_str(), "before").await.unwrap(); // the client knows the slot map now
    c.del([moves.as_str()]).await.unwrap();
    // Move the (now empty) slot to another primary behind the client's back.
    let slot = key_slot(moves.as_bytes()).to_string();
    let target_id = cluster.node(p[2]).cli(&["CLUSTER", "MYID"]);
    for &n in &p {
        assert_eq!(
            cluster
                .node(n)
                .cli(&["CLUSTER", "SETSLOT", &slot, "NODE", &target_id]),
            "OK"
        );
    }
    let ((), (), a, b): ((), (), Option<String>, Option<String>) = c
        .pipeline()
        .set(stays.as_str(), "s")
        .set(moves.as_str(), "m")
        .get(stays.as_str())
        .get(moves.as_str())
        .query()
        .await
        .unwrap();
    assert_eq!((a.as_deref(), b.as_deref()), (Some("s"), Some("m")));
    let on_target = cluster.node(p[2]).cli(&["GET", &moves]);
    assert_eq!(on_target, "m", "the write went to the slot's new primary");
}

/// A pipeline's typed commands are checked against each node's own server
/// even when the node has no connection yet (it opens one first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_checks_typed_commands_on_nodes_it_reaches_first() {
    let cluster = RedisCluster::start();
    // One seed: the other nodes have no connection until a command needs one.
    let c = ClusterClient::builder()
        .seed(&cluster.addrs()[0])
        .build()
        .unwrap();
    let mut pipe = Pipeline::new();
    for i in 0..30 {
        pipe.hgetex::<String>(format!("gate:{i}"), ["f"]);
    }
    let primaries: HashSet<_> = (0..30)
        .filter_map(|i| cluster.primary_for_slot(key_slot(format!("gate:{i}").as_bytes())))
        .collect();
    assert_eq!(primaries.len(), 3, "the keys reach every primary");
    let replies = c.call_pipeline(&pipe).await.unwrap();
    for (i, reply) in replies.into_iter().enumerate() {
        match cluster.node(0).kind() {
            // Refused before sending: a server would answer "unknown command".
            ServerKind::Redis => {
                let err = reply.unwrap_err();
                assert!(err.is_client(), "gate:{i}: {err}");
                assert!(
                    err.to_string().contains("HGETEX needs Redis >= 8.0.0"),
                    "{err}"
                );
            }
            ServerKind::Valkey => assert_eq!(reply.unwrap(), Value::Array(vec![Value::Nil])),
        }
    }
}
