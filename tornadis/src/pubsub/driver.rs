//! The driver task of a [`PubSubClient`](super::PubSubClient): it owns the
//! connection, sends the queued (un)subscribe commands, matches the server's
//! confirmations to them, puts published messages in the buffer, and after
//! a lost connection reconnects (with backoff, through the resolver when the
//! server can move) and subscribes again to everything the server had
//! confirmed, then reports the gap. Opening, backoff, waiters, buffers and
//! the observe hooks are the lifecycle it shares with the client's driver
//! ([`crate::lifecycle`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};

use super::frame::{classify, Family, Frame};
use super::message::Message;
use super::shared::{wake_all, Link, Op, OpKind, Shared, State};
use crate::cmd::cmd;
use crate::config::{Config, ServerAddr};
use crate::connection::{Connection, Stream};
use crate::error::{Error, Result};
use crate::lifecycle::{self, Accept, Attempts, Driver, Endpoint, Next};
use crate::observe::ConnState;
use crate::resp::{Decoder, ServerError};

/// Starts a driver task for `shared` (the caller has set `link` to
/// `Connecting`), or says that no runtime runs.
pub(crate) fn spawn(shared: Arc<Shared>) -> Result<()> {
    lifecycle::spawn(run(shared)).map(drop)
}

/// How a session ended without an error.
pub(crate) enum End {
    /// `disconnect()` was called.
    Closed,
    /// Every handle is gone.
    Finished,
}

async fn run(shared: Arc<Shared>) {
    lifecycle::drive(&*shared).await;
}

/// What the outcomes of the shared run loop mean for a pub/sub client: a
/// lost connection keeps its subscriptions and commands for the next one.
impl Driver for Shared {
    type End = End;
    type Session<'a> = Session<'a>;

    fn config(&self) -> &Config {
        &self.config
    }

    fn endpoint(&self) -> Endpoint<'_> {
        Shared::endpoint(self)
    }

    fn may_attempt(&self) -> bool {
        let mut st = self.lock();
        if !(st.close_now || st.handles_gone) {
            return true;
        }
        // disconnect() or the last handle dropped during a backoff: no
        // point in connecting again.
        let wakers = give_up(&mut st, disconnected(), self.config.autoconnect);
        drop(st);
        wake_all(wakers);
        false
    }

    fn attempt_failed(&self, error: &Error, _: &mut Attempts) -> Next {
        let config = &self.config;
        let mut st = self.lock();
        st.connect_waiters.answer(&Err(error.clone()));
        expire_ops(&mut st, config.reconnect_wait, error);
        if error.is_auth() {
            // Refused credentials do not get better by waiting: the
            // commands waiting fail now, and the remembered subscriptions
            // are restored once credentials work.
            st.fail_ops(error);
        }
        let stop = !config.autoconnect || st.close_now || st.handles_gone;
        let nothing_waits = st.ops.is_empty() && st.subs.is_empty();
        if !stop && !nothing_waits {
            return Next::Again;
        }
        let wakers = give_up(&mut st, error.clone(), config.autoconnect);
        drop(st);
        wake_all(wakers);
        Next::Stop
    }

    async fn pause(&self, delay: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            // A new command or disconnect(): look again at once.
            _ = self.wake_driver.notified() => {}
        }
    }

    fn accept(&self, conn: Connection, _: &ServerAddr, took: Duration) -> Accept<Session<'_>> {
        let (restore, first) = {
            let mut st = self.lock();
            st.link = Link::Connected;
            st.connects += 1;
            st.bounce = false;
            Shared::endpoint(self).opened(&conn, took);
            st.connect_waiters.answer(&Ok(()));
            st.buffer.reopen();
            (restore_ops(&st), st.connects == 1)
        };
        Accept::Serve(Session::new(self, conn, restore), first)
    }

    fn on_purpose(end: &End) -> bool {
        matches!(end, End::Closed)
    }

    fn ended(&self, mut session: Session<'_>, end: Result<End>) -> Next {
        let autoconnect = self.config.autoconnect;
        let wakers = {
            let mut st = self.lock();
            match end {
                Ok(End::Finished) => st.go_idle(None),
                Ok(End::Closed) => {
                    session.fail_inflight(&disconnected());
                    give_up(&mut st, disconnected(), autoconnect)
                }
                Err(error) if !autoconnect || st.close_now || st.handles_gone => {
                    let error = if st.close_now { disconnected() } else { error };
                    session.fail_inflight(&error);
                    give_up(&mut st, error, autoconnect)
                }
                Err(error) => {
                    session.requeue_inflight(&mut st, &error);
                    if !(st.ops.is_empty() && st.subs.is_empty()) {
                        // Reconnect at once: the first attempt needs no delay.
                        st.link = Link::Connecting;
                        return Next::Again;
                    }
                    // Nothing to restore: the next command reconnects.
                    st.go_idle(None)
                }
            }
        };
        wake_all(wakers);
        Next::Stop
    }
}

