//! Bad input from the user: each case must give a client error before
//! anything is sent (the proxy in front of the server counts the bytes),
//! never a panic, and the same client must keep working afterwards.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use tornadis::{cmd, Client, Cmd, Commands, Config, ErrorKind, Pipeline, Value, MAX_ARG_LEN};
use tornadis_tests::{FaultProxy, RedisServer};

/// A client behind a proxy, already connected, so that any byte it sends
/// shows in [`FaultProxy::bytes_to_server`].
async fn connected(proxy: &FaultProxy) -> Client {
    let c = Client::from_url(&proxy.url()).unwrap();
    c.connect().await.unwrap();
    c
}

/// Runs `attempt`, checks it failed with a client error and sent nothing,
/// then checks the client still gets its own replies on its one connection.
async fn refused<T: std::fmt::Debug>(
    what: &str,
    c: &Client,
    proxy: &FaultProxy,
    attempt: impl std::future::Future<Output = tornadis::Result<T>>,
) {
    let sent_before = proxy.bytes_to_server();
    let e = tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .unwrap_or_else(|_| panic!("{what}: hung"))
        .expect_err(what);
    assert_eq!(e.kind(), ErrorKind::Client, "{what}: {e}");
    // A moment for anything that was wrongly queued to reach the proxy.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        proxy.bytes_to_server(),
        sent_before,
        "{what}: bytes were sent"
    );
    let key = format!("after:{what}");
    c.call(("SET", key.as_str(), what)).await.unwrap();
    let v: String = c.call_as(("GET", key.as_str())).await.unwrap();
    assert_eq!(v, what, "{what}: the connection is out of step");
    assert_eq!(
        c.connection_count(),
        1,
        "{what}: the connection was replaced"
    );
}

#[tokio::test]
async fn empty_commands_and_pipelines() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = connected(&proxy).await;
    refused(
        "empty Vec",
        &c,
        &proxy,
        c.call(Vec::<String>::new()).into_future(),
    )
    .await;
    refused("empty array", &c, &proxy, c.call([""; 0]).into_future()).await;
    refused("empty Cmd", &c, &proxy, c.call(Cmd::new()).into_future()).await;
    let empty = Pipeline::new();
    refused("empty pipeline", &c, &proxy, c.call_pipeline(&empty)).await;
    let mut empty_atomic = Pipeline::new();
    empty_atomic.atomic();
    refused(
        "empty transaction",
        &c,
        &proxy,
        c.call_pipeline(&empty_atomic),
    )
    .await;
    // An empty typed pipeline cannot be queried at all: `query` needs at
    // least one stacked command (a compile-time check).
    let mut with_empty = Pipeline::new();
    with_empty
        .stack_call("PING")
        .stack_call(Vec::<String>::new());
    refused(
        "pipeline with an empty command",
        &c,
        &proxy,
        c.call_pipeline(&with_empty),
    )
    .await;
    // Fire-and-forget and callbacks refuse it too, without panicking.
    assert!(c
        .async_call_forget(Vec::<String>::new())
        .unwrap_err()
        .is_client());
    let (tx, rx) = tokio::sync::oneshot::channel();
    c.async_call(Vec::<String>::new(), move |r| {
        let _ = tx.send(r);
    });
    assert!(rx.await.unwrap().unwrap_err().is_client());
    refused(
        "after the callbacks",
        &c,
        &proxy,
        c.call(Cmd::new()).into_future(),
    )
    .await;
}

