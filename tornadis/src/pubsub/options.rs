//! Options of a [`PubSubClient`]: what happens when the consumer falls
//! behind (drop the oldest, or stop reading), and the idle `PING` that
//! notices a dead link.

use std::time::Duration;

use super::PubSubClient;

/// The default of [`PubSubClient::with_ping_interval`]: 30 s.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(30);

impl PubSubClient {
    /// Sets how many items may wait for the consumer (at least 1) before the
    /// oldest are dropped (see [`MessageKind::Lagged`](crate::MessageKind::Lagged)).
    ///
    /// ```
    /// use tornadis::PubSubClient;
    /// let pubsub = PubSubClient::from_url("redis://127.0.0.1")
    ///     .unwrap()
    ///     .with_buffer_capacity(10_000);
    /// assert_eq!(pubsub.buffer_capacity(), 10_000);
    /// ```
    pub fn with_buffer_capacity(self, capacity: usize) -> Self {
        self.shared().lock().buffer.set_capacity(capacity);
        self
    }

    /// How many items may wait for the consumer.
    ///
    /// ```
    /// use tornadis::{pubsub::DEFAULT_BUFFER_CAPACITY, PubSubClient};
    /// let pubsub = PubSubClient::from_url("redis://127.0.0.1").unwrap();
    /// assert_eq!(pubsub.buffer_capacity(), DEFAULT_BUFFER_CAPACITY);
    /// ```
    pub fn buffer_capacity(&self) -> usize {
        self.shared().lock().buffer.capacity()
    }

    /// Never drop a message: when [`buffer_capacity`](PubSubClient::buffer_capacity)
    /// items wait for the consumer, stop reading the socket until it has
    /// taken half of them (default off: the oldest are dropped and a
    /// [`Lagged`](crate::MessageKind::Lagged) notice marks the gap).
    ///
    /// While reading is stopped the server buffers what is published, up to
    /// its `client-output-buffer-limit pubsub` (32 MiB, or 8 MiB for 60 s,
    /// by default); past that it closes the connection, and the client
    /// reconnects and reports a [`Reconnected`](crate::MessageKind::Reconnected)
    /// gap. (Un)subscribe confirmations and `PING` answers wait behind the
    /// unread messages, and the read timeout is suspended meanwhile. Use it
    /// when every message matters and the consumer keeps up on average.
    ///
    /// ```
    /// let pubsub = tornadis::PubSubClient::from_url("redis://127.0.0.1")
    ///     .unwrap()
    ///     .with_lossless(true);
    /// assert!(pubsub.is_lossless());
    /// ```
    pub fn with_lossless(self, on: bool) -> Self {
        self.shared().lock().buffer.set_lossless(on);
        self
    }

    /// Whether [`with_lossless`](PubSubClient::with_lossless) is on.
    pub fn is_lossless(&self) -> bool {
        self.shared().lock().buffer.is_lossless()
    }

    /// Sends `PING` after the connection was idle this long (default
    /// [`DEFAULT_PING_INTERVAL`], 30 s; `None`: never), so that a link that
    /// died silently (a frozen server, a partition, a middlebox that forgot
    /// the flow) is noticed: without an answer within the read timeout the
    /// connection is closed, and the client reconnects and restores its
    /// subscriptions.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pubsub = tornadis::PubSubClient::from_url("redis://127.0.0.1")
    ///     .unwrap()
    ///     .with_ping_interval(Duration::from_secs(10));
    /// ```
    pub fn with_ping_interval(self, every: impl Into<Option<Duration>>) -> Self {
        self.shared().lock().ping_interval = every.into();
        self
    }
}
