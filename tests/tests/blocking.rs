//! Blocking commands never stall the other callers of a shared client.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use tornadis::{Client, Commands};
use tornadis_tests::RedisServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blpop_does_not_stall_other_callers_and_is_woken_by_the_same_client() {
    let server = RedisServer::start();
    let c = Client::from_url(&server.url()).unwrap();
    c.set("warm", 1).await.unwrap();
    let started = Instant::now();
    let blocked = {
        let c = c.clone();
        tokio::spawn(async move {
            c.call_as::<Option<(String, String)>, _>(("BLPOP", "queue", 5))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut tasks = Vec::new();
    for t in 0..10 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                let v: Option<i64> = c.get("warm").await.unwrap();
                assert_eq!(v, Some(1), "task {t} get {i}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let gets_done = started.elapsed();
    assert!(
        gets_done < Duration::from_secs(3),
        "1,000 GETs waited for the BLPOP: {gets_done:?}"
    );
    assert!(!blocked.is_finished(), "BLPOP should still be waiting");

    let pushed: i64 = c.call_as(("RPUSH", "queue", "job-1")).await.unwrap();
    assert_eq!(pushed, 1);
    let popped = tokio::time::timeout(Duration::from_secs(3), blocked)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(popped, Some(("queue".to_string(), "job-1".to_string())));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "woken by the push, not by its timeout"
    );
}

#[tokio::test]
async fn blocking_timeout_returns_nil_and_side_connections_are_reused() {
    let server = RedisServer::start();
    let c = Client::builder()
        .port(server.port())
        .read_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    // A 1 s BLPOP outlives the 0.5 s read timeout: the read timeout must not
    // cut it, because it runs on a side connection bounded by its own timeout.
    for _ in 0..3 {
        let r: Option<(String, String)> = c.call_as(("BLPOP", "empty", 1)).await.unwrap();
        assert_eq!(r, None);
    }
    let clients = server.cli(&["CLIENT", "LIST"]);
    assert!(
        clients.lines().count() <= 3,
        "side connection reused:\n{clients}"
    );
}

#[tokio::test]
async fn cancelled_blocking_command_does_not_hold_up_the_next() {
    let server = RedisServer::start();
    let c = Client::from_url(&server.url()).unwrap();
    let _ = tokio::time::timeout(
        Duration::from_millis(200),
        c.call(("BLPOP", "q1", 30)).into_future(),
    )
    .await;
    // The abandoned BLPOP's connection was closed, so this one is not queued behind it.
    let started = Instant::now();
    let r: Option<(String, String)> = c.call_as(("BLPOP", "q2", 1)).await.unwrap();
    assert_eq!(r, None);
    assert!(started.elapsed() < Duration::from_secs(3));
}
