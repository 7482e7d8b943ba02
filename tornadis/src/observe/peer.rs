//! The server a connection actually reached: its socket address
//! (`network.peer.address`, `network.peer.port`) and what kind of server it
//! said it is in the handshake (`db.system.name`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::resp::Value;

/// The database system a connection talks to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum System {
    /// Redis, or a server that did not say (RESP2 has no `HELLO` reply).
    #[default]
    Redis,
    /// Valkey: its `HELLO` reply says `server: valkey`.
    Valkey,
}

impl System {
    /// The `db.system.name` value.
    #[cfg_attr(
        not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")),
        allow(dead_code)
    )]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            System::Redis => "redis",
            System::Valkey => "valkey",
        }
    }

    /// Reads the `server` field of a `HELLO` reply (a map in RESP3, a flat
    /// list of pairs otherwise).
    pub(crate) fn from_hello(reply: &Value) -> System {
        let is_valkey = |v: &Value| match v {
            Value::Bulk(b) | Value::SimpleString(b) => b.eq_ignore_ascii_case(b"valkey"),
            _ => false,
        };
        let is_server_key = |k: &Value| match k {
            Value::Bulk(b) | Value::SimpleString(b) => b.as_ref() == b"server",
            _ => false,
        };
        let valkey = match reply {
            Value::Map(pairs) => pairs.iter().any(|(k, v)| is_server_key(k) && is_valkey(v)),
            Value::Array(items) => items
                .chunks(2)
                .any(|p| matches!(p, [k, v] if is_server_key(k) && is_valkey(v))),
            _ => false,
        };
        if valkey {
            System::Valkey
        } else {
            System::Redis
        }
    }
}

/// Where one connection ended up, once it has passed its handshake.
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) struct PeerInfo {
    /// The peer's IP address, or the unix socket's path.
    pub(crate) address: Option<Arc<str>>,
    /// The peer's port (TCP only).
    pub(crate) port: Option<u16>,
    /// What the server said it is.
    pub(crate) system: System,
}

impl PeerInfo {
    /// A TCP (or TLS over TCP) peer.
    pub(crate) fn tcp(addr: Option<SocketAddr>) -> PeerInfo {
        PeerInfo {
            address: addr.map(|a| Arc::from(a.ip().to_string())),
            port: addr.map(|a| a.port()),
            system: System::Redis,
        }
    }

    /// A unix socket peer.
    pub(crate) fn unix(path: &Path) -> PeerInfo {
        PeerInfo {
            address: Some(Arc::from(path.display().to_string())),
            port: None,
            system: System::Redis,
        }
    }
}

/// The peer of a client's current connection, updated by its driver after
/// each handshake and read when an operation's span or metrics are recorded.
#[derive(Debug, Default)]
pub(crate) struct Peer {
    current: Mutex<Option<PeerInfo>>,
}

impl Peer {
    /// The driver connected to `info`.
    pub(crate) fn set(&self, info: PeerInfo) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(info);
    }

    /// The last connection's peer, if any connection was made.
    #[cfg_attr(
        not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")),
        allow(dead_code)
    )]
    pub(crate) fn get(&self) -> Option<PeerInfo> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The last connection's system (Redis until a handshake said otherwise).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn system(&self) -> System {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|p| p.system)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::Bulk(bytes::Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn reads_the_server_field_of_hello() {
        let map = Value::Map(vec![
            (bulk("server"), bulk("valkey")),
            (bulk("version"), bulk("9.1.0")),
        ]);
        assert_eq!(System::from_hello(&map), System::Valkey);
        let flat = Value::Array(vec![bulk("server"), bulk("redis"), bulk("proto")]);
        assert_eq!(System::from_hello(&flat), System::Redis);
        // A value that is not the server field does not count.
        let other = Value::Map(vec![(bulk("mode"), bulk("valkey"))]);
        assert_eq!(System::from_hello(&other), System::Redis);
        assert_eq!(System::from_hello(&Value::Nil), System::Redis);
    }
}
