//! One client of a pool: the client, when its connection was opened, and its
//! place in the pool's count of clients.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::time::Instant;

use crate::client::Client;
use crate::config::Config;
use crate::error::Result;

/// A client owned by a pool. Dropping it takes it out of the pool's count,
/// wherever that happens (a cancelled acquire, a discarded client), so the
/// count cannot drift.
#[derive(Debug)]
pub(super) struct Member {
    client: Client,
    born: Instant,
    counted: Counted,
}

impl Member {
    /// A new, not yet connected client counted in `open`. It is dedicated
    /// (see [`Client::dedicated`]): its one user at a time may change the
    /// connection's state, which the pool then sees on return.
    pub(super) fn open(config: Config, open: &Arc<AtomicUsize>) -> Result<Member> {
        let client = Client::with_mode(config, true)?;
        Ok(Member {
            client,
            born: Instant::now(),
            counted: Counted::new(open),
        })
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// When the pool made this client (the start of its `client_timeout`).
    pub(super) fn born(&self) -> Instant {
        self.born
    }

    /// Whether the next user can have this client as it is: its connection
    /// is open (a broken one is never handed out), no command left state on
    /// it, and no blocking command is still waiting on it (it would hold up
    /// the next user and take the next item pushed to its key).
    pub(super) fn is_reusable(&self) -> bool {
        self.client.is_connected()
            && !self.client.connection_state_changed()
            && !self.client.blocking_in_flight()
            && !self.client.state_was_lost()
    }

    /// Makes a returned client ready for the next user: a transaction is
    /// ended (`DISCARD`, `UNWATCH`) and the configured db selected again,
    /// queued ahead of anything the next user sends. False when it must be
    /// closed instead: its connection broke or lost its state, a blocking
    /// command is still in flight (closing the connection makes the server
    /// drop it), or only a new connection undoes its state (client tracking,
    /// authentication, ...).
    pub(super) fn ready_for_next_user(&self) -> bool {
        self.client.is_connected()
            && !self.client.blocking_in_flight()
            && !self.client.state_was_lost()
            && self.client.undo_state()
    }

    /// Closes the connection now and leaves the pool.
    pub(super) fn close(self) {
        self.client.disconnect();
    }

    /// Moves the client and its place in the count out of `self`, which is
    /// left holding a handle to the same client but no longer counted.
    pub(super) fn take(&mut self) -> Member {
        Member {
            client: self.client.clone(),
            born: self.born,
            counted: self.counted.take(),
        }
    }

    /// Leaves the pool's count without closing the connection.
    pub(super) fn into_client(mut self) -> Client {
        drop(self.counted.take());
        self.client.clone()
    }
}

/// One unit of a pool's client count, given back on drop.
#[derive(Debug)]
struct Counted(Option<Arc<AtomicUsize>>);

impl Counted {
    fn new(open: &Arc<AtomicUsize>) -> Counted {
        open.fetch_add(1, Ordering::AcqRel);
        Counted(Some(open.clone()))
    }

    fn take(&mut self) -> Counted {
        Counted(self.0.take())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if let Some(open) = self.0.take() {
            open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}
