//! Pipelines on a cluster: each command goes to the node serving its keys,
//! the commands for one node go out together as one batch on that node's
//! connection, and the replies are put back in the pipeline's order.
//!
//! The commands are routed from the pipeline's own encoding and the
//! spec-table entries it kept while stacking: nothing is looked up again,
//! and a command is rebuilt on its own only when it must be sent alone (a
//! multi-slot split, a fan-out to every primary, a redirect).

use std::sync::atomic::Ordering;

use super::client::ClusterClient;
use super::slot::{key_positions, key_slot};
use super::topology::{NodeAddr, Topology};
use crate::client::request::CommandName;
use crate::cmd::encoded_args;
use crate::command_info::{CommandFlags, CommandInfo};
use crate::error::{Error, Result};
use crate::pipeline::{Batch, Pipeline};
use crate::resp::Value;

/// The commands of a pipeline bound for one node.
struct Part {
    node: (NodeAddr, bool),
    batch: Batch,
    /// Where each of its commands is in the pipeline.
    at: Vec<usize>,
}

impl ClusterClient {
    /// Runs a raw [`Pipeline`] on the cluster: every command is routed by its
    /// own keys, the commands for one node go out together on that node's
    /// connection, and the replies come back in the pipeline's order, each
    /// its own `Result` (redirects are followed per command; one failing
    /// command does not disturb the others).
    ///
    /// An atomic pipeline (MULTI/EXEC) must have all its keys in one slot; it
    /// runs on that slot's primary. Otherwise it fails with a client error
    /// before anything is sent.
    ///
    /// ```no_run
    /// # async fn demo(cluster: tornadis::cluster::ClusterClient) -> tornadis::Result<()> {
    /// let mut pipe = tornadis::Pipeline::new();
    /// pipe.stack_call(("SET", "a", 1)).stack_call(("SET", "b", 2)).stack_call(("MGET", "a", "b"));
    /// let replies = cluster.call_pipeline(&pipe).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Dropping the future never desyncs a node connection; commands already
    /// sent may still run.
    pub async fn call_pipeline(&self, pipeline: &Pipeline) -> Result<Vec<Result<Value>>> {
        self.run_batch(pipeline.batch(), pipeline.is_atomic()).await
    }

