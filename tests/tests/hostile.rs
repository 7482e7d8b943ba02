//! A hostile server: after a normal handshake, a scripted server answers
//! with malformed RESP. The affected request must fail with a protocol error
//! (or a connection error when the server hangs up mid-frame), the
//! connection must be dropped and a fresh one opened for the next request,
//! nothing may panic, and lengths the server claims must not be allocated.

use std::time::{Duration, Instant};

use tornadis::{Client, ErrorKind, Protocol, Value};
use tornadis_tests::fake_server::{FakeServer, Handshake, Reply};

/// How long a hostile request may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(10);

/// Malformed replies the client must reject on its own (the server keeps
/// the connection open, so only the decoder can notice).
fn malformed(name: &str) -> Option<Vec<u8>> {
    let bytes: Vec<u8> = match name {
        "type-byte" => b"?what\r\n".to_vec(),
        "type-byte-nul" => b"\0\r\n".to_vec(),
        "negative-bulk" => b"$-5\r\n".to_vec(),
        "negative-array" => b"*-7\r\n".to_vec(),
        "negative-map" => b"%-1\r\n".to_vec(),
        "negative-set" => b"~-2\r\n".to_vec(),
        "bulk-2gib" => b"$2147483648\r\n".to_vec(),
        "bulk-u64-max" => b"$18446744073709551615\r\n".to_vec(),
        "bulk-overflow" => b"$99999999999999999999999999\r\n".to_vec(),
        "array-huge" => b"*99999999999999\r\n".to_vec(),
        "map-huge" => b"%9223372036854775807\r\n".to_vec(),
        "bulk-longer-than-claimed" => b"$3\r\nabcdef\r\n".to_vec(),
        "bulk-shorter-than-claimed" => b"$6\r\nabc\r\n+OK\r\n".to_vec(),
        "nested-10000" => {
            let mut v = b"*1\r\n".repeat(10_000);
            v.extend_from_slice(b":1\r\n");
            v
        }
        "nested-maps-10000" => {
            let mut v = b"%1\r\n+k\r\n".repeat(10_000);
            v.extend_from_slice(b":1\r\n");
            v
        }
        "integer-alpha" => b":12a\r\n".to_vec(),
        "integer-empty" => b":\r\n".to_vec(),
        "integer-overflow" => b":99999999999999999999\r\n".to_vec(),
        "integer-spaces" => b": 42\r\n".to_vec(),
        "length-alpha" => b"$abc\r\n".to_vec(),
        "length-plus" => b"*+1\r\n:1\r\n".to_vec(),
        "double-alpha" => b",notanumber\r\n".to_vec(),
        "boolean-bad" => b"#x\r\n".to_vec(),
        "null-with-payload" => b"_x\r\n".to_vec(),
        "missing-lf" => b"+OK\rX".to_vec(),
        "streamed-bulk" => b"$?\r\n;3\r\nabc\r\n;0\r\n".to_vec(),
        _ => return None,
    };
    Some(bytes)
}

const MALFORMED: &[&str] = &[
    "type-byte",
    "type-byte-nul",
    "negative-bulk",
    "negative-array",
    "negative-map",
    "negative-set",
    "bulk-2gib",
    "bulk-u64-max",
    "bulk-overflow",
    "array-huge",
    "map-huge",
    "bulk-longer-than-claimed",
    "bulk-shorter-than-claimed",
    "nested-10000",
    "nested-maps-10000",
    "integer-alpha",
    "integer-empty",
    "integer-overflow",
    "integer-spaces",
    "length-alpha",
    "length-plus",
    "double-alpha",
    "boolean-bad",
    "null-with-payload",
    "missing-lf",
    "streamed-bulk",
];

