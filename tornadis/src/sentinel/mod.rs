//! Redis Sentinel: [`SentinelClient`] finds the primary of a monitored
//! service through the sentinels and follows it across failovers.
//!
//! ```no_run
//! # async fn demo() -> tornadis::Result<()> {
//! use tornadis::sentinel::SentinelClient;
//! use tornadis::Commands;
//!
//! let sentinel = SentinelClient::builder()
//!     .sentinels(["127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"])
//!     .service("mymaster")
//!     .build()?;
//! let primary = sentinel.primary(); // a tornadis::Client
//! primary.set("greeting", "hello").await?;
//! let replica = sentinel.replica()?; // reads, possibly a little behind
//! let v: Option<String> = replica.get("greeting").await?;
//! # Ok(()) }
//! ```
//!
//! ## How it follows the primary
//! - **Before every connection** (the first one and each automatic
//!   reconnect) the primary client asks the sentinels in turn
//!   `SENTINEL GET-MASTER-ADDR-BY-NAME`; the first that answers wins and is
//!   asked first from then on. The named node is checked with `ROLE` on a
//!   short-lived connection: only a node that reports `master` is used. Just
//!   after a failover a sentinel may still name the old primary, so a
//!   refusal is followed by a short pause and a new question (bounded; see
//!   [`SentinelBuilder::resolve_retries`]).
//! - **When the primary dies**, requests in flight fail with a connection
//!   error (they may or may not have run), and the client reconnects by
//!   itself through the sentinels, with backoff, for up to the
//!   `reconnect_wait` of the data [`Config`](crate::Config) (requests queued
//!   meanwhile wait for it). Nothing is retried silently.
//! - **On `+switch-master`**, announced by the sentinels when a failover
//!   completes, the connections of the primary and replica clients are
//!   dropped at once (requests in flight fail with a connection error), so
//!   that no client keeps writing to a demoted primary that is still up.
//!   The listener is subscribed on one sentinel at a time, moves to the next
//!   when it fails, and after each subscription checks whether it missed a
//!   switch.
//! - **What no client can prevent:** replication is asynchronous, so
//!   writes the old primary acknowledged but had not yet passed on are lost
//!   when it dies. And when the old primary stays up, writes sent to it
//!   between the replica's promotion and the `+switch-master` announcement
//!   (about a second) are lost when the sentinels demote it. `WAIT` on a
//!   dedicated connection, or `min-replicas-to-write` on the server, bound
//!   these windows.
//! - **Pub/sub clients** ([`SentinelClient::pubsub`]) find the primary the
//!   same way; on `+switch-master` (or when their connection fails) they
//!   move to the new primary, subscribe again there and put a
//!   [`MessageKind::Reconnected`](crate::pubsub::MessageKind::Reconnected)
//!   notice in their messages: what was published during the switch is not
//!   redelivered, and nothing arrives twice.
//! - **Replica clients** ([`SentinelClient::replica`]) connect to a replica
//!   the sentinels list without the `s_down`, `o_down` or `disconnected`
//!   flags and that reports `slave`, taking the healthy ones in turn.
//!
//! ## Layout
//! - `builder`: [`SentinelBuilder`];
//! - `state`: the sentinels and the questions asked of them and of nodes;
//! - `resolve`: the resolvers that give the primary and replica clients
//!   their address before each connection;
//! - `watcher`: the `+switch-master` listener.

mod builder;
mod resolve;
mod state;
mod watcher;

use std::sync::{Arc, Mutex};

pub use builder::SentinelBuilder;
use resolve::{PrimaryResolver, ReplicaResolver};
use state::Core;

use crate::client::{Client, Request};
use crate::cmd::Cmd;
use crate::config::ServerAddr;
use crate::error::Result;
use crate::executor::Executor;
use crate::value::FromValue;

/// A client for a Sentinel-managed primary and its replicas.
///
/// It hands out ordinary [`Client`]s: [`primary`](SentinelClient::primary)
/// (one multiplexed connection shared by all clones, like any `Client`)
/// and [`replica`](SentinelClient::replica). Every typed method, pipeline
/// and transaction works on them; their address comes from the sentinels
/// before each connection. `&SentinelClient` also runs commands itself, on
/// the primary. See the [module documentation](self) for failovers.
///
/// Cloning is cheap (an `Arc`). Keep a `SentinelClient` (or a clone) alive
/// while its clients are used: the `+switch-master` listener stops when the
/// last one is dropped, after which the clients still follow failovers, but
/// only when their connection fails. Clients made with
/// [`Client::dedicated`] from the primary client resolve the primary the
/// same way, but are not dropped on `+switch-master`.
#[derive(Clone, Debug)]
pub struct SentinelClient {
    inner: Arc<Inner>,
}

/// The handles the `+switch-master` listener drops the connections of.
#[derive(Debug)]
pub(crate) struct Inner {
    core: Arc<Core>,
    primary: Client,
    replica: Mutex<Option<Client>>,
    /// The pub/sub clients handed out, while they live.
    pubsub: Mutex<Vec<crate::pubsub::Follower>>,
}

impl Inner {
    /// Closes the primary's and the replica's connections; their next
    /// requests reconnect through the sentinels. The pub/sub clients move
    /// to the new primary at once and subscribe again there.
    pub(crate) fn drop_connections(&self) {
        self.primary.disconnect();
        if let Some(replica) = self.replica().as_ref() {
            replica.disconnect();
        }
        self.pubsub
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|f| f.bounce());
    }

    fn replica(&self) -> std::sync::MutexGuard<'_, Option<Client>> {
        self.replica.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let watcher = self
            .core
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(task) = watcher {
            task.abort();
        }
    }
}

