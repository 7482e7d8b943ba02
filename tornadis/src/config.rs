//! [`Config`]: every setting of a connection (the builder is in
//! `config_builder`, URL parsing in `config_url`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use crate::config_builder::{ConfigBuilder, FromConfig};
use crate::error::{Error, Result};
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

/// Without the `tls` feature there are no TLS settings: this type has no
/// values, so [`Config`]'s `tls` field is always `None`.
#[cfg(not(feature = "tls"))]
#[derive(Debug, Clone)]
pub(crate) enum TlsConfig {}

/// The default of [`ConfigBuilder::max_blocking_connections`].
pub const DEFAULT_MAX_BLOCKING_CONNECTIONS: usize = 32;

/// The default of [`ConfigBuilder::max_transaction_connections`].
pub const DEFAULT_MAX_TRANSACTION_CONNECTIONS: usize = 4;

/// The largest allowed [`ConfigBuilder::max_pending_requests`] (tokio's semaphore limit, rounded down).
const MAX_PENDING_LIMIT: usize = 1 << 28;

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerAddr {
    /// A TCP address: a host name or IP literal (IPv6 without brackets) and a port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// A unix domain socket path.
    Unix(PathBuf),
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            ServerAddr::Tcp { host, port } => write!(f, "{host}:{port}"),
            ServerAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// The RESP protocol version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2: works with every server.
    Resp2,
    /// RESP3 (via `HELLO 3`), falling back to RESP2 on servers older than 6.0.
    #[default]
    Resp3,
}

/// A password that never shows in `Debug` or `Display` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a password.
    pub fn new(s: impl Into<Arc<str>>) -> Self {
        Secret(s.into())
    }

    /// The password itself (for sending it to the server).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"********\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// Everything a [`Client`](crate::Client) needs to know to connect.
///
/// Build one with [`Config::builder`] (or [`Client::builder`](crate::Client::builder)),
/// or parse a URL with [`Config::from_url`]. The `Debug` output never shows the password.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) addr: ServerAddr,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) db: i64,
    pub(crate) client_name: Option<String>,
    pub(crate) protocol: Protocol,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) tcp_keepalive: Option<Duration>,
    pub(crate) tcp_nodelay: bool,
    pub(crate) aggressive_write: bool,
    pub(crate) read_buffer_size: usize,
    pub(crate) write_buffer_size: usize,
    pub(crate) autoconnect: bool,
    pub(crate) reconnect_wait: Duration,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) max_pending: usize,
    /// The most bytes of requests queued and not yet written.
    pub(crate) max_pending_bytes: usize,
    /// The most bytes one reply may take.
    pub(crate) max_reply_size: usize,
    /// The most side connections a shared client opens for blocking commands.
    pub(crate) max_blocking_connections: usize,
    /// The most connections a client opens for transactions at once.
    pub(crate) max_transaction_connections: usize,
    /// Send `READONLY` after connecting (cluster replica connections).
    pub(crate) readonly: bool,
    /// TLS for TCP connections; `None` for plain TCP.
    pub(crate) tls: Option<TlsConfig>,
    /// Client-side caching; `None` (the default) for none.
    pub(crate) client_cache: Option<crate::client::CacheConfig>,
    /// Asked for the user name and password before each connection attempt.
    pub(crate) credentials: Option<crate::credentials::Provider>,
    /// Set by a pool or cluster for its connections: where their events go
    /// (a client takes it out of its config; without it, it makes its own).
    pub(crate) events: Option<crate::events::Hub>,
    pub(crate) telemetry: crate::observe::Telemetry,
}

