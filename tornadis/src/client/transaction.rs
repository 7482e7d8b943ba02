//! Optimistic transactions: WATCH on a dedicated connection, MULTI/EXEC, retry on abort.

use std::future::Future;

use super::Client;
use crate::cmd::Cmd;
use crate::error::Result;
use crate::value::ToArgs;

/// How many times [`Client::transaction`] runs its body before giving up.
pub const TRANSACTION_ATTEMPTS: usize = 16;

impl Client {
    /// Runs an optimistic transaction: WATCHes `keys` on a connection of its
    /// own, runs `body` with a client for that connection, and runs it again
    /// (after a fresh WATCH) when the body's atomic pipeline reports that a
    /// watched key changed ([`Error::is_aborted`](crate::Error::is_aborted)),
    /// up to [`TRANSACTION_ATTEMPTS`] times.
    ///
    /// The body reads what it needs through the client it is given, then
    /// queues its writes in an atomic pipeline (`client.pipeline()....atomic().query()`).
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
    /// Cancelling drops the dedicated connection; a transaction whose EXEC was
    /// already sent may or may not have run.
    pub async fn transaction<K, T, F, Fut>(&self, keys: K, mut body: F) -> Result<T>
    where
        K: ToArgs,
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let conn = self.dedicated()?;
        let mut watch = Cmd::new();
        watch.arg("WATCH");
        keys.write_args(&mut watch);
        let mut attempt = 0;
        loop {
            attempt += 1;
            conn.call(&watch).await?;
            match body(conn.clone()).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_aborted() && attempt < TRANSACTION_ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
    }
}