fn disconnected() -> Error {
    Error::connection("the connection was closed by disconnect()")
}

/// Stops the driver after `error`. Returns the consumers to wake.
///
/// After `disconnect()` the subscriptions are forgotten and consumers get
/// the error. With autoconnect off they get `error` too, and the record is
/// kept: `connect()` restores it. With autoconnect on, the driver only stops
/// when there is nothing to restore (or no handle left), and consumers just
/// keep waiting: the next command reconnects.
fn give_up(st: &mut State, error: Error, autoconnect: bool) -> Vec<Waker> {
    st.connect_waiters.answer(&Err(error.clone()));
    if st.close_now {
        let e = disconnected();
        st.fail_ops(&e);
        st.subs.clear();
        return st.go_idle(Some(e));
    }
    st.fail_ops(&error);
    st.go_idle((!autoconnect).then_some(error))
}

/// Fails the queued commands that waited for a connection longer than `wait`.
fn expire_ops(st: &mut State, wait: std::time::Duration, error: &Error) {
    let now = Instant::now();
    let (expired, kept): (VecDeque<Op>, VecDeque<Op>) = std::mem::take(&mut st.ops)
        .into_iter()
        .partition(|op| now.duration_since(op.queued_at) >= wait);
    st.ops = kept;
    for op in expired {
        op.finish(Err(error.clone()));
    }
}

/// The commands that subscribe again to everything the server had confirmed.
fn restore_ops(st: &State) -> Vec<Op> {
    let mut ops = Vec::new();
    for family in [Family::Channel, Family::Pattern] {
        let channels: Vec<Bytes> = st.subs.of(family).iter().cloned().collect();
        if !channels.is_empty() {
            ops.push(restore_op(family, channels));
        }
    }
    // In a cluster, the shard channels of one SSUBSCRIBE must share a slot:
    // one command per channel is always accepted.
    for channel in st.subs.of(Family::Shard) {
        ops.push(restore_op(Family::Shard, vec![channel.clone()]));
    }
    ops
}

fn restore_op(family: Family, channels: Vec<Bytes>) -> Op {
    let mut c = cmd(family.command(true));
    for ch in &channels {
        c.arg_bytes(ch);
    }
    Op::new(OpKind::Restore { family, channels }, c, None)
}

impl lifecycle::Session for Session<'_> {
    type End = End;

    fn serve(&mut self) -> impl std::future::Future<Output = Result<End>> + Send {
        self.run()
    }

    /// A subscribed connection counts as idle: no request awaits a reply.
    fn state(&self) -> ConnState {
        ConnState::Idle
    }
}

/// A command sent and waiting for its confirmations or reply.
struct Inflight {
    op: Op,
    /// Confirmations still expected; `None` until the first one of an
    /// unsubscribe-all (whose count is only known when the server runs it).
    remaining: Option<usize>,
}

/// One open connection.
pub(crate) struct Session<'a> {
    shared: &'a Shared,
    reader: ReadHalf<Stream>,
    writer: WriteHalf<Stream>,
    read_buf: BytesMut,
    decoder: Decoder,
    wbuf: BytesMut,
    wpos: usize,
    inflight: VecDeque<Inflight>,
    /// Restore commands still unanswered; the `Reconnected` notice goes out
    /// when the last one is answered.
    restoring: usize,
    last_read: tokio::time::Instant,
}

impl<'a> Session<'a> {
    fn new(shared: &'a Shared, conn: Connection, restore: Vec<Op>) -> Self {
        let Connection {
            stream,
            read_buf,
            decoder,
            ..
        } = conn;
        let (reader, writer) = tokio::io::split(stream);
        let mut s = Session {
            shared,
            reader,
            writer,
            read_buf,
            decoder,
            wbuf: BytesMut::with_capacity(shared.config.write_buffer_size),
            wpos: 0,
            inflight: VecDeque::new(),
            restoring: restore.len(),
            last_read: tokio::time::Instant::now(),
        };
        for op in restore {
            s.send(op);
        }
        s
    }

