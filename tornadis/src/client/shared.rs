//! The state shared between [`Client`](crate::Client) handles and the driver task.
//!
//! Callers append their encoded request to `out` and push a reply slot, under
//! one short lock, so the order of bytes and the order of slots always agree
//! (invariant 1 and 2 of DESIGN.md). The driver takes everything queued in one
//! swap and writes it in one go.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use bytes::BytesMut;
use tokio::sync::oneshot;

use super::permit::{Permit, Permits};
use crate::cmd::Cmd;
use crate::command_info::StateChange;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::resp::Value;

/// Where a reply goes. Kept small (what only pipelines, blocking commands
/// and transaction ends need is boxed): every request's slot is moved into
/// the queue, to the driver's in-flight list and out again.
#[derive(Debug)]
pub(crate) struct Slot {
    /// `None` when nobody waits for the reply (fire and forget): it is read and dropped.
    pub(crate) tx: Option<oneshot::Sender<Result<Value>>>,
    /// For a pipeline (even of one command): its replies, collected into an array.
    collect: Option<Box<Collect>>,
    /// For a cacheable command sent with the client cache on: stores its reply.
    pub(crate) cache: Option<Box<super::cache::Ticket>>,
    /// What a blocking command or a transaction's end needs.
    rare: Option<Box<Rare>>,
    /// The request's place among the pending requests: given back when the
    /// slot goes, whether answered, failed or dropped with its driver.
    _permit: Permit,
}

/// The replies of a pipeline, collected until all have come.
#[derive(Debug)]
struct Collect {
    /// How many replies make up the request.
    replies: usize,
    acc: Vec<Value>,
}

#[derive(Debug, Default)]
struct Rare {
    /// For a blocking command on a dedicated connection: counted while it waits.
    blocking: Option<BlockingMark>,
    /// For a command that ends a transaction (EXEC, DISCARD, UNWATCH, an
    /// atomic pipeline): its answer clears the connection's transaction state.
    ends: Option<StateEnd>,
}

/// The connection-state changes recorded on a dedicated connection: the
/// [`StateChange`] bits (low byte) and a count of the changes so far (the
/// rest), so that the answer of a command that ends a transaction clears it
/// only if no state change was sent after that command.
#[derive(Debug, Default)]
pub(crate) struct StateCell(AtomicU64);

const STATE_BITS: u64 = 0xff;
const STATE_STEP: u64 = 0x100;

impl StateCell {
    fn update(&self, f: impl Fn(u64) -> Option<u64>) -> u64 {
        match self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, f) {
            Ok(old) | Err(old) => old,
        }
    }

    /// Records a change.
    pub(crate) fn mark(&self, bit: u8) {
        self.update(|w| Some((w | u64::from(bit)).wrapping_add(STATE_STEP)));
    }

    /// The bits recorded so far.
    pub(crate) fn bits(&self) -> u8 {
        (self.0.load(Ordering::Acquire) & STATE_BITS) as u8
    }

    /// Clears every bit (a new connection, or the state undone); returns them.
    pub(crate) fn take(&self) -> u8 {
        (self.update(|w| Some((w & !STATE_BITS).wrapping_add(STATE_STEP))) & STATE_BITS) as u8
    }

    /// A note to clear `bit` once a command sent now is answered.
    pub(crate) fn end(self: &Arc<Self>, bit: u8) -> StateEnd {
        StateEnd {
            cell: self.clone(),
            seq: self.0.load(Ordering::Acquire) >> 8,
            bit,
        }
    }
}

/// Clears a state bit when the command that ends it is answered, unless a
/// state change was sent after it.
#[derive(Debug)]
pub(crate) struct StateEnd {
    cell: Arc<StateCell>,
    seq: u64,
    bit: u8,
}

