//! Routing decided by the spec table's facts (issue 11 items 1, 2), against
//! a real server: commands that take the connection over are refused on
//! every client and leave every other caller's replies correct; WAIT runs
//! only on the caller's own connection; unknown commands still work.

use std::process::Command;
use std::time::{Duration, Instant};

use tornadis::{Client, ClientPool, Commands};
use tornadis_tests::RedisServer;

/// Every way of reaching a request/reply connection: shared, dedicated, pooled.
async fn clients(server: &RedisServer) -> (Client, Client, ClientPool) {
    let shared = Client::from_url(&server.url()).unwrap();
    let dedicated = shared.dedicated().unwrap();
    let pool = ClientPool::builder()
        .url(&server.url())
        .max_size(2)
        .build()
        .unwrap();
    (shared, dedicated, pool)
}

/// Concurrent GETs of distinct keys, each of which must get its own value.
async fn replies_stay_in_order(client: &Client) {
    let mut calls = Vec::new();
    for i in 0..50 {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            let v: Option<String> = client.get(format!("key{i}")).await.unwrap();
            assert_eq!(v.as_deref(), Some(format!("value{i}").as_str()));
        }));
    }
    for c in calls {
        c.await.unwrap();
    }
}

#[tokio::test]
async fn commands_that_take_the_connection_over_are_refused_on_every_client() {
    let server = RedisServer::start();
    let (shared, dedicated, pool) = clients(&server).await;
    for i in 0..50 {
        shared
            .set(format!("key{i}"), format!("value{i}"))
            .await
            .unwrap();
    }
    let pooled = pool.get_connected_client().await.unwrap();
    let takeovers: [&[&str]; 8] = [
        &["REPLCONF", "ACK", "0"],
        &["replconf", "listening-port", "1"],
        &["PSYNC", "?", "-1"],
        &["SYNC"],
        &["CLIENT", "REPLY", "OFF"],
        &["client", "reply", "skip"],
        &["MONITOR"],
        &["UNSUBSCRIBE"],
    ];
    for args in takeovers {
        for (what, client) in [
            ("shared", &shared),
            ("dedicated", &dedicated),
            ("pooled", &*pooled),
        ] {
            let e = client.call(args.to_vec()).await.unwrap_err();
            assert!(e.is_client(), "{what} {args:?}: {e}");
            let e = client.async_call_forget(args.to_vec()).unwrap_err();
            assert!(e.is_client(), "{what} {args:?} forget: {e}");
            let mut pipe = tornadis::Pipeline::new();
            pipe.stack_call(("GET", "key1")).stack_call(args.to_vec());
            let e = client.call_pipeline(&pipe).await.unwrap_err();
            assert!(e.is_client(), "{what} {args:?} pipelined: {e}");
            replies_stay_in_order(client).await;
        }
    }
    // Nothing reached the server: it lists no replica and no monitor.
    let info = server.cli(&["INFO", "replication"]);
    assert!(info.contains("connected_slaves:0"), "{info}");
}

#[tokio::test]
async fn unknown_commands_still_work_through_call() {
    let server = RedisServer::start();
    let client = Client::from_url(&server.url()).unwrap();
    let e = client.call(("NOSUCHMODULE.CMD", "x")).await.unwrap_err();
    assert!(e.is_server(), "{e}");
    replies_stay_in_order_after_set(&client).await;
}

async fn replies_stay_in_order_after_set(client: &Client) {
    for i in 0..50 {
        client
            .set(format!("key{i}"), format!("value{i}"))
            .await
            .unwrap();
    }
    replies_stay_in_order(client).await;
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill {sig} {pid} failed");
}

