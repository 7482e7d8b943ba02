//! The default timeouts, in one place, and why they are what they are.
//!
//! The aim (DESIGN.md invariant 9): with no option set, a request to a
//! frozen or unreachable server ends in an error within a documented time,
//! and a dead link is noticed even on an idle connection.
//!
//! | setting | default | peers |
//! |---|---|---|
//! | [`connect_timeout`](crate::ConfigBuilder::connect_timeout) | 2 s | redis-rs 1 s, go-redis 5 s, node-redis 5 s |
//! | [`read_timeout`](crate::ConfigBuilder::read_timeout) | 5 s | redis-rs 500 ms (response), go-redis 3 s (read), node-redis none |
//! | [`tcp_keepalive`](crate::ConfigBuilder::tcp_keepalive) | 30 s | go-redis 5 min (dialer), node-redis 5 s (socket), redis-rs off |
//!
//! - **Connect, 2 s.** A connection and its handshake (HELLO, AUTH, SELECT)
//!   take well under a millisecond on a LAN and a few round trips across
//!   regions; two seconds leaves room for a slow TLS handshake and a busy
//!   server, while an unreachable address fails fast.
//! - **Read, 5 s.** The read timeout is a silence limit: it fires when
//!   replies are awaited and *no byte at all* arrives for that long, so a
//!   large reply that keeps streaming never trips it. Ordinary commands
//!   answer in microseconds; the commands that legitimately take long are
//!   blocking commands, and those extend the limit by their own timeout
//!   argument (a `BLPOP key 0` waits forever). Five seconds is longer than
//!   any sane `SLOWLOG` entry and than a `BGSAVE` fork pause, yet short
//!   enough that a frozen server (SIGSTOP, a partition) is reported as a
//!   timeout instead of hanging. redis-rs' 500 ms would cut `KEYS`,
//!   `FLUSHALL` or a large `SORT` on a loaded server.
//! - **TCP keepalive, 30 s.** Probes start after 30 s of idleness, then
//!   every 10 s: an idle connection whose peer vanished without a FIN (a
//!   host that died, a NAT or load balancer that forgot the flow) is closed
//!   by the kernel instead of lingering until the next request, and the
//!   probes keep such middleboxes from forgetting a live idle flow. It costs
//!   one small packet per idle connection every 30 s.
//!
//! So with the defaults, a request to a frozen server fails after about
//! 5 s (the read timeout) when a connection was open, and within about
//! `reconnect_wait` (5 s) plus one connect timeout (2 s) while the client is
//! reconnecting; the first request of a client that never connected fails
//! after one connect timeout. Pub/sub connections PING when idle and
//! close a connection whose answer does not come within the read timeout.

use std::time::Duration;

use crate::config::{Config, Protocol, ServerAddr};

/// The default of [`ConfigBuilder::connect_timeout`](crate::ConfigBuilder::connect_timeout): 2 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The default of [`ConfigBuilder::read_timeout`](crate::ConfigBuilder::read_timeout): 5 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The default of [`ConfigBuilder::tcp_keepalive`](crate::ConfigBuilder::tcp_keepalive): 30 s.
pub const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(30);

/// The default of [`ConfigBuilder::max_pending_bytes`](crate::ConfigBuilder::max_pending_bytes): 64 MiB.
pub const DEFAULT_MAX_PENDING_BYTES: usize = 64 << 20;

/// The default of [`ConfigBuilder::max_reply_size`](crate::ConfigBuilder::max_reply_size):
/// 512 MiB, the largest string a server holds (`proto-max-bulk-len`).
pub const DEFAULT_MAX_REPLY_SIZE: usize = 512 << 20;

/// The interval between keepalive probes once they started (where the
/// platform lets it be set).
pub(crate) const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// Every setting's default, in one place (127.0.0.1:6379, db 0, RESP3,
/// autoconnect on, the timeouts above).
impl Default for Config {
    fn default() -> Self {
        Config {
            addr: ServerAddr::Tcp {
                host: "127.0.0.1".into(),
                port: 6379,
            },
            username: None,
            password: None,
            db: 0,
            client_name: None,
            protocol: Protocol::Resp3,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            tcp_keepalive: Some(DEFAULT_TCP_KEEPALIVE),
            tcp_nodelay: true,
            aggressive_write: false,
            read_buffer_size: 64 * 1024,
            write_buffer_size: 64 * 1024,
            autoconnect: true,
            reconnect_wait: Duration::from_secs(5),
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_secs(1),
            max_pending: 100_000,
            max_pending_bytes: DEFAULT_MAX_PENDING_BYTES,
            max_reply_size: DEFAULT_MAX_REPLY_SIZE,
            max_blocking_connections: crate::config::DEFAULT_MAX_BLOCKING_CONNECTIONS,
            max_transaction_connections: crate::config::DEFAULT_MAX_TRANSACTION_CONNECTIONS,
            readonly: false,
            tls: None,
            client_cache: None,
            credentials: None,
            events: None,
            telemetry: Default::default(),
        }
    }
}
