//! [`ClusterPubSub`]: pub/sub on a Redis Cluster.
//!
//! A shard channel (`SSUBSCRIBE`) lives on the primary that owns its hash
//! slot, so the cluster pub/sub keeps one [`PubSubClient`] per primary that
//! serves a subscribed shard channel. Classic channels and patterns
//! (`SUBSCRIBE`, `PSUBSCRIBE`) are broadcast to the whole cluster, so they
//! use one more client on any primary.
//!
//! A forwarding task per client moves its messages into one bounded queue,
//! read by [`ClusterPubSub::pop_message`] and [`ClusterMessages`] (in `messages`).
//!
//! A supervisor task (in `resubscribe`) follows failovers and resharding:
//! when a client stays disconnected for a moment, reconnects (a
//! `Reconnected` notice), or stops, the slot map is read again and every
//! subscription whose node no longer serves it is made on the node that
//! does. Once every channel is subscribed again, a
//! [`MessageKind::Reconnected`](crate::MessageKind::Reconnected) notice is
//! queued: what was published in between is lost, as with any Redis pub/sub.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

use super::client::ClusterClient;
use super::messages::ClusterMessages;
use super::slot::key_slot;
use super::topology::NodeAddr;
use crate::error::{Error, Result};
use crate::pubsub::{Message, MessageKind, PubSubClient, Subscriptions};
use crate::value::ToArgs;

/// How many messages wait in the merged queue before the forwarding tasks
/// stop reading (each shard client then buffers, and reports lag, on its own).
const QUEUE_CAPACITY: usize = 1024;

/// How many times a `SSUBSCRIBE` answered `MOVED` is retried after reading
/// the slot map again.
const MAX_MOVED: usize = 3;

/// How long a node may take to confirm an `SSUBSCRIBE`. Without a bound, a
/// subscription to a node that just died would wait for its reconnect while
/// holding the state the supervisor needs to move its channels away.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Pub/sub on a Redis Cluster: shard channels on the primaries that own
/// them, classic channels and patterns on one primary, and all their
/// messages in one sequence. Made by [`ClusterClient::pubsub`].
///
/// Cheap to clone; clones share the subscriptions and the messages. The
/// connections close when the last clone and the last [`ClusterMessages`]
/// are dropped.
///
/// # Failovers and resharding
/// A shard client that stays disconnected for a moment, reconnects, or
/// stops makes the client read the slot map again; every shard channel whose
/// slot now belongs to another primary is subscribed there. Once every
/// channel is subscribed again, a [`MessageKind::Reconnected`] notice is
/// queued: what was published in between is lost, as with any Redis pub/sub.
/// Classic channels and patterns move to another primary, with the same
/// notice, when their node stops being a primary while disconnected.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use std::time::Duration;
/// use tornadis::cluster::ClusterClient;
///
/// let cluster = ClusterClient::new(["redis://127.0.0.1:7000"])?;
/// let pubsub = cluster.pubsub();
/// pubsub.ssubscribe(["orders:{eu}", "orders:{us}"]).await?;
/// cluster.call(("SPUBLISH", "orders:{eu}", "hello")).await?;
/// if let Some(msg) = pubsub.pop_message(Some(Duration::from_secs(1))).await {
///     if msg.is_gap() {
///         println!("messages were missed");
///     } else {
///         println!("{:?}: {:?}", msg.channel(), msg.payload());
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ClusterPubSub {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) cluster: ClusterClient,
    pub(super) state: Mutex<State>,
    pub(super) tx: mpsc::Sender<Message>,
    pub(super) rx: Arc<Mutex<mpsc::Receiver<Message>>>,
    /// Tells the supervisor which node to look at.
    pub(super) events: mpsc::UnboundedSender<NodeAddr>,
    pub(super) supervisor: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterPubSub").finish_non_exhaustive()
    }
}

/// One subscribed connection and the task forwarding its messages.
pub(super) struct Node {
    pub(super) client: PubSubClient,
    pub(super) forward: JoinHandle<()>,
    /// The shard channels subscribed on it (empty for the classic client).
    pub(super) channels: BTreeSet<Bytes>,
}

impl Node {
    pub(super) fn close(self) {
        self.forward.abort();
        self.client.disconnect();
    }
}

