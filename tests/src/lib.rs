//! Test support: real `redis-server` processes and a fault-injection proxy
//! for the integration tests.
//!
//! Nothing here uses the `tornadis` client: the fixtures talk to their
//! servers through `redis-cli` or a tiny raw RESP exchange, so a bug in the
//! client can never hide behind a fixture that relies on it.
//!
//! ```no_run
//! use tornadis_tests::{FaultProxy, RedisServer};
//!
//! let server = RedisServer::builder()
//!     .password("s3cret")
//!     .acl_user("app", "apppass", "+@all ~*")
//!     .start();
//! assert_eq!(server.cli(&["PING"]), "PONG");
//! let proxy = FaultProxy::start(server.addr());
//! // point a client at proxy.url(), then e.g. proxy.cut_all();
//! ```
//!
//! ## Layout
//! - [`server`]: [`RedisServer`], one `redis-server` (or `valkey-server`, see
//!   [`ServerKind`]) on a free TCP port and a
//!   unix socket, with its builder (password, ACL users, extra arguments,
//!   a TLS listener with [`TestCerts`] generated at run time).
//! - [`cluster`]: [`RedisCluster`], six cluster nodes (three primaries, three
//!   replicas).
//! - [`sentinel`]: [`SentinelGroup`], a primary, a replica and three sentinels.
//! - [`fake_server`]: [`FakeServer`](fake_server::FakeServer), a scripted
//!   server that answers the handshake, then sends whatever bytes a test
//!   wants (malformed RESP, truncated frames, ...).
//! - [`proxy`]: [`FaultProxy`], a TCP proxy that cuts, delays, blackholes,
//!   drips or refuses connections on command.
//! - [`raw`]: a minimal blocking RESP exchange used to see whether a server
//!   answers.
//! - [`wait`]: bounded polling with clear failure messages.
//! - [`source`]: reading the library's own source for the layout checks.
//! - `binaries`, `ports`, `tempdir`, `cli`: finding the Redis binaries, free
//!   port reservation, self-removing temporary directories, running
//!   `redis-cli`.
//!
//! ## Rules the fixtures keep
//! - Ports are never fixed: each server gets a random free port, and a start
//!   that loses a race for its port is retried on another one.
//! - Nothing talks to `127.0.0.1:6379`.
//! - Dropping a fixture kills its processes, reaps them and removes their
//!   temporary directories. Do not keep fixtures in `static`s: statics are
//!   never dropped, so their servers would outlive the test binary.
//! - Every wait is bounded and fails with a message that says what was
//!   awaited and shows the server's log.
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

mod binaries;
mod cli;
pub mod cluster;
pub mod fake_server;
mod ports;
pub mod proxy;
pub mod raw;
pub mod sentinel;
pub mod server;
pub mod source;
mod tempdir;
pub mod wait;

pub use cluster::RedisCluster;
pub use proxy::FaultProxy;
pub use sentinel::SentinelGroup;
pub use server::{
    ClientAuth, RedisServer, RedisServerBuilder, ServerKind, TestCerts, SERVER_KIND_VAR,
};
