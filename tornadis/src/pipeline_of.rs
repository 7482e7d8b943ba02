//! Pipelines built in a loop: [`PipelineOf`] (N commands of one reply type,
//! replies as a `Vec`), and the typed command methods on the raw
//! [`Pipeline`], decoded with [`Pipeline::query_as`].
//!
//! A [`TypedPipeline`](crate::TypedPipeline) tracks each reply type in its
//! own type, so it cannot grow in a loop; these two can.

use std::marker::PhantomData;

use crate::client::Client;
use crate::cluster::ClusterClient;
use crate::cmd::Cmd;
use crate::error::Result;
use crate::executor::Executor;
use crate::pipeline::{Pipeline, PipelineTarget, Sealed, Target};
use crate::resp::Value;
use crate::testing::MockClient;
use crate::value::FromValue;

/// A command built by a typed method, with its reply type: what the methods
/// of [`Commands`](crate::Commands) return on a [`CmdBuilder`].
#[derive(Debug, Clone)]
#[must_use = "a typed command does nothing until it is pushed on a pipeline or sent"]
pub struct TypedCmd<R> {
    cmd: Cmd,
    _reply: PhantomData<fn() -> R>,
}

impl<R> TypedCmd<R> {
    /// The command, encoded.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }

    /// The same command, its reply decoded as `T` instead (to put commands
    /// of several reply types in one [`PipelineOf<T>`](PipelineOf)).
    pub fn decode_as<T>(self) -> TypedCmd<T> {
        TypedCmd {
            cmd: self.cmd,
            _reply: PhantomData,
        }
    }

    /// The command, without its reply type (e.g. for
    /// [`Client::call_as`](crate::Client::call_as)).
    pub fn into_cmd(self) -> Cmd {
        self.cmd
    }
}

/// The executor that only builds: `CmdBuilder.get("k")` is a
/// [`TypedCmd<Option<V>>`](TypedCmd), sent by nothing. It is what the
/// closures of [`PipelineOf::push`] receive.
#[derive(Debug, Clone, Copy, Default)]
pub struct CmdBuilder;

impl Executor for CmdBuilder {
    type Output<R: FromValue> = TypedCmd<R>;

    fn execute<R: FromValue>(self, cmd: Cmd) -> TypedCmd<R> {
        TypedCmd {
            cmd,
            _reply: PhantomData,
        }
    }
}

/// A pipeline of any number of commands that share one reply type `R`,
/// built in a loop; [`query`](PipelineOf::query) returns a `Vec<R>` in the
/// order of the pushes. Each command comes from a typed method, so its reply
/// type is checked against `R` at compile time.
///
/// ```no_run
/// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
/// use tornadis::Commands;
///
/// let keys = ["user:1", "user:2", "user:3"];
/// let mut pipe = client.pipeline_of();
/// for key in keys {
///     pipe.push(|c| c.hget(key, "name"));
/// }
/// let names: Vec<Option<String>> = pipe.query().await?;
///
/// // Writes too, with one reply type (`()` for SET):
/// let mut writes = client.pipeline_of::<()>();
/// for (i, key) in keys.iter().enumerate() {
///     writes.push(|c| c.set(*key, i));
/// }
/// writes.atomic().query().await?;
/// # Ok(()) }
/// ```
#[must_use = "a pipeline does nothing until `query` is awaited"]
pub struct PipelineOf<'a, R> {
    target: Target<'a>,
    pipeline: Pipeline,
    _replies: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for PipelineOf<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineOf")
            .field("pipeline", &self.pipeline)
            .finish()
    }
}

impl<'a, R: FromValue> PipelineOf<'a, R> {
    /// Adds the command that `build` makes with a typed method:
    /// `pipe.push(|c| c.incr(key))`.
    pub fn push(&mut self, build: impl FnOnce(CmdBuilder) -> TypedCmd<R>) -> &mut Self {
        self.pipeline.push_cmd(&build(CmdBuilder).cmd);
        self
    }

    /// Runs the commands as a MULTI/EXEC transaction: all or nothing.
    pub fn atomic(&mut self) -> &mut Self {
        self.pipeline.atomic();
        self
    }

