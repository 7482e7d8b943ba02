//! Opening a connection: the socket (TCP, TLS over TCP, or unix), its options, and the
//! handshake (`HELLO 3` with fallback to RESP2, `AUTH`, `SELECT`, `CLIENT SETNAME`,
//! `CLIENT SETINFO`), which also learns the server's kind and version.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

use crate::cmd::Cmd;
use crate::command_info::ServerInfo;
use crate::config::{Config, Protocol, ServerAddr};
use crate::error::{Error, ErrorKind, Result};
use crate::observe::{PeerInfo, System};
use crate::resp::{Decoder, Value};

/// An open byte stream to the server.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(crate::tls::TlsStream),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A connection that has passed its handshake.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) stream: Stream,
    /// Bytes read past the last handshake reply (normally empty).
    pub(crate) read_buf: BytesMut,
    pub(crate) decoder: Decoder,
    /// The protocol the server agreed to.
    pub(crate) protocol: Protocol,
    /// When to authenticate again (the credentials provider said).
    pub(crate) refresh_after: Option<std::time::Duration>,
    /// Where the connection ended up, and what server it is (for telemetry).
    pub(crate) peer: PeerInfo,
    /// The server's kind and version, when the handshake could learn them.
    pub(crate) server: Option<ServerInfo>,
}

/// Opens a socket to `config.addr` and runs the handshake, all within
/// `connect_timeout` (which also bounds asking the credentials provider).
pub(crate) async fn connect(config: &Config) -> Result<Connection> {
    let started = tokio::time::Instant::now();
    let creds = crate::credentials::ForConnection::ask(config).await?;
    let config = creds.config.as_ref().unwrap_or(config);
    let open = async {
        let (stream, peer) = open_stream(config).await?;
        handshake(config, stream, peer).await
    };
    let opened = match config.connect_timeout {
        Some(t) => tokio::time::timeout(t.saturating_sub(started.elapsed()), open).await.unwrap_or_else(|_| {
            Err(Error::timeout(format!(
                "connecting to {} took longer than the connect timeout of {:?}; check the server is reachable or raise connect_timeout",
                config.addr, t
            )))
        }),
        None => open.await,
    };
    opened.map(|conn| Connection {
        refresh_after: creds.refresh_after,
        ..conn
    })
}

async fn open_stream(config: &Config) -> Result<(Stream, PeerInfo)> {
    match &config.addr {
        ServerAddr::Tcp { host, port } => {
            let stream = TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| {
                    Error::connection(format!(
                        "cannot connect to {}; is redis-server running there?",
                        config.addr
                    ))
                    .with_source(e)
                })?;
            stream.set_nodelay(config.tcp_nodelay).map_err(|e| {
                Error::connection(format!(
                    "cannot set TCP_NODELAY on the connection to {}",
                    config.addr
                ))
                .with_source(e)
            })?;
            if let Some(idle) = config.tcp_keepalive {
                set_keepalive(&stream, idle).map_err(|e| {
                    Error::connection(format!(
                        "cannot turn on TCP keepalive on the connection to {}",
                        config.addr
                    ))
                    .with_source(e)
                })?;
            }
            let peer = PeerInfo::tcp(stream.peer_addr().ok());
            #[cfg(feature = "tls")]
            if let Some(tls) = &config.tls {
                return crate::tls::connect(tls, host, &config.addr, stream)
                    .await
                    .map(|s| (Stream::Tls(s), peer));
            }
            Ok((Stream::Tcp(stream), peer))
        }
        // TLS settings do not apply here: Redis serves plain RESP on its unix socket.
        ServerAddr::Unix(path) => {
            let stream = UnixStream::connect(path).await.map_err(|e| {
                Error::connection(format!(
                    "cannot connect to unix socket {}; is redis-server listening there?",
                    path.display()
                ))
                .with_source(e)
            })?;
            Ok((Stream::Unix(stream), PeerInfo::unix(path)))
        }
    }
}

/// Turns on TCP keepalive: probes after `idle` without traffic, then every
/// [`KEEPALIVE_INTERVAL`](crate::config_defaults::KEEPALIVE_INTERVAL) where the platform allows it.
fn set_keepalive(stream: &TcpStream, idle: std::time::Duration) -> io::Result<()> {
    // Linux takes whole seconds up to 32,767 (about 9 h): saturate there
    // rather than fail the connection over a huge setting.
    let idle = idle.clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(32_767),
    );
    let keepalive = socket2::TcpKeepalive::new().with_time(idle);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "windows"
    ))]
    let keepalive = keepalive.with_interval(crate::config_defaults::KEEPALIVE_INTERVAL);
    socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive)
}

/// Sends one command and reads its reply (only used during the handshake,
/// before the connection is shared).
async fn round_trip(conn: &mut Connection, addr: &ServerAddr, cmd: &Cmd) -> Result<Value> {
    let mut out = BytesMut::with_capacity(cmd.encoded_len());
    cmd.write_to(&mut out);
    conn.stream
        .write_all(&out)
        .await
        .map_err(|e| Error::connection("connection lost during the handshake").with_source(e))?;
    read_reply(conn, addr).await
}

