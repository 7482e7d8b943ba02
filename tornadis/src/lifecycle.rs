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
//! - the run loop itself ([`drive`]): attempt, back off, accept, serve,
//!   report the close, and again.
//!
//! Each driver keeps its frame handling ([`Session`]), and what a failure
//! means for the work it holds ([`Driver`]: the client fails its requests;
//! pub/sub restores its subscriptions).

use std::future::Future;
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

/// What a driver does after a failed attempt or an ended session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Attempt again: after a backoff pause when an attempt failed, at once
    /// when a session ended.
    Again,
    /// Stop the driver task (the driver has answered or kept its work).
    Stop,
}

/// What a driver does with a connection it opened.
pub(crate) enum Accept<S> {
    /// Serve it (`first`: the driver's first connection).
    Serve(S, bool),
    /// Not wanted (`disconnect()` during the handshake): attempt again at once.
    Again,
    /// Not wanted, and nothing waits for another: stop.
    Stop,
}

/// One open connection of a driver: its frame handling.
pub(crate) trait Session {
    /// How a session ends without an error.
    type End;

    /// Serves the connection until it ends.
    fn serve(&mut self) -> impl Future<Output = Result<Self::End>> + Send;

    /// Whether a request awaits a reply, for the connection metrics.
    fn state(&self) -> ConnState;
}

/// What differs between the two drivers around the shared run loop
/// ([`drive`]): what an outcome means for the work they hold.
pub(crate) trait Driver {
    /// How a session ends without an error.
    type End;

    /// The driver's session over one connection.
    type Session<'a>: Session<End = Self::End> + Send
    where
        Self: 'a;

    fn config(&self) -> &Config;

    fn endpoint(&self) -> Endpoint<'_>;

    /// Asked before each attempt: `false` stops the driver (it has answered
    /// its work).
    fn may_attempt(&self) -> bool {
        true
    }

    /// An attempt failed with `error`: [`Next::Again`] after a pause, or
    /// [`Next::Stop`] (the driver has answered its work; the loop reports
    /// that it gave up).
    fn attempt_failed(&self, error: &Error, attempts: &mut Attempts) -> Next;

    /// The pause before the next attempt.
    fn pause(&self, delay: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(delay)
    }

    /// A connection opened (`took`: since the attempt started): serve it,
    /// or say why not.
    fn accept(
        &self,
        conn: Connection,
        addr: &ServerAddr,
        took: Duration,
    ) -> Accept<Self::Session<'_>>;

    /// Whether a session's end is a requested close, for the connection events.
    fn on_purpose(end: &Self::End) -> bool;

    /// A session ended: what that means for the work it held, and whether
    /// to connect again at once.
    fn ended(&self, session: Self::Session<'_>, end: Result<Self::End>) -> Next;
}

/// The run loop of a driver task: attempts (with backoff between failed
/// ones), sessions, and the observe hooks and connection events of each,
/// until the driver says stop.
pub(crate) async fn drive<D: Driver + Sync>(driver: &D) {
    let endpoint = driver.endpoint();
    let mut attempts = Attempts::new(driver.config());
    loop {
        if !driver.may_attempt() {
            return;
        }
        attempts.start();
        let (conn, addr) = match endpoint.open().await {
            Ok(opened) => opened,
            Err(error) => {
                if driver.attempt_failed(&error, &mut attempts) == Next::Stop {
                    endpoint.gave_up(&error);
                    return;
                }
                let delay = attempts.delay();
                driver.pause(delay).await;
                continue;
            }
        };
        let took = attempts.took();
        let (mut session, first) = match driver.accept(conn, &addr, took) {
            Accept::Serve(session, first) => (session, first),
            Accept::Again => continue,
            Accept::Stop => return,
        };
        attempts.succeeded();
        endpoint.announce(&addr, first);
        let end = session.serve().await;
        endpoint.closed(&addr, session.state(), &end, D::on_purpose);
        if driver.ended(session, end) == Next::Stop {
            return;
        }
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

    /// A driver that records what the run loop asked of it.
    struct Recorder {
        config: Config,
        events: Hub,
        peer: Peer,
        failures: std::sync::Mutex<usize>,
        pauses: std::sync::Mutex<Vec<Duration>>,
        give_up_after: usize,
    }

    struct NeverServed;

    impl Session for NeverServed {
        type End = ();
        fn serve(&mut self) -> impl Future<Output = Result<()>> + Send {
            std::future::ready(Ok(()))
        }
        fn state(&self) -> ConnState {
            ConnState::Idle
        }
    }

    impl Driver for Recorder {
        type End = ();
        type Session<'a> = NeverServed;
        fn config(&self) -> &Config {
            &self.config
        }
        fn endpoint(&self) -> Endpoint<'_> {
            Endpoint {
                config: &self.config,
                resolver: None,
                events: &self.events,
                peer: &self.peer,
            }
        }
        fn attempt_failed(&self, error: &Error, _: &mut Attempts) -> Next {
            assert!(error.is_connection(), "{error}");
            let mut failures = self.failures.lock().unwrap();
            *failures += 1;
            if *failures == self.give_up_after {
                Next::Stop
            } else {
                Next::Again
            }
        }
        async fn pause(&self, delay: Duration) {
            self.pauses.lock().unwrap().push(delay);
        }
        fn accept(&self, _: Connection, _: &ServerAddr, _: Duration) -> Accept<NeverServed> {
            panic!("nothing listens: no connection can open")
        }
        fn on_purpose(_: &()) -> bool {
            true
        }
        fn ended(&self, _: NeverServed, _: Result<()>) -> Next {
            panic!("no session ran")
        }
    }

    #[tokio::test]
    async fn the_run_loop_pauses_between_failed_attempts_and_stops_when_the_driver_says() {
        // A port nothing listens on: every attempt is refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = Config::from_url(&format!("redis://127.0.0.1:{port}")).unwrap();
        config.backoff_min = Duration::from_millis(7);
        config.backoff_max = Duration::from_millis(50);
        let driver = Recorder {
            config,
            events: Hub::default(),
            peer: Peer::default(),
            failures: std::sync::Mutex::new(0),
            pauses: std::sync::Mutex::new(Vec::new()),
            give_up_after: 3,
        };
        tokio::time::timeout(Duration::from_secs(10), drive(&driver))
            .await
            .expect("the loop stops when the driver says so");
        assert_eq!(*driver.failures.lock().unwrap(), 3);
        let pauses = driver.pauses.lock().unwrap();
        assert_eq!(
            pauses.len(),
            2,
            "a pause between attempts, none after the last"
        );
        assert!(
            pauses.iter().all(|d| *d <= Duration::from_millis(50)),
            "{pauses:?}"
        );
    }
}
