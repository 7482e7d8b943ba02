//! Observability, named by the OpenTelemetry database conventions for Redis:
//! a `tracing` span per operation (feature `tracing`; bridge it with
//! `tracing-opentelemetry`), and the `db.client.*` metrics through the
//! `metrics` facade (feature `metrics`) or the OpenTelemetry API (feature
//! `opentelemetry`). Without the features every hook does nothing.
//!
//! - `settings`: [`Telemetry`], what spans and metrics include.
//! - `peer`: the node a connection reached and what server it is.
//! - `query`: `db.query.text`, sanitized from the spec table.
//! - `span` (feature `tracing`), `facade` (feature `metrics`), `otel`
//!   (feature `opentelemetry`): the three outputs.
//!
//! Nothing here ever records an argument value: spans carry names, tokens
//! and keys only (and keys only when query text is turned on); metrics carry
//! no key and no query text.

mod peer;
mod query;
mod settings;

#[cfg(feature = "metrics")]
mod facade;
#[cfg(feature = "opentelemetry")]
mod otel;
#[cfg(feature = "tracing")]
mod span;

use std::borrow::Cow;
use std::time::Duration;

pub(crate) use peer::{Peer, PeerInfo, System};
pub use settings::Telemetry;

use crate::cmd::Cmd;
use crate::config::{Config, ServerAddr};
use crate::error::{Error, ErrorKind};

/// Whether any metrics output is compiled in.
const METRICS: bool = cfg!(any(feature = "metrics", feature = "opentelemetry"));

/// Whether anything is recorded at all: without the features an operation
/// costs no table lookup and no allocation.
const ENABLED: bool = METRICS || cfg!(feature = "tracing");

/// `server.address` and `server.port`: the configured endpoint (never the
/// URL, so never credentials).
pub(crate) fn server_of(config: &Config) -> (Cow<'_, str>, Option<u16>) {
    match config.telemetry.endpoint().unwrap_or(&config.addr) {
        ServerAddr::Tcp { host, port } => (Cow::Borrowed(host.as_str()), Some(*port)),
        ServerAddr::Unix(path) => (path.to_string_lossy(), None),
    }
}

/// `db.namespace`: the database index as text, without an allocation for
/// the sixteen databases a server has by default.
#[cfg_attr(
    not(any(feature = "metrics", feature = "opentelemetry")),
    allow(dead_code)
)]
pub(crate) fn namespace_label(db: i64) -> Cow<'static, str> {
    const NAMES: [&str; 16] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
    ];
    match usize::try_from(db).ok().and_then(|i| NAMES.get(i)) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(db.to_string()),
    }
}

/// `error.type`: the server's error prefix (`WRONGTYPE`), else the kind of
/// failure on our side (`timeout`, `connection`, ...).
#[cfg_attr(
    not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")),
    allow(dead_code)
)]
pub(crate) fn error_type(error: &Error) -> &str {
    match error.code() {
        Some(code) => code,
        None => kind_label(error.kind()),
    }
}

/// The low-cardinality name of an error kind.
#[cfg_attr(
    not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")),
    allow(dead_code)
)]
pub(crate) fn kind_label(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Connection => "connection",
        ErrorKind::Client => "client",
        ErrorKind::Server => "server",
        ErrorKind::Protocol => "protocol",
        ErrorKind::Decode => "decode",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Auth => "auth",
        ErrorKind::Aborted => "aborted",
        ErrorKind::StateLost => "state_lost",
    }
}

/// `db.client.connection.pool.name`: `host:port/db` (the form the
/// conventions suggest when a pool has no name of its own).
pub(crate) fn pool_name(config: &Config) -> String {
    match server_of(config) {
        (host, Some(port)) => format!("{host}:{port}/{}", config.db),
        (path, None) => format!("{path}/{}", config.db),
    }
}

/// `db.operation.name` of a batch: `PIPELINE` or `MULTI`, followed by the
/// command's name when every command of a pipeline is the same.
pub(crate) fn batch_name<'a>(atomic: bool, mut names: impl Iterator<Item = &'a str>) -> String {
    if !ENABLED {
        return String::new();
    }
    let mut name = String::from(if atomic { "MULTI" } else { "PIPELINE" });
    if let Some(first) = names.next() {
        if !atomic && names.all(|n| n == first) {
            name.push(' ');
            name.push_str(first);
        }
    }
    name
}

