//! Commands that go to more than one node: multi-key commands split per slot,
//! and keyless commands sent to every primary.

use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use super::client::ClusterClient;
use crate::cmd::Cmd;
use crate::command_info::{CommandFlags, CommandInfo};
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

/// A keyless command: to every primary when the command acts on a node's
/// whole dataset or configuration, else to one primary.
pub(super) async fn keyless(
    cluster: &ClusterClient,
    info: &CommandInfo,
    cmd: &Cmd,
) -> Result<Value> {
    let everywhere =
        info.flags.contains(CommandFlags::ALL_NODES) || matches!(info.name, "DBSIZE" | "KEYS");
    if !everywhere {
        return cluster.any_primary().await?.call(cmd).await;
    }
    let topology = cluster.ensure_topology().await?;
    let mut calls = Vec::new();
    for addr in topology.primaries() {
        let node = cluster.node(&addr, false)?;
        calls.push(async move { node.call(cmd).await });
    }
    let replies = join_all(calls)
        .await
        .into_iter()
        .collect::<Result<Vec<Value>>>()?;
    match info.name {
        "DBSIZE" => sum(replies),
        "KEYS" => concat(replies),
        _ => replies
            .into_iter()
            .next()
            .ok_or_else(|| Error::connection("the cluster has no primaries")),
    }
}

fn sum(replies: Vec<Value>) -> Result<Value> {
    let mut total = 0i64;
    for r in replies {
        match r {
            Value::Integer(n) => total = total.saturating_add(n),
            Value::Error(e) => return Err(Error::from_server(e)),
            other => {
                return Err(Error::protocol(format!(
                    "expected an integer from each node, got {}",
                    other.shape()
                )))
            }
        }
    }
    Ok(Value::Integer(total))
}

fn concat(replies: Vec<Value>) -> Result<Value> {
    let mut all = Vec::new();
    for r in replies {
        match r {
            Value::Array(items) | Value::Set(items) => all.extend(items),
            Value::Error(e) => return Err(Error::from_server(e)),
            other => {
                return Err(Error::protocol(format!(
                    "expected an array from each node, got {}",
                    other.shape()
                )))
            }
        }
    }
    Ok(Value::Array(all))
}

/// A command whose keys span several slots: split per slot where that is
/// well defined, else refused before sending.
pub(super) async fn split(
    cluster: &ClusterClient,
    info: &CommandInfo,
    args: &[&[u8]],
    positions: &[usize],
    slots: &[u16],
    read: bool,
) -> Result<Value> {
    let pairs = match info.name {
        "MGET" | "DEL" | "UNLINK" | "EXISTS" | "TOUCH" => false,
        "MSET" => true,
        name => {
            return Err(Error::client(format!(
                "{name} has keys in different hash slots, which a cluster cannot run in one command (CROSSSLOT); \
                 give the keys a common {{hash tag}} or send one command per key"
            )))
        }
    };
    // Slot → positions of its keys, in the caller's order.
    let mut groups: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (i, &slot) in slots.iter().enumerate() {
        groups.entry(slot).or_default().push(i);
    }
    let name = args.first().copied().unwrap_or_default();
    let mut calls = Vec::new();
    for (&slot, members) in &groups {
        let mut part = Cmd::new();
        part.arg(name);
        for &i in members {
            let Some(&p) = positions.get(i) else { continue };
            part.arg(args.get(p).copied().unwrap_or_default());
            if pairs {
                part.arg(args.get(p + 1).copied().unwrap_or_default());
            }
        }
        calls.push(async move { cluster.send_to_slot(slot, read, &part).await });
    }
    let replies = join_all(calls)
        .await
        .into_iter()
        .collect::<Result<Vec<Value>>>()?;
    match info.name {
        "MGET" => {
            let mut out = vec![Value::Nil; slots.len()];
            for (members, reply) in groups.values().zip(replies) {
                let Value::Array(values) = reply else {
                    return Err(Error::protocol(format!(
                        "MGET part answered {}",
                        reply.shape()
                    )));
                };
                if values.len() != members.len() {
                    return Err(Error::protocol(
                        "an MGET part answered the wrong number of values",
                    ));
                }
                for (&i, v) in members.iter().zip(values) {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = v;
                    }
                }
            }
            Ok(Value::Array(out))
        }
        "MSET" => Ok(Value::SimpleString("OK".into())),
        _ => sum(replies),
    }
}
