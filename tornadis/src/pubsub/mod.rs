//! Publish/subscribe: [`PubSubClient`], its [`Message`]s and their [`Stream`].
//!
//! A subscribed Redis connection can only (un)subscribe and `PING`, so
//! [`PubSubClient`] has its own connection and offers exactly those
//! operations: it has no `call` and does not implement
//! [`Executor`](crate::Executor). Publish with an ordinary [`Client`](crate::Client).
//!
//! ```no_run
//! # async fn demo() -> tornadis::Result<()> {
//! use std::time::Duration;
//! use tornadis::{Client, PubSubClient};
//!
//! let pubsub = PubSubClient::from_url("redis://127.0.0.1:6379")?;
//! pubsub.pubsub_subscribe("news").await?;
//! pubsub.pubsub_psubscribe("sport.*").await?;
//!
//! let client = Client::from_url("redis://127.0.0.1:6379")?;
//! client.call(("PUBLISH", "news", "hello")).await?;
//!
//! if let Some(msg) = pubsub.pubsub_pop_message(Some(Duration::from_secs(1))).await? {
//!     println!("{:?} on {:?}", msg.payload(), msg.channel());
//! }
//! # Ok(()) }
//! ```
//!
//! Neither `call` nor the typed command methods exist on a `PubSubClient`:
//!
//! ```compile_fail
//! # async fn demo(pubsub: tornadis::PubSubClient) {
//! let _ = pubsub.call(("GET", "key")).await;
//! # }
//! ```
//!
//! ```compile_fail
//! fn run_commands_on<E: tornadis::Executor>(_: E) {}
//! # fn demo(pubsub: tornadis::PubSubClient) {
//! run_commands_on(&pubsub);
//! # }
//! ```
//!
//! ## Guarantees
//! - **Reconnects restore subscriptions.** When the connection is lost and
//!   `autoconnect` is on (the default), the client reconnects with backoff
//!   and subscribes again to every channel, pattern and shard channel the
//!   server had confirmed, then puts a [`MessageKind::Reconnected`] notice in
//!   the message sequence. Redis does not redeliver what was published in
//!   between: the notice tells you to resynchronise. With `autoconnect` off,
//!   the loss is reported as an error by `pubsub_pop_message` (after the
//!   messages already received) and [`PubSubClient::connect`] restores the
//!   subscriptions.
//! - **Memory is bounded.** At most [`buffer_capacity`](PubSubClient::buffer_capacity)
//!   items ([`DEFAULT_BUFFER_CAPACITY`], 16,384) wait for the consumer; when
//!   the buffer is full the oldest are dropped and a [`MessageKind::Lagged`]
//!   notice with the number of dropped messages takes their place. The
//!   socket keeps being read, so a slow consumer never makes the server cut
//!   the connection for exceeding its output buffer limit, and
//!   (un)subscribe confirmations never wait behind unread messages.
//! - **Or nothing is dropped**, with [`with_lossless`](PubSubClient::with_lossless)
//!   (see there for the trade-off). An idle connection sends `PING` (see
//!   [`with_ping_interval`](PubSubClient::with_ping_interval)) to notice a dead link.
//!
//! ## Layout
//! - `message`: [`Message`] and [`MessageKind`].
//! - `subscriptions`: [`Subscriptions`], the record restored after a reconnect.
//! - `stream`: [`Messages`], the [`Stream`] of messages.
//! - `frame`: sorting received frames (RESP2 arrays, RESP3 pushes) into
//!   messages, confirmations and replies.
//! - `buffer`: the bounded buffer between the driver and the consumer.
//! - `shared`: the state shared by the handles and the driver.
//! - `driver`: the task that owns the connection.
//! - `options`: flow control (lossless mode) and the idle `PING`.

mod buffer;
mod driver;
mod frame;
mod message;
mod options;
mod shared;
mod stream;
mod subscribe;
mod subscriptions;

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

pub use buffer::DEFAULT_BUFFER_CAPACITY;
/// The `Stream` trait of `futures-core`, re-exported so that [`Messages`]
/// can be used without depending on `futures-core` directly.
pub use futures_core::Stream;
pub use message::{Message, MessageKind};
pub use options::DEFAULT_PING_INTERVAL;
pub use stream::Messages;
pub use subscriptions::Subscriptions;

