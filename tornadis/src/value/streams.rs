//! Named reply types of the stream commands: an entry, the entries of one
//! stream in an XREAD/XREADGROUP reply, XPENDING's summary and ranges, and
//! XAUTOCLAIM's reply. Each decodes the RESP2 and the RESP3 form, and a
//! reply of another shape is a decode error, never a panic.

use std::collections::HashMap;

use crate::error::Error;
use crate::resp::Value;
use crate::value::FromValue;

/// One stream entry: its ID and its fields (`XRANGE`, `XREAD`, `XCLAIM`, ...).
/// `V` is the type of each field's value (`String` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry<V = String> {
    /// The entry's ID, `<milliseconds>-<sequence>`.
    pub id: String,
    /// Its fields; empty for an entry deleted while still pending.
    pub fields: HashMap<String, V>,
}

impl<V: FromValue> FromValue for StreamEntry<V> {
    fn from_value(value: Value) -> Result<Self, Error> {
        let (id, fields): (String, Option<HashMap<String, V>>) = FromValue::from_value(value)
            .map_err(|e| Error::decode(format!("StreamEntry: expected [id, fields] ({e})")))?;
        Ok(StreamEntry {
            id,
            fields: fields.unwrap_or_default(),
        })
    }
}

/// The entries read from one stream (`XREAD`, `XREADGROUP`): RESP2 sends a
/// list of `[key, entries]`, RESP3 a map from key to entries; both decode
/// into `Vec<StreamKey<V>>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamKey<V = String> {
    /// The stream's key.
    pub key: String,
    /// Its entries, oldest first.
    pub entries: Vec<StreamEntry<V>>,
}

impl<V: FromValue> FromValue for StreamKey<V> {
    fn from_value(value: Value) -> Result<Self, Error> {
        let (key, entries) = FromValue::from_value(value)
            .map_err(|e| Error::decode(format!("StreamKey: expected [key, entries] ({e})")))?;
        Ok(StreamKey { key, entries })
    }

    fn from_value_list(value: Value, list: &'static str) -> Result<Vec<Self>, Error> {
        match value {
            Value::Map(pairs) => pairs
                .into_iter()
                .map(|(k, v)| Self::from_value(Value::Array(vec![k, v])))
                .collect(),
            other => {
                let items: Vec<Value> = FromValue::from_value(other)
                    .map_err(|e| Error::decode(format!("{list}: {e}")))?;
                items.into_iter().map(Self::from_value).collect()
            }
        }
    }
}

/// `XPENDING key group`: how many entries the group has pending, the
/// smallest and greatest of their IDs, and how many each consumer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSummary {
    /// The number of pending entries.
    pub count: u64,
    /// The smallest pending ID (`None` when nothing is pending).
    pub first_id: Option<String>,
    /// The greatest pending ID (`None` when nothing is pending).
    pub last_id: Option<String>,
    /// Each consumer with pending entries, and how many it has.
    pub consumers: Vec<(String, u64)>,
}

impl FromValue for PendingSummary {
    fn from_value(value: Value) -> Result<Self, Error> {
        let (count, first_id, last_id, consumers): (u64, _, _, Option<_>) =
            FromValue::from_value(value).map_err(|e| {
                Error::decode(format!(
                    "PendingSummary: expected [count, first, last, consumers] ({e})"
                ))
            })?;
        Ok(PendingSummary {
            count,
            first_id,
            last_id,
            consumers: consumers.unwrap_or_default(),
        })
    }
}

/// One pending entry of `XPENDING key group start end count`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// The entry's ID.
    pub id: String,
    /// The consumer it was delivered to.
    pub consumer: String,
    /// Milliseconds since it was last delivered.
    pub idle_ms: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl FromValue for PendingEntry {
    fn from_value(value: Value) -> Result<Self, Error> {
        let (id, consumer, idle_ms, deliveries) = FromValue::from_value(value).map_err(|e| {
            Error::decode(format!(
                "PendingEntry: expected [id, consumer, idle, deliveries] ({e})"
            ))
        })?;
        Ok(PendingEntry {
            id,
            consumer,
            idle_ms,
            deliveries,
        })
    }
}