#[test]
fn bad_urls_and_addresses_are_client_errors() {
    let bad = [
        "",
        "not a url",
        "127.0.0.1:6379",
        "redis:/127.0.0.1",
        "http://127.0.0.1:6379",
        "rediss+unknown://127.0.0.1",
        "ftp://user:pw@host/0",
        "redis://127.0.0.1:0",
        "redis://127.0.0.1:65536",
        "redis://127.0.0.1:-1",
        "redis://127.0.0.1:port",
        "redis://127.0.0.1:6379/notadb",
        "redis://127.0.0.1:6379/-1",
        "redis://127.0.0.1:6379/99999999999999999999",
        "redis://127.0.0.1:6379/?db=x",
        "redis://127.0.0.1:6379/?protocol=resp9",
        "redis://127.0.0.1:6379/?read_timeout=-1",
        "redis://127.0.0.1:6379/?read_timeout=nan",
        "redis://[::1:6379",
        "redis://%zz@127.0.0.1",
        "unix://",
    ];
    for url in bad {
        let e = Config::from_url(url).expect_err(url);
        assert_eq!(e.kind(), ErrorKind::Client, "{url:?}: {e}");
        let e = Client::from_url(url).expect_err(url);
        assert_eq!(e.kind(), ErrorKind::Client, "{url:?}: {e}");
        let e = Client::builder().url(url).build().expect_err(url);
        assert_eq!(e.kind(), ErrorKind::Client, "{url:?}: {e}");
    }
    let e = Client::builder().port(0).build().unwrap_err();
    assert!(e.is_client(), "{e}");
    let e = Client::builder().host("").build().unwrap_err();
    assert!(e.is_client(), "{e}");
    let e = Client::builder().unix_socket("").build().unwrap_err();
    assert!(e.is_client(), "{e}");
    let e = Client::builder().db(-1).build().unwrap_err();
    assert!(e.is_client(), "{e}");
    let e = Client::builder().read_buffer_size(0).build().unwrap_err();
    assert!(e.is_client(), "{e}");
}

#[tokio::test]
async fn an_argument_over_512_mb_fails_fast_before_sending() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = connected(&proxy).await;
    // Zeroed memory: the pages are never touched, so this costs no RSS.
    let huge = vec![0u8; MAX_ARG_LEN + 1];
    let started = Instant::now();
    refused(
        "GET huge key",
        &c,
        &proxy,
        c.call(("GET", &huge[..])).into_future(),
    )
    .await;
    refused(
        "SET huge value",
        &c,
        &proxy,
        c.call(("SET", "k", &huge[..])).into_future(),
    )
    .await;
    refused(
        "typed SET huge value",
        &c,
        &proxy,
        c.set("k", &huge[..]).into_future(),
    )
    .await;
    let mut p = Pipeline::new();
    p.stack_call(("SET", "a", 1))
        .stack_call(("SET", &huge[..], 2));
    refused("pipeline with a huge key", &c, &proxy, c.call_pipeline(&p)).await;
    let mut built = cmd("SET");
    built.arg("k").arg(&huge[..]);
    assert!(built.validate().unwrap_err().is_client());
    // Refusing must not copy 512 MB around (each refusal above also made a
    // round trip, so this is a loose bound on a loaded machine).
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Exactly at the limit is accepted by the client (the server decides).
    let mut at_limit = Cmd::new();
    at_limit.arg(&huge[..MAX_ARG_LEN]);
    assert!(at_limit.validate().is_ok());
}

