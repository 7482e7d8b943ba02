//! The core client against a real redis-server: raw calls, callbacks,
//! concurrency, handshake options, reconnects, timeouts and cancellation.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use tornadis::{cmd, Client, ErrorKind, Protocol, Value};
use tornadis_tests::RedisServer;

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

#[tokio::test]
async fn call_set_get_over_tcp_and_unix() {
    let server = RedisServer::start();
    for url in [server.url(), server.unix_url()] {
        let c = Client::from_url(&url).unwrap();
        let ok = c.call(("SET", "k", "v")).await.unwrap();
        assert_eq!(ok, Value::SimpleString("OK".into()), "{url}");
        let v = c.call(("GET", "k")).await.unwrap();
        assert_eq!(v, Value::Bulk("v".into()), "{url}");
        let s: String = c.call_as(("GET", "k")).await.unwrap();
        assert_eq!(s, "v");
        assert!(c.is_connected());
    }
}

#[tokio::test]
async fn call_accepts_every_argument_form() {
    let server = RedisServer::start();
    let c = client(&server);
    c.call(vec!["SET", "a", "1"]).await.unwrap();
    c.call(["SET", "b", "2"]).await.unwrap();
    c.call(vec![b"SET".to_vec(), b"c".to_vec(), vec![0u8, 255, 10]])
        .await
        .unwrap();
    c.call(("SET", "d", 4.5f64)).await.unwrap();
    c.call(cmd("SET").arg("e").arg(-7i64)).await.unwrap();
    c.call(("MSET", vec![("f", 1), ("g", 2)])).await.unwrap();
    let vals = c
        .call(("MGET", ["a", "b", "c", "d", "e", "f", "g", "missing"]))
        .await
        .unwrap();
    assert_eq!(
        vals,
        Value::Array(vec![
            Value::Bulk("1".into()),
            Value::Bulk("2".into()),
            Value::Bulk(vec![0u8, 255, 10].into()),
            Value::Bulk("4.5".into()),
            Value::Bulk("-7".into()),
            Value::Bulk("1".into()),
            Value::Bulk("2".into()),
            Value::Nil,
        ])
    );
    let n = c
        .call(("INCRBY", "a", 41))
        .decode_as::<i64>()
        .await
        .unwrap();
    assert_eq!(n, 42);
}

#[tokio::test]
async fn server_errors_keep_their_code_and_the_connection() {
    let server = RedisServer::start();
    let c = client(&server);
    c.call(("SET", "s", "x")).await.unwrap();
    let e = c.call(("LPUSH", "s", "y")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.code(), Some("WRONGTYPE"));
    assert_eq!(e.command(), Some("LPUSH"));
    let e = c.call("NOSUCHCOMMAND").await.unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    // The connection is still in sync.
    assert_eq!(c.call(("GET", "s")).await.unwrap(), Value::Bulk("x".into()));
}

#[tokio::test]
async fn bad_user_input_fails_before_sending() {
    let server = RedisServer::start();
    let c = client(&server);
    let e = c.call(Vec::<String>::new()).await.unwrap_err();
    assert!(e.is_client(), "{e}");
    let e = c.call(("ZADD", "z", f64::NAN, "m")).await.unwrap_err();
    assert!(e.is_client(), "{e}");
    assert_eq!(c.connection_count(), 0, "nothing should have been sent");
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
}

