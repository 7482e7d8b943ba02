//! Test doubles for **your own** unit tests: code that talks to Redis through
//! tornadis can be tested without a server.
//!
//! [`MockClient`] implements [`Executor`], so every typed method of
//! [`Commands`](crate::Commands) works on `&MockClient` exactly as on
//! `&Client`, and it has `call`/`call_as` like a client. It records each
//! command it receives and answers from what the test scripted:
//!
//! 1. an expectation for exactly that command ([`MockClient::expect`]),
//!    matched in any order (the command name ignoring case, the other
//!    arguments byte for byte);
//! 2. otherwise the next reply of a queue ([`MockClient::push_reply`]);
//! 3. otherwise a closure that sees the arguments ([`MockClient::on_command`]);
//! 4. otherwise a client error that names the unexpected command.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> tornadis::Result<()> {
//! use tornadis::testing::MockClient;
//! use tornadis::{Commands, Value};
//!
//! let mock = MockClient::new();
//! mock.expect(("GET", "user:1")).reply(Value::Bulk("ada".into()));
//! mock.expect(("SET", "seen", "1")).reply(Value::SimpleString("OK".into()));
//!
//! // The code under test takes `&MockClient` where the application passes `&Client`.
//! let name: Option<String> = mock.get("user:1").await?;
//! mock.set("seen", 1).await?;
//!
//! assert_eq!(name.as_deref(), Some("ada"));
//! assert_eq!(mock.calls()[0].to_strings(), ["GET", "user:1"]);
//! mock.verify()?; // every expectation was used
//! # Ok(()) }
//! ```
//!
//! Code meant to run on both should be generic over [`Executor`], with the
//! output bound it needs:
//!
//! ```
//! use std::future::Future;
//! use tornadis::{Commands, Executor, FromValue, Result};
//!
//! async fn visits<E>(redis: E, page: &str) -> Result<i64>
//! where
//!     E: Executor,
//!     E::Output<i64>: Future<Output = Result<i64>>,
//! {
//!     redis.incr(format!("visits:{page}")).await
//! }
//! ```
//!
//! What the double does not do: it runs no Redis logic (a `SET` does not make
//! a later `GET` return the value unless the test scripts it), and its
//! pipelines ([`MockClient::pipeline`], [`MockClient::pipeline_of`],
//! [`MockClient::call_pipeline`]) answer their commands one by one from the
//! script: an atomic one is not all-or-nothing. Behaviour tests of tornadis itself use real servers; this module exists
//! for the users of the library.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::client::request::{finish, CommandName};
use crate::cmd::Cmd;
use crate::error::{Error, ErrorKind, Result};
use crate::executor::Executor;
use crate::resp::{ServerError, Value};
use crate::value::{FromValue, ToArgs};

/// The closure of [`MockClient::on_command`].
type Handler = Arc<dyn Fn(&[&[u8]]) -> Result<Value> + Send + Sync>;

/// A stand-in for a [`Client`](crate::Client) in unit tests: records commands
/// and answers them from scripted replies. See the [module docs](self).
///
/// Clones share the same script and record, so a clone can be handed to the
/// code under test while the test keeps one to inspect.
#[derive(Clone, Default)]
pub struct MockClient {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    expectations: Vec<Expectation>,
    replies: VecDeque<Result<Value>>,
    handler: Option<Handler>,
    calls: Vec<RecordedCommand>,
}

struct Expectation {
    args: Vec<Bytes>,
    reply: Result<Value>,
    /// Uses left; `None` for any number.
    remaining: Option<usize>,
}

impl Expectation {
    fn matches(&self, args: &[Bytes]) -> bool {
        self.remaining != Some(0)
            && self.args.len() == args.len()
            && self.args.iter().zip(args).enumerate().all(|(i, (a, b))| {
                if i == 0 {
                    a.eq_ignore_ascii_case(b)
                } else {
                    a == b
                }
            })
    }
}

impl fmt::Debug for MockClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("MockClient")
            .field("expectations", &st.expectations.len())
            .field("queued_replies", &st.replies.len())
            .field("handler", &st.handler.is_some())
            .field("calls", &st.calls.len())
            .finish()
    }
}

