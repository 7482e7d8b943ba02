//! [`Fields`]: a serde `Serialize` struct or map written as field/value
//! arguments, for `HSET`, `XADD` and the like.

use std::fmt;

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct};

use crate::cmd::Cmd;
use crate::error::Error;
use crate::value::ToArgs;

/// A struct or map written as field/value arguments through serde: each field
/// becomes its name followed by its value.
///
/// Values are written as Redis reads them back: strings and bytes as they
/// are, integers and floats in decimal (floats as with [`ToArg`](crate::ToArg):
/// `inf`/`-inf`, NaN refused), booleans as `1`/`0`, unit enum variants by
/// name, newtypes and `Some` as their content. A `None` field is left out,
/// field name and all, so that it reads back as `None`. A field holding a
/// nested struct, sequence or map cannot be one hash value: the command then
/// fails with a client error before anything is sent (encode such a field
/// yourself, e.g. as JSON, first). Maps are written in their iteration order.
///
/// ```
/// use serde::Serialize;
/// use tornadis::{cmd, value::Fields};
///
/// #[derive(Serialize)]
/// struct User { name: String, age: u32, admin: bool, email: Option<String> }
///
/// let user = User { name: "ada".into(), age: 36, admin: true, email: None };
/// let c = cmd("HSET").arg("user:1").args(&Fields(&user)).clone();
/// let args: Vec<&[u8]> = c.arg_slices().collect();
/// assert_eq!(args, [&b"HSET"[..], b"user:1", b"name", b"ada", b"age", b"36", b"admin", b"1"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Fields<T>(pub T);

impl<T: Serialize> ToArgs for Fields<T> {
    fn write_args(&self, cmd: &mut Cmd) {
        if let Err(e) = self.0.serialize(FieldsSerializer { cmd }) {
            cmd.fail(e);
        }
    }
}

/// Errors raised by a `Serialize` impl while writing arguments are client
/// errors: the command is refused before it is sent.
impl ser::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error::client(msg.to_string())
    }
}

fn refuse(what: &str) -> Error {
    Error::client(format!(
        "Fields writes a struct or a map as field/value pairs, and cannot write {what}"
    ))
}

/// Serializes the top level: a struct or a map (or a newtype or `Some` of one).
struct FieldsSerializer<'a> {
    cmd: &'a mut Cmd,
}

macro_rules! refuse_scalars {
    ($($method:ident($($ty:ty)?) => $what:literal,)*) => {$(
        fn $method(self $(, _v: $ty)?) -> Result<(), Error> {
            Err(refuse($what))
        }
    )*};
}

