//! Deadlines that saturate: a huge `Duration` (even `Duration::MAX`, or
//! `?read_timeout=1e19` in a URL) means "practically never", never an
//! overflow panic in a driver task.

use std::time::Duration;

use tokio::time::Instant;

/// About thirty years: as far as any deadline reaches (tokio's own
/// `sleep(Duration::MAX)` stops at the same distance).
pub(crate) const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `base + d`, capped at [`FAR`] past `base`.
pub(crate) fn after(base: Instant, d: Duration) -> Instant {
    base.checked_add(d.min(FAR)).unwrap_or(base)
}

/// `d` from now, capped at [`FAR`].
pub(crate) fn from_now(d: Duration) -> Instant {
    after(Instant::now(), d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_durations_saturate() {
        let now = Instant::now();
        assert_eq!(after(now, Duration::MAX), now + FAR);
        assert_eq!(
            after(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        assert!(from_now(Duration::MAX) > now + FAR / 2);
    }
}
