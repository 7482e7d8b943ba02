//! Property tests of the encoder and decoder together: round trips of random
//! value trees, streams split at every byte boundary, and random or corrupted
//! bytes that must never make the decoder panic.

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::resp::{encode_value, encode_value_resp2, Decoder, DecoderLimits, ServerError, Value};

fn any_bytes() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        vec(any::<u8>(), 0..24),
        // Payloads that look like RESP, to catch a decoder peeking into them.
        vec(
            prop::sample::select(b"\r\n$*:+-_%0123456789".to_vec()),
            0..24
        ),
    ]
    .prop_map(Bytes::from)
}

/// Text without CR or LF, which a simple string can hold.
fn line_text() -> impl Strategy<Value = Bytes> {
    any_bytes().prop_map(|b| {
        b.iter()
            .copied()
            .filter(|&c| c != b'\r' && c != b'\n')
            .collect()
    })
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        line_text().prop_map(Value::SimpleString),
        // Errors may hold newlines: RESP3 then carries them as blob errors.
        any_bytes().prop_map(|b| Value::Error(ServerError::new(b))),
        any::<i64>().prop_map(Value::Integer),
        any_bytes().prop_map(Value::Bulk),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |d| !d.is_nan())
            .prop_map(Value::Double),
        any::<bool>().prop_map(Value::Boolean),
        "-?[0-9]{1,40}".prop_map(|s| Value::BigNumber(Bytes::from(s))),
        (any::<[u8; 3]>(), any_bytes()).prop_map(|(format, text)| Value::Verbatim { format, text }),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            vec(inner.clone(), 0..8).prop_map(Value::Set),
            vec(inner.clone(), 0..8).prop_map(Value::Push),
            vec((inner.clone(), inner.clone()), 0..5).prop_map(Value::Map),
            (vec((inner.clone(), inner.clone()), 0..3), inner).prop_map(|(attributes, value)| {
                Value::Attribute {
                    attributes,
                    value: Box::new(value),
                }
            }),
        ]
    })
}

fn encode_all(values: &[Value]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for v in values {
        encode_value(v, &mut out);
    }
    out.to_vec()
}

/// Decodes every whole frame at the front of `buf`.
fn drain(d: &mut Decoder, buf: &mut BytesMut, into: &mut Vec<Value>) {
    while let Some(v) = d.decode(buf).expect("valid input") {
        into.push(v);
    }
}