/// Reads the next reply of the handshake.
async fn read_reply(conn: &mut Connection, addr: &ServerAddr) -> Result<Value> {
    loop {
        let decoded = match conn.decoder.decode(&mut conn.read_buf) {
            Ok(v) => v,
            Err(e) => return Err(not_resp(addr, &conn.read_buf, e)),
        };
        if let Some(v) = decoded {
            // RESP3 servers may push messages at any time; none are expected
            // during the handshake, so skip them rather than mistake them for replies.
            if matches!(v, Value::Push(_)) {
                continue;
            }
            return Ok(v);
        }
        conn.read_buf.reserve(4096);
        let n = conn
            .stream
            .read_buf(&mut conn.read_buf)
            .await
            .map_err(|e| {
                Error::connection("connection lost during the handshake").with_source(e)
            })?;
        if n == 0 {
            return Err(Error::connection(
                "the server closed the connection during the handshake (too many clients, or a protected-mode refusal?)",
            ));
        }
    }
}

/// The error for a handshake reply that is not RESP: the peer is most
/// likely not a Redis server at all (a web server, another database, a TLS
/// port spoken to in plain text). Shows its first bytes, escaped.
fn not_resp(addr: &ServerAddr, buf: &[u8], cause: Error) -> Error {
    let head = &buf[..buf.len().min(24)];
    let shown: String = head.escape_ascii().to_string();
    let hint = if head.starts_with(b"HTTP/") {
        " (an HTTP server)"
    } else if head.first() == Some(&0x15) || head.first() == Some(&0x16) {
        " (a TLS endpoint: use rediss:// and the `tls` feature)"
    } else {
        ""
    };
    Error::protocol(format!(
        "the peer at {addr} is not a Redis server{hint}: it answered the handshake with          \"{shown}\", which is not RESP; check the host and port ({})",
        cause.detail()
    ))
}

/// The handshake's authentication was refused (`WRONGPASS`, `NOAUTH`,
/// `NOPERM`, ...): says which credentials were used, never the password.
fn auth_error(config: &Config, value: Value, what: &str) -> Error {
    let e = match value {
        Value::Error(e) => e,
        other => return Error::protocol(format!("unexpected reply to {what}: {}", other.shape())),
    };
    let detail = match (&config.password, e.code()) {
        (None, "NOAUTH") => format!(
            "the server at {} needs a password and none is configured; set one (ConfigBuilder::password or redis://:password@host)",
            config.addr
        ),
        (None, _) => format!("the server at {} refused the connection", config.addr),
        (Some(_), _) => format!(
            "the server at {} refused the configured credentials (user {:?}); check the user name and password",
            config.addr,
            config.username.as_deref().unwrap_or("default")
        ),
    };
    Error::new(ErrorKind::Auth, detail)
        .with_server(e)
        .with_command(what.to_string())
}

async fn handshake(config: &Config, stream: Stream, peer: PeerInfo) -> Result<Connection> {
    let mut conn = Connection {
        stream,
        read_buf: BytesMut::with_capacity(config.read_buffer_size),
        decoder: Decoder::new(crate::resp::DecoderLimits {
            max_frame_len: config.max_reply_size,
            ..Default::default()
        }),
        protocol: Protocol::Resp2,
        refresh_after: None,
        peer,
        server: None,
    };
    let mut authenticated = false;
    if config.protocol == Protocol::Resp3 {
        let mut hello = crate::cmd::cmd("HELLO");
        hello.arg("3");
        if let Some(pw) = &config.password {
            hello
                .arg("AUTH")
                .arg(config.username.as_deref().unwrap_or("default"))
                .arg(pw.expose());
        }
        if let Some(name) = &config.client_name {
            hello.arg("SETNAME").arg(name.as_str());
        }
        match round_trip(&mut conn, &config.addr, &hello).await? {
            Value::Error(e) if is_unknown_hello(e.as_bytes()) => {
                // Servers before 6.0 do not know HELLO (or refuse RESP3): speak RESP2.
            }
            Value::Error(e) => return Err(auth_error(config, Value::Error(e), "HELLO")),
            reply => {
                conn.peer.system = System::from_hello(&reply);
                conn.protocol = Protocol::Resp3;
                conn.server = server_from_hello(&reply);
                authenticated = true;
            }
        }
    }
    if !authenticated {
        if let Some(pw) = &config.password {
            let mut auth = crate::cmd::cmd("AUTH");
            if let Some(user) = &config.username {
                auth.arg(user.as_str());
            }
            auth.arg(pw.expose());
            match round_trip(&mut conn, &config.addr, &auth).await? {
                Value::SimpleString(_) => {}
                other => return Err(auth_error(config, other, "AUTH")),
            }
        }
        if let Some(name) = &config.client_name {
            let mut setname = crate::cmd::cmd("CLIENT");
            setname.arg("SETNAME").arg(name.as_str());
            if let Value::Error(e) = round_trip(&mut conn, &config.addr, &setname).await? {
                return Err(Error::from_server(e).with_command("CLIENT SETNAME"));
            }
        }
    }
    describe(&mut conn, &config.addr).await?;
    if config.client_cache.is_some() {
        enable_tracking(config, &mut conn).await?;
    }
    if config.db != 0 {
        let mut select = crate::cmd::cmd("SELECT");
        select.arg(config.db);
        if let Value::Error(e) = round_trip(&mut conn, &config.addr, &select).await? {
            // Not an authentication failure: the database does not exist
            // (out of range of the server's `databases`), or the user may
            // not select it.
            return Err(Error::from_server(e)
                .with_context(format!(
                    "selecting database {} from the configuration failed (the server has \
                     `databases` numbered from 0; a cluster has db 0 only)",
                    config.db
                ))
                .with_command(format!("SELECT {}", config.db)));
        }
    }
    if config.readonly {
        // A cluster replica serves reads only to connections that ask for it.
        if let Value::Error(e) =
            round_trip(&mut conn, &config.addr, &crate::cmd::cmd("READONLY")).await?
        {
            return Err(Error::from_server(e).with_command("READONLY"));
        }
    }
    Ok(conn)
}

