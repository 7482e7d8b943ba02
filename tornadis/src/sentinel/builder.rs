//! [`SentinelBuilder`]: the sentinels, the service and the connection settings.

use std::sync::Arc;
use std::time::Duration;

use super::state::{Core, Options};
use super::SentinelClient;
use crate::config::{Config, Secret, ServerAddr};
use crate::error::{Error, Result};

/// Builds a [`SentinelClient`].
///
/// ```no_run
/// # fn demo() -> tornadis::Result<()> {
/// use std::time::Duration;
/// use tornadis::sentinel::SentinelClient;
/// use tornadis::Config;
///
/// let sentinel = SentinelClient::builder()
///     .sentinel("10.0.0.1:26379")
///     .sentinel("10.0.0.2:26379")
///     .sentinel("10.0.0.3:26379")
///     .service("mymaster")
///     // Settings of the connections to the primary and the replicas.
///     .config(Config::builder().password("app-secret").db(2).build()?)
///     // Sentinels may have a password of their own.
///     .sentinel_password("sentinel-secret")
///     .probe_timeout(Duration::from_millis(500))
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `build` is called"]
#[derive(Debug, Clone)]
pub struct SentinelBuilder {
    sentinels: Vec<ServerAddr>,
    service: Option<String>,
    data_config: Config,
    sentinel_config: Config,
    sentinel_username: Option<String>,
    sentinel_password: Option<Secret>,
    options: Options,
    error: Option<Error>,
}

impl Default for SentinelBuilder {
    fn default() -> Self {
        let sentinel_config = Config {
            connect_timeout: Some(Duration::from_secs(1)),
            ..Config::default()
        };
        SentinelBuilder {
            sentinels: Vec::new(),
            service: None,
            data_config: Config::default(),
            sentinel_config,
            sentinel_username: None,
            sentinel_password: None,
            options: Options {
                probe_timeout: Duration::from_secs(1),
                resolve_attempts: 5,
                resolve_delay: Duration::from_millis(250),
                follow_switch_master: true,
                watch_ping_interval: Duration::from_secs(5),
            },
            error: None,
        }
    }
}

impl SentinelBuilder {
    /// Adds a sentinel by `host:port` (IPv6 in brackets: `[::1]:26379`).
    /// Sentinels are asked in the order added, until one answers; the one
    /// that answers is asked first from then on.
    pub fn sentinel(mut self, host_port: &str) -> Self {
        match Config::from_url(&format!("redis://{host_port}")) {
            Ok(c) => self.sentinels.push(c.addr),
            Err(e) => {
                self.error = self.error.or(Some(e.with_context(format!(
                    "the sentinel address {host_port:?} is not host:port"
                ))))
            }
        }
        self
    }

    /// Adds several sentinels by `host:port` (see [`sentinel`](Self::sentinel)).
    pub fn sentinels<I, S>(self, host_ports: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        host_ports
            .into_iter()
            .fold(self, |b, hp| b.sentinel(hp.as_ref()))
    }

    /// Adds a sentinel by address (TCP or unix socket).
    pub fn sentinel_addr(mut self, addr: ServerAddr) -> Self {
        self.sentinels.push(addr);
        self
    }

    /// The name the sentinels monitor the primary under (`sentinel monitor
    /// <name> ...` in their configuration), e.g. `mymaster`. Required.
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// The settings of the connections to the primary and the replicas:
    /// password and ACL user, database, client name, protocol, timeouts,
    /// TLS, reconnection. Its address is ignored (the sentinels give it).
    pub fn config(mut self, config: Config) -> Self {
        self.data_config = config;
        self
    }

    /// The settings of the connections to the sentinels (TLS, timeouts,
    /// protocol, ...); the address is replaced by each sentinel's, and the
    /// database is always 0. Default: the defaults of [`Config`] with a
    /// connect timeout of one second.
    pub fn sentinel_config(mut self, config: Config) -> Self {
        self.sentinel_config = config;
        self
    }

    /// The password of the sentinels (`requirepass` in their configuration);
    /// overrides the one in [`sentinel_config`](Self::sentinel_config).
    pub fn sentinel_password(mut self, password: impl Into<Arc<str>>) -> Self {
        self.sentinel_password = Some(Secret::new(password));
        self
    }

