//! The one error type of the crate, [`Error`], and its [`ErrorKind`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::resp::ServerError;

/// A shorthand for `Result<T, tornadis::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
///
/// The original Python client had `ConnectionError` and `ClientError`; they map
/// onto [`ErrorKind::Connection`] and [`ErrorKind::Client`]. Server error replies,
/// which the original returned as values, are [`ErrorKind::Server`] here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection could not be opened, or was lost. Whether the request
    /// may have run is told by [`Error::may_have_run`] and
    /// [`Error::is_retry_safe`].
    Connection,
    /// The request was refused before anything was sent: bad arguments, bad
    /// configuration, or an operation the client cannot do in its state.
    Client,
    /// The server answered with an error reply; see [`Error::code`].
    Server,
    /// The server sent bytes that are not valid RESP, or a reply the client
    /// could not match to a request. The connection is dropped.
    Protocol,
    /// The reply was valid RESP but could not be turned into the Rust type asked for.
    Decode,
    /// No reply (or no connection) came within the configured time (see
    /// [`config_defaults`](crate::config_defaults) for the defaults).
    Timeout,
    /// The handshake's authentication was refused (`WRONGPASS`, `NOAUTH`,
    /// `NOPERM`, ...; the server's reply is in [`Error::server_error`]), or
    /// the [`CredentialsProvider`](crate::CredentialsProvider) failed or did
    /// not answer within the connect timeout (then [`Error::code`] is `None`
    /// and the source is the provider's error). It is not retried: requests
    /// waiting for that connection fail at once. A database that cannot be
    /// selected is a [`ErrorKind::Server`] error of `SELECT`.
    Auth,
    /// A MULTI/EXEC transaction was aborted because a WATCHed key changed;
    /// nothing in it ran, and running it again is safe.
    Aborted,
    /// The connection of a dedicated or pooled client was lost after a
    /// command changed its state (SELECT, WATCH, MULTI, CLIENT TRACKING, ...):
    /// a new connection would not have that state, so the client refuses
    /// requests until [`Client::reset_connection`](crate::Client::reset_connection)
    /// acknowledges the loss. The request was never sent.
    StateLost,
}

/// The error of every fallible operation in tornadis.
///
/// Inspect it with [`kind`](Error::kind) and the `is_*` predicates; for server
/// replies, [`code`](Error::code) gives the error code such as `WRONGTYPE`.
/// The `Display` text is meant for people and is not a stable API.
///
/// `Error` is cheap to clone, so one connection failure can be handed to every
/// request that was waiting on that connection.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    delivery: Delivery,
    detail: Cow<'static, str>,
    command: Option<Cow<'static, str>>,
    server: Option<ServerError>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// What became of the request an error belongs to (see [`Error::may_have_run`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delivery {
    /// Never written to the server (or, for an aborted transaction, nothing of it ran).
    NotSent,
    /// Written (or perhaps written), and its reply was lost.
    MaybeRun,
    /// The server answered it.
    Answered,
}

impl Delivery {
    /// What an error of `kind` means unless the code that made it knows better.
    fn of(kind: ErrorKind) -> Delivery {
        match kind {
            ErrorKind::Connection | ErrorKind::Timeout | ErrorKind::Protocol => Delivery::MaybeRun,
            ErrorKind::Server | ErrorKind::Decode => Delivery::Answered,
            ErrorKind::Client | ErrorKind::Auth | ErrorKind::Aborted | ErrorKind::StateLost => {
                Delivery::NotSent
            }
        }
    }
}

impl Error {
    /// Creates an error of `kind` with a human-readable `detail`.
    pub fn new(kind: ErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Error {
            inner: Box::new(Inner {
                delivery: Delivery::of(kind),
                kind,
                detail: detail.into(),
                command: None,
                server: None,
                source: None,
            }),
        }
    }

