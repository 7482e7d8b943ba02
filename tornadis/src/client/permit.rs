//! The request permit: one place among a client's pending requests
//! (`max_pending_requests`).
//!
//! A request takes its permit before it is queued, and the permit travels
//! with it: in the reply slot while it is queued and in flight, in the
//! pipeline or side-connection path that carries it. Whatever way the
//! request ends (answered, failed, refused before sending, cancelled, the
//! connection lost, the driver gone), dropping it gives the place back, so
//! the count of requests in flight is exact and never adjusted by hand.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

/// One pending request's place in the queue; given back on drop.
#[derive(Debug)]
pub(crate) struct Permit {
    _place: OwnedSemaphorePermit,
}

/// The places of one connection's queue.
#[derive(Debug)]
pub(crate) struct Permits {
    semaphore: Arc<Semaphore>,
    max: usize,
}

impl Permits {
    /// `max` places.
    pub(crate) fn new(max: usize) -> Self {
        Permits {
            semaphore: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// A place now, or an error when every place is taken.
    pub(crate) fn try_take(&self) -> Result<Permit> {
        match self.semaphore.clone().try_acquire_owned() {
            Ok(p) => Ok(Permit { _place: p }),
            Err(_) => Err(Error::client(format!(
                "the request queue is full ({} requests pending); await earlier requests or raise max_pending_requests",
                self.max
            ))),
        }
    }

    /// A place, waiting for one when every place is taken (backpressure).
    ///
    /// # Cancel safety
    /// Cancelling gives back a place that was about to be handed over.
    pub(crate) async fn take(&self) -> Result<Permit> {
        match self.semaphore.clone().acquire_owned().await {
            Ok(p) => Ok(Permit { _place: p }),
            Err(_) => Err(Error::client("the client is shutting down")),
        }
    }

    /// How many requests hold a place now.
    pub(crate) fn in_use(&self) -> usize {
        self.max.saturating_sub(self.semaphore.available_permits())
    }
}
