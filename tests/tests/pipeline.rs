//! Raw and typed pipelines, and MULTI/EXEC transactions, against a real server.

use tornadis::{Client, Commands, ErrorKind, Pipeline, Value};
use tornadis_tests::RedisServer;

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

#[tokio::test]
async fn raw_pipeline_keeps_every_reply_around_a_failure() {
    let server = RedisServer::start();
    let c = client(&server);
    let mut pipe = Pipeline::new();
    pipe.stack_call(("SET", "s", "x"))
        .stack_call(("LPUSH", "s", "y")) // WRONGTYPE in the middle
        .stack_call(("GET", "s"))
        .stack_call(("INCR", "n"));
    assert_eq!(pipe.number_of_stacked_calls(), 4);
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(replies.len(), 4);
    assert_eq!(
        replies[0].as_ref().unwrap(),
        &Value::SimpleString("OK".into())
    );
    let e = replies[1].as_ref().unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"));
    assert_eq!(e.command(), Some("LPUSH"));
    assert_eq!(replies[2].as_ref().unwrap(), &Value::Bulk("x".into()));
    assert_eq!(replies[3].as_ref().unwrap(), &Value::Integer(1));
    // The same pipeline can run again.
    let again = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(again[3].as_ref().unwrap(), &Value::Integer(2));
}

#[tokio::test]
async fn empty_pipeline_is_a_client_error_without_a_round_trip() {
    let server = RedisServer::start();
    let c = client(&server);
    let e = c.call_pipeline(&Pipeline::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Client);
    // (An empty typed pipeline does not compile: `()` has no `query`.)
    assert_eq!(c.connection_count(), 0);
}

#[tokio::test]
async fn typed_pipeline_returns_a_typed_tuple() {
    let server = RedisServer::start();
    let c = client(&server);
    let (set, got, added, len, raw): ((), Option<String>, i64, i64, Value) = c
        .pipeline()
        .set("a", 1)
        .get("a")
        .hset_multiple("h", [("f", "v"), ("g", "w")])
        .hlen("h")
        .call(("TYPE", "h"))
        .query()
        .await
        .unwrap();
    assert_eq!(set, ());
    assert_eq!(got.as_deref(), Some("1"));
    assert_eq!(added, 2);
    assert_eq!(len, 2);
    assert_eq!(raw, Value::SimpleString("hash".into()));
}

#[tokio::test]
async fn typed_pipeline_names_the_failing_command() {
    let server = RedisServer::start();
    let c = client(&server);
    c.set("s", "x").await.unwrap();
    let e = c
        .pipeline()
        .get::<String>("s")
        .lpush("s", ["y"])
        .query()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
    assert_eq!(e.command(), Some("LPUSH"));
    assert!(e.to_string().contains("command 2 of 2"), "{e}");
    // A reply that does not decode is reported the same way.
    let e = c.pipeline().get::<i64>("s").query().await.unwrap_err();
    assert!(e.is_decode(), "{e}");
}

#[tokio::test]
async fn ten_thousand_command_pipeline() {
    let server = RedisServer::start();
    let c = client(&server);
    let mut pipe = Pipeline::new();
    for i in 0..10_000 {
        pipe.stack_call(("SET", format!("k{i}"), i));
    }
    for i in 0..10_000 {
        pipe.stack_call(("GET", format!("k{i}")));
    }
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(replies.len(), 20_000);
    for (i, r) in replies[10_000..].iter().enumerate() {
        assert_eq!(r.as_ref().unwrap(), &Value::Bulk(i.to_string().into()));
    }
}

#[tokio::test]
async fn atomic_pipeline_runs_in_multi_exec() {
    let server = RedisServer::start();
    let c = client(&server);
    let (a, b): (i64, i64) = c
        .pipeline()
        .incr("t")
        .incr("t")
        .atomic()
        .query()
        .await
        .unwrap();
    assert_eq!((a, b), (1, 2));

    let mut pipe = Pipeline::new();
    pipe.atomic()
        .stack_call(("SET", "x", "1"))
        .stack_call(("INCR", "x"));
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(replies[1].as_ref().unwrap(), &Value::Integer(2));
}

#[tokio::test]
async fn queued_command_errors_discard_the_transaction() {
    let server = RedisServer::start();
    let c = client(&server);
    let mut pipe = Pipeline::new();
    pipe.atomic()
        .stack_call(("SET", "q", "1"))
        .stack_call(("NOSUCHCOMMAND", "x"))
        .stack_call(("SET", "q", "2"));
    let e = c.call_pipeline(&pipe).await.unwrap_err();
    assert_eq!(e.code(), Some("EXECABORT"), "{e}");
    assert!(e.to_string().contains("NOSUCHCOMMAND"), "{e}");
    let q: Option<String> = c.get("q").await.unwrap();
    assert_eq!(q, None, "nothing of the transaction ran");
    // A runtime error inside EXEC only fails that command.
    c.set("str", "x").await.unwrap();
    let mut pipe = Pipeline::new();
    pipe.atomic()
        .stack_call(("LPUSH", "str", "y"))
        .stack_call(("SET", "other", "1"));
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(replies[0].as_ref().unwrap_err().code(), Some("WRONGTYPE"));
    assert!(replies[1].is_ok());
}