use frame::Family;
pub(crate) use shared::Follower;
use shared::{not_connected, wake_all, Link, Op, OpKind, Shared};

use crate::cmd::cmd;
use crate::config::{Config, ConfigBuilder, FromConfig};
use crate::error::{Error, Result};
use crate::value::ToArgs;

/// A Redis pub/sub client: subscribes to channels, patterns and shard
/// channels on a connection of its own, and hands out what is published.
///
/// Cloning is cheap (an `Arc`); clones share the connection, the
/// subscriptions and the message buffer. The connection opens on the first
/// (un)subscribe, `PING` or [`connect`](PubSubClient::connect), and closes
/// when the last clone (and the last [`Messages`] stream) is dropped.
///
/// Only pub/sub operations are available: there is no `call`, so a command
/// the server would refuse on a subscribed connection cannot be written.
///
/// See the [module documentation](crate::pubsub) for reconnects, gaps and buffering.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use tornadis::PubSubClient;
/// let pubsub = PubSubClient::builder().host("127.0.0.1").port(6379).build()?;
/// pubsub.pubsub_subscribe(["orders", "invoices"]).await?;
/// while let Some(msg) = pubsub.pubsub_pop_message(None).await? {
///     if msg.is_gap() {
///         println!("messages were missed; reloading state");
///         continue;
///     }
///     let body: String = msg.payload_as()?;
///     println!("{:?}: {body}", msg.channel());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PubSubClient {
    handle: Arc<Handle>,
}

/// One per family of clones: tells the driver when the last clone is gone.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.lock().handles_gone = true;
        self.shared.wake_driver.notify_one();
    }
}

impl std::fmt::Debug for PubSubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.shared().lock();
        f.debug_struct("PubSubClient")
            .field("addr", &self.shared().config.addr)
            .field("connected", &(st.link == Link::Connected))
            .field("subscriptions", &st.subs.len())
            .field("buffered", &st.buffer.len())
            .finish()
    }
}

impl FromConfig for PubSubClient {
    fn from_config(config: Config) -> Result<Self> {
        PubSubClient::new(config)
    }
}

impl PubSubClient {
    /// A pub/sub client for `config` (the same [`Config`] as a
    /// [`Client`](crate::Client)'s), with a buffer of
    /// [`DEFAULT_BUFFER_CAPACITY`] items. Nothing is opened until the first
    /// operation or [`connect`](PubSubClient::connect).
    ///
    /// ```
    /// use tornadis::{Config, PubSubClient};
    /// let config = Config::from_url("redis://127.0.0.1:6379/0").unwrap();
    /// let pubsub = PubSubClient::new(config).unwrap();
    /// assert!(!pubsub.is_connected());
    /// ```
    pub fn new(config: Config) -> Result<PubSubClient> {
        PubSubClient::open(config, None)
    }

    /// A pub/sub client that asks `resolver` where to connect before every
    /// connection attempt (the first one and each reconnect), as
    /// [`Client::with_resolver`](crate::Client::with_resolver) does; the
    /// address in `config` is then only a fallback for display. After a
    /// reconnect it subscribes again on the server the resolver names then.
    /// [`SentinelClient::pubsub`](crate::sentinel::SentinelClient::pubsub)
    /// is one made this way.
    pub fn with_resolver(
        config: Config,
        resolver: Arc<dyn crate::client::AddrResolver>,
    ) -> Result<PubSubClient> {
        PubSubClient::open(config, Some(resolver))
    }

    fn open(
        config: Config,
        resolver: Option<Arc<dyn crate::client::AddrResolver>>,
    ) -> Result<PubSubClient> {
        config.validate()?;
        Ok(PubSubClient {
            handle: Arc::new(Handle {
                shared: Arc::new(Shared::new(config, DEFAULT_BUFFER_CAPACITY, resolver)),
            }),
        })
    }

    /// A handle that can make this client move to a new connection while
    /// it lives, without keeping it alive.
    pub(crate) fn follower(&self) -> shared::Follower {
        shared::Follower(Arc::downgrade(self.shared()))
    }

    /// A builder for the configuration, whose `build` gives a `PubSubClient`.
    ///
    /// ```
    /// use tornadis::PubSubClient;
    /// let pubsub = PubSubClient::builder().port(6380).db(2).build().unwrap();
    /// assert_eq!(pubsub.config().db(), 2);
    /// ```
    pub fn builder() -> ConfigBuilder<PubSubClient> {
        ConfigBuilder::from_config(Config::default())
    }

