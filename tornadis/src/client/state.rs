//! Connection state on dedicated clients: what commands changed, what
//! happens when the connection holding it is lost, and undoing it so that the
//! connection can serve another user.
//!
//! A command the table marks as changing the connection's state (WATCH,
//! MULTI, SELECT, CLIENT TRACKING, ...) is recorded before it is sent. If the
//! connection then fails, a new one would silently lack that state (a `SET`
//! after `SELECT 2` would land in db 0; commands after `MULTI` would run at
//! once), so the client fails every request with
//! [`ErrorKind::StateLost`](crate::ErrorKind::StateLost) until the user calls
//! [`Client::reset_connection`]. Closing the connection on purpose
//! ([`Client::disconnect`]) drops the state with it, and is not reported.

use std::sync::atomic::Ordering;

use super::shared::{state_bit, Slot};
use super::Client;
use crate::cmd::{cmd, Cmd};
use crate::command_info::StateChange;

impl Client {
    /// True after a command that changes the connection's state (WATCH,
    /// MULTI, SELECT, ...) was sent on this dedicated client, until the
    /// state is undone or the connection is reset. A pool uses it to reset a
    /// client before handing it to the next user.
    pub fn connection_state_changed(&self) -> bool {
        self.shared().conn_state.bits() != 0
    }

    /// Records a state change made by a command sent outside the usual path (a pipeline).
    pub(crate) fn mark_state(&self, change: StateChange) {
        self.shared().mark_state(change);
    }

    /// Drops the connection so that the next request starts from a fresh
    /// handshake, undoing any state a connection-state command left behind.
    ///
    /// This is also how a dedicated client goes on after its connection was
    /// lost while it held state: until then, every request fails with an
    /// error for which [`Error::is_state_lost`](crate::Error::is_state_lost) is true.
    ///
    /// ```no_run
    /// # async fn demo(conn: tornadis::Client) -> tornadis::Result<()> {
    /// match conn.call(("SET", "k", "v")).await {
    ///     Err(e) if e.is_state_lost() => {
    ///         conn.reset_connection();
    ///         conn.call(("SELECT", 2)).await?; // set the state up again
    ///         conn.call(("SET", "k", "v")).await?;
    ///     }
    ///     other => { other?; }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reset_connection(&self) {
        self.disconnect();
        self.shared().lock().state_lost = false;
        self.shared().take_state();
    }

    /// True while the connection's loss with state held makes every request
    /// fail (until [`reset_connection`](Client::reset_connection)).
    pub(crate) fn state_was_lost(&self) -> bool {
        self.shared().lock().state_lost
    }

    /// True while a blocking command is in flight on this dedicated client.
    pub(crate) fn blocking_in_flight(&self) -> bool {
        self.shared().blocking.load(Ordering::Acquire) > 0
    }

    /// Undoes what commands changed on this dedicated connection so that it
    /// can serve another user: `DISCARD` and `UNWATCH` end a transaction,
    /// `SELECT` goes back to the configured db. They are queued ahead of
    /// anything sent later, and their replies are read and dropped (`DISCARD`
    /// outside MULTI answers an error, which is harmless). If the connection
    /// fails before they run, the next one starts clean from the handshake.
    ///
    /// Returns false when only a new connection can undo the state (client
    /// tracking, authentication, protocol, ...), or the queue refused the
    /// commands: the caller then closes the connection.
    ///
    /// The server's `RESET` is not used: it also logs the connection out and
    /// switches it to RESP2, which would need the whole handshake again.
    pub(crate) fn undo_state(&self) -> bool {
        let bits = self.shared().take_state();
        if bits == 0 {
            return true;
        }
        if bits & state_bit(StateChange::Session) != 0 {
            return false;
        }
        let mut undo: Vec<Cmd> = Vec::new();
        if bits & state_bit(StateChange::Transaction) != 0 {
            undo.push(cmd("DISCARD"));
            undo.push(cmd("UNWATCH"));
        }
        if bits & state_bit(StateChange::Database) != 0 {
            let mut select = cmd("SELECT");
            select.arg(self.config().db);
            undo.push(select);
        }
        for c in &undo {
            let Ok(permit) = self.try_permit() else {
                return false;
            };
            let shared = self.shared();
            let pushed = shared
                .lock()
                .push(&shared.config, c, Slot::single(permit, None));
            if self.after_push(pushed).is_err() {
                return false;
            }
        }
        true
    }
}