impl Config {
    /// A builder starting from the defaults (127.0.0.1:6379, db 0, RESP3, autoconnect on).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::from_config(Config::default())
    }

    /// Parses a connection URL.
    ///
    /// Accepted forms:
    /// - `redis://[[username][:password]@]host[:port][/db]`
    /// - `redis://[::1]:6379/2` (IPv6 in brackets)
    /// - `rediss://...` (same form as `redis://`): TLS, with the `tls` feature.
    ///   It trusts the default root certificates only; for a private CA, follow
    ///   the URL with `ConfigBuilder::tls` (see there).
    /// - `unix:///path/to/redis.sock[?db=N&password=...&username=...]`
    ///   (also `redis+unix://` and `redis-socket://`)
    ///
    /// Query parameters on any form: `db`, `username`, `password`,
    /// `client_name`, `protocol` (`resp2`/`resp3`), `connect_timeout`,
    /// `read_timeout` (seconds, fractions allowed). User and password may be
    /// percent-encoded. Without the `tls` feature a `rediss://` URL is a
    /// client error that says so.
    ///
    /// ```
    /// use tornadis::Config;
    /// let c = Config::from_url("redis://app:s3cret@localhost:6380/2").unwrap();
    /// assert!(!format!("{c:?}").contains("s3cret"));
    /// ```
    pub fn from_url(url: &str) -> Result<Config> {
        crate::config_url::parse(url)
    }

    /// The server address.
    pub fn addr(&self) -> &ServerAddr {
        &self.addr
    }

    /// The database selected after connecting.
    pub fn db(&self) -> i64 {
        self.db
    }

    /// The ACL user name, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether a password is set (the password itself is never shown).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The protocol asked for.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// The most bytes one reply may take (see [`ConfigBuilder::max_reply_size`]).
    pub fn max_reply_size(&self) -> usize {
        self.max_reply_size
    }

    /// The most bytes of requests queued and not yet written (see
    /// [`ConfigBuilder::max_pending_bytes`]).
    pub fn max_pending_bytes(&self) -> usize {
        self.max_pending_bytes
    }

    /// The idle time before TCP keepalive probes start (`None`: off).
    pub fn tcp_keepalive(&self) -> Option<Duration> {
        self.tcp_keepalive
    }

    /// Whether the client reconnects by itself.
    pub fn autoconnect(&self) -> bool {
        self.autoconnect
    }

    /// Whether TCP connections use TLS (a `rediss://` URL, or
    /// `ConfigBuilder::tls` with the `tls` feature).
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        match &self.addr {
            ServerAddr::Tcp { port: 0, .. } => return Err(Error::client(
                "port 0 is not a valid server port; give the port Redis listens on (usually 6379)",
            )),
            ServerAddr::Tcp { host, .. } if host.is_empty() => {
                return Err(Error::client(
                    "empty host name; give the server's host name or IP address",
                ))
            }
            ServerAddr::Unix(p) if p.as_os_str().is_empty() => {
                return Err(Error::client("empty unix socket path"))
            }
            _ => {}
        }
        if self.db < 0 {
            return Err(Error::client(format!(
                "database index {} is negative",
                self.db
            )));
        }
        if self.username.is_some() && self.password.is_none() {
            return Err(Error::client("an ACL username needs a password as well"));
        }
        if self.max_reply_size == 0 {
            return Err(Error::client("max_reply_size must be greater than zero"));
        }
        if self.read_buffer_size == 0 || self.write_buffer_size == 0 {
            return Err(Error::client("buffer sizes must be greater than zero"));
        }
        for (name, n) in [
            ("max_blocking_connections", self.max_blocking_connections),
            (
                "max_transaction_connections",
                self.max_transaction_connections,
            ),
        ] {
            if n == 0 || n > MAX_PENDING_LIMIT {
                return Err(Error::client(format!(
                    "{name} must be between 1 and {MAX_PENDING_LIMIT}"
                )));
            }
        }
        if self.max_pending == 0 || self.max_pending > MAX_PENDING_LIMIT {
            return Err(Error::client(format!(
                "max_pending_requests must be between 1 and {MAX_PENDING_LIMIT}"
            )));
        }
        if self.backoff_min > self.backoff_max {
            return Err(Error::client(
                "minimum reconnect backoff is larger than the maximum",
            ));
        }
        if let Some(cache) = &self.client_cache {
            cache.validate(self.protocol)?;
        }
        Ok(())
    }
}
