//! Sorting what a subscribed connection receives into published messages,
//! (un)subscribe confirmations and ordinary replies.
//!
//! RESP2 sends pub/sub frames as arrays (`*3 message <channel> <payload>`);
//! RESP3 as push frames (`>3 message ...`). Both are handled the same way:
//! the shape, not the protocol, decides.

use bytes::Bytes;

use super::message::{Message, MessageKind};
use crate::error::{Error, Result};
use crate::resp::{ServerError, Value};

/// Which family of subscriptions a command or confirmation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    /// `SUBSCRIBE` / `UNSUBSCRIBE`: channels.
    Channel,
    /// `PSUBSCRIBE` / `PUNSUBSCRIBE`: patterns.
    Pattern,
    /// `SSUBSCRIBE` / `SUNSUBSCRIBE`: shard channels (Redis 7).
    Shard,
}

impl Family {
    /// The command that subscribes (`on`) or unsubscribes in this family.
    pub(crate) fn command(self, on: bool) -> &'static str {
        match (self, on) {
            (Family::Channel, true) => "SUBSCRIBE",
            (Family::Channel, false) => "UNSUBSCRIBE",
            (Family::Pattern, true) => "PSUBSCRIBE",
            (Family::Pattern, false) => "PUNSUBSCRIBE",
            (Family::Shard, true) => "SSUBSCRIBE",
            (Family::Shard, false) => "SUNSUBSCRIBE",
        }
    }
}

/// One decoded frame, classified.
#[derive(Debug, PartialEq)]
pub(crate) enum Frame {
    /// A published message.
    Message(Message),
    /// The server confirmed one channel of a (un)subscribe command.
    /// `channel` is `None` for an unsubscribe-all that found nothing to remove.
    Confirm {
        family: Family,
        subscribe: bool,
        channel: Option<Bytes>,
    },
    /// The answer to `PING` (`+PONG`, or `pong` frame in RESP2 subscribed mode).
    Pong,
    /// An error reply: it answers the oldest command waiting.
    Error(ServerError),
    /// A push the pub/sub client does not use (e.g. a client-tracking invalidation).
    Ignored,
}

/// Classifies a frame. A reply that fits nothing a pub/sub connection can
/// receive is a protocol error: the connection is dropped to stay in sync.
pub(crate) fn classify(value: Value) -> Result<Frame> {
    match value {
        Value::Attribute { value, .. } => classify(*value),
        Value::Push(items) => Ok(from_items(items)?.unwrap_or(Frame::Ignored)),
        Value::Array(items) => from_items(items)?.ok_or_else(|| {
            Error::protocol(
                "the server sent an array that is not a pub/sub frame on a subscribed connection",
            )
        }),
        Value::SimpleString(s) if s.eq_ignore_ascii_case(b"PONG") => Ok(Frame::Pong),
        Value::Error(e) => Ok(Frame::Error(e)),
        other => Err(Error::protocol(format!(
            "unexpected reply on a subscribed connection: {}",
            other.shape()
        ))),
    }
}

/// Reads `[kind, ...]`. `Ok(None)`: a well-formed frame of a kind not used here.
fn from_items(items: Vec<Value>) -> Result<Option<Frame>> {
    let mut items = items.into_iter();
    let Some(kind) = items.next().and_then(text) else {
        return Ok(None);
    };
    let mut rest = items.map(text);
    let mut next = |what: &str| -> Result<Bytes> {
        rest.next().flatten().ok_or_else(|| {
            Error::protocol(format!(
                "malformed {} frame: missing or non-string {what}",
                String::from_utf8_lossy(&kind)
            ))
        })
    };
    let frame = match kind.to_ascii_lowercase().as_slice() {
        b"message" => {
            let channel = next("channel")?;
            let payload = next("payload")?;
            Frame::Message(Message::published(
                MessageKind::Message,
                channel,
                None,
                payload,
            ))
        }
        b"smessage" => {
            let channel = next("channel")?;
            let payload = next("payload")?;
            Frame::Message(Message::published(
                MessageKind::SMessage,
                channel,
                None,
                payload,
            ))
        }
        b"pmessage" => {
            let pattern = next("pattern")?;
            let channel = next("channel")?;
            let payload = next("payload")?;
            Frame::Message(Message::published(
                MessageKind::PMessage,
                channel,
                Some(pattern),
                payload,
            ))
        }
        b"pong" => Frame::Pong,
        other => match confirmation(other) {
            Some((family, subscribe)) => Frame::Confirm {
                family,
                subscribe,
                // A nil channel: an unsubscribe-all with nothing to remove.
                channel: rest.next().flatten(),
            },
            None => return Ok(None),
        },
    };
    Ok(Some(frame))
}

