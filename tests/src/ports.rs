//! Reserving free TCP ports for servers.
//!
//! Redis needs a concrete port (it cannot report back the port it got for
//! `--port 0`), so a candidate is chosen here and the server start is retried
//! on another candidate if the port turns out to be taken. Within this
//! process a reservation table keeps two fixtures (tests run in parallel
//! threads) from picking the same port, and keeps a stopped server's port
//! from being handed out until it is restarted or dropped. Other processes
//! are only kept out by the bind check and the retry.
//!
//! Candidates come from 16000..=22767: below Linux's default ephemeral range
//! (32768 and up), so outgoing connections do not take them, and so is the
//! cluster bus port (port + 10000) of every candidate.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, PoisonError};

/// Redis Cluster listens for its node-to-node bus on the client port plus this.
pub(crate) const CLUSTER_BUS_OFFSET: u16 = 10000;

const FIRST: u16 = 16000;
const LAST: u16 = 22767;
const ATTEMPTS: usize = 2000;

static RESERVED: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A port reserved in this process; released when dropped.
#[derive(Debug)]
pub(crate) struct PortReservation {
    port: u16,
}

impl PortReservation {
    /// Reserves a port that is free right now on 127.0.0.1 (and, with
    /// `with_cluster_bus`, whose cluster bus port is free too).
    pub(crate) fn reserve(with_cluster_bus: bool) -> PortReservation {
        for _ in 0..ATTEMPTS {
            let port = FIRST + (random() % u64::from(LAST - FIRST + 1)) as u16;
            let mut reserved = RESERVED.lock().unwrap_or_else(PoisonError::into_inner);
            if reserved.contains(&port) || !is_free(port, with_cluster_bus) {
                continue;
            }
            reserved.insert(port);
            return PortReservation { port };
        }
        panic!("no free TCP port found in {FIRST}..={LAST} after {ATTEMPTS} attempts");
    }

    /// The reserved port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortReservation {
    fn drop(&mut self) {
        RESERVED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.port);
    }
}

/// Whether `port` (and its cluster bus port if asked) can be bound on
/// 127.0.0.1 right now. Like Redis, std sets `SO_REUSEADDR`, so connections
/// lingering in TIME_WAIT do not make a port look busy.
pub(crate) fn is_free(port: u16, with_cluster_bus: bool) -> bool {
    let bindable = |p: u16| TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok();
    bindable(port)
        && (!with_cluster_bus || port.checked_add(CLUSTER_BUS_OFFSET).is_some_and(bindable))
}

/// A random number, good enough to spread port candidates: `RandomState`
/// is seeded randomly per process and differs per call within a thread.
pub(crate) fn random() -> u64 {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}
