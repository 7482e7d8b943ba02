//! The slot map's upkeep: reading `CLUSTER SLOTS`, installing a new map,
//! and the periodic and on-demand refreshes.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::client::{ClusterClient, Inner};
use super::topology::Topology;
use crate::error::{Error, Result};

/// The shortest time between two reads of the slot map (a burst of `MOVED`
/// replies triggers one refresh).
const MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(100);

impl ClusterClient {
    pub(super) fn topology(&self) -> Option<Arc<Topology>> {
        self.inner
            .topology
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) async fn ensure_topology(&self) -> Result<Arc<Topology>> {
        if let Some(t) = self.topology() {
            return Ok(t);
        }
        self.refresh(true).await?;
        self.topology()
            .ok_or_else(|| Error::connection("no cluster node answered CLUSTER SLOTS"))
    }

    /// Reads `CLUSTER SLOTS` from a known node (or a seed). Only one read
    /// runs at a time; unless `force`, none runs within [`MIN_REFRESH_INTERVAL`] of the last.
    pub(super) async fn refresh(&self, force: bool) -> Result<()> {
        let mut last = self.inner.refresh.lock().await;
        if let Some(t) = *last {
            if !force && t.elapsed() < MIN_REFRESH_INTERVAL {
                return Ok(());
            }
            if force && t.elapsed() < MIN_REFRESH_INTERVAL && self.topology().is_some() {
                return Ok(());
            }
        }
        let mut candidates = self.topology().map(|t| t.nodes()).unwrap_or_default();
        for s in &self.inner.seeds {
            if !candidates.contains(s) {
                candidates.push(s.clone());
            }
        }
        let mut last_error = Error::connection("no cluster seed nodes");
        for addr in candidates {
            let node = self.node(&addr, false)?;
            match node.call(("CLUSTER", "SLOTS")).await {
                Ok(reply) => match Topology::from_cluster_slots(reply, &addr) {
                    Ok(t) => {
                        self.install(t);
                        *last = Some(Instant::now());
                        return Ok(());
                    }
                    Err(e) => last_error = e,
                },
                Err(e) => last_error = e,
            }
        }
        *last = Some(Instant::now());
        Err(last_error.with_context("reading the cluster's slot map"))
    }

    fn install(&self, topology: Topology) {
        let live = topology.nodes();
        let first = {
            let mut slot = self
                .inner
                .topology
                .write()
                .unwrap_or_else(|p| p.into_inner());
            let first = slot.is_none();
            *slot = Some(Arc::new(topology));
            first
        };
        // Forget connections to nodes that left the cluster.
        self.inner
            .nodes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(addr, _), _| live.contains(addr) || self.inner.seeds.contains(addr));
        if first {
            if let Some(every) = self.inner.refresh_interval {
                spawn_periodic_refresh(Arc::downgrade(&self.inner), every);
            }
        }
    }

    /// Reads the slot map again in the background (rate-limited).
    pub(super) fn refresh_soon(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.refresh(false).await;
        });
    }
}

fn spawn_periodic_refresh(inner: Weak<Inner>, every: Duration) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(inner) = inner.upgrade() else { return };
            let _ = ClusterClient { inner }.refresh(false).await;
        }
    });
}
