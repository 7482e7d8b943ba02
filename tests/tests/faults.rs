//! Network faults between the client and a real server, injected by
//! [`FaultProxy`]: connections cut in the middle of replies under load, a
//! blackholed network, replies dripped one byte at a time, delayed chunks.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use tornadis::{Client, ErrorKind, Protocol, Value};
use tornadis_tests::{FaultProxy, RedisServer};

/// A request that takes longer than this is a hang.
const HANG: Duration = Duration::from_secs(15);

fn client_via(proxy: &FaultProxy, protocol: Protocol) -> Client {
    Client::builder()
        .port(proxy.port())
        .protocol(protocol)
        .build()
        .unwrap()
}

/// A value that can only belong to `key`: the key, repeated to `len` bytes.
fn value_for(key: &str, len: usize) -> Vec<u8> {
    let unit = format!("<{key}>");
    unit.as_bytes().iter().copied().cycle().take(len).collect()
}

async fn bounded<T>(what: &str, fut: impl IntoFuture<Output = T>) -> T {
    match tokio::time::timeout(HANG, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} hung for {HANG:?}"),
    }
}

#[tokio::test]
async fn a_reply_cut_in_the_middle_fails_with_a_connection_error_then_reconnects() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = client_via(&proxy, Protocol::Resp3);
    let big = value_for("big", 200_000);
    c.call(("SET", "big", big.as_slice())).await.unwrap();
    for cut_at in [0, 1, 5, 7, 1000, 100_000, 200_005] {
        proxy.cut_after(cut_at);
        let e = bounded("GET big", c.call(("GET", "big")))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connection, "cut after {cut_at}: {e}");
        let v = bounded("GET big", c.call(("GET", "big"))).await.unwrap();
        assert_eq!(v, Value::Bulk(big.clone().into()), "cut after {cut_at}");
    }
    assert_eq!(proxy.triggered_cuts(), 7);
    assert_eq!(c.connection_count(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cuts_under_load_fail_only_requests_in_flight_and_never_mix_replies() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = client_via(&proxy, Protocol::Resp3);
    const KEYS: usize = 16;
    const LEN: usize = 20_000;
    for k in 0..KEYS {
        let key = format!("load:{k}");
        c.call(("SET", key.as_str(), value_for(&key, LEN)))
            .await
            .unwrap();
    }
    let (mut ok, mut failed) = (0u64, 0u64);
    let rounds = 6;
    for round in 0..rounds as u64 {
        let mut tasks = Vec::new();
        for t in 0..32 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                let mut results = Vec::new();
                for i in 0..20 {
                    let key = format!("load:{}", (t * 7 + i) % KEYS);
                    let r = bounded("GET", c.call(("GET", key.as_str()))).await;
                    results.push((key, r));
                }
                results
            }));
        }
        // Cut somewhere in the middle of the round's ~13 MB of replies, at
        // a different offset (inside a reply, almost always) each time.
        tokio::time::sleep(Duration::from_millis(5)).await;
        proxy.cut_after(50_000 + round * 333_337u64);
        let mut round_failed = 0;
        for t in tasks {
            for (key, r) in t.await.unwrap() {
                match r {
                    Ok(Value::Bulk(b)) => {
                        assert_eq!(b, value_for(&key, LEN), "{key} got another key's reply");
                        ok += 1;
                    }
                    Ok(other) => panic!("{key}: unexpected reply {other:?}"),
                    Err(e) => {
                        assert_eq!(e.kind(), ErrorKind::Connection, "{key}: {e}");
                        round_failed += 1;
                    }
                }
            }
        }
        failed += round_failed;
        proxy.heal();
        // After the cut, the client reconnects by itself.
        let v = bounded("GET", c.call(("GET", "load:0"))).await.unwrap();
        assert_eq!(v, Value::Bulk(value_for("load:0", LEN).into()));
    }
    println!(
        "cuts under load: {ok} ok, {failed} connection errors, {} cuts, {} connections",
        proxy.triggered_cuts(),
        c.connection_count()
    );
    assert!(proxy.triggered_cuts() >= 1, "no cut fired");
    assert!(failed >= proxy.triggered_cuts(), "a cut failed no request");
    assert_eq!(c.connection_count(), 1 + proxy.triggered_cuts());
    assert!(ok > 0);
}