#[tokio::test]
async fn async_call_invokes_callbacks_in_order_and_forget_stays_in_sync() {
    let server = RedisServer::start();
    let c = client(&server);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..50 {
        c.async_call_forget(("RPUSH", "list", i)).unwrap();
        let tx = tx.clone();
        c.async_call(("LLEN", "list"), move |r| {
            tx.send((i, r)).unwrap();
        });
    }
    drop(tx);
    let mut seen = Vec::new();
    while let Some((i, r)) = rx.recv().await {
        // Commands keep the order of the calls: after i+1 pushes, LLEN is i+1.
        assert_eq!(r.unwrap(), Value::Integer(i + 1));
        seen.push(i);
    }
    assert_eq!(seen.len(), 50);
    assert_eq!(c.call(("LLEN", "list")).await.unwrap(), Value::Integer(50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_tasks_get_their_own_replies() {
    let server = RedisServer::start();
    let c = client(&server);
    let mut tasks = Vec::new();
    for t in 0..200 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                let key = format!("task:{t}");
                let val = format!("{t}:{i}");
                c.call(("SET", key.as_str(), val.as_str())).await.unwrap();
                let got: String = c.call_as(("GET", key.as_str())).await.unwrap();
                assert_eq!(got, val);
                let n: i64 = c.call_as(("INCR", format!("ctr:{t}"))).await.unwrap();
                assert_eq!(n, i + 1);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(c.connection_count(), 1, "all tasks share one connection");
}

#[tokio::test]
async fn handshake_selects_db_and_sets_name_in_both_protocols() {
    let server = RedisServer::start();
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let c = Client::builder()
            .port(server.port())
            .db(3)
            .client_name("tornadis-test")
            .protocol(protocol)
            .build()
            .unwrap();
        c.call(("SET", "in-db-3", "yes")).await.unwrap();
        let name: String = c.call_as(("CLIENT", "GETNAME")).await.unwrap();
        assert_eq!(name, "tornadis-test");
        let info: String = c.call_as(("CLIENT", "INFO")).await.unwrap();
        let want = if protocol == Protocol::Resp3 {
            "resp=3"
        } else {
            "resp=2"
        };
        assert!(info.contains(want), "{info}");
        assert!(info.contains("db=3"), "{info}");
    }
    assert_eq!(server.cli(&["-n", "3", "GET", "in-db-3"]), "yes");
    assert_eq!(server.cli(&["GET", "in-db-3"]), "");
}

#[tokio::test]
async fn password_and_acl_user() {
    let server = RedisServer::builder()
        .password("s3cret-pw")
        .acl_user("app", "app-pw", "+@all ~*")
        .start();
    let port = server.port();

    let c = Client::builder()
        .port(port)
        .password("s3cret-pw")
        .build()
        .unwrap();
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );

    let c = Client::from_url(&format!("redis://app:app-pw@127.0.0.1:{port}")).unwrap();
    let who: String = c.call_as(("ACL", "WHOAMI")).await.unwrap();
    assert_eq!(who, "app");

    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let c = Client::builder()
            .port(port)
            .protocol(protocol)
            .build()
            .unwrap();
        let e = c.call("PING").await.unwrap_err();
        assert!(
            e.is_auth() || e.is_server(),
            "no password ({protocol:?}): {e}"
        );
        assert_eq!(e.code(), Some("NOAUTH"), "{e}");

        let c = Client::builder()
            .port(port)
            .protocol(protocol)
            .password("wrong-pw")
            .build()
            .unwrap();
        let e = c.connect().await.unwrap_err();
        assert!(e.is_auth(), "{e}");
        assert_eq!(e.code(), Some("WRONGPASS"), "{e}");
        let text = format!("{e} {e:?} {c:?} {:?}", c.config());
        assert!(!text.contains("wrong-pw"), "password leaked: {text}");
    }
}

#[tokio::test]
async fn reconnects_after_server_restart() {
    let mut server = RedisServer::start();
    let c = client(&server);
    c.call(("SET", "k", "before")).await.unwrap();
    assert_eq!(c.connection_count(), 1);
    server.restart();
    // The first request after the restart may race with noticing the closed
    // socket; either way it must not hang, and requests succeed again
    // without any action from the user.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match c.call(("SET", "k", "after")).await {
            Ok(v) => {
                assert_eq!(v, Value::SimpleString("OK".into()));
                break;
            }
            Err(e) => {
                assert!(e.is_connection(), "{e}");
                assert!(Instant::now() < deadline, "no reconnect within 10 s: {e}");
            }
        }
    }
    assert_eq!(
        c.call(("GET", "k")).await.unwrap(),
        Value::Bulk("after".into())
    );
    assert!(c.connection_count() >= 2);
}

