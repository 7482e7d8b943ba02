//! Connection events: [`ConnectionEvent`]s (connected, disconnected with
//! the cause, reconnected, gave up, re-authenticated) and the
//! [`ConnectionEvents`] receiver an application reads them from.
//!
//! Each client (and each pool or cluster, for all its connections) has one
//! hub, a tokio broadcast channel created when the first receiver
//! subscribes: until then an event costs one atomic load. The channel holds
//! [`EVENT_CAPACITY`] events; a receiver that falls further behind loses
//! the oldest ones and gets a [`ConnectionEvent::Missed`] marker with their
//! number instead, so a slow listener never makes memory grow and never
//! loses events without knowing.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tokio::sync::broadcast;
use tokio_util::sync::ReusableBoxFuture;

use crate::config::ServerAddr;
use crate::error::Error;

/// How many events a receiver may fall behind before the oldest are
/// replaced by a [`ConnectionEvent::Missed`] marker.
pub const EVENT_CAPACITY: usize = 64;

/// Something that happened to a connection.
///
/// `addr` is the server of that connection: for a pool or a cluster, whose
/// receiver sees all their connections, it tells them apart; with a
/// resolver (sentinel) it is the address resolved for that connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// The first connection of a client opened (handshake done).
    #[non_exhaustive]
    Connected {
        /// The server connected to.
        addr: ServerAddr,
    },
    /// A connection closed.
    #[non_exhaustive]
    Disconnected {
        /// The server of the connection.
        addr: ServerAddr,
        /// Why it closed.
        cause: DisconnectCause,
    },
    /// A connection opened again after an earlier one closed (on its own,
    /// or on the next request: a client with nothing to send reconnects
    /// lazily). A pub/sub client subscribes again after this; its message
    /// stream's `Reconnected` notice says when that is done.
    #[non_exhaustive]
    Reconnected {
        /// The server connected to.
        addr: ServerAddr,
    },
    /// The client stopped trying to connect: the requests waiting got
    /// `error`. With `autoconnect` on, the next request tries again.
    #[non_exhaustive]
    GaveUp {
        /// The server it tried (with a resolver: the configured address).
        addr: ServerAddr,
        /// The error of the last attempt.
        error: Error,
    },
    /// A live connection sent `AUTH` with refreshed credentials and the
    /// server accepted them (see [`Credentials::refresh_after`](crate::Credentials::refresh_after)).
    #[non_exhaustive]
    Reauthenticated {
        /// The server of the connection.
        addr: ServerAddr,
    },
    /// Refreshing the credentials of a live connection failed (the provider
    /// failed, or the server refused them). The connection stays open,
    /// authenticated as before; the refresh is tried again shortly.
    #[non_exhaustive]
    ReauthFailed {
        /// The server of the connection.
        addr: ServerAddr,
        /// What failed.
        error: Error,
    },
    /// This receiver fell more than [`EVENT_CAPACITY`] events behind:
    /// `count` events before the next one were dropped for it.
    #[non_exhaustive]
    Missed {
        /// How many events were lost.
        count: u64,
    },
}

/// Why a connection closed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DisconnectCause {
    /// `disconnect()` was called.
    Requested,
    /// Every handle of the client was dropped.
    Dropped,
    /// The connection failed (the server closed it, a read or write
    /// failed, the read timeout passed, ...): the error every request in
    /// flight got.
    Lost(Error),
}

/// One client's events, made when the first receiver subscribes; clones
/// share it.
#[derive(Clone, Default)]
pub(crate) struct Hub(Arc<OnceLock<broadcast::Sender<ConnectionEvent>>>);

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let receivers = self.0.get().map_or(0, broadcast::Sender::receiver_count);
        f.debug_struct("Hub")
            .field("receivers", &receivers)
            .finish()
    }
}

impl Hub {
    /// Sends the event `make` builds, if anyone listens.
    pub(crate) fn emit(&self, make: impl FnOnce() -> ConnectionEvent) {
        if let Some(tx) = self.0.get() {
            if tx.receiver_count() > 0 {
                // Only fails when every receiver went away meanwhile.
                let _ = tx.send(make());
            }
        }
    }

    /// A receiver of the events from now on.
    pub(crate) fn subscribe(&self) -> ConnectionEvents {
        let tx = self.0.get_or_init(|| broadcast::channel(EVENT_CAPACITY).0);
        ConnectionEvents::new(tx.subscribe())
    }

    /// The event for a connection that just opened: the first, or again.
    pub(crate) fn opened(&self, addr: &ServerAddr, first: bool) {
        self.emit(|| match first {
            true => ConnectionEvent::Connected { addr: addr.clone() },
            false => ConnectionEvent::Reconnected { addr: addr.clone() },
        });
    }

