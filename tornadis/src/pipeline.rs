//! Pipelines: many commands in one write, their replies in one batch.
//!
//! - [`Pipeline`]: the original's raw pipeline (`stack_call`, or the typed
//!   methods on `&mut Pipeline`), replies as [`Value`]s, each its own `Result`.
//! - [`TypedPipeline`] (`pipeline/typed.rs`): built with the typed command
//!   methods (`client.pipeline().set("a", 1).get("a")`), the replies come
//!   back as a typed tuple.
//! - [`PipelineTarget`] (`pipeline/target.rs`): what a pipeline runs on — a
//!   [`Client`], a [`PooledClient`](crate::PooledClient), a
//!   [`ClusterClient`](crate::cluster::ClusterClient) or a
//!   [`MockClient`](crate::testing::MockClient); the same builders run on each.
//! - `pipeline/replies.rs`: decoding the replies into a typed tuple.
//!
//! Every builder stacks its commands into one `Batch`: encoded back to back,
//! each with its name and spec-table entry, checked once when stacked (the
//! routing rules of single commands apply: connection-state commands only on
//! a dedicated client, blocking ones only on a dedicated client or inside
//! MULTI/EXEC, takeover commands never). A client sends the batch in one
//! write; a cluster client splits it into one batch per node from those
//! entries, without decoding or looking anything up again.
//!
//! Both can run as a MULTI/EXEC transaction with `atomic()` (on a cluster,
//! within one slot).

use bytes::BytesMut;

use crate::client::request::{self, CommandName};
use crate::client::routing::{self, Route};
use crate::client::Client;
use crate::cmd::Cmd;
use crate::command_info::{CommandFlags, CommandInfo, StateChange};
use crate::error::{Error, ErrorKind, Result};
use crate::observe::Operation;
use crate::resp::Value;
use crate::value::{FromValue, ToArgs};

mod replies;
mod target;
mod typed;
pub use replies::{DecodeReplies, Replies, ReplyIter};
pub(crate) use target::sealed::Sealed;
pub use target::PipelineTarget;
pub(crate) use target::Target;
pub use typed::TypedPipeline;

/// Encoded commands back to back, with their names for error messages and
/// their spec-table entries (so that a client sending them on to several
/// servers, such as a cluster client, routes them without a second lookup).
#[derive(Default, Clone)]
pub(crate) struct Batch {
    buf: BytesMut,
    /// Each command: where it starts in `buf`, and what it is.
    entries: Vec<Entry>,
    error: Option<Error>,
    /// A command that changes the connection's state: only on a dedicated connection.
    needs_dedicated: Option<Error>,
    /// The kinds of connection state the commands change.
    changes: Vec<StateChange>,
    /// A blocking command: it would hold a shared connection for its whole timeout.
    blocking: Option<CommandName>,
    /// How long the server may hold the blocking commands, together (`None`: maybe forever).
    blocking_wait: Option<std::time::Duration>,
    /// The last command looked up in the spec table (batches repeat commands).
    last_info: routing::LastCommand,
    /// Some command writes: a client-side cache must drop the keys it names.
    writes: bool,
    /// What the typed commands need of the server, by position.
    gates: Vec<(usize, crate::cmd::Gate)>,
}

/// One stacked command: where it starts in the batch's bytes, and its spec-table
/// entry (or, for a command unknown to the table, its name).
#[derive(Clone)]
struct Entry {
    start: usize,
    command: Known,
}

#[derive(Clone)]
enum Known {
    Table(&'static CommandInfo),
    Unknown(Box<str>),
}

impl Entry {
    fn info(&self) -> Option<&'static CommandInfo> {
        match self.command {
            Known::Table(info) => Some(info),
            Known::Unknown(_) => None,
        }
    }

    fn name(&self) -> CommandName {
        match &self.command {
            Known::Table(info) => CommandName::Static(info.name),
            Known::Unknown(name) => CommandName::Owned(name.clone()),
        }
    }

    fn name_str(&self) -> &str {
        match &self.command {
            Known::Table(info) => info.name,
            Known::Unknown(name) => name,
        }
    }
}

