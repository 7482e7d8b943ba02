//! Failure semantics with the default configuration (issue 12 items 3, 4,
//! 6, 7 and 8), against real servers: huge durations saturate, error texts
//! say what failed and never show a password.
//!
//! Every client here is built with defaults unless the test is about a
//! setting: that is what most users run.

use std::time::{Duration, Instant};

use tornadis::{CacheConfig, Client, ClientPool, Commands, Pipeline, PubSubClient, Script};
use tornadis_tests::{FaultProxy, RedisServer};

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

/// Freezes a server (SIGSTOP) until dropped (SIGCONT), as a hung host or a
/// partition would: the kernel still accepts connections and buffers bytes,
/// nothing answers.
struct Frozen(u32);

impl Frozen {
    fn new(server: &RedisServer) -> Frozen {
        let pid = server.pid().expect("the server runs");
        signal("-STOP", pid);
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal("-CONT", self.0);
    }
}

fn signal(sig: &str, pid: u32) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill {sig} {pid} failed");
}

#[tokio::test]
async fn a_get_to_a_frozen_server_fails_within_the_default_read_timeout() {
    let server = RedisServer::start();
    let c = client(&server);
    c.set("k", "v").await.unwrap();
    assert!(c.is_connected());
    let frozen = Frozen::new(&server);

    let start = Instant::now();
    let e = c.get::<Option<String>>("k").await.unwrap_err();
    let first = start.elapsed();
    assert!(e.is_timeout(), "{e}");
    assert!(
        e.may_have_run() && !e.is_retry_safe(),
        "written, reply lost: {e:?}"
    );
    assert!(e.to_string().contains("read timeout"), "{e}");

    // While it stays frozen: the reconnect's handshake times out, and the
    // request fails within reconnect_wait plus one connect timeout.
    let start = Instant::now();
    let e = c.get::<Option<String>>("k").await.unwrap_err();
    let second = start.elapsed();
    assert!(e.is_timeout() || e.is_connection(), "{e}");
    println!("frozen server with defaults: GET failed after {first:.2?}, then (reconnecting) after {second:.2?}");
    assert!(
        first >= Duration::from_millis(4500) && first < Duration::from_millis(6500),
        "{first:?}"
    );
    // reconnect_wait (5 s) plus at most one connect timeout (2 s).
    assert!(second < Duration::from_millis(7500), "{second:?}");

    drop(frozen);
    let v: Option<String> = c.get("k").await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
}

