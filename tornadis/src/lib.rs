//! # tornadis
//!
//! An async Redis client for tokio: one cheap-to-clone [`Client`] multiplexes
//! many tasks over one connection, pipelines their requests automatically and
//! reconnects by itself.
//!
//! ```no_run
//! # async fn demo() -> tornadis::Result<()> {
//! use tornadis::{Client, Value};
//!
//! let client = Client::from_url("redis://127.0.0.1:6379")?;
//! client.call(("SET", "greeting", "hello")).await?;
//! let v: Value = client.call(("GET", "greeting")).await?;
//! assert_eq!(v, Value::Bulk("hello".into()));
//! # Ok(()) }
//! ```
//!
//! ## Finding a method
//! Every command of Redis and Valkey has a typed method on [`Commands`]
//! (`use tornadis::Commands;`), generated from the spec table:
//! `client.zadd("board", (120.0, "ada"))`, `client.set_with("k", "v",
//! SetOptions::new().nx().ex(60))`. To find one:
//! - **by data type**: the group pages of [`commands`] —
//!   [`string`](commands::string), [`hash`](commands::hash),
//!   [`list`](commands::list), [`set`](commands::set),
//!   [`sorted_set`](commands::sorted_set), [`stream`](commands::stream),
//!   [`pubsub`](commands::pubsub), [`generic`](commands::generic) (keys),
//!   [`scripting`](commands::scripting), [`server`](commands::server),
//!   [`cluster`](commands::cluster) and the others — each a table from a
//!   command to its method, `_with` form, variants and versions, with the
//!   group's options builders;
//! - **by Redis name**: search these docs for `ZADD` or `CLIENT_KILL`
//!   (each method carries its command's name as a search alias);
//! - **by rule**: the name in lower case with `_` for spaces and dashes;
//!   optional arguments on the `_with` form's builder; another reply shape is
//!   a variant named after its option (`zrange_withscores`). See
//!   [`commands`](commands#finding-a-method) for the details.
//!
//! A command the table lacks goes through [`Client::call`] with any arguments.
//!
//! ## Layout
//! - [`resp`]: the wire format — [`Value`], the decoder and the encoder.
//! - [`value`]: [`ToArg`]/[`ToArgs`] (Rust values as arguments) and [`FromValue`] (replies as Rust values).
//! - `cmd`: [`Cmd`], a command encoded once into RESP bytes.
//! - `config`, `config_builder`, `config_url`: [`Config`], its builder,
//!   `redis://` and `unix://` URLs;
//!   [`config_defaults`]: the default timeouts and why.
//! - `connection`: opening a socket and the handshake (HELLO, AUTH, SELECT, CLIENT SETNAME).
//! - `credentials`: [`CredentialsProvider`], asked for the user name and password
//!   before every connection attempt (rotating passwords, short-lived tokens).
//! - `tls` (feature `tls`): `TlsConfig` and the rustls handshake.
//! - `client`: the [`Client`] handle and the driver task that owns each connection;
//!   the one routing decision per command (`client/routing.rs`: any connection,
//!   the caller's own, dedicated, a side connection, or never), connection
//!   state on dedicated clients (`client/state.rs`), transactions, and the
//!   opt-in client-side cache ([`CacheConfig`]).
//! - [`commands`]: the typed methods ([`Commands`]), their options builders and
//!   choice enums, and the command table, all generated from `commands/*.toml`.
//! - [`command_info`]: metadata about every command, generated from the spec table,
//!   with its routing facts and the one reading of key specs.
//! - `pipeline`: [`Pipeline`] (raw) and [`TypedPipeline`], MULTI/EXEC with `atomic()`,
//!   on every [`PipelineTarget`] (client, pooled client, cluster client, mock).
//! - `pipeline_of`: pipelines built in a loop: [`PipelineOf`] (`Vec` of one reply type)
//!   and the typed methods on a raw [`Pipeline`] ([`Pipeline::query_as`]).
//! - `pool`: [`ClientPool`] and its [`PooledClient`] guard.
//! - [`pubsub`]: [`PubSubClient`], its messages and their stream.
//! - [`cluster`]: [`ClusterClient`](cluster::ClusterClient): slot routing, redirects, the slot map.
//! - [`sentinel`]: a client that follows a Sentinel-managed primary through failovers.
//! - `observe`: spans and metrics named by the OpenTelemetry database conventions
//!   (features `tracing`, `metrics`, `opentelemetry`), set with [`Telemetry`];
//!   counters without a metrics stack are in [`Stats`].
//! - `lifecycle`: the connection lifecycle the client and pub/sub drivers share
//!   (resolve, connect, backoff, waiters, link state, buffers, observe hooks).
//! - `backoff`: the reconnect delay shared by the drivers; `deadline`: deadlines that saturate.
//! - `error`: [`Error`] and [`ErrorKind`].
//! - `events`: [`ConnectionEvent`]s (connected, disconnected, reconnected, gave up)
//!   and their receiver, [`ConnectionEvents`].
//! - [`testing`]: [`MockClient`](testing::MockClient), a test double for users' own unit tests.
//! - `script`: [`Script`], Lua scripts run by digest and loaded on demand.
//! - `scan`: [`ScanStream`], `SCAN`/`SSCAN`/`HSCAN`/`ZSCAN` cursors as streams.
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

