//! [`ClientPool`]: a bounded set of [`Client`](crate::Client)s, each with a connection of its
//! own, lent out one user at a time.
//!
//! - `builder`: [`ClientPoolBuilder`], the pool's options;
//! - `guard`: [`PooledClient`], the loan that returns its client on drop;
//! - `member`: one client of the pool, with its age and its place in the count;
//! - `reaper`: the optional background task that closes expired idle clients.
//!
//! ## How it works
//! A FIFO [`Semaphore`] with `max_size` permits bounds how many clients are
//! lent out at once: waiting callers are served in the order they asked.
//! A caller holding a permit takes the most recently returned idle client
//! (so that surplus clients stay idle and age out), or opens a new one when
//! none is idle. Since a new client is only opened when no idle one is left,
//! the pool never holds more than `max_size` clients in all. A client comes
//! back into the idle list only when its connection is still open, the state
//! commands left on it (WATCH, MULTI, SELECT, ...) could be undone and it
//! has not outlived `client_timeout`; otherwise it is closed.
//!
//! A borrow and its return cost one semaphore permit and two short locks of
//! the idle stack (a pop and a push): no task, no channel and no allocation.
//! Only the client taken is checked (open, not expired); the whole idle list
//! is swept for expired clients by the reaper, or, without one, at most once
//! per reaper period on a borrow, so that a borrow's cost does not grow with
//! the pool's size.

mod builder;
mod guard;
mod member;
mod reaper;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

pub use builder::ClientPoolBuilder;
pub use guard::PooledClient;
use member::Member;

use crate::config::Config;
use crate::error::{Error, Result};

/// A pool of [`Client`](crate::Client)s, each with its own connection, for work that needs a
/// connection to itself (the original tornadis' `ClientPool`).
///
/// A plain [`Client`](crate::Client) already multiplexes any number of tasks over one
/// connection; a pool is for when each user needs a connection of its own
/// for a while, or to spread load over several connections.
///
/// [`get_connected_client`](ClientPool::get_connected_client) (or its alias
/// [`connected_client`](ClientPool::connected_client)) lends a connected
/// client as a [`PooledClient`], which derefs to [`Client`](crate::Client) and goes back to
/// the pool when dropped. When `max_size` clients are lent out, callers wait,
/// first come first served, for at most the acquire timeout.
///
/// Cloning a `ClientPool` is cheap: the clones share one pool.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use std::time::Duration;
/// use tornadis::{ClientPool, Commands};
///
/// let pool = ClientPool::builder()
///     .url("redis://127.0.0.1:6379")
///     .max_size(8)
///     .client_timeout(Duration::from_secs(300))
///     .acquire_timeout(Duration::from_secs(2))
///     .build()?;
/// {
///     let client = pool.connected_client().await?;
///     client.set("greeting", "hello").await?;
///     let v: Option<String> = client.get("greeting").await?;
/// } // the client goes back to the pool here
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientPool {
    inner: Arc<Inner>,
}

/// The options of a pool, fixed when it is built.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_size: Option<usize>,
    pub(crate) client_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) autoclose: bool,
    pub(crate) acquire_timeout: Option<Duration>,
    pub(crate) health_check: bool,
}

/// What every handle, loan and the reaper of one pool share.
pub(crate) struct Inner {
    config: Config,
    settings: Settings,
    /// `None` for an unbounded pool.
    permits: Option<Arc<Semaphore>>,
    /// How many clients the pool owns (idle and lent out).
    open: Arc<AtomicUsize>,
    /// Set once by `destroy` (under the state lock, so that a client coming
    /// back sees it); read without the lock on every borrow.
    destroyed: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// Clients waiting to be lent, the most recently returned last.
    idle: Vec<Idle>,
    reaper_started: bool,
    /// With a timeout set: when a borrow next sweeps the whole idle list.
    next_sweep: Option<Instant>,
}

struct Idle {
    member: Member,
    /// When it came back; only kept with an `idle_timeout`.
    since: Option<Instant>,
}

