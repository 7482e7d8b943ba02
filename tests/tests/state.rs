//! Connection state is never lost silently, and connections with requests in
//! flight are never reused (issue 12 items 1, 2, 5), against a real server
//! and with the default configuration.
//!
//! Connections are cut from the server side (`CLIENT KILL ID`), as an idle
//! timeout or a load balancer would.

use std::time::Duration;

use tornadis::{Client, ClientPool, Commands, Config, Value};
use tornadis_tests::RedisServer;

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

async fn kill(server: &RedisServer, conn: &Client) {
    let id: i64 = conn.call_as(("CLIENT", "ID")).await.unwrap();
    kill_id(server, id).await;
}

async fn kill_id(server: &RedisServer, id: i64) {
    let out = server.cli(&["CLIENT", "KILL", "ID", &id.to_string()]);
    assert!(out.contains('1'), "CLIENT KILL answered {out:?}");
    // Let the driver see the end of the connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn connections_received(server: &RedisServer) -> u64 {
    server
        .cli(&["INFO", "stats"])
        .lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("INFO stats has total_connections_received")
}

fn connected_clients(server: &RedisServer) -> u64 {
    server
        .cli(&["INFO", "clients"])
        .lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("INFO clients has connected_clients")
}

#[tokio::test]
async fn select_lost_with_its_connection_is_reported_not_replaced_by_db_0() {
    let server = RedisServer::start();
    let conn = client(&server).dedicated().unwrap();
    conn.call(("SELECT", 2)).await.unwrap();
    conn.call(("SET", "where", "db2")).await.unwrap();
    kill(&server, &conn).await;

    let e = conn.call(("SET", "where", "db0?")).await.unwrap_err();
    assert!(e.is_state_lost(), "{e}");
    assert!(e.to_string().contains("reset_connection"), "{e}");
    // Still refused: the loss must be acknowledged.
    assert!(conn.call("PING").await.unwrap_err().is_state_lost());
    assert_eq!(server.cli(&["GET", "where"]), "");

    conn.reset_connection();
    conn.call(("SET", "after", "reset")).await.unwrap();
    assert_eq!(server.cli(&["GET", "after"]), "reset");
    assert_eq!(server.cli(&["-n", "2", "GET", "where"]), "db2");
}

#[tokio::test]
async fn multi_lost_with_its_connection_never_runs_its_commands_unqueued() {
    let server = RedisServer::start();
    let conn = client(&server).dedicated().unwrap();
    let id: i64 = conn.call_as(("CLIENT", "ID")).await.unwrap();
    conn.call("MULTI").await.unwrap();
    let queued = conn.call(("SET", "k", "queued")).await.unwrap();
    assert_eq!(queued, Value::SimpleString("QUEUED".into()));
    kill_id(&server, id).await;

    let e = conn.call(("SET", "k2", "after")).await.unwrap_err();
    assert!(e.is_state_lost(), "{e}");
    let e = conn.call("EXEC").await.unwrap_err();
    assert!(e.is_state_lost(), "{e}");
    assert_eq!(server.cli(&["EXISTS", "k", "k2"]), "0");
}

#[tokio::test]
async fn watch_lost_fails_the_fire_and_forget_and_pipeline_paths_too() {
    let server = RedisServer::start();
    let conn = client(&server).dedicated().unwrap();
    conn.call(("WATCH", "w")).await.unwrap();
    kill(&server, &conn).await;
    let e = conn.async_call_forget(("SET", "w", 1)).unwrap_err();
    assert!(e.is_state_lost(), "{e}");
    let mut pipe = tornadis::Pipeline::new();
    pipe.stack_call(("SET", "w", 2));
    let e = conn.call_pipeline(&pipe).await.unwrap_err();
    assert!(e.is_state_lost(), "{e}");
    assert_eq!(server.cli(&["EXISTS", "w"]), "0");
}

#[tokio::test]
async fn a_plain_dedicated_client_still_reconnects_by_itself() {
    let server = RedisServer::start();
    let conn = client(&server).dedicated().unwrap();
    conn.call(("SET", "a", 1)).await.unwrap();
    kill(&server, &conn).await;
    conn.call(("SET", "a", 2)).await.unwrap();
    assert_eq!(server.cli(&["GET", "a"]), "2");
}

