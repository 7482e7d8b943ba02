//! [`Telemetry`]: what a client's spans and metrics include.

use std::sync::Arc;

use crate::config::{ConfigBuilder, ServerAddr};

/// The default bucket bounds of `db.client.operation.duration`, in seconds:
/// from 50 µs, so that the sub-millisecond latencies of a nearby server are
/// told apart, up to 10 s.
const DEFAULT_DURATION_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What a client's spans and metrics include (features `tracing`,
/// `metrics`, `opentelemetry`; without them the settings are kept but
/// nothing is recorded).
///
/// ```
/// use tornadis::{Client, Telemetry};
///
/// let builder = Client::builder().host("127.0.0.1").telemetry(
///     Telemetry::new()
///         // Spans get `db.query.text`, with every value replaced by `?`.
///         .query_text(true)
///         // Bucket bounds of `db.client.operation.duration`, in seconds.
///         .duration_buckets([0.0001, 0.0005, 0.001, 0.01, 0.1, 1.0]),
/// );
/// # drop(builder);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    query_text: bool,
    buckets: Option<Arc<[f64]>>,
    /// The endpoint to name in `server.address`/`server.port` instead of
    /// the connection's own address (a cluster names its first seed).
    endpoint: Option<ServerAddr>,
    #[cfg(feature = "opentelemetry")]
    pub(crate) otel: super::otel::Handle,
}

impl Telemetry {
    /// The defaults: no query text, the default duration buckets, the global
    /// OpenTelemetry meter provider (feature `opentelemetry`).
    pub fn new() -> Self {
        Telemetry::default()
    }

    /// Adds `db.query.text` to spans: the command, its tokens (`EX`,
    /// `WITHSCORES`) and its keys as sent, every other argument as `?`, as
    /// the spec table describes the command. Off by default; even when on,
    /// values (and so passwords, as in `AUTH` or `HELLO`) never appear.
    pub fn query_text(mut self, on: bool) -> Self {
        self.query_text = on;
        self
    }

    /// Whether spans get `db.query.text`.
    pub fn has_query_text(&self) -> bool {
        self.query_text
    }

    /// Sets the bucket bounds (seconds) of the `db.client.operation.duration`
    /// histogram recorded through OpenTelemetry. Bounds that are not finite
    /// or not positive are dropped; the rest are sorted and deduplicated.
    ///
    /// With the `metrics` facade the exporter picks buckets: give it
    /// [`Telemetry::default_duration_buckets`] (e.g. `set_buckets_for_metric`
    /// of `metrics-exporter-prometheus`).
    pub fn duration_buckets(mut self, bounds: impl IntoIterator<Item = f64>) -> Self {
        let mut b: Vec<f64> = bounds
            .into_iter()
            .filter(|x| x.is_finite() && *x > 0.0)
            .collect();
        b.sort_by(f64::total_cmp);
        b.dedup();
        self.buckets = Some(b.into());
        self
    }

    /// The bucket bounds in use (seconds).
    pub fn buckets(&self) -> &[f64] {
        self.buckets.as_deref().unwrap_or(DEFAULT_DURATION_BUCKETS)
    }

    /// The default bucket bounds of `db.client.operation.duration`, in
    /// seconds: 50 µs to 10 s.
    pub fn default_duration_buckets() -> &'static [f64] {
        DEFAULT_DURATION_BUCKETS
    }

    /// Records metrics through this meter instead of the global meter
    /// provider's `tornadis` meter.
    #[cfg(feature = "opentelemetry")]
    pub fn meter(mut self, meter: opentelemetry::metrics::Meter) -> Self {
        self.otel = super::otel::Handle::with_meter(meter);
        self
    }

    /// The endpoint named in `server.address`, when it is not the connection's own.
    pub(crate) fn endpoint(&self) -> Option<&ServerAddr> {
        self.endpoint.as_ref()
    }

    /// Names a cluster by its first seed in `server.*` (each span's
    /// `network.peer.*` names the node), unless an endpoint is set already.
    pub(crate) fn name_cluster(&mut self, host: &str, port: u16) {
        if self.endpoint.is_none() {
            self.endpoint = Some(ServerAddr::Tcp {
                host: host.to_string(),
                port,
            });
        }
    }
}

impl<T> ConfigBuilder<T> {
    /// What spans and metrics include: query text, histogram buckets, the
    /// meter. See [`Telemetry`].
    pub fn telemetry(mut self, telemetry: Telemetry) -> Self {
        self.config.telemetry = telemetry;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cleaned() {
        let t = Telemetry::new().duration_buckets([0.5, f64::NAN, 0.001, -1.0, 0.5, 0.0]);
        assert_eq!(t.buckets(), &[0.001, 0.5]);
        assert_eq!(Telemetry::new().buckets(), DEFAULT_DURATION_BUCKETS);
        assert!(DEFAULT_DURATION_BUCKETS[0] < 0.001);
        assert!(!Telemetry::new().has_query_text());
    }
}
