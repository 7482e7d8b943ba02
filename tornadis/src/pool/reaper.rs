//! The reaper: with `autoclose`, a background task that closes idle clients
//! past the pool's timeouts, so that they do not linger until the next
//! acquire or release looks at them.

use std::sync::Weak;
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use super::{Inner, Settings};

/// The shortest and longest pause between two passes.
const MIN_PERIOD: Duration = Duration::from_millis(10);
const MAX_PERIOD: Duration = Duration::from_secs(60);

/// How often the reaper looks: a tenth of the shortest timeout (as in the
/// original), within bounds. `None` when no timeout is set.
pub(super) fn period(settings: &Settings) -> Option<Duration> {
    let shortest = match (settings.client_timeout, settings.idle_timeout) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => return None,
    };
    Some((shortest / 10).clamp(MIN_PERIOD, MAX_PERIOD))
}

/// Runs passes every `period` until the pool is dropped or destroyed. The
/// task holds only a weak reference, so it never keeps a pool alive.
pub(super) fn spawn(pool: Weak<Inner>, period: Duration) {
    tokio::spawn(async move {
        let start = crate::deadline::from_now(period);
        let mut ticks = tokio::time::interval_at(start, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(inner) = pool.upgrade() else { return };
            if !inner.reap() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(client: Option<u64>, idle: Option<u64>) -> Settings {
        Settings {
            max_size: None,
            client_timeout: client.map(Duration::from_millis),
            idle_timeout: idle.map(Duration::from_millis),
            autoclose: true,
            acquire_timeout: None,
            health_check: false,
        }
    }

    #[test]
    fn period_is_a_tenth_of_the_shortest_timeout_within_bounds() {
        assert_eq!(period(&settings(None, None)), None);
        assert_eq!(
            period(&settings(Some(5_000), None)),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            period(&settings(Some(5_000), Some(2_000))),
            Some(Duration::from_millis(200))
        );
        assert_eq!(period(&settings(Some(20), None)), Some(MIN_PERIOD));
        assert_eq!(period(&settings(None, Some(3_600_000))), Some(MAX_PERIOD));
    }
}