impl SentinelClient {
    /// A builder: sentinels, service name, connection settings.
    pub fn builder() -> SentinelBuilder {
        SentinelBuilder::default()
    }

    fn from_core(core: Arc<Core>) -> Result<SentinelClient> {
        let resolver = Arc::new(PrimaryResolver { core: core.clone() });
        let primary = Client::with_resolver(core.data_config.clone(), resolver, false)?;
        let inner = Arc::new(Inner {
            core,
            primary,
            replica: Mutex::new(None),
            pubsub: Mutex::new(Vec::new()),
        });
        // Set once, just after creation: cannot fail.
        let _ = inner.core.owner.set(Arc::downgrade(&inner));
        inner.core.ensure_watcher();
        Ok(SentinelClient { inner })
    }

    /// The client for the current primary (a clone of one shared client).
    ///
    /// ```no_run
    /// # async fn demo(sentinel: tornadis::sentinel::SentinelClient) -> tornadis::Result<()> {
    /// use tornadis::Commands;
    /// let primary = sentinel.primary();
    /// let n: i64 = primary.incr("visits").await?;
    /// # Ok(()) }
    /// ```
    pub fn primary(&self) -> Client {
        self.inner.core.ensure_watcher();
        self.inner.primary.clone()
    }

    /// A client for reads from a replica (a clone of one shared client,
    /// created on first use). Replicas copy the primary asynchronously, so
    /// a read may miss the latest writes. When no healthy replica can be
    /// found, its requests fail with a connection error (no silent fallback
    /// to the primary).
    pub fn replica(&self) -> Result<Client> {
        self.inner.core.ensure_watcher();
        let mut slot = self.inner.replica();
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let resolver = Arc::new(ReplicaResolver {
            core: self.inner.core.clone(),
        });
        let client = Client::with_resolver(self.inner.core.data_config.clone(), resolver, false)?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// A new pub/sub client on the current primary that follows failovers:
    /// its address comes from the sentinels before each connection, and on
    /// `+switch-master` it moves to the new primary, subscribes there again
    /// to everything it was subscribed to, and puts a
    /// [`MessageKind::Reconnected`](crate::pubsub::MessageKind::Reconnected)
    /// notice in its messages (what was published during the switch is not
    /// redelivered). Each call gives a client with its own connection and
    /// subscriptions; publish with [`primary`](SentinelClient::primary).
    ///
    /// ```no_run
    /// # async fn demo(sentinel: tornadis::sentinel::SentinelClient) -> tornadis::Result<()> {
    /// let pubsub = sentinel.pubsub()?;
    /// pubsub.pubsub_subscribe("news").await?;
    /// while let Some(msg) = pubsub.pubsub_pop_message(None).await? {
    ///     if msg.is_gap() {
    ///         continue; // a failover (or a lost connection): resynchronise
    ///     }
    ///     println!("{:?}", msg.payload());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pubsub(&self) -> Result<crate::PubSubClient> {
        self.inner.core.ensure_watcher();
        let resolver = Arc::new(PrimaryResolver {
            core: self.inner.core.clone(),
        });
        let client =
            crate::PubSubClient::with_resolver(self.inner.core.data_config.clone(), resolver)?;
        let mut followers = self.inner.pubsub.lock().unwrap_or_else(|p| p.into_inner());
        // Forget the clients dropped since.
        followers.retain(|f| f.0.strong_count() > 0);
        followers.push(client.follower());
        Ok(client)
    }

    /// The service name the sentinels monitor.
    pub fn service(&self) -> &str {
        &self.inner.core.service
    }

    /// The sentinels, in the order they will be asked next.
    pub fn sentinel_addrs(&self) -> Vec<ServerAddr> {
        self.inner
            .core
            .nodes()
            .into_iter()
            .map(|n| n.addr)
            .collect()
    }

    /// Asks the sentinels for the primary now and checks its role, as
    /// before a connection. Does not touch the primary client's connection.
    ///
    /// # Cancel safety
    /// Cancel safe: it only asks questions.
    pub async fn primary_addr(&self) -> Result<ServerAddr> {
        resolve::resolve_primary(&self.inner.core).await
    }

    /// Asks the sentinels for the replicas they consider healthy (not
    /// `s_down`, `o_down` or `disconnected`), without checking their role.
    ///
    /// # Cancel safety
    /// Cancel safe: it only asks questions.
    pub async fn replica_addrs(&self) -> Result<Vec<ServerAddr>> {
        self.inner.core.ask_replicas().await
    }

    /// How many times a new primary was announced (by `+switch-master`, or
    /// found after the listener missed a notice) and the connections were
    /// dropped because of it.
    pub fn switch_count(&self) -> u64 {
        self.inner
            .core
            .switches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the `+switch-master` listener is running (it starts with the
    /// first client handed out or connection opened within a tokio runtime).
    pub fn is_following_switches(&self) -> bool {
        self.inner
            .core
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }
}

/// Runs commands on the primary: `sentinel.set(...)` is `sentinel.primary().set(...)`.
impl<'a> Executor for &'a SentinelClient {
    type Output<R: FromValue> = Request<'a, R>;

    fn execute<R: FromValue>(self, cmd: Cmd) -> Request<'a, R> {
        self.inner.core.ensure_watcher();
        (&self.inner.primary).execute(cmd)
    }
}
