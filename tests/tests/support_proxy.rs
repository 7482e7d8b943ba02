//! Tests of the fault-injection proxy, against a real server through raw
//! sockets (no client library involved).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tornadis_tests::raw;
use tornadis_tests::wait::wait_until;
use tornadis_tests::{FaultProxy, RedisServer};

const PING: &[u8] = b"*1\r\n$4\r\nPING\r\n";
const PONG: &[u8] = b"+PONG\r\n";
const PATIENCE: Duration = Duration::from_secs(10);

fn connect(proxy: &FaultProxy) -> TcpStream {
    let stream = TcpStream::connect(proxy.addr()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Sends PING and reads exactly the 7 bytes of `+PONG\r\n`.
fn ping(stream: &mut TcpStream) -> Vec<u8> {
    stream.write_all(PING).unwrap();
    let mut reply = vec![0u8; PONG.len()];
    stream.read_exact(&mut reply).unwrap();
    reply
}

/// Reads until the proxy closes the connection; returns what arrived.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    match stream.read_to_end(&mut received) {
        Ok(_) => {}
        // A close may also surface as a reset; what arrived before counts.
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("expected the connection to close, got {e}"),
    }
    received
}

/// Asserts that nothing arrives for `period`.
fn assert_silent(stream: &mut TcpStream, period: Duration) {
    stream.set_read_timeout(Some(period)).unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("expected silence, got {other:?}"),
    }
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
}

fn wait_for_active(proxy: &FaultProxy, n: u64) {
    wait_until(
        PATIENCE,
        &format!("{n} active connections"),
        || match proxy.active_connections() {
            active if active == n => Ok(()),
            active => Err(format!("{active} active")),
        },
    )
    .unwrap();
}

/// A reply of known length: the bulk string for a value of `len` bytes.
fn store_value(server: &RedisServer, key: &str, len: usize) -> Vec<u8> {
    let value = "x".repeat(len);
    assert_eq!(server.cli(&["SET", key, &value]), "OK");
    format!("${len}\r\n{value}\r\n").into_bytes()
}

#[test]
fn forwards_and_counts() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    assert_eq!(proxy.url(), format!("redis://127.0.0.1:{}", proxy.port()));
    assert_eq!(proxy.target(), server.socket_addr());
    let mut stream = connect(&proxy);
    assert_eq!(ping(&mut stream), PONG);
    let replies = raw::exchange(&mut stream, &[&["SET", "k", "v"], &["INCR", "n"]]).unwrap();
    assert_eq!(replies, ["+OK", ":1"]);
    assert_eq!(server.cli(&["GET", "k"]), "v");
    assert_eq!(proxy.connections_accepted(), 1);
    assert_eq!(proxy.active_connections(), 1);
    let sent =
        PING.len() + raw::encode(&["SET", "k", "v"]).len() + raw::encode(&["INCR", "n"]).len();
    assert_eq!(proxy.bytes_to_server(), sent as u64);
    assert_eq!(
        proxy.bytes_to_client(),
        (PONG.len() + "+OK\r\n:1\r\n".len()) as u64
    );
    drop(stream);
    wait_for_active(&proxy, 0);
}

#[test]
fn cut_all_closes_open_connections_only() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let mut first = connect(&proxy);
    let mut second = connect(&proxy);
    assert_eq!(ping(&mut first), PONG);
    assert_eq!(ping(&mut second), PONG);
    proxy.cut_all();
    assert_eq!(read_until_closed(&mut first), b"");
    assert_eq!(read_until_closed(&mut second), b"");
    wait_for_active(&proxy, 0);
    // New connections are served as usual.
    let mut third = connect(&proxy);
    assert_eq!(ping(&mut third), PONG);
    assert_eq!(proxy.connections_accepted(), 3);
}

#[test]
fn cut_after_cuts_mid_reply_once() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let reply = store_value(&server, "big", 100);
    let mut stream = connect(&proxy);
    assert_eq!(ping(&mut stream), PONG);

    proxy.cut_after(10);
    stream.write_all(&raw::encode(&["GET", "big"])).unwrap();
    assert_eq!(read_until_closed(&mut stream), reply[..10]);
    assert_eq!(proxy.triggered_cuts(), 1);

    // One-shot: the next connection gets whole replies.
    let mut stream = connect(&proxy);
    stream.write_all(&raw::encode(&["GET", "big"])).unwrap();
    let mut whole = vec![0u8; reply.len()];
    stream.read_exact(&mut whole).unwrap();
    assert_eq!(whole, reply);
    assert_eq!(proxy.triggered_cuts(), 1);
}

#[test]
fn cut_after_zero_cuts_before_the_reply_and_waits_for_traffic() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    // Armed before any connection exists: the first one carrying a reply
    // takes it.
    proxy.cut_after(0);
    let mut stream = connect(&proxy);
    stream.write_all(PING).unwrap();
    assert_eq!(read_until_closed(&mut stream), b"");
    assert_eq!(proxy.triggered_cuts(), 1);
    assert_eq!(proxy.bytes_to_client(), 0);
}

