//! What the RESP decoder must guarantee for any input, shared by the fuzz
//! targets, and an input generator for running them without libFuzzer.
//!
//! [`decode_input`] takes the first byte of an input as a control byte (read
//! size and limits) and feeds the rest to a [`Decoder`]. It panics, which is
//! what a fuzzer reports, when any of these fails:
//! - the decoder does not panic, and fails only with protocol errors;
//! - an incomplete frame leaves the buffer untouched, and a frame never uses
//!   more bytes than were fed;
//! - decoding the input in one read and in many small reads gives the same
//!   frames and ends the same way (this exercises the resumable check);
//! - every decoded value, encoded again as RESP3, decodes to the same value
//!   in exactly the encoded length, and its RESP2 encoding decodes as well.

use tornadis::bytes::BytesMut;
use tornadis::resp::{encode_value, encode_value_resp2, Decoder, DecoderLimits, ServerError};
use tornadis::Value;

/// How a run over an input ended.
#[derive(Debug, PartialEq)]
enum End {
    /// With a protocol error, whose detail is kept.
    Error(String),
    /// With this many bytes left over as an incomplete frame.
    Incomplete(usize),
}

/// Checks every property listed in the crate documentation on one input.
pub fn decode_input(data: &[u8]) {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let limits = if control & 0x80 != 0 {
        DecoderLimits {
            max_depth: 4,
            max_bulk_len: 64,
            max_elements: 16,
            max_frame_len: 1024,
        }
    } else {
        DecoderLimits::default()
    };
    let chunk = match control & 0x0f {
        0 => 1,
        n => usize::from(n) * usize::from(n),
    };
    let (whole, whole_end) = run(input, input.len().max(1), limits);
    let (chunked, chunked_end) = run(input, chunk, limits);
    assert_eq!(
        whole_end, chunked_end,
        "one read and {chunk}-byte reads end differently"
    );
    assert_eq!(whole.len(), chunked.len(), "frame counts differ");
    for ((a, used_a), (b, used_b)) in whole.iter().zip(&chunked) {
        assert!(same(a, b), "frames differ: {a:?} vs {b:?}");
        assert_eq!(used_a, used_b);
    }
    for (value, _) in &whole {
        reencode(value);
    }
}

/// Feeds `input` to a fresh decoder in `chunk`-byte reads.
fn run(input: &[u8], chunk: usize, limits: DecoderLimits) -> (Vec<(Value, usize)>, End) {
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        fed += piece.len();
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(v)) => {
                    let used = before - buf.len();
                    assert!(
                        used > 0 && used <= fed,
                        "frame of {used} bytes from {fed} fed"
                    );
                    fed -= used;
                    frames.push((v, used));
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "an incomplete frame consumed bytes");
                    break;
                }
                Err(e) => {
                    assert!(e.is_protocol(), "unexpected error kind: {e}");
                    return (frames, End::Error(e.detail().to_owned()));
                }
            }
        }
    }
    (frames, End::Incomplete(buf.len()))
}

fn reencode(value: &Value) {
    let mut out = BytesMut::new();
    encode_value(value, &mut out);
    let len = out.len();
    let mut decoder = Decoder::default();
    match decoder.decode(&mut out) {
        Ok(Some(again)) => assert!(same(value, &again), "{value:?} came back as {again:?}"),
        other => panic!("re-encoded {value:?} ({len} bytes) decoded as {other:?}"),
    }
    assert!(
        out.is_empty(),
        "re-encoded {value:?} left {} bytes",
        out.len()
    );

    let mut out = BytesMut::new();
    encode_value_resp2(value, &mut out);
    match decoder.decode(&mut out) {
        Ok(Some(_)) if out.is_empty() => {}
        other => panic!("RESP2 encoding of {value:?} decoded as {other:?}"),
    }
}

/// Equality that treats every NaN as equal to every other NaN.
fn same(a: &Value, b: &Value) -> bool {
    let all =
        |x: &[Value], y: &[Value]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q));
    let pairs = |x: &[(Value, Value)], y: &[(Value, Value)]| {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
    };
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y))
        | (Value::Set(x), Value::Set(y))
        | (Value::Push(x), Value::Push(y)) => all(x, y),
        (Value::Map(x), Value::Map(y)) => pairs(x, y),
        (
            Value::Attribute {
                attributes: x,
                value: v,
            },
            Value::Attribute {
                attributes: y,
                value: w,
            },
        ) => pairs(x, y) && same(v, w),
        _ => a == b,
    }
}