#[tokio::test]
async fn transaction_never_commits_a_lost_update_when_its_connection_is_cut() {
    let server = RedisServer::start();
    let client = client(&server);
    client.set("balance", 100).await.unwrap();
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let result: tornadis::Result<i64> = client
        .transaction("balance", |conn| {
            let first = attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            let server = &server;
            async move {
                let balance: i64 = conn.get::<i64>("balance").await?.unwrap_or(0);
                if first {
                    // Someone else adds 10, and our connection (with its WATCH) is cut.
                    server.cli(&["INCRBY", "balance", "10"]);
                    kill(server, &conn).await;
                }
                let next = balance + 100;
                let (_,) = conn
                    .pipeline()
                    .set("balance", next)
                    .atomic()
                    .query()
                    .await?;
                Ok(next)
            }
        })
        .await;
    let stored: i64 = server.cli(&["GET", "balance"]).parse().unwrap();
    match result {
        Ok(v) => assert_eq!((v, stored), (210, 210)),
        // An error is acceptable; a lost update is not.
        Err(e) => assert_eq!(stored, 110, "{e}"),
    }
    assert_ne!(stored, 200, "the other client's +10 was lost");
}

#[tokio::test]
async fn twenty_contending_transactions_all_commit_on_a_handful_of_connections() {
    let server = RedisServer::start();
    let client = client(&server);
    client.set("counter", 0).await.unwrap();
    let before = connections_received(&server);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                client
                    .transaction("counter", |conn| async move {
                        let conn: Client = conn;
                        let n: i64 = conn.get::<i64>("counter").await?.unwrap_or(0);
                        let (_,) = conn
                            .pipeline()
                            .set("counter", n + 1)
                            .atomic()
                            .query()
                            .await?;
                        Ok::<(), tornadis::Error>(())
                    })
                    .await?;
            }
            Ok::<(), tornadis::Error>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // Less one: redis-cli's own connection for INFO.
    let opened = connections_received(&server) - before - 1;
    println!("500 contended transactions opened {opened} connections");
    assert_eq!(server.cli(&["GET", "counter"]), "500");
    assert!(opened <= 6, "500 transactions opened {opened} connections");
}

#[tokio::test]
async fn transaction_gives_up_saying_how_many_attempts_it_made() {
    let server = RedisServer::start();
    let client = client(&server);
    let options = tornadis::TransactionOptions::default()
        .attempts(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(2));
    let e = client
        .transaction_with("hot", options, |conn| {
            let server = &server;
            async move {
                server.cli(&["INCR", "hot"]);
                let (_,) = conn.pipeline().set("hot", 0).atomic().query().await?;
                Ok(())
            }
        })
        .await
        .unwrap_err();
    assert!(e.is_aborted(), "{e}");
    assert!(e.to_string().contains("3 attempts"), "{e}");
}

#[tokio::test]
async fn pooled_client_returned_after_select_and_watch_is_reset_not_reopened() {
    let server = RedisServer::start();
    let pool = ClientPool::builder()
        .url(&server.url())
        .max_size(1)
        .build()
        .unwrap();
    let c = pool.get_connected_client().await.unwrap();
    c.async_call_forget(("SELECT", 2)).unwrap();
    c.call(("WATCH", "x")).await.unwrap();
    c.call("MULTI").await.unwrap();
    drop(c);
    let before = connections_received(&server);
    let c = pool.get_connected_client().await.unwrap();
    c.call(("SET", "k", "v")).await.unwrap();
    // One more: redis-cli's own connection for INFO.
    assert_eq!(
        connections_received(&server),
        before + 1,
        "the pool reconnected"
    );
    assert_eq!(server.cli(&["GET", "k"]), "v");
    assert_eq!(server.cli(&["-n", "2", "EXISTS", "k"]), "0");
}

#[tokio::test]
async fn cancelled_blpop_on_a_pooled_client_does_not_swallow_the_next_item() {
    let server = RedisServer::start();
    let pool = ClientPool::builder()
        .url(&server.url())
        .max_size(1)
        .build()
        .unwrap();
    let c = pool.get_connected_client().await.unwrap();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), c.call(("BLPOP", "jobs", 0))).await;
    assert!(cancelled.is_err(), "BLPOP returned early: {cancelled:?}");
    drop(c);
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.cli(&["RPUSH", "jobs", "job-42"]);
    let c = pool.get_connected_client().await.unwrap();
    let got: Option<(String, String)> = c.call_as(("BLPOP", "jobs", 2)).await.unwrap();
    assert_eq!(got, Some(("jobs".into(), "job-42".into())));
}

