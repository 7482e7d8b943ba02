//! The serde access types behind [`ValueDeserializer`]: sequences (with
//! tuples read from runs of flat elements), maps and structs, enum variants.

use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

use super::ValueDeserializer;
use crate::error::Error;
use crate::resp::Value;
use crate::value::from_value::{at_element, in_context};

/// The elements of an aggregate, in order.
///
/// A tuple asked for where a scalar stands takes that many elements in a row,
/// so `Vec<(K, V)>` reads RESP2 flat field/value arrays as well as arrays of
/// pairs (and RESP3 maps, which `deserialize_seq` flattens).
pub(super) struct SeqDeserializer {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl SeqDeserializer {
    pub(super) fn new(items: Vec<Value>) -> Self {
        SeqDeserializer {
            items: items.into_iter(),
            index: 0,
        }
    }
}

impl<'de> SeqAccess<'de> for SeqDeserializer {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(first) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        let element = ElementDeserializer {
            first,
            rest: &mut self.items,
        };
        seed.deserialize(element)
            .map(Some)
            .map_err(|e| at_element(e, index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// One element of a sequence; see [`SeqDeserializer`].
struct ElementDeserializer<'a> {
    first: Value,
    rest: &'a mut std::vec::IntoIter<Value>,
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*),)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            ValueDeserializer::new(self.first).$method($($arg,)* visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ElementDeserializer<'_> {
    type Error = Error;

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        let is_aggregate = matches!(
            self.first,
            Value::Array(_) | Value::Set(_) | Value::Push(_) | Value::Attribute { .. }
        );
        if is_aggregate || len < 2 {
            return ValueDeserializer::new(self.first).deserialize_tuple(len, visitor);
        }
        let mut run = Vec::with_capacity(len);
        run.push(self.first);
        run.extend(self.rest.take(len - 1));
        if run.len() < len {
            return Err(Error::decode(format!(
                "expected groups of {len} elements for a sequence of tuples, \
                 but only {} elements were left",
                run.len()
            )));
        }
        visitor.visit_seq(SeqDeserializer::new(run))
    }

    forward! {
        deserialize_any(),
        deserialize_bool(),
        deserialize_i8(),
        deserialize_i16(),
        deserialize_i32(),
        deserialize_i64(),
        deserialize_i128(),
        deserialize_u8(),
        deserialize_u16(),
        deserialize_u32(),
        deserialize_u64(),
        deserialize_u128(),
        deserialize_f32(),
        deserialize_f64(),
        deserialize_char(),
        deserialize_str(),
        deserialize_string(),
        deserialize_bytes(),
        deserialize_byte_buf(),
        deserialize_option(),
        deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_seq(),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(),
        deserialize_ignored_any(),
    }
}

/// The entries of a map or struct.
pub(super) struct MapDeserializer {
    entries: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
    /// The key of the entry being read, for messages: field names of structs
    /// (not map keys, which may be user data).
    field: Option<String>,
    named: bool,
    /// How many entries were taken so far.
    index: usize,
}

impl MapDeserializer {
    pub(super) fn new(entries: Vec<(Value, Value)>, named: bool) -> Self {
        MapDeserializer {
            entries: entries.into_iter(),
            value: None,
            field: None,
            named,
            index: 0,
        }
    }

    fn context(&self, err: Error, part: &str) -> Error {
        match &self.field {
            Some(field) => in_context(err, format_args!("at field `{field}`")),
            None => in_context(
                err,
                format_args!("at the {part} of entry {}", self.index.saturating_sub(1)),
            ),
        }
    }
}

impl<'de> MapAccess<'de> for MapDeserializer {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.index += 1;
        self.field = match (&key, self.named) {
            (Value::Bulk(b) | Value::SimpleString(b), true) if b.len() <= 64 => {
                std::str::from_utf8(b).ok().map(str::to_owned)
            }
            _ => None,
        };
        self.value = Some(value);
        seed.deserialize(ValueDeserializer::new(key))
            .map(Some)
            .map_err(|e| self.context(e, "key"))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        // serde asks for a value only after its key, so it is there; Nil keeps
        // a misbehaving caller from panicking.
        let value = self.value.take().unwrap_or(Value::Nil);
        seed.deserialize(ValueDeserializer::new(value))
            .map_err(|e| self.context(e, "value"))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum variant: its name, and its content when it came as `{name: content}`.
pub(super) struct EnumDeserializer {
    pub(super) variant: Value,
    pub(super) content: Option<Value>,
}

impl<'de> EnumAccess<'de> for EnumDeserializer {
    type Error = Error;
    type Variant = VariantDeserializer;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let variant = seed.deserialize(ValueDeserializer::new(self.variant))?;
        Ok((
            variant,
            VariantDeserializer {
                content: self.content,
            },
        ))
    }
}

pub(super) struct VariantDeserializer {
    content: Option<Value>,
}

impl VariantDeserializer {
    fn content(self, what: &str) -> Result<ValueDeserializer, Error> {
        self.content.map(ValueDeserializer::new).ok_or_else(|| {
            Error::decode(format!(
                "expected {what} for an enum variant with data, got only its name"
            ))
        })
    }
}

impl<'de> VariantAccess<'de> for VariantDeserializer {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None => Ok(()),
            Some(content) => de::Deserialize::deserialize(ValueDeserializer::new(content)),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.content("a value")?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self.content("an array")?, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(
            self.content("a map")?,
            "a struct variant",
            fields,
            visitor,
        )
    }
}