#[tokio::test]
async fn a_request_right_after_disconnect_reconnects() {
    let server = RedisServer::start();
    let c = client(&server);
    c.set("k", "v").await.unwrap();
    for _ in 0..20 {
        c.disconnect();
        assert!(!c.is_connected(), "is_connected() right after disconnect()");
        let v: Option<String> = c.get("k").await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
        assert!(c.is_connected());
    }
    // Many requests in flight and queued around a disconnect: those queued
    // before fail as never sent, those after succeed.
    let before: Vec<_> = (0..50).map(|_| c.call("PING")).collect();
    let futures: Vec<_> = before
        .into_iter()
        .map(|r| {
            tokio::spawn({
                let c = c.clone();
                let cmd = r.cmd().cloned().expect("not sent yet");
                async move { c.call(cmd).await }
            })
        })
        .collect();
    tokio::task::yield_now().await;
    c.disconnect();
    let v: Option<String> = c.get("k").await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    for f in futures {
        if let Err(e) = f.await.unwrap() {
            assert!(e.is_connection(), "{e}");
        }
    }
    // The same for a dedicated client, and for reset_connection().
    let d = c.dedicated().unwrap();
    d.call(("SELECT", 1)).await.unwrap();
    d.reset_connection();
    assert!(!d.is_connected());
    d.call(("SET", "in", "db0")).await.unwrap();
    assert_eq!(server.cli(&["GET", "in"]), "db0");
    d.disconnect();
    let pong: String = d.call_as("PING").await.unwrap();
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn disconnect_and_dropping_the_client_end_a_blocked_write() {
    let server = RedisServer::start();
    let big = vec![b'x'; 32 << 20];
    // No read timeout: disconnect() itself must end the write.
    let c = Client::builder()
        .url(&server.url())
        .read_timeout(None)
        .build()
        .unwrap();
    c.set("small", 1).await.unwrap();
    let frozen = Frozen::new(&server);
    let task = tokio::spawn({
        let (c, big) = (c.clone(), big.clone());
        async move { c.call(("SET", "big", big)).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    c.disconnect();
    let r = tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("disconnect() ended the blocked write")
        .unwrap();
    let e = r.unwrap_err();
    assert!(e.is_connection() && e.may_have_run(), "{e:?}");
    println!(
        "blocked write ended {:.2?} after disconnect()",
        start.elapsed()
    );
    drop(frozen);
    assert_eq!(server.cli(&["EXISTS", "big"]), "0");

    // Dropping the last handle: the connection closes although its write
    // is stuck, so the server gets a cut-off command and never sets the key.
    let c = Client::builder()
        .url(&server.url())
        .read_timeout(None)
        .build()
        .unwrap();
    c.set("small", 2).await.unwrap();
    let frozen = Frozen::new(&server);
    c.async_call_forget(("SET", "big2", big)).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(c);
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(frozen);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.cli(&["EXISTS", "big2"]), "0");
    assert_eq!(server.cli(&["GET", "small"]), "2");
}

#[tokio::test]
async fn tcp_keepalive_is_on_by_default() {
    let server = RedisServer::start();
    let c = client(&server);
    c.set("k", 1).await.unwrap();
    let out = std::process::Command::new("ss")
        .args(["-tnoH", "state", "established"])
        .arg(format!("( dport = :{} )", server.port()))
        .output()
        .expect("ss runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("keepalive"),
        "no keepalive timer on the client socket: {text}"
    );
    assert_eq!(c.config().tcp_keepalive(), Some(Duration::from_secs(30)));
    assert_eq!(c.config().read_timeout(), Some(Duration::from_secs(5)));
    assert_eq!(c.config().connect_timeout(), Some(Duration::from_secs(2)));
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_first_request_fails_after_the_connect_timeout_not_reconnect_wait() {
    // A refused port: at once, not after reconnect_wait (5 s).
    let c = Client::from_url(&format!("redis://127.0.0.1:{}", free_port())).unwrap();
    let start = Instant::now();
    let e = c.call("PING").await.unwrap_err();
    let refused = start.elapsed();
    assert!(e.is_connection(), "{e}");
    assert!(e.is_retry_safe() && !e.may_have_run(), "never sent: {e:?}");
    assert!(refused < Duration::from_millis(1000), "{refused:?}");

    // A port that accepts and never answers: one default connect timeout (2 s).
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    proxy.blackhole(true);
    let c = Client::from_url(&proxy.url()).unwrap();
    let start = Instant::now();
    let e = c.call("PING").await.unwrap_err();
    let silent = start.elapsed();
    assert!(e.is_timeout(), "{e}");
    assert!(e.is_retry_safe(), "{e:?}");
    assert!(e.to_string().contains("connect timeout"), "{e}");
    println!(
        "first request: refused port failed after {refused:.2?}, silent port after {silent:.2?}"
    );
    assert!(
        silent >= Duration::from_millis(1900) && silent < Duration::from_millis(3500),
        "{silent:?}"
    );
    // With its own connect timeout.
    let c = Client::builder()
        .url(&proxy.url())
        .connect_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let start = Instant::now();
    assert!(c.call("PING").await.unwrap_err().is_timeout());
    assert!(
        start.elapsed() < Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );

    // Once connected, a client retries for reconnect_wait (a restart takes a moment).
    proxy.blackhole(false);
    let c = Client::builder()
        .url(&proxy.url())
        .reconnect_wait(Duration::from_secs(3))
        .build()
        .unwrap();
    c.call("PING").await.unwrap();
    proxy.refuse(true);
    proxy.cut_all();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let heal = tokio::spawn({
        let proxy_url = proxy.url();
        async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            proxy_url
        }
    });
    let call = tokio::spawn({
        let c = c.clone();
        async move { c.call("PING").await }
    });
    heal.await.unwrap();
    proxy.refuse(false);
    call.await
        .unwrap()
        .expect("reconnected within reconnect_wait");
}

#[tokio::test]
async fn authentication_and_db_errors_are_not_retried_and_say_what_failed() {
    let server = RedisServer::builder().password("right-pw").start();
    let port = server.port();
    for (url, what) in [
        (format!("redis://:wrong-pw@127.0.0.1:{port}"), "WRONGPASS"),
        (
            format!("redis://:wrong-pw@127.0.0.1:{port}?protocol=resp2"),
            "WRONGPASS",
        ),
        (format!("redis://127.0.0.1:{port}"), "NOAUTH"),
    ] {
        let c = Client::from_url(&url).unwrap();
        let start = Instant::now();
        let e = c.call("PING").await.unwrap_err();
        let took = start.elapsed();
        assert_eq!(e.code(), Some(what), "{url}: {e}");
        assert!(
            took < Duration::from_millis(1000),
            "{url}: retried for {took:?}: {e}"
        );
        let text = format!("{e} {e:?}");
        assert!(!text.contains("wrong-pw"), "{text}");
        if what == "WRONGPASS" {
            assert!(e.is_auth(), "{e}");
            assert!(e.is_retry_safe(), "{e:?}");
            assert!(
                text.contains("refused the configured credentials"),
                "{text}"
            );
        }
        if what == "NOAUTH" && e.is_auth() {
            assert!(text.contains("none is configured"), "{text}");
        }
    }

    // A db out of range: a SELECT failure, not an authentication error.
    let server = RedisServer::start();
    for url in [
        format!("{}/99", server.url()),
        format!("{}/99?protocol=resp2", server.url()),
    ] {
        let c = Client::from_url(&url).unwrap();
        let start = Instant::now();
        let e = c.call("PING").await.unwrap_err();
        let took = start.elapsed();
        assert!(!e.is_auth(), "{e}");
        assert!(e.is_server(), "{e}");
        assert_eq!(e.command(), Some("SELECT 99"), "{e}");
        assert!(e.to_string().contains("database 99"), "{e}");
        assert!(e.is_retry_safe(), "{e:?}");
        assert!(
            took < Duration::from_millis(1000),
            "retried for {took:?}: {e}"
        );
        println!("db 99: {e}");
    }
}

/// Publishes `n` numbered messages on `channel` in one pipeline: the server
/// pushes them to the subscriber as one burst.
async fn publish_burst(c: &Client, channel: &str, n: usize) {
    let mut pipe = Pipeline::new();
    for i in 0..n {
        pipe.stack_call(("PUBLISH", channel, i));
    }
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert!(replies.iter().all(|r| r.is_ok()));
}

/// Takes `n` messages; returns how many were published ones in order, and
/// how many gap notices came.
async fn consume(ps: &PubSubClient, n: usize) -> (usize, usize) {
    let (mut got, mut gaps) = (0, 0);
    while got < n {
        let m = ps
            .pubsub_pop_message(Some(Duration::from_secs(10)))
            .await
            .unwrap()
            .expect("no message within 10 s");
        if m.is_gap() {
            gaps += 1;
            if gaps > 0 && m.missed() > 0 {
                return (got, gaps);
            }
            continue;
        }
        assert_eq!(m.payload_as::<usize>().unwrap(), got, "in order");
        got += 1;
    }
    (got, gaps)
}

#[tokio::test]
async fn a_burst_of_10k_messages_is_not_lost_with_the_default_buffer() {
    let server = RedisServer::start();
    let ps = PubSubClient::from_url(&server.url()).unwrap();
    assert!(ps.buffer_capacity() >= 10_000);
    ps.pubsub_subscribe("burst").await.unwrap();
    let c = client(&server);
    // The consumer runs in this process, concurrently with the burst.
    let consumer = tokio::spawn({
        let ps = ps.clone();
        async move { consume(&ps, 10_000).await }
    });
    publish_burst(&c, "burst", 10_000).await;
    let (got, gaps) = consumer.await.unwrap();
    assert_eq!((got, gaps), (10_000, 0));
}

#[tokio::test]
async fn lossless_mode_stops_reading_instead_of_dropping() {
    let server = RedisServer::start();
    let c = client(&server);
    // A small buffer and a consumer that starts late: the default mode
    // drops (the control), lossless mode keeps every message.
    for lossless in [false, true] {
        let ps = PubSubClient::from_url(&server.url())
            .unwrap()
            .with_buffer_capacity(100)
            .with_lossless(lossless);
        ps.pubsub_subscribe("slow").await.unwrap();
        publish_burst(&c, "slow", 5_000).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (got, gaps) = consume(&ps, 5_000).await;
        if lossless {
            assert_eq!((got, gaps), (5_000, 0));
            // Still in step: a PING after it all is answered.
            ps.ping().await.unwrap();
            assert_eq!(ps.connection_count(), 1);
        } else {
            assert!(
                gaps > 0 && got < 5_000,
                "the control must lose: {got} {gaps}"
            );
        }
        ps.pubsub_unsubscribe("slow").await.unwrap();
    }
}

#[tokio::test]
async fn an_idle_pubsub_connection_notices_a_dead_link() {
    let server = RedisServer::start();
    // The interval and read timeout are short here only to keep the test
    // short; the defaults are 30 s and 5 s.
    let ps = PubSubClient::builder()
        .url(&server.url())
        .read_timeout(Duration::from_millis(800))
        .build()
        .unwrap()
        .with_ping_interval(Duration::from_millis(300));
    ps.pubsub_subscribe("idle").await.unwrap();
    let frozen = Frozen::new(&server);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(frozen);
    // The dead link was noticed, the client reconnected and says so.
    let m = ps
        .pubsub_pop_message(Some(Duration::from_secs(10)))
        .await
        .unwrap()
        .expect("a notice within 10 s");
    assert_eq!(m.kind(), tornadis::MessageKind::Reconnected, "{m:?}");
    assert!(ps.connection_count() >= 2);
    client(&server)
        .call(("PUBLISH", "idle", "after"))
        .await
        .unwrap();
    let m = ps
        .pubsub_pop_message(Some(Duration::from_secs(5)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.payload_as::<String>().unwrap(), "after");
}

#[tokio::test]
async fn one_reply_is_bounded_by_max_reply_size() {
    let server = RedisServer::start();
    server.cli(&["SETRANGE", "big", &((2 << 20) - 1).to_string(), "x"]);
    assert_eq!(client(&server).config().max_reply_size(), 512 << 20);
    let c = Client::builder()
        .url(&server.url())
        .max_reply_size(1 << 20)
        .build()
        .unwrap();
    c.set("small", "ok").await.unwrap();
    let e = c.get::<Option<Vec<u8>>>("big").await.unwrap_err();
    assert!(e.is_protocol(), "{e}");
    assert!(e.to_string().contains("max_reply_size"), "{e}");
    assert!(e.may_have_run(), "{e:?}");
    // The next request runs on a new connection.
    let v: Option<String> = c.get("small").await.unwrap();
    assert_eq!(v.as_deref(), Some("ok"));
}

#[tokio::test]
async fn the_request_queue_is_bounded_in_bytes() {
    let server = RedisServer::start();
    assert_eq!(client(&server).config().max_pending_bytes(), 64 << 20);
    let c = Client::builder()
        .url(&server.url())
        .read_timeout(None)
        .max_pending_bytes(1 << 20)
        .build()
        .unwrap();
    c.set("k", 1).await.unwrap();
    let frozen = Frozen::new(&server);
    // Fills the socket buffers: the driver's write blocks.
    c.async_call_forget(("SET", "a", vec![b'a'; 32 << 20]))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Queued behind it: one request alone always fits, the next passes the bound.
    c.async_call_forget(("SET", "b", vec![b'b'; 600 << 10]))
        .unwrap();
    let e = c
        .async_call_forget(("SET", "c", vec![b'c'; 600 << 10]))
        .unwrap_err();
    assert!(e.is_client() && e.is_retry_safe(), "{e:?}");
    assert!(e.to_string().contains("max_pending_bytes"), "{e}");
    let e = c
        .call(("SET", "d", vec![b'd'; 600 << 10]))
        .await
        .unwrap_err();
    assert!(e.is_client(), "{e}");
    // Small requests still fit.
    c.async_call_forget(("SET", "e", 1)).unwrap();
    drop(frozen);
    let v: i64 = c.get("e").await.unwrap().unwrap();
    assert_eq!(v, 1);
    assert_eq!(server.cli(&["EXISTS", "c"]), "0");
}
