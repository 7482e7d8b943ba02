//! The driver task: one per connection. It opens the connection (and reopens
//! it after a failure) through the lifecycle it shares with the pub/sub
//! driver ([`crate::lifecycle`]), writes everything callers queued in one
//! batch, reads and decodes replies, and answers each caller's slot strictly
//! in order.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::AsyncWrite;
use tokio::time::Sleep;
use tokio_util::io::poll_read_buf;

use super::permit::Freed;
use super::shared::{Link, Shared, Slot};
use crate::config::{Config, ServerAddr};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::lifecycle::{self, Accept, Attempts, Driver, Endpoint, Next, Session};
use crate::observe::ConnState;
use crate::resp::Value;

/// Starts a driver task for `shared` (the caller has set `link` to
/// `Connecting`), or says that no runtime runs.
pub(crate) fn spawn(shared: Arc<Shared>) -> Result<()> {
    let driver = lifecycle::spawn(run(shared.clone()))?;
    // A panic in the driver (a bug) must not leave the client "connected"
    // with nobody serving its queue: a watcher fails what was queued and
    // lets the next request start a new driver.
    lifecycle::spawn(async move {
        if let Err(e) = driver.await {
            if e.is_panic() {
                recover_from_panic(&shared);
            }
        }
    })?;
    Ok(())
}

/// After the driver task panicked: the requests it had in flight already
/// failed, and gave back their permits (their slots were dropped with the
/// task); fail the queued ones and go idle.
fn recover_from_panic(shared: &Shared) {
    let mut st = shared.lock();
    let e = Error::connection(
        "the connection's driver task panicked (a bug in tornadis: please report it); the next request opens a new connection",
    );
    st.connect_waiters.answer(&Err(e.clone()));
    fail_queued(&mut st, &e);
    st.close_now = false;
    st.link = Link::Idle;
}

/// Set by a unit test to make the driver panic when replies next arrive.
#[cfg(test)]
pub(crate) static PANIC_NEXT_READ: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// How an I/O session ended without an error.
pub(crate) enum End {
    /// `disconnect()` was called.
    Closed,
    /// Every handle is gone and nothing is left to answer.
    Finished,
}

async fn run(shared: Arc<Shared>) {
    lifecycle::drive(&shared).await;
}

/// What the outcomes of the shared run loop mean for the client's requests:
/// a failure fails what is queued unless a reconnect can still serve it.
impl Driver for Arc<Shared> {
    type End = End;
    type Session<'a> = Io<'a>;

    fn config(&self) -> &Config {
        &self.config
    }