    /// A pub/sub client for a `redis://` or `unix://` URL (see [`Config::from_url`]).
    ///
    /// ```
    /// let pubsub = tornadis::PubSubClient::from_url("redis://127.0.0.1:6379").unwrap();
    /// assert_eq!(pubsub.connection_count(), 0);
    /// ```
    pub fn from_url(url: &str) -> Result<PubSubClient> {
        PubSubClient::new(Config::from_url(url)?)
    }

    /// The configuration this client connects with.
    ///
    /// ```
    /// let pubsub = tornadis::PubSubClient::from_url("redis://127.0.0.1/3").unwrap();
    /// assert_eq!(pubsub.config().db(), 3);
    /// ```
    pub fn config(&self) -> &Config {
        &self.shared().config
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// Opens the connection now (restoring the remembered subscriptions), or
    /// returns at once when it is already open.
    ///
    /// With `autoconnect` off, this is the only way to (re)connect.
    ///
    /// ```no_run
    /// # async fn demo() -> tornadis::Result<()> {
    /// let pubsub = tornadis::PubSubClient::builder().autoconnect(false).build()?;
    /// pubsub.connect().await?;
    /// assert!(pubsub.is_connected());
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Cancelling stops the wait, not the attempt: the connection may still open.
    pub async fn connect(&self) -> Result<()> {
        let rx = {
            let mut st = self.shared().lock();
            if st.link == Link::Connected {
                return Ok(());
            }
            let rx = st.connect_waiters.add();
            let spawn = self.start_driver(&mut st);
            drop(st);
            self.kick(spawn)?;
            rx
        };
        crate::lifecycle::connected(rx).await
    }

    /// Closes the connection and forgets every subscription. Commands still
    /// waiting fail, and consumers get a connection error once they have
    /// taken the messages already received. A later (un)subscribe opens a
    /// new connection (with `autoconnect` on).
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) {
    /// pubsub.disconnect();
    /// assert!(pubsub.subscriptions().is_empty());
    /// # }
    /// ```
    pub fn disconnect(&self) {
        let wakers = {
            let mut st = self.shared().lock();
            st.subs.clear();
            if st.link == Link::Idle {
                st.buffer.close(Error::connection(
                    "the connection was closed by disconnect()",
                ))
            } else {
                st.close_now = true;
                Vec::new()
            }
        };
        wake_all(wakers);
        self.shared().wake_driver.notify_one();
    }

    /// A receiver of this client's [`ConnectionEvent`](crate::ConnectionEvent)s
    /// from now on (connected, disconnected with the cause, reconnected,
    /// gave up). See [`ConnectionEvents`](crate::ConnectionEvents).
    pub fn events(&self) -> crate::ConnectionEvents {
        self.shared().events.subscribe()
    }

    /// True while a connection is open.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_subscribe("news").await?;
    /// assert!(pubsub.is_connected());
    /// # Ok(()) }
    /// ```
    pub fn is_connected(&self) -> bool {
        self.shared().lock().link == Link::Connected
    }

    /// How many times a connection was opened so far (each reconnect adds one).
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.connect().await?;
    /// assert_eq!(pubsub.connection_count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn connection_count(&self) -> u64 {
        self.shared().lock().connects
    }

    /// What the server confirmed this client is subscribed to.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_psubscribe("news.*").await?;
    /// assert!(pubsub.subscriptions().patterns().contains(&b"news.*"[..]));
    /// # Ok(()) }
    /// ```
    pub fn subscriptions(&self) -> Subscriptions {
        self.shared().lock().subs.clone()
    }

    /// Sends `PING` and waits for the answer. The answer comes after every
    /// message received before it, and after the confirmations of every
    /// command sent before it, so a successful ping also means those are done
    /// (including the re-subscriptions after a reconnect).
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.ping().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Dropping the future after its first poll does not disturb the
    /// connection: the answer is read and thrown away.
    pub async fn ping(&self) -> Result<()> {
        self.submit(OpKind::Ping, cmd("PING")).await
    }

