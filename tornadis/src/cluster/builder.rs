//! [`ClusterBuilder`]: seeds and options of a [`ClusterClient`], and
//! [`ReadFrom`], where read-only commands go.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::client::{ClusterClient, Inner};
use super::topology::NodeAddr;
use crate::config::{Config, ServerAddr};
use crate::error::{Error, Result};

/// Where read-only commands go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadFrom {
    /// Always the primary (default): reads see every acknowledged write.
    #[default]
    Primary,
    /// A replica of the slot when there is one, else the primary; a read
    /// that fails to reach the replica is sent to the primary.
    PreferReplica,
    /// Only replicas (falls back to the primary when the slot has none).
    ///
    /// The server lists a replica in `CLUSTER SLOTS` only once it has
    /// replicated some data, so a brand-new cluster's replicas get reads
    /// from the next slot-map refresh on.
    Replica,
}

/// Builds a [`ClusterClient`].
///
/// ```
/// use tornadis::cluster::{ClusterClient, ReadFrom};
/// let cluster = ClusterClient::builder()
///     .seed_url("redis://:s3cret@10.0.0.1:7000")
///     .seed("10.0.0.2:7000")
///     .read_from(ReadFrom::PreferReplica)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClusterBuilder {
    seeds: Vec<NodeAddr>,
    template: Option<Config>,
    read_from: ReadFrom,
    max_redirects: usize,
    retry_window: Duration,
    refresh_interval: Option<Duration>,
    error: Option<Error>,
}

impl ClusterBuilder {
    /// The defaults (see [`ClusterClient::builder`]).
    pub(super) fn new() -> Self {
        ClusterBuilder {
            seeds: Vec::new(),
            template: None,
            read_from: ReadFrom::Primary,
            max_redirects: 5,
            retry_window: Duration::from_secs(2),
            refresh_interval: Some(Duration::from_secs(30)),
            error: None,
        }
    }

    /// Adds a seed node as `host:port` (IPv6 as `[::1]:7000`).
    pub fn seed(mut self, host_port: &str) -> Self {
        match Config::from_url(&format!("redis://{host_port}")) {
            Ok(c) => self.push_seed(c.addr),
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// Adds a seed node from a `redis://` URL. The first URL's settings
    /// (password, user, timeouts, ...) apply to every node unless
    /// [`config`](ClusterBuilder::config) gives them.
    pub fn seed_url(mut self, url: &str) -> Self {
        match Config::from_url(url) {
            Ok(c) => {
                self.push_seed(c.addr.clone());
                if self.template.is_none() {
                    self.template = Some(c);
                }
            }
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    fn push_seed(&mut self, addr: ServerAddr) {
        match addr {
            ServerAddr::Tcp { host, port } => self.seeds.push((host, port)),
            ServerAddr::Unix(p) => {
                self.error = self.error.take().or(Some(Error::client(format!(
                    "cluster nodes are reached over TCP; {} is a unix socket",
                    p.display()
                ))))
            }
        }
    }

    /// The settings every node connection uses (auth, timeouts, TLS, RESP
    /// version...); its address is ignored. A database other than 0 is refused.
    pub fn config(mut self, config: Config) -> Self {
        self.template = Some(config);
        self
    }

    /// Where read-only commands go (default [`ReadFrom::Primary`]).
    pub fn read_from(mut self, read_from: ReadFrom) -> Self {
        self.read_from = read_from;
        self
    }

    /// How many `MOVED`/`ASK` redirects one command may follow (default 5).
    pub fn max_redirects(mut self, n: usize) -> Self {
        self.max_redirects = n;
        self
    }

    /// How long a command keeps retrying on `TRYAGAIN` and `CLUSTERDOWN`
    /// (default 2 s). These replies mean the command did not run.
    pub fn retry_window(mut self, window: Duration) -> Self {
        self.retry_window = window;
        self
    }

    /// How often the slot map is read again in the background (default
    /// 30 s; `None` only on `MOVED` and connection loss).
    pub fn refresh_interval(mut self, every: Option<Duration>) -> Self {
        self.refresh_interval = every;
        self
    }

    /// Checks the settings and makes the client (no connection is opened yet).
    pub fn build(self) -> Result<ClusterClient> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.seeds.is_empty() {
            return Err(Error::client(
                "a cluster client needs at least one seed node",
            ));
        }
        let mut template = self.template.unwrap_or_default();
        template.validate()?;
        // Every node connection reports to the cluster's one hub.
        template.events = Some(crate::events::Hub::default());
        if let Some((host, port)) = self.seeds.first() {
            template.telemetry.name_cluster(host, *port);
        }
        if template.db != 0 {
            return Err(Error::client(
                "Redis Cluster has only database 0; remove the db setting",
            ));
        }
        Ok(ClusterClient {
            inner: Arc::new(Inner {
                template,
                seeds: self.seeds,
                read_from: self.read_from,
                max_redirects: self.max_redirects,
                retry_window: self.retry_window,
                refresh_interval: self.refresh_interval,
                topology: RwLock::new(None),
                nodes: Mutex::new(HashMap::new()),
                refresh: Default::default(),
                next: AtomicUsize::new(0),
            }),
        })
    }
}
