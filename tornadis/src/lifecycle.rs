//! The connection lifecycle both drivers share: the request/reply driver
//! (`client/driver.rs`) and the pub/sub driver (`pubsub/driver.rs`).
//!
//! - where to connect ([`Endpoint`]: the address the resolver names now,
//!   or the config's), opening with the handshake, and the tracing/metrics
//!   hooks and connection events of every attempt, open and close;
//! - the time between attempts ([`Attempts`]: backoff with jitter, and the
//!   outage's start that `reconnect_wait` counts from);
//! - the link state ([`Link`]) and the callers of `connect()` ([`Waiters`]);
//! - the buffers: room to read into, and shrinking after a large frame;
//! - starting the driver task, or the error when no tokio runtime runs.
//!
//! Each driver keeps its frame handling, and what a failure means for the
//! work it holds (the client fails its requests; pub/sub restores its
//! subscriptions).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::sync::oneshot;

use crate::backoff::Backoff;
use crate::client::AddrResolver;
use crate::config::{Config, ServerAddr};
use crate::connection::{self, Connection};
use crate::error::{Error, Result};
use crate::events::Hub;
use crate::observe::{ConnState, Peer};

/// The life cycle of a driver's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// No driver task runs; nothing is connected.
    Idle,
    /// A driver runs and is opening (or re-opening) the connection.
    Connecting,
    /// A driver runs with an open connection.
    Connected,
    /// `disconnect()` was called and the driver is closing the connection:
    /// not connected any more; work queued from now on goes to the next
    /// connection.
    Closing,
}

impl Link {
    /// No connection is open or opening for new work.
    pub(crate) fn is_down(self) -> bool {
        matches!(self, Link::Idle | Link::Closing)
    }
}

/// The callers of `connect()` waiting for the outcome of the next attempt.
#[derive(Debug, Default)]
pub(crate) struct Waiters(Vec<oneshot::Sender<Result<()>>>);

impl Waiters {
    /// Adds a caller; its answer comes through [`connected`].
    pub(crate) fn add(&mut self) -> oneshot::Receiver<Result<()>> {
        let (tx, rx) = oneshot::channel();
        self.0.push(tx);
        rx
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Answers every caller.
    pub(crate) fn answer(&mut self, result: &Result<()>) {
        for w in self.0.drain(..) {
            let _ = w.send(result.clone());
        }
    }
}

/// The answer a `connect()` caller waits for.
pub(crate) async fn connected(rx: oneshot::Receiver<Result<()>>) -> Result<()> {
    rx.await
        .unwrap_or_else(|_| Err(Error::connection("the connection attempt was abandoned")))
}

/// Where a driver connects, and whom it tells about its connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint<'a> {
    pub(crate) config: &'a Config,
    /// Asked before every attempt when the server can move (Sentinel).
    pub(crate) resolver: Option<&'a Arc<dyn AddrResolver>>,
    pub(crate) events: &'a Hub,
    /// The node the current connection reached, for spans and metrics.
    pub(crate) peer: &'a Peer,
}

impl Endpoint<'_> {
    /// One attempt: the address (the resolver's, or the config's), the
    /// socket and the handshake. A failure is reported to the tracing hooks.
    pub(crate) async fn open(&self) -> Result<(Connection, ServerAddr)> {
        let opened = match self.resolver {
            None => connection::connect(self.config)
                .await
                .map(|conn| (conn, self.config.addr.clone())),
            Some(resolver) => match resolver.resolve().await {
                Ok(addr) => {
                    let mut config = self.config.clone();
                    config.addr = addr;
                    connection::connect(&config)
                        .await
                        .map(|conn| (conn, config.addr))
                }
                Err(e) => Err(e),
            },
        };
        if let Err(error) = &opened {
            crate::observe::connect_failed(self.config, error);
        }
        opened
    }

    /// A connection the driver accepted: the peer for spans and metrics,
    /// and the tracing/metrics hooks (`took`: since the attempt started).
    pub(crate) fn opened(&self, conn: &Connection, took: Duration) {
        self.peer.set(conn.peer.clone());
        crate::observe::connected(self.config, &conn.peer, took);
    }

    /// The connection event of an open (`first`: the client's first).
    pub(crate) fn announce(&self, addr: &ServerAddr, first: bool) {
        self.events.opened(addr, first);
    }

    /// An open connection ended, `end` telling how (`on_purpose`: the
    /// ways that are a requested close); `state` is whether it was in use.
    pub(crate) fn closed<E>(
        &self,
        addr: &ServerAddr,
        state: ConnState,
        end: &Result<E>,
        on_purpose: impl Fn(&E) -> bool,
    ) {
        crate::observe::disconnected(self.config, state, end.as_ref().err());
        self.events
            .closed(addr, || crate::events::cause(end, on_purpose));
    }

    /// The driver stopped trying after `error`.
    pub(crate) fn gave_up(&self, error: &Error) {
        self.events.gave_up(&self.config.addr, error);
    }
}