    /// Encodes `op` for writing and waits for its answer.
    fn send(&mut self, op: Op) {
        op.cmd.write_to(&mut self.wbuf);
        let remaining = match &op.kind {
            OpKind::Change { count: 0, .. } => None,
            OpKind::Change { count, .. } => Some(*count),
            OpKind::Restore { channels, .. } => Some(channels.len()),
            OpKind::Ping => Some(1),
        };
        self.inflight.push_back(Inflight { op, remaining });
    }

    async fn run(&mut self) -> Result<End> {
        let size = self.shared.config.read_buffer_size;
        let read_timeout = self.shared.config.read_timeout;
        let (mut may_read, mut ping_interval);
        loop {
            {
                let mut st = self.shared.lock();
                if st.close_now {
                    return Ok(End::Closed);
                }
                if st.handles_gone {
                    return Ok(End::Finished);
                }
                if std::mem::take(&mut st.bounce) {
                    return Err(Error::connection(
                        "the server this connection reached was replaced (a failover); reconnecting and subscribing again",
                    ));
                }
                let ops: Vec<Op> = st.ops.drain(..).collect();
                may_read = st.buffer.reader_may_read();
                ping_interval = st.ping_interval;
                drop(st);
                if self.wpos == self.wbuf.len() {
                    self.wbuf.clear();
                    self.wpos = 0;
                    // Give back the memory of a long list of channels.
                    lifecycle::shrink(&mut self.wbuf, self.shared.config.write_buffer_size);
                }
                if self.inflight.is_empty() {
                    // The silence before a command is not a timeout.
                    self.last_read = tokio::time::Instant::now();
                }
                for op in ops {
                    self.send(op);
                }
            }
            lifecycle::reserve_read(&mut self.read_buf, size);
            let deadline = read_timeout.map(|t| crate::deadline::after(self.last_read, t));
            // While reading is paused (lossless mode, consumer behind), the
            // silence is ours: no read timeout, no idle PING.
            let waiting = may_read && !self.inflight.is_empty() && deadline.is_some();
            let idle_at = match ping_interval {
                Some(every) if may_read && self.inflight.is_empty() => {
                    Some(crate::deadline::after(self.last_read, every))
                }
                _ => None,
            };
            let writing = self.wpos < self.wbuf.len();
            tokio::select! {
                r = self.reader.read_buf(&mut self.read_buf), if may_read => match r {
                    Ok(0) => return Err(Error::connection("the server closed the connection")),
                    Ok(_) => {
                        self.last_read = tokio::time::Instant::now();
                        self.decode_all()?;
                    }
                    Err(e) => return Err(Error::connection(
                        "reading from the server failed; the connection is lost",
                    ).with_source(e)),
                },
                r = self.writer.write(&self.wbuf[self.wpos..]), if writing => match r {
                    Ok(0) => return Err(Error::connection(
                        "the connection refused more bytes (write returned 0)",
                    )),
                    Ok(n) => self.wpos += n,
                    Err(e) => return Err(Error::connection(
                        "writing to the server failed; the connection is lost",
                    ).with_source(e)),
                },
                _ = self.shared.wake_driver.notified() => {}
                _ = sleep_until_opt(idle_at), if idle_at.is_some() => {
                    // Idle: ask whether the link still works; the answer
                    // is due within the read timeout.
                    self.last_read = tokio::time::Instant::now();
                    self.send(Op::new(OpKind::Ping, cmd("PING"), None));
                }
                _ = sleep_until_opt(deadline), if waiting => {
                    return Err(Error::timeout(format!(
                        "no answer from {} within the read timeout of {:?}; the connection was closed",
                        self.shared.config.addr,
                        read_timeout.unwrap_or_default(),
                    )));
                }
            }
        }
    }

    /// Decodes and handles every complete frame in the read buffer.
    fn decode_all(&mut self) -> Result<()> {
        let mut wakers = Vec::new();
        let result = self.decode_frames(&mut wakers);
        wake_all(wakers);
        // Give back the memory of a large message.
        lifecycle::shrink(&mut self.read_buf, self.shared.config.read_buffer_size);
        result
    }

