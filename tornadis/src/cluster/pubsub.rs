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
//! A supervisor task follows failovers and resharding: when a shard client
//! loses its connection for longer than [`DOWN_GRACE`], reconnects (a
//! `Reconnected` notice), or stops, the slot map is read again and every
//! shard channel whose slot now belongs to another primary is subscribed
//! there. Once every channel is subscribed again, a
//! [`MessageKind::Reconnected`](crate::MessageKind::Reconnected) notice is
//! queued: what was published in between is lost, as with any Redis pub/sub.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

use super::client::ClusterClient;
use super::messages::ClusterMessages;
use super::slot::key_slot;
use super::topology::NodeAddr;
use crate::error::{Error, Result};
use crate::pubsub::{Message, MessageKind, PubSubClient};
use crate::value::ToArgs;

/// How many messages wait in the merged queue before the forwarding tasks
/// stop reading (each shard client then buffers, and reports lag, on its own).
const QUEUE_CAPACITY: usize = 1024;

/// How often the supervisor looks at the shard clients.
const TICK: Duration = Duration::from_millis(250);

/// How long a shard client may stay disconnected before its channels are
/// checked against a fresh slot map (a short blip is left to the client's
/// own reconnect).
const DOWN_GRACE: Duration = Duration::from_millis(500);

/// How many times a `SSUBSCRIBE` answered `MOVED` is retried after reading
/// the slot map again.
const MAX_MOVED: usize = 3;

/// How long a node may take to confirm an `SSUBSCRIBE`. Without a bound, a
/// subscription to a node that just died would wait for its reconnect while
/// holding the state the supervisor needs to move its channels away.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a best-effort `SUNSUBSCRIBE` on a node that lost a slot may take.
const UNSUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(1);

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
/// Classic channels and patterns stay on their node, whose client
/// reconnects to it by itself.
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

struct Inner {
    cluster: ClusterClient,
    state: Mutex<State>,
    tx: mpsc::Sender<Message>,
    rx: Arc<Mutex<mpsc::Receiver<Message>>>,
    /// Tells the supervisor which node to look at.
    events: mpsc::UnboundedSender<NodeAddr>,
    supervisor: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterPubSub").finish_non_exhaustive()
    }
}

/// One subscribed connection and the task forwarding its messages.
struct Node {
    client: PubSubClient,
    forward: JoinHandle<()>,
    /// The shard channels subscribed on it (empty for the classic client).
    channels: BTreeSet<Bytes>,
}

impl Node {
    fn close(self) {
        self.forward.abort();
        self.client.disconnect();
    }
}

