//! The bounded buffer of received messages between the driver and the consumer.
//!
//! When the consumer is slower than the publishers, the buffer fills up. It
//! then drops its *oldest* items to make room (as `tokio::sync::broadcast`
//! does), counts the dropped messages, and the next item the consumer takes
//! is a [`Lagged`](super::MessageKind::Lagged) notice with that count, placed
//! exactly where the messages are missing. Memory stays bounded, the socket
//! keeps being read (so the server never disconnects the client for a full
//! output buffer), and subscribe confirmations are never stuck behind unread
//! messages.
//!
//! In lossless mode nothing is dropped: once the buffer holds `capacity`
//! items the driver stops reading the socket (the server then buffers what
//! is published, within its `client-output-buffer-limit` for pub/sub, and
//! cuts the connection past it), and reading resumes when the consumer has
//! taken half of them.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::message::Message;
use crate::error::Error;

/// The default number of items a [`PubSubClient`](super::PubSubClient)
/// buffers: 16,384, room for an ordinary burst (10,000 messages published
/// at once) while the consumer catches up. With small messages that is a
/// few MiB at most.
pub const DEFAULT_BUFFER_CAPACITY: usize = 16_384;

#[derive(Debug)]
pub(crate) struct Buffer {
    items: VecDeque<Message>,
    capacity: usize,
    /// Messages dropped since the consumer last took an item.
    dropped: u64,
    /// An item (possibly a `Reconnected` notice) was dropped: report a gap.
    gap: bool,
    /// Set when the subscriptions ended for good (connection lost with
    /// autoconnect off, or `disconnect()`): reported once the buffer is empty.
    closed: Option<Error>,
    /// Consumers waiting for an item.
    wakers: Vec<Waker>,
    /// When full, stop reading instead of dropping the oldest items.
    lossless: bool,
    /// Lossless mode: the driver stopped reading because the buffer is full.
    paused: bool,
}

impl Buffer {
    pub(crate) fn new(capacity: usize) -> Self {
        Buffer {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
            gap: false,
            closed: None,
            wakers: Vec::new(),
            lossless: false,
            paused: false,
        }
    }

    pub(crate) fn set_lossless(&mut self, on: bool) {
        self.lossless = on;
    }

    pub(crate) fn is_lossless(&self) -> bool {
        self.lossless
    }

    /// Whether the driver may read more from the socket now. In lossless
    /// mode a full buffer says no, and remembers that the reader waits.
    pub(crate) fn reader_may_read(&mut self) -> bool {
        if !self.lossless || self.items.len() < self.capacity {
            return true;
        }
        self.paused = true;
        false
    }