#[tokio::test]
async fn watch_conflict_from_a_second_client_is_retried() {
    let server = RedisServer::start();
    let c = client(&server);
    let other = client(&server);
    c.set("balance", 100).await.unwrap();
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let result: i64 = c
        .transaction("balance", |conn| {
            let n = attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let other = other.clone();
            async move {
                let balance: i64 = conn.get::<i64>("balance").await?.unwrap_or(0);
                if n == 0 {
                    // Another client changes the watched key between the read and EXEC.
                    other.set("balance", 500).await?;
                }
                let (_,) = conn
                    .pipeline()
                    .set("balance", balance + 1)
                    .atomic()
                    .query()
                    .await?;
                Ok(balance + 1)
            }
        })
        .await
        .unwrap();
    assert_eq!(
        attempts.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "aborted once, then ran"
    );
    assert_eq!(result, 501);
    assert_eq!(c.get::<i64>("balance").await.unwrap(), Some(501));
}

#[tokio::test]
async fn watch_abort_is_reported_as_aborted_on_a_dedicated_connection() {
    let server = RedisServer::start();
    let c = client(&server);
    let conn = c.dedicated().unwrap();
    conn.call(("WATCH", "w")).await.unwrap();
    assert!(conn.connection_state_changed());
    c.set("w", "changed").await.unwrap();
    let e = conn
        .pipeline()
        .set("w", "mine")
        .atomic()
        .query()
        .await
        .unwrap_err();
    assert!(e.is_aborted(), "{e}");
    assert_eq!(
        c.get::<String>("w").await.unwrap().as_deref(),
        Some("changed")
    );
}

#[tokio::test]
async fn connection_state_commands_are_refused_on_the_shared_client() {
    let server = RedisServer::start();
    let c = client(&server);
    for args in [
        vec!["WATCH", "k"],
        vec!["MULTI"],
        vec!["SELECT", "2"],
        vec!["SUBSCRIBE", "ch"],
    ] {
        let e = c.call(args.clone()).await.unwrap_err();
        assert!(e.is_client(), "{args:?}: {e}");
    }
    assert_eq!(c.connection_count(), 0, "nothing was sent");
    // The same rules hold inside pipelines.
    let mut pipe = Pipeline::new();
    pipe.stack_call(("WATCH", "k")).stack_call("PING");
    assert!(c.call_pipeline(&pipe).await.unwrap_err().is_client());
    let mut blocking = Pipeline::new();
    blocking.stack_call(("BLPOP", "q", 1)).stack_call("PING");
    let e = c.call_pipeline(&blocking).await.unwrap_err();
    assert!(e.is_client() && e.to_string().contains("BLPOP"), "{e}");
    assert_eq!(c.connection_count(), 0, "nothing was sent");
    // Inside MULTI/EXEC a blocking command does not block: allowed.
    blocking.atomic();
    let replies = c.call_pipeline(&blocking).await.unwrap();
    assert_eq!(replies[0].as_ref().unwrap(), &Value::Nil);
    // A dedicated connection runs them.
    let d = c.dedicated().unwrap();
    let replies = d.call_pipeline(&pipe).await.unwrap();
    assert_eq!(
        replies[1].as_ref().unwrap(),
        &Value::SimpleString("PONG".into())
    );
    assert!(d.connection_state_changed());
    assert_eq!(
        c.call("PING").await.unwrap(),
        Value::SimpleString("PONG".into())
    );
}

#[tokio::test]
async fn connection_state_methods_work_on_dedicated_clients_only() {
    let server = RedisServer::start();
    let c = client(&server);
    let e = c.watch(["k"]).await.unwrap_err();
    assert!(e.is_client(), "{e}");
    let e = c.select(1).await.unwrap_err();
    assert!(e.is_client(), "{e}");
    assert_eq!(c.connection_count(), 0, "nothing was sent");

    let d = c.dedicated().unwrap();
    d.select(2).await.unwrap();
    d.set("in-db-2", "yes").await.unwrap();
    assert_eq!(server.cli(&["-n", "2", "GET", "in-db-2"]), "yes");
    d.watch(["w"]).await.unwrap();
    d.unwatch().await.unwrap();
    d.multi().await.unwrap();
    d.discard().await.unwrap();
    assert!(d.connection_state_changed());
    // The shared client is untouched: still db 0.
    assert_eq!(c.get::<String>("in-db-2").await.unwrap(), None);
}