    fn decode_frames(&mut self, wakers: &mut Vec<Waker>) -> Result<()> {
        while let Some(value) = self.decoder.decode(&mut self.read_buf)? {
            let frame = classify(value)?;
            let mut st = self.shared.lock();
            match frame {
                Frame::Message(m) => wakers.extend(st.buffer.push(m)),
                Frame::Confirm {
                    family,
                    subscribe,
                    channel,
                } => self.on_confirm(&mut st, family, subscribe, channel, wakers),
                Frame::Pong => {
                    let is_ping = matches!(
                        self.inflight.front(),
                        Some(Inflight {
                            op: Op {
                                kind: OpKind::Ping,
                                ..
                            },
                            ..
                        })
                    );
                    if !is_ping {
                        return Err(unmatched("PONG", self.inflight.front().map(|i| &i.op)));
                    }
                    if let Some(i) = self.inflight.pop_front() {
                        i.op.finish(Ok(()));
                    }
                }
                Frame::Error(e) => self.on_error(&mut st, e, wakers)?,
                Frame::Ignored => {}
            }
        }
        Ok(())
    }

    fn on_confirm(
        &mut self,
        st: &mut State,
        family: Family,
        subscribe: bool,
        channel: Option<Bytes>,
        wakers: &mut Vec<Waker>,
    ) {
        let set_len = st.subs.of(family).len();
        let mut done = false;
        if let Some(front) = self.inflight.front_mut() {
            let matches = match &front.op.kind {
                OpKind::Change {
                    family: f,
                    subscribe: s,
                    ..
                } => *f == family && *s == subscribe,
                OpKind::Restore { family: f, .. } => *f == family && subscribe,
                OpKind::Ping => false,
            };
            if matches {
                // Unsubscribe-all: one confirmation per subscription the
                // server had when it ran the command (here, before this
                // confirmation is applied), or one with a nil channel.
                let remaining = front.remaining.get_or_insert(set_len.max(1));
                *remaining = remaining.saturating_sub(1);
                done = *remaining == 0;
            }
            // Otherwise the server sent it on its own (e.g. `sunsubscribe`
            // when a cluster slot moves): only the record changes.
        }
        if let Some(ch) = channel {
            if subscribe {
                st.subs.of_mut(family).insert(ch);
            } else {
                st.subs.of_mut(family).remove(&ch);
            }
        }
        if done {
            if let Some(front) = self.inflight.pop_front() {
                self.answered(st, front.op, Ok(()), wakers);
            }
        }
    }

    /// An error reply answers the oldest command waiting.
    fn on_error(&mut self, st: &mut State, e: ServerError, wakers: &mut Vec<Waker>) -> Result<()> {
        let Some(front) = self.inflight.pop_front() else {
            return Err(Error::protocol(format!(
                "the server sent an error reply ({e}) when no command was waiting; the connection is dropped to stay in sync"
            )));
        };
        if let OpKind::Restore { family, channels } = &front.op.kind {
            // The server refused to subscribe again (an ACL change, say):
            // those subscriptions are gone.
            for ch in channels {
                st.subs.of_mut(*family).remove(ch);
            }
        }
        let name = front.op.cmd.name();
        self.answered(
            st,
            front.op,
            Err(Error::from_server(e).with_command(name)),
            wakers,
        );
        Ok(())
    }

    /// Finishes a command; after the last restore command, puts the
    /// `Reconnected` notice in the buffer.
    fn answered(&mut self, st: &mut State, op: Op, result: Result<()>, wakers: &mut Vec<Waker>) {
        if matches!(op.kind, OpKind::Restore { .. }) {
            self.restoring = self.restoring.saturating_sub(1);
            if self.restoring == 0 {
                wakers.extend(st.buffer.push(Message::reconnected()));
            }
        }
        op.finish(result);
    }

    fn fail_inflight(&mut self, error: &Error) {
        for i in self.inflight.drain(..) {
            i.op.finish(Err(error.clone()));
        }
    }

    /// After a lost connection, with autoconnect on: (un)subscribe commands
    /// that were sent but not fully confirmed go back to the front of the
    /// queue and are sent again on the next connection (they are idempotent,
    /// and the server forgot every subscription with the connection). A
    /// `PING` fails: it asked about the connection that is gone. Restore
    /// commands are dropped: the next connection restores from the record.
    fn requeue_inflight(&mut self, st: &mut State, error: &Error) {
        for i in self.inflight.drain(..).rev() {
            match i.op.kind {
                OpKind::Change { .. } => st.ops.push_front(i.op),
                OpKind::Ping => i.op.finish(Err(error.clone())),
                OpKind::Restore { .. } => {}
            }
        }
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn unmatched(what: &str, front: Option<&Op>) -> Error {
    let waiting = match front {
        Some(op) => format!("{} was waiting", op.cmd.name()),
        None => "no command was waiting".to_string(),
    };
    Error::protocol(format!(
        "the server sent {what} but {waiting}; the connection is dropped to stay in sync"
    ))
}
