//! Bounded polling: wait for a condition with a deadline and a useful
//! failure message, rather than sleeping for a fixed time.

use std::thread;
use std::time::{Duration, Instant};

/// Calls `probe` until it returns `Ok` or `timeout` passes.
///
/// `probe` returns `Err(reason)` while the condition does not hold; on
/// timeout the error names `what` was awaited, for how long, and the last
/// reason, so a failing test says why it gave up. Polls start fast (10 ms)
/// and slow down to 200 ms between attempts.
pub fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> Result<T, String>,
) -> Result<T, String> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    loop {
        let reason = match probe() {
            Ok(value) => return Ok(value),
            Err(reason) => reason,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "timed out after {timeout:?} waiting for {what}; last state: {reason}"
            ));
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}