    /// Runs the commands of `batch`, one `Result` per command in order.
    pub(crate) async fn run_batch(
        &self,
        batch: &Batch,
        atomic: bool,
    ) -> Result<Vec<Result<Value>>> {
        batch.check()?;
        // Node connections are shared: what a shared client refuses in a
        // pipeline is refused here too.
        if let Some(e) = batch.shared_refusal(atomic) {
            return Err(e);
        }
        if atomic {
            return self.run_atomic(batch).await;
        }
        let topology = self.ensure_topology().await?;
        // Keyless commands of one pipeline go to one primary, chosen once.
        let primaries = topology.primaries();
        let keyless = primaries
            .get(self.inner.next.fetch_add(1, Ordering::Relaxed) % primaries.len().max(1))
            .cloned();
        let mut parts: Vec<Part> = Vec::new();
        let mut alone = Vec::new();
        for i in 0..batch.len() {
            let dest = batch
                .entry(i)
                .and_then(|(bytes, info)| self.node_for(&topology, bytes, info, keyless.as_ref()));
            let Some(node) = dest else {
                alone.push(i);
                continue;
            };
            let part = match parts.iter().position(|p| p.node == node) {
                Some(p) => &mut parts[p],
                None => {
                    parts.push(Part {
                        node,
                        batch: Batch::default(),
                        at: Vec::new(),
                    });
                    let last = parts.len() - 1;
                    &mut parts[last]
                }
            };
            part.batch.push_from(batch, i);
            part.at.push(i);
        }
        let sends = parts.iter().map(|part| {
            let (addr, readonly) = part.node.clone();
            let commands = &part.batch;
            async move {
                let node = self.node(&addr, readonly)?;
                // Each node's own kind and version decide: a node without a
                // connection yet opens it first to learn them.
                node.learn_server_when(commands.needs_server()).await?;
                commands.run(&node, false).await
            }
        });
        let singles = alone.iter().map(|&i| self.run_entry(batch, i));
        let (sent, singles) = tokio::join!(
            super::multi::join_all(sends.collect()),
            super::multi::join_all(singles.collect())
        );
        let mut out: Vec<Option<Result<Value>>> = (0..batch.len()).map(|_| None).collect();
        let mut again = Vec::new();
        for (part, result) in parts.iter().zip(sent) {
            match result {
                Ok(replies) => {
                    for (&i, reply) in part.at.iter().zip(replies) {
                        match reply {
                            Err(e) if follows(&e) => again.push(i),
                            reply => out[i] = Some(reply),
                        }
                    }
                }
                Err(e) => {
                    if e.is_connection() || e.is_timeout() {
                        self.refresh_soon();
                    }
                    for &i in &part.at {
                        // A read may go elsewhere; a write that may have run is not sent twice.
                        if part.node.1 && (e.is_connection() || e.is_timeout()) {
                            again.push(i);
                        } else {
                            out[i] = Some(Err(e.clone()));
                        }
                    }
                }
            }
        }
        for (&i, reply) in alone.iter().zip(singles) {
            out[i] = Some(reply);
        }
        // Redirected commands, each on its own (it follows its redirects),
        // one after the other so that two for one key keep their order.
        for &i in &again {
            out[i] = Some(self.run_entry(batch, i).await);
        }
        Ok(out
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::protocol("a pipeline command got no reply"))))
            .collect())
    }

    /// The node that command `bytes` goes to with the others of its node, or
    /// `None` when it must be sent on its own (keys in several slots, a
    /// fan-out to several nodes, a slot no node serves).
    fn node_for(
        &self,
        topology: &Topology,
        bytes: &[u8],
        info: Option<&'static CommandInfo>,
        keyless: Option<&NodeAddr>,
    ) -> Option<(NodeAddr, bool)> {
        let Some(info) = info else {
            // Unknown to the table (a module command): any primary.
            return keyless.map(|a| (a.clone(), false));
        };
        let args: Vec<&[u8]> = encoded_args(bytes)?.collect();
        let positions = key_positions(info, &args);
        let mut slots = positions
            .iter()
            .filter_map(|&p| args.get(p))
            .map(|k| key_slot(k));
        let Some(first) = slots.next() else {
            return match super::multi::fans_out(info) {
                true => None,
                false => keyless.map(|a| (a.clone(), false)),
            };
        };
        if slots.any(|s| s != first) {
            return None;
        }
        let read = info.flags.contains(CommandFlags::READONLY);
        self.target(topology, first, read).ok()
    }

    /// Command `i` of `batch`, sent on its own.
    async fn run_entry(&self, batch: &Batch, i: usize) -> Result<Value> {
        let name = batch.name(i);
        match batch.cmd(i) {
            // A server error is this command's `Err`, as in any pipeline.
            Some(cmd) => match self.run(cmd).await {
                Ok(Value::Error(e)) => Err(name.attach(Error::from_server(e))),
                Ok(v) => Ok(v),
                Err(e) => Err(attach(&name, e)),
            },
            None => Err(Error::protocol("a pipeline command could not be read back")),
        }
    }

    /// A MULTI/EXEC pipeline: all its keys in one slot, on that slot's primary.
    async fn run_atomic(&self, batch: &Batch) -> Result<Vec<Result<Value>>> {
        let mut slot: Option<u16> = None;
        for i in 0..batch.len() {
            let Some((bytes, Some(info))) = batch.entry(i) else {
                continue;
            };
            let Some(args) = encoded_args(bytes) else {
                continue;
            };
            let args: Vec<&[u8]> = args.collect();
            for p in key_positions(info, &args) {
                let s = key_slot(args.get(p).copied().unwrap_or_default());
                if slot.is_some_and(|first| first != s) {
                    return Err(Error::client(
                        "a transaction's keys must all hash to one slot in a cluster (CROSSSLOT); \
                         give them a common {hash tag}, or run the commands without atomic()",
                    ));
                }
                slot = Some(s);
            }
        }
        let node = match slot {
            Some(s) => {
                let topology = self.ensure_topology().await?;
                let (addr, _) = self.target(&topology, s, false)?;
                self.node(&addr, false)?
            }
            None => self.any_primary().await?,
        };
        batch.run(&node, true).await
    }
}

/// Whether a command's error is one the cluster follows (a redirect, a
/// slot being moved or a cluster that is briefly down).
fn follows(e: &Error) -> bool {
    matches!(
        e.code(),
        Some("MOVED") | Some("ASK") | Some("TRYAGAIN") | Some("CLUSTERDOWN")
    )
}

/// Names the command in an error that does not name one yet.
fn attach(name: &CommandName, e: Error) -> Error {
    match e.command() {
        Some(_) => e,
        None => name.attach(e),
    }
}
