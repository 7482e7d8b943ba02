//! Counters and a latency histogram for one client, read with [`Client::stats`](crate::Client::stats).
//!
//! Recording is a few relaxed atomic additions per request; reading takes a
//! snapshot. The `metrics` and `opentelemetry` features export the
//! OpenTelemetry `db.client.*` metrics instead (see `observe`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::ErrorKind;

/// Latency buckets: bucket `i` holds requests that took less than 2^i µs
/// (the last bucket takes everything slower).
const BUCKETS: usize = 28;

const KINDS: [ErrorKind; 9] = [
    ErrorKind::Connection,
    ErrorKind::Client,
    ErrorKind::Server,
    ErrorKind::Protocol,
    ErrorKind::Decode,
    ErrorKind::Timeout,
    ErrorKind::Auth,
    ErrorKind::Aborted,
    ErrorKind::StateLost,
];

/// The latency bucket of a request that took `elapsed`.
fn bucket_of(elapsed: Duration) -> usize {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    (64 - micros.leading_zeros() as usize).min(BUCKETS - 1)
}

fn kind_index(kind: ErrorKind) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap_or(0)
}

/// The live counters of one client.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    errors: [AtomicU64; KINDS.len()],
    connects: AtomicU64,
    disconnects: AtomicU64,
    latency: [AtomicU64; BUCKETS],
}

impl Counters {
    /// A request finished after `elapsed`, with an error of `error` kind if it failed.
    pub(crate) fn record(&self, elapsed: Duration, error: Option<ErrorKind>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(kind) = error {
            if let Some(c) = self.errors.get(kind_index(kind)) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(b) = self.latency.get(bucket_of(elapsed)) {
            b.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The commands of one pipeline finished together after `elapsed`, each
    /// with its own error kind if it failed: each counts as a request.
    pub(crate) fn record_batch(
        &self,
        elapsed: Duration,
        outcomes: impl ExactSizeIterator<Item = Option<ErrorKind>>,
    ) {
        let n = outcomes.len() as u64;
        self.requests.fetch_add(n, Ordering::Relaxed);
        if let Some(b) = self.latency.get(bucket_of(elapsed)) {
            b.fetch_add(n, Ordering::Relaxed);
        }
        for error in outcomes {
            if let Some(c) = error.and_then(|kind| self.errors.get(kind_index(kind))) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A fire-and-forget request was sent: it counts as a request, but no
    /// one waits for its reply, so it has no latency.
    pub(crate) fn record_sent(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connected(&self) {
        self.connects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn disconnected(&self) {
        self.disconnects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, in_flight: u64, queued: u64) -> Stats {
        let connects = self.connects.load(Ordering::Relaxed);
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            errors: KINDS
                .iter()
                .zip(&self.errors)
                .map(|(k, c)| (*k, c.load(Ordering::Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            connects,
            reconnects: connects.saturating_sub(1),
            disconnects: self.disconnects.load(Ordering::Relaxed),
            in_flight,
            queued,
            latency: LatencyHistogram {
                counts: self
                    .latency
                    .iter()
                    .map(|b| b.load(Ordering::Relaxed))
                    .collect(),
            },
        }
    }
}

/// A snapshot of a client's counters.
///
/// ```no_run
/// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
/// let stats = client.stats();
/// println!("{} requests, p99 {:?}", stats.requests, stats.latency.percentile(0.99));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests answered so far (with a reply or an error); each command of
    /// a pipeline counts, and a fire-and-forget request counts once sent.
    pub requests: u64,
    /// Failed requests by error kind (kinds with no failures left out).
    pub errors: Vec<(ErrorKind, u64)>,
    /// Connections opened.
    pub connects: u64,
    /// Connections opened after the first (automatic or explicit reconnects).
    pub reconnects: u64,
    /// Connections lost or closed.
    pub disconnects: u64,
    /// Requests queued or awaiting their reply right now.
    pub in_flight: u64,
    /// Requests queued and not yet written to the socket right now.
    pub queued: u64,
    /// How long requests took, from being queued to their reply (each
    /// command of a pipeline takes the pipeline's time; fire-and-forget
    /// requests are not timed).
    pub latency: LatencyHistogram,
}

impl Stats {
    /// All failed requests, whatever their kind.
    pub fn error_count(&self) -> u64 {
        self.errors.iter().map(|(_, n)| n).sum()
    }
}

/// Request latencies in power-of-two buckets of microseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
}

impl LatencyHistogram {
    /// `(upper bound, count)` for each bucket: requests faster than the bound
    /// (and not faster than the previous one).
    pub fn buckets(&self) -> impl Iterator<Item = (Duration, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, c)| (Duration::from_micros(1u64 << i), *c))
    }

    /// How many requests were measured.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The upper bound of the bucket holding quantile `q` (0.0..=1.0), e.g.
    /// `percentile(0.99)`; `None` when nothing was measured.
    pub fn percentile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bound, c) in self.buckets() {
            seen += c;
            if seen >= rank {
                return Some(bound);
            }
        }
        self.buckets().last().map(|(b, _)| b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_summarises() {
        let c = Counters::default();
        for _ in 0..98 {
            c.record(Duration::from_micros(50), None);
        }
        c.record(Duration::from_millis(3), Some(ErrorKind::Timeout));
        c.record(Duration::from_secs(1000), Some(ErrorKind::Server));
        c.connected();
        c.connected();
        let s = c.snapshot(3, 1);
        assert_eq!(s.requests, 100);
        assert_eq!(s.error_count(), 2);
        assert!(s.errors.contains(&(ErrorKind::Timeout, 1)));
        assert_eq!(s.reconnects, 1);
        assert_eq!(s.latency.count(), 100);
        assert_eq!(s.latency.percentile(0.5), Some(Duration::from_micros(64)));
        assert_eq!(
            s.latency.percentile(0.99),
            Some(Duration::from_micros(4096))
        );
        assert!(s.latency.percentile(1.0).unwrap() >= Duration::from_secs(60));
        assert_eq!(
            Counters::default().snapshot(0, 0).latency.percentile(0.5),
            None
        );
    }
}
