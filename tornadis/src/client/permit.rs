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

impl Permit {
    /// Takes over `other`'s place, so that both are given back together by
    /// one drop (the driver frees every request a read answered at once).
    /// A place of another queue is given back to it now instead.
    pub(crate) fn absorb(&mut self, other: Permit) {
        if Arc::ptr_eq(self._place.semaphore(), other._place.semaphore()) {
            self._place.merge(other._place);
        }
    }
}

/// Collects the places of the requests one read answered, given back
/// together when it is dropped.
#[derive(Debug, Default)]
pub(crate) struct Freed(Option<Permit>);

impl Freed {
    pub(crate) fn add(&mut self, permit: Permit) {
        match &mut self.0 {
            Some(held) => held.absorb(permit),
            None => self.0 = Some(permit),
        }
    }
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