    fn endpoint(&self) -> Endpoint<'_> {
        Shared::endpoint(self)
    }

    fn attempt_failed(&self, error: &Error, attempts: &mut Attempts) -> Next {
        let mut st = self.lock();
        st.connect_waiters.answer(&Err(error.clone()));
        // `disconnect()` during the attempt already failed what was queued;
        // whatever came later keeps waiting.
        st.close_now = false;
        if st.link == Link::Closing {
            st.link = Link::Connecting;
        }
        let config = &self.config;
        let give_up = !config.autoconnect
            || st.slots.is_empty()
            || !attempts.retry(error, st.connects, config);
        if !give_up {
            return Next::Again;
        }
        fail_queued(&mut st, error);
        st.close_now = false;
        st.link = Link::Idle;
        Next::Stop
    }

    fn accept(&self, conn: Connection, addr: &ServerAddr, took: Duration) -> Accept<Io<'_>> {
        let server = conn.server.map_or(0, |s| s.pack());
        self.server.store(server, Ordering::Release);
        let generation = {
            let mut st = self.lock();
            if std::mem::take(&mut st.close_now) {
                // `disconnect()` during the handshake: that connection is
                // not wanted; open another only if requests came since.
                drop(conn);
                if st.slots.is_empty() && st.connect_waiters.is_empty() {
                    st.link = Link::Idle;
                    return Accept::Stop;
                }
                st.link = Link::Connecting;
                return Accept::Again;
            }
            st.link = Link::Connected;
            st.connects += 1;
            self.counters.connected();
            Shared::endpoint(self).opened(&conn, took);
            st.connect_waiters.answer(&Ok(()));
            st.connects
        };
        if let Some(after) = conn.refresh_after {
            super::reauth::spawn(self, generation, addr.clone(), after);
        }
        Accept::Serve(Io::new(self, conn), generation == 1)
    }

    fn on_purpose(end: &End) -> bool {
        matches!(end, End::Closed)
    }

    fn ended(&self, mut io: Io<'_>, end: Result<End>) -> Next {
        self.counters.disconnected();
        if let Some(cache) = &self.cache {
            // Invalidations sent until the next connection would be missed:
            // nothing cached now can be trusted after a reconnect.
            cache.connection_lost();
        }
        let config = &self.config;
        let mut st = self.lock();
        match end {
            Ok(End::Closed) => {
                let e = Error::connection(
                    "the connection was closed by disconnect() (or by dropping the client) \
                     while the request was in flight",
                );
                io.fail_inflight(&e);
                st.close_now = false;
                // Requests queued since `disconnect()` returned (it failed
                // the earlier ones) go to a new connection.
                let wanted = !st.slots.is_empty() || !st.connect_waiters.is_empty();
                if wanted && (config.autoconnect || st.slots.is_empty()) && !st.handles_gone {
                    st.link = Link::Connecting;
                    return Next::Again;
                }
                fail_queued(&mut st, &e);
                st.link = Link::Idle;
                Next::Stop
            }
            Ok(End::Finished) => {
                st.link = Link::Idle;
                Next::Stop
            }
            Err(error) => {
                io.fail_inflight(&error);
                if let Some(lost) = self.connection_lost(&mut st) {
                    // A new connection would lack the state (a transaction,
                    // a db selection): nothing queued may run there.
                    fail_queued(&mut st, &lost);
                    st.close_now = false;
                    st.link = Link::Idle;
                    return Next::Stop;
                }
                if !config.autoconnect || st.close_now {
                    fail_queued(&mut st, &error);
                    st.close_now = false;
                    st.link = Link::Idle;
                    return Next::Stop;
                }
                if st.slots.is_empty() && st.connect_waiters.is_empty() {
                    // Reconnect lazily, on the next request.
                    st.link = Link::Idle;
                    return Next::Stop;
                }
                st.link = Link::Connecting;
                Next::Again
            }
        }
    }
}

impl Session for Io<'_> {
    type End = End;

    fn serve(&mut self) -> impl Future<Output = Result<End>> + Send {
        poll_fn(move |cx| self.poll(cx))
    }

    fn state(&self) -> ConnState {
        self.state
    }
}

/// Fails every queued request: none of them was written.
fn fail_queued(st: &mut super::shared::State, error: &Error) {
    st.out.clear();
    let error = error.clone().not_sent();
    for slot in st.slots.drain(..) {
        slot.fail(error.clone());
    }
}

/// One connected session: the socket, the bytes being written, the slots
/// waiting for replies and the read timeout.
pub(crate) struct Io<'a> {
    shared: &'a Shared,
    conn: Connection,
    wbuf: BytesMut,
    wpos: usize,
    inflight: VecDeque<Slot>,
    timer: Option<Pin<Box<Sleep>>>,
    /// Set once the driver has yielded to let more callers join a batch.
    yielded: bool,
    /// How many requests the previous write carried. A lone caller (one
    /// request queued, nothing in flight, and one the time before) is written
    /// at once: yielding would only add a wake-up, as nobody else is coming.
    last_batch: usize,
    /// Whether a request is in flight, for `db.client.connection.count`.
    state: ConnState,
}

impl<'a> Io<'a> {
    fn new(shared: &'a Shared, conn: Connection) -> Self {
        Io {
            shared,
            conn,
            wbuf: BytesMut::with_capacity(shared.config.write_buffer_size),
            wpos: 0,
            inflight: VecDeque::new(),
            timer: None,
            yielded: false,
            last_batch: 1,
            state: ConnState::Idle,
        }
    }

    /// Reports a change between idle and in use (a cheap check when nothing changed).
    fn note_state(&mut self) {
        let now = if self.inflight.is_empty() {
            ConnState::Idle
        } else {
            ConnState::Used
        };
        if now != self.state {
            crate::observe::connection_state(&self.shared.config, Some(self.state), Some(now));
            self.state = now;
        }
    }

