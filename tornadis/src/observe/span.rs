//! The `tracing` output: one span per operation, its fields named by the
//! OpenTelemetry conventions so that `tracing-opentelemetry` exports it as a
//! client span named after the command (`otel.name`, `otel.kind`), and
//! events for the connection's life. Integers are recorded as `i64`, which
//! `tracing-opentelemetry` exports as OpenTelemetry integers.

use tracing::field::Empty;

use super::{error_type, server_of, PeerInfo, System};
use crate::cmd::Cmd;
use crate::command_info::CommandInfo;
use crate::config::Config;
use crate::error::Error;

/// The span of one command.
pub(super) fn command(
    config: &Config,
    system: System,
    name: &str,
    info: Option<&CommandInfo>,
    cmd: &Cmd,
) -> tracing::Span {
    let span = open(config, system, name);
    if span.is_disabled() {
        return span;
    }
    if let Some(info) = info {
        if let Some(procedure) = super::query::stored_procedure(info, cmd) {
            span.record("db.stored_procedure.name", procedure.as_ref());
        }
        if config.telemetry.has_query_text() {
            span.record("db.query.text", super::query::sanitized(info, cmd).as_str());
        }
    }
    span
}

/// The span of a pipeline or transaction of `size` commands, `encoded` as
/// sent (in pieces, back to back).
pub(super) fn batch(
    config: &Config,
    system: System,
    name: &str,
    size: usize,
    encoded: &[&[u8]],
) -> tracing::Span {
    let span = open(config, system, name);
    if span.is_disabled() {
        return span;
    }
    if config.telemetry.has_query_text() {
        span.record(
            "db.query.text",
            super::query::sanitized_batch(encoded).as_str(),
        );
    }
    // A batch of one is not a batch (the conventions never report size 1).
    if size > 1 {
        span.record(
            "db.operation.batch.size",
            i64::try_from(size).unwrap_or(i64::MAX),
        );
    }
    span
}

fn open(config: &Config, system: System, name: &str) -> tracing::Span {
    let (address, port) = server_of(config);
    tracing::info_span!(
        target: "tornadis",
        "redis.command",
        otel.name = name,
        otel.kind = "client",
        otel.status_code = Empty,
        db.system.name = system.as_str(),
        db.operation.name = name,
        db.namespace = %config.db,
        server.address = address.as_ref(),
        server.port = port.map(i64::from),
        network.peer.address = Empty,
        network.peer.port = Empty,
        db.operation.batch.size = Empty,
        db.stored_procedure.name = Empty,
        db.query.text = Empty,
        db.response.status_code = Empty,
        error.type = Empty,
    )
}

/// Records where the operation ran and how it ended.
pub(super) fn finish(span: &tracing::Span, peer: Option<&PeerInfo>, error: Option<&Error>) {
    if span.is_disabled() {
        return;
    }
    if let Some(peer) = peer {
        if let Some(address) = &peer.address {
            span.record("network.peer.address", address.as_ref());
        }
        if let Some(port) = peer.port {
            span.record("network.peer.port", i64::from(port));
        }
        span.record("db.system.name", peer.system.as_str());
    }
    if let Some(error) = error {
        span.record("otel.status_code", "error");
        span.record("error.type", error_type(error));
        if let Some(code) = error.code() {
            span.record("db.response.status_code", code);
        }
    }
}

pub(super) fn connected(config: &Config, peer: &PeerInfo) {
    tracing::info!(
        target: "tornadis",
        server = %config.addr,
        network.peer.address = peer.address.as_deref(),
        network.peer.port = peer.port.map(i64::from),
        db.system.name = peer.system.as_str(),
        db.namespace = config.db,
        "redis connection opened"
    );
}

pub(super) fn connect_failed(config: &Config, error: &Error) {
    tracing::warn!(target: "tornadis", server = %config.addr, %error, "redis connection attempt failed");
}

pub(super) fn disconnected(config: &Config, error: Option<&Error>) {
    match error {
        Some(error) => {
            tracing::warn!(target: "tornadis", server = %config.addr, %error, "redis connection lost")
        }
        None => {
            tracing::info!(target: "tornadis", server = %config.addr, "redis connection closed")
        }
    }
}
