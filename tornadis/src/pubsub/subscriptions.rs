//! [`Subscriptions`]: the channels, patterns and shard channels a
//! [`PubSubClient`](super::PubSubClient) is subscribed to.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::frame::Family;

/// What a [`PubSubClient`](super::PubSubClient) is subscribed to, as the
/// server confirmed it.
///
/// This is the record the client restores after a reconnect. It follows the
/// server's confirmations, not the calls: a subscription appears here once
/// the server has confirmed it, and leaves once the server has confirmed the
/// unsubscription.
///
/// ```no_run
/// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
/// pubsub.pubsub_subscribe(["news", "sport"]).await?;
/// let subs = pubsub.subscriptions();
/// assert_eq!(subs.channels().len(), 2);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscriptions {
    channels: BTreeSet<Bytes>,
    patterns: BTreeSet<Bytes>,
    shard_channels: BTreeSet<Bytes>,
}

impl Subscriptions {
    /// Channels subscribed with `SUBSCRIBE`.
    pub fn channels(&self) -> &BTreeSet<Bytes> {
        &self.channels
    }

    /// Patterns subscribed with `PSUBSCRIBE`.
    pub fn patterns(&self) -> &BTreeSet<Bytes> {
        &self.patterns
    }

    /// Shard channels subscribed with `SSUBSCRIBE`.
    pub fn shard_channels(&self) -> &BTreeSet<Bytes> {
        &self.shard_channels
    }

    /// The total number of subscriptions of all three kinds.
    pub fn len(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard_channels.len()
    }

    /// True when subscribed to nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn of(&self, family: Family) -> &BTreeSet<Bytes> {
        match family {
            Family::Channel => &self.channels,
            Family::Pattern => &self.patterns,
            Family::Shard => &self.shard_channels,
        }
    }

    pub(crate) fn of_mut(&mut self, family: Family) -> &mut BTreeSet<Bytes> {
        match family {
            Family::Channel => &mut self.channels,
            Family::Pattern => &mut self.patterns,
            Family::Shard => &mut self.shard_channels,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.channels.clear();
        self.patterns.clear();
        self.shard_channels.clear();
    }
}