// Lets generated code use `::tornadis::...` paths inside this crate too.
extern crate self as tornadis;

/// The `bytes` crate, re-exported: replies hand out [`Bytes`](bytes::Bytes).
pub use bytes;

mod backoff;
mod client;
pub mod cluster;
mod cmd;
pub mod command_info;
pub mod commands;
mod config;
mod config_builder;
pub mod config_defaults;
mod config_url;
mod connection;
mod credentials;
mod deadline;
mod error;
mod events;
mod executor;
mod lifecycle;
mod observe;
mod pipeline;
mod pipeline_of;
mod pool;
pub mod pubsub;
pub mod resp;
mod scan;
mod script;
pub mod sentinel;
pub mod testing;
#[cfg(feature = "tls")]
mod tls;
pub mod value;

// The source-layout check (no library file over 600 lines), run with the
// unit tests.
#[cfg(test)]
mod layout_check;

// The guide's code blocks, compiled and run as doc tests (the file is read
// only then, so packaging does not need it).
#[cfg(doctest)]
#[doc = include_str!("../../docs/guide.md")]
mod guide {}

// The README's code blocks, compiled as doc tests the same way.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

pub use client::{
    AddrResolver, Client, LatencyHistogram, Request, ResolveFuture, Stats, TransactionOptions,
    TRANSACTION_ATTEMPTS,
};
pub use client::{CacheConfig, CacheStats};
pub use cmd::{cmd, ArgIter, ArgWriter, Cmd, MAX_ARG_LEN};
pub use commands::Commands;
pub use config::{Config, ConfigBuilder, FromConfig, Protocol, Secret, ServerAddr};
pub use credentials::{
    credentials_fn, Credentials, CredentialsFn, CredentialsFuture, CredentialsProvider,
    ProviderError,
};
pub use error::{Error, ErrorKind, Result};
pub use events::{ConnectionEvent, ConnectionEvents, DisconnectCause, EVENT_CAPACITY};
pub use executor::Executor;
pub use observe::Telemetry;
pub use pipeline::{DecodeReplies, Pipeline, PipelineTarget, Replies, ReplyIter, TypedPipeline};
pub use pipeline_of::{CmdBuilder, PipelineOf, TypedCmd};
pub use pool::{ClientPool, ClientPoolBuilder, PooledClient};
pub use pubsub::{Message, MessageKind, Messages, PubSubClient, Subscriptions};
pub use resp::Value;
pub use scan::ScanStream;
pub use script::Script;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
pub use value::{Fields, FromValue, Many, Serde, ToArg, ToArgList, ToArgs};