impl StateEnd {
    /// Applies the end if `reply` says the command ran (not an error, not `QUEUED`).
    fn answered(self, reply: &Value) {
        let ran = match reply {
            Value::Error(_) => false,
            Value::SimpleString(s) => !s.eq_ignore_ascii_case(b"QUEUED"),
            _ => true,
        };
        if ran {
            let (seq, bit) = (self.seq, u64::from(self.bit));
            self.cell.update(|w| (w >> 8 == seq).then_some(w & !bit));
        }
    }
}

/// One blocking command in flight on a dedicated connection; uncounted when
/// its slot goes (answered or failed).
#[derive(Debug)]
pub(crate) struct BlockingMark {
    count: Arc<AtomicUsize>,
    /// How long the server may hold the command (`None`: maybe forever):
    /// the read timeout waits that much longer for its reply.
    pub(crate) wait: Option<std::time::Duration>,
}

impl BlockingMark {
    pub(crate) fn new(count: &Arc<AtomicUsize>, wait: Option<std::time::Duration>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        BlockingMark {
            count: count.clone(),
            wait,
        }
    }
}

impl Drop for BlockingMark {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Slot {
    /// A slot for one command's reply, holding the request's `permit`.
    pub(crate) fn single(permit: Permit, tx: Option<oneshot::Sender<Result<Value>>>) -> Self {
        Slot {
            _permit: permit,
            tx,
            collect: None,
            cache: None,
            rare: None,
        }
    }

    /// A slot collecting the `replies` replies of a pipeline into one array.
    pub(crate) fn collect(
        permit: Permit,
        tx: oneshot::Sender<Result<Value>>,
        replies: usize,
    ) -> Self {
        Slot {
            collect: Some(Box::new(Collect {
                replies,
                acc: Vec::new(),
            })),
            ..Slot::single(permit, Some(tx))
        }
    }

    /// Counts the request as a blocking command in flight until its slot goes.
    pub(crate) fn set_blocking(&mut self, mark: BlockingMark) {
        self.rare.get_or_insert_with(Default::default).blocking = Some(mark);
    }

    /// Clears the transaction state when the request is answered (see [`StateEnd`]).
    pub(crate) fn set_end(&mut self, end: StateEnd) {
        self.rare.get_or_insert_with(Default::default).ends = Some(end);
    }

    /// The mark of a blocking command in flight, if this is one.
    pub(crate) fn blocking(&self) -> Option<&BlockingMark> {
        self.rare.as_ref().and_then(|r| r.blocking.as_ref())
    }

    fn take_end(&mut self) -> Option<StateEnd> {
        self.rare.as_mut().and_then(|r| r.ends.take())
    }

    /// Feeds one reply; returns true when the slot is complete (and answered).
    pub(crate) fn feed(&mut self, value: Value) -> bool {
        let Some(collect) = &mut self.collect else {
            if let Some(end) = self.take_end() {
                end.answered(&value);
            }
            if let Some(ticket) = self.cache.take() {
                (*ticket).store(&value);
            }
            if let Some(tx) = self.tx.take() {
                // The caller may have gone away (cancelled): the reply is dropped.
                let _ = tx.send(Ok(value));
            }
            return true;
        };
        if collect.acc.capacity() == 0 {
            collect.acc.reserve_exact(collect.replies);
        }
        collect.acc.push(value);
        if collect.acc.len() < collect.replies {
            return false;
        }
        let acc = std::mem::take(&mut collect.acc);
        if let (Some(end), Some(last)) = (self.take_end(), acc.last()) {
            // An atomic pipeline: EXEC's answer ends the transaction.
            end.answered(last);
        }
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Ok(Value::Array(acc)));
        }
        true
    }

    /// The request's place, once its slot is done with (answered).
    pub(crate) fn into_permit(self) -> Permit {
        self._permit
    }

    pub(crate) fn fail(mut self, error: Error) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(error));
        }
    }
}

pub(crate) use crate::lifecycle::Link;
use crate::lifecycle::{Endpoint, Waiters};

