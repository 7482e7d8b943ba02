//! Subscribing and unsubscribing: the six `pubsub_*subscribe` methods of
//! [`PubSubClient`], each waiting for the server's confirmations.

use super::frame::Family;
use super::PubSubClient;
use crate::error::Result;
use crate::value::ToArgs;

impl PubSubClient {
    /// Subscribes to one or more channels (`SUBSCRIBE`) and waits until the
    /// server has confirmed each of them.
    ///
    /// `channels` is anything that converts to arguments: `"news"`,
    /// `["a", "b"]`, a `Vec<String>`, ... At least one is needed.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_subscribe(["news", "weather"]).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// If the future is dropped after its first poll, the command may still
    /// be sent and the subscription take effect. [`subscriptions`](PubSubClient::subscriptions)
    /// follows the server's confirmations, so it (and what a reconnect
    /// restores) stays right either way.
    pub async fn pubsub_subscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        self.change(Family::Channel, true, channels).await
    }

    /// Subscribes to one or more glob-style patterns (`PSUBSCRIBE`), such as
    /// `news.*`; messages come with [`MessageKind::PMessage`](super::MessageKind::PMessage) and the pattern.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_psubscribe("news.*").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As for [`pubsub_subscribe`](PubSubClient::pubsub_subscribe).
    pub async fn pubsub_psubscribe<A: ToArgs>(&self, patterns: A) -> Result<()> {
        self.change(Family::Pattern, true, patterns).await
    }

    /// Subscribes to one or more shard channels (`SSUBSCRIBE`, Redis 7+),
    /// whose messages are published with `SPUBLISH` and come with
    /// [`MessageKind::SMessage`](super::MessageKind::SMessage). In a cluster, the channels of one call must
    /// hash to the same slot.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_ssubscribe("orders:{eu}").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As for [`pubsub_subscribe`](PubSubClient::pubsub_subscribe).
    pub async fn pubsub_ssubscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        self.change(Family::Shard, true, channels).await
    }

    /// Unsubscribes from channels (`UNSUBSCRIBE`), or from every channel when
    /// `channels` is empty, and waits for the server's confirmations.
    /// Unsubscribing from a channel that is not subscribed is not an error.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_unsubscribe("news").await?;
    /// pubsub.pubsub_unsubscribe(None::<&str>).await?; // every channel
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As for [`pubsub_subscribe`](PubSubClient::pubsub_subscribe).
    pub async fn pubsub_unsubscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        self.change(Family::Channel, false, channels).await
    }

    /// Unsubscribes from patterns (`PUNSUBSCRIBE`), or from every pattern when
    /// `patterns` is empty.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_punsubscribe("news.*").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As for [`pubsub_subscribe`](PubSubClient::pubsub_subscribe).
    pub async fn pubsub_punsubscribe<A: ToArgs>(&self, patterns: A) -> Result<()> {
        self.change(Family::Pattern, false, patterns).await
    }

    /// Unsubscribes from shard channels (`SUNSUBSCRIBE`), or from every shard
    /// channel when `channels` is empty.
    ///
    /// ```no_run
    /// # async fn demo(pubsub: tornadis::PubSubClient) -> tornadis::Result<()> {
    /// pubsub.pubsub_sunsubscribe(Vec::<String>::new()).await?; // all of them
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As for [`pubsub_subscribe`](PubSubClient::pubsub_subscribe).
    pub async fn pubsub_sunsubscribe<A: ToArgs>(&self, channels: A) -> Result<()> {
        self.change(Family::Shard, false, channels).await
    }
}
