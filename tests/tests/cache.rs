//! Client-side caching against a real redis-server: hits served without a
//! round trip, invalidation by another client's write, TTL and size limits,
//! flushes on a lost connection, and what is never cached.

use std::time::{Duration, Instant};

use tornadis::{CacheConfig, Client, Commands, Protocol, Value};
use tornadis_tests::fake_server::{FakeServer, Handshake, Reply};
use tornadis_tests::RedisServer;

fn cached(server: &RedisServer, cache: CacheConfig) -> Client {
    Client::builder()
        .url(&server.url())
        .client_cache(cache)
        .build()
        .unwrap()
}

fn plain(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

/// How many times the server ran `command` (from `INFO commandstats`).
fn server_calls(server: &RedisServer, command: &str) -> u64 {
    let info = server.cli(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.trim().strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .map(|n| n.parse().unwrap())
        .unwrap_or(0)
}

fn bulk(s: &str) -> Value {
    Value::Bulk(s.as_bytes().to_vec().into())
}

#[tokio::test]
async fn hits_are_served_without_a_round_trip() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    plain(&server).set("k", "v1").await.unwrap();

    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("v1"));
    let before = server_calls(&server, "get");
    for _ in 0..5 {
        assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("v1"));
        // Typed methods share the entry with raw calls of the same command.
        let typed: Option<String> = a.get("k").await.unwrap();
        assert_eq!(typed.as_deref(), Some("v1"));
    }
    assert_eq!(
        server_calls(&server, "get"),
        before,
        "hits reached the server"
    );
    let s = a.cache_stats().unwrap();
    assert_eq!((s.hits, s.misses, s.entries), (10, 1, 1), "{s:?}");
}

#[tokio::test]
async fn another_clients_write_invalidates_within_a_round_trip() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    let b = plain(&server);
    b.call(("HSET", "h", "f", "old")).await.unwrap();
    b.set("k", "old").await.unwrap();
    for _ in 0..2 {
        assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("old"));
        assert_eq!(a.call(("HGET", "h", "f")).await.unwrap(), bulk("old"));
    }
    assert_eq!(a.cache_stats().unwrap().hits, 2);

    b.set("k", "new").await.unwrap();
    b.call(("HSET", "h", "f", "new")).await.unwrap();
    let start = Instant::now();
    loop {
        let k = a.call(("GET", "k")).await.unwrap();
        let f = a.call(("HGET", "h", "f")).await.unwrap();
        if k == bulk("new") && f == bulk("new") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "still stale after {:?}: {k:?} {f:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let s = a.cache_stats().unwrap();
    assert!(s.invalidations >= 2, "{s:?}");
    // The new values are cached in turn.
    let hits = s.hits;
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("new"));
    assert_eq!(a.cache_stats().unwrap().hits, hits + 1);
}

#[tokio::test]
async fn own_writes_are_seen_at_once() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    a.set("k", "1").await.unwrap();
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("1"));
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("1"));
    a.set("k", "2").await.unwrap();
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("2"));
    a.call(("APPEND", "k", "3")).await.unwrap();
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("23"));
    a.call(("FLUSHDB",)).await.unwrap();
    assert_eq!(a.call(("GET", "k")).await.unwrap(), Value::Nil);
}

/// Readers see a counter only move forward while another client increments
/// it, and see its final value right after the writer stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_readers_never_go_back_in_time() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    let b = plain(&server);
    b.set("n", 0).await.unwrap();
    const WRITES: i64 = 300;
    let writer = tokio::spawn(async move {
        for _ in 0..WRITES {
            b.incr("n").await.unwrap();
        }
    });
    let mut readers = Vec::new();
    for _ in 0..4 {
        let a = a.clone();
        readers.push(tokio::spawn(async move {
            let mut last = 0;
            while last < WRITES {
                let n: i64 = a.get::<i64>("n").await.unwrap().unwrap_or(0);
                assert!(n >= last, "went back from {last} to {n}");
                last = n;
                tokio::task::yield_now().await;
            }
        }));
    }
    writer.await.unwrap();
    let all = async {
        for r in readers {
            r.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(2), all)
        .await
        .expect("readers never saw the final value");
    let s = a.cache_stats().unwrap();
    assert!(s.hits > 0 && s.invalidations > 0, "{s:?}");
}

