//! [`Executor`]: the one method every command target implements.

use crate::cmd::Cmd;
use crate::value::FromValue;

/// Something that can run a command: a [`Client`](crate::Client) (through
/// `&Client`), and the other command targets (pooled clients, typed pipelines,
/// transactions, cluster clients).
///
/// The typed command methods of [`Commands`](crate::Commands) are provided for
/// every `Executor`: each builds a [`Cmd`] and hands it to [`execute`](Executor::execute)
/// with the reply type the spec table gives it. A client returns a future of
/// that reply; a typed pipeline returns itself with one more reply slot.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run Redis commands",
    label = "typed command methods need an executor here",
    note = "the typed methods run on `&Client` (method syntax borrows it: `client.get(..)`), `&ClusterClient`, `&SentinelClient`, `&MockClient`, a `TypedPipeline` (`client.pipeline()`, also on a cluster client, a pooled client and a mock), `&mut Pipeline` (`pipe.get(..)` stacks the command) and in `pipeline_of()` loops",
    note = "from a pool, call them on the guard: `pool.get_connected_client().await?.get(..)`"
)]
pub trait Executor: Sized {
    /// What a command method returns on this target for reply type `R`.
    type Output<R: FromValue>;

    /// Runs (or queues) `cmd`, whose reply will be decoded as `R`.
    fn execute<R: FromValue>(self, cmd: Cmd) -> Self::Output<R>;
}
