//! [`ConfigBuilder`]: building a [`Config`] (or a client) setting by setting.

use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Protocol, Secret, ServerAddr};
use crate::error::{Error, Result};
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

/// Builds a [`Config`]; every option has a sensible default.
///
/// ```
/// use std::time::Duration;
/// use tornadis::Config;
/// let config = Config::builder()
///     .host("redis.internal")
///     .port(6380)
///     .password("s3cret")
///     .db(1)
///     .read_timeout(Duration::from_secs(2))
///     .build()
///     .unwrap();
/// assert_eq!(config.db(), 1);
/// ```
///
/// The same builder makes a [`Client`](crate::Client) directly: `Client::builder()`
/// returns a `ConfigBuilder<Client>` whose `build` gives the client.
#[must_use = "a builder does nothing until `build` is called"]
pub struct ConfigBuilder<T = Config> {
    pub(crate) config: Config,
    error: Option<Error>,
    _target: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ConfigBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("config", &self.config)
            .field("error", &self.error)
            .finish()
    }
}

impl<T> Clone for ConfigBuilder<T> {
    fn clone(&self) -> Self {
        ConfigBuilder {
            config: self.config.clone(),
            error: self.error.clone(),
            _target: PhantomData,
        }
    }
}

/// What a [`ConfigBuilder`] can build: a [`Config`], or anything made from one.
pub trait FromConfig: Sized {
    /// Makes `Self` from a checked configuration.
    fn from_config(config: Config) -> Result<Self>;
}

impl FromConfig for Config {
    fn from_config(config: Config) -> Result<Self> {
        Ok(config)
    }
}

impl<T: FromConfig> ConfigBuilder<T> {
    /// Checks the settings and builds the configuration (or client).
    pub fn build(self) -> Result<T> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.config.validate()?;
        T::from_config(self.config)
    }
}

impl<T> ConfigBuilder<T> {
    /// Starts from an existing configuration (e.g. one parsed from a URL).
    pub fn from_config(config: Config) -> Self {
        ConfigBuilder {
            config,
            error: None,
            _target: PhantomData,
        }
    }

