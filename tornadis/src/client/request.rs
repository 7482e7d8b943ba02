//! [`Request`]: the lazy future a command method returns.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::submit::Submitted;
use super::Client;
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::observe::Operation;
use crate::resp::Value;
use crate::value::FromValue;

/// A command bound to a client, not yet sent: nothing happens until it is
/// `.await`ed (it implements [`IntoFuture`]).
///
/// The reply is decoded into `R`.
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<'a, R> {
    client: &'a Client,
    cmd: Cmd,
    _reply: PhantomData<fn() -> R>,
}

impl<'a, R: FromValue> Request<'a, R> {
    pub(crate) fn new(client: &'a Client, cmd: Cmd) -> Self {
        Request {
            client,
            cmd,
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
            client: self.client,
            cmd: self.cmd,
            _reply: PhantomData,
        }
    }

    /// The command this request will send.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }
}

impl<'a, R: FromValue> IntoFuture for Request<'a, R> {
    type Output = Result<R>;
    type IntoFuture = ResponseFuture<'a, R>;

    fn into_future(self) -> ResponseFuture<'a, R> {
        let mut cmd = self.cmd;
        if cmd.info().is_none() {
            // One lookup for a raw command, kept for routing and for errors
            // that name it with its subcommand ("SCRIPT LOAD", not "SCRIPT").
            if let Some(info) = super::routing::info_of(&cmd) {
                cmd.attach_info(info);
            }
        }
        ResponseFuture {
            name: CommandName::of(&cmd),
            state: State::Init(self.client, cmd),
            _reply: PhantomData,
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

/// Sends `cmd` with the permit the caller holds.
fn submit<'a>(client: &'a Client, cmd: &Cmd) -> State<'a> {
    match client.submit(cmd, true) {
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

/// A wait for room in a full request queue (the slow path of backpressure).
type PermitWait<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

enum State<'a> {
    /// Not polled yet: nothing was sent.
    Init(&'a Client, Cmd),
    /// The queue was full: waiting for room before sending.
    Acquiring(&'a Client, Cmd, PermitWait<'a>),
    Waiting(&'a Client, Submitted, Operation),
    Failed(Option<Error>),
    Done,
}

impl std::fmt::Debug for State<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Init(..) => "Init",
            State::Acquiring(..) => "Acquiring",
            State::Waiting(..) => "Waiting",
            State::Failed(..) => "Failed",
            State::Done => "Done",
        })
    }
}

/// The future of a [`Request`]: resolves to the decoded reply.
///
/// # Cancel safety
/// Nothing is sent before the first poll. Dropping it after that does not disturb the connection:
/// the command is still sent (it may already be), its reply is read and
/// thrown away, and every other request keeps getting its own reply.
#[must_use = "futures do nothing unless polled"]
pub struct ResponseFuture<'a, R> {
    state: State<'a>,
    name: CommandName,
    _reply: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for ResponseFuture<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("command", &self.name)
            .finish()
    }
}

impl<R: FromValue> Future for ResponseFuture<'_, R> {
    type Output = Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Init(client, cmd) => {
                    this.state = if client.permits().try_acquire().map(|p| p.forget()).is_ok() {
                        submit(client, &cmd)
                    } else {
                        State::Acquiring(client, cmd, Box::pin(client.permit()))
                    };
                }
                State::Acquiring(client, cmd, mut wait) => match wait.as_mut().poll(cx) {
                    Poll::Ready(Ok(())) => this.state = submit(client, &cmd),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(this.name.attach(e))),
                    Poll::Pending => {
                        this.state = State::Acquiring(client, cmd, wait);
                        return Poll::Pending;
                    }
                },
                State::Waiting(client, mut submitted, op) => {
                    return match submitted.poll_reply(cx) {
                        Poll::Ready(reply) => {
                            let result = finish(&this.name, reply);
                            let error = result.as_ref().err();
                            client.record(submitted.elapsed(), error.map(Error::kind));
                            let carrier = submitted.carrier(client);
                            op.finish(client.config(), &carrier.shared().peer, error);
                            Poll::Ready(result)
                        }
                        Poll::Pending => {
                            this.state = State::Waiting(client, submitted, op);
                            Poll::Pending
                        }
                    }
                }
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