#[derive(Default)]
pub(super) struct State {
    pub(super) shards: HashMap<NodeAddr, Node>,
    /// The classic channels' and patterns' client, and its node.
    pub(super) classic: Option<(NodeAddr, Node)>,
    /// Shard channels wanted but not subscribed anywhere right now.
    pub(super) pending: BTreeSet<Bytes>,
    /// A gap notice is due once `pending` is empty.
    pub(super) gap_owed: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(s) = &self.supervisor {
            s.abort();
        }
        let state = self.state.get_mut();
        for (_, node) in state.shards.drain() {
            node.close();
        }
        if let Some((_, node)) = state.classic.take() {
            node.close();
        }
    }
}

impl ClusterClient {
    /// A pub/sub client for this cluster, with the same settings for every
    /// node. Nothing is opened until the first subscription.
    ///
    /// Must be called within a tokio runtime (it starts the task that
    /// follows failovers); outside one, failovers are not followed.
    pub fn pubsub(&self) -> ClusterPubSub {
        ClusterPubSub::new(self)
    }
}

impl ClusterPubSub {
    /// A pub/sub client for `cluster` (the same as [`ClusterClient::pubsub`]).
    pub fn new(cluster: &ClusterClient) -> ClusterPubSub {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (events, events_rx) = mpsc::unbounded_channel();
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let supervisor = tokio::runtime::Handle::try_current()
                .ok()
                .map(|h| h.spawn(super::resubscribe::supervise(weak.clone(), events_rx)));
            Inner {
                cluster: cluster.clone(),
                state: Mutex::new(State::default()),
                tx,
                rx: Arc::new(Mutex::new(rx)),
                events,
                supervisor,
            }
        });
        ClusterPubSub { inner }
    }

    /// Subscribes to shard channels (`SSUBSCRIBE`), each on the primary that
    /// owns its slot; channels may hash to any slots. Waits until every
    /// node has confirmed. A `MOVED` answer (the slot map was stale) is
    /// followed after reading the slot map again. A node that does not
    /// confirm within 5 s (it may be failing over) makes this fail with a
    /// timeout error; call it again to retry.
    ///
    /// # Cancel safety
    /// If dropped midway, some channels may be subscribed and others not;
    /// the ones a node confirmed stay subscribed and followed.
    pub async fn ssubscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        let channels = split_args(channels, "SSUBSCRIBE")?;
        if channels.is_empty() {
            return Err(Error::client("SSUBSCRIBE needs at least one channel"));
        }
        let mut state = self.inner.state.lock().await;
        let mut last_error = None;
        for group in by_slot(channels).into_values() {
            if let Err(e) = self.inner.subscribe_group(&mut state, group).await {
                last_error = Some(e);
            }
        }
        last_error.map_or(Ok(()), Err)
    }

    /// Unsubscribes from shard channels (`SUNSUBSCRIBE`), or from all of
    /// them when `channels` is empty.
    ///
    /// # Cancel safety
    /// If dropped midway, some channels may still be subscribed; they stay
    /// recorded and followed.
    pub async fn sunsubscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        let wanted = split_args(channels, "SUNSUBSCRIBE")?;
        let mut state = self.inner.state.lock().await;
        let all = wanted.is_empty();
        for c in &wanted {
            state.pending.remove(c);
        }
        if all {
            state.pending.clear();
        }
        let mut last_error = None;
        let addrs: Vec<NodeAddr> = state.shards.keys().cloned().collect();
        for addr in addrs {
            let Some(node) = state.shards.get_mut(&addr) else {
                continue;
            };
            let leaving: Vec<Bytes> = if all {
                node.channels.iter().cloned().collect()
            } else {
                wanted
                    .iter()
                    .filter(|c| node.channels.contains(*c))
                    .cloned()
                    .collect()
            };
            if leaving.is_empty() {
                continue;
            }
            match node.client.pubsub_sunsubscribe(leaving.clone()).await {
                Ok(()) => {
                    for c in &leaving {
                        node.channels.remove(c);
                    }
                }
                Err(e) => last_error = Some(e),
            }
            if node.channels.is_empty() {
                if let Some(node) = state.shards.remove(&addr) {
                    node.close();
                }
            }
        }
        last_error.map_or(Ok(()), Err)
    }

    /// Subscribes to classic channels (`SUBSCRIBE`) on one primary: Redis
    /// Cluster forwards every `PUBLISH` to all nodes.
    ///
    /// # Cancel safety
    /// As for [`PubSubClient::pubsub_subscribe`].
    pub async fn subscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        let client = self.inner.classic().await?;
        client.pubsub_subscribe(channels).await
    }

    /// Subscribes to patterns (`PSUBSCRIBE`) on the same node as [`subscribe`](Self::subscribe).
    ///
    /// # Cancel safety
    /// As for [`PubSubClient::pubsub_subscribe`].
    pub async fn psubscribe<A: ToArgs>(&self, patterns: A) -> Result<()> {
        let client = self.inner.classic().await?;
        client.pubsub_psubscribe(patterns).await
    }

    /// Unsubscribes from classic channels (`UNSUBSCRIBE`), or from all of
    /// them when `channels` is empty.
    ///
    /// # Cancel safety
    /// As for [`PubSubClient::pubsub_unsubscribe`].
    pub async fn unsubscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        let client = self
            .inner
            .state
            .lock()
            .await
            .classic
            .as_ref()
            .map(|(_, n)| n.client.clone());
        match client {
            Some(c) => c.pubsub_unsubscribe(channels).await,
            None => Ok(()),
        }
    }

    /// Unsubscribes from patterns (`PUNSUBSCRIBE`), or from all of them when
    /// `patterns` is empty.
    ///
    /// # Cancel safety
    /// As for [`PubSubClient::pubsub_punsubscribe`].
    pub async fn punsubscribe<A: ToArgs>(&self, patterns: A) -> Result<()> {
        let client = self
            .inner
            .state
            .lock()
            .await
            .classic
            .as_ref()
            .map(|(_, n)| n.client.clone());
        match client {
            Some(c) => c.pubsub_punsubscribe(patterns).await,
            None => Ok(()),
        }
    }

    /// The shard channels subscribed now, with the node each is on.
    pub async fn shard_channels(&self) -> Vec<(Bytes, String)> {
        let state = self.inner.state.lock().await;
        let mut out = Vec::new();
        for ((host, port), node) in &state.shards {
            for c in &node.channels {
                out.push((c.clone(), format!("{host}:{port}")));
            }
        }
        out.sort();
        out
    }

    /// Waits for the next message (or gap notice) from any node, for at most
    /// `timeout` (`None`: no limit); `None` when nothing arrived in time.
    ///
    /// # Cancel safety
    /// Cancel safe: a message is taken only when the future completes.
    pub async fn pop_message(&self, timeout: Option<Duration>) -> Option<Message> {
        let pop = async { self.inner.rx.lock().await.recv().await };
        match timeout {
            None => pop.await,
            Some(t) => tokio::time::timeout(t, pop).await.ok().flatten(),
        }
    }

    /// The messages of every node as a [`Stream`](futures_core::Stream)
    /// (see [`ClusterMessages`]).
    pub fn messages(&self) -> ClusterMessages {
        ClusterMessages::new(self.clone())
    }

    /// The merged queue, shared by every consumer.
    pub(super) fn queue(&self) -> Arc<Mutex<mpsc::Receiver<Message>>> {
        self.inner.rx.clone()
    }
}

