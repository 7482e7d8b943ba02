//! [`TypedPipeline`]: a pipeline whose reply types are tracked in its type,
//! started on any [`PipelineTarget`](super::PipelineTarget).

use std::marker::PhantomData;

use super::target::{sealed::Sealed, Target};
use super::{Batch, Replies, ReplyIter};
use crate::client::Client;
use crate::cluster::ClusterClient;
use crate::cmd::Cmd;
use crate::error::Result;
use crate::executor::Executor;
use crate::resp::Value;
use crate::testing::MockClient;
use crate::value::{FromValue, ToArgs};

impl Client {
    /// Starts a typed pipeline: chain typed command methods, then
    /// [`query`](TypedPipeline::query) for a tuple of their replies.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// use tornadis::Value;
    /// let (set, n, raw): ((), i64, Value) = client
    ///     .pipeline()
    ///     .call_as::<(), _>(("SET", "n", 1))
    ///     .call_as::<i64, _>(("INCRBY", "n", 9))
    ///     .call(("GET", "n"))
    ///     .query()
    ///     .await?;
    /// assert_eq!(n, 10);
    /// # Ok(()) }
    /// ```
    pub fn pipeline(&self) -> TypedPipeline<'_, ()> {
        TypedPipeline::on(self.target())
    }
}

impl ClusterClient {
    /// Starts a typed pipeline on the cluster: chain typed command methods,
    /// then [`query`](TypedPipeline::query) for a tuple of their replies, in
    /// the order of the calls.
    ///
    /// Each command goes to the node serving its keys; the commands for one
    /// node go out together, in one write on that node's connection, and
    /// redirects are followed per command. An [`atomic`](TypedPipeline::atomic)
    /// pipeline (MULTI/EXEC) must have all its keys in one slot: otherwise
    /// `query` fails with a client error before sending anything.
    ///
    /// ```no_run
    /// # async fn demo(cluster: tornadis::cluster::ClusterClient) -> tornadis::Result<()> {
    /// use tornadis::Commands;
    /// let ((), n, name): ((), i64, Option<String>) = cluster
    ///     .pipeline()
    ///     .set("user:1", "ada")
    ///     .incr("visits")
    ///     .get("user:1")
    ///     .query()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn pipeline(&self) -> TypedPipeline<'_, ()> {
        TypedPipeline::on(self.target())
    }
}

impl MockClient {
    /// Starts a typed pipeline on the mock: each command is recorded and
    /// answered from the script, in order, as [`call`](MockClient::call)
    /// answers it (see [`MockClient::call_pipeline`]).
    pub fn pipeline(&self) -> TypedPipeline<'_, ()> {
        TypedPipeline::on(self.target())
    }
}

/// A pipeline whose reply types are tracked in its type: each command method
/// adds one element to the tuple that [`query`](TypedPipeline::query) returns.
#[must_use = "a pipeline does nothing until `query` is awaited"]
pub struct TypedPipeline<'a, T> {
    target: Target<'a>,
    batch: Batch,
    atomic: bool,
    _replies: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for TypedPipeline<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedPipeline")
            .field("commands", &self.batch.len())
            .field("atomic", &self.atomic)
            .finish()
    }
}

impl<'a> TypedPipeline<'a, ()> {
    pub(crate) fn on(target: Target<'a>) -> Self {
        TypedPipeline {
            target,
            batch: Batch::default(),
            atomic: false,
            _replies: PhantomData,
        }
    }
}

impl<'a, T> TypedPipeline<'a, T> {
    /// Adds any command; its reply is kept as a [`Value`].
    pub fn call<A: ToArgs>(self, args: A) -> TypedPipeline<'a, (T, Value)> {
        self.call_as(args)
    }

    /// Adds any command; its reply is decoded as `R`.
    pub fn call_as<R: FromValue, A: ToArgs>(self, args: A) -> TypedPipeline<'a, (T, R)> {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        self.execute(cmd)
    }

    /// Runs the pipeline as a MULTI/EXEC transaction. If a command is refused
    /// while queuing, nothing runs and `query` fails with the reason.
    pub fn atomic(mut self) -> Self {
        self.atomic = true;
        self
    }

    /// How many commands are stacked.
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    /// True when no command is stacked.
    pub fn is_empty(&self) -> bool {
        self.batch.len() == 0
    }
}

impl<'a, T: Replies> TypedPipeline<'a, T> {
    /// Sends every command in one write and decodes the replies into a tuple.
    ///
    /// If a command fails (an error reply, or a reply that does not decode),
    /// the error names it and its position; use [`Client::call_pipeline`]
    /// to get every reply even when some fail.
    ///
    /// # Cancel safety
    /// As for single requests: once sent, dropping the future discards the replies.
    pub async fn query(self) -> Result<T::Flat> {
        let replies = self.target.run(&self.batch, self.atomic).await?;
        let names = self.batch.names();
        let total = names.len();
        let mut it = ReplyIter {
            replies: replies.into_iter().zip(names).enumerate(),
            total,
        };
        Ok(T::decode(&mut it)?.flatten())
    }
}

impl<'a, T> Executor for TypedPipeline<'a, T> {
    type Output<R: FromValue> = TypedPipeline<'a, (T, R)>;

    fn execute<R: FromValue>(mut self, cmd: Cmd) -> TypedPipeline<'a, (T, R)> {
        self.batch.push(&cmd);
        TypedPipeline {
            target: self.target,
            batch: self.batch,
            atomic: self.atomic,
            _replies: PhantomData,
        }
    }
}
