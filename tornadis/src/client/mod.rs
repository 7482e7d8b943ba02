//! [`Client`]: the cheap-to-clone handle, and the driver task behind it.
//!
//! - `shared`: the queue that handles and the driver share;
//! - `driver`: the task that owns the connection (its lifecycle, shared with
//!   the pub/sub driver, is `crate::lifecycle`);
//! - `permit`: a request's place in the queue, given back on drop;
//! - `request`: the lazy future returned by `call` and the typed methods,
//!   and `send_routed`, the way in for a command a cluster client already
//!   looked up and routed;
//! - `routing`: the one routing decision per command, from the spec table;
//! - `submit`: queueing a routed command (its own connection, a side
//!   connection for a blocking command, or the cache's answer);
//! - `cache`: client-side caching (opt-in).

pub(crate) mod cache;
mod driver;
mod permit;
mod reauth;
pub(crate) mod request;
mod resolve;
pub(crate) mod routing;
pub(crate) mod server;
mod shared;
mod state;
mod stats;
mod submit;
mod transaction;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

pub use cache::{CacheConfig, CacheStats};
use permit::Permit;
pub use request::Request;
pub use resolve::{AddrResolver, ResolveFuture};
use shared::{Link, Shared, Slot, Wake};
pub use stats::{LatencyHistogram, Stats};
pub use transaction::{TransactionOptions, TRANSACTION_ATTEMPTS};

use crate::cmd::Cmd;
use crate::config::{Config, ConfigBuilder, FromConfig};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::resp::Value;
use crate::value::{FromValue, ToArgs};

/// An async Redis client: one multiplexed connection shared by every clone.
///
/// Cloning is cheap (an `Arc`); all clones and all tasks share one connection,
/// and requests issued concurrently are written together (automatic
/// pipelining). The connection is opened on first use and reopened after a
/// failure (`autoconnect`, on by default). When the last clone is dropped,
/// the connection closes once the requests already sent are answered.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use tornadis::{Client, Value};
/// let client = Client::from_url("redis://127.0.0.1:6379/0")?;
/// let pong: String = client.call("PING").decode_as().await?;
/// assert_eq!(pong, "PONG");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    handle: Arc<Handle>,
}

/// One per family of clones: tells the driver when the last clone is gone.
#[derive(Debug)]
struct Handle {
    shared: Arc<Shared>,
    /// Idle side connections for blocking commands.
    side: Mutex<Vec<Client>>,
    /// One permit per side connection in use (`max_blocking_connections`).
    side_permits: Arc<tokio::sync::Semaphore>,
    /// Idle connections for [`Client::transaction`].
    txn_idle: Mutex<Vec<Client>>,
    /// One permit per transaction connection in use (`max_transaction_connections`).
    txn_permits: Arc<tokio::sync::Semaphore>,
}

