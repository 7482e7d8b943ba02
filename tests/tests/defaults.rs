//! Failure semantics with the default configuration (issue 12 items 3, 4,
//! 6, 7 and 8), against real servers: huge durations saturate, error texts
//! say what failed and never show a password.
//!
//! Every client here is built with defaults unless the test is about a
//! setting: that is what most users run.

use std::time::{Duration, Instant};

use tornadis::{CacheConfig, Client, ClientPool, Commands, Pipeline, PubSubClient, Script};
use tornadis_tests::RedisServer;

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

#[tokio::test]
async fn huge_durations_saturate_instead_of_overflowing() {
    let server = RedisServer::start();
    let c = Client::builder()
        .url(&server.url())
        .read_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .reconnect_wait(Duration::MAX)
        .reconnect_backoff(Duration::MAX, Duration::MAX)
        .client_cache(CacheConfig::new().ttl(Duration::MAX))
        .build()
        .unwrap();
    c.set("k", "v").await.unwrap();
    let v: Option<String> = c.get("k").await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    // Served from the cache, whose TTL saturated.
    let v: Option<String> = c.get("k").await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));

    // The same from a URL: 1e19 s and more than a Duration holds.
    for url in [
        format!("{}?read_timeout=1e19", server.url()),
        format!("{}?read_timeout=1e300&connect_timeout=inf", server.url()),
    ] {
        let c = Client::from_url(&url).unwrap();
        c.set("k", "url").await.unwrap();
        let d = c.dedicated().unwrap();
        // A blocking command on a connection with a saturated read timeout.
        let none: Option<(String, String)> = d.blpop(["empty"], 0.05).await.unwrap();
        assert!(none.is_none());
    }

    // A blocking command with a huge timeout argument: the server refuses
    // it, and nothing in the client overflows (shared and dedicated).
    let c = client(&server);
    for conn in [c.clone(), c.dedicated().unwrap()] {
        let e = conn.call(("BLPOP", "empty", "1e19")).await.unwrap_err();
        assert!(e.is_server(), "{e}");
        let e = conn
            .call(("BLPOP", "empty", "18446744073709551615"))
            .await
            .unwrap_err();
        assert!(e.is_server(), "{e}");
        let pong: String = conn.call_as("PING").await.unwrap();
        assert_eq!(pong, "PONG");
    }

    // The pool's acquire, idle and client timeouts.
    let pool = ClientPool::builder()
        .url(&server.url())
        .max_size(1)
        .acquire_timeout(Duration::MAX)
        .idle_timeout(Duration::MAX)
        .client_timeout(Duration::MAX)
        .build()
        .unwrap();
    {
        let pooled = pool.get_connected_client().await.unwrap();
        pooled.set("p", 1).await.unwrap();
    }
    let pooled = pool.get_connected_client().await.unwrap();
    let p: i64 = pooled.get("p").await.unwrap().unwrap();
    assert_eq!(p, 1);

    // Pub/sub with a saturated read timeout, and a huge pop deadline.
    let ps = PubSubClient::new(
        tornadis::Config::builder()
            .url(&server.url())
            .read_timeout(Duration::MAX)
            .build()
            .unwrap(),
    )
    .unwrap();
    ps.pubsub_subscribe("huge").await.unwrap();
    ps.ping().await.unwrap();
    c.call(("PUBLISH", "huge", "hi")).await.unwrap();
    let m = ps
        .pubsub_pop_message(Some(Duration::MAX))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.payload_as::<String>().unwrap(), "hi");
}

#[tokio::test]
async fn a_server_error_in_a_typed_pipeline_is_printed_once() {
    let server = RedisServer::start();
    let c = client(&server);
    c.call(("LPUSH", "list", "x")).await.unwrap();
    let e = c
        .pipeline()
        .call(("SET", "a", 1))
        .call_as::<i64, _>(("INCR", "list"))
        .query()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert_eq!(e.code(), Some("WRONGTYPE"), "{text}");
    assert_eq!(text.matches("WRONGTYPE").count(), 1, "{text}");
    assert!(text.contains("command 2 of 2"), "{text}");
    assert!(text.contains("INCR"), "{text}");
}

#[tokio::test]
async fn a_lua_syntax_error_is_labelled_script_load() {
    let server = RedisServer::start();
    let c = client(&server);
    let e = Script::new("return (((").load(&c).await.unwrap_err();
    assert!(e.is_server(), "{e}");
    assert_eq!(e.command(), Some("SCRIPT LOAD"), "{e}");
    let e = c.call(("SCRIPT", "LOAD", "return (((")).await.unwrap_err();
    assert_eq!(e.command(), Some("SCRIPT LOAD"), "{e}");
}

/// A peer that answers every connection like an HTTP server.
async fn http_peer() -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    (port, task)
}

#[tokio::test]
async fn a_peer_that_is_not_redis_is_named_as_such() {
    let (port, task) = http_peer().await;
    for url in [
        format!("redis://127.0.0.1:{port}"),
        format!("redis://127.0.0.1:{port}?protocol=resp2"),
    ] {
        let c = Client::from_url(&url).unwrap();
        let e = c.call("PING").await.unwrap_err();
        let text = e.to_string();
        assert!(e.is_protocol(), "{url}: {text}");
        assert!(
            text.contains("not a Redis server") || text.contains("does not speak RESP"),
            "{url}: {text}"
        );
        assert!(
            text.contains("'H'") || text.contains("HTTP/1.1"),
            "{url}: {text}"
        );
    }
    task.abort();
}

#[tokio::test]
async fn passwords_never_show_in_url_errors_or_pipelines() {
    for url in [
        "redis://PASSWORD1@host:notaport",
        "redis://h:1?password=PASS@WORD1&db=x",
        "redis://user:PASSWORD1@h:99999",
    ] {
        let e = Client::from_url(url).unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(!text.contains("PASSWORD1"), "{text}");
        assert!(!text.contains("PASS@WORD1"), "{text}");
    }
    let mut pipe = Pipeline::new();
    pipe.stack_call(("AUTH", "app", "PASSWORD1"))
        .stack_call(("GET", "k"));
    let shown = format!("{pipe:?}");
    assert!(!shown.contains("PASSWORD1"), "{shown}");
    assert!(shown.contains("AUTH") && shown.contains("GET"), "{shown}");
}

#[allow(dead_code)]
fn elapsed_since(start: Instant) -> Duration {
    start.elapsed()
}