/// Frames cut short by the server closing the connection.
fn truncated(name: &str) -> Option<Vec<u8>> {
    let bytes: &[u8] = match name {
        "bulk" => b"$10\r\nabc",
        "array" => b"*3\r\n:1\r\n:2\r\n",
        "line" => b"+OK",
        "length-line" => b"$12",
        "map" => b"%2\r\n+a\r\n:1\r\n+b\r\n",
        "nothing" => b"",
        _ => return None,
    };
    Some(bytes.to_vec())
}

const TRUNCATED: &[&str] = &["bulk", "array", "line", "length-line", "map", "nothing"];

/// The script: `GET bad:<case>` and `GET cut:<case>` get the hostile bytes;
/// any other `GET key` gets the key back as a bulk string, so a reply that
/// went to the wrong request is visible.
fn script(args: &[Vec<u8>]) -> Reply {
    let key = args.get(1).cloned().unwrap_or_default();
    let key_text = String::from_utf8_lossy(&key).into_owned();
    if let Some(case) = key_text.strip_prefix("bad:") {
        if let Some(bytes) = malformed(case) {
            return Reply::Bytes(bytes);
        }
    }
    if let Some(case) = key_text.strip_prefix("cut:") {
        if let Some(bytes) = truncated(case) {
            return Reply::BytesThenClose(bytes, Duration::from_millis(20));
        }
    }
    match key_text.as_str() {
        "utf8" => Reply::raw(b"$4\r\n\xff\xfe\xfd\xfc\r\n".to_vec()),
        "surplus" => Reply::raw(b"$2\r\nok\r\n+SURPRISE\r\n".to_vec()),
        "nested-100" => {
            let mut v = b"*1\r\n".repeat(100);
            v.extend_from_slice(b":7\r\n");
            Reply::Bytes(v)
        }
        "claim-500mb" => {
            // A length under the 512 MB limit, a little payload, then a pause
            // (while the test measures memory) and a hang-up.
            let mut v = b"$500000000\r\n".to_vec();
            v.extend_from_slice(&[b'x'; 4096]);
            Reply::BytesThenClose(v, Duration::from_millis(600))
        }
        "silence" => Reply::Silence,
        _ => Reply::bulk(&key),
    }
}

fn client_for(server: &FakeServer, protocol: Protocol) -> Client {
    Client::builder()
        .port(server.port())
        .protocol(protocol)
        .reconnect_wait(Duration::from_secs(2))
        .build()
        .unwrap()
}

fn modes() -> [(Handshake, Protocol); 3] {
    [
        (Handshake::Resp3, Protocol::Resp3),
        (Handshake::Resp2, Protocol::Resp3),
        (Handshake::Resp2, Protocol::Resp2),
    ]
}

async fn get(c: &Client, key: &str) -> tornadis::Result<Value> {
    match tokio::time::timeout(HANG, c.call(("GET", key))).await {
        Ok(r) => r,
        Err(_) => panic!("GET {key} hung for {HANG:?}"),
    }
}

/// Runs `GET <key>` on a connection that is already open, and checks it
/// fails with one of `kinds`, that the connection is replaced and that the
/// next request gets its own reply. Returns a description of what went
/// wrong, if anything.
async fn check_case(
    server: &FakeServer,
    c: &Client,
    key: &str,
    kinds: &[ErrorKind],
) -> Option<String> {
    let conns_before = server.connections();
    let client_conns_before = c.connection_count();
    let r = get(c, key).await;
    match r {
        Ok(v) => return Some(format!("{key}: accepted as {v:?}")),
        Err(e) if !kinds.contains(&e.kind()) => {
            return Some(format!("{key}: wrong error kind {:?}: {e}", e.kind()))
        }
        Err(e) if e.command() != Some("GET") => {
            return Some(format!("{key}: error does not name GET: {e}"))
        }
        Err(_) => {}
    }
    let next = format!("after:{key}");
    match get(c, &next).await {
        Ok(Value::Bulk(b)) if b == next.as_bytes() => {}
        other => return Some(format!("{key}: next request got {other:?}")),
    }
    let opened = server.connections() - conns_before;
    if opened != 1 || c.connection_count() != client_conns_before + 1 {
        return Some(format!(
            "{key}: expected exactly one new connection, server saw {opened}, client counted {}",
            c.connection_count() - client_conns_before
        ));
    }
    None
}

