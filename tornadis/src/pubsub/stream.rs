//! [`Messages`]: the received messages as a [`Stream`].

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use super::message::Message;
use super::PubSubClient;
use crate::error::Result;

/// The messages of a [`PubSubClient`] as a [`Stream`]; made by
/// [`PubSubClient::messages`].
///
/// It yields the same items, in the same order, as
/// [`pubsub_pop_message`](PubSubClient::pubsub_pop_message), gap notices
/// included. When the client stops for good (connection lost with
/// autoconnect off, or [`disconnect`](PubSubClient::disconnect)), it yields
/// that error once and then ends. Several streams (and `pubsub_pop_message`
/// callers) on one client share the messages: each message goes to one of them.
///
/// The stream holds a handle to the client, so it can be moved into a task
/// of its own; the connection stays open while it exists.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use tornadis::PubSubClient;
///
/// let pubsub = PubSubClient::from_url("redis://127.0.0.1:6379")?;
/// pubsub.pubsub_subscribe("news").await?;
/// let mut messages = pubsub.messages();
/// while let Some(msg) = messages.next().await {
///     let msg = msg?;
///     println!("{:?}: {:?}", msg.channel(), msg.payload());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Messages {
    client: PubSubClient,
    done: bool,
}

impl Messages {
    pub(crate) fn new(client: PubSubClient) -> Self {
        Messages {
            client,
            done: false,
        }
    }

    /// Waits for the next item, without needing `StreamExt`.
    ///
    /// # Cancel safety
    /// Cancel safe: an item is taken from the buffer only when this future
    /// completes, so dropping it loses nothing.
    pub async fn next(&mut self) -> Option<Result<Message>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The client the messages come from.
    pub fn client(&self) -> &PubSubClient {
        &self.client
    }
}

impl Stream for Messages {
    type Item = Result<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Message>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match this.client.poll_pop(cx) {
            Poll::Ready(Ok(m)) => Poll::Ready(Some(Ok(m))),
            Poll::Ready(Err(e)) => {
                this.done = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl FusedStream for Messages {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubsub::MessageKind;
    use crate::Config;
    use bytes::Bytes;

    fn poll(s: &mut Messages) -> Poll<Option<Result<Message>>> {
        Pin::new(s).poll_next(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[test]
    fn yields_buffered_items_then_the_closing_error_then_ends() {
        let config = Config::builder().autoconnect(true).build().unwrap();
        let client = PubSubClient::new(config).unwrap();
        let mut s = client.messages();
        assert!(poll(&mut s).is_pending());
        client.test_push(Message::published(
            MessageKind::Message,
            Bytes::from_static(b"c"),
            None,
            Bytes::from_static(b"1"),
        ));
        match poll(&mut s) {
            Poll::Ready(Some(Ok(m))) => assert_eq!(m.payload_as::<i64>().unwrap(), 1),
            other => panic!("expected the message, got {other:?}"),
        }
        client.disconnect();
        assert!(matches!(poll(&mut s), Poll::Ready(Some(Err(e))) if e.is_connection()));
        assert!(s.is_terminated());
        assert!(matches!(poll(&mut s), Poll::Ready(None)));
    }
}
