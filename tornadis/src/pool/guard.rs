//! [`PooledClient`]: a client lent by a [`ClientPool`](super::ClientPool),
//! given back when dropped.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::member::Member;
use super::{Inner, Permit};
use crate::client::Client;

/// A [`Client`] lent by a [`ClientPool`](super::ClientPool); it goes back to
/// the pool when this guard is dropped.
///
/// It derefs to [`Client`], so `call`, the typed methods of
/// [`Commands`](crate::Commands) and pipelines (`guard.pipeline()`; it is a
/// [`PipelineTarget`](crate::PipelineTarget) itself) work on it directly:
///
/// ```no_run
/// # async fn demo(pool: tornadis::ClientPool) -> tornadis::Result<()> {
/// use tornadis::Commands;
/// let client = pool.get_connected_client().await?;
/// client.incr("visits").await?;
/// drop(client); // back in the pool
/// # Ok(()) }
/// ```
///
/// The connection is this guard's alone while it lives. Do not keep clones of
/// the `Client` (`Client::clone(&guard)`) beyond the guard: after it is
/// returned, the connection belongs to the next user. Use
/// [`detach`](PooledClient::detach) to keep a client for good.
///
/// The client is [dedicated](Client::dedicated): commands that change the
/// connection's state (WATCH, MULTI/EXEC, SELECT, ...) are allowed on it.
/// On return, a transaction left open is ended (`DISCARD`, `UNWATCH`) and the
/// configured db selected again, on the same connection, before the next
/// user's commands. A client is closed instead of being lent again when its
/// state can only be undone by a new connection (CLIENT TRACKING, AUTH, ...),
/// when a blocking command is still waiting on it (a cancelled `BLPOP`:
/// closing makes the server drop it, so it cannot take an item meant for
/// the next user), when its connection broke while lent, or when it
/// outlived the pool's `client_timeout`. To drop a client for any other
/// reason, return it with [`discard`](PooledClient::discard).
pub struct PooledClient {
    member: Member,
    permit: Permit,
    pool: Arc<Inner>,
    /// Set by `discard` and `detach`: nothing goes back to the pool on drop.
    done: bool,
}

impl PooledClient {
    pub(super) fn new(member: Member, permit: Permit, pool: Arc<Inner>) -> PooledClient {
        PooledClient {
            member,
            permit,
            pool,
            done: false,
        }
    }

    /// Closes this client's connection instead of returning it to the pool,
    /// freeing its place for a new client.
    pub fn discard(mut self) {
        self.done = true;
        self.member.take().close();
    }

    /// Takes the client out of the pool for good: its place is freed for a
    /// new client, and the connection stays open for as long as the returned
    /// [`Client`] (or a clone) lives.
    pub fn detach(mut self) -> Client {
        self.done = true;
        self.member.take().into_client()
    }

    /// How long ago the pool made this client (compared with `client_timeout`).
    pub fn age(&self) -> Duration {
        Instant::now().saturating_duration_since(self.member.born())
    }
}

impl Deref for PooledClient {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.member.client()
    }
}

impl AsRef<Client> for PooledClient {
    fn as_ref(&self) -> &Client {
        self.member.client()
    }
}

impl std::fmt::Debug for PooledClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledClient")
            .field("client", self.member.client())
            .field("age", &self.age())
            .finish()
    }
}

impl Drop for PooledClient {
    fn drop(&mut self) {
        if !self.done {
            self.pool.put_back(self.member.take());
        }
        // The permit goes after the client is back, so the waiter it wakes
        // finds the client idle instead of opening a new one.
        drop(self.permit.take());
    }
}
