//! [`FromValue`]: turning a reply into a Rust type, and the scalar impls
//! (unit, booleans, numbers, strings, bytes, `Option`, smart pointers).
//!
//! Collections, maps and tuples are in `collections.rs`; serde is in `de.rs`.

use std::borrow::Cow;
use std::fmt;
use std::num::{IntErrorKind, ParseIntError};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::Error;
use crate::resp::Value;

/// A Rust type that a reply can be decoded into.
///
/// Replies are normalised so that one type works with both protocols: a RESP3
/// map and a RESP2 flat array of field/value pairs both decode into a
/// `HashMap`, a RESP3 double and a RESP2 bulk string `"3.14"` both decode into
/// an `f64`, and so on. Attributes (RESP3 `|`) are skipped over, and an error
/// reply, at the top or nested in an aggregate, becomes an
/// [`ErrorKind::Server`](crate::ErrorKind::Server) error. A nil reply decodes
/// only into `Option` (and [`Value`]); anything else reports a decode error.
///
/// | Rust type | accepted replies |
/// |---|---|
/// | `()` | any simple string (`+OK`, `+QUEUED`); use [`Value`] to ignore any reply |
/// | `bool` | integer 0/1, RESP3 boolean, simple string `OK` (true), text `1`/`0`/`true`/`false` |
/// | integers | integer, big number, integral double, or text holding a decimal integer, range-checked |
/// | `f32`, `f64` | double, integer, big number, or text such as `3.14`, `inf`, `-inf`, `nan` |
/// | `String`, `Bytes` | bulk, simple or verbatim string; integers and doubles as their decimal text |
/// | `Vec<u8>` | the bytes of a string reply (or an array of small integers) |
/// | `Vec<T>`, `VecDeque<T>`, sets | array, set or push; a map gives its keys and values in turn |
/// | `Vec<(K, V)>`, `HashMap`, `BTreeMap` | map, flat array of 2n elements, or array of pairs |
/// | tuples `(A, ..)` up to 12 | an array of exactly that many elements |
/// | `Option<T>` | nil as `None`, anything else as `T` (also inside collections) |
/// | [`Value`] | anything, untouched (error replies nested in it are kept) |
///
/// Error messages name the Rust type and the shape of the reply, e.g.
/// `expected a map for HashMap<String, String>, got array of 3 elements`.
///
/// ```
/// use tornadis::{FromValue, Value};
///
/// let reply = Value::Array(vec![Value::Bulk("name".into()), Value::Bulk("ada".into())]);
/// let map: std::collections::HashMap<String, String> = FromValue::from_value(reply)?;
/// assert_eq!(map["name"], "ada");
/// # Ok::<(), tornadis::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "a Redis reply cannot be decoded into `{Self}`",
    label = "`{Self}` does not implement `FromValue`",
    note = "replies decode into `String`, `Bytes`, integers, floats, `bool`, `()`, `Option<T>`, `Vec<T>`, `HashMap<K, V>`, `HashSet<T>`, tuples and `tornadis::Value`",
    note = "for a type that implements serde's `Deserialize`, ask for `tornadis::Serde<{Self}>` (or `Option<Serde<{Self}>>` when the key may be missing)"
)]
pub trait FromValue: Sized {
    /// Decodes `value`, or explains which shape was expected and which was received.
    fn from_value(value: Value) -> Result<Self, Error>;

    /// Decodes a list of `Self`; `list` is the list type's name, for messages.
    ///
    /// Not part of the public contract: it lets `Vec<u8>` mean the bytes of a
    /// string reply and `Vec<(K, V)>` accept field/value pairs, while `Vec<T>`
    /// stays one generic impl.
    #[doc(hidden)]
    fn from_value_list(value: Value, list: &'static str) -> Result<Vec<Self>, Error> {
        decode_list(value, list)
    }
}

/// Decodes every element of an array-like reply as a `T`.
fn decode_list<T: FromValue>(value: Value, list: &'static str) -> Result<Vec<T>, Error> {
    list_items(value, list)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| T::from_value(v).map_err(|e| at_element(e, i)))
        .collect()
}