#[tokio::test]
async fn dropped_dedicated_client_with_a_blocked_command_does_not_swallow_the_next_item() {
    let server = RedisServer::start();
    let shared = client(&server);
    let conn = shared.dedicated().unwrap();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), conn.call(("BLPOP", "jobs", 0))).await;
    assert!(cancelled.is_err());
    drop(conn);
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.cli(&["RPUSH", "jobs", "job-42"]);
    let got: Option<(String, String)> = shared.call_as(("BLPOP", "jobs", 2)).await.unwrap();
    assert_eq!(got, Some(("jobs".into(), "job-42".into())));
}

#[tokio::test]
async fn a_thousand_concurrent_blpops_keep_the_server_connections_bounded() {
    let server = RedisServer::start();
    let client = client(&server);
    client.call("PING").await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .call_as::<Option<(String, String)>, _>(("BLPOP", "q", 0))
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = connected_clients(&server);
    println!("1000 concurrent BLPOPs: {during} server connections");
    // The default bound of side connections, the client's own connection, redis-cli.
    assert!(during <= 32 + 2, "{during} connections");
    let pusher = Client::from_url(&server.url()).unwrap();
    for chunk in 0..10 {
        let items: Vec<String> = (0..100)
            .map(|i| format!("item-{}", chunk * 100 + i))
            .collect();
        let mut cmd = tornadis::cmd("RPUSH");
        cmd.arg("q");
        for i in &items {
            cmd.arg(i.as_str());
        }
        pusher.call(cmd).await.unwrap();
    }
    let mut got = std::collections::BTreeSet::new();
    for t in tasks {
        let (_, item) = tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("a BLPOP never got its item")
            .unwrap()
            .unwrap()
            .unwrap();
        got.insert(item);
    }
    assert_eq!(got.len(), 1000);
    assert!(connected_clients(&server) <= 32 + 3);
}

#[tokio::test]
async fn default_config_bounds_side_connections() {
    let config = Config::default();
    let c = Client::new(config).unwrap();
    assert!(!c.is_dedicated());
    assert!(Client::builder()
        .max_blocking_connections(0)
        .build()
        .is_err());
}

#[tokio::test]
async fn a_blocking_command_on_a_dedicated_client_may_outlast_the_read_timeout() {
    let server = RedisServer::start();
    let shared = Client::builder()
        .url(&server.url())
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    for conn in [shared.dedicated().unwrap(), {
        let pool = ClientPool::builder()
            .config(shared.config().clone())
            .build()
            .unwrap();
        pool.get_connected_client().await.unwrap().detach()
    }] {
        let reply = conn.call(("BLPOP", "nothing", "0.6")).await.unwrap();
        assert_eq!(reply, Value::Nil);
        let reply = conn
            .call(("XREAD", "BLOCK", 600, "STREAMS", "s", "$"))
            .await
            .unwrap();
        assert_eq!(reply, Value::Nil);
        // A plain request after it still has the read timeout.
        conn.call("PING").await.unwrap();
    }
}

#[tokio::test]
async fn a_transaction_that_ended_leaves_no_state_to_lose() {
    let server = RedisServer::start();
    let conn = client(&server).dedicated().unwrap();
    conn.call("MULTI").await.unwrap();
    conn.call(("SET", "a", 1)).await.unwrap();
    conn.call("EXEC").await.unwrap();
    conn.call(("WATCH", "a")).await.unwrap();
    conn.call("UNWATCH").await.unwrap();
    let (_,) = conn.pipeline().set("b", 2).atomic().query().await.unwrap();
    assert!(!conn.connection_state_changed());
    kill(&server, &conn).await;
    // Nothing was held: the client reconnects by itself.
    conn.call(("SET", "c", 3)).await.unwrap();

    // A WATCH still held after an UNWATCH queued inside MULTI is not cleared by it.
    let id: i64 = conn.call_as(("CLIENT", "ID")).await.unwrap();
    conn.call(("WATCH", "a")).await.unwrap();
    conn.call("MULTI").await.unwrap();
    conn.call("UNWATCH").await.unwrap();
    assert!(conn.connection_state_changed());
    kill_id(&server, id).await;
    assert!(conn.call("EXEC").await.unwrap_err().is_state_lost());
}