/// The labels of one finished operation, shared by both metrics outputs.
#[allow(dead_code)] // Read only by the metrics outputs.
pub(crate) struct OperationLabels<'a> {
    pub(crate) system: &'static str,
    /// Borrowed for the spec table's names: a label made from it copies nothing.
    pub(crate) operation: &'a Cow<'static, str>,
    pub(crate) namespace: i64,
    pub(crate) server_address: &'a str,
    pub(crate) server_port: Option<u16>,
    pub(crate) error_type: Option<&'a str>,
    pub(crate) status_code: Option<&'a str>,
}

/// One operation (a command, a pipeline or a transaction) being timed and
/// traced. Without the `tracing`, `metrics` and `opentelemetry` features it
/// holds nothing (it is zero-sized), so a request carries no room for it.
#[derive(Debug)]
pub(crate) struct Operation {
    #[cfg(any(feature = "tracing", feature = "metrics", feature = "opentelemetry"))]
    live: Live,
}

/// What a recorded operation keeps until it ends.
#[cfg(any(feature = "tracing", feature = "metrics", feature = "opentelemetry"))]
#[derive(Debug)]
struct Live {
    /// `db.operation.name`: `GET`, `CLIENT KILL`, `PIPELINE GET`, `MULTI`.
    name: Cow<'static, str>,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    started: Option<std::time::Instant>,
}

impl Operation {
    /// A single command, about to be sent on a connection whose peer is `peer`.
    pub(crate) fn command(config: &Config, peer: &Peer, cmd: &Cmd) -> Operation {
        let _ = (config, peer, cmd);
        #[cfg(any(feature = "tracing", feature = "metrics", feature = "opentelemetry"))]
        {
            let info = crate::client::routing::info_of(cmd);
            let name = match info {
                Some(info) => Cow::Borrowed(info.name),
                None => Cow::Owned(cmd.name()),
            };
            let _ = info;
            Operation {
                live: Live {
                    #[cfg(feature = "tracing")]
                    span: span::command(config, peer.system(), &name, info, cmd),
                    name,
                    started: METRICS.then(std::time::Instant::now),
                },
            }
        }
        #[cfg(not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")))]
        Operation {}
    }

    /// A pipeline or a transaction of `size` commands, named `name`
    /// (`PIPELINE`, `PIPELINE GET`, `MULTI`), `encoded` as it is sent.
    pub(crate) fn batch(
        config: &Config,
        peer: &Peer,
        name: String,
        size: usize,
        encoded: &[&[u8]],
    ) -> Operation {
        let _ = (config, peer, &name, size, encoded);
        #[cfg(any(feature = "tracing", feature = "metrics", feature = "opentelemetry"))]
        {
            Operation {
                live: Live {
                    #[cfg(feature = "tracing")]
                    span: span::batch(config, peer.system(), &name, size, encoded),
                    name: Cow::Owned(name),
                    started: METRICS.then(std::time::Instant::now),
                },
            }
        }
        #[cfg(not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")))]
        Operation {}
    }

    /// The operation ended, with `error` if it failed; `peer` is the
    /// connection that answered.
    pub(crate) fn finish(self, config: &Config, peer: &Peer, error: Option<&Error>) {
        let _ = (config, peer, error);
        #[cfg(any(feature = "tracing", feature = "metrics", feature = "opentelemetry"))]
        {
            let live = self.live;
            let info = peer.get();
            #[cfg(feature = "tracing")]
            span::finish(&live.span, info.as_ref(), error);
            if let Some(started) = live.started {
                let (address, port) = server_of(config);
                let labels = OperationLabels {
                    system: info.map(|i| i.system).unwrap_or_default().as_str(),
                    operation: &live.name,
                    namespace: config.db,
                    server_address: &address,
                    server_port: port,
                    error_type: error.map(error_type),
                    status_code: error.and_then(Error::code),
                };
                operation_done(config, &labels, started.elapsed());
            }
        }
    }
}

#[cfg_attr(
    not(any(feature = "tracing", feature = "metrics", feature = "opentelemetry")),
    allow(dead_code)
)]
fn operation_done(config: &Config, labels: &OperationLabels<'_>, elapsed: Duration) {
    let _ = (config, labels, elapsed);
    #[cfg(feature = "metrics")]
    facade::operation_done(labels, elapsed);
    #[cfg(feature = "opentelemetry")]
    config
        .telemetry
        .otel
        .operation_done(config, labels, elapsed);
}