impl Inner {
    /// Subscribes one slot's channels on that slot's primary, following `MOVED`.
    pub(super) async fn subscribe_group(&self, state: &mut State, group: Vec<Bytes>) -> Result<()> {
        let slot = group.first().map(|c| key_slot(c)).unwrap_or(0);
        let mut moved = 0;
        loop {
            let topology = self.cluster.ensure_topology().await?;
            let addr = topology
                .range_for(slot)
                .map(|r| r.primary.clone())
                .ok_or_else(|| {
                    Error::connection(format!(
                        "no node serves slot {slot} (the cluster may be resharding or down)"
                    ))
                })?;
            match self.subscribe_at(state, &addr, &group).await {
                Ok(()) => return Ok(()),
                Err(e) if e.code() == Some("MOVED") && moved < MAX_MOVED => {
                    moved += 1;
                    self.cluster.refresh_topology().await?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `SSUBSCRIBE` on `addr`, opening a client for that node if needed.
    async fn subscribe_at(
        &self,
        state: &mut State,
        addr: &NodeAddr,
        group: &[Bytes],
    ) -> Result<()> {
        if let Some(node) = state.shards.get_mut(addr) {
            bounded("SSUBSCRIBE", node.client.pubsub_ssubscribe(group.to_vec())).await?;
            node.channels.extend(group.iter().cloned());
            return Ok(());
        }
        let client = PubSubClient::new(self.cluster.node_config(addr))?;
        if let Err(e) = bounded("SSUBSCRIBE", client.pubsub_ssubscribe(group.to_vec())).await {
            client.disconnect();
            return Err(e);
        }
        let forward = tokio::spawn(forward(
            client.clone(),
            Some(addr.clone()),
            self.tx.clone(),
            self.events.clone(),
        ));
        let node = Node {
            client,
            forward,
            channels: group.iter().cloned().collect(),
        };
        state.shards.insert(addr.clone(), node);
        Ok(())
    }

    /// The classic client, made on first use on any primary.
    async fn classic(&self) -> Result<PubSubClient> {
        let mut state = self.state.lock().await;
        if let Some((_, node)) = &state.classic {
            return Ok(node.client.clone());
        }
        let topology = self.cluster.ensure_topology().await?;
        let addr = topology
            .primaries()
            .into_iter()
            .next()
            .ok_or_else(|| Error::connection("the cluster has no primaries"))?;
        let node = self.open_classic(&addr, &Subscriptions::default()).await?;
        let client = node.client.clone();
        state.classic = Some((addr, node));
        Ok(client)
    }

    /// A connected classic client on `addr`, subscribed to `subs`' channels and patterns.
    pub(super) async fn open_classic(&self, addr: &NodeAddr, subs: &Subscriptions) -> Result<Node> {
        let client = PubSubClient::new(self.cluster.node_config(addr))?;
        let channels: Vec<Bytes> = subs.channels().iter().cloned().collect();
        let patterns: Vec<Bytes> = subs.patterns().iter().cloned().collect();
        let mut opened = bounded("PING", client.connect()).await;
        if opened.is_ok() && !channels.is_empty() {
            opened = bounded("SUBSCRIBE", client.pubsub_subscribe(channels)).await;
        }
        if opened.is_ok() && !patterns.is_empty() {
            opened = bounded("PSUBSCRIBE", client.pubsub_psubscribe(patterns)).await;
        }
        if let Err(e) = opened {
            client.disconnect();
            return Err(e);
        }
        let forward = tokio::spawn(forward(
            client.clone(),
            None,
            self.tx.clone(),
            self.events.clone(),
        ));
        Ok(Node {
            client,
            forward,
            channels: BTreeSet::new(),
        })
    }
}

/// Moves one client's messages into the merged queue. A gap notice or the
/// client stopping makes the supervisor look at the node (`addr`; `None`
/// for the classic client).
async fn forward(
    client: PubSubClient,
    addr: Option<NodeAddr>,
    tx: mpsc::Sender<Message>,
    events: mpsc::UnboundedSender<NodeAddr>,
) {
    loop {
        match client.pubsub_pop_message(None).await {
            Ok(None) => {}
            Ok(Some(msg)) => {
                if msg.kind() == MessageKind::Reconnected {
                    if let Some(a) = &addr {
                        let _ = events.send(a.clone());
                    }
                }
                if tx.send(msg).await.is_err() {
                    return;
                }
            }
            Err(_) => {
                if let Some(a) = addr {
                    let _ = events.send(a);
                }
                return;
            }
        }
    }
}

/// `subscribe`, failing with a timeout error after [`SUBSCRIBE_TIMEOUT`].
pub(super) async fn bounded(
    command: &'static str,
    subscribe: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribe)
        .await
        .unwrap_or_else(|_| {
            Err(Error::timeout(
                "the node did not answer in time (it may be failing over); try again",
            )
            .with_command(command))
        })
}

/// The channel names in `args`, checked like a command's arguments.
fn split_args<A: ToArgs>(args: A, command: &'static str) -> Result<Vec<Bytes>> {
    let mut cmd = crate::cmd::cmd(command);
    cmd.args(args);
    cmd.validate().map_err(|e| e.with_command(command))?;
    // The first argument is the command's name.
    Ok(cmd
        .arg_slices()
        .skip(1)
        .map(Bytes::copy_from_slice)
        .collect())
}

/// Channels grouped by hash slot (one `SSUBSCRIBE` may name one slot only).
pub(super) fn by_slot(channels: Vec<Bytes>) -> BTreeMap<u16, Vec<Bytes>> {
    let mut groups: BTreeMap<u16, Vec<Bytes>> = BTreeMap::new();
    for c in channels {
        groups.entry(key_slot(&c)).or_default().push(c);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_grouped_by_slot() {
        let channels = split_args(["a{x}", "b{x}", "c{y}"], "SSUBSCRIBE").unwrap();
        let groups = by_slot(channels);
        assert_eq!(groups.len(), 2);
        let x = groups.get(&key_slot(b"x")).unwrap();
        assert_eq!(
            x,
            &vec![Bytes::from_static(b"a{x}"), Bytes::from_static(b"b{x}")]
        );
        assert_eq!(groups.get(&key_slot(b"y")).unwrap().len(), 1);
    }
}