#[tokio::test]
async fn nan_scores_are_refused_and_infinities_accepted() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = connected(&proxy).await;
    refused(
        "raw ZADD NaN",
        &c,
        &proxy,
        c.call(("ZADD", "z", f64::NAN, "m")).into_future(),
    )
    .await;
    refused(
        "typed ZADD NaN",
        &c,
        &proxy,
        c.zadd("z", [(f64::NAN, "m")]).into_future(),
    )
    .await;
    refused(
        "typed ZADD NaN among good scores",
        &c,
        &proxy,
        c.zadd("z", [(1.0, "a"), (f64::NAN, "b")]).into_future(),
    )
    .await;
    refused(
        "typed ZINCRBY NaN",
        &c,
        &proxy,
        c.zincrby("z", f64::NAN, "m").into_future(),
    )
    .await;
    refused(
        "INCRBYFLOAT NaN",
        &c,
        &proxy,
        c.call(("INCRBYFLOAT", "f", f64::NAN)).into_future(),
    )
    .await;
    // Nothing of the refused commands reached the server.
    assert_eq!(server.cli(&["EXISTS", "z", "f"]), "0");

    // Infinities are valid scores.
    let added = c
        .zadd(
            "z",
            [
                (f64::INFINITY, "top"),
                (f64::NEG_INFINITY, "bottom"),
                (0.5, "mid"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(added, 3);
    let members: Vec<String> = c.call_as(("ZRANGE", "z", 0, -1)).await.unwrap();
    assert_eq!(members, ["bottom", "mid", "top"]);
    let top: f64 = c.call_as(("ZSCORE", "z", "top")).await.unwrap();
    assert_eq!(top, f64::INFINITY);
    let bottom: f64 = c.call_as(("ZSCORE", "z", "bottom")).await.unwrap();
    assert_eq!(bottom, f64::NEG_INFINITY);
}

#[tokio::test]
async fn subscribing_commands_are_refused_on_a_normal_client() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = connected(&proxy).await;
    let commands: &[&[&str]] = &[
        &["SUBSCRIBE", "ch"],
        &["subscribe", "a", "b"],
        &["PSUBSCRIBE", "p*"],
        &["SSUBSCRIBE", "s"],
        &["UNSUBSCRIBE"],
        &["PUNSUBSCRIBE"],
        &["SUNSUBSCRIBE"],
        &["MONITOR"],
    ];
    for args in commands {
        let what = args.join(" ");
        refused(&what, &c, &proxy, c.call(args.to_vec()).into_future()).await;
        assert!(
            c.async_call_forget(args.to_vec()).unwrap_err().is_client(),
            "{what}"
        );
    }
    // The typed subscribe methods exist only on PubSubClient (by type).
    let stats = server.cli(&["INFO", "commandstats"]);
    for name in ["subscribe", "psubscribe", "ssubscribe", "monitor"] {
        assert!(
            !stats.contains(&format!("cmdstat_{name}:")),
            "{name} reached the server: {stats}"
        );
    }
}

/// Pipelines apply the routing rules of single commands: a SUBSCRIBE in one
/// would be sent on the shared connection, whose reply (a push in RESP3)
/// never completes the pipeline, so the call would hang and the connection
/// be left subscribed.
#[tokio::test]
async fn subscribing_commands_in_a_pipeline_are_refused() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = connected(&proxy).await;
    for args in [
        &["SUBSCRIBE", "ch"][..],
        &["PSUBSCRIBE", "p*"],
        &["SSUBSCRIBE", "s"],
        &["MONITOR"],
    ] {
        let what = format!("pipeline with {}", args.join(" "));
        let mut p = Pipeline::new();
        p.stack_call("PING").stack_call(args.to_vec());
        refused(&what, &c, &proxy, c.call_pipeline(&p)).await;
        p.atomic();
        refused(&format!("atomic {what}"), &c, &proxy, c.call_pipeline(&p)).await;
    }
}

/// MONITOR and the subscribe commands turn a connection into a one-way
/// stream; even a dedicated connection must refuse them, or every later
/// request on it would read stream lines as its reply.
#[tokio::test]
async fn subscribing_commands_are_refused_on_a_dedicated_client_too() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let shared = connected(&proxy).await;
    let c = shared.dedicated().unwrap();
    c.connect().await.unwrap();
    for args in [
        &["SUBSCRIBE", "ch"][..],
        &["PSUBSCRIBE", "p*"],
        &["SSUBSCRIBE", "s"],
        &["MONITOR"],
    ] {
        let what = format!("dedicated {}", args.join(" "));
        let sent_before = proxy.bytes_to_server();
        let e = tokio::time::timeout(Duration::from_secs(5), c.call(args.to_vec()))
            .await
            .unwrap_or_else(|_| panic!("{what}: hung"))
            .expect_err(&what);
        assert!(e.is_client(), "{what}: {e}");
        assert_eq!(
            proxy.bytes_to_server(),
            sent_before,
            "{what}: bytes were sent"
        );
        for i in 0..3 {
            let v = c.call(("ECHO", i)).await.unwrap();
            assert_eq!(v, Value::Bulk(i.to_string().into()), "{what}");
        }
    }
}
