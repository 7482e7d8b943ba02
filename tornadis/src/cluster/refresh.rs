//! The slot map's upkeep: reading `CLUSTER SLOTS`, installing a new map,
//! and the periodic and on-demand refreshes. Reads are single-flight,
//! concurrent and bounded in time, so that a frozen node cannot stall the
//! cluster client.
//!
//! - **Single-flight.** At most one read runs at a time. Callers that want
//!   a fresh map while one is being read wait for that read's outcome
//!   instead of starting their own, and [`refresh_soon`](ClusterClient::refresh_soon)
//!   spawns nothing while a read runs or right after one (a burst of
//!   `MOVED` replies makes one read, not a pile of tasks).
//! - **Concurrent, with a deadline per node.** Every known node and seed is
//!   asked at once; the first valid answer wins and the other questions are
//!   dropped. Each node gets [`NODE_DEADLINE`] at most, so a frozen primary
//!   (which accepts connections and never answers) costs nothing while any
//!   other node answers.
//! - **No lock across I/O.** The state here is behind a short `std` lock
//!   taken only to look and to record; the read itself runs in a task of
//!   its own, so a caller that gives up (a cancelled request) never leaves
//!   the others waiting for a read nobody finishes.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::client::{ClusterClient, Inner};
use super::topology::{NodeAddr, Topology};
use crate::error::{Error, Result};

/// The shortest time between two reads of the slot map (a burst of `MOVED`
/// replies triggers one refresh).
pub(super) const MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(100);

/// How long one node may take to answer `CLUSTER SLOTS` (connecting
/// included) before it is left out of this read.
pub(super) const NODE_DEADLINE: Duration = Duration::from_secs(2);

/// The refresh state of one cluster client.
#[derive(Debug, Default)]
pub(super) struct Refresher {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the last read ended.
    last: Option<Instant>,
    /// Set while a read runs: notified when it ends.
    running: Option<Arc<Notify>>,
    /// How the last read ended, for the callers that waited for it.
    outcome: Option<Result<()>>,
}

impl Refresher {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics under this lock; a poisoned one is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

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

    /// Reads the slot map, or waits for the read already running. Unless
    /// `force`, returns at once within [`MIN_REFRESH_INTERVAL`] of the last
    /// read; with `force`, only when a map is known and was read that recently.
    pub(super) async fn refresh(&self, force: bool) -> Result<()> {
        let notify = {
            let mut st = self.inner.refresh.lock();
            match &st.running {
                Some(n) => n.clone(),
                None => {
                    let recent = st.last.is_some_and(|t| t.elapsed() < MIN_REFRESH_INTERVAL);
                    if recent && (!force || self.topology().is_some()) {
                        return Ok(());
                    }
                    let n = Arc::new(Notify::new());
                    st.running = Some(n.clone());
                    st.outcome = None;
                    self.spawn_read(n.clone());
                    n
                }
            }
        };
        // `notify_waiters` only wakes futures that exist, so register first,
        // then look whether the read already ended.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let st = self.inner.refresh.lock();
            let still = st.running.as_ref().is_some_and(|r| Arc::ptr_eq(r, &notify));
            if !still {
                return st.outcome.clone().unwrap_or(Ok(()));
            }
        }
        notified.await;
        let st = self.inner.refresh.lock();
        st.outcome.clone().unwrap_or(Ok(()))
    }

    /// Reads the slot map again in the background, unless a read runs or
    /// just ended.
    pub(super) fn refresh_soon(&self) {
        {
            let st = self.inner.refresh.lock();
            let recent = st.last.is_some_and(|t| t.elapsed() < MIN_REFRESH_INTERVAL);
            if st.running.is_some() || recent {
                return;
            }
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.refresh(false).await;
        });
    }

    /// Runs one read in a task of its own; records its outcome and wakes
    /// the waiters when it ends.
    fn spawn_read(&self, notify: Arc<Notify>) {
        let this = self.clone();
        let read = async move {
            let outcome = this.read_slot_map().await;
            {
                let mut st = this.inner.refresh.lock();
                st.last = Some(Instant::now());
                st.running = None;
                st.outcome = Some(outcome);
            }
            notify.notify_waiters();
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(read);
        }
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

    /// Asks every known node and seed at once; installs the first valid map.
    async fn read_slot_map(&self) -> Result<()> {
        let mut candidates: Vec<NodeAddr> = self.topology().map(|t| t.nodes()).unwrap_or_default();
        for s in &self.inner.seeds {
            if !candidates.contains(s) {
                candidates.push(s.clone());
            }
        }
        let mut asks = JoinSet::new();
        for addr in candidates {
            let node = self.node(&addr, false)?;
            asks.spawn(async move {
                let reply = tokio::time::timeout(NODE_DEADLINE, node.call(("CLUSTER", "SLOTS")))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::timeout(format!(
                            "{}:{} did not answer CLUSTER SLOTS within {NODE_DEADLINE:?}",
                            addr.0, addr.1
                        )))
                    });
                reply.and_then(|r| Topology::from_cluster_slots(r, &addr))
            });
        }
        let mut last_error = Error::connection("no cluster seed nodes");
        while let Some(joined) = asks.join_next().await {
            match joined {
                Ok(Ok(topology)) => {
                    // Dropping the set cancels the questions still open.
                    self.install(topology);
                    return Ok(());
                }
                Ok(Err(e)) => last_error = e,
                Err(e) => {
                    last_error = Error::connection("a slot-map read task failed").with_source(e)
                }
            }
        }
        Err(last_error.with_context("reading the cluster's slot map"))
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
