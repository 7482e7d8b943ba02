//! The [`AddrResolver`]s behind the primary and replica clients: asked
//! before every connection attempt, they ask the sentinels and check the
//! node's role before handing its address to the connection.

use std::sync::Arc;

use super::state::Core;
use crate::client::{AddrResolver, ResolveFuture};
use crate::config::ServerAddr;
use crate::error::{Error, Result};

/// Where the primary of the service is now, verified with `ROLE`.
#[derive(Debug)]
pub(crate) struct PrimaryResolver {
    pub(crate) core: Arc<Core>,
}

impl AddrResolver for PrimaryResolver {
    fn resolve(&self) -> ResolveFuture<'_> {
        Box::pin(async move {
            // Connections are opened from a runtime: a good moment to make
            // sure the switch listener runs too.
            self.core.ensure_watcher();
            let addr = resolve_primary(&self.core).await?;
            // Only what a connection was handed counts as the current
            // primary for the switch listener (not addresses asked for).
            self.core.set_last_primary(addr.clone());
            Ok(addr)
        })
    }
}

/// A healthy replica of the service, verified with `ROLE`, in turn.
#[derive(Debug)]
pub(crate) struct ReplicaResolver {
    pub(crate) core: Arc<Core>,
}

impl AddrResolver for ReplicaResolver {
    fn resolve(&self) -> ResolveFuture<'_> {
        Box::pin(async move {
            self.core.ensure_watcher();
            resolve_replica(&self.core).await
        })
    }
}

/// Asks for the primary and checks it says `master`. Right after a
/// failover a sentinel may still name the old primary (dead, or alive and
/// about to be demoted), so a refusal is followed by a short pause and a
/// new question, a bounded number of times.
pub(crate) async fn resolve_primary(core: &Core) -> Result<ServerAddr> {
    let mut last_error = None;
    for attempt in 0..core.options.resolve_attempts {
        if attempt > 0 {
            tokio::time::sleep(core.options.resolve_delay).await;
        }
        let addr = match core.ask_primary().await {
            Ok(addr) => addr,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        match core.role_of(&addr).await {
            Ok(role) if role == "master" => return Ok(addr),
            Ok(role) => {
                last_error = Some(Error::connection(format!(
                    "the sentinels name {addr} as the primary of {:?}, but it reports the role {role:?}",
                    core.service
                )))
            }
            Err(e) => {
                last_error = Some(e.with_context(format!(
                    "the primary the sentinels name for {:?} ({addr}) did not confirm its role",
                    core.service
                )))
            }
        }
    }
    Err(gave_up(core, "primary", last_error))
}

/// Asks for the healthy replicas and hands out the first, in round-robin
/// order, that says `slave`.
pub(crate) async fn resolve_replica(core: &Core) -> Result<ServerAddr> {
    let mut last_error = None;
    for attempt in 0..core.options.resolve_attempts {
        if attempt > 0 {
            tokio::time::sleep(core.options.resolve_delay).await;
        }
        let replicas = match core.ask_replicas().await {
            Ok(r) if r.is_empty() => {
                last_error = Some(Error::connection(format!(
                    "the sentinels know no healthy replica of {:?}",
                    core.service
                )));
                continue;
            }
            Ok(r) => r,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        let start = core.next_replica_turn() as usize % replicas.len();
        for addr in replicas.iter().cycle().skip(start).take(replicas.len()) {
            match core.role_of(addr).await {
                Ok(role) if role == "slave" => return Ok(addr.clone()),
                Ok(role) => {
                    last_error = Some(Error::connection(format!(
                        "the sentinels list {addr} as a replica of {:?}, but it reports the role {role:?}",
                        core.service
                    )))
                }
                Err(e) => last_error = Some(e),
            }
        }
    }
    Err(gave_up(core, "replica", last_error))
}

fn gave_up(core: &Core, what: &str, last_error: Option<Error>) -> Error {
    let attempts = core.options.resolve_attempts;
    match last_error {
        Some(e) => e.with_context(format!(
            "no verified {what} for {:?} after {attempts} attempts",
            core.service
        )),
        None => Error::client(format!(
            "no attempt was made to find a {what} for {:?} (resolve_attempts is 0)",
            core.service
        )),
    }
}
