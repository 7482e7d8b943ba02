//! Re-authentication of a live connection on the schedule of its
//! credentials ([`Credentials::refresh_after`](crate::Credentials::refresh_after)).
//!
//! When a connection opens with credentials that say when to refresh, the
//! driver starts one task for that connection. When the time comes, the
//! task asks the provider again and queues `AUTH` with the answer through
//! the same queue as every request: it is written in order with them,
//! answered in order, and the requests in flight around it are untouched.
//! The task ends with its connection (a new connection starts its own).
//!
//! A refresh is put off, not sent, while a dedicated connection is inside a
//! transaction: an `AUTH` queued after `MULTI` would become part of the
//! transaction and its reply part of `EXEC`'s.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::oneshot;

use super::shared::{state_bit, Link, Shared, Slot, Wake};
use crate::command_info::StateChange;
use crate::config::ServerAddr;
use crate::error::{Error, ErrorKind, Result};
use crate::events::ConnectionEvent;
use crate::resp::Value;

/// How soon a refresh that failed or had to wait is tried again (or the
/// credentials' own interval, if that is shorter).
const RETRY: Duration = Duration::from_secs(1);

/// Starts the schedule of the connection that just opened as the
/// `generation`-th one of `shared`, to `addr`.
pub(super) fn spawn(shared: &Arc<Shared>, generation: u64, addr: ServerAddr, after: Duration) {
    let weak = Arc::downgrade(shared);
    tokio::spawn(run(weak, generation, addr, after));
}

/// What one refresh came to.
enum Outcome {
    /// `AUTH` accepted; the next refresh after this long (`None`: no more).
    Done(Option<Duration>),
    /// Not sent now (a transaction is open, or the queue is full): try again soon.
    Later,
    /// The provider failed or the server refused: try again soon.
    Failed(Error),
    /// The connection is gone: its schedule ends.
    Stop,
}

async fn run(weak: Weak<Shared>, generation: u64, addr: ServerAddr, mut after: Duration) {
    loop {
        tokio::time::sleep(after).await;
        let Some(shared) = weak.upgrade() else {
            return;
        };
        let retry = after.min(RETRY);
        match refresh(&shared, generation, &addr).await {
            Outcome::Done(next) => {
                shared
                    .events
                    .emit(|| ConnectionEvent::Reauthenticated { addr: addr.clone() });
                match next {
                    Some(next) => after = next,
                    None => return,
                }
            }
            Outcome::Later => after = retry,
            Outcome::Failed(error) => {
                shared.events.emit(|| ConnectionEvent::ReauthFailed {
                    addr: addr.clone(),
                    error,
                });
                after = retry;
            }
            Outcome::Stop => return,
        }
    }
}

/// Whether the connection this schedule belongs to is still the open one.
fn current(shared: &Shared, generation: u64) -> bool {
    let st = shared.lock();
    st.link == Link::Connected && st.connects == generation && !st.handles_gone
}

async fn refresh(shared: &Shared, generation: u64, addr: &ServerAddr) -> Outcome {
    let Some(provider) = &shared.config.credentials else {
        return Outcome::Stop;
    };
    if !current(shared, generation) {
        return Outcome::Stop;
    }
    let creds = match crate::credentials::fetch(provider.get(), addr, shared.config.connect_timeout)
        .await
    {
        Ok(creds) => creds,
        Err(e) => return Outcome::Failed(e),
    };
    let mut auth = crate::cmd::cmd("AUTH");
    if let Some(user) = creds.username() {
        auth.arg(user);
    }
    auth.arg(creds.password().expose());
    let rx = match queue(shared, generation, &auth) {
        Ok(Some(rx)) => rx,
        Ok(None) => return Outcome::Later,
        Err(()) => return Outcome::Stop,
    };
    match rx.await {
        Ok(Ok(Value::Error(e))) => Outcome::Failed(
            Error::new(
                ErrorKind::Auth,
                format!(
                    "the server at {addr} refused the refreshed credentials (user {:?}); the \
                     connection stays authenticated as before",
                    creds.username().unwrap_or("default")
                ),
            )
            .with_server(e)
            .with_command("AUTH"),
        ),
        Ok(Ok(_)) => Outcome::Done(creds.refresh_interval()),
        // The connection failed meanwhile: the next one authenticates itself.
        Ok(Err(_)) | Err(_) => Outcome::Stop,
    }
}

/// Queues `auth` on the connection of `generation`, behind what is queued.
/// `Ok(None)`: not now; `Err(())`: that connection is gone.
fn queue(
    shared: &Shared,
    generation: u64,
    auth: &crate::cmd::Cmd,
) -> std::result::Result<Option<oneshot::Receiver<Result<Value>>>, ()> {
    let wake = {
        let mut st = shared.lock();
        if st.link != Link::Connected || st.connects != generation || st.handles_gone {
            return Err(());
        }
        if shared.conn_state.bits() & state_bit(StateChange::Transaction) != 0 {
            return Ok(None);
        }
        let Ok(permit) = shared.permits.try_take() else {
            return Ok(None);
        };
        let (tx, rx) = oneshot::channel();
        match st.push(&shared.config, auth, Slot::single(permit, Some(tx))) {
            Ok(wake) => (wake, rx),
            Err(_) => return Err(()),
        }
    };
    let (wake, rx) = wake;
    // The link is `Connected`, so a driver runs: never `Spawn`.
    if let Wake::Driver(w) = wake {
        w.wake();
    }
    Ok(Some(rx))
}
