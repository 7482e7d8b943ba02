//! serde support for replies: a [`Deserializer`](serde::Deserializer) over a
//! [`Value`], [`from_value_serde`], and the [`Serde`] wrapper that lets any
//! `DeserializeOwned` type be a reply type.
//!
//! Redis stores everything as strings, so typed requests are read from text:
//! asking for a `u32` accepts a bulk string `"36"`, a `bool` accepts `"1"`,
//! `"0"`, `"true"` and `"false"`, a float accepts `"3.14"` or `"inf"`. These
//! rules are those of [`FromValue`], which the scalar methods reuse. Only
//! `deserialize_any` has no type to go by; there text stays text, so
//! untagged enums and `#[serde(flatten)]` see strings, not numbers.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

mod access;

use access::{EnumDeserializer, MapDeserializer, SeqDeserializer};

use super::collections::into_pairs;
use super::from_value::{in_context, reply, text_bytes, unexpected, FromValue};
use crate::error::Error;
use crate::resp::Value;

/// Decodes a reply into any `T: DeserializeOwned` through serde.
///
/// Structs come from RESP3 maps or RESP2 flat field/value arrays (such as
/// `HGETALL` replies), with their fields parsed from text.
///
/// ```
/// use serde::Deserialize;
/// use tornadis::Value;
///
/// #[derive(Deserialize)]
/// struct User { name: String, age: u32, admin: bool, email: Option<String> }
///
/// // HGETALL user:1 over RESP2: a flat array of field/value pairs.
/// let reply = Value::Array(
///     ["name", "ada", "age", "36", "admin", "1"].map(|s| Value::Bulk(s.into())).to_vec(),
/// );
/// let user: User = tornadis::value::from_value_serde(reply)?;
/// assert_eq!((user.name.as_str(), user.age, user.admin, user.email), ("ada", 36, true, None));
/// # Ok::<(), tornadis::Error>(())
/// ```
pub fn from_value_serde<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(ValueDeserializer::new(value)).map_err(|e| {
        in_context(
            e,
            format_args!(
                "decoding {}",
                super::from_value::short_type_name(std::any::type_name::<T>())
            ),
        )
    })
}

/// A reply type decoded through serde: `Serde<T>` is a [`FromValue`] for every
/// `T: DeserializeOwned`, so a struct needs only `#[derive(Deserialize)]`.
///
/// ```no_run
/// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
/// use serde::{Deserialize, Serialize};
/// use tornadis::{Fields, Serde};
///
/// #[derive(Serialize, Deserialize)]
/// struct User { name: String, age: u32 }
///
/// let user = User { name: "ada".into(), age: 36 };
/// client.call(("HSET", "user:1", Fields(&user))).await?;
/// let Serde(user): Serde<User> = client.call_as(("HGETALL", "user:1")).await?;
/// # Ok(()) }
/// ```
///
/// A missing key gives an empty reply, which fails for a struct with required
/// fields (`missing field`); ask for `Option<Serde<T>>` only where the reply
/// itself can be nil.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Serde<T>(pub T);

impl<T: DeserializeOwned> FromValue for Serde<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        from_value_serde(value).map(Serde)
    }
}

/// Errors raised by serde while decoding (`missing field`, `unknown variant`, ...)
/// are decode errors.
impl de::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error::decode(msg.to_string())
    }
}

/// A serde [`Deserializer`](serde::Deserializer) that reads one [`Value`].
///
/// Most code wants [`from_value_serde`] or [`Serde`]; this type is for
/// `T::deserialize(ValueDeserializer::new(value))` and `DeserializeSeed`.
#[derive(Debug, Clone)]
pub struct ValueDeserializer {
    value: Value,
}

