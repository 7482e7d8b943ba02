//! Requests are plain `Future`s: the combinators of the `futures` crate take
//! them, they stay lazy until polled, and dropping them mid-flight leaves the
//! connection in step.

use std::future::Future;
use std::time::Duration;

use futures::future::{join_all, select, try_join_all, Either};
use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};
use tornadis::testing::MockClient;
use tornadis::{Client, Commands, Executor, Result, Value};
use tornadis_tests::RedisServer;

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

#[tokio::test]
async fn join_all_and_try_join_all_take_requests() {
    let server = RedisServer::start();
    let c = client(&server);
    let sets = (0..50).map(|i| c.set(format!("k{i}"), i));
    try_join_all(sets).await.unwrap();
    let gets = (0..50).map(|i| c.get::<i64>(format!("k{i}")));
    let values: Vec<Result<Option<i64>>> = join_all(gets).await;
    let values: Vec<Option<i64>> = values.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(values, (0..50).map(Some).collect::<Vec<_>>());
    // One failure fails the whole `try_join_all`, naming the command.
    c.lpush("list", "x").await.unwrap();
    let err = try_join_all([c.incr("k1"), c.incr("list")])
        .await
        .expect_err("INCR of a list is refused");
    assert_eq!(err.code(), Some("WRONGTYPE"), "{err}");
    // `futures::join!` too.
    let (a, b) = futures::join!(c.get::<i64>("k2"), c.exists(["k3", "nope"]));
    assert_eq!((a.unwrap(), b.unwrap()), (Some(2), 1));
}

#[tokio::test]
async fn futures_unordered_and_buffer_unordered_take_requests() {
    let server = RedisServer::start();
    let c = client(&server);
    let mut pending: FuturesUnordered<_> = (0..100).map(|i| c.incrby("counter", i)).collect();
    let mut seen = Vec::new();
    while let Some(n) = pending.next().await {
        seen.push(n.unwrap());
    }
    assert_eq!(seen.len(), 100);
    assert_eq!(seen.iter().max(), Some(&(0..100).sum::<i64>()));

    let replies: Vec<i64> = stream::iter(0..200)
        .map(|i| c.rpush("q", i))
        .buffer_unordered(16)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(replies.len(), 200);
    assert_eq!(c.llen("q").await.unwrap(), 200);
}

#[tokio::test]
async fn a_request_is_lazy_and_a_dropped_one_keeps_the_connection_in_step() {
    let server = RedisServer::start();
    let c = client(&server);
    // Built but never polled: nothing is sent.
    let unsent = c.set("lazy", "v");
    drop(unsent);
    assert_eq!(c.exists(["lazy"]).await.unwrap(), 0);

    // Polled once (sent), then dropped while waiting: its reply is discarded
    // and the next request still gets its own.
    let slow = c.call(("DEBUG", "SLEEP", "0.2"));
    let timer = tokio::time::sleep(Duration::from_millis(20));
    match select(slow, Box::pin(timer)).await {
        Either::Left(_) => panic!("DEBUG SLEEP answered before 20 ms"),
        Either::Right(((), slow)) => drop(slow),
    }
    c.set("after", "ok").await.unwrap();
    assert_eq!(
        c.get::<String>("after").await.unwrap().as_deref(),
        Some("ok")
    );
}

/// Code generic over the executor can ask for a `Future`, and the test
/// double satisfies the same bound.
async fn visits<E>(redis: E) -> Result<i64>
where
    E: Executor,
    E::Output<i64>: Future<Output = Result<i64>>,
{
    redis.incr("visits").await
}

#[tokio::test]
async fn generic_code_bounds_on_future() {
    let server = RedisServer::start();
    let c = client(&server);
    assert_eq!(visits(&c).await.unwrap(), 1);
    let mock = MockClient::new();
    mock.expect(("INCR", "visits")).reply(Value::Integer(7));
    assert_eq!(visits(&mock).await.unwrap(), 7);
}

#[tokio::test]
async fn requests_can_be_spawned_with_a_cloned_client() {
    let server = RedisServer::start();
    let c = client(&server);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.incr("spawned").await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(c.get::<i64>("spawned").await.unwrap(), Some(8));
}
