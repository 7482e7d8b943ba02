//! [`Message`]: one item received by a [`PubSubClient`](super::PubSubClient),
//! and its [`MessageKind`].

use bytes::Bytes;

use crate::error::Result;
use crate::resp::Value;
use crate::value::FromValue;

/// What a [`Message`] is: a published message, or a notice that some were missed.
///
/// Redis pub/sub is fire-and-forget: a message published while this client
/// is not connected, or dropped because the consumer was too slow, is never
/// redelivered. Instead of losing such messages silently, the client puts a
/// *gap* item ([`Reconnected`](MessageKind::Reconnected) or
/// [`Lagged`](MessageKind::Lagged)) in the message sequence, at the place
/// where messages are missing. [`Message::is_gap`] is true for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// Published to a channel subscribed with `SUBSCRIBE`.
    Message,
    /// Published to a channel that matches a pattern subscribed with
    /// `PSUBSCRIBE`; [`Message::pattern`] is the pattern.
    PMessage,
    /// Published with `SPUBLISH` to a shard channel subscribed with `SSUBSCRIBE`.
    SMessage,
    /// A gap: the connection was lost, a new one was opened and every
    /// subscription was established again. Messages published in between
    /// were missed. Every subscription is active again by the time this item
    /// is delivered, so state read after seeing it misses no later message.
    /// Channel and payload are empty.
    Reconnected,
    /// A gap: the receive buffer was full, so the oldest buffered items were
    /// dropped to make room; [`Message::missed`] says how many messages.
    /// Channel and payload are empty.
    Lagged,
}

/// A message received on a subscribed channel, or a gap notice (see [`MessageKind`]).
///
/// Channel, pattern and payload are [`Bytes`] slices of the connection's read
/// buffer (no copy). Decode the payload with [`payload_as`](Message::payload_as).
///
/// ```no_run
/// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
/// use tornadis::MessageKind;
/// if let Some(msg) = pubsub.pubsub_pop_message(None).await? {
///     match msg.kind() {
///         MessageKind::Reconnected | MessageKind::Lagged => println!("missed some messages"),
///         _ => {
///             let n: i64 = msg.payload_as()?;
///             println!("{:?} -> {n}", msg.channel());
///         }
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    kind: MessageKind,
    channel: Bytes,
    pattern: Option<Bytes>,
    payload: Bytes,
    missed: u64,
}

impl Message {
    /// A published message (kind `Message`, `PMessage` or `SMessage`).
    pub(crate) fn published(
        kind: MessageKind,
        channel: Bytes,
        pattern: Option<Bytes>,
        payload: Bytes,
    ) -> Self {
        Message {
            kind,
            channel,
            pattern,
            payload,
            missed: 0,
        }
    }

    /// The gap notice put in the sequence after a reconnect.
    pub(crate) fn reconnected() -> Self {
        Message {
            kind: MessageKind::Reconnected,
            channel: Bytes::new(),
            pattern: None,
            payload: Bytes::new(),
            missed: 0,
        }
    }

    /// The gap notice put in the sequence after `missed` messages were dropped.
    pub(crate) fn lagged(missed: u64) -> Self {
        Message {
            kind: MessageKind::Lagged,
            channel: Bytes::new(),
            pattern: None,
            payload: Bytes::new(),
            missed,
        }
    }

    /// What this item is.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// True for the gap notices [`Reconnected`](MessageKind::Reconnected) and
    /// [`Lagged`](MessageKind::Lagged): messages are missing at this point.
    pub fn is_gap(&self) -> bool {
        matches!(self.kind, MessageKind::Reconnected | MessageKind::Lagged)
    }

    /// The channel the message was published to (empty for gap notices).
    pub fn channel(&self) -> &Bytes {
        &self.channel
    }

    /// The pattern that matched the channel, for [`MessageKind::PMessage`].
    pub fn pattern(&self) -> Option<&Bytes> {
        self.pattern.as_ref()
    }

    /// The published payload (empty for gap notices).
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// Takes the payload out of the message.
    pub fn into_payload(self) -> Bytes {
        self.payload
    }

    /// How many messages a [`Lagged`](MessageKind::Lagged) notice stands for
    /// (0 for every other kind: a reconnect cannot know what it missed).
    pub fn missed(&self) -> u64 {
        self.missed
    }

    /// Decodes the payload into any [`FromValue`] type, as if it were a bulk
    /// string reply: `String`, `Vec<u8>`, integers, floats, `bool`, ...
    ///
    /// ```
    /// # fn demo(msg: &tornadis::Message) -> tornadis::Result<()> {
    /// let text: String = msg.payload_as()?;
    /// # Ok(()) }
    /// ```
    pub fn payload_as<T: FromValue>(&self) -> Result<T> {
        T::from_value(Value::Bulk(self.payload.clone()))
    }

    /// Decodes the channel name into any [`FromValue`] type (usually `String`).
    pub fn channel_as<T: FromValue>(&self) -> Result<T> {
        T::from_value(Value::Bulk(self.channel.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_decodes_into_user_types() {
        let m = Message::published(
            MessageKind::PMessage,
            Bytes::from_static(b"news.eu"),
            Some(Bytes::from_static(b"news.*")),
            Bytes::from_static(b"42"),
        );
        assert_eq!(m.payload_as::<i64>().unwrap(), 42);
        assert_eq!(m.payload_as::<String>().unwrap(), "42");
        assert_eq!(m.channel_as::<String>().unwrap(), "news.eu");
        assert_eq!(m.pattern().map(|p| &p[..]), Some(&b"news.*"[..]));
        assert!(!m.is_gap());
        let e = m.payload_as::<Vec<i64>>().unwrap_err();
        assert!(e.is_decode(), "{e:?}");
    }

    #[test]
    fn gap_notices() {
        let r = Message::reconnected();
        assert!(r.is_gap());
        assert_eq!(r.kind(), MessageKind::Reconnected);
        assert_eq!(r.missed(), 0);
        let l = Message::lagged(7);
        assert!(l.is_gap());
        assert_eq!(l.missed(), 7);
        assert!(l.channel().is_empty() && l.payload().is_empty());
    }
}