impl Handle {
    fn new(shared: Shared) -> Handle {
        let side_permits = Arc::new(tokio::sync::Semaphore::new(
            shared.config.max_blocking_connections,
        ));
        let txn_permits = Arc::new(tokio::sync::Semaphore::new(
            shared.config.max_transaction_connections,
        ));
        Handle {
            shared: Arc::new(shared),
            side: Mutex::new(Vec::new()),
            side_permits,
            txn_idle: Mutex::new(Vec::new()),
            txn_permits,
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let waker = {
            let mut st = self.shared.lock();
            st.handles_gone = true;
            if self.shared.blocking.load(Ordering::Acquire) > 0 {
                // A blocking command nobody waits for any more would go on
                // holding the connection, and take (and lose) the next item
                // pushed to its key: close the connection, the server then
                // drops the command.
                st.close_now = true;
            }
            st.driver_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.handle.shared.config.addr)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl FromConfig for Client {
    fn from_config(config: Config) -> Result<Self> {
        Client::new(config)
    }
}

impl Client {
    /// A client for `config`. Nothing is opened until the first request (or [`connect`](Client::connect)).
    pub fn new(mut config: Config) -> Result<Client> {
        // Its events are its own (a pool's or cluster's members share theirs).
        config.events = None;
        Client::with_mode(config, false)
    }

    pub(crate) fn with_mode(mut config: Config, exclusive: bool) -> Result<Client> {
        config.validate()?;
        if exclusive {
            // A dedicated connection may run MULTI (replies become QUEUED) and
            // has one user at a time: client-side caching is for shared ones.
            config.client_cache = None;
        }
        Ok(Client {
            handle: Arc::new(Handle::new(Shared::new(config, exclusive))),
        })
    }

    /// A client that asks `resolver` where to connect before every
    /// connection attempt (the address in `config` is then only a fallback
    /// for display). With `dedicated`, connection-state commands are allowed.
    pub fn with_resolver(
        mut config: Config,
        resolver: Arc<dyn AddrResolver>,
        dedicated: bool,
    ) -> Result<Client> {
        config.validate()?;
        if dedicated {
            config.client_cache = None;
        }
        let mut shared = Shared::new(config, dedicated);
        shared.resolver = Some(resolver);
        Ok(Client {
            handle: Arc::new(Handle::new(shared)),
        })
    }

    /// A new client with the same settings and a connection of its own, for
    /// one user at a time: commands that change the connection's state
    /// (WATCH, MULTI/EXEC, SELECT, CLIENT TRACKING, ...) and commands that
    /// count what earlier commands did on the connection (WAIT, WAITAOF) are
    /// allowed on it, and blocking commands run on it directly. See also
    /// [`transaction`](Client::transaction).
    ///
    /// If its connection is lost after such a state change, it does not
    /// reconnect quietly without that state: requests fail with
    /// [`Error::is_state_lost`] until [`reset_connection`](Client::reset_connection).
    /// Without state changes it reconnects by itself like any client.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// let conn = client.dedicated()?;
    /// conn.call(("WATCH", "balance")).await?;
    /// # Ok(()) }
    /// ```
    pub fn dedicated(&self) -> Result<Client> {
        self.sibling(self.config().clone(), true)
    }

    /// Another client to the same server (following the same resolver, if any).
    pub(crate) fn sibling(&self, config: Config, exclusive: bool) -> Result<Client> {
        match &self.shared().resolver {
            Some(r) => Client::with_resolver(config, r.clone(), exclusive),
            None => Client::with_mode(config, exclusive),
        }
    }

    /// True for a client made by [`dedicated`](Client::dedicated) (or handed out by a pool).
    pub fn is_dedicated(&self) -> bool {
        self.shared().exclusive
    }

    /// A builder for every option (host, port, unix socket, password, db, timeouts, ...).
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = tornadis::Client::builder()
    ///     .host("127.0.0.1")
    ///     .port(6379)
    ///     .read_timeout(Duration::from_secs(2))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn builder() -> ConfigBuilder<Client> {
        ConfigBuilder::from_config(Config::default())
    }

    /// A client for a `redis://` or `unix://` URL (see [`Config::from_url`]).
    pub fn from_url(url: &str) -> Result<Client> {
        Client::new(Config::from_url(url)?)
    }

    /// The configuration this client connects with.
    pub fn config(&self) -> &Config {
        &self.handle.shared.config
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// Opens the connection now, or returns at once when it is already open.
    ///
    /// With `autoconnect` off, this is the only way to (re)connect.
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
            let wake = st.wake_driver();
            drop(st);
            self.apply(wake);
            rx
        };
        crate::lifecycle::connected(rx).await
    }

    /// Closes the connection, even one stuck in a write to a server that
    /// stopped reading. Requests still waiting fail with a connection error
    /// (those not yet written say so: [`Error::is_retry_safe`]). From the
    /// moment this returns, [`is_connected`](Client::is_connected) is false
    /// and, with `autoconnect` on, the next request opens a new connection.
    pub fn disconnect(&self) {
        // The caller closes the connection on purpose: whatever state it held
        // goes with it, and the next connection starts from the handshake.
        self.shared().take_state();
        let (wake, queued) = {
            let mut st = self.shared().lock();
            if st.link.is_down() {
                return;
            }
            st.close_now = true;
            st.link = Link::Closing;
            // What was queued before this call fails now; what is queued
            // after it waits for the next connection.
            st.out.clear();
            (st.driver_waker.take(), std::mem::take(&mut st.slots))
        };
        let e = Error::connection("disconnect() was called before the request was sent").not_sent();
        for slot in queued {
            slot.fail(e.clone());
        }
        if let Some(w) = wake {
            w.wake();
        }
    }

    /// A receiver of this client's [`ConnectionEvent`](crate::ConnectionEvent)s
    /// from now on: connected, disconnected (with the cause), reconnected,
    /// gave up, re-authenticated. Side connections for blocking commands and
    /// transactions are not reported. See [`ConnectionEvents`](crate::ConnectionEvents).
    pub fn events(&self) -> crate::ConnectionEvents {
        self.shared().events.subscribe()
    }

    /// True while a connection is open (it may still fail on the next request).
    pub fn is_connected(&self) -> bool {
        self.shared().lock().link == Link::Connected
    }

    /// A snapshot of this client's counters: requests, errors by kind,
    /// connections, requests in flight and queued, and a latency histogram.
    /// Blocking commands run on side connections and are not counted here.
    pub fn stats(&self) -> Stats {
        let shared = self.shared();
        let in_flight = shared.permits.in_use();
        let queued = shared.lock().slots.len();
        shared.counters.snapshot(in_flight as u64, queued as u64)
    }

    /// A snapshot of the client-side cache's counters (hits, misses,
    /// evictions, invalidations, size), or `None` when caching is off
    /// (see [`CacheConfig`]).
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.shared().cache.as_ref().map(|c| c.stats())
    }