#[tokio::test]
async fn requests_wait_for_the_server_to_come_back() {
    let mut server = RedisServer::start();
    let c = Client::builder()
        .port(server.port())
        .reconnect_wait(Duration::from_secs(20))
        .build()
        .unwrap();
    c.call("PING").await.unwrap();
    server.stop();
    let waiting = {
        let c = c.clone();
        tokio::spawn(async move {
            // Retry only while the kill is being noticed; then the request
            // must wait for the restart instead of failing.
            loop {
                match c.call(("SET", "k", "v")).await {
                    Ok(v) => return v,
                    Err(e) if e.is_connection() && c.connection_count() == 1 => {
                        tokio::time::sleep(Duration::from_millis(20)).await
                    }
                    Err(e) => panic!("request failed during the outage: {e}"),
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.restart();
    let v = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v, Value::SimpleString("OK".into()));
}

#[tokio::test]
async fn in_flight_requests_fail_when_the_server_dies() {
    let mut server = RedisServer::start();
    let c = client(&server);
    c.call("PING").await.unwrap();
    let blocked = {
        let c = c.clone();
        tokio::spawn(async move { c.call(("BLPOP", "never", 30)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    server.stop();
    let r = tokio::time::timeout(Duration::from_secs(5), blocked)
        .await
        .unwrap()
        .unwrap();
    let e = r.unwrap_err();
    assert!(e.is_connection(), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn read_timeout_against_a_paused_server() {
    let server = RedisServer::start();
    let c = Client::builder()
        .port(server.port())
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    c.call("PING").await.unwrap();
    server.cli(&["CLIENT", "PAUSE", "2000", "ALL"]);
    let started = Instant::now();
    let e = c.call(("GET", "k")).await.unwrap_err();
    let took = started.elapsed();
    assert!(e.is_timeout(), "{e}");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    server.cli(&["CLIENT", "UNPAUSE"]);
    // The timed-out connection was dropped; the next request reconnects.
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
    assert_eq!(c.connection_count(), 2);
}

#[tokio::test]
async fn connect_timeout_to_an_unroutable_peer() {
    // A listener whose backlog is never accepted still completes TCP
    // handshakes, so use the handshake instead: a server paused for writes
    // never answers HELLO.
    let server = RedisServer::start();
    server.cli(&["CLIENT", "PAUSE", "3000", "ALL"]);
    let c = Client::builder()
        .port(server.port())
        .connect_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c.connect().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
    server.cli(&["CLIENT", "UNPAUSE"]);
}

#[tokio::test]
async fn autoconnect_off_needs_connect() {
    let mut server = RedisServer::start();
    let c = Client::builder()
        .port(server.port())
        .autoconnect(false)
        .build()
        .unwrap();
    let e = c.call("PING").await.unwrap_err();
    assert!(e.is_connection(), "{e}");
    assert!(!c.is_connected());
    c.connect().await.unwrap();
    c.connect().await.unwrap(); // safe when already connected
    assert!(c.is_connected());
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
    c.disconnect();
    let e = c.call("PING").await.unwrap_err();
    assert!(e.is_connection(), "{e}");
    c.connect().await.unwrap();
    server.restart();
    let e = c.call("PING").await.unwrap_err();
    assert!(e.is_connection(), "{e}");
    // No automatic reconnect: still failing until connect() is called.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(c.call("PING").await.unwrap_err().is_connection());
    c.connect().await.unwrap();
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
}

#[tokio::test]
async fn disconnect_then_autoconnect() {
    let server = RedisServer::start();
    let c = client(&server);
    c.connect().await.unwrap();
    assert!(c.is_connected());
    c.disconnect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!c.is_connected());
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
    assert_eq!(c.connection_count(), 2);
}

#[tokio::test]
async fn connect_reports_refused_connections() {
    let mut server = RedisServer::start();
    let port = server.port();
    server.stop();
    let c = Client::builder().port(port).build().unwrap();
    let e = c.connect().await.unwrap_err();
    assert!(e.is_connection(), "{e}");
    assert!(e.to_string().contains(&port.to_string()), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_requests_do_not_desync_the_connection() {
    let server = RedisServer::start();
    let c = client(&server);
    for i in 0..500u32 {
        let key = format!("c:{i}");
        c.call(("SET", key.as_str(), i)).await.unwrap();
        // Start a GET and drop it at a random-ish point, sometimes before it
        // is sent, sometimes while its reply is in flight.
        let fut = c
            .call(("GET", key.as_str()))
            .decode_as::<u32>()
            .into_future();
        let _ = tokio::time::timeout(Duration::from_micros(u64::from(i % 7) * 20), fut).await;
        // The next request must still get its own reply.
        let other = format!("o:{i}");
        c.call(("SET", other.as_str(), i + 1)).await.unwrap();
        let got: u32 = c.call_as(("GET", other.as_str())).await.unwrap();
        assert_eq!(got, i + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_request_queue_applies_backpressure() {
    let server = RedisServer::start();
    let c = Client::builder()
        .port(server.port())
        .max_pending_requests(4)
        .build()
        .unwrap();
    // Hold the queue full with slow requests, then check that more requests
    // wait for room instead of failing or growing the queue.
    server.cli(&["CLIENT", "PAUSE", "300", "WRITE"]);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let v: i64 = c.call_as(("INCR", "bp")).await.unwrap();
            (i, v)
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The queue is full: a request that cannot wait is refused at once.
    let e = c.async_call_forget(("INCR", "bp")).unwrap_err();
    assert!(e.is_client(), "{e}");
    assert!(e.to_string().contains("queue is full"), "{e}");
    let mut values = Vec::new();
    for t in tasks {
        values.push(t.await.unwrap().1);
    }
    values.sort();
    assert_eq!(values, (1..=64).collect::<Vec<_>>());
    // Every permit came back.
    let many: Vec<_> = (0..4).map(|_| c.call("PING")).collect();
    for r in many {
        r.await.unwrap();
    }
}

#[tokio::test]
async fn stats_count_requests_errors_reconnects_and_latency() {
    let mut server = RedisServer::start();
    let c = client(&server);
    for i in 0..20 {
        c.call(("SET", "s", i)).await.unwrap();
    }
    c.call(("LPUSH", "s", "x")).await.unwrap_err();
    c.call_as::<i64, _>(("GET", "missing")).await.unwrap_err();
    let s = c.stats();
    assert_eq!(s.requests, 22);
    assert_eq!(
        s.errors,
        vec![(ErrorKind::Server, 1), (ErrorKind::Decode, 1)]
    );
    assert_eq!(s.connects, 1);
    assert_eq!(s.reconnects, 0);
    assert_eq!(s.in_flight, 0);
    assert_eq!(s.latency.count(), 22);
    let p50 = s.latency.percentile(0.5).unwrap();
    assert!(p50 < Duration::from_secs(1), "{p50:?}");
    server.restart();
    let _ = c.call("PING").await;
    c.call("PING").await.unwrap();
    let s = c.stats();
    assert!(s.reconnects >= 1, "{s:?}");
    assert!(s.disconnects >= 1, "{s:?}");
}
