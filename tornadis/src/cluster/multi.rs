//! Commands that go to more than one node: multi-key commands split per slot,
//! and keyless commands sent to every primary.

use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use super::client::ClusterClient;
use crate::client::routing::Route;
use crate::cmd::Cmd;
use crate::command_info::{CommandFlags, CommandInfo, KeySpec, RequestPolicy, ResponsePolicy};
use crate::error::{Error, Result};
use crate::resp::Value;

/// Runs futures concurrently and returns their outputs in order.
pub(super) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// A keyless command, sent where the table's request policy says: every
/// node, every primary, or one primary; the replies are merged by its
/// response policy.
pub(super) async fn keyless(
    cluster: &ClusterClient,
    info: &CommandInfo,
    cmd: &Cmd,
    route: &Route,
) -> Result<Value> {
    let facts = &info.routing;
    let Some(replicas_too) = targets(info) else {
        return cluster
            .any_primary()
            .await?
            .send_routed(cmd, route.clone())
            .await;
    };
    let topology = cluster.ensure_topology().await?;
    let addrs = if replicas_too {
        topology.nodes()
    } else {
        topology.primaries()
    };
    let mut calls = Vec::new();
    for addr in addrs {
        let node = cluster.node(&addr, false)?;
        node.check_server(cmd)?;
        calls.push(async move { node.send_routed(cmd, route.clone()).await });
    }
    let replies = join_all(calls).await;
    merge(facts.response_policy, replies)
}

/// Where a keyless command goes by the table: every node (`Some(true)`),
/// every primary (`Some(false)`) or one primary (`None`).
fn targets(info: &CommandInfo) -> Option<bool> {
    let facts = &info.routing;
    match facts.request_policy {
        _ if facts.response_policy == Some(ResponsePolicy::Special) => None,
        Some(RequestPolicy::AllNodes) => Some(true),
        Some(RequestPolicy::AllShards) => Some(false),
        _ if info.flags.contains(CommandFlags::ALL_NODES) => Some(false),
        _ => None,
    }
}

/// Whether a keyless command goes to more than one node.
pub(super) fn fans_out(info: &CommandInfo) -> bool {
    targets(info).is_some()
}