/// Whether `got`, decoded from the RESP2 encoding of `sent`, is what the RESP2
/// form of `sent` should be.
fn resp2_matches(sent: &Value, got: &Value) -> bool {
    let all = |a: &[Value], b: &[Value]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| resp2_matches(x, y))
    };
    match (sent, got) {
        (Value::Array(a) | Value::Set(a) | Value::Push(a), Value::Array(b)) => all(a, b),
        (Value::Map(pairs), Value::Array(flat)) => {
            let a: Vec<Value> = pairs
                .iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect();
            all(&a, flat)
        }
        (Value::Attribute { value, .. }, got) => resp2_matches(value, got),
        (Value::Double(d), Value::Bulk(text)) => std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .is_some_and(|e| e == *d),
        (Value::Boolean(b), Value::Integer(i)) => i64::from(*b) == *i,
        (Value::BigNumber(n) | Value::Verbatim { text: n, .. }, Value::Bulk(b)) => n == b,
        (Value::Error(e), Value::Error(g)) => {
            let clean: Vec<u8> = e
                .as_bytes()
                .iter()
                .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
                .collect();
            clean == g.as_bytes()
        }
        _ => sent == got,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(v in value()) {
        let mut buf = BytesMut::from(&encode_all(std::slice::from_ref(&v))[..]);
        let got = Decoder::default().decode(&mut buf).unwrap();
        prop_assert_eq!(got, Some(v));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn resp2_round_trip(v in value()) {
        let mut out = BytesMut::new();
        encode_value_resp2(&v, &mut out);
        let got = Decoder::default().decode(&mut out).unwrap().unwrap();
        prop_assert!(out.is_empty());
        prop_assert!(resp2_matches(&v, &got), "sent {:?}\ngot {:?}", v, got);
    }

    #[test]
    fn resp2_has_no_resp3_types(v in value()) {
        let mut out = BytesMut::new();
        encode_value_resp2(&v, &mut out);
        fn only_resp2(v: &Value) -> bool {
            match v {
                Value::Array(items) => items.iter().all(only_resp2),
                Value::Nil | Value::SimpleString(_) | Value::Error(_)
                | Value::Integer(_) | Value::Bulk(_) => true,
                _ => false,
            }
        }
        let got = Decoder::default().decode(&mut out).unwrap().unwrap();
        prop_assert!(only_resp2(&got), "{:?}", got);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn split_at_every_byte(values in vec(value(), 1..4)) {
        let input = encode_all(&values);
        for cut in 0..=input.len() {
            let mut d = Decoder::default();
            let mut buf = BytesMut::from(&input[..cut]);
            let mut got = Vec::new();
            drain(&mut d, &mut buf, &mut got);
            buf.extend_from_slice(&input[cut..]);
            drain(&mut d, &mut buf, &mut got);
            prop_assert_eq!(&got, &values, "split at {}", cut);
            prop_assert!(buf.is_empty());
        }
    }

    #[test]
    fn one_byte_at_a_time(values in vec(value(), 1..4)) {
        let input = encode_all(&values);
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for &byte in &input {
            buf.extend_from_slice(&[byte]);
            drain(&mut d, &mut buf, &mut got);
        }
        prop_assert_eq!(&got, &values);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn random_chunks(values in vec(value(), 1..6), sizes in vec(1usize..64, 1..16)) {
        let input = encode_all(&values);
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut at = 0;
        for size in sizes.iter().cycle() {
            if at >= input.len() {
                break;
            }
            let end = (at + size).min(input.len());
            buf.extend_from_slice(&input[at..end]);
            at = end;
            drain(&mut d, &mut buf, &mut got);
        }
        prop_assert_eq!(&got, &values);
    }
}

/// Feeds `input` in `chunk`-byte reads and decodes until an error or the end,
/// checking that no frame claims more bytes than were fed.
fn feed_garbage(input: &[u8], chunk: usize, limits: DecoderLimits) {
    let mut d = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut fed = 0;
    for piece in input.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        fed += piece.len();
        loop {
            let before = buf.len();
            match d.decode(&mut buf) {
                Ok(Some(_)) => {
                    let used = before - buf.len();
                    assert!(used > 0 && used <= before && used <= fed);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "incomplete must not consume");
                    break;
                }
                Err(e) => {
                    assert!(e.is_protocol());
                    return;
                }
            }
        }
    }
}

fn small_limits() -> DecoderLimits {
    DecoderLimits {
        max_depth: 4,
        max_bulk_len: 64,
        max_elements: 16,
        max_frame_len: usize::MAX,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(input in vec(any::<u8>(), 0..256), chunk in 1usize..32) {
        feed_garbage(&input, chunk, DecoderLimits::default());
        feed_garbage(&input, chunk, small_limits());
    }

    #[test]
    fn resp_alphabet_never_panics(
        input in vec(prop::sample::select(b"\r\n$*%~>|!=(,#_:+-?;.0123456789tfinax".to_vec()), 0..256),
        chunk in 1usize..32,
    ) {
        feed_garbage(&input, chunk, DecoderLimits::default());
        feed_garbage(&input, chunk, small_limits());
    }

    #[test]
    fn corrupted_streams_never_panic(
        values in vec(value(), 1..4),
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        chunk in 1usize..64,
    ) {
        let mut input = encode_all(&values);
        for (at, byte, op) in edits {
            if input.is_empty() {
                break;
            }
            let i = at.index(input.len());
            match op {
                0 => input[i] = byte,
                1 => { input.remove(i); }
                _ => input.insert(i, byte),
            }
        }
        feed_garbage(&input, chunk, DecoderLimits::default());
        feed_garbage(&input, chunk, small_limits());
    }
}

#[test]
fn encoder_keeps_the_stream_well_formed() {
    let cases = [
        (
            Value::SimpleString(Bytes::from_static(b"a\r\nb")),
            Value::Bulk(Bytes::from_static(b"a\r\nb")),
        ),
        (
            Value::BigNumber(Bytes::from_static(b"12\r\n")),
            Value::Bulk(Bytes::from_static(b"12\r\n")),
        ),
    ];
    for (sent, expected) in cases {
        let mut out = BytesMut::new();
        encode_value(&sent, &mut out);
        let got = Decoder::default().decode(&mut out).unwrap();
        assert_eq!(got, Some(expected));
        assert!(out.is_empty());
    }
    let mut out = BytesMut::new();
    encode_value_resp2(
        &Value::Error(ServerError::new(Bytes::from_static(b"ERR a\r\nb"))),
        &mut out,
    );
    assert_eq!(&out[..], b"-ERR a  b\r\n");
}

#[test]
fn encoder_fixtures() {
    let enc = |v: Value| {
        let mut out = BytesMut::new();
        encode_value(&v, &mut out);
        out.to_vec()
    };
    let enc2 = |v: Value| {
        let mut out = BytesMut::new();
        encode_value_resp2(&v, &mut out);
        out.to_vec()
    };
    let s = |t: &'static str| Bytes::from_static(t.as_bytes());
    assert_eq!(enc(Value::Nil), b"_\r\n");
    assert_eq!(enc2(Value::Nil), b"$-1\r\n");
    assert_eq!(enc(Value::Integer(-5)), b":-5\r\n");
    assert_eq!(enc(Value::Double(1.5)), b",1.5\r\n");
    assert_eq!(enc(Value::Double(f64::NEG_INFINITY)), b",-inf\r\n");
    assert_eq!(enc(Value::Double(f64::NAN)), b",nan\r\n");
    assert_eq!(enc2(Value::Double(2.0)), b"$3\r\n2.0\r\n");
    assert_eq!(enc(Value::Boolean(true)), b"#t\r\n");
    assert_eq!(enc2(Value::Boolean(false)), b":0\r\n");
    assert_eq!(enc(Value::BigNumber(s("-12"))), b"(-12\r\n");
    assert_eq!(
        enc(Value::Verbatim {
            format: *b"txt",
            text: s("hi")
        }),
        b"=6\r\ntxt:hi\r\n"
    );
    assert_eq!(
        enc2(Value::Verbatim {
            format: *b"txt",
            text: s("hi")
        }),
        b"$2\r\nhi\r\n"
    );
    assert_eq!(
        enc(Value::Error(ServerError::new(s("ERR x")))),
        b"-ERR x\r\n"
    );
    assert_eq!(
        enc(Value::Error(ServerError::new(s("E\nx")))),
        b"!3\r\nE\nx\r\n"
    );
    assert_eq!(enc(Value::Set(vec![Value::Integer(1)])), b"~1\r\n:1\r\n");
    assert_eq!(enc2(Value::Set(vec![Value::Integer(1)])), b"*1\r\n:1\r\n");
    assert_eq!(enc(Value::Push(vec![])), b">0\r\n");
    assert_eq!(enc2(Value::Push(vec![])), b"*0\r\n");
    let map = Value::Map(vec![(Value::SimpleString(s("k")), Value::Nil)]);
    assert_eq!(enc(map.clone()), b"%1\r\n+k\r\n_\r\n");
    assert_eq!(enc2(map), b"*2\r\n+k\r\n$-1\r\n");
    let attr = Value::Attribute {
        attributes: vec![(Value::Integer(1), Value::Integer(2))],
        value: Box::new(Value::Bulk(s("v"))),
    };
    assert_eq!(enc(attr.clone()), b"|1\r\n:1\r\n:2\r\n$1\r\nv\r\n");
    assert_eq!(enc2(attr), b"$1\r\nv\r\n");
}
