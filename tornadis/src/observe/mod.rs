//! Observability hooks: `tracing` spans and events (feature `tracing`) and
//! `metrics` counters and histograms (feature `metrics`). Without the
//! features every hook is an empty inline function.
//!
//! Spans and events never carry argument values: only the command name,
//! the database, the server address, the duration and the error kind.

#[cfg(not(feature = "metrics"))]
mod metrics_off;
#[cfg(feature = "metrics")]
mod metrics_on;
#[cfg(not(feature = "tracing"))]
mod tracing_off;
#[cfg(feature = "tracing")]
mod tracing_on;

#[cfg(not(feature = "metrics"))]
pub(crate) use metrics_off::*;
#[cfg(feature = "metrics")]
pub(crate) use metrics_on::*;
#[cfg(not(feature = "tracing"))]
pub(crate) use tracing_off::*;
#[cfg(feature = "tracing")]
pub(crate) use tracing_on::*;