    fn fail_inflight(&mut self, error: &Error) {
        for slot in self.inflight.drain(..) {
            slot.fail(error.clone());
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<End>> {
        loop {
            let mut progress = false;
            if self.wpos == self.wbuf.len() {
                match self.take_work(cx) {
                    Poll::Ready(Ok(true)) => progress = true,
                    Poll::Ready(Ok(false)) => {}
                    Poll::Ready(Err(end)) => return Poll::Ready(Ok(end)),
                    Poll::Pending => {}
                }
            }
            progress |= self.poll_write(cx)?;
            if self.wpos < self.wbuf.len() {
                if let Some(end) = self.write_blocked(cx) {
                    return Poll::Ready(Ok(end));
                }
            }
            progress |= self.poll_read(cx)?;
            self.poll_timer(cx)?;
            if !progress {
                self.note_state();
                return Poll::Pending;
            }
        }
    }

    /// Takes everything queued by callers. `Ok(true)`: new bytes to write;
    /// `Ok(false)`: nothing queued (the waker is registered); `Err(end)`: stop.
    fn take_work(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, End>> {
        self.wbuf.clear();
        self.wpos = 0;
        // Give back the memory of a large pipeline.
        lifecycle::shrink(&mut self.wbuf, self.shared.config.write_buffer_size);
        let mut st = self.shared.lock();
        if st.close_now {
            return Poll::Ready(Err(End::Closed));
        }
        if st.out.is_empty() {
            if st.handles_gone && self.inflight.is_empty() {
                return Poll::Ready(Err(End::Finished));
            }
            match &st.driver_waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => st.driver_waker = Some(cx.waker().clone()),
            }
            return Poll::Ready(Ok(false));
        }
        let lone = st.slots.len() == 1 && self.last_batch == 1 && self.inflight.is_empty();
        if !self.shared.config.aggressive_write && !self.yielded && !lone {
            // Let the other tasks that are ready to run add their requests to
            // this batch: one write for many callers.
            self.yielded = true;
            drop(st);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.yielded = false;
        self.last_batch = st.slots.len();
        std::mem::swap(&mut st.out, &mut self.wbuf);
        if st.slots.iter().any(|s| s.blocking().is_some()) {
            // A blocking command lengthens the wait: arm the timer anew.
            self.timer = None;
        }
        self.inflight.extend(st.slots.drain(..));
        Poll::Ready(Ok(true))
    }

    /// While a write cannot go on (the server stopped reading),
    /// `disconnect()` or dropping the last handle must still end it: they
    /// find the driver's waker where they look, and the close is seen here.
    fn write_blocked(&mut self, cx: &mut Context<'_>) -> Option<End> {
        let mut st = self.shared.lock();
        if st.close_now || st.handles_gone {
            return Some(End::Closed);
        }
        match &st.driver_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.driver_waker = Some(cx.waker().clone()),
        }
        None
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let mut progress = false;
        while self.wpos < self.wbuf.len() {
            match Pin::new(&mut self.conn.stream).poll_write(cx, &self.wbuf[self.wpos..]) {
                Poll::Ready(Ok(0)) => {
                    return Err(Error::connection(
                        "the connection refused more bytes (write returned 0)",
                    ))
                }
                Poll::Ready(Ok(n)) => {
                    self.wpos += n;
                    progress = true;
                }
                Poll::Ready(Err(e)) => {
                    return Err(Error::connection(
                        "writing to the server failed; the connection is lost",
                    )
                    .with_source(e))
                }
                Poll::Pending => break,
            }
        }
        Ok(progress)
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let buf = &mut self.conn.read_buf;
        lifecycle::reserve_read(buf, self.shared.config.read_buffer_size);
        match poll_read_buf(Pin::new(&mut self.conn.stream), cx, buf) {
            Poll::Ready(Ok(0)) => Err(Error::connection("the server closed the connection")),
            Poll::Ready(Ok(_)) => {
                self.decode_all()?;
                if let Some(t) = &mut self.timer {
                    match read_deadline(self.shared, &self.inflight)
                        .and_then(|d| tokio::time::Instant::now().checked_add(d))
                    {
                        Some(at) => t.as_mut().reset(at),
                        None => self.timer = None,
                    }
                }
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(Error::connection(
                "reading from the server failed; the connection is lost",
            )
            .with_source(e)),
            Poll::Pending => Ok(false),
        }
    }

    fn decode_all(&mut self) -> Result<()> {
        #[cfg(test)]
        if PANIC_NEXT_READ.swap(false, std::sync::atomic::Ordering::SeqCst) {
            panic!("driver panic injected by a test");
        }
        // The places of the requests answered go back together, even when
        // a later frame was bad.
        let mut freed = Freed::default();
        self.decode_frames(&mut freed)?;
        drop(freed);
        // Give back the memory of a large reply.
        lifecycle::shrink(&mut self.conn.read_buf, self.shared.config.read_buffer_size);
        Ok(())
    }

    fn decode_frames(&mut self, freed: &mut Freed) -> Result<()> {
        while let Some(value) = self.conn.decoder.decode(&mut self.conn.read_buf)? {
            self.deliver(value, freed)?;
        }
        Ok(())
    }

    fn deliver(&mut self, value: Value, freed: &mut Freed) -> Result<()> {
        if let Value::Push(items) = value {
            // Out-of-band RESP3 push (e.g. an invalidation): not a reply to any request.
            if let Some(cache) = &self.shared.cache {
                cache.on_push(&items);
            }
            return Ok(());
        }
        let Some(slot) = self.inflight.front_mut() else {
            return Err(Error::protocol(format!(
                "the server sent a reply ({}) when no request was waiting; the connection is dropped to stay in sync",
                value.shape()
            )));
        };
        if slot.feed(value) {
            if let Some(done) = self.inflight.pop_front() {
                freed.add(done.into_permit());
            }
        }
        Ok(())
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Result<()> {
        if self.shared.config.read_timeout.is_none() {
            return Ok(());
        }
        let Some(timeout) = read_deadline(self.shared, &self.inflight) else {
            // A blocking command in flight may wait forever.
            self.timer = None;
            return Ok(());
        };
        if self.inflight.is_empty() {
            self.timer = None;
            return Ok(());
        }
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if timer.as_mut().poll(cx).is_ready() {
            return Err(Error::timeout(format!(
                "no reply from {} within the read timeout of {timeout:?}; the connection was closed",
                self.shared.config.addr
            )));
        }
        Ok(())
    }
}

/// The read timeout, lengthened by how long the server may hold the blocking
/// commands in flight on a dedicated connection (`None`: no read timeout, or
/// one of them may block forever).
fn read_deadline(shared: &Shared, inflight: &VecDeque<Slot>) -> Option<std::time::Duration> {
    let timeout = shared.config.read_timeout?;
    if shared.blocking.load(std::sync::atomic::Ordering::Acquire) == 0 {
        return Some(timeout);
    }
    let mut longest = std::time::Duration::ZERO;
    for mark in inflight.iter().filter_map(Slot::blocking) {
        longest = longest.max(mark.wait?);
    }
    Some(timeout.saturating_add(longest))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use crate::{Client, Protocol};

    /// A peer that answers every command with `+PONG` (the RESP2
    /// handshake's INFO and CLIENT SETINFO too: their answers are ignored).
    async fn pong_peer() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        // One answer per command (a `*` that starts a line).
                        let chunk = &buf[..n];
                        let commands = chunk
                            .iter()
                            .enumerate()
                            .filter(|&(i, &b)| b == b'*' && (i == 0 || chunk[i - 1] == b'\n'))
                            .count();
                        let answer = b"+PONG\r\n".repeat(commands);
                        if n == 0 || s.write_all(&answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn a_driver_that_panics_fails_its_requests_and_a_new_one_starts() {
        const N: usize = 4;
        let port = pong_peer().await;
        let c = Client::builder()
            .port(port)
            .protocol(Protocol::Resp2)
            .max_pending_requests(N)
            .build()
            .unwrap();
        c.call("PING").await.unwrap();
        // The driver panics with every place in use: requests in flight
        // (one of them fire-and-forget) whose slots go with the task.
        super::PANIC_NEXT_READ.store(true, std::sync::atomic::Ordering::SeqCst);
        c.async_call_forget("PING").unwrap();
        let calls = async { tokio::join!(c.call("PING"), c.call("PING"), c.call("PING")) };
        let (a, b, d) = tokio::time::timeout(Duration::from_secs(5), calls)
            .await
            .expect("the requests ended");
        for r in [a, b, d] {
            let e = r.unwrap_err();
            assert!(e.is_connection(), "{e}");
        }
        // The watcher runs once the task is gone.
        for _ in 0..100 {
            if !c.is_connected() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!c.is_connected());
        let v = tokio::time::timeout(Duration::from_secs(5), c.call("PING"))
            .await
            .expect("a new driver answered")
            .unwrap();
        assert_eq!(v, crate::Value::SimpleString("PONG".into()));
        assert_eq!(c.stats().in_flight, 0, "permits given back");
        // Exactly N places: none lost with the task, none given back twice.
        for i in 0..N {
            c.async_call_forget("PING")
                .unwrap_or_else(|e| panic!("place {i} is missing: {e}"));
        }
        assert!(c.async_call_forget("PING").is_err(), "a place too many");
    }
}
