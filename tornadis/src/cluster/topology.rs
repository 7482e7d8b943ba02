//! The slot map: which node serves which hash slots, from `CLUSTER SLOTS`.

use crate::error::{Error, Result};
use crate::resp::Value;

/// A node address as the cluster announces it.
pub(crate) type NodeAddr = (String, u16);

/// A contiguous range of slots and the nodes that serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotRange {
    pub(crate) start: u16,
    pub(crate) end: u16,
    pub(crate) primary: NodeAddr,
    pub(crate) replicas: Vec<NodeAddr>,
}

/// Every slot range of the cluster, sorted by `start`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Topology {
    ranges: Vec<SlotRange>,
}

impl Topology {
    /// Parses a `CLUSTER SLOTS` reply. `asked` is the node that answered: an
    /// empty host in the reply means "the address you reached me at".
    pub(crate) fn from_cluster_slots(reply: Value, asked: &NodeAddr) -> Result<Topology> {
        let bad = |what: &str| Error::protocol(format!("unexpected CLUSTER SLOTS reply: {what}"));
        let Value::Array(entries) = reply else {
            return Err(bad(&format!("expected an array, got {}", reply.shape())));
        };
        let mut ranges = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Array(parts) = entry else {
                return Err(bad("a slot range is not an array"));
            };
            let mut parts = parts.into_iter();
            let start = slot_number(parts.next()).ok_or_else(|| bad("bad start slot"))?;
            let end = slot_number(parts.next()).ok_or_else(|| bad("bad end slot"))?;
            if start > end {
                return Err(bad("a slot range ends before it starts"));
            }
            let primary = parts
                .next()
                .and_then(|n| node_addr(n, asked))
                .ok_or_else(|| bad("a slot range has no primary address"))?;
            let replicas = parts.filter_map(|n| node_addr(n, asked)).collect();
            ranges.push(SlotRange {
                start,
                end,
                primary,
                replicas,
            });
        }
        ranges.sort_by_key(|r| r.start);
        if ranges.is_empty() {
            return Err(Error::connection(
                "the cluster serves no slots yet (CLUSTER SLOTS is empty); is the cluster created?",
            ));
        }
        Ok(Topology { ranges })
    }

    /// The range serving `slot`.
    pub(crate) fn range_for(&self, slot: u16) -> Option<&SlotRange> {
        let i = self.ranges.partition_point(|r| r.start <= slot);
        let r = self.ranges.get(i.checked_sub(1)?)?;
        (slot <= r.end).then_some(r)
    }

    /// Every primary, once each, in slot order.
    pub(crate) fn primaries(&self) -> Vec<NodeAddr> {
        let mut out: Vec<NodeAddr> = Vec::new();
        for r in &self.ranges {
            if !out.contains(&r.primary) {
                out.push(r.primary.clone());
            }
        }
        out
    }

    /// Every node address, primaries first.
    pub(crate) fn nodes(&self) -> Vec<NodeAddr> {
        let mut out = self.primaries();
        for r in &self.ranges {
            for n in &r.replicas {
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
        }
        out
    }
}

fn slot_number(v: Option<Value>) -> Option<u16> {
    match v? {
        Value::Integer(i) => u16::try_from(i).ok().filter(|s| *s < super::slot::SLOTS),
        _ => None,
    }
}

fn node_addr(v: Value, asked: &NodeAddr) -> Option<NodeAddr> {
    let Value::Array(fields) = v else { return None };
    let mut fields = fields.into_iter();
    let host = match fields.next()? {
        Value::Bulk(b) | Value::SimpleString(b) => String::from_utf8(b.to_vec()).ok()?,
        Value::Nil => String::new(),
        _ => return None,
    };
    let port = match fields.next()? {
        Value::Integer(p) => u16::try_from(p).ok()?,
        _ => return None,
    };
    // "?" or an empty host: the node does not know its own address; use the one we reached.
    let host = if host.is_empty() || host == "?" {
        asked.0.clone()
    } else {
        host
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, port: i64) -> Value {
        Value::Array(vec![
            Value::Bulk(host.to_string().into()),
            Value::Integer(port),
            Value::Bulk("id".into()),
        ])
    }

    #[test]
    fn parses_and_finds_slots() {
        let reply = Value::Array(vec![
            Value::Array(vec![
                Value::Integer(5461),
                Value::Integer(10922),
                node("10.0.0.2", 7001),
                node("10.0.0.5", 7004),
            ]),
            Value::Array(vec![
                Value::Integer(0),
                Value::Integer(5460),
                node("", 7000),
            ]),
            Value::Array(vec![
                Value::Integer(10923),
                Value::Integer(16383),
                node("10.0.0.3", 7002),
            ]),
        ]);
        let t = Topology::from_cluster_slots(reply, &("127.0.0.1".into(), 7000)).unwrap();
        assert_eq!(
            t.range_for(0).unwrap().primary,
            ("127.0.0.1".to_string(), 7000)
        );
        assert_eq!(t.range_for(5461).unwrap().primary.1, 7001);
        assert_eq!(
            t.range_for(5461).unwrap().replicas,
            vec![("10.0.0.5".to_string(), 7004)]
        );
        assert_eq!(t.range_for(16383).unwrap().primary.1, 7002);
        assert_eq!(t.primaries().len(), 3);
        assert_eq!(t.nodes().len(), 4);
    }

    #[test]
    fn rejects_malformed_replies() {
        let asked = ("h".to_string(), 1);
        for bad in [
            Value::Integer(1),
            Value::Array(vec![Value::Integer(1)]),
            Value::Array(vec![Value::Array(vec![
                Value::Integer(5),
                Value::Integer(1),
                node("h", 1),
            ])]),
            Value::Array(vec![Value::Array(vec![
                Value::Integer(0),
                Value::Integer(99999),
                node("h", 1),
            ])]),
            Value::Array(vec![Value::Array(vec![
                Value::Integer(0),
                Value::Integer(1),
            ])]),
            Value::Array(vec![]),
        ] {
            assert!(Topology::from_cluster_slots(bad, &asked).is_err());
        }
        let gap = Topology::from_cluster_slots(
            Value::Array(vec![Value::Array(vec![
                Value::Integer(10),
                Value::Integer(20),
                node("h", 1),
            ])]),
            &asked,
        )
        .unwrap();
        assert!(gap.range_for(5).is_none());
        assert!(gap.range_for(21).is_none());
        assert!(gap.range_for(15).is_some());
    }
}
