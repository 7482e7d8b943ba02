//! One typed pipeline builder on every executor: the same generic code runs
//! a pipeline on a client, a pooled client, a cluster client (against real
//! servers) and on a `MockClient`, and gets the same replies in the same order.

use tornadis::cluster::ClusterClient;
use tornadis::testing::MockClient;
use tornadis::{Client, ClientPool, Commands, Config, Pipeline, PipelineTarget, Result, Value};
use tornadis_tests::{RedisCluster, RedisServer};

/// Application code written once against `PipelineTarget`, as a user would.
async fn checkout(redis: &impl PipelineTarget, user: &str) -> Result<(i64, Option<String>, i64)> {
    let cart = format!("cart:{user}");
    let ((), orders, last, (), items) = redis
        .pipeline()
        .set(cart.as_str(), "book")
        .incr("orders")
        .get(cart.as_str())
        .set("last-order", user)
        .rpush(format!("items:{user}"), ["book", "pen"])
        .query()
        .await?;
    Ok((orders, last, items))
}

/// Ten increments in a loop, then every counter read back with a raw pipeline.
async fn counters(redis: &(impl PipelineTarget + ?Sized)) -> Result<Vec<i64>> {
    let mut pipe = redis.pipeline_of::<i64>();
    for i in 0..10 {
        pipe.push(|c| c.incrby(format!("counter:{i}"), i));
    }
    let incremented = pipe.query().await?;
    let mut read = Pipeline::new();
    for i in 0..10 {
        read.get::<i64>(format!("counter:{i}"));
    }
    let again: Vec<i64> = read.query_as(redis).await?;
    assert_eq!(incremented, again);
    Ok(again)
}

fn expected() -> (i64, Option<String>, i64) {
    (1, Some("book".into()), 2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_pipeline_runs_on_a_client_and_a_pooled_client() {
    let server = RedisServer::start();
    let client = Client::new(Config::builder().url(&server.url()).build().unwrap()).unwrap();
    assert_eq!(checkout(&client, "ada").await.unwrap(), expected());
    assert_eq!(
        counters(&client).await.unwrap(),
        (0..10).collect::<Vec<_>>()
    );

    let pool = ClientPool::builder()
        .config(Config::builder().url(&server.url()).db(1).build().unwrap())
        .max_size(2)
        .build()
        .unwrap();
    let conn = pool.get_connected_client().await.unwrap();
    assert_eq!(checkout(&conn, "ada").await.unwrap(), expected());
    assert_eq!(counters(&conn).await.unwrap(), (0..10).collect::<Vec<_>>());
    // A pooled client is dedicated: WATCH and an atomic typed pipeline,
    // which a shared client refuses, run on it.
    let () = conn.watch(["orders"]).await.unwrap();
    let (n, ()) = conn
        .pipeline()
        .incr("orders")
        .set("paid", 1)
        .atomic()
        .query()
        .await
        .unwrap();
    assert_eq!(n, 2);
    drop(conn);
    // The pool's db 1 holds what the pooled pipelines wrote; db 0 the client's.
    assert_eq!(server.cli(&["-n", "1", "GET", "orders"]), "2");
    assert_eq!(server.cli(&["GET", "orders"]), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_pipeline_runs_on_a_cluster() {
    let cluster = RedisCluster::start();
    let c = ClusterClient::new(cluster.addrs().iter().map(|a| format!("redis://{a}"))).unwrap();
    assert_eq!(checkout(&c, "ada").await.unwrap(), expected());
    assert_eq!(counters(&c).await.unwrap(), (0..10).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_typed_pipeline_runs_on_a_mock() {
    let mock = MockClient::new();
    let ok = || Value::SimpleString("OK".into());
    mock.expect(("SET", "cart:ada", "book")).reply(ok());
    mock.expect(("INCR", "orders")).reply(Value::Integer(1));
    mock.expect(("GET", "cart:ada"))
        .reply(Value::Bulk("book".into()));
    mock.expect(("SET", "last-order", "ada")).reply(ok());
    mock.expect(("RPUSH", "items:ada", "book", "pen"))
        .reply(Value::Integer(2));
    assert_eq!(checkout(&mock, "ada").await.unwrap(), expected());
    mock.verify().unwrap();
    let names: Vec<String> = mock.calls().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        ["SET", "INCR", "GET", "SET", "RPUSH"],
        "in the order of the calls"
    );

    // A failing command fails the query naming it and its place.
    mock.clear_calls();
    mock.expect(("SET", "cart:bob", "book")).reply(ok());
    mock.expect(("INCR", "orders"))
        .reply_server_error("WRONGTYPE Operation against a key holding the wrong kind of value");
    let e = checkout(&mock, "bob").await.unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"));
    assert!(e.to_string().contains("command 2 of 5"), "{e}");

    // Loops and raw pipelines answer from the script too.
    let mock = MockClient::new();
    mock.on_command(|args| match args {
        [name, key, by] if name.eq_ignore_ascii_case(b"INCRBY") => {
            let _ = key;
            Ok(Value::Integer(
                std::str::from_utf8(by).unwrap().parse().unwrap(),
            ))
        }
        [name, key] if name.eq_ignore_ascii_case(b"GET") => {
            let i = std::str::from_utf8(key)
                .unwrap()
                .trim_start_matches("counter:");
            Ok(Value::Bulk(i.to_string().into()))
        }
        _ => Ok(Value::Nil),
    });
    assert_eq!(counters(&mock).await.unwrap(), (0..10).collect::<Vec<_>>());
    assert_eq!(mock.calls().len(), 20);
}
