//! SentinelClient against a real sentinel group (one primary, one replica,
//! three sentinels): reads and writes, failover under load, and following
//! `+switch-master` while the old primary stays up.
//!
//! Each test starts its own group; they run one at a time so that the
//! machine's cores do not starve the sentinels' failure detection.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tornadis::sentinel::SentinelClient;
use tornadis::value::FieldTtl;
use tornadis::{Client, Commands, Config, ErrorKind, ServerAddr, Value};
use tornadis_tests::{SentinelGroup, ServerKind};

/// The (value, time received) of every acknowledged INCR, per writer.
type Acks = Vec<Vec<(i64, Instant)>>;

/// One sentinel test at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

fn tcp(addr: &str) -> ServerAddr {
    let (host, port) = addr.rsplit_once(':').unwrap();
    ServerAddr::Tcp {
        host: host.to_string(),
        port: port.parse().unwrap(),
    }
}

/// A port nothing listens on (bound, then released).
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn role(client: &Client) -> String {
    let reply: Vec<Value> = client.call_as("ROLE").await.unwrap();
    match reply.first() {
        Some(Value::Bulk(b)) => String::from_utf8(b.to_vec()).unwrap(),
        other => panic!("unexpected ROLE reply {other:?}"),
    }
}

async fn tcp_port(client: &Client) -> u16 {
    let info: String = client.call_as(("INFO", "server")).await.unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("tcp_port:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Waits (bounded) until `check` is true.
async fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many clients are subscribed to a channel across the sentinels
/// (sentinels do not offer `PUBSUB`; `CLIENT LIST` shows each connection's
/// subscription count, and sentinels subscribe to nothing on each other).
fn switch_listeners(group: &SentinelGroup) -> usize {
    group
        .sentinels()
        .iter()
        .map(|s| {
            s.cli(&["CLIENT", "LIST"])
                .lines()
                .filter(|l| l.split(' ').any(|f| f == "sub=1"))
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_writes_through_the_primary_and_a_replica() {
    let _serial = SERIAL.lock().await;
    let group = SentinelGroup::start();
    // A dead sentinel first: it is skipped, and the one that answers is promoted.
    let dead = format!("127.0.0.1:{}", dead_port());
    let sentinel = SentinelClient::builder()
        .sentinel(&dead)
        .sentinels(group.sentinel_addrs())
        .service(group.master_name())
        .build()
        .unwrap();

    let primary = sentinel.primary();
    primary.set("greeting", "hello").await.unwrap();
    let v: Option<String> = primary.get("greeting").await.unwrap();
    assert_eq!(v.as_deref(), Some("hello"));
    assert_eq!(role(&primary).await, "master");
    assert_eq!(tcp_port(&primary).await, group.primary().port());
    assert_eq!(
        sentinel.primary_addr().await.unwrap(),
        tcp(&group.primary().addr())
    );
    assert_ne!(
        sentinel.sentinel_addrs()[0],
        tcp(&dead),
        "the sentinel that answered is asked first"
    );
    // The SentinelClient runs commands on the primary itself.
    let n: i64 = sentinel.incr("visits").await.unwrap();
    assert_eq!(n, 1);

    // Reads from the replica, once replication has caught up.
    let replica = sentinel.replica().unwrap();
    assert_eq!(role(&replica).await, "slave");
    assert_eq!(tcp_port(&replica).await, group.replica().port());
    assert_eq!(
        sentinel.replica_addrs().await.unwrap(),
        vec![tcp(&group.replica().addr())]
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v: Option<String> = replica.get("greeting").await.unwrap();
        if v.as_deref() == Some("hello") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never served the key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let e = replica.set("greeting", "nope").await.unwrap_err();
    assert_eq!(e.code(), Some("READONLY"), "{e}");
    assert!(sentinel.is_following_switches());

    // The same answers when the sentinels are spoken to in RESP2 (flat
    // arrays instead of RESP3 maps).
    let resp2 = SentinelClient::builder()
        .sentinels(group.sentinel_addrs())
        .service(group.master_name())
        .sentinel_config(
            Config::builder()
                .protocol(tornadis::Protocol::Resp2)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        resp2.primary_addr().await.unwrap(),
        tcp(&group.primary().addr())
    );
    assert_eq!(
        resp2.replica_addrs().await.unwrap(),
        vec![tcp(&group.replica().addr())]
    );
    assert_eq!(
        tcp_port(&resp2.replica().unwrap()).await,
        group.replica().port()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_service_and_unreachable_sentinels_are_connection_errors() {
    let _serial = SERIAL.lock().await;
    let group = SentinelGroup::start();
    let unknown = SentinelClient::builder()
        .sentinels(group.sentinel_addrs())
        .service("no-such-service")
        .resolve_retries(2, Duration::from_millis(10))
        .config(
            Config::builder()
                .reconnect_wait(Duration::ZERO)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let e = unknown
        .primary()
        .get::<Option<String>>("k")
        .await
        .unwrap_err();
    assert!(e.is_connection(), "{e}");
    assert!(e.to_string().contains("does not monitor it"), "{e}");

    let nobody = SentinelClient::builder()
        .sentinel(&format!("127.0.0.1:{}", dead_port()))
        .service(group.master_name())
        .resolve_retries(2, Duration::from_millis(10))
        .config(
            Config::builder()
                .reconnect_wait(Duration::ZERO)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let e = nobody
        .primary()
        .get::<Option<String>>("k")
        .await
        .unwrap_err();
    assert!(e.is_connection(), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Writers INCR one counter while the primary is killed. Requests succeed
/// again without user action, every request is answered (success or a
/// connection-level error), no reply is handed to the wrong request, and
/// no write the replica had confirmed (`WAIT`) is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_under_load_recovers_without_losing_replicated_writes() {
    let _serial = SERIAL.lock().await;
    let mut group = SentinelGroup::start();
    let sentinel = group.client();
    let primary = sentinel.primary();
    primary.set("counter", 0).await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let acks: Arc<StdMutex<Acks>> = Arc::default();
    let errors: Arc<StdMutex<Vec<(ErrorKind, String)>>> = Arc::default();
    // The highest value a WAIT confirmed the replica has.
    let durable = Arc::new(std::sync::atomic::AtomicI64::new(0));

    let mut tasks = Vec::new();
    for w in 0..4 {
        let (client, stop, acks, errors) =
            (primary.clone(), stop.clone(), acks.clone(), errors.clone());
        acks.lock().unwrap().push(Vec::new());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match client.incr("counter").await {
                    Ok(v) => acks.lock().unwrap()[w].push((v, Instant::now())),
                    Err(e) => {
                        errors.lock().unwrap().push((e.kind(), e.to_string()));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    {
        // INCR then WAIT on a connection of its own (WAIT counts that connection's writes).
        let (conn, stop, durable, errors) = (
            primary.dedicated().unwrap(),
            stop.clone(),
            durable.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let step = async {
                    let v = conn.incr("counter").await?;
                    let replicas: i64 = conn.call_as(("WAIT", 1, 200)).await?;
                    Ok::<_, tornadis::Error>((v, replicas))
                };
                match step.await {
                    Ok((v, replicas)) if replicas >= 1 => {
                        durable.fetch_max(v, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        errors.lock().unwrap().push((e.kind(), e.to_string()));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }

    let acked =
        |acks: &Arc<StdMutex<Acks>>| -> usize { acks.lock().unwrap().iter().map(Vec::len).sum() };
    eventually("writes before the kill", Duration::from_secs(5), || {
        acked(&acks) > 500 && durable.load(Ordering::Relaxed) > 0
    })
    .await;

    let old = group.primary().addr();
    let killed_at = Instant::now();
    group.kill_primary();
    // Recovered: a write acknowledged well after the kill (later than any
    // reply the dead primary could have left in a socket buffer).
    let recovered_at = loop {
        let first_after = acks
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .filter(|(_, at)| *at > killed_at + Duration::from_millis(200))
            .map(|(_, at)| *at)
            .min();
        if let Some(at) = first_after {
            break at;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(30),
            "no write succeeded within 30 s of the kill; errors: {:?}",
            errors.lock().unwrap().last()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let recovery = recovered_at - killed_at;
    let new = tokio::task::block_in_place(|| group.wait_for_failover(&old));
    assert_eq!(new, group.replica().addr());
    // Some load on the new primary, then stop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }

    let final_value: i64 = primary.get("counter").await.unwrap().unwrap();
    assert_eq!(tcp_port(&primary).await, group.replica().port());
    let acks = acks.lock().unwrap();
    let errors = errors.lock().unwrap();
    let durable = durable.load(Ordering::Relaxed);

    // Every failed request failed at the connection level: never a protocol
    // or decode error that would betray replies matched to the wrong request.
    for (kind, text) in errors.iter() {
        assert!(
            matches!(kind, ErrorKind::Connection | ErrorKind::Timeout),
            "unexpected error during the failover: {text}"
        );
    }
    // Each writer saw its values strictly increase before the kill, and
    // again after the recovery.
    for writer in acks.iter() {
        for part in [
            writer
                .iter()
                .filter(|(_, at)| *at <= killed_at)
                .collect::<Vec<_>>(),
            writer
                .iter()
                .filter(|(_, at)| *at >= recovered_at)
                .collect(),
        ] {
            assert!(part.windows(2).all(|p| p[0].0 < p[1].0), "{part:?}");
        }
    }
    // After the failover the counter is one sequence on the new primary:
    // no value handed to two requests, none above the final value.
    let after: Vec<i64> = acks
        .iter()
        .flatten()
        .filter(|(_, at)| *at >= recovered_at)
        .map(|(v, _)| *v)
        .collect();
    let unique: HashSet<i64> = after.iter().copied().collect();
    assert_eq!(
        unique.len(),
        after.len(),
        "a reply was handed to two requests"
    );
    let max_after = after.iter().copied().max().unwrap();
    let min_after = after.iter().copied().min().unwrap();
    assert!(final_value >= max_after, "{final_value} < {max_after}");
    // The sound durability claim: writes the replica had confirmed survive.
    // (Writes acknowledged by the old primary but not yet replicated when it
    // died may be lost: replication is asynchronous.)
    assert!(
        min_after > durable,
        "the counter went back below a replicated write ({min_after} <= {durable})"
    );
    let last_before = acks
        .iter()
        .flatten()
        .filter(|(_, at)| *at <= killed_at)
        .map(|(v, _)| *v)
        .max()
        .unwrap();
    let unreplicated_lost = (last_before - (min_after - 1)).max(0);
    println!(
        "sentinel failover: writes succeeded again {recovery:?} after the primary was killed \
         ({} requests failed during the outage; {} acknowledged writes were not replicated \
         in time and lost; final counter {final_value})",
        errors.len(),
        unreplicated_lost
    );
    assert!(
        recovery < Duration::from_secs(15),
        "recovery took {recovery:?}"
    );
}

/// `SENTINEL FAILOVER` moves the primary while the old one stays up: the
/// `+switch-master` listener drops the client's connection, and its next
/// requests go to the new primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_a_failover_while_the_old_primary_stays_up() {
    let _serial = SERIAL.lock().await;
    let group = SentinelGroup::start();
    let sentinel = group.client();
    let primary = sentinel.primary();
    primary.set("k", "before").await.unwrap();
    assert_eq!(tcp_port(&primary).await, group.primary().port());
    eventually("the switch listener", Duration::from_secs(10), || {
        switch_listeners(&group) == 1
    })
    .await;

    let old = group.primary().addr();
    let started = Instant::now();
    assert_eq!(
        group.sentinels()[0].cli(&["SENTINEL", "FAILOVER", group.master_name()]),
        "OK"
    );
    let new = tokio::task::block_in_place(|| group.wait_for_failover(&old));
    assert_eq!(new, group.replica().addr());

    // Writes land on the new primary within a few seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if primary.set("k", "after").await.is_ok()
            && tcp_port(&primary).await == group.replica().port()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the client never moved to the new primary"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "sentinel switch: the client wrote to the new primary {:?} after SENTINEL FAILOVER",
        started.elapsed()
    );
    assert_eq!(group.replica().cli(&["GET", "k"]), "after");
    assert_eq!(
        group.primary().cli(&["PING"]),
        "PONG",
        "the old primary stayed up"
    );
    // A reconnect can reach the new primary (through the sentinels' answer)
    // before the listener has counted the `+switch-master` notice.
    eventually("the switch notice", Duration::from_secs(10), || {
        sentinel.switch_count() >= 1
    })
    .await;
    assert_eq!(role(&primary).await, "master");
}

/// RESP2 bytes of a pub/sub frame: `kind`, the channel, then `last`.
fn frame(kind: &str, last: &[u8]) -> Vec<u8> {
    let channel = "+switch-master";
    let mut out = format!(
        "*3\r\n${}\r\n{kind}\r\n${}\r\n{channel}\r\n",
        kind.len(),
        channel.len()
    )
    .into_bytes();
    out.extend_from_slice(last);
    out
}

fn bulk(text: &str) -> Vec<u8> {
    format!("${}\r\n{text}\r\n", text.len()).into_bytes()
}

/// A `+switch-master` notice about the service drops the primary's
/// connection at once (the next request reconnects through the sentinels);
/// a notice about another service, or a malformed one, does not. And a
/// switch whose notice was missed is found when the listener subscribes
/// again (it asks for the primary after each subscription).
///
/// Sentinels refuse `PUBLISH` on their own channels, so the sentinel here is
/// scripted: it names a real primary, confirms each subscription, closes the
/// subscribed connection shortly after (the listener then subscribes again),
/// and sends the notice the test arms, once, with a confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_notices_drop_the_connection_of_their_service_only() {
    use std::sync::atomic::{AtomicU16, AtomicU8};
    use tornadis_tests::fake_server::{FakeServer, Handshake, Reply};
    use tornadis_tests::RedisServer;

    const QUIET: u8 = 0;
    const OTHERS: u8 = 1;
    const OURS: u8 = 2;
    const SENT: u8 = 3;
    let _serial = SERIAL.lock().await;
    let server = RedisServer::start();
    let port = server.port();
    let other = RedisServer::start();
    // The primary the scripted sentinel names.
    let named = Arc::new(AtomicU16::new(port));
    let script_named = named.clone();
    let armed = Arc::new(AtomicU8::new(QUIET));
    let script_armed = armed.clone();
    let fake_sentinel = FakeServer::start(Handshake::Resp2, move |args| {
        let word = |i: usize| {
            args.get(i)
                .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
        };
        match (word(0).as_deref(), word(1).as_deref()) {
            (Some("SENTINEL"), Some("GET-MASTER-ADDR-BY-NAME")) => {
                let mut out = b"*2\r\n".to_vec();
                out.extend(bulk("127.0.0.1"));
                out.extend(bulk(&script_named.load(Ordering::SeqCst).to_string()));
                Reply::raw(out)
            }
            (Some("SUBSCRIBE"), _) => {
                let mut out = frame("subscribe", b":1\r\n");
                match script_armed.load(Ordering::SeqCst) {
                    OTHERS => {
                        out.extend(frame("message", &bulk("another 127.0.0.1 1 127.0.0.1 2")));
                        out.extend(frame("message", &bulk("garbage")));
                    }
                    OURS => {
                        script_armed.store(SENT, Ordering::SeqCst);
                        out.extend(frame("message", &bulk("mymaster 127.0.0.1 1 127.0.0.1 2")));
                    }
                    _ => {}
                }
                Reply::BytesThenClose(out, Duration::from_millis(200))
            }
            _ => Reply::raw("-ERR unexpected command\r\n"),
        }
    });
    let sentinel = SentinelClient::builder()
        .sentinel(&format!("127.0.0.1:{}", fake_sentinel.port()))
        .service("mymaster")
        .build()
        .unwrap();
    let primary = sentinel.primary();
    primary.set("k", 1).await.unwrap();
    assert_eq!(primary.connection_count(), 1);
    assert_eq!(tcp_port(&primary).await, port);

    armed.store(OTHERS, Ordering::SeqCst);
    // Several subscriptions (each ~200 ms) see the foreign notices.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(primary.is_connected());
    assert_eq!(sentinel.switch_count(), 0);

    armed.store(OURS, Ordering::SeqCst);
    eventually("the connection to drop", Duration::from_secs(5), || {
        !primary.is_connected()
    })
    .await;
    assert_eq!(armed.load(Ordering::SeqCst), SENT);
    assert_eq!(sentinel.switch_count(), 1);
    // The next request reconnects through the sentinel, to the real primary.
    let v: i64 = primary.incr("k").await.unwrap();
    assert_eq!(v, 2);
    assert_eq!(primary.connection_count(), 2);
    assert_eq!(tcp_port(&primary).await, port);

    // A switch without a notice: the next subscription's check finds it.
    named.store(other.port(), Ordering::SeqCst);
    eventually(
        "the missed switch to be found",
        Duration::from_secs(5),
        || sentinel.switch_count() == 2,
    )
    .await;
    // A request racing with the drop may fail with a connection error;
    // the ones after it go to the new primary.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match primary.call_as::<String, _>(("INFO", "server")).await {
            Ok(info) if info.contains(&format!("tcp_port:{}", other.port())) => break,
            Ok(_) => {}
            Err(e) => assert!(e.is_connection(), "{e}"),
        }
        assert!(
            Instant::now() < deadline,
            "the client stayed on the old primary"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(primary.connection_count(), 3);
}

/// The primary and replica clients learn their server's kind and version in
/// the handshake, and typed methods are checked against it before sending,
/// as on any client; `&SentinelClient` checks against the primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_connections_learn_the_server_and_check_typed_methods() {
    let _serial = SERIAL.lock().await;
    let group = SentinelGroup::start();
    let sentinel = group.client();
    let primary = sentinel.primary();
    let replica = sentinel.replica().unwrap();
    let kind = group.primary().kind();
    for (who, c) in [("primary", &primary), ("replica", &replica)] {
        // The first typed command waits for the handshake, then is checked
        // (HTTL reads, so the replica runs it too).
        let reply = c.httl("h", ["f"]).await;
        let server = c.server().expect("the handshake reports the server");
        match kind {
            ServerKind::Redis => {
                assert_eq!(server.kind, tornadis::command_info::ServerKind::Redis);
                let err = reply.unwrap_err();
                assert!(err.is_client(), "{who}: {err}");
                let expected = format!(
                    "HTTL needs Redis >= 7.4.0 or Valkey >= 9.0.0; this server is {server}"
                );
                assert!(err.detail().starts_with(&expected), "{who}: {err}");
            }
            ServerKind::Valkey => {
                assert_eq!(server.kind, tornadis::command_info::ServerKind::Valkey);
                assert_eq!(reply.unwrap(), [FieldTtl::NoSuchField], "{who}");
            }
        }
    }
    let through_sentinel = (&sentinel).hgetdel::<String>("h", ["f"]).await;
    match kind {
        ServerKind::Redis => {
            assert!(through_sentinel.unwrap_err().is_client());
            let sent = |node: &tornadis_tests::RedisServer| {
                let stats = node.cli(&["INFO", "commandstats"]);
                stats.contains("cmdstat_httl") || stats.contains("cmdstat_hgetdel")
            };
            assert!(
                !sent(group.primary()) && !sent(group.replica()),
                "nothing was sent"
            );
        }
        ServerKind::Valkey => assert_eq!(through_sentinel.unwrap(), [None]),
    }
}