    /// How many times a connection was opened so far (1 after the first
    /// connect; each automatic reconnect adds one).
    pub fn connection_count(&self) -> u64 {
        self.shared().lock().connects
    }

    /// Sends any command; the reply comes back as a [`Value`].
    ///
    /// `args` is anything that converts to arguments: a string (`"PING"`), a
    /// tuple of mixed types (`("SET", "key", 42)`), an array or `Vec` of
    /// strings or bytes, or a [`Cmd`] built with [`cmd`](crate::cmd).
    /// Use [`Request::decode_as`] or [`call_as`](Client::call_as) for a typed reply.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// use tornadis::{cmd, Value};
    /// client.call(("SET", "counter", 41)).await?;
    /// let v = client.call(cmd("INCR").arg("counter")).await?;
    /// assert_eq!(v, Value::Integer(42));
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// See [`Request`]: dropping the future never desyncs the connection.
    pub fn call<A: ToArgs>(&self, args: A) -> Request<'_, Value> {
        self.call_as(args)
    }

    /// Sends any command and decodes the reply into `R`.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// let n: i64 = client.call_as(("INCRBY", "counter", 5)).await?;
    /// # Ok(()) }
    /// ```
    pub fn call_as<R: FromValue, A: ToArgs>(&self, args: A) -> Request<'_, R> {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        Request::new(self, cmd)
    }

    /// Sends a command and calls `callback` with its result when the reply
    /// arrives (the callback style of the original tornadis). The command is
    /// queued before this returns, so commands keep the order of the calls.
    ///
    /// Must be called within a tokio runtime; the callback runs on a spawned task.
    ///
    /// ```no_run
    /// # fn demo(client: &tornadis::Client) {
    /// client.async_call(("GET", "greeting"), |reply| println!("got {reply:?}"));
    /// # }
    /// ```
    pub fn async_call<A, F>(&self, args: A, callback: F)
    where
        A: ToArgs,
        F: FnOnce(Result<Value>) + Send + 'static,
    {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        let name = request::CommandName::of(&cmd);
        match self
            .try_permit()
            .and_then(|permit| self.submit(&cmd, permit))
        {
            Ok(mut submitted) => {
                let client = self.clone();
                tokio::spawn(async move {
                    let reply = std::future::poll_fn(|cx| submitted.poll_reply(cx)).await;
                    let result = request::finish(&name, reply);
                    client.record(submitted.elapsed(), result.as_ref().err().map(Error::kind));
                    callback(result)
                });
            }
            Err(e) => callback(Err(name.attach(e))),
        }
    }

    /// Sends a command without waiting for its reply (fire and forget). The
    /// reply is still read and dropped, so the connection stays in sync.
    /// Errors that happen before sending (an invalid argument, a client with
    /// autoconnect off and no connection) are returned.
    pub fn async_call_forget<A: ToArgs>(&self, args: A) -> Result<()> {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        cmd.validate()?;
        let info = routing::info_of(&cmd);
        let route = routing::route_with(info, &cmd, self.shared().exclusive)?;
        if route.blocks() && !self.shared().exclusive {
            return Err(Error::client(
                "a blocking command cannot be sent fire-and-forget (it would hold a connection); await it with call",
            ));
        }
        let permit = self.try_permit()?;
        if let (Some(cache), Some(info)) = (&self.shared().cache, info) {
            cache.note_write(info, &cmd);
        }
        let mut slot = Slot::single(permit, None);
        if route.blocks() {
            slot.set_blocking(shared::BlockingMark::new(
                &self.shared().blocking,
                route.wait(),
            ));
        }
        if let routing::Route::Dedicated(crate::command_info::StateChange::TransactionEnd) = route {
            slot.set_end(self.shared().transaction_end());
        } else if let routing::Route::Dedicated(change) = route {
            // Marked before it can be sent, so that a connection lost from
            // here on counts as losing this state.
            self.shared().mark_state(change);
        }
        let pushed = self.shared().lock().push(&self.shared().config, &cmd, slot);
        self.after_push(pushed)?;
        self.shared().counters.record_sent();
        Ok(())
    }

    /// Queues one validated command, holding its `permit`; its reply goes to
    /// the returned receiver.
    pub(crate) fn enqueue(
        &self,
        cmd: &Cmd,
        permit: Permit,
    ) -> Result<oneshot::Receiver<Result<Value>>> {
        self.enqueue_slot(cmd, Slot::single(permit, None))
    }

    /// [`enqueue`](Client::enqueue) into a prepared slot (its sender is set here).
    pub(crate) fn enqueue_slot(
        &self,
        cmd: &Cmd,
        mut slot: Slot,
    ) -> Result<oneshot::Receiver<Result<Value>>> {
        let (tx, rx) = oneshot::channel();
        slot.tx = Some(tx);
        let shared = self.shared();
        let pushed = shared.lock().push(&shared.config, cmd, slot);
        self.after_push(pushed)?;
        Ok(rx)
    }

    /// Queues a pipeline's encoded bytes (in `pieces`, sent back to back), whose `replies` replies come back as
    /// one array, holding its `permit` (a pipeline is one request). With `blocking`,
    /// the pipeline holds blocking commands (on a dedicated connection) that
    /// the server may hold this long together (`None`: maybe forever). With
    /// `ends_transaction`, it is an atomic pipeline on a dedicated connection:
    /// its EXEC ends any WATCH.
    pub(crate) fn enqueue_encoded(
        &self,
        permit: Permit,
        pieces: &[&[u8]],
        replies: usize,
        blocking: Option<Option<std::time::Duration>>,
        ends_transaction: bool,
    ) -> Result<oneshot::Receiver<Result<Value>>> {
        let (tx, rx) = oneshot::channel();
        let shared = self.shared();
        let mut slot = Slot::collect(permit, tx, replies);
        if ends_transaction && shared.exclusive {
            slot.set_end(shared.transaction_end());
        }
        if let Some(wait) = blocking {
            slot.set_blocking(shared::BlockingMark::new(&shared.blocking, wait));
        }
        let pushed = shared.lock().push_encoded(&shared.config, pieces, slot);
        self.after_push(pushed)?;
        Ok(rx)
    }

    /// Wakes the driver after a push. A refused push dropped its slot, and
    /// with it the request's permit.
    fn after_push(&self, pushed: Result<Wake>) -> Result<()> {
        self.apply(pushed?);
        Ok(())
    }

    /// Takes a pending-request permit without waiting.
    pub(crate) fn try_permit(&self) -> Result<Permit> {
        self.shared().permits.try_take()
    }

    /// Waits for a pending-request permit (backpressure).
    pub(crate) async fn permit(&self) -> Result<Permit> {
        self.shared().permits.take().await
    }

    fn apply(&self, wake: Wake) {
        match wake {
            Wake::Nothing => {}
            Wake::Driver(w) => w.wake(),
            Wake::Spawn => {
                if let Err(e) = driver::spawn(self.shared().clone()) {
                    // No runtime: what waited for this driver fails.
                    let mut st = self.shared().lock();
                    st.link = Link::Idle;
                    st.out.clear();
                    for slot in st.slots.drain(..) {
                        slot.fail(e.clone());
                    }
                    st.connect_waiters.answer(&Err(e));
                }
            }
        }
    }
}

impl<'a> Executor for &'a Client {
    type Output<R: FromValue> = Request<'a, R>;

    fn execute<R: FromValue>(self, cmd: Cmd) -> Request<'a, R> {
        Request::new(self, cmd)
    }
}
