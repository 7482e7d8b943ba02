//! Encoder: [`Value`]s as RESP3 or RESP2 bytes.
//!
//! The client sends commands through [`Cmd`](crate::Cmd), not through here;
//! this writes replies, for fake servers, tests and the fuzz targets.

use bytes::{BufMut, BytesMut};

use crate::resp::Value;

/// Writes `value` as RESP3 into `out`.
///
/// Every [`Value`] has a RESP3 form, with two adjustments that keep the
/// stream well formed: a simple string containing CR or LF is written as a
/// bulk string, and such an error reply as a blob error (`!`). A
/// [`Value::BigNumber`] that is not an optional sign followed by digits is
/// written as a bulk string.
///
/// ```
/// use tornadis::bytes::BytesMut;
/// use tornadis::resp::encode_value;
/// use tornadis::Value;
///
/// let mut out = BytesMut::new();
/// encode_value(&Value::Map(vec![(Value::Bulk("a".into()), Value::Integer(1))]), &mut out);
/// assert_eq!(&out[..], b"%1\r\n$1\r\na\r\n:1\r\n");
/// ```
pub fn encode_value(value: &Value, out: &mut BytesMut) {
    encode(value, out, Protocol::Resp3);
}

/// Writes `value` as RESP2 into `out`, as a server speaking RESP2 would send it.
///
/// RESP3-only types take their RESP2 shapes: nil is `$-1`, maps are flat
/// arrays of keys and values, sets and pushes are arrays, doubles and big
/// numbers are bulk strings, booleans are the integers 1 and 0, a verbatim
/// string is a bulk string of its text, and an attribute is dropped in favour
/// of the value it annotates. CR and LF in a simple string make it a bulk
/// string; in an error reply they become spaces, as the server does.
pub fn encode_value_resp2(value: &Value, out: &mut BytesMut) {
    encode(value, out, Protocol::Resp2);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Resp2,
    Resp3,
}

fn encode(value: &Value, out: &mut BytesMut, proto: Protocol) {
    let resp3 = proto == Protocol::Resp3;
    match value {
        Value::Nil if resp3 => out.put_slice(b"_\r\n"),
        Value::Nil => out.put_slice(b"$-1\r\n"),
        Value::SimpleString(s) if has_newline(s) => bulk(b'$', s, out),
        Value::SimpleString(s) => line(b'+', s, out),
        Value::Error(e) => {
            let raw = e.as_bytes();
            if !has_newline(raw) {
                line(b'-', raw, out);
            } else if resp3 {
                bulk(b'!', raw, out);
            } else {
                out.reserve(raw.len() + 3);
                out.put_u8(b'-');
                out.extend(
                    raw.iter()
                        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
                );
                out.put_slice(b"\r\n");
            }
        }
        Value::Integer(i) => {
            out.put_u8(b':');
            out.put_slice(itoa::Buffer::new().format(*i).as_bytes());
            out.put_slice(b"\r\n");
        }
        Value::Bulk(b) => bulk(b'$', b, out),
        Value::Array(items) => seq(b'*', items, out, proto),
        Value::Set(items) => seq(if resp3 { b'~' } else { b'*' }, items, out, proto),
        Value::Push(items) => seq(if resp3 { b'>' } else { b'*' }, items, out, proto),
        Value::Map(pairs) if resp3 => pairs_of(b'%', pairs, out, proto),
        Value::Map(pairs) => {
            header(b'*', pairs.len().saturating_mul(2), out);
            for (k, v) in pairs {
                encode(k, out, proto);
                encode(v, out, proto);
            }
        }
        Value::Double(d) => {
            let mut buf = ryu::Buffer::new();
            let text: &[u8] = if d.is_nan() {
                b"nan"
            } else if d.is_infinite() {
                if *d > 0.0 {
                    b"inf"
                } else {
                    b"-inf"
                }
            } else {
                buf.format_finite(*d).as_bytes()
            };
            if resp3 {
                line(b',', text, out);
            } else {
                bulk(b'$', text, out);
            }
        }
        Value::Boolean(b) if resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Value::Boolean(b) => out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
        Value::BigNumber(n) if resp3 && is_big_number(n) => line(b'(', n, out),
        Value::BigNumber(n) => bulk(b'$', n, out),
        Value::Verbatim { format, text } if resp3 => {
            header(b'=', text.len().saturating_add(4), out);
            out.put_slice(format);
            out.put_u8(b':');
            out.put_slice(text);
            out.put_slice(b"\r\n");
        }
        Value::Verbatim { text, .. } => bulk(b'$', text, out),
        Value::Attribute { attributes, value } => {
            if resp3 {
                pairs_of(b'|', attributes, out, proto);
            }
            encode(value, out, proto);
        }
    }
}

/// Appends the RESP length line `<ty><n>\r\n` (of a bulk string, an
/// aggregate, a command's arguments); most lengths (under 100) in one
/// fixed-size copy.
#[inline]
pub(crate) fn header(ty: u8, n: usize, out: &mut BytesMut) {
    // Both digits are below 10, so the casts cannot truncate.
    if n < 10 {
        out.put_slice(&[ty, b'0' + n as u8, b'\r', b'\n']);
    } else if n < 100 {
        let (tens, ones) = ((n / 10) as u8, (n % 10) as u8);
        out.put_slice(&[ty, b'0' + tens, b'0' + ones, b'\r', b'\n']);
    } else {
        out.put_u8(ty);
        out.put_slice(itoa::Buffer::new().format(n).as_bytes());
        out.put_slice(b"\r\n");
    }
}

fn line(ty: u8, text: &[u8], out: &mut BytesMut) {
    out.reserve(text.len() + 3);
    out.put_u8(ty);
    out.put_slice(text);
    out.put_slice(b"\r\n");
}

fn bulk(ty: u8, payload: &[u8], out: &mut BytesMut) {
    header(ty, payload.len(), out);
    out.reserve(payload.len() + 2);
    out.put_slice(payload);
    out.put_slice(b"\r\n");
}

fn seq(ty: u8, items: &[Value], out: &mut BytesMut, proto: Protocol) {
    header(ty, items.len(), out);
    for item in items {
        encode(item, out, proto);
    }
}

fn pairs_of(ty: u8, pairs: &[(Value, Value)], out: &mut BytesMut, proto: Protocol) {
    header(ty, pairs.len(), out);
    for (k, v) in pairs {
        encode(k, out, proto);
        encode(v, out, proto);
    }
}

fn has_newline(text: &[u8]) -> bool {
    text.iter().any(|&b| b == b'\r' || b == b'\n')
}

fn is_big_number(text: &[u8]) -> bool {
    let digits = match text.first() {
        Some(b'-' | b'+') => text.get(1..).unwrap_or(&[]),
        _ => text,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}