impl ValueDeserializer {
    /// A deserializer over `value`.
    pub fn new(value: Value) -> Self {
        ValueDeserializer { value }
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = ValueDeserializer;

    fn into_deserializer(self) -> ValueDeserializer {
        ValueDeserializer::new(self)
    }
}

/// Gives UTF-8 text to `visit_str` and anything else to `visit_bytes`.
fn visit_text<'de, V: Visitor<'de>>(bytes: &Bytes, visitor: V) -> Result<V::Value, Error> {
    match std::str::from_utf8(bytes) {
        Ok(s) => visitor.visit_str(s),
        Err(_) => visitor.visit_bytes(bytes),
    }
}

/// The scalar methods decode with the [`FromValue`] rules, so serde fields and
/// plain reply types read numbers, booleans and strings the same way.
macro_rules! via_from_value {
    ($($method:ident => $visit:ident($t:ty),)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit(<$t as FromValue>::from_value(self.value)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Nil => visitor.visit_unit(),
            Value::SimpleString(b) | Value::Bulk(b) | Value::Verbatim { text: b, .. } => {
                visit_text(&b, visitor)
            }
            Value::Integer(i) => visitor.visit_i64(i),
            Value::Double(d) => visitor.visit_f64(d),
            Value::Boolean(b) => visitor.visit_bool(b),
            // Big numbers that fit as integers (buffering visitors, as used
            // by untagged enums, take no i128); others as their digits.
            Value::BigNumber(b) => {
                let text = std::str::from_utf8(&b).unwrap_or("");
                if let Ok(i) = text.parse::<i64>() {
                    visitor.visit_i64(i)
                } else if let Ok(u) = text.parse::<u64>() {
                    visitor.visit_u64(u)
                } else {
                    visit_text(&b, visitor)
                }
            }
            Value::Array(items) | Value::Set(items) | Value::Push(items) => {
                visitor.visit_seq(SeqDeserializer::new(items))
            }
            Value::Map(pairs) => visitor.visit_map(MapDeserializer::new(pairs, false)),
            Value::Error(e) => Err(Error::from_server(e)),
            Value::Attribute { value, .. } => {
                ValueDeserializer::new(*value).deserialize_any(visitor)
            }
        }
    }

    via_from_value! {
        deserialize_bool => visit_bool(bool),
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
        deserialize_f32 => visit_f32(f32),
        deserialize_f64 => visit_f64(f64),
        deserialize_str => visit_string(String),
        deserialize_string => visit_string(String),
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let s = String::from_value(self.value)?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(Error::decode(format!(
                "expected a single character for char, got text of {} characters",
                s.chars().count()
            ))),
        }
    }

    /// The bytes of a string reply; arrays go to the visitor as sequences.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match text_bytes(reply(self.value)?) {
            Ok(b) => visitor.visit_bytes(&b),
            Err(other) => ValueDeserializer::new(other).deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match reply(self.value)? {
            Value::Nil => visitor.visit_none(),
            other => visitor.visit_some(ValueDeserializer::new(other)),
        }
    }

    /// Nil or any simple string (`+OK`).
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match reply(self.value)? {
            Value::Nil | Value::SimpleString(_) => visitor.visit_unit(),
            other => Err(unexpected("()", "nil or a simple string", &other)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// An array, set or push; a map gives its keys and values in turn (as
    /// RESP2 would send them), and a sequence of pairs reads them back.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match reply(self.value)? {
            Value::Array(items) | Value::Set(items) | Value::Push(items) => {
                visitor.visit_seq(SeqDeserializer::new(items))
            }
            Value::Map(pairs) => visitor.visit_seq(SeqDeserializer::new(
                pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
            )),
            other => Err(unexpected("a sequence", "an array", &other)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        match reply(self.value)? {
            Value::Array(items) | Value::Set(items) | Value::Push(items) if items.len() == len => {
                visitor.visit_seq(SeqDeserializer::new(items))
            }
            other => Err(unexpected(
                &format!("a tuple of {len}"),
                &format!("an array of {len} elements"),
                &other,
            )),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match reply(self.value)? {
            Value::Array(items) | Value::Set(items) | Value::Push(items) if items.len() == len => {
                visitor.visit_seq(SeqDeserializer::new(items))
            }
            other => Err(unexpected(
                name,
                &format!("an array of {len} elements"),
                &other,
            )),
        }
    }

    /// A RESP3 map, a RESP2 flat field/value array, or an array of pairs.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(MapDeserializer::new(
            into_pairs(self.value, "a map")?,
            false,
        ))
    }

    /// Like a map; errors in a field name the field.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(MapDeserializer::new(into_pairs(self.value, name)?, true))
    }

    /// A unit variant from its name as text; any variant from a one-entry map
    /// `{variant: content}`.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match reply(self.value)? {
            Value::Map(pairs) if pairs.len() == 1 => {
                let mut pairs = pairs.into_iter();
                match pairs.next() {
                    Some((variant, content)) => visitor.visit_enum(EnumDeserializer {
                        variant,
                        content: Some(content),
                    }),
                    None => Err(Error::decode(format!(
                        "expected one variant for {name}, got an empty map"
                    ))),
                }
            }
            other => match text_bytes(other) {
                Ok(b) => visitor.visit_enum(EnumDeserializer {
                    variant: Value::Bulk(b),
                    content: None,
                }),
                Err(other) => Err(unexpected(name, "a variant name", &other)),
            },
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match text_bytes(reply(self.value)?) {
            Ok(b) => visit_text(&b, visitor),
            Err(other) => Err(unexpected("a field name", "a string", &other)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

#[cfg(test)]
mod tests;
