//! Submitting one command: routing it (own connection or a blocking side
//! connection), and waiting for its reply.
//!
//! Side connections for blocking commands are bounded by
//! [`max_blocking_connections`](crate::ConfigBuilder::max_blocking_connections):
//! a blocking command that finds them all in use waits for one to come back
//! (it is a wait for data anyway), and its own timeout starts once it is sent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use std::time::{Duration, Instant};

use super::cache::Lookup;
use super::permit::Permit;
use super::routing::{self, Route};
use super::shared::{BlockingMark, Slot};
use super::{Client, Handle};
use crate::cmd::Cmd;
use crate::command_info::StateChange;
use crate::error::{Error, Result};
use crate::resp::Value;

/// How many idle side connections for blocking commands a client keeps.
const MAX_IDLE_SIDE: usize = 4;

/// A wait for a free side connection.
type SideWait =
    Pin<Box<dyn Future<Output = std::result::Result<OwnedSemaphorePermit, Error>> + Send>>;

/// A blocking command waiting for a side connection.
struct Queued {
    client: Client,
    cmd: Cmd,
    timeout: Option<Duration>,
    wait: SideWait,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").field("cmd", &self.cmd).finish()
    }
}

/// A command that was queued, and what its reply needs.
#[derive(Debug)]
pub(crate) struct Submitted {
    /// `None` while a blocking command waits for a side connection.
    rx: Option<oneshot::Receiver<Result<Value>>>,
    queued: Option<Box<Queued>>,
    /// The side connection a blocking command runs on (boxed: most requests
    /// have none, and a small request is cheaper to move).
    lease: Option<Box<SideLease>>,
    /// For blocking commands with a read timeout: the command's own timeout plus the read timeout.
    deadline: Option<Pin<Box<Sleep>>>,
    /// When the command was queued (for the latency histogram).
    started: Instant,
}

impl Submitted {
    fn sent(rx: oneshot::Receiver<Result<Value>>) -> Self {
        Submitted {
            rx: Some(rx),
            queued: None,
            lease: None,
            deadline: None,
            started: Instant::now(),
        }
    }

    /// A request answered from the client-side cache: nothing is sent.
    fn answered(value: Value) -> Self {
        let (tx, rx) = oneshot::channel();
        // The receiver is held right here, so the send cannot fail.
        let _ = tx.send(Ok(value));
        Submitted::sent(rx)
    }

    /// The client whose connection carries the command: a side connection
    /// for a blocking command, else `client` itself.
    pub(crate) fn carrier<'a>(&'a self, client: &'a Client) -> &'a Client {
        self.lease
            .as_ref()
            .and_then(|l| l.client.as_ref())
            .unwrap_or(client)
    }

