//! The `tracing` hooks: a span per command and events for the connection's life.

use std::time::Instant;

use crate::config::Config;
use crate::error::{Error, ErrorKind};

/// A command's span (`redis.command`), closed when the reply arrives.
#[derive(Debug)]
pub(crate) struct CommandSpan {
    span: tracing::Span,
    start: Instant,
}

impl CommandSpan {
    pub(crate) fn start(name: &str, config: &Config) -> CommandSpan {
        let span = tracing::debug_span!(
            "redis.command",
            command = name,
            db = config.db,
            server = %config.addr,
            duration_us = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        CommandSpan {
            span,
            start: Instant::now(),
        }
    }

    pub(crate) fn finish(self, error: Option<ErrorKind>) {
        let micros = u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.span.record("duration_us", micros);
        if let Some(kind) = error {
            self.span.record("error", tracing::field::display(kind));
        }
    }
}

pub(crate) fn connected(config: &Config, addr: &dyn std::fmt::Display) {
    tracing::info!(server = %addr, db = config.db, "redis connection opened");
}

pub(crate) fn connect_failed(config: &Config, error: &Error) {
    tracing::warn!(server = %config.addr, %error, "redis connection attempt failed");
}

pub(crate) fn disconnected(config: &Config, error: Option<&Error>) {
    match error {
        Some(error) => tracing::warn!(server = %config.addr, %error, "redis connection lost"),
        None => tracing::info!(server = %config.addr, "redis connection closed"),
    }
}
