//! [`ClusterClient`]: routing, redirects and the slot map's upkeep.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::slot::{key_positions, key_slot};
use super::topology::{NodeAddr, Topology};
use crate::client::request::{finish, CommandName};
use crate::client::routing;
use crate::client::Client;
use crate::cmd::Cmd;
use crate::command_info::CommandFlags;
use crate::config::{Config, ServerAddr};
use crate::error::{Error, ErrorKind, Result};
use crate::executor::Executor;
use crate::pipeline::Pipeline;
use crate::resp::Value;
use crate::value::{FromValue, ToArgs};

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

/// The shortest time between two reads of the slot map (a burst of `MOVED`
/// replies triggers one refresh).
const MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(100);

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
                refresh: tokio::sync::Mutex::new(None),
                next: AtomicUsize::new(0),
            }),
        })
    }
}

/// A client for a Redis Cluster, with the same typed methods and raw
/// `call` as [`Client`]. Cheap to clone; one multiplexed connection per node,
/// opened when first needed.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use tornadis::{cluster::ClusterClient, Commands};
/// let cluster = ClusterClient::new(["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"])?;
/// cluster.set("{user:1}:name", "ada").await?;
/// let name: Option<String> = cluster.get("{user:1}:name").await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClusterClient {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    template: Config,
    seeds: Vec<NodeAddr>,
    read_from: ReadFrom,
    max_redirects: usize,
    retry_window: Duration,
    refresh_interval: Option<Duration>,
    topology: RwLock<Option<Arc<Topology>>>,
    /// One client per node address and mode (read-only replica connections apart).
    nodes: Mutex<HashMap<(NodeAddr, bool), Client>>,
    /// Held while the slot map is read; the time of the last read.
    refresh: tokio::sync::Mutex<Option<Instant>>,
    /// Spreads keyless commands and replica reads.
    next: AtomicUsize,
}

