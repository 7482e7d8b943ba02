//! The state shared between [`PubSubClient`](super::PubSubClient) handles and
//! the driver task: the queue of commands, the message buffer, the record of
//! subscriptions and the life cycle of the connection, under one short lock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{oneshot, Notify};

use super::buffer::Buffer;
use super::frame::Family;
use super::subscriptions::Subscriptions;
use crate::client::AddrResolver;
use crate::cmd::Cmd;
use crate::config::Config;
use crate::error::{Error, Result};

/// What a queued command does, and so which replies answer it.
#[derive(Debug)]
pub(crate) enum OpKind {
    /// A user's (un)subscribe: `count` confirmations expected, or, for an
    /// unsubscribe with no arguments (`count == 0`), one per subscription of
    /// the family at the time the server runs it (at least one).
    Change {
        family: Family,
        subscribe: bool,
        count: usize,
    },
    /// The driver re-subscribing `channels` after a reconnect.
    Restore {
        family: Family,
        channels: Vec<Bytes>,
    },
    /// `PING`.
    Ping,
}

/// A command waiting to be sent, and who waits for its outcome.
#[derive(Debug)]
pub(crate) struct Op {
    pub(crate) kind: OpKind,
    pub(crate) cmd: Cmd,
    /// `None` for the driver's own commands.
    pub(crate) tx: Option<oneshot::Sender<Result<()>>>,
    /// When the caller queued it: it fails once it has waited for a
    /// connection longer than `reconnect_wait`.
    pub(crate) queued_at: Instant,
}

impl Op {
    pub(crate) fn new(kind: OpKind, cmd: Cmd, tx: Option<oneshot::Sender<Result<()>>>) -> Self {
        Op {
            kind,
            cmd,
            tx,
            queued_at: Instant::now(),
        }
    }

    /// Answers the caller (who may have gone away: then nothing happens).
    pub(crate) fn finish(mut self, result: Result<()>) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(result);
        }
    }
}

pub(crate) use crate::lifecycle::Link;
use crate::lifecycle::{Endpoint, Waiters};

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) link: Link,
    /// Commands not yet taken by the driver, in call order.
    pub(crate) ops: VecDeque<Op>,
    pub(crate) buffer: Buffer,
    /// What the server confirmed: restored after a reconnect.
    pub(crate) subs: Subscriptions,
    /// `disconnect()` asked the driver to close now.
    pub(crate) close_now: bool,
    /// Every handle was dropped: the driver stops.
    pub(crate) handles_gone: bool,
    /// Callers of `connect()` waiting for the outcome of the next attempt.
    pub(crate) connect_waiters: Waiters,
    /// The server this connection reached was replaced (a Sentinel
    /// failover): reconnect through the resolver and subscribe again.
    pub(crate) bounce: bool,
    /// Bumped on every successful connect.
    pub(crate) connects: u64,
    /// Idle time after which the driver sends `PING` (`None`: never).
    pub(crate) ping_interval: Option<std::time::Duration>,
}

impl State {
    /// Fails every queued command with `error`.
    pub(crate) fn fail_ops(&mut self, error: &Error) {
        for op in self.ops.drain(..) {
            op.finish(Err(error.clone()));
        }
    }

    /// Ends the driver's life: nothing runs until the next command or
    /// `connect()`. `error` is what consumers get once the buffer is empty,
    /// when no new connection is coming by itself.
    #[must_use]
    pub(crate) fn go_idle(&mut self, error: Option<Error>) -> Vec<Waker> {
        self.link = Link::Idle;
        self.close_now = false;
        match error {
            Some(e) => self.buffer.close(e),
            None => Vec::new(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// Where connection events go (a cluster's, or this client's own).
    pub(crate) events: crate::events::Hub,
    /// Where to connect, when it can change between connections (Sentinel).
    pub(crate) resolver: Option<Arc<dyn AddrResolver>>,
    /// The node the current connection reached, for spans and metrics.
    pub(crate) peer: crate::observe::Peer,
    state: Mutex<State>,
    /// Wakes the driver: a command was queued, `disconnect()` was called, or
    /// the last handle was dropped. A notification sent while the driver is
    /// busy is kept for its next wait, so none is lost.
    pub(crate) wake_driver: Notify,
}

impl Shared {
    pub(crate) fn new(
        mut config: Config,
        capacity: usize,
        resolver: Option<Arc<dyn AddrResolver>>,
    ) -> Self {
        let events = config.events.take().unwrap_or_default();
        let mut buffer = Buffer::new(capacity);
        if !config.autoconnect {
            // Waiting for messages on a client that will never connect by
            // itself would wait forever: say so instead.
            let _ = buffer.close(not_connected());
        }
        Shared {
            config,
            events,
            resolver,
            peer: Default::default(),
            state: Mutex::new(State {
                link: Link::Idle,
                ops: VecDeque::new(),
                buffer,
                subs: Subscriptions::default(),
                close_now: false,
                handles_gone: false,
                connect_waiters: Waiters::default(),
                bounce: false,
                connects: 0,
                ping_interval: Some(super::options::DEFAULT_PING_INTERVAL),
            }),
            wake_driver: Notify::new(),
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

    /// Locks the state. A poisoned lock (a panic while holding it, which the
    /// code under the lock never does) is recovered rather than propagated.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Moves a [`PubSubClient`](super::PubSubClient) to a new connection when the
/// server it reached was replaced (a Sentinel `+switch-master`), keeping its
/// subscriptions: they are restored on the new connection, followed by a
/// `Reconnected` notice.
#[derive(Debug, Clone)]
pub(crate) struct Follower(pub(crate) std::sync::Weak<Shared>);

impl Follower {
    /// Asks for a new connection; false once the client is gone.
    pub(crate) fn bounce(&self) -> bool {
        let Some(shared) = self.0.upgrade() else {
            return false;
        };
        {
            let mut st = shared.lock();
            if st.handles_gone {
                return false;
            }
            if st.link == Link::Connected {
                st.bounce = true;
            }
        }
        shared.wake_driver.notify_one();
        true
    }
}

/// The error of a command or a wait on a client that is not connected and
/// will not connect by itself.
pub(crate) fn not_connected() -> Error {
    Error::connection(
        "the pub/sub client is not connected and autoconnect is off; call connect() first or enable autoconnect",
    )
}

/// Wakes consumers (outside the lock).
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}