#[tokio::test]
async fn a_blackholed_network_gives_timeouts_within_the_read_timeout() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let read_timeout = Duration::from_millis(300);
    let margin = Duration::from_millis(1000);
    let c = Client::builder()
        .port(proxy.port())
        .read_timeout(read_timeout)
        .connect_timeout(read_timeout)
        .reconnect_wait(Duration::from_millis(200))
        .build()
        .unwrap();
    c.call("PING").await.unwrap();
    proxy.blackhole(true);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let r = bounded("GET", c.call(("GET", format!("k{i}")))).await;
            (r, started.elapsed())
        }));
    }
    for t in tasks {
        let (r, took) = t.await.unwrap();
        let e = r.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        assert!(took < read_timeout + margin, "took {took:?}");
    }
    // A request made while the network is still down: the new connection's
    // handshake times out; it fails within connect timeout + reconnect wait.
    let started = Instant::now();
    let e = bounded("GET", c.call(("GET", "k"))).await.unwrap_err();
    let took = started.elapsed();
    assert!(e.is_timeout(), "{e}");
    assert!(
        took < read_timeout + Duration::from_millis(200) + read_timeout + margin,
        "took {took:?}"
    );
    proxy.heal();
    assert_eq!(
        bounded("PING", c.call("PING")).await.unwrap(),
        Value::SimpleString("PONG".into())
    );
}

