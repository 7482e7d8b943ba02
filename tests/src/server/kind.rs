//! [`ServerKind`]: which server program a fixture runs, Redis or Valkey.

use std::env;
use std::fmt;
use std::path::Path;

use crate::binaries;

/// The environment variable that picks the server kind every fixture starts
/// unless a test asks for one ([`RedisServerBuilder::kind`](crate::RedisServerBuilder::kind)):
/// `redis` (the default) or `valkey`.
///
/// CI runs the suites that exercise server behaviour once per kind by
/// setting it (see `tests/run-all.sh`).
pub const SERVER_KIND_VAR: &str = "TORNADIS_TEST_SERVER";

/// A server program the fixtures can run.
///
/// ```no_run
/// use tornadis_tests::{RedisServer, ServerKind};
///
/// let valkey = RedisServer::builder().kind(ServerKind::Valkey).start();
/// assert_eq!(valkey.kind(), ServerKind::Valkey);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// `redis-server` (`REDIS_SERVER`, or `PATH`).
    Redis,
    /// `valkey-server` (`VALKEY_SERVER`, the copy `tests/install-servers.sh`
    /// caches under `target/test-servers/`, or `PATH`).
    Valkey,
}

impl ServerKind {
    /// Both kinds, Redis first.
    pub const ALL: [ServerKind; 2] = [ServerKind::Redis, ServerKind::Valkey];

    /// The kind named by [`SERVER_KIND_VAR`], or Redis when it is unset.
    ///
    /// # Panics
    /// If the variable holds anything but `redis` or `valkey`: a typo must
    /// not silently test the wrong server.
    pub fn from_env() -> ServerKind {
        match env::var(SERVER_KIND_VAR) {
            Err(env::VarError::NotPresent) => ServerKind::Redis,
            Ok(value) => match value.trim().to_ascii_lowercase().as_str() {
                "" | "redis" => ServerKind::Redis,
                "valkey" => ServerKind::Valkey,
                other => panic!(
                    "\n*** {SERVER_KIND_VAR}={other:?} is not a server kind; use `redis` or `valkey` ***\n"
                ),
            },
            Err(env::VarError::NotUnicode(raw)) => {
                panic!("\n*** {SERVER_KIND_VAR}={raw:?} is not a server kind; use `redis` or `valkey` ***\n")
            }
        }
    }

    /// The server binary of this kind (found once; a missing one panics with
    /// instructions).
    pub fn binary(self) -> &'static Path {
        match self {
            ServerKind::Redis => binaries::redis_server(),
            ServerKind::Valkey => binaries::valkey_server(),
        }
    }

    /// `"redis"` or `"valkey"`: the name the server gives in `HELLO`'s
    /// `server` field.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Redis => "redis",
            ServerKind::Valkey => "valkey",
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