#[test]
fn cut_after_counts_across_replies() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let mut stream = connect(&proxy);
    // 7 bytes of the first PONG, then 3 of the second.
    proxy.cut_after(10);
    assert_eq!(ping(&mut stream), PONG);
    stream.write_all(PING).unwrap();
    assert_eq!(read_until_closed(&mut stream), b"+PO");
}

#[test]
fn delay_slows_each_direction() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let mut stream = connect(&proxy);
    assert_eq!(ping(&mut stream), PONG);

    let delay = Duration::from_millis(400);
    proxy.set_delay(delay);
    let started = Instant::now();
    assert_eq!(ping(&mut stream), PONG);
    let slow = started.elapsed();
    assert!(slow >= delay * 2, "round trip took {slow:?}");

    proxy.set_delay(Duration::ZERO);
    let started = Instant::now();
    assert_eq!(ping(&mut stream), PONG);
    let fast = started.elapsed();
    assert!(fast < delay, "round trip without delay took {fast:?}");
}

#[test]
fn blackhole_holds_traffic_until_lifted() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let mut stream = connect(&proxy);
    assert_eq!(ping(&mut stream), PONG);
    let (to_server, to_client) = (proxy.bytes_to_server(), proxy.bytes_to_client());

    proxy.blackhole(true);
    stream.write_all(PING).unwrap();
    assert_silent(&mut stream, Duration::from_millis(500));
    assert_eq!(proxy.bytes_to_server(), to_server);
    // New connections are still accepted, and silent too.
    let mut other = connect(&proxy);
    other.write_all(PING).unwrap();
    assert_silent(&mut other, Duration::from_millis(200));
    assert_eq!(proxy.connections_accepted(), 2);
    assert_eq!(proxy.bytes_to_client(), to_client);

    proxy.blackhole(false);
    let mut reply = vec![0u8; PONG.len()];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(reply, PONG);
    other.read_exact(&mut reply).unwrap();
    assert_eq!(reply, PONG);
}

#[test]
fn drip_sends_one_byte_per_write() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let reply = store_value(&server, "dripped", 40);
    let mut stream = connect(&proxy);
    assert_eq!(ping(&mut stream), PONG);
    let writes_before = proxy.writes_to_client();

    proxy.drip(true);
    proxy.set_delay(Duration::from_millis(2));
    stream.write_all(&raw::encode(&["GET", "dripped"])).unwrap();
    let mut received = Vec::new();
    let mut reads = 0;
    let mut buf = [0u8; 256];
    while received.len() < reply.len() {
        let n = stream.read(&mut buf).unwrap();
        assert_ne!(n, 0, "closed after {received:?}");
        received.extend_from_slice(&buf[..n]);
        reads += 1;
    }
    assert_eq!(received, reply);
    assert_eq!(proxy.writes_to_client() - writes_before, reply.len() as u64);
    assert!(reads > 1, "a dripped reply arrived in one read");

    proxy.drip(false);
    proxy.set_delay(Duration::ZERO);
    let writes_before = proxy.writes_to_client();
    assert_eq!(ping(&mut stream), PONG);
    assert_eq!(proxy.writes_to_client() - writes_before, 1);
}

#[test]
fn refuse_closes_new_connections_only() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let mut open = connect(&proxy);
    assert_eq!(ping(&mut open), PONG);

    proxy.refuse(true);
    let mut refused = connect(&proxy);
    // The write may or may not fail depending on timing; the read shows it.
    let _ = refused.write_all(PING);
    assert_eq!(read_until_closed(&mut refused), b"");
    assert_eq!(proxy.connections_refused(), 1);
    assert_eq!(ping(&mut open), PONG);

    proxy.refuse(false);
    let mut again = connect(&proxy);
    assert_eq!(ping(&mut again), PONG);
    assert_eq!(proxy.connections_accepted(), 3);
}

#[test]
fn heal_clears_every_fault() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    proxy.set_delay(Duration::from_secs(5));
    proxy.drip(true);
    proxy.refuse(true);
    proxy.blackhole(true);
    proxy.cut_after(0);
    proxy.heal();
    let mut stream = connect(&proxy);
    let started = Instant::now();
    assert_eq!(ping(&mut stream), PONG);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(proxy.triggered_cuts(), 0);
}

#[test]
fn unreachable_target_closes_the_client() {
    let mut server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    server.stop();
    let mut stream = connect(&proxy);
    let _ = stream.write_all(PING);
    assert_eq!(read_until_closed(&mut stream), b"");
    // And forwarding resumes once the server is back on its port.
    server.restart();
    let mut stream = connect(&proxy);
    assert_eq!(ping(&mut stream), PONG);
}

#[test]
fn drop_closes_connections_and_the_listener() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let addr = proxy.addr();
    let mut stream = connect(&proxy);
    assert_eq!(ping(&mut stream), PONG);
    drop(proxy);
    assert_eq!(read_until_closed(&mut stream), b"");
    assert!(TcpStream::connect(addr).is_err());
    // The server itself is untouched.
    assert_eq!(server.cli(&["PING"]), "PONG");
}
