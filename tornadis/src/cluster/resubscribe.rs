//! Following failovers and resharding for [`ClusterPubSub`](super::ClusterPubSub):
//! the supervisor task, and moving subscriptions to the nodes that now own them.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::pubsub::{by_slot, Inner, State};
use super::slot::key_slot;
use super::topology::NodeAddr;
use crate::pubsub::Message;

/// How often the supervisor looks at the shard clients.
const TICK: Duration = Duration::from_millis(250);

/// How long a shard client may stay disconnected before its channels are
/// checked against a fresh slot map (a short blip is left to the client's
/// own reconnect).
const DOWN_GRACE: Duration = Duration::from_millis(500);

/// How long a best-effort `SUNSUBSCRIBE` on a node that lost a slot may take.
const UNSUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(1);

impl Inner {
    /// Moves the classic subscriptions off `suspects` when their node is no
    /// longer a primary (it died and a replica took over); true if moved.
    async fn move_classic(
        &self,
        state: &mut State,
        suspects: &[NodeAddr],
        primaries: &[NodeAddr],
    ) -> bool {
        let Some((addr, old)) = &state.classic else {
            return false;
        };
        if !suspects.contains(addr) || primaries.contains(addr) {
            return false; // Still a primary: its own reconnect restores the subscriptions.
        }
        let Some(new_addr) = primaries.first() else {
            return false;
        };
        let subs = old.client.subscriptions();
        let Ok(node) = self.open_classic(new_addr, &subs).await else {
            return false; // Tried again on the next tick while the old node stays down.
        };
        if let Some((_, old)) = state.classic.replace((new_addr.clone(), node)) {
            old.close();
        }
        true
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
        if self
            .move_classic(&mut state, suspects, &topology.primaries())
            .await
        {
            state.gap_owed = true;
        }
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

    /// The nodes (shard or classic) that have been disconnected for longer than
    /// [`DOWN_GRACE`] (`down_since` remembers when each went down), and the
    /// connected shard nodes that no longer hold all of their channels.
    async fn down_nodes(&self, down_since: &mut HashMap<NodeAddr, Instant>) -> Vec<NodeAddr> {
        let state = self.state.lock().await;
        let classic = state.classic.as_ref().map(|(a, n)| (a, n));
        down_since.retain(|addr, _| {
            state.shards.contains_key(addr) || classic.is_some_and(|(a, _)| a == addr)
        });
        let mut out = Vec::new();
        for (addr, node) in state.shards.iter() {
            // A connected node that dropped some of our shard channels on
            // its own (the server sends `sunsubscribe` when a slot moves away
            // during a resharding) is checked against a fresh slot map.
            if node.client.is_connected()
                && !node
                    .channels
                    .is_subset(node.client.subscriptions().shard_channels())
            {
                out.push(addr.clone());
            }
        }
        for (addr, node) in state.shards.iter().chain(classic) {
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

/// Follows failovers until the [`ClusterPubSub`] is dropped.
pub(super) async fn supervise(weak: Weak<Inner>, mut events: mpsc::UnboundedReceiver<NodeAddr>) {
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