/// The attempts of one driver: backoff between them, and when the outage
/// began (requests wait for a new connection up to `reconnect_wait` from
/// there, plus one connect timeout).
#[derive(Debug)]
pub(crate) struct Attempts {
    backoff: Backoff,
    outage_start: Option<Instant>,
    attempt_start: Instant,
}

impl Attempts {
    pub(crate) fn new(config: &Config) -> Self {
        Attempts {
            backoff: Backoff::new(config.backoff_min, config.backoff_max),
            outage_start: None,
            attempt_start: Instant::now(),
        }
    }

    /// An attempt begins.
    pub(crate) fn start(&mut self) {
        self.attempt_start = Instant::now();
    }

    /// How long the current attempt took so far.
    pub(crate) fn took(&self) -> Duration {
        self.attempt_start.elapsed()
    }

    /// The attempt failed with `error`: whether trying again can help the
    /// work waiting for it. Not when retrying cannot help (wrong password,
    /// a db that does not exist, a peer that is not Redis), nor for a
    /// client that was never connected (`connects == 0`): its first request
    /// fails after one connect timeout instead of `reconnect_wait`. A
    /// client that was connected before keeps trying for `reconnect_wait`
    /// (a restart or failover takes a moment).
    pub(crate) fn retry(&mut self, error: &Error, connects: u64, config: &Config) -> bool {
        let since = *self.outage_start.get_or_insert(self.attempt_start);
        let transient = error.is_connection() || error.is_timeout();
        transient && connects > 0 && since.elapsed() < config.reconnect_wait
    }

    /// The pause before the next attempt.
    pub(crate) fn delay(&mut self) -> Duration {
        self.backoff.next_delay()
    }

    /// The attempt opened a connection: the next outage starts afresh.
    pub(crate) fn succeeded(&mut self) {
        self.outage_start = None;
        self.backoff.reset();
    }
}

/// Makes room to read into: at least a quarter of `size` free.
pub(crate) fn reserve_read(buf: &mut BytesMut, size: usize) {
    if buf.capacity() - buf.len() < size / 4 {
        buf.reserve(size);
    }
}

/// Gives back the memory of a large frame: an empty buffer that grew past
/// four times its configured `size` starts again at `size`.
pub(crate) fn shrink(buf: &mut BytesMut, size: usize) {
    if buf.is_empty() && buf.capacity() > 4 * size {
        *buf = BytesMut::with_capacity(size);
    }
}

/// Starts a driver task, or says that there is no runtime to run it on.
pub(crate) fn spawn<F>(driver: F) -> Result<tokio::task::JoinHandle<()>>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => Ok(runtime.spawn(driver)),
        Err(_) => Err(Error::client(
            "tornadis needs a tokio runtime: use the client from within #[tokio::main] or Runtime::block_on",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_shrinks_only_when_empty_and_grown_past_four_times_its_size() {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        shrink(&mut buf, 1024);
        assert_eq!(buf.capacity(), 1024);
        let mut full = BytesMut::with_capacity(64 * 1024);
        full.extend_from_slice(b"x");
        shrink(&mut full, 1024);
        assert!(full.capacity() >= 64 * 1024, "still holds a frame");
        let mut small = BytesMut::with_capacity(2048);
        shrink(&mut small, 1024);
        assert!(small.capacity() >= 2048);
    }

    #[test]
    fn only_a_client_that_was_connected_retries_transient_errors() {
        let config = Config::default();
        let mut attempts = Attempts::new(&config);
        attempts.start();
        let lost = Error::connection("refused");
        assert!(!attempts.retry(&lost, 0, &config), "never connected");
        assert!(attempts.retry(&lost, 1, &config));
        let refused = Error::new(crate::error::ErrorKind::Auth, "wrong password");
        assert!(
            !attempts.retry(&refused, 1, &config),
            "retrying cannot help"
        );
        let quick = Config {
            reconnect_wait: Duration::ZERO,
            ..Config::default()
        };
        assert!(!attempts.retry(&lost, 1, &quick), "past reconnect_wait");
    }

    #[tokio::test]
    async fn an_abandoned_attempt_is_a_connection_error() {
        let mut waiters = Waiters::default();
        let rx = waiters.add();
        drop(waiters);
        assert!(connected(rx).await.unwrap_err().is_connection());
    }

    #[test]
    fn without_a_runtime_the_driver_is_not_started() {
        let e = spawn(async {}).unwrap_err();
        assert!(e.to_string().contains("tokio runtime"), "{e}");
    }
}