/// `XAUTOCLAIM`: the cursor to continue from (`"0-0"` when the scan is
/// done), the entries claimed, and the IDs of pending entries that no
/// longer exist (Redis 7.0 and later; empty on 6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoClaim<V = String> {
    /// Where the next call starts.
    pub next: String,
    /// The entries now owned by the consumer.
    pub entries: Vec<StreamEntry<V>>,
    /// Pending IDs whose entries were deleted (and were dropped from the
    /// pending list).
    pub deleted: Vec<String>,
}

impl<V: FromValue> FromValue for AutoClaim<V> {
    fn from_value(value: Value) -> Result<Self, Error> {
        let shape = |e: Error| {
            Error::decode(format!(
                "AutoClaim: expected [cursor, entries, deleted ids] ({e})"
            ))
        };
        let items: Vec<Value> = FromValue::from_value(value).map_err(shape)?;
        let mut items = items.into_iter();
        let (Some(next), Some(entries)) = (items.next(), items.next()) else {
            return Err(shape(Error::decode("fewer than two elements")));
        };
        let deleted = match items.next() {
            Some(d) => FromValue::from_value(d).map_err(shape)?,
            None => Vec::new(),
        };
        Ok(AutoClaim {
            next: FromValue::from_value(next).map_err(shape)?,
            entries: FromValue::from_value(entries).map_err(shape)?,
            deleted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn s(t: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(t.as_bytes()))
    }

    fn entry(id: &str) -> Value {
        Value::Array(vec![s(id), Value::Array(vec![s("f"), s("v")])])
    }

    #[test]
    fn entries_and_streams_in_both_protocols() {
        let e = StreamEntry::<String>::from_value(entry("1-0")).unwrap();
        assert_eq!(e.id, "1-0");
        assert_eq!(e.fields["f"], "v");
        let resp2 = Value::Array(vec![Value::Array(vec![
            s("s"),
            Value::Array(vec![entry("1-0")]),
        ])]);
        let resp3 = Value::Map(vec![(s("s"), Value::Array(vec![entry("1-0")]))]);
        for v in [resp2, resp3] {
            let got = Vec::<StreamKey>::from_value(v).unwrap();
            assert_eq!(got[0].key, "s");
            assert_eq!(got[0].entries[0].id, "1-0");
        }
        // A deleted entry XCLAIM still lists has nil fields.
        let gone = Value::Array(vec![s("2-0"), Value::Nil]);
        assert!(StreamEntry::<String>::from_value(gone)
            .unwrap()
            .fields
            .is_empty());
    }

    #[test]
    fn malformed_replies_are_errors() {
        assert!(StreamEntry::<String>::from_value(s("1-0")).is_err());
        assert!(StreamEntry::<String>::from_value(Value::Array(vec![s("1-0")])).is_err());
        assert!(Vec::<StreamKey>::from_value(Value::Integer(3)).is_err());
        assert!(PendingSummary::from_value(Value::Array(vec![])).is_err());
        assert!(AutoClaim::<String>::from_value(Value::Array(vec![s("0-0")])).is_err());
        assert!(PendingEntry::from_value(Value::Nil).is_err());
    }

    #[test]
    fn pending_and_autoclaim() {
        let summary = Value::Array(vec![
            Value::Integer(2),
            s("1-0"),
            s("2-0"),
            Value::Array(vec![Value::Array(vec![s("alice"), s("2")])]),
        ]);
        let p = PendingSummary::from_value(summary).unwrap();
        assert_eq!(p.count, 2);
        assert_eq!(p.consumers, [("alice".to_string(), 2)]);
        let empty = Value::Array(vec![Value::Integer(0), Value::Nil, Value::Nil, Value::Nil]);
        assert_eq!(PendingSummary::from_value(empty).unwrap().first_id, None);
        let claim = Value::Array(vec![s("0-0"), Value::Array(vec![entry("1-0")])]);
        let c = AutoClaim::<String>::from_value(claim).unwrap();
        assert_eq!(
            (c.next.as_str(), c.entries.len(), c.deleted.len()),
            ("0-0", 1, 0)
        );
    }
}