impl Batch {
    pub(crate) fn push(&mut self, cmd: &Cmd) {
        if let Err(e) = cmd.validate() {
            if self.error.is_none() {
                let e = CommandName::of(cmd).attach(e);
                self.error = Some(Error::new(
                    e.kind(),
                    format!("command {} of the pipeline: {e}", self.entries.len() + 1),
                ));
            }
        }
        // The routing rules of single commands apply inside pipelines too.
        let info = routing::info_of_cached(cmd, &mut self.last_info);
        let route = Route::of(info, cmd);
        if let Route::Never(e) = &route {
            // Subscribing, MONITOR, replication: never on a request/reply connection.
            if self.error.is_none() {
                self.error = Some(e.clone());
            }
        } else {
            let name = match info {
                Some(i) => std::borrow::Cow::Borrowed(i.name),
                None => std::borrow::Cow::Owned(cmd.name()),
            };
            if let Err(e) = route.check(false, &name) {
                self.needs_dedicated.get_or_insert(e);
            }
            if let Route::Dedicated(change) = route {
                if !self.changes.contains(&change) {
                    self.changes.push(change);
                }
            }
            if route.blocks() {
                let first = self.blocking.is_none();
                self.blocking.get_or_insert_with(|| CommandName::of(cmd));
                self.blocking_wait = match (first, self.blocking_wait, route.wait()) {
                    (true, _, wait) => wait,
                    (false, Some(total), Some(wait)) => Some(total.saturating_add(wait)),
                    _ => None,
                };
            }
        }
        self.writes |= info.is_some_and(|i| i.flags.contains(CommandFlags::WRITE));
        if let Some(gate) = cmd.gate() {
            self.gates.push((self.entries.len(), gate));
        }
        let start = self.buf.len();
        cmd.write_to(&mut self.buf);
        // A known command's name is static: no allocation per command.
        let command = match info {
            Some(info) => Known::Table(info),
            None => Known::Unknown(cmd.name().into_boxed_str()),
        };
        self.entries.push(Entry { start, command });
    }

    /// Whether some typed command needs more than every server has (the
    /// server must be known before the batch is checked and sent).
    pub(crate) fn needs_server(&self) -> bool {
        self.gates.iter().any(|(_, g)| !g.is_baseline())
    }

    /// How many commands are stacked.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Command `i` as encoded, with its spec-table entry.
    pub(crate) fn entry(&self, i: usize) -> Option<(&[u8], Option<&'static CommandInfo>)> {
        let entry = self.entries.get(i)?;
        let end = self
            .entries
            .get(i + 1)
            .map_or(self.buf.len(), |next| next.start);
        Some((self.buf.get(entry.start..end)?, entry.info()))
    }

    /// Command `i`, rebuilt as a [`Cmd`] with its spec-table entry attached
    /// (for the rare command sent on its own: a split, a redirect).
    pub(crate) fn cmd(&self, i: usize) -> Option<Cmd> {
        let (bytes, info) = self.entry(i)?;
        let mut cmd = Cmd::from_encoded(bytes)?;
        if let Some(info) = info {
            cmd.attach_info(info);
        }
        Some(cmd)
    }

    /// Appends command `i` of `from`, already checked when it was stacked
    /// there: its bytes are copied, nothing is looked up or routed again.
    /// Only for batches of commands that neither block nor change the
    /// connection's state (the parts of a cluster pipeline).
    pub(crate) fn push_from(&mut self, from: &Batch, i: usize) {
        let (Some((bytes, info)), Some(entry)) = (from.entry(i), from.entries.get(i)) else {
            return;
        };
        if let Some((_, gate)) = from.gates.iter().find(|(at, _)| *at == i) {
            self.gates.push((self.entries.len(), gate.clone()));
        }
        self.writes |= info.is_some_and(|i| i.flags.contains(CommandFlags::WRITE));
        self.entries.push(Entry {
            start: self.buf.len(),
            command: entry.command.clone(),
        });
        self.buf.extend_from_slice(bytes);
    }

    /// The error that refuses this batch on a shared connection, if any: a
    /// command that changes the connection's state, or one that blocks
    /// outside MULTI/EXEC.
    pub(crate) fn shared_refusal(&self, atomic: bool) -> Option<Error> {
        if let Some(e) = &self.needs_dedicated {
            return Some(e.clone());
        }
        match &self.blocking {
            Some(name) if !atomic => Some(blocking_refusal(name)),
            _ => None,
        }
    }

    /// The name of command `i`, for error messages.
    pub(crate) fn name(&self, i: usize) -> CommandName {
        self.entries
            .get(i)
            .map_or(CommandName::Static("?"), Entry::name)
    }

