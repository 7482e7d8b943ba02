//! The OpenTelemetry metrics output: the `db.client.*` instruments on the
//! `tornadis` meter of the global meter provider (or a meter given with
//! [`Telemetry::meter`](super::Telemetry::meter)), created on first use so
//! that a provider installed after the client was configured still counts.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};
use opentelemetry::KeyValue;

use super::{ConnState, OperationLabels};
use crate::config::Config;

/// The instruments of one [`Telemetry`](super::Telemetry), shared by its clones.
#[derive(Clone, Default)]
pub(crate) struct Handle {
    meter: Option<Meter>,
    instruments: Arc<OnceLock<Instruments>>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenTelemetry")
            .field("own_meter", &self.meter.is_some())
            .finish()
    }
}

struct Instruments {
    duration: Histogram<f64>,
    count: UpDownCounter<i64>,
    create_time: Histogram<f64>,
    wait_time: Histogram<f64>,
    pending: UpDownCounter<i64>,
    timeouts: Counter<u64>,
}

/// Bucket bounds of the connection histograms (seconds): connecting and
/// waiting for a pool take longer than a command.
const CONNECTION_BUCKETS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl Handle {
    pub(crate) fn with_meter(meter: Meter) -> Handle {
        Handle {
            meter: Some(meter),
            instruments: Arc::default(),
        }
    }

    fn get(&self, config: &Config) -> &Instruments {
        self.instruments.get_or_init(|| {
            let meter = self.meter.clone().unwrap_or_else(|| {
                let scope = opentelemetry::InstrumentationScope::builder("tornadis")
                    .with_version(env!("CARGO_PKG_VERSION"))
                    .build();
                opentelemetry::global::meter_with_scope(scope)
            });
            Instruments {
                duration: meter
                    .f64_histogram("db.client.operation.duration")
                    .with_unit("s")
                    .with_description("Duration of database client operations.")
                    .with_boundaries(config.telemetry.buckets().to_vec())
                    .build(),
                count: meter
                    .i64_up_down_counter("db.client.connection.count")
                    .with_unit("{connection}")
                    .with_description("Open connections, by state.")
                    .build(),
                create_time: meter
                    .f64_histogram("db.client.connection.create_time")
                    .with_unit("s")
                    .with_description("Time it took to open a connection and finish its handshake.")
                    .with_boundaries(CONNECTION_BUCKETS.to_vec())
                    .build(),
                wait_time: meter
                    .f64_histogram("db.client.connection.wait_time")
                    .with_unit("s")
                    .with_description("Time it took to get a client from a pool.")
                    .with_boundaries(CONNECTION_BUCKETS.to_vec())
                    .build(),
                pending: meter
                    .i64_up_down_counter("db.client.connection.pending_requests")
                    .with_unit("{request}")
                    .with_description("Borrows waiting for a client from a pool.")
                    .build(),
                timeouts: meter
                    .u64_counter("db.client.connection.timeouts")
                    .with_unit("{timeout}")
                    .with_description("Borrows from a pool that timed out.")
                    .build(),
            }
        })
    }

    pub(super) fn operation_done(
        &self,
        config: &Config,
        l: &OperationLabels<'_>,
        elapsed: Duration,
    ) {
        let mut attrs = Vec::with_capacity(7);
        attrs.push(KeyValue::new("db.system.name", l.system));
        attrs.push(KeyValue::new("db.operation.name", l.operation.clone()));
        attrs.push(KeyValue::new(
            "db.namespace",
            super::namespace_label(l.namespace),
        ));
        attrs.push(KeyValue::new(
            "server.address",
            l.server_address.to_string(),
        ));
        if let Some(port) = l.server_port {
            attrs.push(KeyValue::new("server.port", i64::from(port)));
        }
        if let Some(e) = l.error_type {
            attrs.push(KeyValue::new("error.type", e.to_string()));
        }
        if let Some(code) = l.status_code {
            attrs.push(KeyValue::new("db.response.status_code", code.to_string()));
        }
        self.get(config)
            .duration
            .record(elapsed.as_secs_f64(), &attrs);
    }

    pub(super) fn connection_state(
        &self,
        config: &Config,
        name: &str,
        from: Option<ConnState>,
        to: Option<ConnState>,
    ) {
        let count = &self.get(config).count;
        for (state, delta) in [(from, -1), (to, 1)] {
            if let Some(state) = state {
                count.add(
                    delta,
                    &[
                        KeyValue::new("db.client.connection.pool.name", name.to_string()),
                        KeyValue::new("db.client.connection.state", state.as_str()),
                    ],
                );
            }
        }
    }

    pub(super) fn connection_created(&self, config: &Config, name: &str, took: Duration) {
        self.get(config)
            .create_time
            .record(took.as_secs_f64(), &pool(name));
    }

    pub(super) fn pool_pending(&self, config: &Config, name: &str, delta: i64) {
        self.get(config).pending.add(delta, &pool(name));
    }

    pub(super) fn pool_waited(
        &self,
        config: &Config,
        name: &str,
        waited: Duration,
        timed_out: bool,
    ) {
        let i = self.get(config);
        if timed_out {
            i.timeouts.add(1, &pool(name));
        } else {
            i.wait_time.record(waited.as_secs_f64(), &pool(name));
        }
    }
}

fn pool(name: &str) -> [KeyValue; 1] {
    [KeyValue::new(
        "db.client.connection.pool.name",
        name.to_string(),
    )]
}
