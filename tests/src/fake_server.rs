//! [`FakeServer`]: a scripted TCP server that speaks just enough RESP to get
//! a client through its handshake, then answers commands with whatever bytes
//! a test script returns — typically malformed ones.
//!
//! Like [`FaultProxy`](crate::FaultProxy), it runs on its own thread with its
//! own tokio runtime, so its methods are plain synchronous calls and it keeps
//! serving whatever the test's runtime does.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// What the server does in answer to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Writes these bytes and keeps the connection open.
    Bytes(Vec<u8>),
    /// Writes these bytes, waits this long, then closes the connection.
    BytesThenClose(Vec<u8>, Duration),
    /// Writes nothing and keeps the connection open.
    Silence,
}

impl Reply {
    /// A well-formed bulk string reply.
    pub fn bulk(payload: &[u8]) -> Reply {
        let mut out = format!("${}\r\n", payload.len()).into_bytes();
        out.extend_from_slice(payload);
        out.extend_from_slice(b"\r\n");
        Reply::Bytes(out)
    }

    /// Raw bytes, sent as they are.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::Bytes(bytes.into())
    }
}

/// How the handshake goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handshake {
    /// `HELLO 3` gets a RESP3 map: the client speaks RESP3.
    #[default]
    Resp3,
    /// `HELLO` is an unknown command: the client falls back to RESP2.
    Resp2,
    /// `HELLO` gets bytes that are not RESP.
    Malformed,
}

type Script = dyn Fn(&[Vec<u8>]) -> Reply + Send + Sync;

struct Shared {
    handshake: Handshake,
    script: Box<Script>,
    connections: AtomicU64,
    commands: AtomicU64,
}

/// A scripted server on a free port of 127.0.0.1, stopped (with its
/// connections closed) when dropped.
///
/// The handshake commands are answered by the server itself: `HELLO` (see
/// [`Handshake`]), `AUTH`, `CLIENT`, `SELECT` with `+OK`, `INFO` with a Redis 7.2.6
/// version line, and `PING` with
/// `+PONG`. Every other command goes to the script, which gets the
/// command's arguments (the name first, as sent) and returns a [`Reply`].
///
/// ```no_run
/// use tornadis_tests::fake_server::{FakeServer, Handshake, Reply};
///
/// let server = FakeServer::start(Handshake::Resp3, |args| match args.get(1) {
///     Some(key) if key == b"bad" => Reply::raw("?what\r\n"),
///     _ => Reply::bulk(b"fine"),
/// });
/// // point a client at server.url(); server.connections() counts its connections.
/// ```
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .field("handshake", &self.shared.handshake)
            .field("connections", &self.connections())
            .finish()
    }
}