    /// The event for a connection that closed.
    pub(crate) fn closed(&self, addr: &ServerAddr, cause: impl FnOnce() -> DisconnectCause) {
        self.emit(|| ConnectionEvent::Disconnected {
            addr: addr.clone(),
            cause: cause(),
        });
    }

    /// The event for a client that stopped trying to connect.
    pub(crate) fn gave_up(&self, addr: &ServerAddr, error: &Error) {
        self.emit(|| ConnectionEvent::GaveUp {
            addr: addr.clone(),
            error: error.clone(),
        });
    }
}

/// The cause of a session's end: `Requested` when `closed` says the end was
/// `disconnect()`, else `Dropped`; `Lost` for an error.
pub(crate) fn cause<E>(end: &Result<E, Error>, closed: impl Fn(&E) -> bool) -> DisconnectCause {
    match end {
        Ok(e) if closed(e) => DisconnectCause::Requested,
        Ok(_) => DisconnectCause::Dropped,
        Err(error) => DisconnectCause::Lost(error.clone()),
    }
}

type Next = (
    Result<ConnectionEvent, broadcast::error::RecvError>,
    broadcast::Receiver<ConnectionEvent>,
);

async fn next(mut rx: broadcast::Receiver<ConnectionEvent>) -> Next {
    let event = rx.recv().await;
    (event, rx)
}

/// A receiver of [`ConnectionEvent`]s, from the moment it was made: read
/// them with [`recv`](Self::recv) or as a [`Stream`](futures_core::Stream).
///
/// Each receiver sees every event (a broadcast); one that falls more than
/// [`EVENT_CAPACITY`] events behind gets [`ConnectionEvent::Missed`] in
/// place of those it lost. It ends (`None`) once the client, and every
/// connection it reports on, are gone.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use tornadis::{Client, ConnectionEvent};
///
/// let client = Client::from_url("redis://127.0.0.1:6379")?;
/// let mut events = client.events();
/// tokio::spawn(async move {
///     while let Some(event) = events.recv().await {
///         match event {
///             ConnectionEvent::Reconnected { addr, .. } => println!("back on {addr}"),
///             other => println!("{other:?}"),
///         }
///     }
/// });
/// # Ok(()) }
/// ```
pub struct ConnectionEvents {
    next: ReusableBoxFuture<'static, Next>,
    done: bool,
}

impl fmt::Debug for ConnectionEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionEvents")
            .field("done", &self.done)
            .finish()
    }
}

impl ConnectionEvents {
    fn new(rx: broadcast::Receiver<ConnectionEvent>) -> Self {
        ConnectionEvents {
            next: ReusableBoxFuture::new(next(rx)),
            done: false,
        }
    }

    /// The next event; `None` once the client and its connections are gone.
    ///
    /// # Cancel safety
    /// Cancel safe: an event is never lost by dropping this future.
    pub async fn recv(&mut self) -> Option<ConnectionEvent> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<ConnectionEvent>> {
        if self.done {
            return Poll::Ready(None);
        }
        let (event, rx) = std::task::ready!(self.next.poll(cx));
        self.next.set(next(rx));
        Poll::Ready(match event {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(count)) => {
                Some(ConnectionEvent::Missed { count })
            }
            Err(broadcast::error::RecvError::Closed) => {
                self.done = true;
                None
            }
        })
    }
}

impl futures_core::Stream for ConnectionEvents {
    type Item = ConnectionEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ConnectionEvent>> {
        self.get_mut().poll_event(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> ServerAddr {
        ServerAddr::Tcp {
            host: "db".into(),
            port: 6379,
        }
    }

    #[tokio::test]
    async fn events_come_in_order_and_a_slow_receiver_gets_a_missed_marker() {
        let hub = Hub::default();
        // Nobody listens yet: nothing is kept.
        hub.opened(&addr(), true);
        let mut events = hub.subscribe();
        hub.opened(&addr(), true);
        hub.closed(&addr(), || DisconnectCause::Requested);
        assert!(matches!(
            events.recv().await,
            Some(ConnectionEvent::Connected { .. })
        ));
        assert!(matches!(
            events.recv().await,
            Some(ConnectionEvent::Disconnected {
                cause: DisconnectCause::Requested,
                ..
            })
        ));
        let total = EVENT_CAPACITY as u64 + 10;
        for _ in 0..total {
            hub.opened(&addr(), false);
        }
        match events.recv().await {
            Some(ConnectionEvent::Missed { count }) => assert_eq!(count, 10),
            other => panic!("{other:?}"),
        }
        let mut rest = 0;
        while let Ok(Some(_)) =
            tokio::time::timeout(std::time::Duration::from_millis(20), events.recv()).await
        {
            rest += 1;
        }
        assert_eq!(rest, EVENT_CAPACITY);
        drop(hub);
        assert!(events.recv().await.is_none());
        assert!(events.recv().await.is_none());
    }
}