    /// The ACL user on the sentinels (needs [`sentinel_password`](Self::sentinel_password)).
    pub fn sentinel_username(mut self, username: impl Into<String>) -> Self {
        self.sentinel_username = Some(username.into());
        self
    }

    /// How long one question may take: to one sentinel, or the `ROLE`
    /// check on one node, connection included (default 1 s). A sentinel that
    /// does not answer in time is skipped for the next one.
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.options.probe_timeout = timeout;
        self
    }

    /// How many times one connection attempt asks the sentinels before it
    /// fails (default 5, at least 1), and the pause between two rounds
    /// (default 250 ms). A round fails when no sentinel answers, or when
    /// the node they name does not report the expected role (a failover is
    /// under way). The client's own reconnect loop then takes over, within
    /// the `reconnect_wait` of [`config`](Self::config).
    pub fn resolve_retries(mut self, attempts: u32, delay: Duration) -> Self {
        self.options.resolve_attempts = attempts;
        self.options.resolve_delay = delay;
        self
    }

    /// Whether to listen for `+switch-master` on a sentinel and drop the
    /// primary and replica connections as soon as the service has a new
    /// primary (default on). Without it, clients move only when their
    /// connection fails: a demoted primary that stays up keeps them until
    /// the sentinels reconfigure it (which closes its clients' connections).
    pub fn follow_switch_master(mut self, on: bool) -> Self {
        self.options.follow_switch_master = on;
        self
    }

    /// Checks the settings and builds the client. Nothing is opened until
    /// the first request on one of its clients.
    pub fn build(self) -> Result<SentinelClient> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let Some(service) = self.service.filter(|s| !s.is_empty()) else {
            return Err(Error::client(
                "a sentinel client needs the service name the sentinels monitor (e.g. \"mymaster\")",
            ));
        };
        if self.sentinels.is_empty() {
            return Err(Error::client(
                "a sentinel client needs at least one sentinel address",
            ));
        }
        if self.options.resolve_attempts == 0 {
            return Err(Error::client("resolve_retries needs at least one attempt"));
        }
        if self.options.probe_timeout.is_zero() {
            return Err(Error::client("the probe timeout must be greater than zero"));
        }
        let mut sentinel_config = self.sentinel_config;
        if let Some(password) = self.sentinel_password {
            sentinel_config.password = Some(password);
        }
        if let Some(user) = self.sentinel_username {
            sentinel_config.username = Some(user);
        }
        sentinel_config.db = 0;
        sentinel_config.validate()?;
        self.data_config.validate()?;
        let core = Core::new(
            service,
            self.sentinels,
            sentinel_config,
            self.data_config,
            self.options,
        )?;
        SentinelClient::from_core(Arc::new(core))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_incomplete_settings() {
        let no_service = SentinelBuilder::default().sentinel("127.0.0.1:26379");
        assert!(no_service.build().unwrap_err().is_client());
        let no_sentinel = SentinelBuilder::default().service("mymaster");
        assert!(no_sentinel.build().unwrap_err().is_client());
        let bad_addr = SentinelBuilder::default()
            .service("mymaster")
            .sentinel("127.0.0.1:notaport");
        assert!(bad_addr.build().is_err());
        let no_attempts = SentinelBuilder::default()
            .service("mymaster")
            .sentinel("127.0.0.1:26379")
            .resolve_retries(0, Duration::ZERO);
        assert!(no_attempts.build().unwrap_err().is_client());
        let user_without_password = SentinelBuilder::default()
            .service("mymaster")
            .sentinel("127.0.0.1:26379")
            .sentinel_username("admin");
        assert!(user_without_password.build().unwrap_err().is_client());
    }

    #[test]
    fn builds_without_a_runtime_and_keeps_the_order() {
        let client = SentinelBuilder::default()
            .sentinels(["127.0.0.1:26379", "[::1]:26380"])
            .service("mymaster")
            .build()
            .unwrap();
        assert_eq!(client.service(), "mymaster");
        assert_eq!(
            client.sentinel_addrs(),
            vec![
                ServerAddr::Tcp {
                    host: "127.0.0.1".into(),
                    port: 26379
                },
                ServerAddr::Tcp {
                    host: "::1".into(),
                    port: 26380
                },
            ]
        );
    }
}
