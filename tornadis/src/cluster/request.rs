//! [`ClusterRequest`]: the future of one command on a [`ClusterClient`].

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::client::ClusterClient;
use crate::client::request::{finish, CommandName};
use crate::cmd::Cmd;
use crate::error::Result;
use crate::executor::Executor;
use crate::resp::Value;
use crate::value::FromValue;

/// The future of a command on a [`ClusterClient`]: resolves to the decoded reply.
///
/// # Cancel safety
/// Dropping it never desyncs a node connection; a command already sent may still run.
#[must_use = "a request does nothing until it is awaited"]
pub struct ClusterRequest<'a, R> {
    fut: Pin<Box<dyn Future<Output = Result<Value>> + Send + 'a>>,
    name: CommandName,
    _reply: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for ClusterRequest<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterRequest")
            .field("command", &self.name)
            .finish()
    }
}

impl<R: FromValue> Future for ClusterRequest<'_, R> {
    type Output = Result<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        let reply = std::task::ready!(self.fut.as_mut().poll(cx));
        Poll::Ready(finish(&self.name, reply))
    }
}

impl<'a> Executor for &'a ClusterClient {
    type Output<R: FromValue> = ClusterRequest<'a, R>;

    fn execute<R: FromValue>(self, cmd: Cmd) -> ClusterRequest<'a, R> {
        let cmd = super::client::prepare(cmd);
        let name = CommandName::of(&cmd);
        ClusterRequest {
            fut: Box::pin(self.run(cmd)),
            name,
            _reply: PhantomData,
        }
    }
}