impl std::fmt::Debug for ClientPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientPool")
            .field("addr", &self.inner.config.addr)
            .field("settings", &self.inner.settings)
            .field("size", &self.size())
            .field("idle", &self.idle_count())
            .field("destroyed", &self.is_destroyed())
            .finish()
    }
}

impl ClientPool {
    /// A builder for the pool's options (server, `max_size`, timeouts, ...).
    pub fn builder() -> ClientPoolBuilder {
        ClientPoolBuilder::new()
    }

    /// A pool of at most `max_size` clients (`None`: unbounded) for the
    /// server at `url` (see [`Config::from_url`]), with the other options at
    /// their defaults.
    pub fn from_url(url: &str, max_size: impl Into<Option<usize>>) -> Result<ClientPool> {
        ClientPool::builder().url(url).max_size(max_size).build()
    }

    fn new(mut config: Config, settings: Settings) -> ClientPool {
        // Every member reports to the pool's one hub.
        config.events = Some(crate::events::Hub::default());
        let permits = settings.max_size.map(|n| Arc::new(Semaphore::new(n)));
        ClientPool {
            inner: Arc::new(Inner {
                config,
                settings,
                permits,
                open: Arc::new(AtomicUsize::new(0)),
                destroyed: AtomicBool::new(false),
                state: Mutex::new(State {
                    idle: Vec::new(),
                    reaper_started: false,
                    next_sweep: None,
                }),
            }),
        }
    }

    /// Lends a connected client; the same as
    /// [`get_connected_client`](ClientPool::get_connected_client). The name
    /// is the original's, whose `with (yield pool.connected_client()) as
    /// client:` returned the client at the end of the block: here the
    /// [`PooledClient`] returns it when dropped.
    ///
    /// # Cancel safety
    /// As for [`get_connected_client`](ClientPool::get_connected_client).
    pub async fn connected_client(&self) -> Result<PooledClient> {
        self.get_connected_client().await
    }

    /// Lends a connected client, waiting while `max_size` clients are lent out.
    ///
    /// Waiting callers are served in the order they called (FIFO). An idle
    /// client is reused when one is left (the most recently returned first,
    /// skipping and closing any whose connection broke or that outlived the
    /// timeouts); otherwise a new client is connected.
    ///
    /// # Errors
    /// - [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when no client
    ///   became free (or a new one could not connect) within the acquire timeout;
    /// - the connection error when a new client cannot connect;
    /// - [`ErrorKind::Client`](crate::ErrorKind::Client) once the pool was
    ///   [destroyed](ClientPool::destroy), including for callers already waiting.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future gives up its place in the queue; a
    /// permit it already held is released, and a client it was connecting is
    /// closed. Nothing is leaked and the pool's count stays right.
    pub async fn get_connected_client(&self) -> Result<PooledClient> {
        let pending = crate::observe::PoolWait::start(&self.inner.config);
        let result = self.acquire().await;
        pending.done(matches!(&result, Err(e) if e.is_timeout()));
        result
    }

    /// [`get_connected_client`](ClientPool::get_connected_client) without its metrics.
    async fn acquire(&self) -> Result<PooledClient> {
        let inner = &self.inner;
        inner.check_usable()?;
        inner.ensure_reaper();
        let deadline = inner
            .settings
            .acquire_timeout
            .map(crate::deadline::from_now);
        let permit = match &inner.permits {
            None => None,
            Some(sem) => match within(deadline, sem.clone().acquire_owned()).await {
                None => return Err(inner.exhausted_error()),
                Some(Err(_closed)) => return Err(destroyed_error()),
                Some(Ok(p)) => Some(p),
            },
        };
        while let Some(member) = inner.take_idle() {
            if !inner.settings.health_check || inner.ping(&member, deadline).await {
                return Ok(PooledClient::new(member, permit, inner.clone()));
            }
            member.close();
        }
        inner.check_usable()?;
        let member = inner.new_member()?;
        match within(deadline, member.client().connect()).await {
            Some(Ok(())) => Ok(PooledClient::new(member, permit, inner.clone())),
            Some(Err(e)) => Err(e.with_context("opening a connection for the pool")),
            None => Err(Error::timeout(format!(
                "a new pool client could not connect to {} within the acquire timeout",
                inner.config.addr
            ))),
        }
    }