/// The elements of an array, set or push reply; a map gives its keys and values
/// in turn, as the same command would send them in RESP2.
fn list_items(value: Value, list: &'static str) -> Result<Vec<Value>, Error> {
    match reply(value)? {
        Value::Array(items) | Value::Set(items) | Value::Push(items) => Ok(items),
        Value::Map(pairs) => Ok(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        other => Err(unexpected(list, "an array", &other)),
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, Error> {
        Ok(value)
    }
}

// ---------------------------------------------------------------------------
// Helpers shared by the impls and the serde deserializer.

/// Skips attributes and turns an error reply into a server error.
#[inline(always)]
pub(crate) fn reply(mut value: Value) -> Result<Value, Error> {
    loop {
        match value {
            Value::Attribute { value: inner, .. } => value = *inner,
            Value::Error(e) => return Err(Error::from_server(e)),
            other => return Ok(other),
        }
    }
}

/// `expected {what} for {type}, got {shape}`.
pub(crate) fn unexpected(type_name: &str, what: &str, got: &Value) -> Error {
    Error::decode(format!(
        "expected {what} for {}, got {}",
        short_type_name(type_name),
        got.shape()
    ))
}

/// Adds where in an aggregate a decode error happened; other kinds pass through.
pub(crate) fn in_context(err: Error, context: fmt::Arguments<'_>) -> Error {
    if err.is_decode() {
        Error::decode(format!("{} ({context})", err.detail()))
    } else {
        err
    }
}

pub(crate) fn at_element(err: Error, index: usize) -> Error {
    in_context(err, format_args!("at element {index}"))
}

/// `std::collections::hash::map::HashMap<alloc::string::String, u8>` → `HashMap<String, u8>`.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    for (i, c) in full.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            continue;
        }
        push_last_segment(&mut out, full.get(segment_start..i).unwrap_or(""));
        out.push(c);
        segment_start = i + c.len_utf8();
    }
    push_last_segment(&mut out, full.get(segment_start..).unwrap_or(""));
    out
}

fn push_last_segment(out: &mut String, path: &str) {
    out.push_str(path.rsplit("::").next().unwrap_or(path));
}

/// The text of a string-like reply (bulk, simple, verbatim), or of a number
/// rendered in decimal; `Err` gives the value back for other shapes.
#[inline]
pub(crate) fn text_bytes(value: Value) -> Result<Bytes, Value> {
    match value {
        Value::Bulk(b) | Value::SimpleString(b) | Value::BigNumber(b) => Ok(b),
        Value::Verbatim { text, .. } => Ok(text),
        Value::Integer(i) => Ok(Bytes::copy_from_slice(
            itoa::Buffer::new().format(i).as_bytes(),
        )),
        Value::Double(d) => Ok(Bytes::from(format_double(d))),
        other => Err(other),
    }
}

/// Formats a double the way Redis writes scores: integral values without a
/// fraction, infinities as `inf`/`-inf`.
fn format_double(d: f64) -> String {
    if d.is_nan() {
        "nan".into()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.into()
    } else if d.fract() == 0.0 && d.abs() < 1e17 {
        // Exact: every integer below 2^53 < 1e17 is representable, and
        // larger integral doubles are still exact integers when cast.
        itoa::Buffer::new().format(d as i64).to_owned()
    } else {
        ryu::Buffer::new().format_finite(d).to_owned()
    }
}

/// True for reply shapes that carry text (as opposed to aggregates, nil, booleans).
fn is_text(value: &Value) -> bool {
    matches!(
        value,
        Value::Bulk(_) | Value::SimpleString(_) | Value::Verbatim { .. } | Value::BigNumber(_)
    )
}

// ---------------------------------------------------------------------------
// Scalars.

/// Accepts any simple string (`+OK`, `+QUEUED`, ...), the reply of commands
/// that only acknowledge. Anything else, nil included, is a decode error;
/// decode into [`Value`] to accept and ignore any reply.
impl FromValue for () {
    fn from_value(value: Value) -> Result<Self, Error> {
        match reply(value)? {
            Value::SimpleString(_) => Ok(()),
            other => Err(unexpected("()", "a simple string such as OK", &other)),
        }
    }
}