impl<'a> ser::Serializer for FieldsSerializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = PairWriter<'a>;
    type SerializeStruct = PairWriter<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    refuse_scalars! {
        serialize_bool(bool) => "a bool",
        serialize_i8(i8) => "an integer",
        serialize_i16(i16) => "an integer",
        serialize_i32(i32) => "an integer",
        serialize_i64(i64) => "an integer",
        serialize_i128(i128) => "an integer",
        serialize_u8(u8) => "an integer",
        serialize_u16(u16) => "an integer",
        serialize_u32(u32) => "an integer",
        serialize_u64(u64) => "an integer",
        serialize_u128(u128) => "an integer",
        serialize_f32(f32) => "a float",
        serialize_f64(f64) => "a float",
        serialize_char(char) => "a char",
        serialize_str(&str) => "a string",
        serialize_bytes(&[u8]) => "bytes",
        serialize_unit() => "()",
    }

    /// No fields at all, like `None` given to [`ToArgs`].
    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<(), Error> {
        Err(refuse(&format!("the unit struct {name}")))
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        Err(refuse(&format!("the enum variant {name}::{variant}")))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(refuse(&format!("the enum variant {name}::{variant}")))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(refuse("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(refuse("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(refuse(&format!("the tuple struct {name}")))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(refuse(&format!("the enum variant {name}::{variant}")))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<PairWriter<'a>, Error> {
        Ok(PairWriter {
            cmd: self.cmd,
            name: "a map",
            key: None,
        })
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<PairWriter<'a>, Error> {
        Ok(PairWriter {
            cmd: self.cmd,
            name,
            key: None,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(refuse(&format!("the enum variant {name}::{variant}")))
    }
}

/// Writes the entries of a struct or map, skipping those whose value is `None`.
struct PairWriter<'a> {
    cmd: &'a mut Cmd,
    /// The struct's name, for messages.
    name: &'static str,
    /// A map key waiting for its value.
    key: Option<Scalar>,
}

impl PairWriter<'_> {
    fn write(&mut self, key: Scalar, value: Scalar) {
        if let Scalar::Skip = value {
            return;
        }
        key.write(self.cmd);
        value.write(self.cmd);
    }

    fn in_field(&self, field: &dyn fmt::Display, err: Error) -> Error {
        Error::client(format!(
            "cannot write field {field} of {}: {}",
            self.name,
            err.detail()
        ))
    }
}

impl SerializeStruct for PairWriter<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value = value
            .serialize(ScalarSerializer)
            .map_err(|e| self.in_field(&format_args!("`{key}`"), e))?;
        self.write(Scalar::Static(key), value);
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl SerializeMap for PairWriter<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        let key = key
            .serialize(ScalarSerializer)
            .map_err(|e| self.in_field(&"key", e))?;
        if let Scalar::Skip = key {
            return Err(self.in_field(&"key", Error::client("a map key cannot be None")));
        }
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let value = value
            .serialize(ScalarSerializer)
            .map_err(|e| self.in_field(&"value", e))?;
        match self.key.take() {
            Some(key) => {
                self.write(key, value);
                Ok(())
            }
            None => Err(Error::client("a map value came without its key")),
        }
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// One field value, ready to be written as an argument (or left out).
enum Scalar {
    Skip,
    Static(&'static str),
    Text(String),
    Bytes(Vec<u8>),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F32(f32),
    F64(f64),
}

impl Scalar {
    /// Writes the argument with the [`ToArg`](crate::ToArg) rules.
    fn write(self, cmd: &mut Cmd) {
        match self {
            Scalar::Skip => return,
            Scalar::Static(s) => cmd.arg(s),
            Scalar::Text(s) => cmd.arg(s),
            Scalar::Bytes(b) => cmd.arg(b),
            Scalar::I64(n) => cmd.arg(n),
            Scalar::U64(n) => cmd.arg(n),
            Scalar::I128(n) => cmd.arg(n),
            Scalar::U128(n) => cmd.arg(n),
            Scalar::F32(n) => cmd.arg(n),
            Scalar::F64(n) => cmd.arg(n),
        };
    }
}

fn nested(what: &str) -> Error {
    Error::client(format!(
        "{what} cannot be one hash value; encode it (e.g. as JSON) or flatten it first"
    ))
}

/// Serializes one field value into a [`Scalar`].
struct ScalarSerializer;

impl ser::Serializer for ScalarSerializer {
    type Ok = Scalar;
    type Error = Error;
    type SerializeSeq = Impossible<Scalar, Error>;
    type SerializeTuple = Impossible<Scalar, Error>;
    type SerializeTupleStruct = Impossible<Scalar, Error>;
    type SerializeTupleVariant = Impossible<Scalar, Error>;
    type SerializeMap = Impossible<Scalar, Error>;
    type SerializeStruct = Impossible<Scalar, Error>;
    type SerializeStructVariant = Impossible<Scalar, Error>;

    fn serialize_bool(self, v: bool) -> Result<Scalar, Error> {
        Ok(Scalar::Static(if v { "1" } else { "0" }))
    }
    fn serialize_i8(self, v: i8) -> Result<Scalar, Error> {
        Ok(Scalar::I64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Scalar, Error> {
        Ok(Scalar::I64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Scalar, Error> {
        Ok(Scalar::I64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Scalar, Error> {
        Ok(Scalar::I64(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Scalar, Error> {
        Ok(Scalar::I128(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Scalar, Error> {
        Ok(Scalar::U64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Scalar, Error> {
        Ok(Scalar::U64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Scalar, Error> {
        Ok(Scalar::U64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Scalar, Error> {
        Ok(Scalar::U64(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Scalar, Error> {
        Ok(Scalar::U128(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Scalar, Error> {
        Ok(Scalar::F32(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Scalar, Error> {
        Ok(Scalar::F64(v))
    }
    fn serialize_char(self, v: char) -> Result<Scalar, Error> {
        Ok(Scalar::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Scalar, Error> {
        Ok(Scalar::Text(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Scalar, Error> {
        Ok(Scalar::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Scalar, Error> {
        Ok(Scalar::Skip)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Scalar, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Scalar, Error> {
        Err(nested("()"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Scalar, Error> {
        Err(nested(&format!("the unit struct {name}")))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Scalar, Error> {
        Ok(Scalar::Static(variant))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Scalar, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<Scalar, Error> {
        Err(nested(&format!(
            "the enum variant {name}::{variant} with data"
        )))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(nested("a sequence"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(nested("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(nested(&format!("the tuple struct {name}")))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(nested(&format!(
            "the enum variant {name}::{variant} with data"
        )))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(nested("a map"))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(nested(&format!("the struct {name}")))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(nested(&format!(
            "the enum variant {name}::{variant} with data"
        )))
    }
}

#[cfg(test)]
mod tests;