    /// Lends a client at once, or returns `Ok(None)` when `max_size`
    /// clients are lent out.
    ///
    /// An idle client is reused when one is left; otherwise a new client is
    /// made, which (as in the original) is not connected yet: it connects on
    /// its first command (with `autoconnect`, the default) or on
    /// [`connect`](crate::Client::connect).
    ///
    /// # Errors
    /// [`ErrorKind::Client`](crate::ErrorKind::Client) once the pool was
    /// [destroyed](ClientPool::destroy).
    pub fn get_client_nowait(&self) -> Result<Option<PooledClient>> {
        let inner = &self.inner;
        inner.check_usable()?;
        inner.ensure_reaper();
        let permit = match &inner.permits {
            None => None,
            Some(sem) => match sem.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(tokio::sync::TryAcquireError::NoPermits) => return Ok(None),
                Err(tokio::sync::TryAcquireError::Closed) => return Err(destroyed_error()),
            },
        };
        let member = match inner.take_idle() {
            Some(m) => m,
            None => inner.new_member()?,
        };
        Ok(Some(PooledClient::new(member, permit, inner.clone())))
    }

    /// Gives a client back to its pool; the same as dropping it.
    ///
    /// The client is kept for the next user only if its connection is still
    /// open, no command changed the connection's state and it has not
    /// outlived `client_timeout`; otherwise it is closed.
    pub fn release_client(&self, client: PooledClient) {
        drop(client);
    }

    /// Opens clients ahead of need, so that the first users do not wait for
    /// a connection: lends `size` clients at once (at most `max_size`), then
    /// returns them all to the pool. Idle clients are counted, so calling it
    /// again opens nothing new.
    ///
    /// # Errors
    /// The first error of [`get_connected_client`](ClientPool::get_connected_client);
    /// the clients opened before it stay in the pool.
    ///
    /// # Cancel safety
    /// Cancel safe: clients already opened go back to the pool, those being
    /// opened are closed.
    pub async fn preconnect(&self, size: usize) -> Result<()> {
        let limit = match self.inner.settings.max_size {
            Some(max) => size.min(max),
            None => size,
        };
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..limit {
            let pool = self.clone();
            tasks.spawn(async move { pool.get_connected_client().await });
        }
        let mut lent = Vec::with_capacity(limit);
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(client)) => lent.push(client),
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(join) => {
                    first_error.get_or_insert(Error::client(format!(
                        "a preconnect task ended abnormally: {join}"
                    )));
                }
            }
        }
        drop(lent);
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Closes the pool: idle clients are disconnected now, lent clients when
    /// they come back, and callers waiting for a client, like every later
    /// call, get a client error.
    pub fn destroy(&self) {
        let idle = {
            let mut st = self.inner.lock();
            self.inner.destroyed.store(true, Ordering::Release);
            std::mem::take(&mut st.idle)
        };
        if let Some(sem) = &self.inner.permits {
            sem.close();
        }
        for i in idle {
            i.member.close();
        }
    }

    /// Whether [`destroy`](ClientPool::destroy) was called.
    pub fn is_destroyed(&self) -> bool {
        self.inner.destroyed.load(Ordering::Acquire)
    }

    /// The largest number of clients the pool holds (`None`: unbounded).
    pub fn max_size(&self) -> Option<usize> {
        self.inner.settings.max_size
    }

    /// How many clients the pool holds now, idle and lent out.
    pub fn size(&self) -> usize {
        self.inner.open.load(Ordering::Acquire)
    }

    /// How many clients are idle in the pool now.
    pub fn idle_count(&self) -> usize {
        self.inner.lock().idle.len()
    }

    /// How many more clients could be lent out now without waiting
    /// (`None`: unbounded).
    pub fn available(&self) -> Option<usize> {
        self.inner.permits.as_ref().map(|s| s.available_permits())
    }

    /// The configuration every client of the pool connects with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A receiver of the [`ConnectionEvent`](crate::ConnectionEvent)s of
    /// every client of the pool from now on (each one's own connected,
    /// disconnected, reconnected, ...). See [`ConnectionEvents`](crate::ConnectionEvents).
    pub fn events(&self) -> crate::ConnectionEvents {
        self.inner
            .config
            .events
            .clone()
            .unwrap_or_default()
            .subscribe()
    }
}