#[derive(Default)]
struct State {
    shards: HashMap<NodeAddr, Node>,
    classic: Option<Node>,
    /// Shard channels wanted but not subscribed anywhere right now.
    pending: BTreeSet<Bytes>,
    /// A gap notice is due once `pending` is empty.
    gap_owed: bool,
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
        if let Some(node) = state.classic.take() {
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
                .map(|h| h.spawn(supervise(weak.clone(), events_rx)));
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
            .map(|n| n.client.clone());
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
            .map(|n| n.client.clone());
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
    async fn subscribe_group(&self, state: &mut State, group: Vec<Bytes>) -> Result<()> {
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
            bounded(node.client.pubsub_ssubscribe(group.to_vec())).await?;
            node.channels.extend(group.iter().cloned());
            return Ok(());
        }
        let client = PubSubClient::new(self.cluster.node_config(addr))?;
        if let Err(e) = bounded(client.pubsub_ssubscribe(group.to_vec())).await {
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
        if let Some(node) = &state.classic {
            return Ok(node.client.clone());
        }
        let topology = self.cluster.ensure_topology().await?;
        let addr = topology
            .primaries()
            .into_iter()
            .next()
            .ok_or_else(|| Error::connection("the cluster has no primaries"))?;
        let client = PubSubClient::new(self.cluster.node_config(&addr))?;
        let forward = tokio::spawn(forward(
            client.clone(),
            None,
            self.tx.clone(),
            self.events.clone(),
        ));
        state.classic = Some(Node {
            client: client.clone(),
            forward,
            channels: BTreeSet::new(),
        });
        Ok(client)
    }

    /// Moves the shard channels of `suspects` whose slots now belong to
    /// another primary, retries the pending ones, and queues the gap notice
    /// once nothing is pending.
    async fn rebalance(&self, suspects: &[NodeAddr]) {
        if self.cluster.refresh_topology().await.is_err() {
            return; // The cluster is unreachable: the next tick tries again.
        }
        let Ok(topology) = self.cluster.ensure_topology().await else {
            return;
        };
        let owner = |c: &Bytes| topology.range_for(key_slot(c)).map(|r| r.primary.clone());
        let mut state = self.state.lock().await;
        for addr in suspects {
            let Some(node) = state.shards.get_mut(addr) else {
                continue;
            };
            let leaving: Vec<Bytes> = node
                .channels
                .iter()
                .filter(|c| owner(c).as_ref() != Some(addr))
                .cloned()
                .collect();
            if leaving.is_empty() {
                continue; // Still the owner: its own reconnect restores the channels.
            }
            for c in &leaving {
                node.channels.remove(c);
            }
            if node.channels.is_empty() {
                if let Some(node) = state.shards.remove(addr) {
                    node.close();
                }
            } else {
                // The node is alive but lost some slots: stop their messages there.
                let unsubscribe = node.client.pubsub_sunsubscribe(leaving.clone());
                let _ = tokio::time::timeout(UNSUBSCRIBE_TIMEOUT, unsubscribe).await;
            }
            state.pending.extend(leaving);
            state.gap_owed = true;
        }
        let pending: Vec<Bytes> = std::mem::take(&mut state.pending).into_iter().collect();
        for group in by_slot(pending).into_values() {
            if self
                .subscribe_group(&mut state, group.clone())
                .await
                .is_err()
            {
                state.pending.extend(group);
            }
        }
        let gap = state.gap_owed && state.pending.is_empty();
        if gap {
            state.gap_owed = false;
        }
        drop(state);
        if gap {
            let _ = self.tx.send(Message::reconnected()).await;
        }
    }

    /// The shard nodes that have been disconnected for longer than
    /// [`DOWN_GRACE`] (`down_since` remembers when each went down).
    async fn down_nodes(&self, down_since: &mut HashMap<NodeAddr, Instant>) -> Vec<NodeAddr> {
        let state = self.state.lock().await;
        down_since.retain(|addr, _| state.shards.contains_key(addr));
        let mut out = Vec::new();
        for (addr, node) in &state.shards {
            if node.client.is_connected() {
                down_since.remove(addr);
            } else if down_since
                .entry(addr.clone())
                .or_insert_with(Instant::now)
                .elapsed()
                >= DOWN_GRACE
            {
                out.push(addr.clone());
            }
        }
        out
    }

    /// True when channels wait to be subscribed again (retried every tick).
    async fn has_pending(&self) -> bool {
        let state = self.state.lock().await;
        !state.pending.is_empty() || state.gap_owed
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

/// Follows failovers until the [`ClusterPubSub`] is dropped.
async fn supervise(weak: Weak<Inner>, mut events: mpsc::UnboundedReceiver<NodeAddr>) {
    let mut down_since = HashMap::new();
    loop {
        let event = tokio::time::timeout(TICK, events.recv()).await;
        let Some(inner) = weak.upgrade() else { return };
        let mut suspects = match event {
            Ok(Some(addr)) => vec![addr],
            Ok(None) => return,
            Err(_) => Vec::new(),
        };
        suspects.extend(inner.down_nodes(&mut down_since).await);
        if !suspects.is_empty() || inner.has_pending().await {
            inner.rebalance(&suspects).await;
        }
    }
}

/// `subscribe`, failing with a timeout error after [`SUBSCRIBE_TIMEOUT`].
async fn bounded(subscribe: impl std::future::Future<Output = Result<()>>) -> Result<()> {
    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribe)
        .await
        .unwrap_or_else(|_| {
            Err(Error::timeout(
                "the node did not confirm SSUBSCRIBE in time (it may be failing over); try again",
            )
            .with_command("SSUBSCRIBE"))
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
fn by_slot(channels: Vec<Bytes>) -> BTreeMap<u16, Vec<Bytes>> {
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
