//! Per-field replies of the hash-field expiration commands (`HEXPIRE`,
//! `HPERSIST`, `HTTL`, ...): one code per field asked about, as types
//! rather than bare integers.

use crate::error::Error;
use crate::resp::Value;
use crate::value::FromValue;

/// What `HEXPIRE`, `HPEXPIRE`, `HEXPIREAT` or `HPEXPIREAT` did to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldExpire {
    /// The hash has no such field (or the key does not exist).
    NoSuchField,
    /// The condition (`NX`, `XX`, `GT`, `LT`) did not hold: nothing changed.
    ConditionNotMet,
    /// The expiration was set or updated.
    Set,
    /// The time given was already past (or 0 seconds from now): the field was deleted.
    Deleted,
}

/// What `HPERSIST` did to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldPersist {
    /// The hash has no such field (or the key does not exist).
    NoSuchField,
    /// The field had no expiration to remove.
    NoExpiry,
    /// The field's expiration was removed.
    Persisted,
}

/// The expiration of one field, as `HTTL`, `HPTTL`, `HEXPIRETIME` and
/// `HPEXPIRETIME` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldTtl {
    /// The hash has no such field (or the key does not exist).
    NoSuchField,
    /// The field exists and does not expire.
    NoExpiry,
    /// The field expires: the time left (`HTTL` in seconds, `HPTTL` in
    /// milliseconds) or the moment as a unix time (`HEXPIRETIME` in seconds,
    /// `HPEXPIRETIME` in milliseconds), as the command says.
    Expires(i64),
}

fn code(value: Value, ty: &str) -> Result<i64, Error> {
    i64::from_value(value)
        .map_err(|e| Error::decode(format!("{ty}: expected an integer code per field ({e})")))
}

fn unknown(ty: &str, n: i64) -> Error {
    Error::decode(format!(
        "{ty}: the server answered {n} for a field, which is not a code this client knows; \
         the raw reply is available through `call`"
    ))
}

impl FromValue for FieldExpire {
    fn from_value(value: Value) -> Result<Self, Error> {
        match code(value, "FieldExpire")? {
            -2 => Ok(FieldExpire::NoSuchField),
            0 => Ok(FieldExpire::ConditionNotMet),
            1 => Ok(FieldExpire::Set),
            2 => Ok(FieldExpire::Deleted),
            n => Err(unknown("FieldExpire", n)),
        }
    }
}

impl FromValue for FieldPersist {
    fn from_value(value: Value) -> Result<Self, Error> {
        match code(value, "FieldPersist")? {
            -2 => Ok(FieldPersist::NoSuchField),
            -1 => Ok(FieldPersist::NoExpiry),
            1 => Ok(FieldPersist::Persisted),
            n => Err(unknown("FieldPersist", n)),
        }
    }
}

impl FromValue for FieldTtl {
    fn from_value(value: Value) -> Result<Self, Error> {
        match code(value, "FieldTtl")? {
            -2 => Ok(FieldTtl::NoSuchField),
            -1 => Ok(FieldTtl::NoExpiry),
            n if n >= 0 => Ok(FieldTtl::Expires(n)),
            n => Err(unknown("FieldTtl", n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decode() {
        let all = Value::Array(vec![
            Value::Integer(-2),
            Value::Integer(0),
            Value::Integer(1),
            Value::Integer(2),
        ]);
        let got = Vec::<FieldExpire>::from_value(all).unwrap();
        assert_eq!(
            got,
            [
                FieldExpire::NoSuchField,
                FieldExpire::ConditionNotMet,
                FieldExpire::Set,
                FieldExpire::Deleted
            ]
        );
        assert!(FieldExpire::from_value(Value::Integer(3)).is_err());
        assert_eq!(
            FieldPersist::from_value(Value::Integer(-1)).unwrap(),
            FieldPersist::NoExpiry
        );
        assert!(FieldPersist::from_value(Value::Integer(0)).is_err());
        assert_eq!(
            FieldTtl::from_value(Value::Integer(42)).unwrap(),
            FieldTtl::Expires(42)
        );
        assert!(FieldTtl::from_value(Value::Integer(-3)).is_err());
        assert!(FieldTtl::from_value(Value::Nil).is_err());
    }
}
