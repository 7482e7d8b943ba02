//! Submitting one command: routing it (own connection or a blocking side
//! connection), and waiting for its reply.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use tokio::time::Sleep;

use std::time::Instant;

use super::cache::Lookup;
use super::routing::{self, Route};
use super::{Client, Handle};
use crate::cmd::Cmd;
use crate::command_info::CommandFlags;
use crate::error::{Error, Result};
use crate::resp::Value;

/// How many idle side connections for blocking commands a client keeps.
const MAX_IDLE_SIDE: usize = 4;

/// A command that was queued, and what its reply needs.
#[derive(Debug)]
pub(crate) struct Submitted {
    rx: oneshot::Receiver<Result<Value>>,
    /// The side connection a blocking command runs on.
    lease: Option<SideLease>,
    /// For blocking commands with a read timeout: the command's own timeout plus the read timeout.
    deadline: Option<Pin<Box<Sleep>>>,
    /// When the command was queued (for the latency histogram).
    started: Instant,
}

impl Submitted {
    /// How long since the command was queued.
    pub(crate) fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Polls for the raw reply (the driver's `Result`, or an error if it went away).
    pub(crate) fn poll_reply(&mut self, cx: &mut Context<'_>) -> Poll<Result<Value>> {
        if let Poll::Ready(r) = Pin::new(&mut self.rx).poll(cx) {
            if let Some(lease) = &mut self.lease {
                lease.done = true;
            }
            return Poll::Ready(r.unwrap_or_else(|_| {
                Err(Error::connection(
                    "the connection's driver stopped before the reply arrived",
                ))
            }));
        }
        if let Some(deadline) = &mut self.deadline {
            if deadline.as_mut().poll(cx).is_ready() {
                self.deadline = None;
                return Poll::Ready(Err(Error::timeout(
                    "a blocking command got no reply within its own timeout plus the read timeout; its connection was closed",
                )));
            }
        }
        Poll::Pending
    }
}

/// A side connection borrowed for one blocking command. Given back when the
/// reply came; closed when the caller gave up (its command may still be
/// blocked on the server, and would hold up the next one).
#[derive(Debug)]
struct SideLease {
    owner: std::sync::Weak<Handle>,
    client: Option<Client>,
    done: bool,
}

impl Drop for SideLease {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if !self.done {
            client.disconnect();
            return;
        }
        if let Some(owner) = self.owner.upgrade() {
            let mut idle = owner.side.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE_SIDE {
                idle.push(client);
            }
        }
    }
}

impl Client {
    /// Validates, routes and queues one command. With `permit_held`, the
    /// caller already holds one of this client's pending-request permits
    /// (it is given back if the command goes elsewhere or is refused).
    pub(crate) fn submit(&self, cmd: &Cmd, permit_held: bool) -> Result<Submitted> {
        // One spec lookup serves routing, the state flag and the cache.
        let info = routing::info_of(cmd);
        let routed = cmd
            .validate()
            .and_then(|()| routing::route_with(info, cmd, self.shared().exclusive));
        let route = match routed {
            Ok(r) => r,
            Err(e) => {
                if permit_held {
                    self.permits().add_permits(1);
                }
                return Err(e);
            }
        };
        let shared = self.shared();
        match route {
            Route::Direct => {
                if shared.exclusive
                    && info.is_some_and(|i| i.flags.contains(CommandFlags::CONNECTION_STATE))
                {
                    shared.state_changed.store(true, Ordering::Relaxed);
                }
                let ticket = match &shared.cache {
                    None => None,
                    Some(cache) => match cache.lookup_with(cmd, info) {
                        Lookup::Hit(value) => return Ok(self.answered(value, permit_held)),
                        Lookup::Miss(ticket) => Some(ticket),
                        Lookup::Uncacheable => None,
                    },
                };
                Ok(Submitted {
                    rx: self.enqueue_cached(cmd, permit_held, ticket)?,
                    lease: None,
                    deadline: None,
                    started: Instant::now(),
                })
            }
            Route::Blocking(timeout) => {
                if permit_held {
                    // The side connection counts its own requests.
                    self.permits().add_permits(1);
                }
                let side = self.take_side()?;
                let rx = side.enqueue(cmd, false)?;
                let deadline = match (shared.config.read_timeout, timeout) {
                    (Some(read), Some(own)) => Some(Box::pin(tokio::time::sleep(own + read))),
                    _ => None,
                };
                let lease = SideLease {
                    owner: std::sync::Arc::downgrade(&self.handle),
                    client: Some(side),
                    done: false,
                };
                Ok(Submitted {
                    rx,
                    lease: Some(lease),
                    deadline,
                    started: Instant::now(),
                })
            }
        }
    }

    /// A request answered from the client-side cache: nothing is sent, and
    /// the caller's permit is given back at once.
    fn answered(&self, value: Value, permit_held: bool) -> Submitted {
        if permit_held {
            self.permits().add_permits(1);
        }
        let (tx, rx) = oneshot::channel();
        // The receiver is held right here, so the send cannot fail.
        let _ = tx.send(Ok(value));
        Submitted {
            rx,
            lease: None,
            deadline: None,
            started: Instant::now(),
        }
    }

    /// An idle side connection, or a new one (same settings, no read timeout:
    /// the blocking command's own timeout bounds the wait).
    fn take_side(&self) -> Result<Client> {
        let idle = self
            .handle
            .side
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        if let Some(c) = idle {
            return Ok(c);
        }
        let mut config = self.config().clone();
        config.read_timeout = None;
        self.sibling(config, true)
    }
}
