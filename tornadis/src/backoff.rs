//! Exponential backoff with jitter between reconnect attempts.
//!
//! Shared by the [`Client`](crate::Client)'s driver and the pub/sub driver:
//! the delay starts at `config.backoff_min`, doubles up to
//! `config.backoff_max`, and each delay is scaled by a random factor in [0.5, 1.0) so that many
//! clients cut off together do not reconnect in lockstep.

use std::time::Duration;

#[derive(Debug)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
    seed: u64,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        // Many backoffs made at the same instant (tasks contending for one
        // key) must not share a seed, or they would retry in lockstep.
        static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nth = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seed = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            ^ nth.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            | 1;
        Backoff {
            min,
            max,
            current: min,
            seed,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.current = self.min;
    }

    /// The next delay (xorshift jitter: no random-number crate needed for this).
    pub(crate) fn next_delay(&mut self) -> Duration {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let jitter = 0.5 + (self.seed % 1000) as f64 / 2000.0;
        let delay = self.current.mul_f64(jitter);
        self.current = self.current.saturating_mul(2).min(self.max);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_max_with_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
        let delays: Vec<_> = (0..8).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(5) && delays[0] < Duration::from_millis(10));
        assert!(delays.iter().all(|d| *d < Duration::from_millis(100)));
        assert!(delays[7] >= Duration::from_millis(50));
        b.reset();
        assert!(b.next_delay() < Duration::from_millis(10));
    }
}