#[tokio::test]
async fn entries_expire_after_the_ttl() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new().ttl(Duration::from_millis(150)));
    a.set("k", "v").await.unwrap();
    a.call(("GET", "k")).await.unwrap();
    a.call(("GET", "k")).await.unwrap();
    let calls = server_calls(&server, "get");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("v"));
    assert_eq!(server_calls(&server, "get"), calls + 1);
    let s = a.cache_stats().unwrap();
    assert_eq!((s.hits, s.misses, s.expirations), (1, 2, 1), "{s:?}");
}

#[tokio::test]
async fn the_cache_stays_within_its_entry_limit() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new().max_entries(3));
    for i in 0..6 {
        a.call(("GET", format!("key:{i}"))).await.unwrap();
    }
    let s = a.cache_stats().unwrap();
    assert_eq!((s.entries, s.evictions), (3, 3), "{s:?}");
    // The most recent ones stayed; the oldest went.
    let calls = server_calls(&server, "get");
    a.call(("GET", "key:5")).await.unwrap();
    assert_eq!(server_calls(&server, "get"), calls);
    a.call(("GET", "key:0")).await.unwrap();
    assert_eq!(server_calls(&server, "get"), calls + 1);
}

#[tokio::test]
async fn a_lost_connection_flushes_the_cache() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    server.cli(&["SET", "k", "before"]);
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("before"));
    assert_eq!(a.cache_stats().unwrap().entries, 1);

    // Cut the connection, then write while it is down: no invalidation can reach the client.
    server.cli(&["CLIENT", "KILL", "TYPE", "normal"]);
    let start = Instant::now();
    while a.is_connected() {
        assert!(start.elapsed() < Duration::from_secs(2), "kill not noticed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(a.cache_stats().unwrap().entries, 0);
    server.cli(&["SET", "k", "after"]);

    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("after"));
    assert_eq!(a.connection_count(), 2);
    // Tracking is on again on the new connection.
    server.cli(&["SET", "k", "again"]);
    let start = Instant::now();
    while a.call(("GET", "k")).await.unwrap() != bulk("again") {
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "stale after reconnect"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn disconnect_flushes_the_cache() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    a.call(("GET", "k")).await.unwrap();
    assert_eq!(a.cache_stats().unwrap().entries, 1);
    a.disconnect();
    let start = Instant::now();
    while a.cache_stats().unwrap().entries != 0 {
        assert!(start.elapsed() < Duration::from_secs(2), "not flushed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.cli(&["SET", "k", "x"]);
    assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("x"));
}

#[tokio::test]
async fn tracking_is_on_only_with_a_cache() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    let info = a.call(("CLIENT", "TRACKINGINFO")).await.unwrap();
    assert!(format!("{info:?}").contains("on"), "{info:?}");
    let b = plain(&server);
    let info = b.call(("CLIENT", "TRACKINGINFO")).await.unwrap();
    assert!(format!("{info:?}").contains("off"), "{info:?}");
    assert!(b.cache_stats().is_none());
    // Dedicated connections never cache.
    let d = a.dedicated().unwrap();
    assert!(d.cache_stats().is_none());
    let info = d.call(("CLIENT", "TRACKINGINFO")).await.unwrap();
    assert!(format!("{info:?}").contains("off"), "{info:?}");
}

#[tokio::test]
async fn a_resp2_config_with_a_cache_is_refused() {
    let e = Client::builder()
        .protocol(Protocol::Resp2)
        .client_cache(CacheConfig::new())
        .build()
        .unwrap_err();
    assert!(e.is_client(), "{e}");
    assert!(e.to_string().contains("RESP3"), "{e}");
    let e = Client::builder()
        .url("redis://127.0.0.1:1/?protocol=resp2")
        .client_cache(CacheConfig::new())
        .build()
        .unwrap_err();
    assert!(e.is_client(), "{e}");
}

#[tokio::test]
async fn non_cacheable_commands_always_reach_the_server() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    a.set("a", 1).await.unwrap();
    a.set("b", 2).await.unwrap();
    for _ in 0..3 {
        a.call(("TTL", "a")).await.unwrap(); // time-dependent
        a.call(("MGET", "a", "b")).await.unwrap(); // more than one key
        a.call(("INCR", "c")).await.unwrap(); // a write
        a.call(("RANDOMKEY",)).await.unwrap(); // no key
                                               // Pipelines always go to the server, cacheable commands included.
        a.pipeline().call(("GET", "a")).query().await.unwrap();
    }
    assert_eq!(server_calls(&server, "ttl"), 3);
    assert_eq!(server_calls(&server, "mget"), 3);
    assert_eq!(server_calls(&server, "randomkey"), 3);
    assert_eq!(server_calls(&server, "get"), 3);
    assert_eq!(a.call(("GET", "c")).await.unwrap(), bulk("3"));
    let s = a.cache_stats().unwrap();
    assert_eq!((s.hits, s.misses, s.entries), (0, 1, 1), "{s:?}");
}

