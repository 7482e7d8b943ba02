//! A minimal blocking RESP exchange, independent of the client under test.
//!
//! It only understands single-line replies (`+OK`, `-ERR …`, `:1`), which is
//! all the fixtures need to tell whether a server answers (AUTH, PING).
//! Tests may use it too, to speak to a server or a proxy over a raw socket.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long one probe may take to connect, write or read.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// Encodes a command as a RESP array of bulk strings.
///
/// ```
/// assert_eq!(tornadis_tests::raw::encode(&["PING"]), b"*1\r\n$4\r\nPING\r\n");
/// ```
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one reply line (without its `\r\n`), e.g. `+PONG` or `-NOAUTH …`.
///
/// Reads byte by byte so that nothing after the line is consumed: a
/// following reply stays in the socket for the next call. Bulk and array
/// replies are not understood: their first line is returned as is.
pub fn read_line(stream: &mut impl Read) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if stream.read(&mut byte)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed after {:?}",
                    String::from_utf8_lossy(&line)
                ),
            ));
        }
        line.push(byte[0]);
        if line.ends_with(b"\r\n") {
            line.truncate(line.len() - 2);
            return String::from_utf8(line)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e));
        }
        if line.len() > 64 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "reply line longer than 64 KiB",
            ));
        }
    }
}

/// Sends each command and reads one reply line for each, in order.
pub fn exchange<S: Read + Write, A: AsRef<[u8]>>(
    stream: &mut S,
    commands: &[&[A]],
) -> io::Result<Vec<String>> {
    let mut request = Vec::new();
    for command in commands {
        request.extend_from_slice(&encode(command));
    }
    stream.write_all(&request)?;
    stream.flush()?;
    commands.iter().map(|_| read_line(stream)).collect()
}

/// Credentials for [`ping_tcp`] / [`ping_unix`]: `AUTH` is sent first when
/// a password is given (with the user name, if any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// ACL user name; `None` authenticates the default user.
    pub user: Option<String>,
    /// Password; `None` sends no `AUTH`.
    pub password: Option<String>,
}

/// Connects to `addr` and checks that the server answers `PING` with
/// `+PONG` (after `AUTH` if `auth` has a password). The error explains
/// what went wrong.
pub fn ping_tcp(addr: impl ToSocketAddrs, auth: &Auth) -> Result<(), String> {
    let addr: SocketAddr = addr
        .to_socket_addrs()
        .map_err(|e| format!("bad address: {e}"))?
        .next()
        .ok_or("address resolved to nothing")?;
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| format!("socket options: {e}"))?;
    ping_on(&mut stream, auth).map_err(|e| format!("{addr}: {e}"))
}

/// Like [`ping_tcp`], over the unix socket at `path`.
pub fn ping_unix(path: &Path, auth: &Auth) -> Result<(), String> {
    let mut stream =
        UnixStream::connect(path).map_err(|e| format!("connect to {}: {e}", path.display()))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| format!("socket options: {e}"))?;
    ping_on(&mut stream, auth).map_err(|e| format!("{}: {e}", path.display()))
}

fn ping_on<S: Read + Write>(stream: &mut S, auth: &Auth) -> Result<(), String> {
    let mut commands: Vec<Vec<&str>> = Vec::new();
    if let Some(password) = &auth.password {
        match &auth.user {
            Some(user) => commands.push(vec!["AUTH", user, password]),
            None => commands.push(vec!["AUTH", password]),
        }
    }
    commands.push(vec!["PING"]);
    let commands: Vec<&[&str]> = commands.iter().map(Vec::as_slice).collect();
    let replies = exchange(stream, &commands).map_err(|e| e.to_string())?;
    match replies.last().map(String::as_str) {
        Some("+PONG") if replies.iter().all(|r| r.starts_with('+')) => Ok(()),
        _ => Err(format!("unexpected replies {replies:?}")),
    }
}