/// A small xorshift generator: enough to drive input generation, and
/// reproducible from a seed.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from `seed` (zero is replaced, as xorshift would stay at zero).
    pub fn new(seed: u64) -> Self {
        XorShift(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (which must not be zero).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Pieces of RESP to build plausible-looking inputs from.
const TOKENS: &[&[u8]] = &[
    b"*",
    b"$",
    b"%",
    b"~",
    b">",
    b"|",
    b"=",
    b"!",
    b"(",
    b",",
    b"#",
    b"_",
    b":",
    b"+",
    b"-",
    b"\r\n",
    b"\r\n",
    b"\r\n",
    b"\r",
    b"\n",
    b"0",
    b"1",
    b"2",
    b"3",
    b"4",
    b"9",
    b"-1",
    b"-2",
    b"?",
    b";",
    b".",
    b"t",
    b"f",
    b"inf",
    b"-inf",
    b"nan",
    b"1.5",
    b"1e3",
    b"txt:",
    b"OK",
    b"ERR",
    b"99999999999999999999",
    b"9223372036854775808",
    b"4294967296",
];

/// Writes one generated input (control byte first) into `out`.
pub fn generate(rng: &mut XorShift, out: &mut Vec<u8>) {
    out.clear();
    out.push(rng.next_u64() as u8);
    match rng.below(4) {
        // Random bytes.
        0 => {
            let n = rng.below(64);
            out.extend((0..n).map(|_| rng.next_u64() as u8));
        }
        // A soup of RESP tokens.
        1 => {
            for _ in 0..rng.below(48) {
                out.extend_from_slice(TOKENS[rng.below(TOKENS.len())]);
            }
        }
        // Valid frames, sometimes damaged.
        _ => {
            let mut buf = BytesMut::new();
            for _ in 0..1 + rng.below(3) {
                encode_value(&random_value(rng, 4), &mut buf);
            }
            out.extend_from_slice(&buf);
            for _ in 0..rng.below(4) {
                let i = rng.below(out.len());
                match rng.below(4) {
                    0 => out[i] = rng.next_u64() as u8,
                    1 => {
                        out.remove(i);
                    }
                    2 => out.insert(i, rng.next_u64() as u8),
                    _ => {
                        let token = TOKENS[rng.below(TOKENS.len())];
                        let tail = out.split_off(i);
                        out.extend_from_slice(token);
                        out.extend_from_slice(&tail);
                    }
                }
            }
            if out.len() > 1 && rng.below(4) == 0 {
                let keep = 1 + rng.below(out.len() - 1);
                out.truncate(keep);
            }
        }
    }
}

fn random_bytes(rng: &mut XorShift) -> tornadis::bytes::Bytes {
    let n = rng.below(12);
    let text: Vec<u8> = (0..n)
        .map(|_| match rng.below(3) {
            0 => rng.next_u64() as u8,
            _ => b"ab\r\n:$*"[rng.below(7)],
        })
        .collect();
    text.into()
}

fn random_value(rng: &mut XorShift, depth: usize) -> Value {
    let kinds = if depth == 0 { 9 } else { 14 };
    let seq = |rng: &mut XorShift| {
        (0..rng.below(5))
            .map(|_| random_value(rng, depth - 1))
            .collect()
    };
    match rng.below(kinds) {
        0 => Value::Nil,
        1 => Value::SimpleString(
            random_bytes(rng)
                .iter()
                .copied()
                .filter(|&b| b != b'\r' && b != b'\n')
                .collect(),
        ),
        2 => Value::Error(ServerError::new(random_bytes(rng))),
        3 => Value::Integer(match rng.below(3) {
            0 => i64::MIN,
            1 => i64::MAX,
            _ => rng.next_u64() as i64 >> rng.below(64),
        }),
        4 => Value::Bulk(random_bytes(rng)),
        5 => Value::Double(match rng.below(4) {
            0 => f64::INFINITY,
            1 => f64::NAN,
            2 => (rng.next_u64() as i64 >> 20) as f64 / 1024.0,
            _ => f64::from_bits(rng.next_u64()),
        }),
        6 => Value::Boolean(rng.below(2) == 0),
        7 => Value::BigNumber(format!("-{}", rng.next_u64()).into()),
        8 => Value::Verbatim {
            format: *b"txt",
            text: random_bytes(rng),
        },
        9 => Value::Array(seq(rng)),
        10 => Value::Set(seq(rng)),
        11 => Value::Push(seq(rng)),
        12 => Value::Map(
            (0..rng.below(4))
                .map(|_| (random_value(rng, depth - 1), random_value(rng, depth - 1)))
                .collect(),
        ),
        _ => Value::Attribute {
            attributes: (0..rng.below(3))
                .map(|_| (random_value(rng, depth - 1), random_value(rng, depth - 1)))
                .collect(),
            value: Box::new(random_value(rng, depth - 1)),
        },
    }
}