    pub(crate) fn check(&self) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.entries.is_empty() {
            return Err(Error::new(
                ErrorKind::Client,
                "empty pipeline: stack at least one command before running it",
            ));
        }
        Ok(())
    }

    /// The names of the commands, in order (for decoding their replies).
    pub(crate) fn names(&self) -> Vec<CommandName> {
        self.entries.iter().map(Entry::name).collect()
    }

    /// Sends the batch and returns one `Result` per command, in order. The
    /// batch is borrowed: only its bytes are copied, into the write.
    pub(crate) async fn run(&self, client: &Client, atomic: bool) -> Result<Vec<Result<Value>>> {
        self.check()?;
        // Checked against the server when it is known (after the first connection).
        if let Some(server) = client.server() {
            for (i, gate) in &self.gates {
                gate.check(server).map_err(|e| {
                    Error::new(
                        e.kind(),
                        format!("command {} of the pipeline: {}", i + 1, e.detail()),
                    )
                })?;
            }
        }
        if let Some(e) = &self.needs_dedicated {
            if !client.is_dedicated() {
                return Err(e.clone());
            }
        }
        for change in &self.changes {
            // Recorded before sending: a connection lost from here on loses it.
            client.mark_state(*change);
        }
        if let Some(name) = &self.blocking {
            // Inside MULTI/EXEC blocking commands do not block.
            if !atomic && !client.is_dedicated() {
                return Err(blocking_refusal(name));
            }
        }
        if self.writes && client.has_cache() {
            // Only a caching client pays for reading its commands back.
            for (i, entry) in self.entries.iter().enumerate() {
                if let Some(info) = entry.info() {
                    if info.flags.contains(CommandFlags::WRITE) {
                        if let Some(cmd) = self.cmd(i) {
                            client.note_write(info, &cmd);
                        }
                    }
                }
            }
        }
        let n = self.entries.len();
        let operation =
            crate::observe::batch_name(atomic, self.entries.iter().map(Entry::name_str));
        let body: &[u8] = &self.buf;
        let (pieces, replies): (&[&[u8]], usize) = if atomic {
            (
                &[b"*1\r\n$5\r\nMULTI\r\n", body, b"*1\r\n$4\r\nEXEC\r\n"],
                n + 2,
            )
        } else {
            (&[body], n)
        };
        let permit = client.permit().await?;
        let started = std::time::Instant::now();
        // Inside MULTI/EXEC blocking commands do not block.
        let blocking = (self.blocking.is_some() && !atomic).then_some(self.blocking_wait);
        let op = Operation::batch(client.config(), client.peer(), operation, n, pieces);
        let rx = client.enqueue_encoded(permit, pieces, replies, blocking, atomic);
        let result = match rx {
            Ok(rx) => self.collect(rx.await, replies, atomic),
            Err(e) => Err(e),
        };
        // Every command counts in the client's stats, as a single request would.
        match &result {
            Ok(per_command) => client.record_batch(
                started.elapsed(),
                per_command
                    .iter()
                    .map(|r| r.as_ref().err().map(Error::kind)),
            ),
            Err(e) => {
                client.record_batch(started.elapsed(), std::iter::repeat_n(Some(e.kind()), n))
            }
        }
        // The operation failed as a whole, or with its first failing command.
        let error = match &result {
            Err(e) => Some(e),
            Ok(replies) => replies.iter().find_map(|r| r.as_ref().err()),
        };
        op.finish(client.config(), client.peer(), error);
        result
    }

    /// One `Result` per command from the pipeline's collected replies.
    fn collect(
        &self,
        reply: std::result::Result<Result<Value>, tokio::sync::oneshot::error::RecvError>,
        replies: usize,
        atomic: bool,
    ) -> Result<Vec<Result<Value>>> {
        let what = CommandName::Static(if atomic { "MULTI/EXEC" } else { "pipeline" });
        let values = match request::finish_rx::<Value>(&what, reply)? {
            Value::Array(values) if values.len() == replies => values,
            other => {
                return Err(Error::protocol(format!(
                    "a pipeline of {replies} replies came back as {}",
                    other.shape()
                )))
            }
        };
        let per_command = if atomic {
            unwrap_exec(values, self)?
        } else {
            values
        };
        Ok(per_command
            .into_iter()
            .zip(&self.entries)
            .map(|(v, entry)| match v {
                Value::Error(e) => Err(entry.name().attach(Error::from_server(e))),
                v => Ok(v),
            })
            .collect())
    }
}

/// Why a pipeline holding the blocking command `name` cannot run on a shared connection.
fn blocking_refusal(name: &CommandName) -> Error {
    Error::client(format!(
        "{} blocks, and in a pipeline it would hold the shared connection for its whole timeout; \
         send it on its own (it then runs on a side connection) or use a dedicated client",
        name.as_str()
    ))
}

