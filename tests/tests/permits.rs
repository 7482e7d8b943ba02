//! The request permit (`max_pending_requests`) travels with each request
//! and comes back exactly once, whatever way the request ends: cancelled
//! while waiting for its reply or for room in the queue, failed by a
//! connection killed mid-flight, a pipeline that failed, a driver that gave
//! up reconnecting. After each, the client has exactly its N places again:
//! N requests fit, the next one is refused, and N concurrent callers all get
//! their replies.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use tornadis::{Client, Pipeline, Value};
use tornadis_tests::{FaultProxy, RedisServer};

/// The client's places for pending requests.
const N: usize = 4;

/// A wait that takes longer than this is a hang.
const HANG: Duration = Duration::from_secs(20);

/// A client with the default configuration, limited to `N` pending requests.
fn limited(port: u16) -> Client {
    Client::builder()
        .port(port)
        .max_pending_requests(N)
        .build()
        .unwrap()
}

async fn bounded<T>(what: &str, fut: impl IntoFuture<Output = T>) -> T {
    match tokio::time::timeout(HANG, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} hung for {HANG:?}"),
    }
}

/// Waits until no request holds a place (replies of cancelled requests are
/// still read, then their places come back).
async fn settled(c: &Client) {
    let start = Instant::now();
    loop {
        let s = c.stats();
        if s.in_flight == 0 && s.queued == 0 {
            return;
        }
        assert!(
            start.elapsed() < HANG,
            "places still taken after {HANG:?}: {} in flight, {} queued",
            s.in_flight,
            s.queued
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The client has exactly `N` places: `N` requests fit and the next is
/// refused (so no place was lost and none was given back twice), and `N`
/// concurrent callers all get their own replies.
async fn exactly_n_places(c: &Client) {
    settled(c).await;
    // Nothing runs between these calls (a current-thread runtime), so no
    // reply can come back and free a place meanwhile.
    for i in 0..N {
        c.async_call_forget(("ECHO", i))
            .unwrap_or_else(|e| panic!("place {i} of {N} is missing: {e}"));
    }
    let e = c
        .async_call_forget("PING")
        .expect_err("a place too many: one was given back twice");
    assert!(e.to_string().contains("queue is full"), "{e}");
    settled(c).await;
    let callers = (0..N).map(|i| c.call_as::<String, _>(("ECHO", format!("caller {i}"))));
    let replies = bounded("N concurrent callers", futures::future::join_all(callers)).await;
    for (i, r) in replies.into_iter().enumerate() {
        assert_eq!(r.unwrap(), format!("caller {i}"));
    }
    settled(c).await;
}

#[tokio::test]
async fn cancelled_requests_give_back_their_places() {
    let server = RedisServer::start();
    let c = limited(server.port());
    c.call("PING").await.unwrap();
    exactly_n_places(&c).await;
    // The server holds every reply for a while: N requests are cancelled
    // while in flight, and one more while it waits for a place.
    server.cli(&["CLIENT", "PAUSE", "400", "ALL"]);
    let waiting: Vec<_> = (0..=N).map(|i| c.call(("ECHO", i))).collect();
    let all = futures::future::join_all(waiting);
    assert!(
        tokio::time::timeout(Duration::from_millis(100), all)
            .await
            .is_err(),
        "the server answered during its pause"
    );
    exactly_n_places(&c).await;
}

#[tokio::test]
async fn a_connection_killed_mid_flight_gives_back_every_place() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = limited(proxy.port());
    c.call("PING").await.unwrap();
    // N requests in flight (written, the replies held by the network), one
    // fire-and-forget among them, and one more waiting for a place.
    proxy.blackhole(true);
    let mut tasks = Vec::new();
    for i in 0..N {
        let c = c.clone();
        if i == 0 {
            c.async_call_forget(("ECHO", "forgotten")).unwrap();
            continue;
        }
        tasks.push(tokio::spawn(async move { c.call(("ECHO", i)).await }));
    }
    let late = {
        let c = c.clone();
        tokio::spawn(async move { c.call(("ECHO", "late")).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(c.stats().in_flight as usize, N, "the queue is full");
    proxy.cut_all();
    proxy.heal();
    for t in tasks {
        let e = bounded("a request on the killed connection", t)
            .await
            .unwrap()
            .unwrap_err();
        assert!(e.is_connection(), "{e}");
    }
    // The one that waited for a place runs on the next connection.
    let v = bounded("the request that waited", late).await.unwrap();
    assert_eq!(v.unwrap(), Value::Bulk("late".into()));
    exactly_n_places(&c).await;
}

#[tokio::test]
async fn a_failed_pipeline_gives_back_its_place() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = limited(proxy.port());
    c.call("PING").await.unwrap();
    for atomic in [false, true] {
        let mut p = Pipeline::new();
        for i in 0..10 {
            p.stack_call(("SET", format!("k{i}"), i));
        }
        if atomic {
            p.atomic();
        }
        // The connection is cut in the middle of the pipeline's replies.
        proxy.cut_after(20);
        let e = bounded("the pipeline", c.call_pipeline(&p))
            .await
            .unwrap_err();
        assert!(e.is_connection(), "atomic {atomic}: {e}");
        exactly_n_places(&c).await;
    }
    // A pipeline refused before sending (too many bytes queued behind
    // others) gives its place back too.
    let small = Client::builder()
        .port(server.port())
        .max_pending_requests(N)
        .max_pending_bytes(256)
        .build()
        .unwrap();
    small.call("PING").await.unwrap();
    small.async_call_forget(("SET", "a", "b")).unwrap();
    let mut big = Pipeline::new();
    big.stack_call(("SET", "big", "x".repeat(600)));
    let e = small.call_pipeline(&big).await.unwrap_err();
    assert!(e.is_client(), "{e}");
    exactly_n_places(&small).await;
}

#[tokio::test]
async fn a_driver_that_gives_up_gives_back_every_place() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = limited(proxy.port());
    c.call("PING").await.unwrap();
    // The server becomes unreachable: the driver retries for
    // `reconnect_wait`, then fails what waited and stops.
    proxy.refuse(true);
    proxy.cut_all();
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.async_call_forget(("ECHO", "forgotten")).unwrap();
    let waiting = (1..N).map(|i| c.call(("ECHO", i)));
    let failed = bounded("requests to an unreachable server", {
        futures::future::join_all(waiting)
    })
    .await;
    for r in failed {
        let e = r.unwrap_err();
        assert!(e.is_connection() || e.is_timeout(), "{e}");
    }
    settled(&c).await;
    assert!(!c.is_connected());
    proxy.heal();
    exactly_n_places(&c).await;
}