    /// After the consumer took an item: true (once) when a paused reader
    /// may go on, that is when the buffer is down to half its capacity.
    pub(crate) fn take_resume(&mut self) -> bool {
        if self.paused && self.items.len() <= self.capacity / 2 {
            self.paused = false;
            return true;
        }
        false
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds an item, dropping the oldest one when full. Returns the wakers of
    /// the consumers to wake (after the lock is released).
    #[must_use]
    pub(crate) fn push(&mut self, message: Message) -> Vec<Waker> {
        // Lossless: the reader stopped at capacity; what one read brought
        // past it is kept.
        while !self.lossless && self.items.len() >= self.capacity {
            let Some(old) = self.items.pop_front() else {
                break;
            };
            self.gap = true;
            if !old.is_gap() {
                self.dropped += 1;
            }
        }
        self.items.push_back(message);
        std::mem::take(&mut self.wakers)
    }

    /// Marks the end of the subscriptions; waiting consumers get `error` once
    /// they have taken every buffered item.
    #[must_use]
    pub(crate) fn close(&mut self, error: Error) -> Vec<Waker> {
        self.closed = Some(error);
        std::mem::take(&mut self.wakers)
    }

    /// A new connection is up: consumers wait for items again.
    pub(crate) fn reopen(&mut self) {
        self.closed = None;
    }

    /// Takes the next item: a `Lagged` notice first if items were dropped,
    /// then the oldest buffered item; the closing error when empty and
    /// closed; otherwise registers the consumer's waker.
    ///
    /// Takes at most one item per call, so a consumer cancelled between
    /// polls loses nothing.
    pub(crate) fn poll_pop(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        if self.gap {
            self.gap = false;
            let missed = std::mem::take(&mut self.dropped);
            return Poll::Ready(Ok(Message::lagged(missed)));
        }
        if let Some(m) = self.items.pop_front() {
            return Poll::Ready(Ok(m));
        }
        if let Some(e) = &self.closed {
            return Poll::Ready(Err(e.clone()));
        }
        if !self.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            self.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// How many items are buffered (not counting a pending `Lagged` notice).
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubsub::MessageKind;
    use bytes::Bytes;
    use std::task::Waker;

    fn m(i: u32) -> Message {
        Message::published(
            MessageKind::Message,
            Bytes::from_static(b"ch"),
            None,
            Bytes::from(i.to_string()),
        )
    }

    fn pop(b: &mut Buffer) -> Poll<Result<Message, Error>> {
        b.poll_pop(&mut Context::from_waker(Waker::noop()))
    }

    fn payload(p: Poll<Result<Message, Error>>) -> String {
        match p {
            Poll::Ready(Ok(m)) => m.payload_as::<String>().unwrap(),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn keeps_order_within_capacity() {
        let mut b = Buffer::new(4);
        for i in 0..4 {
            let _ = b.push(m(i));
        }
        for i in 0..4 {
            assert_eq!(payload(pop(&mut b)), i.to_string());
        }
        assert!(pop(&mut b).is_pending());
    }

    #[test]
    fn drops_oldest_and_reports_how_many() {
        let mut b = Buffer::new(3);
        for i in 0..10 {
            let _ = b.push(m(i));
        }
        assert_eq!(b.len(), 3);
        match pop(&mut b) {
            Poll::Ready(Ok(l)) => {
                assert_eq!(l.kind(), MessageKind::Lagged);
                assert_eq!(l.missed(), 7);
            }
            other => panic!("expected Lagged, got {other:?}"),
        }
        for i in 7..10 {
            assert_eq!(payload(pop(&mut b)), i.to_string());
        }
        assert!(pop(&mut b).is_pending());
    }

    #[test]
    fn dropped_notices_still_count_as_a_gap() {
        let mut b = Buffer::new(2);
        let _ = b.push(Message::reconnected());
        let _ = b.push(m(1));
        let _ = b.push(m(2));
        // The Reconnected notice was dropped, no message was: still a gap.
        let Poll::Ready(Ok(l)) = pop(&mut b) else {
            panic!("expected a notice")
        };
        assert_eq!((l.kind(), l.missed()), (MessageKind::Lagged, 0));
        assert_eq!(payload(pop(&mut b)), "1");
        // The smallest buffer still reports every drop.
        let mut b = Buffer::new(1);
        let _ = b.push(m(1));
        let _ = b.push(m(2));
        let _ = b.push(m(3));
        let Poll::Ready(Ok(l)) = pop(&mut b) else {
            panic!("expected a notice")
        };
        assert_eq!(l.missed(), 2);
    }

    #[test]
    fn lossless_keeps_everything_and_pauses_the_reader_until_half_empty() {
        let mut b = Buffer::new(4);
        b.set_lossless(true);
        for i in 0..6 {
            let _ = b.push(m(i));
        }
        assert_eq!(b.len(), 6);
        assert!(!b.reader_may_read());
        for i in 0..3 {
            assert_eq!(payload(pop(&mut b)), i.to_string());
            assert!(!b.take_resume(), "not yet half empty after {i}");
        }
        assert_eq!(payload(pop(&mut b)), "3");
        assert!(b.take_resume());
        assert!(!b.take_resume(), "once");
        assert!(b.reader_may_read());
        for i in 4..6 {
            assert_eq!(payload(pop(&mut b)), i.to_string());
        }
    }

    #[test]
    fn close_is_reported_after_the_buffered_items() {
        let mut b = Buffer::new(8);
        let _ = b.push(m(1));
        let _ = b.close(Error::connection("lost"));
        assert_eq!(payload(pop(&mut b)), "1");
        assert!(matches!(pop(&mut b), Poll::Ready(Err(e)) if e.is_connection()));
        b.reopen();
        assert!(pop(&mut b).is_pending());
    }

    #[test]
    fn push_returns_waiting_consumers_once() {
        struct Count(std::sync::atomic::AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let count = std::sync::Arc::new(Count(Default::default()));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut b = Buffer::new(8);
        assert!(b.poll_pop(&mut cx).is_pending());
        assert!(b.poll_pop(&mut cx).is_pending());
        let wakers = b.push(m(1));
        assert_eq!(wakers.len(), 1, "one waker, registered once");
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(b.push(m(2)).is_empty(), "already woken");
    }
}