/// Turns the replies of `MULTI, cmd.., EXEC` into the replies of the commands.
fn unwrap_exec(mut values: Vec<Value>, batch: &Batch) -> Result<Vec<Value>> {
    let exec = values.pop().unwrap_or(Value::Nil);
    let mut queue_errors = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        if let Value::Error(e) = v {
            if i == 0 {
                return Err(Error::from_server(e).with_command("MULTI"));
            }
            let name = batch.name(i - 1);
            queue_errors.push(format!("command {i} ({}): {e}", name.as_str()));
        }
    }
    match exec {
        Value::Array(results) if results.len() == batch.len() => Ok(results),
        Value::Nil => Err(Error::new(
            ErrorKind::Aborted,
            "the transaction was aborted because a WATCHed key changed; run it again",
        )
        .with_command("EXEC")),
        Value::Error(e) if !queue_errors.is_empty() => Err(Error::new(
            ErrorKind::Server,
            format!(
                "the transaction was discarded because a command was refused: {}",
                queue_errors.join("; ")
            ),
        )
        .with_server(e)
        .with_command("EXEC")),
        Value::Error(e) => Err(Error::from_server(e).with_command("EXEC")),
        other => Err(Error::protocol(format!(
            "EXEC of {} commands answered {}",
            batch.len(),
            other.shape()
        ))),
    }
}

/// A raw pipeline, as in the original: stack commands, then run them in one
/// round trip with [`Client::call_pipeline`].
///
/// ```no_run
/// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
/// use tornadis::{Pipeline, Value};
/// let mut pipe = Pipeline::new();
/// pipe.stack_call(("SET", "a", 1)).stack_call(("INCR", "a")).stack_call(("LPUSH", "a", "x"));
/// let replies = client.call_pipeline(&pipe).await?;
/// assert_eq!(replies[1].as_ref().ok(), Some(&Value::Integer(2)));
/// assert_eq!(replies[2].as_ref().unwrap_err().code(), Some("WRONGTYPE"));
/// # Ok(()) }
/// ```
#[derive(Default, Clone)]
pub struct Pipeline {
    batch: Batch,
    atomic: bool,
    /// Reused to encode each stacked command (no allocation per command).
    scratch: Cmd,
}

impl std::fmt::Debug for Pipeline {
    /// Shows the command names and whether it is atomic, never argument
    /// values (an `AUTH` in a pipeline holds a password), as [`Cmd`] does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.batch.entries.iter().map(Entry::name_str).collect();
        f.debug_struct("Pipeline")
            .field("commands", &names)
            .field("atomic", &self.atomic)
            .finish()
    }
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// Adds a command (any arguments [`Client::call`] accepts).
    pub fn stack_call<A: ToArgs>(&mut self, args: A) -> &mut Self {
        self.scratch.clear();
        args.write_args(&mut self.scratch);
        self.batch.push(&self.scratch);
        self
    }

    /// How many commands are stacked.
    pub fn number_of_stacked_calls(&self) -> usize {
        self.batch.len()
    }

    /// Runs the pipeline as a MULTI/EXEC transaction: all or nothing.
    pub fn atomic(&mut self) -> &mut Self {
        self.atomic = true;
        self
    }

    /// Whether [`atomic`](Pipeline::atomic) was called.
    pub fn is_atomic(&self) -> bool {
        self.atomic
    }

    /// The stacked commands (for clients that send them on to several
    /// servers, such as a cluster client).
    pub(crate) fn batch(&self) -> &Batch {
        &self.batch
    }

    /// Adds a command built elsewhere (a typed method's).
    pub(crate) fn push_cmd(&mut self, cmd: &Cmd) -> &mut Self {
        self.batch.push(cmd);
        self
    }

    /// Reply `i` of this pipeline as `R`; an error names the command and
    /// its place in the pipeline.
    pub(crate) fn decode_reply<R: FromValue>(&self, i: usize, reply: Result<Value>) -> Result<R> {
        let total = self.batch.len();
        reply.and_then(R::from_value).map_err(|e| {
            let e = match self.batch.entries.get(i) {
                Some(entry) if e.command().is_none() => entry.name().attach(e),
                _ => e,
            };
            e.with_context(format!("command {} of {total} in the pipeline", i + 1))
        })
    }
}

impl Client {
    /// Runs a raw [`Pipeline`]: one write, one reply per command, in order.
    ///
    /// The outer `Result` fails when the pipeline could not run at all (empty,
    /// connection lost, transaction aborted); each command's own error reply
    /// (e.g. `WRONGTYPE`) is its entry's `Err`, and the other replies are kept.
    ///
    /// # Cancel safety
    /// As for single requests: once sent, dropping the future discards the replies.
    pub async fn call_pipeline(&self, pipeline: &Pipeline) -> Result<Vec<Result<Value>>> {
        pipeline.batch.run(self, pipeline.atomic).await
    }
}