#[tokio::test]
async fn malformed_replies_are_protocol_errors_and_the_connection_is_replaced() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (handshake, protocol) in modes() {
        let server = FakeServer::start(handshake, script);
        let c = client_for(&server, protocol);
        assert_eq!(
            get(&c, "hello").await.unwrap(),
            Value::Bulk("hello".into()),
            "{handshake:?}"
        );
        for case in MALFORMED {
            let key = format!("bad:{case}");
            if let Some(f) = check_case(&server, &c, &key, &[ErrorKind::Protocol]).await {
                failures.push(format!("{handshake:?}/{protocol:?}: {f}"));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, 3 * MALFORMED.len());
}

#[tokio::test]
async fn truncated_frames_then_close_fail_the_request_and_reconnect() {
    let mut failures = Vec::new();
    for (handshake, protocol) in modes() {
        let server = FakeServer::start(handshake, script);
        let c = client_for(&server, protocol);
        get(&c, "hello").await.unwrap();
        for case in TRUNCATED {
            let key = format!("cut:{case}");
            let kinds = [ErrorKind::Connection, ErrorKind::Protocol];
            if let Some(f) = check_case(&server, &c, &key, &kinds).await {
                failures.push(format!("{handshake:?}/{protocol:?}: {f}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_reply_among_many_never_hands_out_a_wrong_reply() {
    let server = FakeServer::start(Handshake::Resp3, script);
    let c = client_for(&server, Protocol::Resp3);
    get(&c, "warm-up").await.unwrap();
    for round in 0..20 {
        let mut tasks = Vec::new();
        for i in 0..50 {
            let c = c.clone();
            let key = if i == 25 {
                format!("bad:{}", MALFORMED[round % MALFORMED.len()])
            } else {
                format!("k:{round}:{i}")
            };
            tasks.push(tokio::spawn(async move {
                let r = get(&c, &key).await;
                (key, r)
            }));
        }
        let mut protocol_errors = 0;
        for t in tasks {
            let (key, r) = t.await.unwrap();
            match r {
                Ok(Value::Bulk(b)) => assert_eq!(b, key.as_bytes(), "reply to the wrong request"),
                Ok(other) => panic!("{key}: unexpected reply {other:?}"),
                Err(e) if key.starts_with("bad:") => {
                    assert!(e.is_protocol(), "{key}: {e}");
                    protocol_errors += 1;
                }
                // Requests in flight behind the bad reply share its fate.
                Err(e) => assert!(e.is_protocol() || e.is_connection(), "{key}: {e}"),
            }
        }
        assert_eq!(protocol_errors, 1, "round {round}");
        assert_eq!(
            get(&c, "after").await.unwrap(),
            Value::Bulk("after".into()),
            "round {round}"
        );
    }
}

#[tokio::test]
async fn invalid_utf8_is_a_decode_error_on_that_request_only() {
    for (handshake, protocol) in modes() {
        let server = FakeServer::start(handshake, script);
        let c = client_for(&server, protocol);
        get(&c, "hello").await.unwrap();
        let e = c
            .call_as::<String, _>(("GET", "utf8"))
            .await
            .expect_err("invalid UTF-8 decoded as a String");
        assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
        assert_eq!(e.command(), Some("GET"), "{e}");
        // The same bytes are fine as bytes, and the connection was kept.
        let raw = c.call_as::<Vec<u8>, _>(("GET", "utf8")).await.unwrap();
        assert_eq!(raw, b"\xff\xfe\xfd\xfc");
        assert_eq!(get(&c, "next").await.unwrap(), Value::Bulk("next".into()));
        assert_eq!(server.connections(), 1, "{handshake:?}");
        assert_eq!(c.connection_count(), 1);
    }
}

#[tokio::test]
async fn nesting_under_the_limit_decodes() {
    let server = FakeServer::start(Handshake::Resp3, script);
    let c = client_for(&server, Protocol::Resp3);
    let mut v = get(&c, "nested-100").await.unwrap();
    let mut depth = 0;
    while let Value::Array(mut items) = v {
        assert_eq!(items.len(), 1);
        v = items.pop().unwrap();
        depth += 1;
    }
    assert_eq!((depth, v), (100, Value::Integer(7)));
}

#[tokio::test]
async fn a_reply_nobody_asked_for_drops_the_connection() {
    let server = FakeServer::start(Handshake::Resp3, script);
    let c = client_for(&server, Protocol::Resp3);
    assert_eq!(get(&c, "surplus").await.unwrap(), Value::Bulk("ok".into()));
    // The surplus reply arrived with no request waiting: the client cannot
    // know which request it belongs to, so it must drop the connection
    // rather than hand it to the next caller.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(get(&c, "next").await.unwrap(), Value::Bulk("next".into()));
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_malformed_handshake_reply_is_a_protocol_error() {
    let server = FakeServer::start(Handshake::Malformed, script);
    let c = client_for(&server, Protocol::Resp3);
    let e = tokio::time::timeout(HANG, c.connect())
        .await
        .expect("connect hung")
        .unwrap_err();
    assert!(e.is_protocol(), "{e}");
    let e = get(&c, "k").await.unwrap_err();
    assert!(e.is_protocol(), "{e}");
}

/// Resident and virtual size of this process, in KiB (from /proc/self/status).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
    };
    (field("VmRSS:"), field("VmSize:"))
}

#[tokio::test]
async fn claimed_lengths_are_not_allocated() {
    let server = FakeServer::start(Handshake::Resp3, script);
    let c = client_for(&server, Protocol::Resp3);
    get(&c, "warm-up").await.unwrap();
    let (rss0, vsz0) = memory_kib();

    // Over the limit: refused at once, whatever the length.
    for case in ["bulk-2gib", "bulk-u64-max", "array-huge", "map-huge"] {
        let started = Instant::now();
        let e = get(&c, &format!("bad:{case}")).await.unwrap_err();
        assert!(e.is_protocol(), "{case}: {e}");
        assert!(started.elapsed() < Duration::from_secs(2), "{case}");
    }
    // Under the limit: the client waits for the bytes, and must not reserve
    // room for all 500 MB while it waits.
    let pending = {
        let c = c.clone();
        tokio::spawn(async move { get(&c, "claim-500mb").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (rss1, vsz1) = memory_kib();
    let e = pending.await.unwrap().unwrap_err();
    assert!(e.is_connection(), "{e}");
    let (rss2, vsz2) = memory_kib();
    println!(
        "claimed lengths: RSS {rss0} -> {rss1} -> {rss2} KiB, virtual {vsz0} -> {vsz1} -> {vsz2} KiB"
    );
    // A few arenas or thread stacks may appear (other tests run in parallel);
    // a reservation of a claimed length would be hundreds of MB.
    assert!(
        rss1.max(rss2) < rss0 + 64 * 1024,
        "RSS grew: {rss0} -> {rss1} -> {rss2} KiB"
    );
    assert!(
        vsz1.max(vsz2) < vsz0 + 300 * 1024,
        "virtual size grew: {vsz0} -> {vsz1} -> {vsz2} KiB"
    );
    assert_eq!(get(&c, "next").await.unwrap(), Value::Bulk("next".into()));
}

#[tokio::test]
async fn a_silent_server_is_bounded_by_the_read_timeout() {
    let server = FakeServer::start(Handshake::Resp3, script);
    let c = Client::builder()
        .port(server.port())
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    get(&c, "hello").await.unwrap();
    let started = Instant::now();
    let e = get(&c, "silence").await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(get(&c, "next").await.unwrap(), Value::Bulk("next".into()));
    assert_eq!(server.connections(), 2);
}
