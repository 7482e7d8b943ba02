//! [`ClusterClient`]: its state, node connections and the routing of one
//! command (redirects are in `redirect`, the slot map's upkeep in `refresh`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::builder::{ClusterBuilder, ReadFrom};
use super::request::ClusterRequest;
use super::slot::{key_positions, key_slot};
use super::topology::{NodeAddr, Topology};
use crate::client::routing;
use crate::client::Client;
use crate::cmd::Cmd;
use crate::command_info::{CommandFlags, CommandInfo};
use crate::config::{Config, ServerAddr};
use crate::error::{Error, ErrorKind, Result};
use crate::executor::Executor;
use crate::resp::Value;
use crate::value::{FromValue, ToArgs};

/// A client for a Redis Cluster, with the same typed methods and raw
/// `call` as [`Client`]. Cheap to clone; one multiplexed connection per node,
/// opened when first needed.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use tornadis::{cluster::ClusterClient, Commands};
/// let cluster = ClusterClient::new(["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"])?;
/// cluster.set("{user:1}:name", "ada").await?;
/// let name: Option<String> = cluster.get("{user:1}:name").await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClusterClient {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) template: Config,
    pub(super) seeds: Vec<NodeAddr>,
    pub(super) read_from: ReadFrom,
    pub(super) max_redirects: usize,
    pub(super) retry_window: Duration,
    pub(super) refresh_interval: Option<Duration>,
    pub(super) topology: RwLock<Option<Arc<Topology>>>,
    /// One client per node address and mode (read-only replica connections apart).
    pub(super) nodes: Mutex<HashMap<(NodeAddr, bool), Client>>,
    /// Single-flight reads of the slot map (see `refresh`).
    pub(super) refresh: super::refresh::Refresher,
    /// Spreads keyless commands and replica reads.
    pub(super) next: AtomicUsize,
}

