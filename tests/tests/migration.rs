//! The tornadis column of the guide's migration table ("Coming from
//! redis-rs or fred", docs/guide.md), run against a real server: each test
//! is one row's task written exactly as the table writes it, so a form that
//! stops compiling or stops working fails here.

use std::time::Duration;

use futures::future::try_join_all;
use serde::{Deserialize, Serialize};
use tornadis::cluster::ClusterClient;
use tornadis::commands::{
    Direction, SetOptions, XaddOptions, XgroupCreateOptions, XreadgroupOptions,
    ZrangeWithscoresOptions,
};
use tornadis::{Client, ClientPool, Commands, Fields, PubSubClient, Serde};
use tornadis_tests::{RedisCluster, RedisServer};

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

#[tokio::test]
async fn get_and_set_with_options() {
    let server = RedisServer::start();
    let client = client(&server);
    client.set("k", 1).await.unwrap();
    let written = client
        .set_with("session", "abc", SetOptions::new().nx().ex(60))
        .await
        .unwrap();
    assert_eq!(written, Some(()));
    let again = client
        .set_with("session", "xyz", SetOptions::new().nx().ex(60))
        .await
        .unwrap();
    assert_eq!(again, None, "NX on an existing key writes nothing");
    let v: Option<String> = client.get("session").await.unwrap();
    assert_eq!(v.as_deref(), Some("abc"));
    assert!((1..=60).contains(&client.ttl("session").await.unwrap()));
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Session {
    user_id: u64,
    lang: String,
}

#[tokio::test]
async fn a_hash_written_from_and_read_into_a_struct() {
    let server = RedisServer::start();
    let client = client(&server);
    let session = Session {
        user_id: 7,
        lang: "en".into(),
    };
    client
        .hset_fields("session:1", Fields(&session))
        .await
        .unwrap();
    let back: Option<Serde<Session>> = client.hgetall("session:1").await.unwrap();
    assert_eq!(back.map(|Serde(s)| s), Some(session));
    let missing: Option<Serde<Session>> = client.hgetall("session:2").await.unwrap();
    assert!(missing.is_none(), "a missing hash is None");
}

#[tokio::test]
async fn a_job_queue_with_lpush_and_brpop() {
    let server = RedisServer::start();
    let client = client(&server);
    let json = format!(r#"{{"job":{}}}"#, 1);
    client.lpush("jobs", &json).await.unwrap();
    let job: Option<(String, String)> = client.brpop("jobs", 5.0).await.unwrap();
    assert_eq!(job, Some(("jobs".to_string(), json)));
    // Nothing left: BRPOP waits its timeout and replies nothing.
    let none: Option<(String, String)> = client.brpop("jobs", 0.1).await.unwrap();
    assert_eq!(none, None);
    // A reliable queue: move the job to a processing list, one Direction
    // type for LMOVE, BLMOVE, LMPOP and BLMPOP.
    client.lpush("jobs", ["j1", "j2"]).await.unwrap();
    let moved: Option<String> = client
        .lmove("jobs", "processing", Direction::Right, Direction::Left)
        .await
        .unwrap();
    assert_eq!(moved.as_deref(), Some("j1"));
    let waited: Option<String> = client
        .blmove("jobs", "processing", Direction::Right, Direction::Left, 1.0)
        .await
        .unwrap();
    assert_eq!(waited.as_deref(), Some("j2"));
}

#[tokio::test]
async fn a_leaderboard_with_zadd_and_zrange_withscores() {
    let server = RedisServer::start();
    let client = client(&server);
    client.zadd("board", (120.0, "ada")).await.unwrap();
    client
        .zadd("board", [(95.0, "grace"), (80.0, "linus")])
        .await
        .unwrap();
    let top: Vec<(String, f64)> = client
        .zrange_withscores_with("board", 0, 1, ZrangeWithscoresOptions::new().rev())
        .await
        .unwrap();
    assert_eq!(
        top,
        [("ada".to_string(), 120.0), ("grace".to_string(), 95.0)]
    );
}

#[tokio::test]
async fn a_rate_limiter_with_incr_and_expire() {
    let server = RedisServer::start();
    let client = client(&server);
    let key = "rate:ada:2026-12-02T17:00";
    for want in 1..=3 {
        let (n, _): (i64, bool) = client
            .pipeline()
            .incr(key)
            .expire(key, 60)
            .atomic()
            .query()
            .await
            .unwrap();
        assert_eq!(n, want);
    }
    assert!((1..=60).contains(&client.ttl(key).await.unwrap()));
}

/// What one XREADGROUP hands back: per stream its key and entries.
type Batch = Option<Vec<tornadis::value::StreamKey>>;

#[tokio::test]
async fn a_stream_consumer_with_xadd_xreadgroup_and_xack() {
    let server = RedisServer::start();
    let client = client(&server);
    client
        .xgroup_create_with(
            "events",
            "workers",
            "0",
            XgroupCreateOptions::new().mkstream(),
        )
        .await
        .unwrap();
    let id = client
        .xadd("events", "*", ("kind", "signup"))
        .await
        .unwrap();
    let batch: Batch = client
        .xreadgroup_with(
            "workers",
            "w1",
            "events",
            ">",
            XreadgroupOptions::new().count(10).block(5000),
        )
        .await
        .unwrap();
    let batch = batch.expect("one entry waiting");
    assert_eq!(batch[0].key, "events");
    assert_eq!(batch[0].entries[0].id, id);
    assert_eq!(batch[0].entries[0].fields["kind"], "signup");
    let acked = client.xack("events", "workers", &id).await.unwrap();
    assert_eq!(acked, 1);

    // A capped stream: MAXLEN ~ on XADD, and XTRIM on its own.
    for i in 0..300 {
        client
            .xadd_with(
                "capped",
                "*",
                [("n", i)],
                XaddOptions::new().maxlen_approx(100),
            )
            .await
            .unwrap();
    }
    let len = client.xlen("capped").await.unwrap();
    assert!((100..300).contains(&len), "approximately capped: {len}");
    client.xtrim_maxlen("capped", 10).await.unwrap();
    assert_eq!(client.xlen("capped").await.unwrap(), 10);
}

#[tokio::test]
async fn pubsub_subscribe_and_read_messages() {
    let server = RedisServer::start();
    let client = client(&server);
    let sub = PubSubClient::from_url(&server.url()).unwrap();
    sub.pubsub_subscribe("news").await.unwrap();
    let mut messages = sub.messages();
    assert_eq!(client.publish("news", "hello").await.unwrap(), 1);
    let msg = tokio::time::timeout(Duration::from_secs(5), messages.next())
        .await
        .expect("a message within 5 s")
        .expect("the stream is open")
        .unwrap();
    assert_eq!(msg.channel().as_ref(), b"news");
    assert_eq!(msg.payload().as_ref(), b"hello");
}

#[tokio::test]
async fn pipelines_of_a_fixed_shape_in_a_loop_and_fanned_out() {
    let server = RedisServer::start();
    let client = client(&server);
    let ((), v): ((), Option<i64>) = client
        .pipeline()
        .set("k", 1)
        .get("k")
        .query()
        .await
        .unwrap();
    assert_eq!(v, Some(1));

    let keys = ["a", "b", "c"];
    let mut p = client.pipeline_of();
    for k in keys {
        p.push(|c| c.get(k));
    }
    let values: Vec<Option<String>> = p.query().await.unwrap();
    assert_eq!(values, [None, None, None]);

    // Independent requests at once: requests are futures.
    try_join_all(keys.iter().map(|k| client.set(*k, 1)))
        .await
        .unwrap();
    let all: Vec<Option<i64>> = try_join_all(keys.iter().map(|k| client.get(*k)))
        .await
        .unwrap();
    assert_eq!(all, [Some(1), Some(1), Some(1)]);
}

#[tokio::test]
async fn a_transaction_with_watch() {
    let server = RedisServer::start();
    let client = client(&server);
    let balance: i64 = client
        .transaction("balance", |conn| async move {
            let current: Option<i64> = conn.get("balance").await?;
            let next = current.unwrap_or(0) + 10;
            conn.pipeline()
                .set("balance", next)
                .atomic()
                .query()
                .await?;
            Ok(next)
        })
        .await
        .unwrap();
    assert_eq!(balance, 10);
    let stored: Option<i64> = client.get("balance").await.unwrap();
    assert_eq!(stored, Some(10));
}

#[tokio::test]
async fn scan_iteration_as_a_stream() {
    let server = RedisServer::start();
    let client = client(&server);
    let mut p = client.pipeline_of();
    for i in 0..250 {
        p.push(|c| c.set(format!("user:{i}"), i));
    }
    p.query().await.unwrap();
    client.set("other", 1).await.unwrap();
    let mut keys = client.scan_stream::<String>().match_pattern("user:*");
    let mut seen = std::collections::HashSet::new();
    while let Some(key) = keys.next().await {
        seen.insert(key.unwrap());
    }
    assert_eq!(seen.len(), 250);
}

#[tokio::test]
async fn a_pool_for_dedicated_connections() {
    let server = RedisServer::start();
    let pool = ClientPool::from_url(&server.url(), 8).unwrap();
    let conn = pool.get_connected_client().await.unwrap();
    conn.set("k", 1).await.unwrap();
    let v: Option<i64> = conn.get("k").await.unwrap();
    assert_eq!(v, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_client_takes_the_same_methods() {
    let cluster = RedisCluster::start();
    let urls: Vec<String> = cluster
        .addrs()
        .iter()
        .map(|a| format!("redis://{a}"))
        .collect();
    let client = ClusterClient::new(urls).unwrap();
    client.set("{user:1}:name", "ada").await.unwrap();
    let removed = client.del(["{user:1}:name", "elsewhere"]).await.unwrap();
    assert_eq!(removed, 1);
}
