//! The `metrics` facade output: the OpenTelemetry `db.client.*` metrics
//! under their standard names, on the global recorder. The exporter picks
//! histogram buckets (see [`Telemetry::default_duration_buckets`](super::Telemetry::default_duration_buckets)).

use std::time::Duration;

use metrics::{counter, gauge, histogram, Label};

use super::{ConnState, OperationLabels};

pub(super) fn operation_done(l: &OperationLabels<'_>, elapsed: Duration) {
    let mut labels = vec![
        Label::new("db.system.name", l.system),
        Label::new("db.operation.name", l.operation.clone()),
        Label::new("db.namespace", super::namespace_label(l.namespace)),
        Label::new("server.address", l.server_address.to_string()),
    ];
    if let Some(port) = l.server_port {
        labels.push(Label::new("server.port", port.to_string()));
    }
    if let Some(e) = l.error_type {
        labels.push(Label::new("error.type", e.to_string()));
    }
    if let Some(code) = l.status_code {
        labels.push(Label::new("db.response.status_code", code.to_string()));
    }
    histogram!("db.client.operation.duration", labels).record(elapsed.as_secs_f64());
}

fn pool(name: &str) -> Vec<Label> {
    vec![Label::new(
        "db.client.connection.pool.name",
        name.to_string(),
    )]
}

pub(super) fn connection_state(name: &str, from: Option<ConnState>, to: Option<ConnState>) {
    for (state, delta) in [(from, -1.0), (to, 1.0)] {
        if let Some(state) = state {
            let mut labels = pool(name);
            labels.push(Label::new("db.client.connection.state", state.as_str()));
            gauge!("db.client.connection.count", labels).increment(delta);
        }
    }
}

pub(super) fn connection_created(name: &str, took: Duration) {
    histogram!("db.client.connection.create_time", pool(name)).record(took.as_secs_f64());
}

pub(super) fn pool_pending(name: &str, delta: i64) {
    gauge!("db.client.connection.pending_requests", pool(name)).increment(delta as f64);
}

pub(super) fn pool_waited(name: &str, waited: Duration, timed_out: bool) {
    if timed_out {
        counter!("db.client.connection.timeouts", pool(name)).increment(1);
    } else {
        histogram!("db.client.connection.wait_time", pool(name)).record(waited.as_secs_f64());
    }
}
