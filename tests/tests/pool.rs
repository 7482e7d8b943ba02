//! `ClientPool` against a real redis-server: lending and returning, limits
//! and fair waiting, timeouts, preconnect, destroy, and broken clients.
//!
//! Connections are counted on the server side (`CLIENT LIST`, by the name
//! each test gives its pool's clients), not only through the pool's own
//! counters.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tornadis::{ClientPool, ClientPoolBuilder, Commands, Config, ErrorKind, Value};
use tornadis_tests::RedisServer;

const NAME: &str = "pooltest";

fn config(server: &RedisServer) -> Config {
    Config::builder()
        .url(&server.url())
        .client_name(NAME)
        .build()
        .unwrap()
}

fn builder(server: &RedisServer) -> ClientPoolBuilder {
    ClientPool::builder().config(config(server))
}

/// How many connections named [`NAME`] the server has now.
fn server_connections(server: &RedisServer) -> usize {
    let needle = format!("name={NAME} ");
    server
        .cli(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

/// Polls (off the runtime's threads) until the server counts `n` pool connections.
async fn wait_for_connections(server: &RedisServer, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = server_connections(server);
        if now == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {n} pool connections on the server, still {now}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The server's count of connections accepted since it started.
fn connections_received(server: &RedisServer) -> usize {
    server
        .cli(&["INFO", "stats"])
        .lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("INFO stats has total_connections_received")
}

async fn client_id(client: &tornadis::Client) -> i64 {
    client.call_as(("CLIENT", "ID")).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_client_is_lent_again_with_its_connection() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(2).build().unwrap();
    assert_eq!(pool.size(), 0);

    let client = pool.get_connected_client().await.unwrap();
    assert!(client.is_connected());
    client.set("k", "v").await.unwrap();
    let v: Option<String> = client.get("k").await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    let first_id = client_id(&client).await;
    assert_eq!(
        (pool.size(), pool.idle_count(), pool.available()),
        (1, 0, Some(1))
    );
    pool.release_client(client);
    assert_eq!(
        (pool.size(), pool.idle_count(), pool.available()),
        (1, 1, Some(2))
    );

    let again = pool.connected_client().await.unwrap();
    assert_eq!(
        client_id(&again).await,
        first_id,
        "the idle client is reused"
    );
    assert_eq!(again.connection_count(), 1);
    assert_eq!(server_connections(&server), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_returns_its_client_on_drop() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(3).build().unwrap();
    {
        let a = pool.connected_client().await.unwrap();
        let b = pool.connected_client().await.unwrap();
        assert_ne!(
            client_id(&a).await,
            client_id(&b).await,
            "each has its own connection"
        );
        assert_eq!((pool.size(), pool.idle_count()), (2, 0));
        assert_eq!(server_connections(&server), 2);
    }
    assert_eq!(
        (pool.size(), pool.idle_count(), pool.available()),
        (2, 2, Some(3))
    );
    // Returned clients stay connected and are lent again before any new one.
    let c = pool.connected_client().await.unwrap();
    c.incr("n").await.unwrap();
    assert_eq!(pool.size(), 2);
    assert_eq!(server_connections(&server), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_are_served_first_come_first_served() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(1).build().unwrap();
    let held = pool.get_connected_client().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (pool, order) = (pool.clone(), order.clone());
        let mut task = Box::pin(async move {
            let c = pool.get_connected_client().await.unwrap();
            order.lock().unwrap().push(i);
            c.incr("served").await.unwrap();
        });
        // Polled once here, the task takes its place in the queue now, in
        // the order of the loop, before it is spawned.
        assert!(!poll_once(task.as_mut()).await);
        tasks.push(tokio::spawn(task));
    }
    assert!(
        order.lock().unwrap().is_empty(),
        "nobody is served while the client is held"
    );
    drop(held);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(server.cli(&["GET", "served"]), "4");
    assert_eq!(pool.size(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nowait_returns_none_when_every_client_is_lent() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(2).build().unwrap();
    let a = pool.get_client_nowait().unwrap().expect("a free client");
    let b = pool.get_client_nowait().unwrap().expect("a free client");
    assert!(pool.get_client_nowait().unwrap().is_none());
    assert_eq!(pool.available(), Some(0));
    // A new client from nowait connects on its first command.
    a.set("x", 1).await.unwrap();
    assert!(a.is_connected());
    drop(a);
    let c = pool
        .get_client_nowait()
        .unwrap()
        .expect("the returned client");
    let x: Option<i64> = c.get("x").await.unwrap();
    assert_eq!(x, Some(1));
    assert_eq!(c.connection_count(), 1, "the connected client was reused");
    assert!(pool.get_client_nowait().unwrap().is_none());
    drop(b);
    assert!(pool.get_client_nowait().unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_ends_with_a_timeout_error() {
    let server = RedisServer::start();
    let pool = builder(&server)
        .max_size(1)
        .acquire_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let held = pool.get_connected_client().await.unwrap();
    let start = Instant::now();
    let e = pool.get_connected_client().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("in use"), "{e}");
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(start.elapsed() < Duration::from_secs(3));
    drop(held);
    let c = pool.get_connected_client().await.unwrap();
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_acquire_leaks_neither_permit_nor_client() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(2).build().unwrap();
    let held = pool.get_connected_client().await.unwrap();
    let other = pool.get_connected_client().await.unwrap();
    // Cancelled while waiting in the queue.
    let waited = tokio::time::timeout(Duration::from_millis(50), pool.get_connected_client()).await;
    assert!(waited.is_err());
    drop((held, other));
    assert_eq!(pool.available(), Some(2));
    // Cancelled while connecting a new client: poll it once, then drop it.
    drop(pool);
    let pool = builder(&server).max_size(2).build().unwrap();
    for _ in 0..20 {
        let mut fut = std::pin::pin!(pool.get_connected_client());
        let _ = poll_once(fut.as_mut()).await;
    }
    assert_eq!(pool.available(), Some(2));
    assert!(pool.size() <= 2, "size {}", pool.size());
    let a = pool.get_connected_client().await.unwrap();
    let b = pool.get_connected_client().await.unwrap();
    a.incr("n").await.unwrap();
    b.incr("n").await.unwrap();
    drop((a, b));
    assert_eq!(pool.size(), 2);
    wait_for_connections(&server, 2).await;
}

/// Polls a future once and reports whether it finished.
async fn poll_once<F: std::future::Future>(fut: std::pin::Pin<&mut F>) -> bool {
    let mut fut = Some(fut);
    std::future::poll_fn(move |cx| {
        let ready = fut.take().map(|f| f.poll(cx).is_ready()).unwrap_or(false);
        std::task::Poll::Ready(ready)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_tasks_share_a_pool_of_eight() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(8).build().unwrap();
    let before = connections_received(&server);
    let busiest = Arc::new(AtomicUsize::new(0));
    let lent = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (pool, busiest, lent) = (pool.clone(), busiest.clone(), lent.clone());
        tasks.push(tokio::spawn(async move {
            let c = pool.connected_client().await.unwrap();
            let now = lent.fetch_add(1, Ordering::SeqCst) + 1;
            busiest.fetch_max(now, Ordering::SeqCst);
            assert!(pool.size() <= 8, "the pool holds {} clients", pool.size());
            c.incr("counter").await.unwrap();
            // Hold the client a little so that the pool really runs out.
            tokio::time::sleep(Duration::from_millis(5)).await;
            lent.fetch_sub(1, Ordering::SeqCst);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(server.cli(&["GET", "counter"]), "100");
    assert_eq!(busiest.load(Ordering::SeqCst), 8, "the pool was exhausted");
    assert_eq!(
        (pool.size(), pool.idle_count(), pool.available()),
        (8, 8, Some(8))
    );
    assert_eq!(server_connections(&server), 8);
    // Every connection the server ever accepted: only the 8 of the pool
    // besides the redis-cli calls (each one connection, its own included).
    let opened = connections_received(&server) - before;
    assert_eq!(
        opened,
        8 + 3,
        "GET, CLIENT LIST and INFO aside, the pool opened {}",
        opened - 3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoclose_closes_clients_past_the_client_timeout() {
    let server = RedisServer::start();
    let pool = builder(&server)
        .max_size(4)
        .client_timeout(Duration::from_millis(400))
        .autoclose(true)
        .build()
        .unwrap();
    pool.preconnect(3).await.unwrap();
    assert_eq!((pool.size(), pool.idle_count()), (3, 3));
    assert_eq!(server_connections(&server), 3);
    // The reaper closes them without any further use of the pool.
    wait_for_connections(&server, 0).await;
    assert_eq!((pool.size(), pool.idle_count()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_autoclose_expired_clients_are_replaced_on_use() {
    let server = RedisServer::start();
    let pool = builder(&server)
        .client_timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let c = pool.connected_client().await.unwrap();
    let first = client_id(&c).await;
    drop(c);
    let c = pool.connected_client().await.unwrap();
    assert_eq!(client_id(&c).await, first, "not yet expired");
    tokio::time::sleep(Duration::from_millis(650)).await;
    // Lent past its timeout: closed on return, not kept.
    drop(c);
    assert_eq!(pool.size(), 0);
    let c = pool.connected_client().await.unwrap();
    assert_ne!(client_id(&c).await, first);
    drop(c);
    tokio::time::sleep(Duration::from_millis(650)).await;
    assert_eq!(pool.idle_count(), 1, "no reaper without autoclose");
    let c = pool.connected_client().await.unwrap();
    assert_eq!(
        pool.size(),
        1,
        "the expired idle client was closed, a new one opened"
    );
    assert_eq!(c.connection_count(), 1);
    drop(c);
    wait_for_connections(&server, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_shrinks_the_pool_after_a_burst() {
    let server = RedisServer::start();
    let pool = builder(&server)
        .max_size(5)
        .idle_timeout(Duration::from_millis(300))
        .autoclose(true)
        .build()
        .unwrap();
    pool.preconnect(5).await.unwrap();
    assert_eq!(server_connections(&server), 5);
    // One client stays in use: the idle clients go, the busy one stays.
    let busy = pool.connected_client().await.unwrap();
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        busy.incr("n").await.unwrap();
    }
    assert_eq!((pool.size(), pool.idle_count()), (1, 0));
    wait_for_connections(&server, 1).await;
    drop(busy);
    assert_eq!(pool.idle_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preconnect_opens_the_connections_ahead_of_use() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(6).build().unwrap();
    pool.preconnect(4).await.unwrap();
    assert_eq!((pool.size(), pool.idle_count()), (4, 4));
    assert_eq!(server_connections(&server), 4);
    // Idle clients count: nothing new is opened.
    pool.preconnect(4).await.unwrap();
    assert_eq!(pool.size(), 4);
    // Capped at max_size.
    pool.preconnect(100).await.unwrap();
    assert_eq!((pool.size(), pool.idle_count()), (6, 6));
    assert_eq!(server_connections(&server), 6);
    // The first users do not connect.
    let c = pool.get_client_nowait().unwrap().unwrap();
    assert!(c.is_connected());
    assert_eq!(c.connection_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preconnect_to_a_missing_server_fails() {
    let server = RedisServer::start();
    let url = server.url();
    drop(server);
    let pool = ClientPool::builder()
        .config(
            Config::builder()
                .url(&url)
                .connect_timeout(Duration::from_millis(500))
                .build()
                .unwrap(),
        )
        .max_size(3)
        .build()
        .unwrap();
    let e = pool.preconnect(3).await.unwrap_err();
    assert!(e.is_connection() || e.is_timeout(), "{e}");
    assert_eq!((pool.size(), pool.available()), (0, Some(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_closes_idle_clients_and_refuses_later_use() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(3).build().unwrap();
    pool.preconnect(3).await.unwrap();
    let held = pool.get_connected_client().await.unwrap();
    let held2 = pool.get_connected_client().await.unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move {
            // Takes the last idle client, then waits for another one.
            let _third = pool.get_connected_client().await?;
            pool.get_connected_client().await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    pool.destroy();
    assert!(pool.is_destroyed());
    let e = waiter.await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Client, "{e}");
    assert!(e.to_string().contains("destroyed"), "{e}");
    // The idle clients are closed at once; the lent ones still work.
    held.incr("n").await.unwrap();
    wait_for_connections(&server, 2).await;
    let e = pool.get_connected_client().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Client);
    assert_eq!(
        pool.get_client_nowait().unwrap_err().kind(),
        ErrorKind::Client
    );
    // Lent clients are closed when they come back.
    drop((held, held2));
    wait_for_connections(&server, 0).await;
    assert_eq!((pool.size(), pool.idle_count()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_broken_by_a_restart_is_never_lent() {
    let mut server = RedisServer::start();
    // Without autoconnect a broken client would stay broken: only the pool
    // replacing it makes the next command work.
    let config = Config::builder()
        .url(&server.url())
        .client_name(NAME)
        .autoconnect(false)
        .build()
        .unwrap();
    let pool = ClientPool::builder()
        .config(config)
        .max_size(2)
        .build()
        .unwrap();
    pool.preconnect(2).await.unwrap();
    let lent = pool.get_connected_client().await.unwrap();
    server.restart();
    // The driver sees the closed socket as soon as it runs.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!lent.is_connected());
    drop(lent);
    assert_eq!(pool.size(), 1, "the broken lent client was not taken back");

    let c = pool.get_connected_client().await.unwrap();
    assert!(c.is_connected());
    assert_eq!(c.connection_count(), 1);
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
    assert_eq!(
        pool.size(),
        1,
        "the broken idle client was closed, a new one opened"
    );
    drop(c);
    wait_for_connections(&server, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_the_server_killed_is_replaced() {
    let server = RedisServer::start();
    for health_check in [false, true] {
        let pool = builder(&server)
            .max_size(1)
            .health_check(health_check)
            .build()
            .unwrap();
        let c = pool.get_connected_client().await.unwrap();
        let id = client_id(&c).await;
        drop(c);
        let c = pool.get_connected_client().await.unwrap();
        assert_eq!(client_id(&c).await, id, "a healthy client is reused");
        drop(c);
        server.cli(&["CLIENT", "KILL", "ID", &id.to_string()]);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let c = pool.get_connected_client().await.unwrap();
        assert_ne!(client_id(&c).await, id);
        assert_eq!(
            c.connection_count(),
            1,
            "a fresh client, not the old one reconnected"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discard_and_detach_free_the_place() {
    let server = RedisServer::start();
    let pool = builder(&server).max_size(1).build().unwrap();
    let c = pool.get_connected_client().await.unwrap();
    c.discard();
    assert_eq!((pool.size(), pool.available()), (0, Some(1)));
    wait_for_connections(&server, 0).await;

    let c = pool.get_connected_client().await.unwrap();
    let kept = c.detach();
    assert_eq!((pool.size(), pool.available()), (0, Some(1)));
    let other = pool.get_connected_client().await.unwrap();
    assert_ne!(client_id(&kept).await, client_id(&other).await);
    wait_for_connections(&server, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_left_in_a_changed_state_is_reset_before_it_is_lent_again() {
    let server = RedisServer::start();
    server.cli(&["SET", "where", "db0"]);
    server.cli(&["-n", "1", "SET", "where", "db1"]);
    let pool = builder(&server).max_size(1).build().unwrap();

    // A pooled client is dedicated: SELECT and MULTI are allowed on it.
    let c = pool.get_connected_client().await.unwrap();
    assert!(c.is_dedicated());
    let id = client_id(&c).await;
    c.call(("SELECT", 1)).await.unwrap();
    let here: Option<String> = c.get("where").await.unwrap();
    assert_eq!(here.as_deref(), Some("db1"));
    drop(c);
    assert_eq!(pool.size(), 1, "the SELECTed client was reset, not closed");
    let c = pool.get_connected_client().await.unwrap();
    assert_eq!(client_id(&c).await, id, "the same connection, reset");
    let here: Option<String> = c.get("where").await.unwrap();
    assert_eq!(
        here.as_deref(),
        Some("db0"),
        "the next user starts in the configured db"
    );

    // A transaction left open by its user does not swallow the next user's commands.
    c.call("MULTI").await.unwrap();
    assert_eq!(
        c.call(("INCR", "n")).await.unwrap(),
        Value::SimpleString("QUEUED".into())
    );
    drop(c);
    let c = pool.get_connected_client().await.unwrap();
    assert_eq!(c.call(("INCR", "n")).await.unwrap(), Value::Integer(1));

    // State only a new connection undoes (client tracking) closes the client.
    let id = client_id(&c).await;
    c.call(("CLIENT", "TRACKING", "ON", "BCAST")).await.unwrap();
    drop(c);
    let c = pool.get_connected_client().await.unwrap();
    assert_ne!(client_id(&c).await, id, "a tracking client was lent again");

    // A client only read from goes back as it is.
    let id = client_id(&c).await;
    drop(c);
    let c = pool.get_connected_client().await.unwrap();
    assert_eq!(client_id(&c).await, id);
    assert_eq!(pool.size(), 1);
}

#[test]
fn builder_rejects_bad_options() {
    let e = ClientPool::builder().max_size(0).build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Client);
    let e = ClientPool::builder()
        .client_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Client);
    let e = ClientPool::builder()
        .url("http://nope")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Client);
    let pool = ClientPool::from_url("redis://127.0.0.1:6390/2", None).unwrap();
    assert_eq!(pool.max_size(), None);
    assert_eq!(pool.available(), None);
    assert_eq!(pool.config().db(), 2);
}