#[tokio::test]
async fn error_replies_are_not_cached() {
    let server = RedisServer::start();
    let a = cached(&server, CacheConfig::new());
    a.call(("LPUSH", "list", "x")).await.unwrap();
    for _ in 0..2 {
        let e = a.call(("GET", "list")).await.unwrap_err();
        assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
    }
    assert_eq!(server_calls(&server, "get"), 2);
    assert_eq!(a.cache_stats().unwrap().entries, 0);
}

#[tokio::test]
async fn a_server_without_resp3_is_refused() {
    let server = FakeServer::start(Handshake::Resp2, |_| Reply::bulk(b"v"));
    let a = Client::builder()
        .url(&server.url())
        .client_cache(CacheConfig::new())
        .reconnect_wait(Duration::ZERO)
        .build()
        .unwrap();
    let e = a.connect().await.unwrap_err();
    assert!(e.is_client(), "{e}");
    assert!(e.to_string().contains("RESP3"), "{e}");
    assert_eq!(server.commands(), 0);
}

/// A reply that reaches the client after an invalidation of its key was
/// read by the server before the write: it is handed to the caller but not
/// cached. (A real server never sends them in this order on one
/// connection; the scripted one does, to exercise the check.)
#[tokio::test]
async fn a_reply_after_an_invalidation_of_its_key_is_not_cached() {
    let server = FakeServer::start(Handshake::Resp3, |args| match args.get(1) {
        Some(key) if key == b"k" => {
            Reply::raw(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$3\r\nold\r\n")
        }
        _ => Reply::bulk(b"other"),
    });
    let a = cached_url(&server.url());
    for _ in 0..2 {
        assert_eq!(a.call(("GET", "k")).await.unwrap(), bulk("old"));
    }
    assert_eq!(server.commands(), 2);
    let s = a.cache_stats().unwrap();
    assert_eq!((s.hits, s.stale_replies, s.entries), (0, 2, 0), "{s:?}");
    // Another key, with no invalidation in the way, is cached.
    for _ in 0..2 {
        assert_eq!(a.call(("GET", "x")).await.unwrap(), bulk("other"));
    }
    assert_eq!(server.commands(), 3);
}

fn cached_url(url: &str) -> Client {
    Client::builder()
        .url(url)
        .client_cache(CacheConfig::new())
        .build()
        .unwrap()
}
