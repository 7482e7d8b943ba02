//! Following the cluster's answers for one slot: `MOVED` and `ASK`
//! redirects, `TRYAGAIN`/`CLUSTERDOWN` retries, and replica fallbacks.

use std::time::{Duration, Instant};

use super::client::ClusterClient;
use super::topology::NodeAddr;
use super::ReadFrom;
use crate::backoff::Backoff;
use crate::client::request::CommandName;
use crate::client::routing::Route;
use crate::client::Client;
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::resp::Value;

impl ClusterClient {
    /// Sends `cmd` to the node serving `slot`, following redirects. The
    /// command was validated, looked up and routed (`route`) once by the
    /// cluster; it goes to each node as it is, encoded once when queued.
    /// A server error other than a redirect is returned as an `Err`.
    pub(super) async fn send_to_slot(
        &self,
        slot: u16,
        read: bool,
        cmd: &Cmd,
        route: &Route,
    ) -> Result<Value> {
        let topology = self.ensure_topology().await?;
        let (mut addr, mut readonly) = self.target(&topology, slot, read)?;
        let mut asking = false;
        let mut redirects = 0;
        // TRYAGAIN/CLUSTERDOWN: the shared reconnect backoff (jittered, so
        // many callers do not retry in step), from 10 ms up to 200 ms.
        let mut backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(200));
        let started = Instant::now();
        loop {
            let node = self.node(&addr, readonly)?;
            // Each node's own kind and version decide: a node without a
            // connection yet opens it first to learn them.
            let reply = match node.learn_server(cmd).await {
                Err(e) => Err(e),
                Ok(()) => {
                    node.check_server(cmd)?;
                    if asking {
                        asking_call(&node, cmd, route).await
                    } else {
                        node.send_routed(cmd, route.clone()).await
                    }
                }
            };
            let error = match reply {
                Ok(Value::Error(e)) => Error::from_server(e),
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match error.code() {
                Some("MOVED") | Some("ASK") if redirects < self.inner.max_redirects => {
                    redirects += 1;
                    asking = error.code() == Some("ASK");
                    addr = redirect_target(&error)?;
                    readonly = false;
                    if !asking {
                        self.refresh_soon();
                    }
                }
                Some("TRYAGAIN") | Some("CLUSTERDOWN")
                    if started.elapsed() < self.inner.retry_window =>
                {
                    tokio::time::sleep(backoff.next_delay()).await;
                    let _ = self.refresh(false).await;
                    let topology = self.ensure_topology().await?;
                    (addr, readonly) = self.target(&topology, slot, read)?;
                    asking = false;
                }
                _ if error.is_connection() || error.is_timeout() => {
                    self.refresh_soon();
                    if readonly && self.inner.read_from == ReadFrom::PreferReplica {
                        // A read that could not reach a replica: ask the primary instead.
                        let topology = self.ensure_topology().await?;
                        (addr, readonly) = self.target(&topology, slot, false)?;
                        continue;
                    }
                    return Err(error);
                }
                _ => return Err(error),
            }
        }
    }
}

/// `ASKING` then the command, back to back on the same connection.
///
/// ASKING changes the connection's state only for the very next command, so
/// sending the two in one contiguous write is safe on a shared connection
/// (which is why this bypasses the pipeline's routing checks).
///
/// A blocking command would hold the node's shared connection for its whole
/// timeout: its pair runs on a connection of its own to the node, closed after.
async fn asking_call(node: &Client, cmd: &Cmd, route: &Route) -> Result<Value> {
    let mut bytes = bytes::BytesMut::with_capacity(cmd.encoded_len() + 16);
    bytes.extend_from_slice(b"*1\r\n$6\r\nASKING\r\n");
    cmd.write_to(&mut bytes);
    let blocks = route.blocks();
    let own;
    let node = if blocks {
        let mut config = node.config().clone();
        // The command's own timeout bounds the wait, as on a side connection.
        config.read_timeout = None;
        own = node.sibling(config, true)?;
        &own
    } else {
        node
    };
    let permit = node.permit().await?;
    let rx = node.enqueue_encoded(permit, &[&bytes], 2, blocks.then_some(None), false)?;
    let name = CommandName::of(cmd);
    match crate::client::request::finish_rx::<Value>(&name, rx.await)? {
        Value::Array(mut replies) if replies.len() == 2 => match replies.pop() {
            Some(Value::Error(e)) => Err(name.attach(Error::from_server(e))),
            Some(v) => Ok(v),
            None => Err(Error::protocol("ASKING pair returned no reply")),
        },
        other => Err(Error::protocol(format!(
            "ASKING pair answered {}",
            other.shape()
        ))),
    }
}

/// The node named by a `MOVED slot host:port` or `ASK slot host:port` error.
fn redirect_target(error: &Error) -> Result<NodeAddr> {
    let message = error
        .server_error()
        .map(|s| s.message())
        .unwrap_or_default();
    let addr = message.split_whitespace().nth(1).unwrap_or_default();
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse::<u16>().ok()?,
            ))
        })
        .ok_or_else(|| Error::protocol(format!("cannot parse the redirect {message:?}")))?;
    Ok((host.to_string(), port))
}