/// Learns the server's kind and version where `HELLO` did not say them
/// (RESP2: `INFO server`), and names this library to the server (`CLIENT
/// SETINFO`, Redis 7.2 and Valkey). Servers without these commands, or with
/// ACLs that refuse them, answer errors, which are ignored: neither is needed
/// to serve requests.
async fn describe(conn: &mut Connection, addr: &ServerAddr) -> Result<()> {
    let mut cmds = Vec::with_capacity(3);
    if conn.server.is_none() {
        let mut info = crate::cmd::cmd("INFO");
        info.arg("server");
        cmds.push(info);
    }
    for (attr, value) in [
        ("lib-name", "tornadis"),
        ("lib-ver", env!("CARGO_PKG_VERSION")),
    ] {
        let mut setinfo = crate::cmd::cmd("CLIENT");
        setinfo.arg("SETINFO").arg(attr).arg(value);
        cmds.push(setinfo);
    }
    let replies = round_trips(conn, addr, &cmds).await?;
    if conn.server.is_none() {
        conn.server = replies.first().and_then(server_from_info);
    }
    Ok(())
}

/// Sends several commands in one write and reads their replies in order.
async fn round_trips(conn: &mut Connection, addr: &ServerAddr, cmds: &[Cmd]) -> Result<Vec<Value>> {
    let mut out = BytesMut::with_capacity(cmds.iter().map(Cmd::encoded_len).sum());
    cmds.iter().for_each(|c| c.write_to(&mut out));
    conn.stream
        .write_all(&out)
        .await
        .map_err(|e| Error::connection("connection lost during the handshake").with_source(e))?;
    let mut replies = Vec::with_capacity(cmds.len());
    while replies.len() < cmds.len() {
        replies.push(read_reply(conn, addr).await?);
    }
    Ok(replies)
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Bulk(b) | Value::SimpleString(b) | Value::Verbatim { text: b, .. } => {
            std::str::from_utf8(b).ok()
        }
        _ => None,
    }
}

/// The `server` and `version` fields of a `HELLO` reply (a map in RESP3).
fn server_from_hello(reply: &Value) -> Option<ServerInfo> {
    let Value::Map(pairs) = reply else {
        return None;
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| text(k) == Some(name))
            .and_then(|(_, v)| text(v))
    };
    ServerInfo::from_hello(field("server")?, field("version")?)
}

fn server_from_info(reply: &Value) -> Option<ServerInfo> {
    ServerInfo::from_info(text(reply)?)
}

/// Turns on `CLIENT TRACKING` for client-side caching. Invalidations come
/// as RESP3 pushes on this same connection, so a server that stayed on RESP2
/// cannot serve a cache.
async fn enable_tracking(config: &Config, conn: &mut Connection) -> Result<()> {
    if conn.protocol != Protocol::Resp3 {
        return Err(Error::client(format!(
            "client-side caching needs RESP3, and the server at {} refused HELLO 3 (Redis 6 or later is needed); \
             turn the client cache off for this server",
            config.addr
        )));
    }
    let mut tracking = crate::cmd::cmd("CLIENT");
    tracking.arg("TRACKING").arg("ON");
    if let Value::Error(e) = round_trip(conn, &config.addr, &tracking).await? {
        return Err(Error::from_server(e).with_command("CLIENT TRACKING"));
    }
    Ok(())
}

fn is_unknown_hello(text: &[u8]) -> bool {
    text.starts_with(b"NOPROTO") || text.starts_with(b"ERR unknown command")
}