fn args(a: &[&str]) -> Vec<Vec<u8>> {
    a.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// Writes the keys that [`every_type_commands`] read.
fn setup_commands() -> Vec<Vec<Vec<u8>>> {
    vec![
        args(&["DEL", "list", "h", "z", "set", "n"]),
        args(&["SET", "empty", ""]),
        vec![
            b"SET".to_vec(),
            b"bin".to_vec(),
            b"a\r\nb$3\r\n*1\0\xff".to_vec(),
        ],
        vec![
            b"SET".to_vec(),
            b"big".to_vec(),
            value_for("drip-big", 16 * 1024),
        ],
        args(&["INCRBY", "n", "-42"]),
        args(&["RPUSH", "list", "a", "bb", "", "ccc"]),
        args(&["HSET", "h", "f1", "v1", "f2", "v2"]),
        args(&["ZADD", "z", "1.5", "m", "-2.25", "n"]),
        args(&["SADD", "set", "x"]),
    ]
}

/// Commands (that give the same reply every time) whose replies cover
/// every value type the server sends.
fn every_type_commands() -> Vec<Vec<Vec<u8>>> {
    let eval = |script: &str| vec![b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()];
    vec![
        args(&["SET", "s", "hello"]),
        args(&["GET", "s"]),
        args(&["GET", "empty"]),
        args(&["GET", "bin"]),
        args(&["GET", "big"]),
        args(&["GET", "missing"]),
        args(&["STRLEN", "big"]),
        args(&["INCRBY", "n", "0"]),
        args(&["LRANGE", "list", "0", "-1"]),
        args(&["LRANGE", "nolist", "0", "-1"]),
        args(&["HGETALL", "h"]),
        args(&["ZSCORE", "z", "m"]),
        args(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        args(&["SMEMBERS", "set"]),
        args(&["LPUSH", "s", "x"]),
        args(&["COMMAND", "INFO", "GET", "ZADD"]),
        eval("return {1, {2, {3, 'x', {}}}, 'y'}"),
        eval("return redis.error_reply('MYERR custom failure')"),
        eval("return nil"),
        eval("redis.setresp(3); return true"),
        eval("redis.setresp(3); return false"),
        eval("redis.setresp(3); return {double=3.5}"),
        eval("redis.setresp(3); return {double=-0.125}"),
        eval("redis.setresp(3); return {map={a=1}}"),
        eval("redis.setresp(3); return {set={a=true}}"),
        eval("redis.setresp(3); return {big_number='123456789012345678901234567890'}"),
        eval("redis.setresp(3); return {verbatim_string={format='txt', string='some text'}}"),
        eval("redis.setresp(3); return {map={k={1,{map={x='y'}}}}}"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_dripped_one_byte_at_a_time_decode_like_whole_ones() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let commands = every_type_commands();
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let direct = Client::builder()
            .port(server.port())
            .protocol(protocol)
            .build()
            .unwrap();
        for args in setup_commands() {
            direct.call(args).await.unwrap();
        }
        let dripped = client_via(&proxy, protocol);
        dripped.connect().await.unwrap();
        proxy.drip(true);
        let mut seen_types = std::collections::BTreeSet::new();
        for args in &commands {
            let shown = String::from_utf8_lossy(&args[..args.len().min(2)].concat()).into_owned();
            // Run it directly first, then through the drip: write commands
            // give the same reply the second time too.
            let want = bounded("direct", direct.call(args.clone())).await;
            let (bytes0, writes0) = (proxy.bytes_to_client(), proxy.writes_to_client());
            let got = bounded("dripped", dripped.call(args.clone())).await;
            let (bytes, writes) = (
                proxy.bytes_to_client() - bytes0,
                proxy.writes_to_client() - writes0,
            );
            assert!(bytes > 0, "{protocol:?} {shown}: no reply bytes counted");
            assert_eq!(bytes, writes, "{protocol:?} {shown}: not dripped");
            match (&want, &got) {
                (Ok(w), Ok(g)) => {
                    assert_eq!(w, g, "{protocol:?} {shown}");
                    seen_types.insert(type_name(g));
                }
                (Err(w), Err(g)) => {
                    assert_eq!(w.kind(), g.kind(), "{protocol:?} {shown}: {g}");
                    assert_eq!(w.code(), g.code(), "{protocol:?} {shown}: {g}");
                    seen_types.insert("error");
                }
                _ => panic!("{protocol:?} {shown}: direct {want:?}, dripped {got:?}"),
            }
        }
        proxy.drip(false);
        let mut expected = vec!["array", "bulk", "error", "integer", "nil", "simple"];
        if protocol == Protocol::Resp3 {
            expected.extend(["bignum", "boolean", "double", "map", "set", "verbatim"]);
        }
        for t in expected {
            assert!(
                seen_types.contains(t),
                "{protocol:?}: no {t} reply among {seen_types:?}"
            );
        }
        assert_eq!(dripped.connection_count(), 1, "{protocol:?}");
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::SimpleString(_) => "simple",
        Value::Error(_) => "nested-error",
        Value::Integer(_) => "integer",
        Value::Bulk(_) => "bulk",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        Value::Set(_) => "set",
        Value::Double(_) => "double",
        Value::Boolean(_) => "boolean",
        Value::BigNumber(_) => "bignum",
        Value::Verbatim { .. } => "verbatim",
        Value::Push(_) => "push",
        Value::Attribute { .. } => "attribute",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_chunks_in_both_directions_keep_replies_in_order() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let c = client_via(&proxy, Protocol::Resp3);
    c.connect().await.unwrap();
    proxy.set_delay(Duration::from_millis(15));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..40 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                let key = format!("delay:{t}:{i}");
                let value = value_for(&key, 100 + 997 * t);
                bounded("SET", c.call(("SET", key.as_str(), value.as_slice())))
                    .await
                    .unwrap();
                let got: Vec<u8> = bounded("GET", c.call_as(("GET", key.as_str())))
                    .await
                    .unwrap();
                assert_eq!(got, value, "{key}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Ten sequential round trips per task, each delayed both ways.
    assert!(started.elapsed() >= Duration::from_millis(150));
    proxy.heal();
    assert_eq!(c.connection_count(), 1);
}
