//! What a pipeline runs on: a [`Client`] (a [`PooledClient`] through the
//! client it lends), a [`ClusterClient`] or a [`MockClient`]. The same
//! builders ([`TypedPipeline`](crate::TypedPipeline),
//! [`PipelineOf`](crate::PipelineOf), a raw [`Pipeline`](crate::Pipeline)
//! with [`query_as`](crate::Pipeline::query_as)) run on each.

use super::{Batch, TypedPipeline};
use crate::client::Client;
use crate::cluster::ClusterClient;
use crate::error::Result;
use crate::pipeline_of::PipelineOf;
use crate::pool::PooledClient;
use crate::resp::Value;
use crate::testing::MockClient;
use crate::value::FromValue;

/// The executor a pipeline was started on (public in a private module, so
/// the sealed trait can name it).
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// One connection: the commands go out in one write.
    Client(&'a Client),
    /// Each command to the node serving its keys, one batch per node.
    Cluster(&'a ClusterClient),
    /// A test double: each command answered from the script.
    Mock(&'a MockClient),
}

impl Target<'_> {
    /// Runs `batch`, one `Result` per command in order.
    pub(crate) async fn run(self, batch: &Batch, atomic: bool) -> Result<Vec<Result<Value>>> {
        match self {
            Target::Client(client) => batch.run(client, atomic).await,
            Target::Cluster(cluster) => cluster.run_batch(batch, atomic).await,
            Target::Mock(mock) => mock.run_batch(batch, atomic),
        }
    }
}

/// Something a pipeline runs on: [`Client`], [`PooledClient`],
/// [`ClusterClient`] and [`MockClient`] (the trait is sealed). Code generic
/// over it builds and runs pipelines on any of them, from the same typed
/// builders; [`Pipeline::query_as`](crate::Pipeline::query_as) takes it too.
///
/// ```
/// use tornadis::{Commands, PipelineTarget, Result};
///
/// async fn checkout(redis: &impl PipelineTarget, cart: &str) -> Result<i64> {
///     let (_removed, orders) = redis.pipeline().del([cart]).incr("orders").query().await?;
///     Ok(orders)
/// }
/// ```
pub trait PipelineTarget: sealed::Sealed {
    /// Starts a typed pipeline here: see [`TypedPipeline`].
    fn pipeline(&self) -> TypedPipeline<'_, ()> {
        TypedPipeline::on(self.target())
    }

    /// Starts a pipeline of commands with one reply type, built in a loop:
    /// see [`PipelineOf`].
    fn pipeline_of<R: FromValue>(&self) -> PipelineOf<'_, R> {
        PipelineOf::on(self.target())
    }
}

pub mod sealed {
    /// Gives the pipeline's executor; not implementable outside the crate.
    pub trait Sealed {
        /// The executor this pipeline runs on.
        fn target(&self) -> super::Target<'_>;
    }
}

impl sealed::Sealed for Client {
    fn target(&self) -> Target<'_> {
        Target::Client(self)
    }
}

impl sealed::Sealed for PooledClient {
    fn target(&self) -> Target<'_> {
        Target::Client(self)
    }
}

impl sealed::Sealed for ClusterClient {
    fn target(&self) -> Target<'_> {
        Target::Cluster(self)
    }
}

impl sealed::Sealed for MockClient {
    fn target(&self) -> Target<'_> {
        Target::Mock(self)
    }
}

impl PipelineTarget for Client {}
impl PipelineTarget for PooledClient {}
impl PipelineTarget for ClusterClient {}
impl PipelineTarget for MockClient {}
