//! [`Request`]: the lazy future a command method returns.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::permit::Permit;
use super::submit::Submitted;
use super::Client;
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::observe::Operation;
use crate::resp::Value;
use crate::value::FromValue;

/// A command bound to a client, not yet sent: a [`Future`] of the decoded
/// reply. Nothing happens until it is first polled (`.await`ed, or handed to
/// a combinator such as `futures::future::join_all` or a
/// `FuturesUnordered`), so building requests is free and they can be
/// collected, joined or raced like any other future.
///
/// The reply is decoded into `R`.
///
/// ```no_run
/// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
/// use tornadis::Commands;
/// // Three requests in flight at once on the one multiplexed connection.
/// let (a, b, c) = tokio::join!(
///     client.get::<Option<String>>("a"),
///     client.incr("n"),
///     client.exists(["a", "b"]),
/// );
/// # let _ = (a?, b?, c?);
/// # Ok(()) }
/// ```
///
/// A request borrows its client; to run one on another task, move a clone
/// of the client (it is cheap) into the task:
///
/// ```no_run
/// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
/// use tornadis::Commands;
/// let c = client.clone();
/// let task = tokio::spawn(async move { c.incr("jobs").await });
/// let n: i64 = task.await.expect("the task did not panic")?;
/// # Ok(()) }
/// ```
///
/// # Cancel safety
/// Nothing is sent before the first poll. Dropping it after that does not
/// disturb the connection: the command is still sent (it may already be),
/// its reply is read and thrown away, and every other request keeps getting
/// its own reply.
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<'a, R> {
    state: State<'a>,
    name: CommandName,
    _reply: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for Request<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("command", &self.name)
            .field("state", &self.state)
            .finish()
    }
}

impl<'a, R: FromValue> Request<'a, R> {
    pub(crate) fn new(client: &'a Client, mut cmd: Cmd) -> Self {
        if cmd.info().is_none() {
            // One lookup for a raw command, kept for routing and for errors
            // that name it with its subcommand ("SCRIPT LOAD", not "SCRIPT").
            if let Some(info) = super::routing::info_of(&cmd) {
                cmd.attach_info(info);
            }
        }
        Request {
            name: CommandName::of(&cmd),
            state: State::Init(client, cmd),
            _reply: PhantomData,
        }
    }

    /// Decodes the reply into another type instead.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// let n: i64 = client.call(("INCR", "counter")).decode_as::<i64>().await?;
    /// # Ok(()) }
    /// ```
    pub fn decode_as<T: FromValue>(self) -> Request<'a, T> {
        Request {
            state: self.state,
            name: self.name,
            _reply: PhantomData,
        }
    }

    /// The command this request will send; `None` once it was sent.
    pub fn cmd(&self) -> Option<&Cmd> {
        match &self.state {
            State::Init(_, cmd) | State::Acquiring(_, cmd, _) => Some(cmd),
            _ => None,
        }
    }
}

/// The name of a command, kept for error messages.
#[derive(Debug, Clone)]
pub(crate) enum CommandName {
    Static(&'static str),
    Owned(Box<str>),
}

impl CommandName {
    pub(crate) fn of(cmd: &Cmd) -> Self {
        match super::routing::info_of(cmd) {
            Some(info) => CommandName::Static(info.name),
            None => CommandName::Owned(cmd.name().into_boxed_str()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            CommandName::Static(s) => s,
            CommandName::Owned(s) => s,
        }
    }

    pub(crate) fn attach(&self, e: Error) -> Error {
        match self {
            CommandName::Static(s) => e.with_command(*s),
            CommandName::Owned(s) => e.with_command(s.to_string()),
        }
    }
}

/// Turns what the driver sent into the caller's type.
pub(crate) fn finish<R: FromValue>(name: &CommandName, reply: Result<Value>) -> Result<R> {
    match reply {
        Ok(Value::Error(e)) => Err(name.attach(Error::from_server(e))),
        Ok(v) => R::from_value(v).map_err(|e| name.attach(e)),
        Err(e) => Err(name.attach(e)),
    }
}

/// [`finish`] for a reply that came straight from a oneshot channel.
pub(crate) fn finish_rx<R: FromValue>(
    name: &CommandName,
    reply: std::result::Result<Result<Value>, oneshot::error::RecvError>,
) -> Result<R> {
    finish(
        name,
        reply.unwrap_or_else(|_| {
            Err(Error::connection(
                "the connection's driver stopped before the reply arrived",
            ))
        }),
    )
}

/// Sends `cmd`, holding its `permit`.
fn submit<'a>(client: &'a Client, cmd: &Cmd, permit: Permit) -> State<'a> {
    match client.submit(cmd, permit) {
        Ok(submitted) => {
            let op = Operation::command(
                client.config(),
                &submitted.carrier(client).shared().peer,
                cmd,
            );
            State::Waiting(client, submitted, op)
        }
        Err(e) => State::Failed(Some(e)),
    }
}

/// Records a finished request in the client's stats and its operation's span.
fn settle(client: &Client, submitted: &Submitted, op: Operation, error: Option<&Error>) {
    client.record(submitted.elapsed(), error.map(Error::kind));
    let carrier = submitted.carrier(client);
    op.finish(client.config(), &carrier.shared().peer, error);
}