/// Accepts the integers 0 and 1, a RESP3 boolean, the simple string `OK`
/// (true: the command did what was asked), and the texts `1`, `0`, `true`,
/// `false` (any case). Nil is an error, not `false`: decode into
/// `Option<bool>` when the reply may be nil.
impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, Error> {
        match reply(value)? {
            Value::Boolean(b) => Ok(b),
            Value::Integer(0) => Ok(false),
            Value::Integer(1) => Ok(true),
            Value::SimpleString(s) if s.as_ref() == b"OK" => Ok(true),
            other if is_text(&other) => {
                let shape = other.shape();
                match text_bytes(other) {
                    Ok(t) => parse_bool(&t).ok_or_else(|| {
                        Error::decode(format!(
                            "expected 1, 0, true or false for bool, got {shape}"
                        ))
                    }),
                    Err(other) => Err(unexpected("bool", "an integer 0 or 1 or a boolean", &other)),
                }
            }
            other => Err(unexpected("bool", "an integer 0 or 1 or a boolean", &other)),
        }
    }
}

fn parse_bool(text: &[u8]) -> Option<bool> {
    match text {
        b"1" => Some(true),
        b"0" => Some(false),
        t if t.eq_ignore_ascii_case(b"true") => Some(true),
        t if t.eq_ignore_ascii_case(b"false") => Some(false),
        _ => None,
    }
}

/// Parses decimal text as `T`, with a message naming `T` and the reply's shape.
fn parse_text<T: FromStr>(
    text: &[u8],
    shape: &str,
    what: &str,
    problem: impl Fn(&T::Err) -> &'static str,
) -> Result<T, Error> {
    let type_name = short_type_name(std::any::type_name::<T>());
    let s = std::str::from_utf8(text).map_err(|_| {
        Error::decode(format!(
            "expected {what} for {type_name}, got {shape} that is not UTF-8"
        ))
    })?;
    s.parse::<T>().map_err(|e| {
        Error::decode(format!(
            "expected {what} for {type_name}, got {shape} holding {}",
            problem(&e)
        ))
    })
}

fn int_problem(e: &ParseIntError) -> &'static str {
    match e.kind() {
        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "a number out of range",
        _ => "no decimal integer",
    }
}

/// Accepts an integer, a big number, an integral double, a RESP3 boolean
/// (as 1/0), or text holding a decimal integer; out of range is an error.
fn decode_integer<T>(value: Value) -> Result<T, Error>
where
    T: TryFrom<i64> + TryFrom<i128> + FromStr<Err = ParseIntError> + From<bool>,
{
    const WHAT: &str = "an integer";
    let type_name = std::any::type_name::<T>();
    let out_of_range = |got: &Value| {
        Error::decode(format!(
            "{} is out of range for {}",
            got.shape(),
            short_type_name(type_name)
        ))
    };
    match reply(value)? {
        Value::Integer(i) => T::try_from(i).map_err(|_| out_of_range(&Value::Integer(i))),
        // Doubles are exact integers when integral; i128 covers every T's
        // range except u128's top, where doubles are too coarse anyway.
        Value::Double(d) if d.fract() == 0.0 && (-1.7e38..=1.7e38).contains(&d) => {
            T::try_from(d as i128).map_err(|_| out_of_range(&Value::Double(d)))
        }
        Value::Boolean(b) => Ok(T::from(b)),
        other if is_text(&other) => {
            let shape = other.shape();
            match text_bytes(other) {
                Ok(t) => parse_text::<T>(&t, &shape, WHAT, int_problem),
                Err(other) => Err(unexpected(type_name, WHAT, &other)),
            }
        }
        other => Err(unexpected(type_name, WHAT, &other)),
    }
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        /// Accepts an integer, a big number, an integral double, a RESP3
        /// boolean (as 1/0), or text holding a decimal integer; values out of
        /// range are decode errors.
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, Error> {
                decode_integer(value)
            }
        }
    )*};
}
integer!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

macro_rules! float {
    ($($t:ty),*) => {$(
        /// Accepts a double, an integer, a big number, or text such as `3.14`,
        /// `inf`, `-inf` or `nan`.
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, Error> {
                const WHAT: &str = "a number";
                match reply(value)? {
                    Value::Double(d) => Ok(d as $t),
                    Value::Integer(i) => Ok(i as $t),
                    other if is_text(&other) => {
                        let shape = other.shape();
                        match text_bytes(other) {
                            Ok(t) => parse_text::<$t>(&t, &shape, WHAT, |_| "no number"),
                            Err(other) => Err(unexpected(stringify!($t), WHAT, &other)),
                        }
                    }
                    other => Err(unexpected(stringify!($t), WHAT, &other)),
                }
            }
        }
    )*};
}
float!(f32, f64);

