//! [`ClusterMessages`]: the merged messages of a [`ClusterPubSub`] as a [`Stream`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::pubsub::ClusterPubSub;
use crate::pubsub::Message;

type Pop = Pin<Box<dyn Future<Output = Option<Message>> + Send>>;

/// The messages of a [`ClusterPubSub`] as a [`Stream`]; made by
/// [`ClusterPubSub::messages`]. It yields the same items as
/// [`pop_message`](ClusterPubSub::pop_message), gap notices included, and
/// keeps the subscriptions alive while it exists. It does not end by itself.
#[must_use = "streams do nothing unless polled"]
pub struct ClusterMessages {
    owner: ClusterPubSub,
    next: Option<Pop>,
}

impl std::fmt::Debug for ClusterMessages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterMessages").finish_non_exhaustive()
    }
}

impl ClusterMessages {
    pub(super) fn new(owner: ClusterPubSub) -> Self {
        ClusterMessages { owner, next: None }
    }

    /// Waits for the next item, without needing `StreamExt`.
    ///
    /// # Cancel safety
    /// Cancel safe: an item is taken only when this future completes.
    pub async fn next(&mut self) -> Option<Message> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for ClusterMessages {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        let next = this.next.get_or_insert_with(|| {
            let rx = this.owner.queue();
            Box::pin(async move { rx.lock().await.recv().await })
        });
        let item = std::task::ready!(next.as_mut().poll(cx));
        this.next = None;
        Poll::Ready(item)
    }
}