impl ClusterClient {
    /// A client from seed URLs (`redis://[user:pass@]host:port`); the first URL's settings apply to all nodes.
    pub fn new<I, S>(seed_urls: I) -> Result<ClusterClient>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        seed_urls
            .into_iter()
            .fold(ClusterClient::builder(), |b, u| b.seed_url(u.as_ref()))
            .build()
    }

    /// A builder for seeds and options.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::new()
    }

    /// Sends any command, routed by its keys; the reply comes back as a [`Value`].
    ///
    /// # Cancel safety
    /// As for [`Client::call`]: a dropped request never desyncs a connection.
    pub fn call<A: ToArgs>(&self, args: A) -> ClusterRequest<'_, Value> {
        self.call_as(args)
    }

    /// Sends any command, routed by its keys, and decodes the reply as `R`.
    pub fn call_as<R: FromValue, A: ToArgs>(&self, args: A) -> ClusterRequest<'_, R> {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        self.execute(cmd)
    }

    /// Reads the slot map now (it is otherwise read on first use, on
    /// `MOVED`, on connection loss and periodically).
    pub async fn refresh_topology(&self) -> Result<()> {
        self.refresh(true).await
    }

    /// The addresses of the primaries, as the last slot map read says.
    pub fn primaries(&self) -> Vec<String> {
        self.topology()
            .map(|t| {
                t.primaries()
                    .iter()
                    .map(|(h, p)| format!("{h}:{p}"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// True when every node that a command of `info` may be sent to (each
    /// primary, and each replica when reads may go to replicas) has it, as
    /// its handshake reports; opens those nodes' connections to learn it.
    pub(crate) async fn every_node_has(&self, info: &CommandInfo) -> Result<bool> {
        let topology = self.ensure_topology().await?;
        let primaries = topology.primaries();
        let nodes = match self.inner.read_from {
            ReadFrom::Primary => primaries.clone(),
            _ => topology.nodes(),
        };
        for addr in nodes {
            let node = self.node(&addr, !primaries.contains(&addr))?;
            node.connect().await?;
            if !node.server().is_some_and(|s| info.availability.on(s)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The settings for a connection to `addr`: the template's, with that address.
    pub(super) fn node_config(&self, addr: &NodeAddr) -> Config {
        let mut config = self.inner.template.clone();
        config.addr = ServerAddr::Tcp {
            host: addr.0.clone(),
            port: addr.1,
        };
        config
    }

    /// The client for one node (created on first use).
    pub(super) fn node(&self, addr: &NodeAddr, readonly: bool) -> Result<Client> {
        let mut nodes = self.inner.nodes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = nodes.get(&(addr.clone(), readonly)) {
            return Ok(c.clone());
        }
        let mut config = self.inner.template.clone();
        config.addr = ServerAddr::Tcp {
            host: addr.0.clone(),
            port: addr.1,
        };
        config.readonly = readonly;
        // Keeps the cluster's event hub (`Client::new` would drop it).
        let client = Client::with_mode(config, false)?;
        nodes.insert((addr.clone(), readonly), client.clone());
        Ok(client)
    }

    /// A receiver of the [`ConnectionEvent`](crate::ConnectionEvent)s of
    /// every node connection (request/reply and pub/sub) from now on; each
    /// event names its node. See [`ConnectionEvents`](crate::ConnectionEvents).
    pub fn events(&self) -> crate::ConnectionEvents {
        self.inner
            .template
            .events
            .clone()
            .unwrap_or_default()
            .subscribe()
    }

    /// Where to send a command for `slot`: the primary, or a replica for reads.
    pub(super) fn target(
        &self,
        topology: &Topology,
        slot: u16,
        read: bool,
    ) -> Result<(NodeAddr, bool)> {
        let range = topology.range_for(slot).ok_or_else(|| {
            self.refresh_soon();
            Error::new(
                ErrorKind::Connection,
                format!("no node serves slot {slot} (the cluster may be resharding or down)"),
            )
        })?;
        if read && self.inner.read_from != ReadFrom::Primary && !range.replicas.is_empty() {
            let i = self.inner.next.fetch_add(1, Ordering::Relaxed) % range.replicas.len();
            if let Some(r) = range.replicas.get(i) {
                return Ok((r.clone(), true));
            }
        }
        Ok((range.primary.clone(), false))
    }

    /// Any primary, in turn.
    pub(super) async fn any_primary(&self) -> Result<Client> {
        let t = self.ensure_topology().await?;
        let primaries = t.primaries();
        let i = self.inner.next.fetch_add(1, Ordering::Relaxed) % primaries.len().max(1);
        let addr = primaries
            .get(i)
            .ok_or_else(|| Error::connection("the cluster has no primaries"))?;
        self.node(addr, false)
    }

    /// Routes and runs one command.
    ///
    /// `cmd` carries its spec-table entry (attached by [`prepare`]): it is
    /// validated and routed here, once, and handed on to its node's
    /// connection as it is. The reply is raw (a server error may be a
    /// [`Value::Error`]), for the caller to decode once.
    pub(super) async fn run(&self, cmd: Cmd) -> Result<Value> {
        cmd.validate()?;
        let info = cmd.info();
        // Refuses connection-state commands, as on a shared client; the
        // route goes with the command to its node.
        let route = routing::route_with(info, &cmd, false)?;
        let Some(info) = info else {
            return self.any_primary().await?.send_routed(&cmd, route).await;
        };
        let args: Vec<&[u8]> = cmd.arg_slices().collect();
        let positions = key_positions(info, &args);
        let read = info.flags.contains(CommandFlags::READONLY);
        if positions.is_empty() {
            // A keyed command is checked by the node it goes to; a keyless
            // one by a primary first (and by each node it goes to).
            if cmd.gate().is_some() {
                let primary = self.any_primary().await?;
                primary.learn_server(&cmd).await?;
                primary.check_server(&cmd)?;
            }
            return super::multi::keyless(self, info, &cmd, &route).await;
        }
        let slots: Vec<u16> = positions
            .iter()
            .filter_map(|&p| args.get(p))
            .map(|k| key_slot(k))
            .collect();
        let first = slots.first().copied().unwrap_or(0);
        if slots.iter().all(|s| *s == first) {
            return self.send_to_slot(first, read, &cmd, &route).await;
        }
        super::multi::split(self, info, &args, &positions, &slots, read, &route).await
    }
}

/// Attaches a raw command's spec-table entry, looked up once by name (a
/// typed command carries it already), so that routing, the node's
/// connection and error messages need no second lookup.
pub(super) fn prepare(mut cmd: Cmd) -> Cmd {
    if cmd.info().is_none() {
        if let Some(info) = routing::info_of(&cmd) {
            cmd.attach_info(info);
        }
    }
    cmd
}