impl FakeServer {
    /// Starts the server with a handshake mode and a script for every
    /// command that is not part of the handshake.
    ///
    /// # Panics
    /// If the server cannot listen or start its thread.
    pub fn start<F>(handshake: Handshake, script: F) -> FakeServer
    where
        F: Fn(&[Vec<u8>]) -> Reply + Send + Sync + 'static,
    {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .unwrap_or_else(|e| panic!("FakeServer: cannot listen: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("FakeServer: no local address: {e}"));
        let shared = Arc::new(Shared {
            handshake,
            script: Box::new(script),
            connections: AtomicU64::new(0),
            commands: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("FakeServer: cannot build a runtime: {e}"));
        let (shutdown, stopped) = oneshot::channel();
        let task_shared = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("fake-server-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => tokio::select! {
                            () = accept_loop(listener, task_shared) => {}
                            _ = stopped => {}
                        },
                        Err(e) => eprintln!("FakeServer: cannot register listener: {e}"),
                    }
                });
                // Dropping the runtime cancels the connection tasks, closing their sockets.
                drop(runtime);
            })
            .unwrap_or_else(|e| panic!("FakeServer: cannot spawn its thread: {e}"));
        FakeServer {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `"redis://127.0.0.1:PORT"`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Commands handed to the script so far (handshake commands excluded).
    pub fn commands(&self) -> u64 {
        self.shared.commands.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
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
        match listener.accept().await {
            Ok((stream, _)) => {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Serves one connection until the client closes it, a script closes it, or
/// the client sends something that is not a RESP array of bulk strings.
async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some((args, used)) = match parse_request(&buf) {
            Ok(r) => r,
            Err(()) => return,
        } {
            buf.drain(..used);
            let reply = answer(&shared, &args);
            match reply {
                Reply::Bytes(bytes) => {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Reply::BytesThenClose(bytes, wait) => {
                    let _ = stream.write_all(&bytes).await;
                    tokio::time::sleep(wait).await;
                    return;
                }
                Reply::Silence => {}
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
}

fn answer(shared: &Shared, args: &[Vec<u8>]) -> Reply {
    let name = args
        .first()
        .map(|n| n.to_ascii_uppercase())
        .unwrap_or_default();
    match name.as_slice() {
        b"HELLO" => match shared.handshake {
            Handshake::Resp3 => Reply::raw(
                "%3\r\n+server\r\n+fake\r\n+version\r\n+7.2.6\r\n+proto\r\n:3\r\n".as_bytes(),
            ),
            Handshake::Resp2 => Reply::raw("-ERR unknown command 'HELLO'\r\n".as_bytes()),
            Handshake::Malformed => Reply::raw("?garbage\r\n".as_bytes()),
        },
        b"AUTH" | b"CLIENT" | b"SELECT" => Reply::raw("+OK\r\n".as_bytes()),
        // The handshake asks a RESP2 server which server it is.
        b"INFO" => Reply::raw("$21\r\nredis_version:7.2.6\r\n\r\n".as_bytes()),
        b"PING" => Reply::raw("+PONG\r\n".as_bytes()),
        _ => {
            shared.commands.fetch_add(1, Ordering::SeqCst);
            (shared.script)(args)
        }
    }
}

/// A request's arguments and how many bytes it took.
type Parsed = (Vec<Vec<u8>>, usize);

/// Parses one request (`*N` then N bulk strings) from the front of `buf`:
/// `Ok(None)` when more bytes are needed, `Err` when it is not a request.
fn parse_request(buf: &[u8]) -> Result<Option<Parsed>, ()> {
    let Some((count, mut at)) = header(buf, 0, b'*')? else {
        return Ok(None);
    };
    let mut args = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let Some((len, start)) = header(buf, at, b'$')? else {
            return Ok(None);
        };
        let end = start.checked_add(len).ok_or(())?;
        let Some(arg) = buf.get(start..end) else {
            return Ok(None);
        };
        match buf.get(end..end + 2) {
            None => return Ok(None),
            Some(b"\r\n") => {}
            Some(_) => return Err(()),
        }
        args.push(arg.to_vec());
        at = end + 2;
    }
    Ok(Some((args, at)))
}

/// Reads `<ty><decimal>\r\n` at `at`: the number and where the line ends.
fn header(buf: &[u8], at: usize, ty: u8) -> Result<Option<(usize, usize)>, ()> {
    let Some(&first) = buf.get(at) else {
        return Ok(None);
    };
    if first != ty {
        return Err(());
    }
    let rest = buf.get(at + 1..).unwrap_or_default();
    let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
        return Ok(None);
    };
    let digits = rest.get(..cr).unwrap_or_default();
    let n = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .ok_or(())?;
    if rest.len() < cr + 2 {
        return Ok(None);
    }
    Ok(Some((n, at + 1 + cr + 2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests_and_waits_for_more() {
        let req = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        let (args, used) = parse_request(req).unwrap().unwrap();
        assert_eq!(args, vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(used, req.len());
        for cut in 0..req.len() {
            assert_eq!(parse_request(&req[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(parse_request(b"PING\r\n"), Err(()));
        assert_eq!(parse_request(b"*1\r\n$1\r\nab\r\n"), Err(()));
    }
}