/// One reply from the replies of several nodes, by the response policy
/// (none: arrays are concatenated, other replies must all succeed).
fn merge(policy: Option<ResponsePolicy>, replies: Vec<Result<Value>>) -> Result<Value> {
    if policy == Some(ResponsePolicy::OneSucceeded) {
        let mut first_error = None;
        for r in replies {
            match r {
                Ok(Value::Error(e)) => {
                    first_error.get_or_insert(Error::from_server(e));
                }
                Ok(v) => return Ok(v),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        return Err(first_error.unwrap_or_else(|| Error::connection("the cluster has no nodes")));
    }
    let mut values = Vec::with_capacity(replies.len());
    for r in replies {
        match r? {
            Value::Error(e) => return Err(Error::from_server(e)),
            v => values.push(v),
        }
    }
    match policy {
        Some(ResponsePolicy::AggSum) => fold_integers(values, |a, b| a.saturating_add(b)),
        Some(ResponsePolicy::AggMin) => fold_integers(values, i64::min),
        Some(ResponsePolicy::AggMax) => fold_integers(values, i64::max),
        Some(ResponsePolicy::AggLogicalAnd) => {
            fold_integers(values, |a, b| i64::from(a != 0 && b != 0))
        }
        Some(ResponsePolicy::AggLogicalOr) => {
            fold_integers(values, |a, b| i64::from(a != 0 || b != 0))
        }
        None if values
            .iter()
            .all(|v| matches!(v, Value::Array(_) | Value::Set(_))) =>
        {
            concat(values)
        }
        _ => values
            .into_iter()
            .next()
            .ok_or_else(|| Error::connection("the cluster has no nodes")),
    }
}

/// Integers combined with `f`, or arrays of integers combined element by element.
fn fold_integers(values: Vec<Value>, f: impl Fn(i64, i64) -> i64) -> Result<Value> {
    let mut acc: Option<Value> = None;
    for v in values {
        acc = Some(match (acc, v) {
            (None, v @ (Value::Integer(_) | Value::Array(_))) => v,
            (Some(Value::Integer(a)), Value::Integer(b)) => Value::Integer(f(a, b)),
            (Some(Value::Array(a)), Value::Array(b)) if a.len() == b.len() => {
                let mut out = Vec::with_capacity(a.len());
                for (x, y) in a.into_iter().zip(b) {
                    match (x, y) {
                        (Value::Integer(x), Value::Integer(y)) => out.push(Value::Integer(f(x, y))),
                        (x, _) => return Err(shape_error("integers", &x)),
                    }
                }
                Value::Array(out)
            }
            (_, other) => return Err(shape_error("matching integers or arrays", &other)),
        });
    }
    acc.ok_or_else(|| Error::connection("the cluster has no nodes"))
}

fn shape_error(expected: &str, got: &Value) -> Error {
    Error::protocol(format!(
        "expected {expected} from each node, got {}",
        got.shape()
    ))
}

fn concat(replies: Vec<Value>) -> Result<Value> {
    let mut all = Vec::new();
    for r in replies {
        match r {
            Value::Array(items) | Value::Set(items) => all.extend(items),
            other => return Err(shape_error("an array", &other)),
        }
    }
    Ok(Value::Array(all))
}

/// A command whose keys span several slots: split per slot when the table's
/// request policy says it may be (`multi_shard`), each part carrying its
/// keys with the arguments that go with each (`MSET key value`: the key
/// spec's step), and the replies merged by the response policy (none: the
/// values go back in the caller's key order, as for `MGET`). Anything else is
/// refused before sending.
pub(super) async fn split(
    cluster: &ClusterClient,
    info: &'static CommandInfo,
    args: &[&[u8]],
    positions: &[usize],
    slots: &[u16],
    read: bool,
    route: &Route,
) -> Result<Value> {
    let per_key = match (info.routing.request_policy, info.keys) {
        (Some(RequestPolicy::MultiShard), [KeySpec::Range { step, .. }]) => usize::from(*step).max(1),
        _ => {
            return Err(Error::client(format!(
                "{} has keys in different hash slots, which a cluster cannot run in one command (CROSSSLOT); \
                 give the keys a common {{hash tag}} or send one command per key",
                info.name
            )))
        }
    };
    // Slot → positions of its keys, in the caller's order.
    let mut groups: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (i, &slot) in slots.iter().enumerate() {
        groups.entry(slot).or_default().push(i);
    }
    let first_key = positions.first().copied().unwrap_or(1);
    let mut calls = Vec::new();
    for (&slot, members) in &groups {
        let mut part = Cmd::new();
        // The same command, with fewer keys: its table entry goes along.
        part.attach_info(info);
        // The command's name (and anything before the first key).
        for a in args.iter().take(first_key) {
            part.arg(*a);
        }
        for &i in members {
            let Some(&p) = positions.get(i) else { continue };
            for a in args.iter().skip(p).take(per_key) {
                part.arg(*a);
            }
        }
        calls.push(async move { cluster.send_to_slot(slot, read, &part, route).await });
    }
    let replies = join_all(calls).await;
    if info.routing.response_policy.is_some() {
        return merge(info.routing.response_policy, replies);
    }
    // No policy: one value per key, back in the caller's order.
    let mut out = vec![Value::Nil; slots.len()];
    for (members, reply) in groups.values().zip(replies) {
        let values = match reply? {
            Value::Array(values) => values,
            Value::Error(e) => return Err(Error::from_server(e)),
            other => {
                return Err(Error::protocol(format!(
                    "{} part answered {}",
                    info.name,
                    other.shape()
                )))
            }
        };
        if values.len() != members.len() {
            return Err(Error::protocol(format!(
                "a {} part answered the wrong number of values",
                info.name
            )));
        }
        for (&i, v) in members.iter().zip(values) {
            if let Some(slot) = out.get_mut(i) {
                *slot = v;
            }
        }
    }
    Ok(Value::Array(out))
}
