//! Every way into a connection goes through the same submit path: awaited
//! requests, callbacks, fire-and-forget and pipelines all count in
//! `stats()`, note their writes in the client-side cache and mark the
//! connection state they change.

use tornadis::{CacheConfig, Client, ClientPool, Commands, Pipeline, Protocol, Value};
use tornadis_tests::RedisServer;

fn pool(server: &RedisServer) -> ClientPool {
    ClientPool::builder()
        .url(&server.url())
        .max_size(1)
        .build()
        .unwrap()
}

/// A fire-and-forget `SELECT 2` on a pooled client changes its db; the next
/// borrower of that connection must not inherit it.
#[tokio::test]
async fn a_forgotten_select_on_a_pooled_client_does_not_leak_to_the_next_borrower() {
    let server = RedisServer::start();
    let pool = pool(&server);
    {
        let c = pool.connected_client().await.unwrap();
        c.async_call_forget(("SELECT", 2)).unwrap();
        // The reply is read (and dropped) before the client goes back.
        let _: Value = c.call(("PING",)).await.unwrap();
        c.set("where", "db2").await.unwrap();
    }
    let c = pool.connected_client().await.unwrap();
    c.set("where", "db0").await.unwrap();
    assert_eq!(server.cli(&["-n", "0", "GET", "where"]), "db0");
    assert_eq!(server.cli(&["-n", "2", "GET", "where"]), "db2");
}

/// Pipelined commands are requests like any other in `stats()`.
#[tokio::test]
async fn pipelined_commands_count_in_stats() {
    let server = RedisServer::start();
    let c = Client::from_url(&server.url()).unwrap();
    c.connect().await.unwrap();
    let before = c.stats().requests;
    let mut p = Pipeline::new();
    for i in 0..10 {
        p.stack_call(("SET", format!("k{i}"), i));
    }
    let replies = c.call_pipeline(&p).await.unwrap();
    assert_eq!(replies.len(), 10);
    let (_, n): ((), i64) = c.pipeline().set("a", 1).incr("n").query().await.unwrap();
    assert_eq!(n, 1);
    c.async_call_forget(("SET", "f", 1)).unwrap();
    let _: Value = c.call(("PING",)).await.unwrap();
    let after = c.stats().requests;
    // 10 raw pipelined, 2 typed pipelined, 1 forgotten, 1 PING.
    assert_eq!(
        after - before,
        14,
        "stats counted {} requests",
        after - before
    );
}

/// A read issued while a pipelined write of its key is still in flight is
/// not served from the cache: the pipeline dropped the cached copy when it
/// was queued, before the server (or its invalidation push) answered.
#[tokio::test]
async fn a_read_behind_a_pipelined_write_is_not_served_from_the_cache() {
    let server = RedisServer::start();
    let c = Client::builder()
        .url(&server.url())
        .protocol(Protocol::Resp3)
        .client_cache(CacheConfig::new())
        .build()
        .unwrap();
    c.set("k", "old").await.unwrap();
    let first: Option<String> = c.get("k").await.unwrap();
    assert_eq!(first.as_deref(), Some("old"));
    let mut p = Pipeline::new();
    p.stack_call(("SET", "k", "new"));
    // Both are queued on their first poll, before the driver runs (this is a
    // current-thread runtime): the read goes out behind the write.
    let (written, read) = tokio::join!(c.call_pipeline(&p), c.get::<_>("k"));
    written.unwrap();
    let read: Option<String> = read.unwrap();
    assert_eq!(read.as_deref(), Some("new"));
}