/// The state of a connection, for `db.client.connection.count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// Open, nothing in flight.
    Idle,
    /// Open, a request awaits its reply.
    Used,
}

impl ConnState {
    #[allow(dead_code)] // Read only by the metrics outputs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ConnState::Idle => "idle",
            ConnState::Used => "used",
        }
    }
}

/// A connection moved from `from` to `to` (`None`: not open).
pub(crate) fn connection_state(config: &Config, from: Option<ConnState>, to: Option<ConnState>) {
    if from == to || !METRICS {
        return;
    }
    let name = pool_name(config);
    let _ = &name;
    #[cfg(feature = "metrics")]
    facade::connection_state(&name, from, to);
    #[cfg(feature = "opentelemetry")]
    config
        .telemetry
        .otel
        .connection_state(config, &name, from, to);
}

/// A connection was opened (socket and handshake) in `took`.
pub(crate) fn connected(config: &Config, info: &PeerInfo, took: Duration) {
    let _ = (info, took);
    #[cfg(feature = "tracing")]
    span::connected(config, info);
    if METRICS {
        let name = pool_name(config);
        let _ = &name;
        #[cfg(feature = "metrics")]
        facade::connection_created(&name, took);
        #[cfg(feature = "opentelemetry")]
        config
            .telemetry
            .otel
            .connection_created(config, &name, took);
    }
    connection_state(config, None, Some(ConnState::Idle));
}

/// An attempt to connect failed.
pub(crate) fn connect_failed(config: &Config, error: &Error) {
    let _ = (config, error);
    #[cfg(feature = "tracing")]
    span::connect_failed(config, error);
}

/// An open connection ended (with `error` unless it was closed on purpose).
pub(crate) fn disconnected(config: &Config, state: ConnState, error: Option<&Error>) {
    let _ = error;
    #[cfg(feature = "tracing")]
    span::disconnected(config, error);
    connection_state(config, Some(state), None);
}

/// A borrow from a pool, waiting: counted in
/// `db.client.connection.pending_requests` until it is done or dropped.
#[derive(Debug)]
pub(crate) struct PoolWait<'a> {
    config: &'a Config,
    /// When the borrow started; only read with a metrics feature on.
    started: Option<std::time::Instant>,
}

impl<'a> PoolWait<'a> {
    pub(crate) fn start(config: &'a Config) -> Self {
        pool_pending(config, 1);
        PoolWait {
            config,
            started: METRICS.then(std::time::Instant::now),
        }
    }

    /// The borrow got a client, or gave up (`timed_out`):
    /// `db.client.connection.wait_time` or `.timeouts`.
    pub(crate) fn done(self, timed_out: bool) {
        let config = self.config;
        let waited = self.started.map(|s| s.elapsed()).unwrap_or_default();
        let _ = (config, waited, timed_out);
        if METRICS {
            let name = pool_name(config);
            let _ = &name;
            #[cfg(feature = "metrics")]
            facade::pool_waited(&name, waited, timed_out);
            #[cfg(feature = "opentelemetry")]
            config
                .telemetry
                .otel
                .pool_waited(config, &name, waited, timed_out);
        }
    }
}

impl Drop for PoolWait<'_> {
    fn drop(&mut self) {
        pool_pending(self.config, -1);
    }
}

fn pool_pending(config: &Config, delta: i64) {
    let _ = (config, delta);
    if METRICS {
        let name = pool_name(config);
        let _ = &name;
        #[cfg(feature = "metrics")]
        facade::pool_pending(&name, delta);
        #[cfg(feature = "opentelemetry")]
        config.telemetry.otel.pool_pending(config, &name, delta);
    }
}

#[cfg(test)]
mod tests {
    use super::namespace_label;

    #[test]
    fn a_namespace_label_is_the_database_index_as_text() {
        for db in [0, 9, 15, 16, 1234, -1, i64::MAX] {
            assert_eq!(namespace_label(db), db.to_string());
        }
        assert!(matches!(namespace_label(15), std::borrow::Cow::Borrowed(_)));
    }
}