    pub(crate) fn client(detail: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Client, detail)
    }

    pub(crate) fn protocol(detail: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Protocol, detail)
    }

    /// Creates a [`ErrorKind::Decode`] error.
    pub fn decode(detail: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Decode, detail)
    }

    pub(crate) fn connection(detail: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Connection, detail)
    }

    pub(crate) fn timeout(detail: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Timeout, detail)
    }

    pub(crate) fn state_lost(detail: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::StateLost, detail)
    }

    /// Turns an error reply from the server into an [`ErrorKind::Server`] error.
    pub fn from_server(err: ServerError) -> Self {
        let mut e = Error::new(ErrorKind::Server, "");
        e.inner.server = Some(err);
        e
    }

    /// Attaches the underlying cause.
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// Keeps the server's error reply (its code) on an error of another detail.
    pub(crate) fn with_server(mut self, server: ServerError) -> Self {
        self.inner.server = Some(server);
        self
    }

    /// Puts `context` in front of the detail (e.g. the position in a pipeline).
    pub(crate) fn with_context(mut self, context: impl std::fmt::Display) -> Self {
        // A server error prints its reply after the detail: the context
        // alone becomes the detail, so the reply is shown once.
        self.inner.detail = if self.inner.detail.is_empty() {
            context.to_string().into()
        } else {
            format!("{context}: {}", self.inner.detail).into()
        };
        self
    }

    /// Names the command this error belongs to (kept if one is already set).
    pub fn with_command(mut self, command: impl Into<Cow<'static, str>>) -> Self {
        if self.inner.command.is_none() {
            self.inner.command = Some(command.into());
        }
        self
    }

    /// Marks the request as never written to the server (it failed while
    /// queued, or before it could be queued): safe to retry.
    pub(crate) fn not_sent(mut self) -> Self {
        self.inner.delivery = Delivery::NotSent;
        self
    }

    /// True when the request may have run on the server although its reply
    /// never arrived: it was written (or partly written) and then the
    /// connection was lost, the read timeout fired, or the reply was not
    /// valid RESP. Running it again could run it twice; only retry
    /// idempotent commands (`GET`, `SET` without options, ...) blindly.
    ///
    /// False when the request was never sent ([`is_retry_safe`](Error::is_retry_safe)),
    /// and for server error replies and decode errors: the server answered,
    /// so it did run (a server error says how it failed).
    ///
    /// ```
    /// # fn demo(e: tornadis::Error) {
    /// if e.may_have_run() {
    ///     // e.g. check with a read whether an INCR went through
    /// } else if e.is_retry_safe() {
    ///     // nothing happened on the server: send it again
    /// }
    /// # }
    /// ```
    pub fn may_have_run(&self) -> bool {
        self.inner.delivery == Delivery::MaybeRun
    }

    /// True when the request certainly did not run, so sending it again
    /// cannot run it twice: it was refused before sending (a client error,
    /// a full queue, [`ErrorKind::StateLost`]), it failed while still queued
    /// (the connection could not be opened, authentication failed,
    /// `disconnect()` was called before it was written), or it was an
    /// aborted transaction (nothing in it ran). Whether a retry can succeed
    /// is another matter: a wrong password stays wrong.
    pub fn is_retry_safe(&self) -> bool {
        self.inner.delivery == Delivery::NotSent
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The command the error belongs to, when known (e.g. `"HGETALL"`).
    pub fn command(&self) -> Option<&str> {
        self.inner.command.as_deref()
    }

    /// The server's error code (`WRONGTYPE`, `MOVED`, `NOAUTH`, ...) for server errors.
    pub fn code(&self) -> Option<&str> {
        self.inner.server.as_ref().map(ServerError::code)
    }

    /// The server's error reply, for server errors.
    pub fn server_error(&self) -> Option<&ServerError> {
        self.inner.server.as_ref()
    }

    /// The detail text, without the kind or command.
    pub fn detail(&self) -> &str {
        match &self.inner.server {
            Some(s) if self.inner.detail.is_empty() => s.message(),
            _ => &self.inner.detail,
        }
    }

    /// True for [`ErrorKind::Connection`]: the connection failed or was lost.
    pub fn is_connection(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
    }
    /// True for [`ErrorKind::Client`]: refused before sending.
    pub fn is_client(&self) -> bool {
        self.inner.kind == ErrorKind::Client
    }
    /// True for [`ErrorKind::Server`]: an error reply.
    pub fn is_server(&self) -> bool {
        self.inner.kind == ErrorKind::Server
    }
    /// True for [`ErrorKind::Protocol`]: malformed bytes from the server.
    pub fn is_protocol(&self) -> bool {
        self.inner.kind == ErrorKind::Protocol
    }
    /// True for [`ErrorKind::Decode`]: the reply did not fit the type asked for.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == ErrorKind::Decode
    }
    /// True for [`ErrorKind::Timeout`].
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
    /// True for [`ErrorKind::Aborted`]: a WATCHed transaction was aborted.
    pub fn is_aborted(&self) -> bool {
        self.inner.kind == ErrorKind::Aborted
    }
    /// True for [`ErrorKind::Auth`]: the handshake was refused.
    pub fn is_auth(&self) -> bool {
        self.inner.kind == ErrorKind::Auth
    }
    /// True for [`ErrorKind::StateLost`]: the connection holding this
    /// client's transaction or db selection was lost; call
    /// [`Client::reset_connection`](crate::Client::reset_connection) to go on
    /// from a fresh connection.
    pub fn is_state_lost(&self) -> bool {
        self.inner.kind == ErrorKind::StateLost
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Connection => "connection error",
            ErrorKind::Client => "client error",
            ErrorKind::Server => "server error",
            ErrorKind::Protocol => "protocol error",
            ErrorKind::Decode => "decode error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Auth => "authentication error",
            ErrorKind::Aborted => "transaction aborted",
            ErrorKind::StateLost => "connection state lost",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner.kind)?;
        if let Some(cmd) = &self.inner.command {
            write!(f, " in {cmd}")?;
        }
        match &self.inner.server {
            Some(s) if self.inner.detail.is_empty() => write!(f, ": {s}")?,
            Some(s) => write!(f, ": {}: {s}", self.inner.detail)?,
            None => write!(f, ": {}", self.inner.detail)?,
        }
        if let Some(src) = &self.inner.source {
            write!(f, " ({src})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        d.field("delivery", &self.inner.delivery);
        if let Some(c) = &self.inner.command {
            d.field("command", c);
        }
        if !self.inner.detail.is_empty() {
            d.field("detail", &self.inner.detail);
        }
        if let Some(s) = &self.inner.server {
            d.field("server", s);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::TimedOut => ErrorKind::Timeout,
            _ => ErrorKind::Connection,
        };
        Error::new(kind, "I/O error on the connection").with_source(e)
    }
}