#[tokio::test]
async fn wait_never_reports_a_replica_it_did_not_reach() {
    let primary = RedisServer::start();
    let mut replica = RedisServer::start();
    replica.cli(&["REPLICAOF", "127.0.0.1", &primary.port().to_string()]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !primary
        .cli(&["INFO", "replication"])
        .contains("connected_slaves:1")
        || !replica
            .cli(&["INFO", "replication"])
            .contains("master_link_status:up")
    {
        assert!(Instant::now() < deadline, "the replica never synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let shared = Client::from_url(&primary.url()).unwrap();
    shared.set("before", 1).await.unwrap();
    // Replicated while the replica runs.
    let conn = shared.dedicated().unwrap();
    conn.set("k", 1).await.unwrap();
    let acked: i64 = conn.call_as(("WAIT", 1, 2000)).await.unwrap();
    assert_eq!(acked, 1);

    let pid = replica.pid().expect("the replica runs");
    signal(pid, "-STOP");
    shared.set("k", 2).await.unwrap();
    // On the shared client WAIT is refused: it would count every caller's
    // writes and hold them all up.
    let e = shared.call(("WAIT", 1, 300)).await.unwrap_err();
    assert!(e.is_client() && e.to_string().contains("dedicated"), "{e}");
    conn.set("k", 3).await.unwrap();
    let acked: i64 = conn.call_as(("WAIT", 1, 300)).await.unwrap();
    signal(pid, "-CONT");
    assert_eq!(acked, 0, "WAIT reported a stopped replica");
    let _ = replica.is_running();
}

#[tokio::test]
async fn sort_ro_is_not_cached_because_the_table_says_so() {
    let server = RedisServer::start();
    let client = Client::builder()
        .url(&server.url())
        .client_cache(tornadis::CacheConfig::default())
        .build()
        .unwrap();
    client.call(("RPUSH", "ids", 1, 2)).await.unwrap();
    client.call(("SET", "w_1", 2)).await.unwrap();
    client.call(("SET", "w_2", 1)).await.unwrap();
    let first: Vec<String> = client
        .call_as(("SORT_RO", "ids", "BY", "w_*"))
        .await
        .unwrap();
    assert_eq!(first, ["2", "1"]);
    // Another client changes a weight: no invalidation names `ids`.
    server.cli(&["SET", "w_1", "0"]);
    let second: Vec<String> = client
        .call_as(("SORT_RO", "ids", "BY", "w_*"))
        .await
        .unwrap();
    assert_eq!(second, ["1", "2"]);
    let info = tornadis::command_info::lookup("SORT_RO").unwrap();
    assert!(!info
        .flags
        .contains(tornadis::command_info::CommandFlags::CACHEABLE));
}

#[test]
fn routing_facts_come_from_the_table() {
    use tornadis::command_info::{
        lookup, ArgPosition, ConnectionUse, RequestPolicy, ResponsePolicy, StateChange, TimeUnit,
    };
    let blpop = lookup("BLPOP").unwrap().routing.blocking_timeout.unwrap();
    assert_eq!(
        (blpop.at, blpop.unit, blpop.only_with_token),
        (ArgPosition::FromEnd(1), TimeUnit::Seconds, false)
    );
    let bzmpop = lookup("BZMPOP").unwrap().routing.blocking_timeout.unwrap();
    assert_eq!(bzmpop.at, ArgPosition::Index(1));
    let xread = lookup("XREADGROUP")
        .unwrap()
        .routing
        .blocking_timeout
        .unwrap();
    assert_eq!(
        (xread.at, xread.unit, xread.only_with_token),
        (
            ArgPosition::AfterToken("BLOCK"),
            TimeUnit::Milliseconds,
            true
        )
    );
    let wait = lookup("WAIT").unwrap().routing;
    assert_eq!(wait.connection, ConnectionUse::Own);
    assert_eq!(
        wait.blocking_timeout.map(|t| (t.at, t.unit)),
        Some((ArgPosition::Index(2), TimeUnit::Milliseconds))
    );
    for name in [
        "MONITOR",
        "PSYNC",
        "SYNC",
        "REPLCONF",
        "CLIENT REPLY",
        "SUBSCRIBE",
    ] {
        assert_eq!(
            lookup(name).unwrap().routing.connection,
            ConnectionUse::Takeover,
            "{name}"
        );
    }
    assert_eq!(
        lookup("SELECT").unwrap().routing.connection,
        ConnectionUse::State(StateChange::Database)
    );
    assert_eq!(
        lookup("WATCH").unwrap().routing.connection,
        ConnectionUse::State(StateChange::Transaction)
    );
    let dbsize = lookup("DBSIZE").unwrap().routing;
    assert_eq!(
        (dbsize.request_policy, dbsize.response_policy),
        (Some(RequestPolicy::AllShards), Some(ResponsePolicy::AggSum))
    );
    let mget = lookup("MGET").unwrap().routing;
    assert_eq!(
        (mget.request_policy, mget.response_policy),
        (Some(RequestPolicy::MultiShard), None)
    );
    assert_eq!(
        lookup("SCRIPT EXISTS").unwrap().routing.response_policy,
        Some(ResponsePolicy::AggLogicalAnd)
    );
}