    /// Changes the configuration (for setters kept beside their feature).
    pub(crate) fn map_config(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    /// Takes every setting from a URL (see [`Config::from_url`]); later calls override it.
    pub fn url(mut self, url: &str) -> Self {
        match Config::from_url(url) {
            Ok(c) => self.config = c,
            Err(e) => self.error = Some(e),
        }
        self
    }

    /// The host name or IP address (default `127.0.0.1`); keeps the port.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        let port = match &self.config.addr {
            ServerAddr::Tcp { port, .. } => *port,
            ServerAddr::Unix(_) => 6379,
        };
        self.config.addr = ServerAddr::Tcp {
            host: host.into(),
            port,
        };
        self
    }

    /// The TCP port (default 6379).
    pub fn port(mut self, port: u16) -> Self {
        let host = match &self.config.addr {
            ServerAddr::Tcp { host, .. } => host.clone(),
            ServerAddr::Unix(_) => "127.0.0.1".into(),
        };
        self.config.addr = ServerAddr::Tcp { host, port };
        self
    }

    /// Connect through a unix domain socket instead of TCP (the original's `unix_domain_socket`).
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.addr = ServerAddr::Unix(path.into());
        self
    }

    /// The server address.
    pub fn addr(mut self, addr: ServerAddr) -> Self {
        self.config.addr = addr;
        self
    }

    /// The ACL user name (Redis 6+); needs a password too.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.config.username = Some(username.into());
        self
    }

    /// The password (`AUTH`); never shown in `Debug` output or errors.
    pub fn password(mut self, password: impl Into<Arc<str>>) -> Self {
        self.config.password = Some(Secret::new(password));
        self
    }

    /// The database to `SELECT` after connecting (default 0).
    pub fn db(mut self, db: i64) -> Self {
        self.config.db = db;
        self
    }

    /// A connection name set with `CLIENT SETNAME` (shown by `CLIENT LIST`).
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.config.client_name = Some(name.into());
        self
    }

    /// The protocol (default RESP3 with fallback to RESP2).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// How long opening a connection and its handshake may take (default
    /// 2 s, see [`config_defaults`](crate::config_defaults); `None` waits forever).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.connect_timeout = timeout.into();
        self
    }

    /// When replies are awaited and no byte arrives for this long, the connection
    /// is closed and the waiting requests fail with a timeout error (default
    /// 5 s, see [`config_defaults`](crate::config_defaults); `None`: wait
    /// forever). A blocking command extends it by its own timeout argument.
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.read_timeout = timeout.into();
        self
    }

    /// TCP keepalive: probes start after the connection was idle this long
    /// (default 30 s, see [`config_defaults`](crate::config_defaults);
    /// `None` turns keepalive off). The kernel then closes a connection
    /// whose peer vanished, even while no request is waiting.
    pub fn tcp_keepalive(mut self, idle: impl Into<Option<Duration>>) -> Self {
        self.config.tcp_keepalive = idle.into();
        self
    }

    /// Sets `TCP_NODELAY` on the socket (default on).
    pub fn tcp_nodelay(mut self, on: bool) -> Self {
        self.config.tcp_nodelay = on;
        self
    }

    /// Write each request as soon as it is queued instead of letting other
    /// tasks add theirs to the same write first (default off: batching trades
    /// a scheduler pass of latency for fewer system calls under concurrency).
    pub fn aggressive_write(mut self, on: bool) -> Self {
        self.config.aggressive_write = on;
        self
    }

    /// The read buffer size: the amount read per system call, and what the
    /// buffer shrinks back to after a large reply (default 64 KiB).
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.config.read_buffer_size = bytes;
        self
    }

    /// The write buffer size: the most bytes handed to one write system call (default 64 KiB).
    pub fn write_buffer_size(mut self, bytes: usize) -> Self {
        self.config.write_buffer_size = bytes;
        self
    }

    /// Reconnect by itself after a disconnect (default on). When off, requests
    /// on a disconnected client fail at once with a connection error until
    /// [`Client::connect`](crate::Client::connect) is called.
    pub fn autoconnect(mut self, on: bool) -> Self {
        self.config.autoconnect = on;
        self
    }

    /// How long requests queued during an outage wait for the connection to
    /// come back before they fail (default 5 s).
    pub fn reconnect_wait(mut self, wait: Duration) -> Self {
        self.config.reconnect_wait = wait;
        self
    }

    /// The most requests (or pipelines) that may be queued or awaiting their
    /// reply on one connection (default 100,000). Past it, new requests wait
    /// for room (backpressure), so memory stays bounded under overload;
    /// `async_call` and `async_call_forget`, which cannot wait, fail with a
    /// client error instead.
    pub fn max_pending_requests(mut self, n: usize) -> Self {
        self.config.max_pending = n;
        self
    }

    /// The most bytes of requests queued and not yet written on one
    /// connection (default 64 MiB). They pile up only while the server
    /// reads slower than callers send (or not at all); past the bound a new
    /// request fails at once with a client error (nothing was sent, see
    /// [`Error::is_retry_safe`](crate::Error::is_retry_safe)) instead of
    /// growing memory. One request larger than the bound is still accepted
    /// when nothing else is queued.
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.config.max_pending_bytes = bytes;
        self
    }

    /// The most bytes one reply may take, all its parts together (default
    /// 512 MiB, the server's largest string). A larger reply is a protocol
    /// error naming this setting, and the connection is dropped: its bytes
    /// are never all buffered.
    pub fn max_reply_size(mut self, bytes: usize) -> Self {
        self.config.max_reply_size = bytes;
        self
    }

    /// The most side connections a shared client opens at once for blocking
    /// commands (BLPOP, XREAD BLOCK, ...), which run on a connection of their
    /// own so that they do not stall other callers (default
    /// 32), so that a burst of blocking commands cannot open a connection
    /// each. A blocking command that finds them all in use waits until one
    /// is free; its own timeout starts once it is sent. So with more
    /// commands that block for long (one `BLPOP key 0` per worker task) than
    /// this bound, the extra ones wait for one of those to be answered: raise
    /// the bound to the number of such workers, or give each worker a
    /// dedicated client. Dedicated and pooled clients run blocking commands
    /// on their own connection and never open side connections.
    pub fn max_blocking_connections(mut self, n: usize) -> Self {
        self.config.max_blocking_connections = n;
        self
    }

    /// The most connections a client opens at once for
    /// [`Client::transaction`](crate::Client::transaction) (default 4), each
    /// WATCHing on a connection of its own. They are kept and reused; more
    /// transactions wait for one. Transactions on one hot key gain nothing
    /// from more: only one of them commits at a time. (A transaction body
    /// that starts another transaction on the same client holds one while
    /// it waits for a second.)
    pub fn max_transaction_connections(mut self, n: usize) -> Self {
        self.config.max_transaction_connections = n;
        self
    }

    /// Connects with TLS, using these settings (needs the `tls` feature).
    ///
    /// This replaces the TLS settings of an earlier [`url`](Self::url) call,
    /// so a `rediss://` URL is combined with a private CA like this:
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use tornadis::{Client, TlsConfig};
    ///
    /// let ca = std::fs::read("ca.crt")?;
    /// let client = Client::builder()
    ///     .url("rediss://redis.internal:6380")
    ///     .tls(TlsConfig::new().ca_pem(ca))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// TLS applies to TCP connections; a unix socket connection stays plain.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = Some(tls);
        self
    }

    /// Turns on client-side caching with these limits (RESP3 only): replies
    /// to cacheable single-key reads are kept and served without a round
    /// trip until the server says the key changed. See [`CacheConfig`](crate::CacheConfig).
    pub fn client_cache(mut self, cache: crate::client::CacheConfig) -> Self {
        self.config.client_cache = Some(cache);
        self
    }

    /// The delay between reconnect attempts grows from `min` to `max` (with jitter).
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.config.backoff_min = min;
        self.config.backoff_max = max;
        self
    }
}
