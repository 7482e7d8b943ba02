//! Per-ID replies of the stream commands that delete entries with a policy
//! for consumer groups' references (`XDELEX`, `XACKDEL`, Redis 8.2): one
//! code per ID asked about, as a type rather than a bare integer.

use crate::error::Error;
use crate::resp::Value;
use crate::value::FromValue;

/// What `XDELEX` or `XACKDEL` did to one entry ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryDeletion {
    /// The stream has no entry with this ID (for `XACKDEL`: or the group
    /// had nothing pending under it).
    NotFound,
    /// The entry was deleted (`XACKDEL`: acknowledged, then deleted).
    Deleted,
    /// The entry was kept: with `ACKED`, some consumer group still has it
    /// pending (`XACKDEL` acknowledged it for this group all the same).
    Kept,
}

impl FromValue for EntryDeletion {
    fn from_value(value: Value) -> Result<Self, Error> {
        let n = i64::from_value(value).map_err(|e| {
            Error::decode(format!(
                "EntryDeletion: expected an integer code per ID ({e})"
            ))
        })?;
        match n {
            -1 => Ok(EntryDeletion::NotFound),
            1 => Ok(EntryDeletion::Deleted),
            2 => Ok(EntryDeletion::Kept),
            n => Err(Error::decode(format!(
                "EntryDeletion: the server answered {n} for an ID, which is not a code this \
                 client knows; the raw reply is available through `call`"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decode() {
        let all = Value::Array(vec![
            Value::Integer(-1),
            Value::Integer(1),
            Value::Integer(2),
        ]);
        let got = Vec::<EntryDeletion>::from_value(all).unwrap();
        assert_eq!(
            got,
            [
                EntryDeletion::NotFound,
                EntryDeletion::Deleted,
                EntryDeletion::Kept
            ]
        );
        assert!(EntryDeletion::from_value(Value::Integer(0)).is_err());
        assert!(EntryDeletion::from_value(Value::Nil).is_err());
    }
}