impl ClusterClient {
    /// A client from seed URLs (`redis://[user:pass@]host:port`); the first URL's settings apply to all nodes.
    pub fn new<I, S>(seed_urls: I) -> Result<ClusterClient>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        seed_urls
            .into_iter()
            .fold(ClusterClient::builder(), |b, u| b.seed_url(u.as_ref()))
            .build()
    }

    /// A builder for seeds and options.
    pub fn builder() -> ClusterBuilder {
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

    /// Sends any command, routed by its keys; the reply comes back as a [`Value`].
    ///
    /// # Cancel safety
    /// As for [`Client::call`]: a dropped request never desyncs a connection.
    pub fn call<A: ToArgs>(&self, args: A) -> ClusterRequest<'_, Value> {
        self.call_as(args)
    }

    /// Sends any command, routed by its keys, and decodes the reply as `R`.
    pub fn call_as<R: FromValue, A: ToArgs>(&self, args: A) -> ClusterRequest<'_, R> {
        let mut cmd = Cmd::new();
        args.write_args(&mut cmd);
        self.execute(cmd)
    }

    /// Runs a raw [`Pipeline`] on the cluster: every command is routed by its
    /// own keys, the commands for one node go out together on that node's
    /// connection, and the replies come back in the pipeline's order, each
    /// its own `Result` (redirects are followed per command).
    ///
    /// An atomic pipeline (MULTI/EXEC) must have all its keys in one slot; it
    /// runs on that slot's primary.
    ///
    /// ```no_run
    /// # async fn demo(cluster: tornadis::cluster::ClusterClient) -> tornadis::Result<()> {
    /// let mut pipe = tornadis::Pipeline::new();
    /// pipe.stack_call(("SET", "a", 1)).stack_call(("SET", "b", 2)).stack_call(("MGET", "a", "b"));
    /// let replies = cluster.call_pipeline(&pipe).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Dropping the future never desyncs a node connection; commands already
    /// sent may still run.
    pub async fn call_pipeline(&self, pipeline: &Pipeline) -> Result<Vec<Result<Value>>> {
        pipeline.check()?;
        let cmds: Vec<Cmd> = pipeline.commands().collect();
        if pipeline.is_atomic() {
            let mut slot: Option<u16> = None;
            for cmd in &cmds {
                let Some(info) = routing::info_of(cmd) else {
                    continue;
                };
                let args: Vec<&[u8]> = cmd.arg_slices().collect();
                for p in key_positions(info, &args) {
                    let s = key_slot(args.get(p).copied().unwrap_or_default());
                    if slot.is_some_and(|first| first != s) {
                        return Err(Error::client(
                            "a transaction's keys must all hash to one slot in a cluster (CROSSSLOT); \
                             give them a common {hash tag}",
                        ));
                    }
                    slot = Some(s);
                }
            }
            let node = match slot {
                Some(s) => {
                    let topology = self.ensure_topology().await?;
                    let (addr, _) = self.target(&topology, s, false)?;
                    self.node(&addr, false)?
                }
                None => self.any_primary().await?,
            };
            return node.call_pipeline(pipeline).await;
        }
        let calls: Vec<_> = cmds.into_iter().map(|cmd| self.run(cmd)).collect();
        Ok(super::multi::join_all(calls).await)
    }

    /// Reads the slot map now (it is otherwise read on first use, on
    /// `MOVED`, on connection loss and periodically).
    pub async fn refresh_topology(&self) -> Result<()> {
        self.refresh(true).await
    }

    /// The addresses of the primaries, as the last slot map read says.
    pub fn primaries(&self) -> Vec<String> {
        self.topology()
            .map(|t| {
                t.primaries()
                    .iter()
                    .map(|(h, p)| format!("{h}:{p}"))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn topology(&self) -> Option<Arc<Topology>> {
        self.inner
            .topology
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) async fn ensure_topology(&self) -> Result<Arc<Topology>> {
        if let Some(t) = self.topology() {
            return Ok(t);
        }
        self.refresh(true).await?;
        self.topology()
            .ok_or_else(|| Error::connection("no cluster node answered CLUSTER SLOTS"))
    }

    /// Reads `CLUSTER SLOTS` from a known node (or a seed). Only one read
    /// runs at a time; unless `force`, none runs within [`MIN_REFRESH_INTERVAL`] of the last.
    async fn refresh(&self, force: bool) -> Result<()> {
        let mut last = self.inner.refresh.lock().await;
        if let Some(t) = *last {
            if !force && t.elapsed() < MIN_REFRESH_INTERVAL {
                return Ok(());
            }
            if force && t.elapsed() < MIN_REFRESH_INTERVAL && self.topology().is_some() {
                return Ok(());
            }
        }
        let mut candidates = self.topology().map(|t| t.nodes()).unwrap_or_default();
        for s in &self.inner.seeds {
            if !candidates.contains(s) {
                candidates.push(s.clone());
            }
        }
        let mut last_error = Error::connection("no cluster seed nodes");
        for addr in candidates {
            let node = self.node(&addr, false)?;
            match node.call(("CLUSTER", "SLOTS")).await {
                Ok(reply) => match Topology::from_cluster_slots(reply, &addr) {
                    Ok(t) => {
                        self.install(t);
                        *last = Some(Instant::now());
                        return Ok(());
                    }
                    Err(e) => last_error = e,
                },
                Err(e) => last_error = e,
            }
        }
        *last = Some(Instant::now());
        Err(last_error.with_context("reading the cluster's slot map"))
    }

    fn install(&self, topology: Topology) {
        let live = topology.nodes();
        let first = {
            let mut slot = self
                .inner
                .topology
                .write()
                .unwrap_or_else(|p| p.into_inner());
            let first = slot.is_none();
            *slot = Some(Arc::new(topology));
            first
        };
        // Forget connections to nodes that left the cluster.
        self.inner
            .nodes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(addr, _), _| live.contains(addr) || self.inner.seeds.contains(addr));
        if first {
            if let Some(every) = self.inner.refresh_interval {
                spawn_periodic_refresh(Arc::downgrade(&self.inner), every);
            }
        }
    }

    /// Reads the slot map again in the background (rate-limited).
    pub(super) fn refresh_soon(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.refresh(false).await;
        });
    }

    /// The settings for a connection to `addr`: the template's, with that address.
    pub(super) fn node_config(&self, addr: &NodeAddr) -> Config {
        let mut config = self.inner.template.clone();
        config.addr = ServerAddr::Tcp {
            host: addr.0.clone(),
            port: addr.1,
        };
        config
    }

    /// The client for one node (created on first use).
    pub(super) fn node(&self, addr: &NodeAddr, readonly: bool) -> Result<Client> {
        let mut nodes = self.inner.nodes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = nodes.get(&(addr.clone(), readonly)) {
            return Ok(c.clone());
        }
        let mut config = self.inner.template.clone();
        config.addr = ServerAddr::Tcp {
            host: addr.0.clone(),
            port: addr.1,
        };
        config.readonly = readonly;
        // Keeps the cluster's event hub (`Client::new` would drop it).
        let client = Client::with_mode(config, false)?;
        nodes.insert((addr.clone(), readonly), client.clone());
        Ok(client)
    }

    /// A receiver of the [`ConnectionEvent`](crate::ConnectionEvent)s of
    /// every node connection (request/reply and pub/sub) from now on; each
    /// event names its node. See [`ConnectionEvents`](crate::ConnectionEvents).
    pub fn events(&self) -> crate::ConnectionEvents {
        self.inner
            .template
            .events
            .clone()
            .unwrap_or_default()
            .subscribe()
    }

    /// Where to send a command for `slot`: the primary, or a replica for reads.
    fn target(&self, topology: &Topology, slot: u16, read: bool) -> Result<(NodeAddr, bool)> {
        let range = topology.range_for(slot).ok_or_else(|| {
            self.refresh_soon();
            Error::new(
                ErrorKind::Connection,
                format!("no node serves slot {slot} (the cluster may be resharding or down)"),
            )
        })?;
        if read && self.inner.read_from != ReadFrom::Primary && !range.replicas.is_empty() {
            let i = self.inner.next.fetch_add(1, Ordering::Relaxed) % range.replicas.len();
            if let Some(r) = range.replicas.get(i) {
                return Ok((r.clone(), true));
            }
        }
        Ok((range.primary.clone(), false))
    }

    /// Any primary, in turn.
    pub(super) async fn any_primary(&self) -> Result<Client> {
        let t = self.ensure_topology().await?;
        let primaries = t.primaries();
        let i = self.inner.next.fetch_add(1, Ordering::Relaxed) % primaries.len().max(1);
        let addr = primaries
            .get(i)
            .ok_or_else(|| Error::connection("the cluster has no primaries"))?;
        self.node(addr, false)
    }

    /// Sends `cmd` to the node serving `slot`, following redirects.
    pub(super) async fn send_to_slot(&self, slot: u16, read: bool, cmd: &Cmd) -> Result<Value> {
        let topology = self.ensure_topology().await?;
        let (mut addr, mut readonly) = self.target(&topology, slot, read)?;
        let mut asking = false;
        let mut redirects = 0;
        let mut backoff = Duration::from_millis(10);
        let started = Instant::now();
        loop {
            let node = self.node(&addr, readonly)?;
            let reply = if asking {
                asking_call(&node, cmd).await
            } else {
                node.call(cmd).await
            };
            let error = match reply {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match error.code() {
                Some("MOVED") | Some("ASK") if redirects < self.inner.max_redirects => {
                    redirects += 1;
                    asking = error.code() == Some("ASK");
                    addr = redirect_target(&error)?;
                    readonly = false;
                    if !asking {
                        self.refresh_soon();
                    }
                }
                Some("TRYAGAIN") | Some("CLUSTERDOWN")
                    if started.elapsed() < self.inner.retry_window =>
                {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(200));
                    let _ = self.refresh(false).await;
                    let topology = self.ensure_topology().await?;
                    (addr, readonly) = self.target(&topology, slot, read)?;
                    asking = false;
                }
                _ if error.is_connection() || error.is_timeout() => {
                    self.refresh_soon();
                    if readonly && self.inner.read_from == ReadFrom::PreferReplica {
                        // A read that could not reach a replica: ask the primary instead.
                        let topology = self.ensure_topology().await?;
                        (addr, readonly) = self.target(&topology, slot, false)?;
                        continue;
                    }
                    return Err(error);
                }
                _ => return Err(error),
            }
        }
    }

    /// Routes and runs one command.
    async fn run(&self, cmd: Cmd) -> Result<Value> {
        cmd.validate()?;
        // Refuses connection-state commands, as on a shared client.
        routing::route(&cmd, false)?;
        let Some(info) = routing::info_of(&cmd) else {
            return self.any_primary().await?.call(&cmd).await;
        };
        let args: Vec<&[u8]> = cmd.arg_slices().collect();
        let positions = key_positions(info, &args);
        let read = info.flags.contains(CommandFlags::READONLY);
        if positions.is_empty() {
            return super::multi::keyless(self, info, &cmd).await;
        }
        let slots: Vec<u16> = positions
            .iter()
            .filter_map(|&p| args.get(p))
            .map(|k| key_slot(k))
            .collect();
        let first = slots.first().copied().unwrap_or(0);
        if slots.iter().all(|s| *s == first) {
            return self.send_to_slot(first, read, &cmd).await;
        }
        super::multi::split(self, info, &args, &positions, &slots, read).await
    }
}