/// Accepts a bulk, simple or verbatim string that is valid UTF-8, and renders
/// integers, big numbers and doubles in decimal.
impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, Error> {
        match text_bytes(reply(value)?) {
            Ok(b) => String::from_utf8(b.into()).map_err(|e| {
                Error::decode(format!(
                    "expected UTF-8 text for String, got bulk string of {} bytes that is not UTF-8 \
                     (invalid byte at offset {}); decode into Bytes or Vec<u8> for binary data",
                    e.as_bytes().len(),
                    e.utf8_error().valid_up_to()
                ))
            }),
            Err(other) => Err(unexpected("String", "a string", &other)),
        }
    }
}

/// Accepts a bulk, simple or verbatim string without copying it, and renders
/// integers, big numbers and doubles in decimal.
impl FromValue for Bytes {
    #[inline]
    fn from_value(value: Value) -> Result<Self, Error> {
        text_bytes(reply(value)?).map_err(|other| unexpected("Bytes", "a string", &other))
    }
}

/// Like the other integers; and `Vec<u8>` is the bytes of a string reply.
impl FromValue for u8 {
    fn from_value(value: Value) -> Result<Self, Error> {
        decode_integer(value)
    }

    /// `Vec<u8>` is the bytes of a string reply; an array still decodes element by element.
    fn from_value_list(value: Value, list: &'static str) -> Result<Vec<Self>, Error> {
        match text_bytes(reply(value)?) {
            Ok(b) => Ok(b.into()),
            Err(other) => decode_list(other, list),
        }
    }
}

/// `Option<T>`: nil (at any depth of attributes) is `None`; an error reply is
/// still an error, not `None`.
/// `None` for nil, and for an empty array, map or set that `T` cannot be
/// built from: Redis answers a missing hash (HGETALL), list or set with an
/// empty aggregate rather than nil, so `Option<Serde<Session>>` reads a
/// missing session as `None`. A `T` that accepts the empty aggregate (a
/// `Vec`, a `HashMap`) gets it: `Some(vec![])`.
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        match reply(value)? {
            Value::Nil => Ok(None),
            Value::Array(a) if a.is_empty() => Ok(T::from_value(Value::Array(a)).ok()),
            Value::Map(m) if m.is_empty() => Ok(T::from_value(Value::Map(m)).ok()),
            Value::Set(s) if s.is_empty() => Ok(T::from_value(Value::Set(s)).ok()),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Box<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value(value).map(Box::new)
    }
}

impl<T: FromValue> FromValue for Arc<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value(value).map(Arc::new)
    }
}

impl<T: FromValue> FromValue for Rc<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value(value).map(Rc::new)
    }
}

