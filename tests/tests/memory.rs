//! Resource bounds: memory stays flat under sustained load, the read buffer
//! gives back the memory of a 64 MB reply, and the request queue is bounded
//! with backpressure.
//!
//! Memory is this process's resident set size (`VmRSS` in
//! /proc/self/status). The tests of this file take turns (RSS is per
//! process) and do their own warm-up before the baseline.
//! `TORNADIS_MEMORY_OPS` sets the operations of the load test (default below).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tornadis::{Client, Value};
use tornadis_tests::fake_server::{FakeServer, Handshake, Reply};
use tornadis_tests::RedisServer;

/// The tests here measure the whole process: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Operations in the default load run: as many as fit in about 15 s of a
/// debug build on a loaded two-core machine. 1,000,000 with the env var.
const DEFAULT_OPS: u64 = 250_000;

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// Runs `ops` SET/GET operations from 64 tasks and checks every reply.
async fn load(c: &Client, ops: u64) {
    let issued = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..64u64)
        .map(|t| {
            let (c, issued) = (c.clone(), issued.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while issued.fetch_add(2, Ordering::Relaxed) < ops {
                    i += 1;
                    let key = format!("mem:{t}:{}", i % 64);
                    let value = format!("{t}:{i}:{}", "x".repeat(64));
                    c.call(("SET", key.as_str(), value.as_str())).await.unwrap();
                    let got: String = c.call_as(("GET", key.as_str())).await.unwrap();
                    assert_eq!(got, value);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_flat_under_sustained_load() {
    let _serial = SERIAL.lock().await;
    let ops: u64 = std::env::var("TORNADIS_MEMORY_OPS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(DEFAULT_OPS);
    let server = RedisServer::start();
    let c = Client::from_url(&server.url()).unwrap();
    // Warm-up: buffers, allocator arenas and the runtime reach their
    // working size.
    load(&c, 40_000).await;
    let before = rss_kib();
    let started = Instant::now();
    let mut samples = Vec::new();
    let chunks = 4;
    for _ in 0..chunks {
        load(&c, ops / chunks).await;
        samples.push(rss_kib());
    }
    let elapsed = started.elapsed();
    let after = rss_kib();
    let peak = status_kib("VmHWM:");
    println!(
        "memory under load: {ops} ops in {elapsed:.1?} ({:.0} ops/s); RSS before {before} KiB, \
         during {samples:?} KiB, after {after} KiB (delta {} KiB), peak {peak} KiB",
        ops as f64 / elapsed.as_secs_f64(),
        after as i64 - before as i64,
    );
    // Flat: the allowance is 2 bytes per operation (488 KiB over the
    // default 250,000), so a leak of a few bytes per operation fails it.
    // Measured: under 100 KiB of growth over the whole run, most of it in
    // the first chunk.
    let allowance_kib = (ops * 2 / 1024).max(256);
    assert!(
        after <= before + allowance_kib,
        "RSS grew from {before} KiB to {after} KiB over {ops} operations \
         (allowance {allowance_kib} KiB, 2 bytes per operation)"
    );
    assert_eq!(c.connection_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_buffer_shrinks_after_a_64_mb_reply() {
    let _serial = SERIAL.lock().await;
    let server = RedisServer::start();
    const BIG: usize = 64 * 1024 * 1024;
    // A 64 MB string made on the server, so this process never holds it
    // except as the reply under test.
    server.cli(&["SETRANGE", "big", &(BIG - 1).to_string(), "x"]);
    let c = Client::from_url(&server.url()).unwrap();
    for i in 0..1000 {
        c.call(("SET", "small", i)).await.unwrap();
    }
    let before = rss_kib();
    let reply = c.call(("GET", "big")).await.unwrap();
    let during = rss_kib();
    match &reply {
        Value::Bulk(b) => {
            assert_eq!(b.len(), BIG);
            assert_eq!(b.last(), Some(&b'x'));
        }
        other => panic!("GET big: {}", other.shape()),
    }
    drop(reply);
    // More traffic on the same connection, as a real client would have.
    for i in 0..1000 {
        let v: i64 = c.call_as(("INCR", "small")).await.unwrap();
        assert_eq!(v, 1000 + i);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after = rss_kib();
    println!("64 MB reply: RSS before {before} KiB, holding it {during} KiB, after {after} KiB");
    // The measurement sees the reply...
    assert!(
        during >= before + 60 * 1024,
        "RSS did not show the 64 MB reply: {before} -> {during} KiB"
    );
    // ...and its memory (and the buffer it was read into) is given back.
    assert!(
        after < before + 16 * 1024,
        "RSS stayed up after the reply was dropped: {before} -> {during} -> {after} KiB"
    );
    assert_eq!(c.connection_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_queue_is_bounded_with_backpressure() {
    let _serial = SERIAL.lock().await;
    // A server that takes every request and answers none.
    let server = FakeServer::start(Handshake::Resp3, |_| Reply::Silence);
    let limit = 16;
    let c = Client::builder()
        .port(server.port())
        .max_pending_requests(limit)
        .read_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    c.connect().await.unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.call(("GET", format!("k{i}"))).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Only `limit` requests were let through; the others wait for room.
    assert_eq!(server.commands(), limit as u64);
    // Callers that cannot wait are refused while the queue is full.
    let e = c.async_call_forget(("GET", "x")).unwrap_err();
    assert!(e.is_client(), "{e}");
    // The read timeout fails the requests in flight; waiting ones then
    // go through, a batch at a time, and every task ends.
    for t in tasks {
        let e = tokio::time::timeout(Duration::from_secs(20), t)
            .await
            .expect("a request waited forever for room")
            .unwrap()
            .unwrap_err();
        assert!(e.is_timeout(), "{e}");
    }
    assert_eq!(server.commands(), 100);
}