#[derive(Debug)]
pub(crate) struct State {
    /// Encoded requests not yet taken by the driver.
    pub(crate) out: BytesMut,
    /// Reply slots for the requests in `out`, in the same order.
    pub(crate) slots: VecDeque<Slot>,
    pub(crate) link: Link,
    /// The driver's waker, set while it waits for work.
    pub(crate) driver_waker: Option<Waker>,
    /// `disconnect()` asked the driver to close now.
    pub(crate) close_now: bool,
    /// Every handle was dropped: finish what is queued, then stop.
    pub(crate) handles_gone: bool,
    /// Callers of `connect()` waiting for the outcome of the next attempt.
    pub(crate) connect_waiters: Waiters,
    /// Bumped on every successful connect (lets tests and users see reconnects).
    pub(crate) connects: u64,
    /// The connection of this dedicated client was lost while it held state:
    /// requests are refused until `reset_connection()`.
    pub(crate) state_lost: bool,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// A dedicated connection (one user at a time): connection-state commands are allowed.
    pub(crate) exclusive: bool,
    /// The kinds of connection state ([`StateChange`] bits) that commands
    /// sent on this dedicated connection changed.
    pub(crate) conn_state: Arc<StateCell>,
    /// Blocking commands in flight on this dedicated connection.
    pub(crate) blocking: Arc<AtomicUsize>,
    /// Where to connect, when it can change between connections.
    pub(crate) resolver: Option<std::sync::Arc<dyn super::resolve::AddrResolver>>,
    /// Requests, errors, connections and latencies so far.
    pub(crate) counters: super::stats::Counters,
    /// One permit per request queued or awaiting its reply (backpressure).
    pub(crate) permits: Permits,
    /// The client-side cache, when the config asks for one.
    pub(crate) cache: Option<std::sync::Arc<super::cache::Cache>>,
    /// Where connection events go (a pool's or cluster's, or this client's own).
    pub(crate) events: crate::events::Hub,
    /// The node the current connection reached, for spans and metrics.
    pub(crate) peer: crate::observe::Peer,
    /// The server's kind and version from the last handshake
    /// ([`ServerInfo::pack`](crate::command_info::ServerInfo); 0: not known yet).
    pub(crate) server: std::sync::atomic::AtomicU64,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(mut config: Config, exclusive: bool) -> Self {
        let events = config.events.take().unwrap_or_default();
        let out = BytesMut::with_capacity(config.write_buffer_size);
        let permits = Permits::new(config.max_pending);
        let cache = config
            .client_cache
            .clone()
            .map(|c| std::sync::Arc::new(super::cache::Cache::new(c)));
        Shared {
            cache,
            events,
            config,
            exclusive,
            resolver: None,
            counters: Default::default(),
            peer: Default::default(),
            conn_state: Arc::new(StateCell::default()),
            blocking: Arc::new(AtomicUsize::new(0)),
            permits,
            server: std::sync::atomic::AtomicU64::new(0),
            state: Mutex::new(State {
                out,
                slots: VecDeque::new(),
                link: Link::Idle,
                driver_waker: None,
                close_now: false,
                handles_gone: false,
                connect_waiters: Waiters::default(),
                connects: 0,
                state_lost: false,
            }),
        }
    }

    /// Where the driver connects and whom it tells.
    pub(crate) fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            config: &self.config,
            resolver: self.resolver.as_ref(),
            events: &self.events,
            peer: &self.peer,
        }
    }

    /// Records that a command changed the connection's state.
    pub(crate) fn mark_state(&self, change: StateChange) {
        let bit = state_bit(change);
        if bit != 0 {
            self.conn_state.mark(bit);
        }
    }

    /// The state changes recorded so far, cleared (the caller undoes them or
    /// replaces the connection).
    pub(crate) fn take_state(&self) -> u8 {
        self.conn_state.take()
    }

    /// A note for the slot of a command that ends a transaction.
    pub(crate) fn transaction_end(&self) -> StateEnd {
        self.conn_state.end(state_bit(StateChange::Transaction))
    }

    /// Called by the driver, under the lock, when the connection ended by
    /// failure: if it held state, the client refuses requests until
    /// `reset_connection()`, and what is queued fails with the returned error
    /// instead of running on a new connection without that state.
    pub(crate) fn connection_lost(&self, st: &mut State) -> Option<Error> {
        if !self.exclusive || self.conn_state.bits() == 0 {
            return None;
        }
        st.state_lost = true;
        Some(state_lost_error())
    }

    /// Locks the state. A poisoned lock (a panic while holding it, which the
    /// code under the lock never does) is recovered rather than propagated.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What `enqueue` decided the caller must do after releasing the lock.