impl FromValue for Cow<'static, str> {
    fn from_value(value: Value) -> Result<Self, Error> {
        String::from_value(value).map(Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::ServerError;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }
    fn simple(s: &str) -> Value {
        Value::SimpleString(Bytes::copy_from_slice(s.as_bytes()))
    }
    fn server_error(s: &str) -> Value {
        Value::Error(ServerError::new(Bytes::copy_from_slice(s.as_bytes())))
    }
    fn decode<T: FromValue>(v: Value) -> Result<T, Error> {
        T::from_value(v)
    }
    /// Asserts a decode error whose message holds every one of `parts`.
    fn decode_err<T: FromValue + fmt::Debug>(v: Value, parts: &[&str]) -> Error {
        let e = decode::<T>(v).expect_err("decoding should fail");
        assert!(e.is_decode(), "not a decode error: {e:?}");
        for p in parts {
            assert!(e.detail().contains(p), "{:?} lacks {p:?}", e.detail());
        }
        e
    }

    #[test]
    fn short_type_names_drop_module_paths() {
        assert_eq!(
            short_type_name(std::any::type_name::<
                std::collections::HashMap<String, Vec<Option<u8>>>,
            >()),
            "HashMap<String, Vec<Option<u8>>>"
        );
        assert_eq!(
            short_type_name(std::any::type_name::<(i64, Bytes, [u8; 2])>()),
            "(i64, Bytes, [u8; 2])"
        );
        assert_eq!(short_type_name("a sequence"), "a sequence");
    }

    #[test]
    fn doubles_format_like_redis_scores() {
        assert_eq!(format_double(1.0), "1");
        assert_eq!(format_double(-2.5), "-2.5");
        assert_eq!(format_double(0.1), "0.1");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_double(f64::NAN), "nan");
        assert_eq!(format_double(1e300), "1e300");
    }

    #[test]
    fn value_is_untouched() {
        let v = Value::Array(vec![server_error("ERR x"), Value::Nil]);
        assert_eq!(decode::<Value>(v.clone()).unwrap(), v);
    }

    #[test]
    fn unit_accepts_any_simple_string() {
        decode::<()>(simple("OK")).unwrap();
        decode::<()>(simple("QUEUED")).unwrap();
        decode::<()>(Value::Attribute {
            attributes: vec![],
            value: Box::new(simple("OK")),
        })
        .unwrap();
        decode_err::<()>(bulk("OK"), &["()", "bulk string of 2 bytes"]);
        decode_err::<()>(Value::Nil, &["()", "nil"]);
        decode_err::<()>(Value::Integer(1), &["()", "integer 1"]);
    }

    #[test]
    fn top_level_error_reply_is_a_server_error() {
        let e = decode::<()>(server_error("WRONGTYPE Operation against a key")).unwrap_err();
        assert!(e.is_server());
        assert_eq!(e.code(), Some("WRONGTYPE"));
        let e = decode::<Option<String>>(server_error("ERR no")).unwrap_err();
        assert!(e.is_server());
        let e = decode::<i64>(Value::Attribute {
            attributes: vec![],
            value: Box::new(server_error("NOPERM x")),
        })
        .unwrap_err();
        assert_eq!(e.code(), Some("NOPERM"));
    }

    #[test]
    fn bool_from_every_shape() {
        assert!(!decode::<bool>(Value::Integer(0)).unwrap());
        assert!(decode::<bool>(Value::Integer(1)).unwrap());
        assert!(decode::<bool>(Value::Boolean(true)).unwrap());
        assert!(!decode::<bool>(Value::Boolean(false)).unwrap());
        assert!(decode::<bool>(simple("OK")).unwrap());
        assert!(decode::<bool>(bulk("1")).unwrap());
        assert!(!decode::<bool>(bulk("0")).unwrap());
        assert!(decode::<bool>(bulk("TRUE")).unwrap());
        assert!(!decode::<bool>(simple("false")).unwrap());
        decode_err::<bool>(Value::Integer(2), &["bool", "integer 2"]);
        decode_err::<bool>(Value::Nil, &["bool", "nil"]);
        decode_err::<bool>(bulk("yes"), &["bool", "bulk string of 3 bytes"]);
        decode_err::<bool>(simple("QUEUED"), &["bool", "simple string \"QUEUED\""]);
        decode_err::<bool>(Value::Array(vec![]), &["bool", "array of 0 elements"]);
        assert_eq!(decode::<Option<bool>>(Value::Nil).unwrap(), None);
    }

    #[test]
    fn integers_from_integer_text_and_double() {
        assert_eq!(decode::<i64>(Value::Integer(-42)).unwrap(), -42);
        assert_eq!(decode::<i64>(bulk("-42")).unwrap(), -42);
        assert_eq!(decode::<u16>(simple("7")).unwrap(), 7);
        assert_eq!(decode::<u32>(Value::Double(3.0)).unwrap(), 3);
        assert_eq!(decode::<i8>(Value::Boolean(true)).unwrap(), 1);
        assert_eq!(
            decode::<i128>(Value::BigNumber(
                "-170141183460469231731687303715884105728".into()
            ))
            .unwrap(),
            i128::MIN
        );
        assert_eq!(
            decode::<u64>(Value::Verbatim {
                format: *b"txt",
                text: "18446744073709551615".into()
            })
            .unwrap(),
            u64::MAX
        );
        assert_eq!(decode::<usize>(Value::Integer(5)).unwrap(), 5);
        assert_eq!(decode::<isize>(bulk("-5")).unwrap(), -5);
        assert_eq!(decode::<u128>(Value::Integer(9)).unwrap(), 9);
        assert_eq!(decode::<i16>(Value::Integer(-300)).unwrap(), -300);
        assert_eq!(decode::<u8>(Value::Integer(255)).unwrap(), 255);
        assert_eq!(decode::<i32>(Value::Double(-2e9)).unwrap(), -2_000_000_000);
    }

    #[test]
    fn integer_errors_name_type_and_shape() {
        decode_err::<u8>(Value::Integer(300), &["integer 300", "out of range", "u8"]);
        decode_err::<u64>(Value::Integer(-1), &["integer -1", "out of range", "u64"]);
        decode_err::<u8>(
            bulk("300"),
            &["u8", "bulk string of 3 bytes", "out of range"],
        );
        decode_err::<i64>(
            bulk("abc"),
            &["i64", "bulk string of 3 bytes", "no decimal integer"],
        );
        decode_err::<i64>(bulk(""), &["i64", "bulk string of 0 bytes"]);
        decode_err::<i64>(Value::Double(3.5), &["i64", "double 3.5"]);
        decode_err::<i64>(Value::Double(f64::NAN), &["i64", "double NaN"]);
        decode_err::<i32>(Value::Double(1e10), &["i32", "out of range"]);
        decode_err::<i64>(Value::Double(1e300), &["i64", "double"]);
        decode_err::<i64>(Value::Nil, &["expected an integer for i64, got nil"]);
        decode_err::<u32>(
            Value::Array(vec![Value::Integer(1)]),
            &["u32", "array of 1 elements"],
        );
        decode_err::<i64>(
            Value::Bulk(Bytes::from_static(b"\xff1")),
            &["i64", "not UTF-8"],
        );
        decode_err::<i64>(
            Value::BigNumber("123456789012345678901234567890".into()),
            &["i64", "big number", "out of range"],
        );
    }

    #[test]
    fn floats_from_double_integer_and_text() {
        assert_eq!(decode::<f64>(Value::Double(2.5)).unwrap(), 2.5);
        assert_eq!(decode::<f64>(Value::Integer(-3)).unwrap(), -3.0);
        assert_eq!(decode::<f64>(bulk("2.75")).unwrap(), 2.75);
        assert_eq!(decode::<f64>(simple("1e3")).unwrap(), 1000.0);
        assert_eq!(decode::<f64>(bulk("inf")).unwrap(), f64::INFINITY);
        assert_eq!(decode::<f64>(bulk("+inf")).unwrap(), f64::INFINITY);
        assert_eq!(decode::<f64>(bulk("-inf")).unwrap(), f64::NEG_INFINITY);
        assert!(decode::<f64>(bulk("nan")).unwrap().is_nan());
        assert_eq!(decode::<f64>(Value::BigNumber("12".into())).unwrap(), 12.0);
        assert_eq!(decode::<f32>(bulk("0.5")).unwrap(), 0.5);
        assert_eq!(decode::<f32>(Value::Double(0.25)).unwrap(), 0.25);
        decode_err::<f64>(bulk("abc"), &["f64", "bulk string of 3 bytes", "no number"]);
        decode_err::<f32>(Value::Nil, &["f32", "nil"]);
        decode_err::<f64>(Value::Boolean(true), &["f64", "boolean true"]);
        decode_err::<f64>(Value::Map(vec![]), &["f64", "map of 0 entries"]);
    }

    #[test]
    fn strings_from_text_and_numbers() {
        assert_eq!(decode::<String>(bulk("héllo")).unwrap(), "héllo");
        assert_eq!(decode::<String>(simple("OK")).unwrap(), "OK");
        let verbatim = Value::Verbatim {
            format: *b"txt",
            text: "some text".into(),
        };
        assert_eq!(decode::<String>(verbatim).unwrap(), "some text");
        assert_eq!(decode::<String>(Value::Integer(-42)).unwrap(), "-42");
        assert_eq!(decode::<String>(Value::Double(1.0)).unwrap(), "1");
        assert_eq!(decode::<String>(Value::Double(2.5)).unwrap(), "2.5");
        assert_eq!(
            decode::<String>(Value::Double(f64::NEG_INFINITY)).unwrap(),
            "-inf"
        );
        assert_eq!(
            decode::<String>(Value::BigNumber("123".into())).unwrap(),
            "123"
        );
        assert_eq!(decode::<Cow<'static, str>>(bulk("x")).unwrap(), "x");
        let e = decode_err::<String>(
            Value::Bulk(Bytes::from_static(b"ab\xff")),
            &["String", "bulk string of 3 bytes", "not UTF-8", "offset 2"],
        );
        assert!(e.detail().contains("Bytes or Vec<u8>"));
        decode_err::<String>(Value::Nil, &["expected a string for String, got nil"]);
        decode_err::<String>(
            Value::Array(vec![bulk("a"), bulk("b")]),
            &["String", "array of 2 elements"],
        );
        decode_err::<String>(Value::Boolean(false), &["String", "boolean false"]);
    }

    #[test]
    fn bytes_share_the_reply_buffer() {
        let payload = Bytes::from_static(b"\x00\xffbinary");
        let got = decode::<Bytes>(Value::Bulk(payload.clone())).unwrap();
        assert_eq!(got, payload);
        assert_eq!(got.as_ptr(), payload.as_ptr(), "no copy expected");
        assert_eq!(decode::<Bytes>(Value::Integer(12)).unwrap(), "12");
        decode_err::<Bytes>(Value::Nil, &["Bytes", "nil"]);
        decode_err::<Bytes>(Value::Set(vec![]), &["Bytes", "set of 0 members"]);
    }

    #[test]
    fn vec_u8_is_the_bytes_of_a_string() {
        assert_eq!(
            decode::<Vec<u8>>(Value::Bulk(Bytes::from_static(b"\x01\x02\xff"))).unwrap(),
            vec![1, 2, 255]
        );
        assert_eq!(decode::<Vec<u8>>(simple("ab")).unwrap(), b"ab".to_vec());
        // An array still decodes element by element.
        assert_eq!(
            decode::<Vec<u8>>(Value::Array(vec![Value::Integer(1), bulk("2")])).unwrap(),
            vec![1, 2]
        );
        decode_err::<Vec<u8>>(Value::Nil, &["Vec<u8>", "nil"]);
        decode_err::<Vec<u8>>(
            Value::Array(vec![Value::Integer(256)]),
            &["u8", "out of range", "at element 0"],
        );
        assert_eq!(
            decode::<Option<Vec<u8>>>(Value::Bulk("hi".into())).unwrap(),
            Some(b"hi".to_vec())
        );
    }

    #[test]
    fn option_is_nil_aware() {
        assert_eq!(decode::<Option<String>>(Value::Nil).unwrap(), None);
        assert_eq!(
            decode::<Option<String>>(Value::Attribute {
                attributes: vec![(bulk("ttl"), Value::Integer(3))],
                value: Box::new(Value::Nil),
            })
            .unwrap(),
            None
        );
        assert_eq!(decode::<Option<i64>>(bulk("5")).unwrap(), Some(5));
        decode_err::<Option<i64>>(bulk("x"), &["i64", "bulk string of 1 bytes"]);
        assert_eq!(decode::<Option<Option<i64>>>(Value::Nil).unwrap(), None);
        // An empty aggregate (a missing hash, list or set) is `None` where
        // the type cannot be built from it, and itself where it can.
        assert_eq!(
            decode::<Option<(i64, i64)>>(Value::Array(vec![])).unwrap(),
            None
        );
        assert_eq!(
            decode::<Option<(i64, i64)>>(Value::Map(vec![])).unwrap(),
            None
        );
        assert_eq!(
            decode::<Option<Vec<i64>>>(Value::Array(vec![])).unwrap(),
            Some(vec![])
        );
        assert_eq!(
            decode::<Option<std::collections::HashMap<String, i64>>>(Value::Map(vec![])).unwrap(),
            Some(Default::default())
        );
        assert!(decode::<Option<(i64, i64)>>(Value::Array(vec![Value::Integer(1)])).is_err());
    }

    #[test]
    fn attributes_are_transparent() {
        let v = Value::Attribute {
            attributes: vec![(bulk("key-popularity"), Value::Array(vec![]))],
            value: Box::new(Value::Integer(7)),
        };
        assert_eq!(decode::<i64>(v.clone()).unwrap(), 7);
        assert_eq!(decode::<String>(v).unwrap(), "7");
    }

    #[test]
    fn smart_pointers_wrap_the_inner_type() {
        assert_eq!(*decode::<Box<i64>>(Value::Integer(1)).unwrap(), 1);
        assert_eq!(*decode::<Arc<String>>(bulk("a")).unwrap(), "a");
        assert_eq!(*decode::<Rc<f64>>(Value::Double(0.5)).unwrap(), 0.5);
        decode_err::<Box<i64>>(Value::Nil, &["i64", "nil"]);
    }
}