impl MockClient {
    /// A mock with nothing scripted: every command fails until replies are added.
    pub fn new() -> Self {
        MockClient::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Scripts the reply to one exact command (by default, used once).
    ///
    /// ```
    /// # use tornadis::{testing::MockClient, Value};
    /// let mock = MockClient::new();
    /// mock.expect(("HGET", "user:1", "name")).times(2).reply(Value::Bulk("ada".into()));
    /// mock.expect("PING").always().reply(Value::SimpleString("PONG".into()));
    /// ```
    pub fn expect<A: ToArgs>(&self, args: A) -> Expect<'_> {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        Expect {
            mock: self,
            args: owned_args(&cmd),
            times: Some(1),
        }
    }

    /// Queues a reply for the next command that no expectation matches.
    pub fn push_reply(&self, reply: Value) -> &Self {
        self.lock().replies.push_back(Ok(reply));
        self
    }

    /// Queues an error (a lost connection, a timeout, ...) for the next
    /// command that no expectation matches.
    ///
    /// ```
    /// # use tornadis::{testing::MockClient, Error, ErrorKind};
    /// let mock = MockClient::new();
    /// mock.push_error(Error::new(ErrorKind::Connection, "connection reset"));
    /// ```
    pub fn push_error(&self, error: Error) -> &Self {
        self.lock().replies.push_back(Err(error));
        self
    }

    /// Answers every command that neither an expectation nor the queue
    /// answers with `handler`, which gets the arguments (the name first).
    /// Replaces an earlier handler.
    ///
    /// ```
    /// # use tornadis::{testing::MockClient, Value};
    /// let mock = MockClient::new();
    /// mock.on_command(|args| match args {
    ///     [name, key] if name.eq_ignore_ascii_case(b"GET") => Ok(Value::Bulk(key.to_vec().into())),
    ///     _ => Ok(Value::Nil),
    /// });
    /// ```
    pub fn on_command<F>(&self, handler: F) -> &Self
    where
        F: Fn(&[&[u8]]) -> Result<Value> + Send + Sync + 'static,
    {
        self.lock().handler = Some(Arc::new(handler));
        self
    }

    /// Every command received so far, in order (including the unexpected
    /// ones and those whose arguments failed to encode).
    pub fn calls(&self) -> Vec<RecordedCommand> {
        self.lock().calls.clone()
    }

    /// Forgets the commands recorded so far (the script is kept).
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// Checks that every expectation with a fixed count was used up; the
    /// error lists those that were not.
    pub fn verify(&self) -> Result<()> {
        let st = self.lock();
        let unmet: Vec<String> = st
            .expectations
            .iter()
            .filter_map(|e| match e.remaining {
                Some(n) if n > 0 => Some(format!("{} ({n} more)", show(&e.args))),
                _ => None,
            })
            .collect();
        if unmet.is_empty() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Client,
            format!(
                "MockClient: expected commands never sent: {}",
                unmet.join(", ")
            ),
        ))
    }

    /// Sends any command, as [`Client::call`](crate::Client::call) does.
    pub fn call<A: ToArgs>(&self, args: A) -> MockRequest<'_, Value> {
        self.call_as(args)
    }

    /// Sends any command and decodes the reply into `R`, as
    /// [`Client::call_as`](crate::Client::call_as) does.
    pub fn call_as<R: FromValue, A: ToArgs>(&self, args: A) -> MockRequest<'_, R> {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        MockRequest::new(self, cmd)
    }

    /// Runs a raw [`Pipeline`](crate::Pipeline) as
    /// [`Client::call_pipeline`](crate::Client::call_pipeline) does: each
    /// command is recorded and answered in order, as [`call`](MockClient::call)
    /// answers it, and an error reply is that command's `Err` only. An
    /// atomic pipeline is answered the same way (`MULTI` and `EXEC` are not
    /// recorded, and nothing is rolled back).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> tornadis::Result<()> {
    /// use tornadis::{testing::MockClient, Commands, Value};
    /// let mock = MockClient::new();
    /// mock.push_reply(Value::SimpleString("OK".into())).push_reply(Value::Integer(2));
    /// let ((), n): ((), i64) = mock.pipeline().set("a", 1).incr("n").query().await?;
    /// assert_eq!(n, 2);
    /// assert_eq!(mock.calls()[1].to_strings(), ["INCR", "n"]);
    /// # Ok(()) }
    /// ```
    pub async fn call_pipeline(&self, pipeline: &crate::Pipeline) -> Result<Vec<Result<Value>>> {
        self.run_batch(pipeline.batch(), pipeline.is_atomic())
    }

    /// The replies to the commands of `batch`, in order.
    pub(crate) fn run_batch(
        &self,
        batch: &crate::pipeline::Batch,
        _atomic: bool,
    ) -> Result<Vec<Result<Value>>> {
        batch.check()?;
        Ok((0..batch.len())
            .map(|i| {
                let name = batch.name(i);
                let reply = match batch.cmd(i) {
                    Some(cmd) => self.answer(&cmd),
                    None => Err(Error::protocol("a pipeline command could not be read back")),
                };
                match reply {
                    Ok(Value::Error(e)) => Err(name.attach(Error::from_server(e))),
                    Ok(v) => Ok(v),
                    Err(e) => Err(name.attach(e)),
                }
            })
            .collect())
    }

    /// Records `cmd` and finds its reply.
    fn answer(&self, cmd: &Cmd) -> Result<Value> {
        let args = owned_args(cmd);
        let handler = {
            let mut st = self.lock();
            st.calls.push(RecordedCommand { args: args.clone() });
            // As a client would: a command whose arguments failed to encode is never sent.
            cmd.validate()?;
            if let Some(e) = st.expectations.iter_mut().find(|e| e.matches(&args)) {
                if let Some(n) = &mut e.remaining {
                    *n -= 1;
                }
                return e.reply.clone();
            }
            if let Some(reply) = st.replies.pop_front() {
                return reply;
            }
            st.handler.clone()
        };
        match handler {
            // Called without the lock, so the closure may use the mock itself.
            Some(h) => {
                let slices: Vec<&[u8]> = args.iter().map(|a| a.as_ref()).collect();
                h(&slices)
            }
            None => Err(Error::new(
                ErrorKind::Client,
                format!(
                    "MockClient: unexpected command {}; script it with expect(), push_reply() or on_command()",
                    show(&args)
                ),
            )),
        }
    }
}