    /// Waits for the next message (or gap notice) for at most `timeout`
    /// (`None`: no limit).
    ///
    /// - `Ok(Some(message))`: the next item, in the order received.
    /// - `Ok(None)`: nothing arrived within `timeout`.
    /// - `Err(e)` with [`e.is_connection()`](Error::is_connection): the client
    ///   is not connected and will not reconnect by itself (connection lost
    ///   with autoconnect off, or [`disconnect`](PubSubClient::disconnect)
    ///   called), and every message received before is already taken.
    ///   With autoconnect on, a lost connection is not an error: a
    ///   [`MessageKind::Reconnected`] notice follows once the subscriptions
    ///   are back.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// use std::time::Duration;
    /// match pubsub.pubsub_pop_message(Some(Duration::from_millis(500))).await? {
    ///     Some(msg) => println!("{:?}", msg.payload()),
    ///     None => println!("nothing within 500 ms"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Cancel safe: a message is taken from the buffer only when the future
    /// completes, so dropping it (in `select!`, say) loses nothing.
    pub async fn pubsub_pop_message(&self, timeout: Option<Duration>) -> Result<Option<Message>> {
        let pop = poll_fn(|cx| self.poll_pop(cx));
        match timeout {
            None => pop.await.map(Some),
            Some(t) => match tokio::time::timeout(t, pop).await {
                Ok(r) => r.map(Some),
                Err(_) => Ok(None),
            },
        }
    }

    /// The messages as a [`Stream`] (see [`Messages`]).
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_subscribe("news").await?;
    /// let mut messages = pubsub.messages();
    /// while let Some(msg) = messages.next().await {
    ///     println!("{:?}", msg?.payload());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn messages(&self) -> Messages {
        Messages::new(self.clone())
    }

    pub(crate) fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        let (popped, resume) = {
            let mut st = self.shared().lock();
            let popped = st.buffer.poll_pop(cx);
            (popped, st.buffer.take_resume())
        };
        if resume {
            // Lossless mode: the driver stopped reading while the buffer was full.
            self.shared().wake_driver.notify_one();
        }
        popped
    }

    async fn change<A: ToArgs>(&self, family: Family, subscribe: bool, args: A) -> Result<()> {
        let mut c = cmd(family.command(subscribe));
        c.args(args);
        let count = c.argc().saturating_sub(1);
        if subscribe && count == 0 {
            return Err(Error::client(format!(
                "{} needs at least one channel or pattern",
                family.command(true)
            ))
            .with_command(family.command(true)));
        }
        c.validate()
            .map_err(|e| e.with_command(family.command(subscribe)))?;
        let kind = OpKind::Change {
            family,
            subscribe,
            count,
        };
        self.submit(kind, c).await
    }

    async fn submit(&self, kind: OpKind, c: crate::cmd::Cmd) -> Result<()> {
        let name = c.name();
        let (tx, rx) = oneshot::channel();
        let spawn = {
            let mut st = self.shared().lock();
            if st.link == Link::Idle && !self.shared().config.autoconnect {
                return Err(not_connected().with_command(name));
            }
            st.ops.push_back(Op::new(kind, c, Some(tx)));
            self.start_driver(&mut st)
        };
        self.kick(spawn)?;
        match rx.await {
            Ok(r) => r.map_err(|e| e.with_command(name)),
            Err(_) => Err(Error::connection(
                "the pub/sub driver stopped before the command was answered",
            )
            .with_command(name)),
        }
    }

    /// Marks a driver as needed; true when one must be spawned.
    fn start_driver(&self, st: &mut shared::State) -> bool {
        if st.link == Link::Idle {
            st.link = Link::Connecting;
            st.close_now = false;
            true
        } else {
            false
        }
    }

    /// Spawns the driver, or wakes the running one.
    fn kick(&self, spawn: bool) -> Result<()> {
        if !spawn {
            self.shared().wake_driver.notify_one();
            return Ok(());
        }
        let Err(e) = driver::spawn(self.shared().clone()) else {
            return Ok(());
        };
        // No runtime: what waited for this driver fails.
        let mut st = self.shared().lock();
        st.link = Link::Idle;
        st.fail_ops(&e);
        st.connect_waiters.answer(&Err(e.clone()));
        Err(e)
    }

    #[cfg(test)]
    pub(crate) fn test_push(&self, message: Message) {
        let wakers = self.shared().lock().buffer.push(message);
        wake_all(wakers);
    }
}
