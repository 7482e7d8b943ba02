//! [`FaultProxy`]: a TCP proxy between a client and a server that injects
//! network faults on command.
//!
//! It runs on its own thread with its own tokio runtime, so it keeps
//! forwarding whatever the test's runtime does (a `current_thread` runtime
//! busy in a test, paused time) and its methods are plain synchronous calls
//! usable from sync and async tests alike. Delays use real time.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

/// How long the proxy waits to connect to its target for a new client.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The faults applied to traffic, changed through [`FaultProxy`]'s methods.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    delay: Duration,
    blackhole: bool,
    drip: bool,
    refuse: bool,
}

/// An armed [`FaultProxy::cut_after`]: the connection that next carries
/// server data claims it, and is cut once `remaining` more bytes went out.
#[derive(Debug)]
struct CutTrigger {
    remaining: u64,
    owner: Option<u64>,
}

/// State shared between the handle and the proxy's tasks.
#[derive(Debug)]
struct Shared {
    target: SocketAddr,
    faults: watch::Sender<Faults>,
    /// Bumped by `cut_all`; every connection watches it.
    cut_epoch: watch::Sender<u64>,
    trigger: Mutex<Option<CutTrigger>>,
    next_id: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    active: AtomicU64,
    to_server: AtomicU64,
    to_client: AtomicU64,
    writes_to_client: AtomicU64,
    triggered_cuts: AtomicU64,
}

impl Shared {
    fn faults(&self) -> Faults {
        *self.faults.borrow()
    }

    /// How many of `n` server bytes connection `id` may forward, and
    /// whether it must be cut after forwarding them.
    fn claim(&self, id: u64, n: usize) -> (usize, bool) {
        let mut trigger = self.trigger.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(armed) = trigger.as_mut() else {
            return (n, false);
        };
        let owner = *armed.owner.get_or_insert(id);
        if owner != id {
            return (n, false);
        }
        match usize::try_from(armed.remaining) {
            Ok(remaining) if remaining <= n => {
                *trigger = None;
                (remaining, true)
            }
            _ => {
                armed.remaining -= n as u64;
                (n, false)
            }
        }
    }

    /// A connection that ends before its armed cut fired hands the trigger
    /// on to the next connection that carries server data.
    fn release(&self, id: u64) {
        let mut trigger = self.trigger.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(armed) = trigger.as_mut() {
            if armed.owner == Some(id) {
                armed.owner = None;
            }
        }
    }
}

/// A TCP proxy to a target address with switchable faults, stopped (with
/// all its connections closed) when dropped.
///
/// ```no_run
/// use std::time::Duration;
/// use tornadis_tests::{FaultProxy, RedisServer};
///
/// let server = RedisServer::start();
/// let proxy = FaultProxy::start(server.addr());
/// // connect the client under test to proxy.addr(), then:
/// proxy.set_delay(Duration::from_millis(50));
/// proxy.cut_after(3); // the next reply is cut after 3 bytes
/// proxy.cut_all();    // close every open connection
/// ```
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1 that forwards every
    /// connection to `target`.
    ///
    /// # Panics
    /// If `target` does not resolve or the proxy cannot start.
    pub fn start(target: impl ToSocketAddrs) -> FaultProxy {
        let target = target
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .unwrap_or_else(|| panic!("FaultProxy: target address does not resolve"));
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .unwrap_or_else(|e| panic!("FaultProxy: cannot listen: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("FaultProxy: no local address: {e}"));
        let shared = Arc::new(Shared {
            target,
            faults: watch::Sender::new(Faults::default()),
            cut_epoch: watch::Sender::new(0),
            trigger: Mutex::new(None),
            next_id: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            active: AtomicU64::new(0),
            to_server: AtomicU64::new(0),
            to_client: AtomicU64::new(0),
            writes_to_client: AtomicU64::new(0),
            triggered_cuts: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("FaultProxy: cannot build a runtime: {e}"));
        let (shutdown, stopped) = oneshot::channel();
        let task_shared = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("fault-proxy-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => tokio::select! {
                            () = accept_loop(listener, task_shared) => {}
                            _ = stopped => {}
                        },
                        Err(e) => eprintln!("FaultProxy: cannot register listener: {e}"),
                    }
                });
                // Dropping the runtime here cancels every connection task,
                // which closes their sockets.
                drop(runtime);
            })
            .unwrap_or_else(|e| panic!("FaultProxy: cannot spawn its thread: {e}"));
        FaultProxy {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `"127.0.0.1:PORT"` of the proxy.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// The proxy's address as a [`SocketAddr`].
    pub fn socket_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `"redis://127.0.0.1:PORT"` of the proxy.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// The address connections are forwarded to.
    pub fn target(&self) -> SocketAddr {
        self.shared.target
    }

    /// Closes every connection open right now (both sides). New connections
    /// are accepted as usual.
    pub fn cut_all(&self) {
        self.shared.cut_epoch.send_modify(|epoch| *epoch += 1);
    }

    /// Arms a one-shot cut: the connection that next carries data from the
    /// server forwards `n_bytes` more bytes of it to the client and is then
    /// closed, typically in the middle of a reply. `0` cuts it before any
    /// more data is forwarded. Arming again replaces the previous trigger.
    pub fn cut_after(&self, n_bytes: u64) {
        *self
            .shared
            .trigger
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(CutTrigger {
            remaining: n_bytes,
            owner: None,
        });
    }

    /// Waits `delay` before forwarding each chunk read, in both directions
    /// (each byte while [`drip`](Self::drip) is on). Zero turns it off.
    pub fn set_delay(&self, delay: Duration) {
        self.shared.faults.send_modify(|f| f.delay = delay);
    }

    /// While on, connections are accepted and kept open but nothing is
    /// forwarded in either direction. Data is held, not dropped (the
    /// proxy stops reading, so it waits in socket buffers): turning the
    /// blackhole off delivers it, like a network partition that heals.
    pub fn blackhole(&self, on: bool) {
        self.shared.faults.send_modify(|f| f.blackhole = on);
    }

    /// While on, data from the server is written to the client one byte at
    /// a time, each write flushed on its own (the client socket has
    /// `TCP_NODELAY`), so replies arrive in many small pieces.
    pub fn drip(&self, on: bool) {
        self.shared.faults.send_modify(|f| f.drip = on);
    }

    /// While on, new connections are accepted and closed at once, before
    /// anything is forwarded. Open connections are not affected.
    pub fn refuse(&self, on: bool) {
        self.shared.faults.send_modify(|f| f.refuse = on);
    }

    /// Turns every fault off and disarms [`cut_after`](Self::cut_after).
    pub fn heal(&self) {
        self.shared.faults.send_replace(Faults::default());
        *self
            .shared
            .trigger
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Connections accepted so far, refused ones included.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections closed at once because [`refuse`](Self::refuse) was on.
    pub fn connections_refused(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Connections open right now.
    pub fn active_connections(&self) -> u64 {
        self.shared.active.load(Ordering::SeqCst)
    }

    /// Bytes forwarded from clients to the server.
    pub fn bytes_to_server(&self) -> u64 {
        self.shared.to_server.load(Ordering::SeqCst)
    }

    /// Bytes forwarded from the server to clients.
    pub fn bytes_to_client(&self) -> u64 {
        self.shared.to_client.load(Ordering::SeqCst)
    }

    /// Separate writes made to clients (one per byte while dripping).
    pub fn writes_to_client(&self) -> u64 {
        self.shared.writes_to_client.load(Ordering::SeqCst)
    }

    /// How many [`cut_after`](Self::cut_after) triggers have fired.
    pub fn triggered_cuts(&self) -> u64 {
        self.shared.triggered_cuts.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if shared.faults().refuse {
            shared.refused.fetch_add(1, Ordering::SeqCst);
            drop(client);
            continue;
        }
        // Subscribe before spawning so a cut_all issued right after the
        // accept still reaches this connection.
        let cut = shared.cut_epoch.subscribe();
        tokio::spawn(connection(client, cut, Arc::clone(&shared)));
    }
}

/// Counts a connection as active while it lives, and hands on its claim of
/// a pending cut when it ends.
struct Active<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.shared.active.fetch_sub(1, Ordering::SeqCst);
        self.shared.release(self.id);
    }
}