pub(crate) enum Wake {
    Nothing,
    Driver(Waker),
    Spawn,
}

/// The bit of a [`StateChange`] in [`Shared::state`].
pub(crate) fn state_bit(change: StateChange) -> u8 {
    match change {
        StateChange::Transaction => 1,
        StateChange::Database => 2,
        StateChange::Session => 4,
        // Ends state rather than making any (see `StateEnd`).
        StateChange::TransactionEnd => 0,
    }
}

fn state_lost_error() -> Error {
    Error::state_lost(
        "the connection holding this client's state (a transaction, WATCH, db selection or other \
         connection setting) was lost; nothing was sent. Call reset_connection() to go on from a \
         fresh connection, then set that state up again",
    )
}

fn not_connected() -> Error {
    Error::connection(
        "not connected and autoconnect is off; call connect() first or enable autoconnect",
    )
    .not_sent()
}

impl State {
    /// Refuses a request of `len` bytes when the bytes queued and not yet
    /// written would pass `max_pending_bytes` (one request alone always fits).
    fn check_room(&self, config: &Config, len: usize) -> Result<()> {
        let queued = self.out.len();
        if queued == 0 || queued.saturating_add(len) <= config.max_pending_bytes {
            return Ok(());
        }
        Err(Error::client(format!(
            "{queued} bytes of requests are already queued and not yet written (the server reads \
             slower than requests come, or not at all); nothing was sent. Retry later or raise \
             max_pending_bytes ({})",
            config.max_pending_bytes
        )))
    }

    /// Queues an encoded command and its slot. Returns what to do once the lock is released.
    pub(crate) fn push(&mut self, config: &Config, cmd: &Cmd, slot: Slot) -> Result<Wake> {
        if self.state_lost {
            return Err(state_lost_error());
        }
        if self.link.is_down() && !config.autoconnect {
            return Err(not_connected());
        }
        self.check_room(config, cmd.encoded_len())?;
        cmd.write_to(&mut self.out);
        self.slots.push_back(slot);
        Ok(self.wake_driver())
    }

    /// Queues already-encoded requests (a pipeline, given in pieces that go
    /// out back to back) and its slot: the pieces are copied once, into the
    /// write buffer.
    pub(crate) fn push_encoded(
        &mut self,
        config: &Config,
        pieces: &[&[u8]],
        slot: Slot,
    ) -> Result<Wake> {
        if self.state_lost {
            return Err(state_lost_error());
        }
        if self.link.is_down() && !config.autoconnect {
            return Err(not_connected());
        }
        let len = pieces.iter().map(|p| p.len()).sum();
        self.check_room(config, len)?;
        self.out.reserve(len);
        for piece in pieces {
            self.out.extend_from_slice(piece);
        }
        self.slots.push_back(slot);
        Ok(self.wake_driver())
    }

    /// Makes sure a driver is running and will look at the queue.
    pub(crate) fn wake_driver(&mut self) -> Wake {
        if self.link == Link::Idle {
            self.link = Link::Connecting;
            self.close_now = false;
            return Wake::Spawn;
        }
        match self.driver_waker.take() {
            Some(w) => Wake::Driver(w),
            None => Wake::Nothing,
        }
    }
}