fn confirmation(kind: &[u8]) -> Option<(Family, bool)> {
    Some(match kind {
        b"subscribe" => (Family::Channel, true),
        b"unsubscribe" => (Family::Channel, false),
        b"psubscribe" => (Family::Pattern, true),
        b"punsubscribe" => (Family::Pattern, false),
        b"ssubscribe" => (Family::Shard, true),
        b"sunsubscribe" => (Family::Shard, false),
        _ => return None,
    })
}

/// The bytes of a string-like value; `None` for nil and other shapes.
fn text(value: Value) -> Option<Bytes> {
    match value {
        Value::Bulk(b) | Value::SimpleString(b) => Some(b),
        Value::Verbatim { text, .. } => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::Decoder;
    use bytes::BytesMut;

    fn decode(wire: &[u8]) -> Value {
        let mut buf = BytesMut::from(wire);
        Decoder::default().decode(&mut buf).unwrap().unwrap()
    }

    fn msg(
        kind: MessageKind,
        ch: &'static [u8],
        pat: Option<&'static [u8]>,
        p: &'static [u8],
    ) -> Frame {
        Frame::Message(Message::published(
            kind,
            Bytes::from_static(ch),
            pat.map(Bytes::from_static),
            Bytes::from_static(p),
        ))
    }

    #[test]
    fn messages_in_resp2_and_resp3() {
        for prefix in [b'*', b'>'] {
            let mut wire = vec![prefix];
            wire.extend_from_slice(b"3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
            assert_eq!(
                classify(decode(&wire)).unwrap(),
                msg(MessageKind::Message, b"ch", None, b"hello")
            );
            let mut wire = vec![prefix];
            wire.extend_from_slice(b"4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n");
            assert_eq!(
                classify(decode(&wire)).unwrap(),
                msg(MessageKind::PMessage, b"ch", Some(b"c*"), b"")
            );
            let mut wire = vec![prefix];
            wire.extend_from_slice(b"3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n");
            assert_eq!(
                classify(decode(&wire)).unwrap(),
                msg(MessageKind::SMessage, b"s", None, b"x")
            );
        }
    }

    #[test]
    fn confirmations_including_nil_channel() {
        let v = decode(b">3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:1\r\n");
        assert_eq!(
            classify(v).unwrap(),
            Frame::Confirm {
                family: Family::Pattern,
                subscribe: true,
                channel: Some(Bytes::from_static(b"c*")),
            }
        );
        let v = decode(b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n");
        assert_eq!(
            classify(v).unwrap(),
            Frame::Confirm {
                family: Family::Shard,
                subscribe: false,
                channel: None,
            }
        );
    }

    #[test]
    fn pong_in_every_form() {
        assert_eq!(classify(decode(b"+PONG\r\n")).unwrap(), Frame::Pong);
        assert_eq!(
            classify(decode(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")).unwrap(),
            Frame::Pong
        );
    }

    #[test]
    fn other_pushes_are_ignored_and_errors_kept() {
        let v = decode(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
        assert_eq!(classify(v).unwrap(), Frame::Ignored);
        let Frame::Error(e) = classify(decode(b"-NOPERM no\r\n")).unwrap() else {
            panic!("expected an error frame");
        };
        assert_eq!(e.code(), "NOPERM");
    }

    #[test]
    fn malformed_frames_are_protocol_errors_not_panics() {
        for wire in [
            &b"*1\r\n$7\r\nmessage\r\n"[..],
            b"*2\r\n$8\r\npmessage\r\n$1\r\np\r\n",
            b"*3\r\n$7\r\nmessage\r\n:1\r\n$1\r\nx\r\n",
            b"*1\r\n$5\r\nhello\r\n",
            b"*0\r\n",
            b":5\r\n",
            b"$3\r\nabc\r\n",
        ] {
            let e = classify(decode(wire)).unwrap_err();
            assert!(e.is_protocol(), "{wire:?}: {e:?}");
        }
    }
}