/// `ASKING` then the command, back to back on the same connection.
///
/// ASKING changes the connection's state only for the very next command, so
/// sending the two in one contiguous write is safe on a shared connection
/// (which is why this bypasses the pipeline's routing checks).
///
/// A blocking command would hold the node's shared connection for its whole
/// timeout: its pair runs on a connection of its own to the node, closed after.
async fn asking_call(node: &Client, cmd: &Cmd) -> Result<Value> {
    cmd.validate()?;
    let mut bytes = bytes::BytesMut::with_capacity(cmd.encoded_len() + 16);
    bytes.extend_from_slice(b"*1\r\n$6\r\nASKING\r\n");
    cmd.write_to(&mut bytes);
    let blocks = routing::Route::of(routing::info_of(cmd), cmd).blocks();
    let own;
    let node = if blocks {
        let mut config = node.config().clone();
        // The command's own timeout bounds the wait, as on a side connection.
        config.read_timeout = None;
        own = node.sibling(config, true)?;
        &own
    } else {
        node
    };
    node.permit().await?;
    let rx = node.enqueue_encoded(bytes, 2, blocks.then_some(None), false)?;
    let name = CommandName::of(cmd);
    match crate::client::request::finish_rx::<Value>(&name, rx.await)? {
        Value::Array(mut replies) if replies.len() == 2 => match replies.pop() {
            Some(Value::Error(e)) => Err(name.attach(Error::from_server(e))),
            Some(v) => Ok(v),
            None => Err(Error::protocol("ASKING pair returned no reply")),
        },
        other => Err(Error::protocol(format!(
            "ASKING pair answered {}",
            other.shape()
        ))),
    }
}

/// The node named by a `MOVED slot host:port` or `ASK slot host:port` error.
fn redirect_target(error: &Error) -> Result<NodeAddr> {
    let message = error
        .server_error()
        .map(|s| s.message())
        .unwrap_or_default();
    let addr = message.split_whitespace().nth(1).unwrap_or_default();
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse::<u16>().ok()?,
            ))
        })
        .ok_or_else(|| Error::protocol(format!("cannot parse the redirect {message:?}")))?;
    Ok((host.to_string(), port))
}

fn spawn_periodic_refresh(inner: Weak<Inner>, every: Duration) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(inner) = inner.upgrade() else { return };
            let _ = ClusterClient { inner }.refresh(false).await;
        }
    });
}

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
        let name = CommandName::of(&cmd);
        ClusterRequest {
            fut: Box::pin(self.run(cmd)),
            name,
            _reply: PhantomData,
        }
    }
}