async fn connection(client: TcpStream, mut cut: watch::Receiver<u64>, shared: Arc<Shared>) {
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    shared.active.fetch_add(1, Ordering::SeqCst);
    let _active = Active {
        shared: &shared,
        id,
    };
    let server =
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(shared.target)).await {
            Ok(Ok(server)) => server,
            // The client sees its connection closed, as if the server were down.
            _ => return,
        };
    // Small writes (drip, single replies) must leave at once.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    // Whichever side ends first ends the connection: both sockets are
    // dropped (closed) when this function returns.
    tokio::select! {
        _ = pump(client_read, server_write, Direction::ToServer, id, &shared) => {}
        _ = pump(server_read, client_write, Direction::ToClient, id, &shared) => {}
        _ = cut.changed() => {}
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    ToServer,
    ToClient,
}

/// Forwards one direction until EOF, an error or a triggered cut.
///
/// Counters are bumped just before each write, so a client that has
/// received some bytes always finds them counted.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    direction: Direction,
    id: u64,
    shared: &Shared,
) -> io::Result<()> {
    let mut faults = shared.faults.subscribe();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // While blackholed, read nothing (data waits in the kernel) …
        let _ = faults.wait_for(|f| !f.blackhole).await;
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        // … and forward nothing already read.
        let _ = faults.wait_for(|f| !f.blackhole).await;
        let current = shared.faults();
        let Some(chunk) = buf.get(..n) else {
            return Ok(());
        };
        if direction == Direction::ToServer {
            pause(current.delay).await;
            shared.to_server.fetch_add(n as u64, Ordering::SeqCst);
            to.write_all(chunk).await?;
            continue;
        }
        let (allowed, cut) = shared.claim(id, n);
        let chunk = chunk.get(..allowed).unwrap_or(chunk);
        if current.drip {
            for byte in chunk {
                pause(current.delay).await;
                shared.to_client.fetch_add(1, Ordering::SeqCst);
                shared.writes_to_client.fetch_add(1, Ordering::SeqCst);
                to.write_all(std::slice::from_ref(byte)).await?;
                to.flush().await?;
            }
        } else if !chunk.is_empty() {
            pause(current.delay).await;
            shared
                .to_client
                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
            shared.writes_to_client.fetch_add(1, Ordering::SeqCst);
            to.write_all(chunk).await?;
        }
        if cut {
            shared.triggered_cuts.fetch_add(1, Ordering::SeqCst);
            return Ok(());
        }
    }
}

async fn pause(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}