    /// How many commands are stacked.
    pub fn len(&self) -> usize {
        self.pipeline.number_of_stacked_calls()
    }

    /// True when no command is stacked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends every command in one write and decodes each reply as `R`.
    ///
    /// An error reply or a reply that does not decode fails the whole
    /// query, naming the command and its position; use
    /// [`Client::call_pipeline`] on a raw [`Pipeline`] to keep every reply.
    ///
    /// # Cancel safety
    /// As for single requests: once sent, dropping the future discards the replies.
    pub async fn query(&self) -> Result<Vec<R>> {
        let replies = self
            .target
            .run(self.pipeline.batch(), self.pipeline.is_atomic())
            .await?;
        replies
            .into_iter()
            .enumerate()
            .map(|(i, reply)| self.pipeline.decode_reply(i, reply))
            .collect()
    }
}

impl<'a, R> PipelineOf<'a, R> {
    pub(crate) fn on(target: Target<'a>) -> Self {
        PipelineOf {
            target,
            pipeline: Pipeline::new(),
            _replies: PhantomData,
        }
    }
}

impl Client {
    /// Starts a pipeline of commands with one reply type, built in a loop:
    /// see [`PipelineOf`].
    pub fn pipeline_of<R: FromValue>(&self) -> PipelineOf<'_, R> {
        PipelineOf::on(self.target())
    }
}

impl ClusterClient {
    /// Starts a pipeline of commands with one reply type, built in a loop:
    /// see [`PipelineOf`]. Each command goes to the node serving its keys,
    /// one batch per node, and the replies come back in the order of the pushes.
    pub fn pipeline_of<R: FromValue>(&self) -> PipelineOf<'_, R> {
        PipelineOf::on(self.target())
    }
}

impl MockClient {
    /// Starts a pipeline of commands with one reply type, built in a loop:
    /// see [`PipelineOf`]. The commands are answered from the script, in order.
    pub fn pipeline_of<R: FromValue>(&self) -> PipelineOf<'_, R> {
        PipelineOf::on(self.target())
    }
}

/// The typed command methods stack their command on a raw pipeline:
/// `pipe.set("a", 1).incr("n")`. The reply types are not tracked (a raw
/// pipeline's replies are [`Value`]s); decode them all at once with
/// [`query_as`](Pipeline::query_as). A method whose reply type is the
/// caller's choice needs it named (`pipe.get::<String>("k")`); any type
/// does, it is not used.
impl<'p> Executor for &'p mut Pipeline {
    type Output<R: FromValue> = &'p mut Pipeline;

    fn execute<R: FromValue>(self, cmd: Cmd) -> &'p mut Pipeline {
        self.push_cmd(&cmd)
    }
}

impl Pipeline {
    /// Runs the pipeline on `client` (any [`PipelineTarget`]: a client, a
    /// pooled client, a cluster client or a mock) and decodes the replies,
    /// as one array, into `T`: a tuple for a fixed set of commands, a `Vec`
    /// for many of one type.
    ///
    /// An error reply of any command fails the query, naming the command and
    /// its place; [`Client::call_pipeline`] keeps every reply instead.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// use tornadis::{Commands, Pipeline};
    ///
    /// let mut pipe = Pipeline::new();
    /// for i in 0..100 {
    ///     pipe.incrby("counter", i);
    /// }
    /// let totals: Vec<i64> = pipe.query_as(&client).await?;
    ///
    /// let mut pipe = Pipeline::new();
    /// pipe.set("a", 1).incr("a").get::<i64>("a");
    /// let ((), two, again): ((), i64, Option<i64>) = pipe.query_as(&client).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As for single requests: once sent, dropping the future discards the replies.
    pub async fn query_as<T: FromValue>(
        &self,
        client: &(impl PipelineTarget + ?Sized),
    ) -> Result<T> {
        let replies = client.target().run(self.batch(), self.is_atomic()).await?;
        let values = replies
            .into_iter()
            .enumerate()
            .map(|(i, reply)| self.decode_reply::<Value>(i, reply))
            .collect::<Result<Vec<Value>>>()?;
        T::from_value(Value::Array(values))
            .map_err(|e| e.with_context("the replies of a pipeline, as one array"))
    }
}
