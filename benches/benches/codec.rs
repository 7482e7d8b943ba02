//! Codec microbenchmarks: tornadis's RESP decoder and command encoder beside
//! redis-rs's public parser (`redis::parse_redis_value`) and command packing.
//!
//! Run with `cargo bench -p tornadis-benches --bench codec`. Input buffers
//! are built outside the timed part (`iter_batched`): tornadis decodes from a
//! `BytesMut` it splits frames off, redis-rs parses from a byte slice.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tornadis::resp::Decoder;
use tornadis::{Cmd, Value};

/// `*1000` of 16-byte bulk strings.
fn array_frame() -> Vec<u8> {
    let mut out = b"*1000\r\n".to_vec();
    for i in 0..1000 {
        out.extend_from_slice(format!("$16\r\nvalue-{i:010}\r\n").as_bytes());
    }
    out
}

/// One bulk string of 1 MiB.
fn large_frame() -> Vec<u8> {
    let len = 1 << 20;
    let mut out = format!("${len}\r\n").into_bytes();
    out.resize(out.len() + len, b'x');
    out.extend_from_slice(b"\r\n");
    out
}

/// A RESP3 map of 100 entries: 16-byte field names to bulk and integer values.
fn map_frame() -> Vec<u8> {
    let mut out = b"%100\r\n".to_vec();
    for i in 0..100 {
        out.extend_from_slice(format!("$16\r\nfield-{i:010}\r\n").as_bytes());
        if i % 2 == 0 {
            out.extend_from_slice(format!("$8\r\nv-{i:06}\r\n").as_bytes());
        } else {
            out.extend_from_slice(format!(":{i}\r\n").as_bytes());
        }
    }
    out
}

fn decode_tornadis(decoder: &mut Decoder, mut buf: BytesMut) -> Value {
    match decoder.decode(&mut buf) {
        Ok(Some(v)) => v,
        other => panic!("the fixture did not decode: {other:?}"),
    }
}

fn decode_redis_rs(bytes: &[u8]) -> redis::Value {
    match redis::parse_redis_value(bytes) {
        Ok(v) => v,
        Err(e) => panic!("the fixture did not parse: {e}"),
    }
}

fn decoding(c: &mut Criterion) {
    let cases = [
        ("array_1000x16B", array_frame(), BatchSize::SmallInput),
        ("bulk_1MiB", large_frame(), BatchSize::LargeInput),
        ("resp3_map_100", map_frame(), BatchSize::SmallInput),
    ];
    for (name, frame, batch) in cases {
        // Check both sides decode the same shape before timing them.
        let mut decoder = Decoder::default();
        let ours = decode_tornadis(&mut decoder, BytesMut::from(&frame[..]));
        let theirs = decode_redis_rs(&frame);
        assert_eq!(shape(&ours), redis_shape(&theirs), "{name}");

        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function("tornadis", |b| {
            let mut decoder = Decoder::default();
            b.iter_batched(
                || BytesMut::from(&frame[..]),
                |buf| black_box(decode_tornadis(&mut decoder, buf)),
                batch,
            )
        });
        group.bench_function("redis-rs", |b| {
            b.iter(|| black_box(decode_redis_rs(black_box(&frame))))
        });
        group.finish();
    }
}

/// `(kind, element count or byte length)`, to compare decoders' results.
fn shape(v: &Value) -> (&'static str, usize) {
    match v {
        Value::Array(items) => ("array", items.len()),
        Value::Map(entries) => ("map", entries.len()),
        Value::Bulk(b) => ("bulk", b.len()),
        _ => ("other", 0),
    }
}

fn redis_shape(v: &redis::Value) -> (&'static str, usize) {
    match v {
        redis::Value::Array(items) => ("array", items.len()),
        redis::Value::Map(entries) => ("map", entries.len()),
        redis::Value::BulkString(b) => ("bulk", b.len()),
        _ => ("other", 0),
    }
}

/// Ten arguments, as an application would pass them: a name, keys, values
/// and numbers.
const KEYS: [&str; 4] = [
    "user:1000:name",
    "user:1000:email",
    "user:1000:visits",
    "user:1000:score",
];

fn encoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode/10_args");
    group.bench_function("tornadis", |b| {
        let mut out = BytesMut::with_capacity(4096);
        b.iter(|| {
            out.clear();
            let mut cmd = Cmd::new();
            cmd.arg("MSET")
                .arg(KEYS[0])
                .arg("Ada Lovelace")
                .arg(KEYS[1])
                .arg("ada@example.com")
                .arg(KEYS[2])
                .arg(black_box(12_345_i64))
                .arg(KEYS[3])
                .arg(black_box(98.5_f64))
                .arg("end");
            cmd.write_to(&mut out);
            black_box(out.len())
        })
    });
    group.bench_function("redis-rs", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            out.clear();
            let mut cmd = redis::cmd("MSET");
            cmd.arg(KEYS[0])
                .arg("Ada Lovelace")
                .arg(KEYS[1])
                .arg("ada@example.com")
                .arg(KEYS[2])
                .arg(black_box(12_345_i64))
                .arg(KEYS[3])
                .arg(black_box(98.5_f64))
                .arg("end");
            cmd.write_packed_command(&mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, decoding, encoding);
criterion_main!(benches);
