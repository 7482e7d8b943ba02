//! [`ClientPoolBuilder`]: the options of a [`ClientPool`].

use std::time::Duration;

use super::{ClientPool, Settings};
use crate::config::Config;
use crate::error::{Error, Result};

/// Builds a [`ClientPool`]; every option has a default.
///
/// | option | default | meaning |
/// |---|---|---|
/// | [`url`](Self::url) / [`config`](Self::config) | `127.0.0.1:6379` | how each client connects |
/// | [`max_size`](Self::max_size) | `None` | most clients at once (`None`: unbounded) |
/// | [`client_timeout`](Self::client_timeout) | `None` | close clients older than this |
/// | [`idle_timeout`](Self::idle_timeout) | `None` | close clients unused for this long |
/// | [`autoclose`](Self::autoclose) | `false` | close expired idle clients in the background |
/// | [`acquire_timeout`](Self::acquire_timeout) | `None` | longest wait for a client |
/// | [`health_check`](Self::health_check) | `false` | PING an idle client before lending it |
///
/// ```
/// use std::time::Duration;
/// let pool = tornadis::ClientPool::builder()
///     .url("redis://127.0.0.1:6379/0")
///     .max_size(16)
///     .client_timeout(Duration::from_secs(600))
///     .autoclose(true)
///     .acquire_timeout(Duration::from_secs(1))
///     .build()
///     .unwrap();
/// assert_eq!(pool.max_size(), Some(16));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientPoolBuilder {
    config: Result<Config>,
    settings: Settings,
}

impl ClientPoolBuilder {
    pub(super) fn new() -> Self {
        ClientPoolBuilder {
            config: Ok(Config::default()),
            settings: Settings {
                max_size: None,
                client_timeout: None,
                idle_timeout: None,
                autoclose: false,
                acquire_timeout: None,
                health_check: false,
            },
        }
    }

    /// The server and connection options of every client, from a URL (see
    /// [`Config::from_url`]). A malformed URL is reported by [`build`](Self::build).
    pub fn url(mut self, url: &str) -> Self {
        self.config = Config::from_url(url);
        self
    }

    /// The server and connection options of every client.
    pub fn config(mut self, config: Config) -> Self {
        self.config = Ok(config);
        self
    }

    /// The most clients the pool holds, idle and lent out together; callers
    /// wait when all are lent. `None` (the default) means no limit (the
    /// original's `-1`). Takes `8`, `Some(8)` or `None`.
    pub fn max_size(mut self, max_size: impl Into<Option<usize>>) -> Self {
        self.settings.max_size = max_size.into();
        self
    }

    /// Clients older than this (counted from when the pool made them) are
    /// closed instead of being lent again: checked on every acquire and
    /// release, and in the background with [`autoclose`](Self::autoclose).
    /// `None` (the default): no limit.
    pub fn client_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.client_timeout = timeout.into();
        self
    }

    /// Idle clients unused for this long are closed (checked like
    /// [`client_timeout`](Self::client_timeout)), so that a pool shrinks
    /// after a burst. `None` (the default): no limit.
    pub fn idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.idle_timeout = timeout.into();
        self
    }

    /// Close expired idle clients in the background (a light task that wakes
    /// every tenth of the shortest timeout), not only when the pool is next
    /// used. Off by default; has no effect without a timeout.
    pub fn autoclose(mut self, on: bool) -> Self {
        self.settings.autoclose = on;
        self
    }

    /// How long [`get_connected_client`](ClientPool::get_connected_client)
    /// may take in all (waiting for a free client, then connecting a new one)
    /// before it fails with a timeout error. `None` (the default): no limit.
    pub fn acquire_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.acquire_timeout = timeout.into();
        self
    }

    /// Send PING on an idle client before lending it, and replace it if that
    /// fails. Costs a round trip per acquire; off by default (a connection
    /// the server closed is already noticed and never lent).
    pub fn health_check(mut self, on: bool) -> Self {
        self.settings.health_check = on;
        self
    }

    /// Checks the options and builds the pool. No connection is opened
    /// (see [`ClientPool::preconnect`]).
    pub fn build(self) -> Result<ClientPool> {
        let config = self.config?;
        config.validate()?;
        let s = &self.settings;
        if s.max_size == Some(0) {
            return Err(Error::client(
                "a pool's max_size must be at least 1 (or None for no limit)",
            ));
        }
        if s.client_timeout == Some(Duration::ZERO) || s.idle_timeout == Some(Duration::ZERO) {
            return Err(Error::client(
                "a zero client_timeout or idle_timeout would close every client at once; use None for no limit",
            ));
        }
        Ok(ClientPool::new(config, self.settings))
    }
}