    /// How long since the command was queued.
    pub(crate) fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Polls for the raw reply (the driver's `Result`, or an error if it went away).
    pub(crate) fn poll_reply(&mut self, cx: &mut Context<'_>) -> Poll<Result<Value>> {
        if let Some(mut queued) = self.queued.take() {
            let permit = match queued.wait.as_mut().poll(cx) {
                Poll::Pending => {
                    self.queued = Some(queued);
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(p)) => p,
            };
            match queued
                .client
                .send_on_side(&queued.cmd, queued.timeout, permit)
            {
                Ok(sent) => {
                    self.rx = sent.rx;
                    self.lease = sent.lease;
                    self.deadline = sent.deadline;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let Some(rx) = &mut self.rx else {
            return Poll::Ready(Err(Error::client("the request has no reply to wait for")));
        };
        if let Poll::Ready(r) = Pin::new(rx).poll(cx) {
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
    /// This command's place among the client's side connections.
    _permit: OwnedSemaphorePermit,
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
    /// The node this client's connection reached, for spans and metrics.
    pub(crate) fn peer(&self) -> &crate::observe::Peer {
        &self.shared().peer
    }

    /// Validates, routes and queues one command, holding `permit`, one of
    /// this client's pending-request permits (it goes with the request, or
    /// is dropped when the command goes elsewhere or is refused).
    pub(crate) fn submit(&self, cmd: &Cmd, permit: Permit) -> Result<Submitted> {
        // One spec lookup serves routing, the state flag and the cache.
        let info = routing::info_of(cmd);
        let shared = self.shared();
        let route = cmd
            .validate()
            .and_then(|()| routing::route_with(info, cmd, shared.exclusive))?;
        self.submit_routed(cmd, info, route, permit)
    }

    /// [`submit`](Client::submit) for a command already validated, looked
    /// up (`info`) and routed for a connection of this kind: a cluster
    /// client does that once per command and hands the command on to a
    /// node's connection without doing it again.
    pub(crate) fn submit_routed(
        &self,
        cmd: &Cmd,
        info: Option<&'static crate::command_info::CommandInfo>,
        route: Route,
        permit: Permit,
    ) -> Result<Submitted> {
        let shared = self.shared();
        match route {
            Route::Side { timeout } if !shared.exclusive => {
                // The side connection counts its own requests.
                drop(permit);
                self.send_blocking(cmd, timeout)
            }
            // `route_with` refused it already; kept for completeness.
            Route::Never(e) => Err(e),
            Route::Dedicated(StateChange::TransactionEnd) => {
                // Its answer clears the transaction state (unless a state
                // change was sent after it).
                let mut slot = Slot::single(permit, None);
                slot.set_end(shared.transaction_end());
                Ok(Submitted::sent(self.enqueue_slot(cmd, slot)?))
            }
            Route::Dedicated(change) => {
                // Recorded before it can be sent: a connection lost from here
                // on counts as losing this state.
                shared.mark_state(change);
                Ok(Submitted::sent(self.enqueue(cmd, permit)?))
            }
            route @ (Route::Own { .. } | Route::Side { .. }) => {
                // On a dedicated connection: it blocks its one user only, and
                // is counted so that the connection is not reused meanwhile.
                let mut slot = Slot::single(permit, None);
                slot.set_blocking(BlockingMark::new(&shared.blocking, route.wait()));
                Ok(Submitted::sent(self.enqueue_slot(cmd, slot)?))
            }
            Route::Any => {
                let mut slot = Slot::single(permit, None);
                if let Some(cache) = &shared.cache {
                    match cache.lookup_with(cmd, info) {
                        // Nothing is sent: the permit goes back at once.
                        Lookup::Hit(value) => return Ok(Submitted::answered(value)),
                        Lookup::Miss(ticket) => slot.cache = Some(Box::new(ticket)),
                        Lookup::Uncacheable => {}
                    }
                }
                Ok(Submitted::sent(self.enqueue_slot(cmd, slot)?))
            }
        }
    }

    /// A blocking command from a shared client: on a side connection when
    /// one is free, else queued until one is.
    fn send_blocking(&self, cmd: &Cmd, timeout: Option<Duration>) -> Result<Submitted> {
        let permits: Arc<Semaphore> = self.handle.side_permits.clone();
        if let Ok(permit) = permits.clone().try_acquire_owned() {
            return self.send_on_side(cmd, timeout, permit);
        }
        let wait: SideWait = Box::pin(async move {
            permits
                .acquire_owned()
                .await
                .map_err(|_| Error::client("the client is shutting down"))
        });
        Ok(Submitted {
            rx: None,
            queued: Some(Box::new(Queued {
                client: self.clone(),
                cmd: cmd.clone(),
                timeout,
                wait,
            })),
            lease: None,
            deadline: None,
            started: Instant::now(),
        })
    }

    /// Sends a blocking command on a side connection, holding `permit` (its
    /// place among the side connections) until the reply or the give-up.
    fn send_on_side(
        &self,
        cmd: &Cmd,
        timeout: Option<Duration>,
        permit: OwnedSemaphorePermit,
    ) -> Result<Submitted> {
        let side = self.take_side()?;
        let rx = side.enqueue(cmd, side.try_permit()?)?;
        let deadline = match (self.shared().config.read_timeout, timeout) {
            (Some(read), Some(own)) => own
                .checked_add(read)
                .map(|d| Box::pin(tokio::time::sleep(d))),
            _ => None,
        };
        let lease = SideLease {
            owner: Arc::downgrade(&self.handle),
            client: Some(side),
            done: false,
            _permit: permit,
        };
        Ok(Submitted {
            rx: Some(rx),
            queued: None,
            lease: Some(Box::new(lease)),
            deadline,
            started: Instant::now(),
        })
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

/// The bookkeeping every request shares, whatever way it entered.
impl Client {
    /// Records one request that finished after `elapsed`.
    pub(crate) fn record(
        &self,
        elapsed: std::time::Duration,
        error: Option<crate::error::ErrorKind>,
    ) {
        self.shared().counters.record(elapsed, error);
    }

    /// Records the commands of a pipeline that finished after `elapsed`.
    pub(crate) fn record_batch(
        &self,
        elapsed: std::time::Duration,
        outcomes: impl ExactSizeIterator<Item = Option<crate::error::ErrorKind>>,
    ) {
        self.shared().counters.record_batch(elapsed, outcomes);
    }

    /// Drops this client's cached copies of the keys a write names (a
    /// pipelined write, noted before it is sent like a single one).
    pub(crate) fn note_write(&self, info: &crate::command_info::CommandInfo, cmd: &Cmd) {
        if let Some(cache) = &self.shared().cache {
            cache.note_write(info, cmd);
        }
    }

    /// Whether this client keeps a client-side cache.
    pub(crate) fn has_cache(&self) -> bool {
        self.shared().cache.is_some()
    }
}