/// One expectation being scripted; finish it with [`reply`](Expect::reply)
/// (or another `reply_*` method), which registers it.
#[derive(Debug)]
#[must_use = "an expectation is only registered by one of its reply methods"]
pub struct Expect<'a> {
    mock: &'a MockClient,
    args: Vec<Bytes>,
    times: Option<usize>,
}

impl Expect<'_> {
    /// Answers this command `n` times (then it is unexpected again).
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Answers this command any number of times ([`verify`](MockClient::verify) does not ask for it).
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Answers with `value`.
    pub fn reply(self, value: Value) {
        self.register(Ok(value));
    }

    /// Answers with a server error reply such as `"WRONGTYPE Operation against a key ..."`
    /// (the code is the first word), as a real server would send it.
    pub fn reply_server_error(self, text: &str) {
        let e = ServerError::new(Bytes::copy_from_slice(text.as_bytes()));
        self.register(Ok(Value::Error(e)));
    }

    /// Fails with `error` (for instance a connection or timeout error).
    pub fn reply_error(self, error: Error) {
        self.register(Err(error));
    }

    fn register(self, reply: Result<Value>) {
        self.mock.lock().expectations.push(Expectation {
            args: self.args,
            reply,
            remaining: self.times,
        });
    }
}

/// A command a [`MockClient`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCommand {
    args: Vec<Bytes>,
}

impl RecordedCommand {
    /// The arguments as sent, the command name first.
    pub fn args(&self) -> &[Bytes] {
        &self.args
    }

    /// The command name in upper case (empty for an empty command).
    pub fn name(&self) -> String {
        self.args
            .first()
            .map(|n| String::from_utf8_lossy(n).to_ascii_uppercase())
            .unwrap_or_default()
    }

    /// The arguments as strings (invalid UTF-8 replaced), handy in assertions.
    pub fn to_strings(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }
}

/// A command bound to a [`MockClient`]: a [`Future`] answered when first
/// polled, like [`Request`](crate::Request).
#[must_use = "a request does nothing until it is awaited"]
pub struct MockRequest<'a, R> {
    mock: &'a MockClient,
    cmd: Cmd,
    answered: bool,
    _reply: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for MockRequest<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockRequest")
            .field("cmd", &self.cmd)
            .finish()
    }
}

impl<'a, R: FromValue> MockRequest<'a, R> {
    fn new(mock: &'a MockClient, cmd: Cmd) -> Self {
        MockRequest {
            mock,
            cmd,
            answered: false,
            _reply: PhantomData,
        }
    }

    /// Decodes the reply into another type instead.
    pub fn decode_as<T: FromValue>(self) -> MockRequest<'a, T> {
        MockRequest::new(self.mock, self.cmd)
    }

    /// The command this request will send.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }
}

/// Records the command and answers it at once, on the first poll.
///
/// # Cancel safety
/// The command is recorded when the request is first polled; a request
/// dropped before that is not recorded.
impl<R: FromValue> Future for MockRequest<'_, R> {
    type Output = Result<R>;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<R>> {
        if std::mem::replace(&mut self.answered, true) {
            return Poll::Ready(Err(Error::client(
                "the request future was polled after it completed",
            )));
        }
        let name = CommandName::of(&self.cmd);
        Poll::Ready(finish(&name, self.mock.answer(&self.cmd)))
    }
}

impl<'a> Executor for &'a MockClient {
    type Output<R: FromValue> = MockRequest<'a, R>;

    fn execute<R: FromValue>(self, cmd: Cmd) -> MockRequest<'a, R> {
        MockRequest::new(self, cmd)
    }
}

fn owned_args(cmd: &Cmd) -> Vec<Bytes> {
    cmd.arg_slices().map(Bytes::copy_from_slice).collect()
}

/// The arguments for a message, shortened so that a large value stays readable.
fn show(args: &[Bytes]) -> String {
    const MAX: usize = 64;
    let parts: Vec<String> = args
        .iter()
        .map(|a| {
            let text = String::from_utf8_lossy(a);
            if text.chars().count() > MAX {
                format!("{:?}...", text.chars().take(MAX).collect::<String>())
            } else {
                format!("{text:?}")
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}