impl Client {
    /// Sends `cmd`, already validated, looked up (its [`CommandInfo`] is
    /// attached) and routed (`route`, for a shared connection) by a cluster
    /// client, and returns the raw reply: a server error stays a
    /// [`Value::Error`] for the caller to read (a redirect) and to decode
    /// once, into the caller's type. Nothing is looked up, copied or
    /// decoded on the way; stats and spans are recorded as for any request.
    ///
    /// [`CommandInfo`]: crate::command_info::CommandInfo
    pub(crate) async fn send_routed(
        &self,
        cmd: &Cmd,
        route: super::routing::Route,
    ) -> Result<Value> {
        let permit = match self.try_permit() {
            Ok(p) => p,
            Err(_) => self.permit().await?,
        };
        let mut submitted = self.submit_routed(cmd, cmd.info(), route, permit)?;
        let op = Operation::command(self.config(), &submitted.carrier(self).shared().peer, cmd);
        let reply = std::future::poll_fn(|cx| submitted.poll_reply(cx)).await;
        match &reply {
            Ok(Value::Error(e)) => {
                settle(self, &submitted, op, Some(&Error::from_server(e.clone())))
            }
            Ok(_) => settle(self, &submitted, op, None),
            Err(e) => settle(self, &submitted, op, Some(e)),
        }
        reply
    }
}

/// A wait for the first connection, or for room in a full request queue
/// (the slow path of backpressure).
type Wait<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A typed command's next state: refused when the server is known to lack
/// what it sends; waiting for the first connection when the server is not
/// known yet (it would wait for it in the queue anyway), so that the check
/// still comes before sending. Commands every Redis from 6.0 and every
/// Valkey have do not wait.
fn checked<'a>(client: &'a Client, cmd: Cmd, learned: bool) -> State<'a> {
    let Some(gate) = cmd.gate() else {
        return State::Ready(client, cmd);
    };
    match client.server() {
        Some(server) => match gate.check(server) {
            Ok(()) => State::Ready(client, cmd),
            Err(e) => State::Failed(Some(e)),
        },
        None if !learned
            && !gate.is_baseline()
            && client.config().autoconnect
            && !client.is_connected() =>
        {
            State::Learning(client, cmd, Box::pin(client.connect()))
        }
        None => State::Ready(client, cmd),
    }
}

/// Sends `cmd` once it holds a place in the queue: at once when one is free.
fn send<'a>(client: &'a Client, cmd: Cmd) -> State<'a> {
    match client.try_permit() {
        Ok(permit) => submit(client, &cmd, permit),
        Err(_) => State::Acquiring(client, cmd, Box::pin(client.permit())),
    }
}

enum State<'a> {
    /// Not polled yet: nothing was sent.
    Init(&'a Client, Cmd),
    /// A typed command waiting for the first handshake to learn the server.
    Learning(&'a Client, Cmd, Wait<'a, ()>),
    /// Checked against the server: to be sent.
    Ready(&'a Client, Cmd),
    /// The queue was full: waiting for room before sending.
    Acquiring(&'a Client, Cmd, Wait<'a, Permit>),
    Waiting(&'a Client, Submitted, Operation),
    Failed(Option<Error>),
    Done,
}

impl std::fmt::Debug for State<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Init(..) => "Init",
            State::Learning(..) => "Learning",
            State::Ready(..) => "Ready",
            State::Acquiring(..) => "Acquiring",
            State::Waiting(..) => "Waiting",
            State::Failed(..) => "Failed",
            State::Done => "Done",
        })
    }
}

impl<R: FromValue> Future for Request<'_, R> {
    type Output = Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        let this = self.get_mut();
        loop {
            // Waiting for the reply, the common case: polled in place, so
            // that a pending poll moves nothing.
            if let State::Waiting(_, submitted, _) = &mut this.state {
                let reply = std::task::ready!(submitted.poll_reply(cx));
                let State::Waiting(client, submitted, op) =
                    std::mem::replace(&mut this.state, State::Done)
                else {
                    return Poll::Ready(Err(Error::client("the request lost its reply")));
                };
                let result = finish(&this.name, reply);
                settle(client, &submitted, op, result.as_ref().err());
                return Poll::Ready(result);
            }
            match std::mem::replace(&mut this.state, State::Done) {
                // Checked and sent in one step when nothing needs waiting for.
                State::Init(client, cmd) => {
                    this.state = match checked(client, cmd, false) {
                        State::Ready(client, cmd) => send(client, cmd),
                        other => other,
                    }
                }
                State::Learning(client, cmd, mut wait) => match wait.as_mut().poll(cx) {
                    // A failed connection fails the request as it would have.
                    Poll::Ready(_) => this.state = checked(client, cmd, true),
                    Poll::Pending => {
                        this.state = State::Learning(client, cmd, wait);
                        return Poll::Pending;
                    }
                },
                State::Ready(client, cmd) => this.state = send(client, cmd),
                State::Acquiring(client, cmd, mut wait) => match wait.as_mut().poll(cx) {
                    Poll::Ready(Ok(permit)) => this.state = submit(client, &cmd, permit),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(this.name.attach(e))),
                    Poll::Pending => {
                        this.state = State::Acquiring(client, cmd, wait);
                        return Poll::Pending;
                    }
                },
                // Polled in place above.
                waiting @ State::Waiting(..) => this.state = waiting,
                State::Failed(e) => {
                    let e = e.unwrap_or_else(|| Error::client("the request failed"));
                    return Poll::Ready(Err(this.name.attach(e)));
                }
                State::Done => {
                    return Poll::Ready(Err(Error::client(
                        "the request future was polled after it completed",
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Futures are moved as they are built, awaited and polled: at 128 bytes
    /// or less a move is a few register copies rather than a `memcpy` call.
    /// Without the observability features an operation holds nothing.
    #[test]
    #[cfg(not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")))]
    fn a_request_is_small_enough_to_move_inline() {
        use std::mem::size_of;
        assert_eq!(size_of::<crate::observe::Operation>(), 0);
        let request = size_of::<super::Request<'static, crate::Value>>();
        assert!(request <= 128, "a Request is {request} bytes");
    }
}
