//! The `metrics` hooks: counters and a histogram on the global recorder.
//!
//! Names: `tornadis_requests_total`, `tornadis_request_errors_total{kind}`,
//! `tornadis_request_duration_seconds`, `tornadis_connections_opened_total`,
//! `tornadis_connections_lost_total`.

use std::time::Duration;

use crate::error::ErrorKind;

pub(crate) fn request_done(elapsed: Duration, error: Option<ErrorKind>) {
    metrics::counter!("tornadis_requests_total").increment(1);
    metrics::histogram!("tornadis_request_duration_seconds").record(elapsed.as_secs_f64());
    if let Some(kind) = error {
        metrics::counter!("tornadis_request_errors_total", "kind" => kind_label(kind)).increment(1);
    }
}

pub(crate) fn connection_opened() {
    metrics::counter!("tornadis_connections_opened_total").increment(1);
}

pub(crate) fn connection_lost() {
    metrics::counter!("tornadis_connections_lost_total").increment(1);
}

fn kind_label(kind: ErrorKind) -> &'static str {
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