fn destroyed_error() -> Error {
    Error::client("the client pool was destroyed; no client can be taken from it any more")
}

/// Runs `fut` until `deadline` (if any); `None` when the deadline passed first.
async fn within<F: Future>(deadline: Option<Instant>, fut: F) -> Option<F::Output> {
    match deadline {
        None => Some(fut.await),
        Some(at) => tokio::time::timeout_at(at, fut).await.ok(),
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics under this lock; a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_usable(&self) -> Result<()> {
        match self.destroyed.load(Ordering::Acquire) {
            true => Err(destroyed_error()),
            false => Ok(()),
        }
    }

    fn exhausted_error(&self) -> Error {
        let max = self.settings.max_size.unwrap_or(0);
        let wait = self.settings.acquire_timeout.unwrap_or_default();
        Error::timeout(format!(
            "all {max} clients of the pool stayed in use for the acquire timeout of {wait:?}"
        ))
    }

    fn new_member(&self) -> Result<Member> {
        Member::open(self.config.clone(), &self.open)
    }

    /// The time now, when a timeout needs it (reading the clock costs more
    /// than the rest of a borrow).
    fn now_if_timed(&self) -> Option<Instant> {
        let s = &self.settings;
        (s.client_timeout.is_some() || s.idle_timeout.is_some()).then(Instant::now)
    }

    /// Takes the most recently returned usable idle client, closing the
    /// ones on top of it that expired or whose connection broke. With a
    /// timeout set, the whole idle list is swept now and then as well (see
    /// the module's documentation).
    fn take_idle(&self) -> Option<Member> {
        let now = self.now_if_timed();
        if let Some(now) = now {
            self.sweep_if_due(now);
        }
        loop {
            let idle = self.lock().idle.pop()?;
            if idle.member.is_reusable() && !self.expired(&idle.member, idle.since, now) {
                return Some(idle.member);
            }
            idle.member.close();
        }
    }

    /// Sweeps the idle list when the last sweep is a reaper period ago.
    fn sweep_if_due(&self, now: Instant) {
        let Some(period) = reaper::period(&self.settings) else {
            return;
        };
        let closed = {
            let mut st = self.lock();
            if st.next_sweep.is_some_and(|at| now < at) {
                return;
            }
            st.next_sweep = Some(now + period);
            self.sweep(&mut st, Some(now))
        };
        for m in closed {
            m.close();
        }
    }

    /// Whether `member` has lived or idled longer than the pool allows
    /// (`now` is `None` when no timeout is set).
    fn expired(&self, member: &Member, idle_since: Option<Instant>, now: Option<Instant>) -> bool {
        let Some(now) = now else { return false };
        let too_old = self
            .settings
            .client_timeout
            .is_some_and(|t| now.saturating_duration_since(member.born()) >= t);
        let idled_out = match (self.settings.idle_timeout, idle_since) {
            (Some(t), Some(since)) => now.saturating_duration_since(since) >= t,
            _ => false,
        };
        too_old || idled_out
    }

    /// Removes the idle clients that must not be lent any more.
    fn sweep(&self, st: &mut State, now: Option<Instant>) -> Vec<Member> {
        let mut closed = Vec::new();
        let mut i = 0;
        while i < st.idle.len() {
            let idle = &st.idle[i];
            if idle.member.is_reusable() && !self.expired(&idle.member, idle.since, now) {
                i += 1;
            } else {
                closed.push(st.idle.remove(i).member);
            }
        }
        closed
    }

    /// Closes expired idle clients; false once the pool is destroyed.
    fn reap(&self) -> bool {
        let closed = {
            let mut st = self.lock();
            if self.destroyed.load(Ordering::Acquire) {
                return false;
            }
            self.sweep(&mut st, Some(Instant::now()))
        };
        for m in closed {
            m.close();
        }
        true
    }

    /// Takes back a client that was lent out, or closes it.
    fn put_back(&self, member: Member) {
        let now = self.now_if_timed();
        let keep = member.ready_for_next_user() && !self.expired(&member, None, now);
        let since = now.filter(|_| self.settings.idle_timeout.is_some());
        let refused = {
            let mut st = self.lock();
            if keep && !self.destroyed.load(Ordering::Acquire) {
                st.idle.push(Idle { member, since });
                None
            } else {
                Some(member)
            }
        };
        if let Some(m) = refused {
            m.close();
        }
    }

    /// Sends PING on an idle client before lending it (the `health_check` option).
    async fn ping(&self, member: &Member, deadline: Option<Instant>) -> bool {
        let ping = async { member.client().call("PING").await.is_ok() };
        within(deadline, ping).await == Some(true)
    }

    /// Starts the reaper if `autoclose` asks for one and it is not running yet.
    fn ensure_reaper(self: &Arc<Self>) {
        if !self.settings.autoclose {
            return;
        }
        let Some(period) = reaper::period(&self.settings) else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        {
            let mut st = self.lock();
            if st.reaper_started || self.destroyed.load(Ordering::Acquire) {
                return;
            }
            st.reaper_started = true;
        }
        reaper::spawn(Arc::downgrade(self), period);
    }
}

/// A permit of the pool's semaphore, if the pool is bounded.
pub(crate) type Permit = Option<OwnedSemaphorePermit>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool for a server that is never contacted: `get_client_nowait`
    /// makes clients without connecting them.
    fn pool(max: usize, acquire: Option<Duration>) -> ClientPool {
        ClientPool::builder()
            .url("redis://127.0.0.1:1")
            .max_size(max)
            .acquire_timeout(acquire)
            .build()
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_times_out_when_every_client_is_lent() {
        let pool = pool(1, Some(Duration::from_secs(30)));
        let lent = pool.get_client_nowait().unwrap().unwrap();
        let start = Instant::now();
        let e = pool.get_connected_client().await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert_eq!(pool.available(), Some(0));
        drop(lent);
        assert_eq!(pool.available(), Some(1));
        // The unconnected client was not kept.
        assert_eq!((pool.size(), pool.idle_count()), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_gives_its_turn_to_the_next() {
        let pool = pool(1, None);
        let lent = pool.get_client_nowait().unwrap().unwrap();
        let first = tokio::time::timeout(Duration::from_secs(1), pool.get_connected_client()).await;
        assert!(first.is_err());
        assert!(pool.get_client_nowait().unwrap().is_none());
        drop(lent);
        let again = pool.get_client_nowait().unwrap();
        assert!(again.is_some(), "the cancelled waiter kept no permit");
    }

    #[tokio::test(start_paused = true)]
    async fn destroy_wakes_waiters_with_a_client_error() {
        let pool = pool(1, None);
        let lent = pool.get_client_nowait().unwrap().unwrap();
        let waiter = tokio::spawn({
            let pool = pool.clone();
            async move { pool.get_connected_client().await }
        });
        tokio::task::yield_now().await;
        pool.destroy();
        let e = waiter.await.unwrap().unwrap_err();
        assert!(e.is_client(), "{e}");
        assert!(pool.get_client_nowait().unwrap_err().is_client());
        drop(lent);
        assert_eq!(pool.size(), 0);
    }

    #[test]
    fn nowait_works_without_a_runtime_and_counts_clients() {
        let pool = pool(2, None);
        let a = pool.get_client_nowait().unwrap().unwrap();
        let b = pool.get_client_nowait().unwrap().unwrap();
        assert!(pool.get_client_nowait().unwrap().is_none());
        assert_eq!(pool.size(), 2);
        let kept = b.detach();
        assert_eq!((pool.size(), pool.available()), (1, Some(1)));
        a.discard();
        assert_eq!((pool.size(), pool.available()), (0, Some(2)));
        assert!(kept.is_dedicated());
    }
}
