//! Measuring one run: wall time, the process's CPU time, and a latency
//! histogram.
//!
//! CPU time comes from `getrusage(RUSAGE_SELF)`, which sums every thread of
//! this process (the tokio workers included) and nothing of the server's:
//! client and server share the machine's cores, so CPU spent by the client is
//! CPU taken from the server (or, in production, from the application).

use std::time::{Duration, Instant};

/// User plus system CPU time this process has used so far.
pub fn process_cpu_time() -> Duration {
    // SAFETY: `getrusage` only writes into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        // RUSAGE_SELF with a valid pointer cannot fail on Linux; a zero
        // reading would show up as an obviously wrong CPU column.
        return Duration::ZERO;
    }
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// The resident set size of this process in bytes, from `/proc/self/statm`,
/// or `None` where that file is unavailable.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// The peak resident set size of this process so far in bytes (`VmHWM` in
/// `/proc/self/status`, the figure `getrusage` reports as `ru_maxrss`), or
/// `None` where that file is unavailable.
pub fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Wall clock and CPU clock started together around the timed part of a run.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    /// Starts both clocks.
    pub fn start() -> Self {
        Stopwatch {
            cpu: process_cpu_time(),
            wall: Instant::now(),
        }
    }

    /// Stops both clocks: (wall time, CPU time) since [`start`](Self::start).
    pub fn stop(self) -> (Duration, Duration) {
        let wall = self.wall.elapsed();
        let cpu = process_cpu_time().saturating_sub(self.cpu);
        (wall, cpu)
    }
}

/// Sub-buckets per power of two: 16 gives about 6% resolution.
const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
/// Values below `SUB` get one bucket each; every power of two above gets `SUB`.
const BUCKETS: usize = SUB + (64 - SUB_BITS as usize) * SUB;

/// A log-linear histogram of durations in nanoseconds.
///
/// Recording is an index computation and an increment, with no allocation,
/// so it costs every client the same few nanoseconds per operation.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }
}

impl Histogram {
    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket_of(ns)] += 1;
        self.total += 1;
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// How many samples were recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The `q` quantile (0.0..=1.0), as the midpoint of its bucket, or
    /// `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        // The rank of the wanted sample, 1-based, clamped into the data.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bucket_bounds(i);
                return Some(Duration::from_nanos(lo + (hi - lo) / 2));
            }
        }
        None
    }
}

fn bucket_of(ns: u64) -> usize {
    if ns < SUB as u64 {
        return ns as usize;
    }
    let exp = 63 - ns.leading_zeros(); // >= SUB_BITS
    let mantissa = (ns >> (exp - SUB_BITS)) as usize & (SUB - 1);
    SUB + (exp - SUB_BITS) as usize * SUB + mantissa
}

/// The range of values `[lo, hi)` that land in bucket `i` (`hi` saturates).
fn bucket_bounds(i: usize) -> (u64, u64) {
    if i < SUB {
        return (i as u64, i as u64 + 1);
    }
    let exp = ((i - SUB) / SUB) as u32 + SUB_BITS;
    let mantissa = ((i - SUB) % SUB) as u64;
    let step = 1u64 << (exp - SUB_BITS);
    let lo = (1u64 << exp) + mantissa * step;
    (lo, lo.saturating_add(step))
}

/// What one run of one workload through one client measured.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Operations completed in the timed part (commands, not batches).
    pub ops: u64,
    /// Payload bytes received, for throughput in MB/s (0 when not meaningful).
    pub bytes: u64,
    /// Wall time of the timed part.
    pub wall: Duration,
    /// CPU time of this process during the timed part.
    pub cpu: Duration,
    /// Latency of each awaited unit (one command, or one pipeline).
    pub latency: Histogram,
}

impl Sample {
    /// Operations per second.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// Client CPU time per operation, in microseconds.
    pub fn cpu_us_per_op(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / (self.ops.max(1) as f64)
    }

    /// Received payload in MB/s (10⁶ bytes per second).
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.wall.as_secs_f64().max(1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_values_in_order() {
        let mut last = 0;
        for ns in (0..100_000u64).chain([u64::MAX / 2, u64::MAX]) {
            let b = bucket_of(ns);
            assert!(b >= last, "bucket of {ns} went backwards");
            let (lo, hi) = bucket_bounds(b);
            assert!(
                lo <= ns && (ns < hi || hi == u64::MAX),
                "{ns} not in [{lo}, {hi})"
            );
            last = b;
        }
    }

    #[test]
    fn quantiles_are_within_the_bucket_resolution() {
        let mut h = Histogram::default();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let p50 = h.quantile(0.5).unwrap().as_nanos() as f64;
        let p99 = h.quantile(0.99).unwrap().as_nanos() as f64;
        assert!((p50 / 500_000.0 - 1.0).abs() < 0.07, "p50 {p50}");
        assert!((p99 / 990_000.0 - 1.0).abs() < 0.07, "p99 {p99}");
        assert_eq!(h.len(), 1000);
    }

    #[test]
    fn cpu_time_advances_with_work() {
        let before = process_cpu_time();
        let mut x = 0u64;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(process_cpu_time() > before);
    }
}
