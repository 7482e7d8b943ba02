//! Optimistic transactions: WATCH on a dedicated connection, MULTI/EXEC,
//! retry with jittered backoff on abort.
//!
//! The dedicated connections are kept by the client and reused: after a
//! transaction, its connection is cleaned (`DISCARD`/`UNWATCH`, and the
//! configured db selected again if the body changed it) and lent to the next
//! one. At most [`max_transaction_connections`](crate::ConfigBuilder::max_transaction_connections)
//! transactions of one client run at once; more wait for a connection.

use std::future::Future;
use std::sync::Weak;
use std::time::Duration;

use super::{Client, Handle};
use crate::backoff::Backoff;
use crate::cmd::Cmd;
use crate::error::{Error, ErrorKind, Result};
use crate::value::ToArgs;

/// How many times [`Client::transaction`] runs its body before giving up
/// (the default of [`TransactionOptions::attempts`]).
pub const TRANSACTION_ATTEMPTS: usize = 32;

/// How idle transaction connections a client keeps beyond those in use.
const MAX_IDLE: usize = 4;

/// How [`Client::transaction_with`] retries.
///
/// ```
/// use std::time::Duration;
/// let options = tornadis::TransactionOptions::default()
///     .attempts(100)
///     .backoff(Duration::from_millis(1), Duration::from_millis(20));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TransactionOptions {
    attempts: usize,
    backoff_min: Duration,
    backoff_max: Duration,
}

impl Default for TransactionOptions {
    /// [`TRANSACTION_ATTEMPTS`] attempts, with a backoff from 1 ms to 100 ms.
    fn default() -> Self {
        TransactionOptions {
            attempts: TRANSACTION_ATTEMPTS,
            backoff_min: Duration::from_millis(1),
            backoff_max: Duration::from_millis(100),
        }
    }
}

impl TransactionOptions {
    /// How many times the body may run (at least once).
    pub fn attempts(mut self, n: usize) -> Self {
        self.attempts = n.max(1);
        self
    }

    /// The wait before a retry starts at `min` and doubles up to `max`, each
    /// wait scaled by a random factor so that contending tasks spread out.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff_min = min;
        self.backoff_max = max.max(min);
        self
    }
}

/// A transaction connection on loan; back to the client's idle list when
/// the transaction ran to its end, closed when it was cancelled midway.
struct Loan {
    owner: Weak<Handle>,
    conn: Option<Client>,
    finished: bool,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Loan {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        // Cancelled midway: a command may still be on its way; a fresh
        // connection is simpler than finding out.
        let reusable = self.finished
            && !conn.state_was_lost()
            && !conn.blocking_in_flight()
            && conn.undo_state();
        if !reusable {
            conn.disconnect();
            return;
        }
        if let Some(owner) = self.owner.upgrade() {
            let mut idle = owner.txn_idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
                return;
            }
        }
        conn.disconnect();
    }
}

impl Client {
    /// Runs an optimistic transaction: WATCHes `keys` on a connection of its
    /// own, runs `body` with a client for that connection, and runs it again
    /// (after a jittered backoff and a fresh WATCH) when the body's atomic
    /// pipeline reports that a watched key changed
    /// ([`Error::is_aborted`](crate::Error::is_aborted)), up to
    /// [`TRANSACTION_ATTEMPTS`] times. See [`transaction_with`](Client::transaction_with)
    /// to choose the attempts and the backoff.
    ///
    /// The body reads what it needs through the client it is given, then
    /// queues its writes in an atomic pipeline (`client.pipeline()....atomic().query()`).
    /// It must not keep that client: the connection goes to the next transaction.
    ///
    /// The transaction commits once or fails. If the connection is lost
    /// after the WATCH, the body's next command fails with
    /// [`Error::is_state_lost`](crate::Error::is_state_lost) instead of running
    /// unwatched on a new connection, and the attempt starts again on a fresh
    /// one. A connection error on the EXEC itself is returned as it is: the
    /// transaction may or may not have run.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// use tornadis::Commands;
    /// let new_balance: i64 = client
    ///     .transaction("balance", |conn| async move {
    ///         let balance: Option<i64> = conn.get("balance").await?;
    ///         let next = balance.unwrap_or(0) + 10;
    ///         let (_,) = conn.pipeline().set("balance", next).atomic().query().await?;
    ///         Ok(next)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Cancelling closes the transaction's connection; a transaction whose
    /// EXEC was already sent may or may not have run.
    pub async fn transaction<K, T, F, Fut>(&self, keys: K, body: F) -> Result<T>
    where
        K: ToArgs,
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.transaction_with(keys, TransactionOptions::default(), body)
            .await
    }

    /// [`transaction`](Client::transaction) with the retries of `options`.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// use tornadis::{Commands, TransactionOptions};
    /// let options = TransactionOptions::default().attempts(5);
    /// client
    ///     .transaction_with("stock", options, |conn| async move {
    ///         let stock: i64 = conn.get::<i64>("stock").await?.unwrap_or(0);
    ///         let (_,) = conn.pipeline().set("stock", stock - 1).atomic().query().await?;
    ///         Ok(())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As for [`transaction`](Client::transaction).
    pub async fn transaction_with<K, T, F, Fut>(
        &self,
        keys: K,
        options: TransactionOptions,
        mut body: F,
    ) -> Result<T>
    where
        K: ToArgs,
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut loan = self.borrow_transaction_connection().await?;
        let mut watch = Cmd::new();
        watch.arg("WATCH");
        keys.write_args(&mut watch);
        let mut backoff = Backoff::new(options.backoff_min, options.backoff_max);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(conn) = loan.conn.clone() else {
                return Err(Error::client("the transaction lost its connection"));
            };
            let outcome = match conn.call(&watch).await {
                Ok(_) => body(conn.clone()).await,
                Err(e) => Err(e),
            };
            let retry = match &outcome {
                Err(e) if e.is_aborted() => true,
                Err(e) if e.is_state_lost() => {
                    // Nothing was sent after the loss: start again from a fresh connection.
                    conn.reset_connection();
                    true
                }
                _ => false,
            };
            if !retry {
                loan.finished = true;
                return outcome;
            }
            if attempt >= options.attempts {
                loan.finished = true;
                let e = outcome.err().unwrap_or_else(|| Error::client("no outcome"));
                return Err(Error::new(
                    e.kind(),
                    format!(
                        "gave up after {attempt} attempts: {}",
                        if e.kind() == ErrorKind::Aborted {
                            "a watched key changed before every EXEC (retry later, or raise TransactionOptions::attempts)".to_string()
                        } else {
                            e.to_string()
                        }
                    ),
                ));
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }

    /// An idle transaction connection of this client, or a new one, once
    /// fewer than `max_transaction_connections` are in use.
    async fn borrow_transaction_connection(&self) -> Result<Loan> {
        let permit = self
            .handle
            .txn_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::client("the client is shutting down"))?;
        let idle = self
            .handle
            .txn_idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let conn = match idle {
            Some(c) => c,
            None => self.dedicated()?,
        };
        Ok(Loan {
            owner: std::sync::Arc::downgrade(&self.handle),
            conn: Some(conn),
            finished: false,
            _permit: permit,
        })
    }
}
