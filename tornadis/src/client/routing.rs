//! Which connection a command may run on: one decision per command, computed
//! once from the spec table's routing facts ([`RoutingFacts`]), and consumed
//! by the client, pipelines, pools, the cluster and the cache.
//!
//! - Commands that change the connection's state (WATCH, MULTI, SELECT, ...)
//!   run only where the connection has one user: a dedicated or pooled client.
//! - Commands that act on what earlier commands did on their own connection
//!   (WAIT, WAITAOF) run only on a dedicated client: on a shared connection
//!   they would count every caller's writes and hold every caller up.
//! - Blocking commands (BLPOP, XREAD BLOCK, ...) would stall every other
//!   caller of a shared connection, so they run on a side connection of their
//!   own; on a dedicated client they block only its one user.
//! - Commands that take the connection over (MONITOR, SUBSCRIBE, PSYNC,
//!   REPLCONF, CLIENT REPLY, ...) are never sent by a request/reply client.
//! - Commands the table does not know (module commands) go anywhere: the
//!   table cannot say more about them.

use std::time::Duration;

use crate::cmd::Cmd;
use crate::command_info::{CommandFlags, CommandInfo, ConnectionUse, RoutingFacts, StateChange};
use crate::error::{Error, Result};

/// Where one command may be sent.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    /// Any connection: shared, dedicated, a cluster node's.
    Any,
    /// Only the connection of the caller's own earlier commands (a dedicated
    /// client); the server holds it for at most `timeout` (`None`: maybe forever).
    Own {
        /// Read from the command's timeout argument.
        timeout: Option<Duration>,
    },
    /// Changes the connection's state: only on a dedicated connection, which records it.
    Dedicated(StateChange),
    /// Blocks: on a shared client it runs on a side connection; the server
    /// holds it for at most `timeout` (`None`: maybe forever).
    Side {
        /// Read from the command's timeout argument.
        timeout: Option<Duration>,
    },
    /// Never sent by a request/reply client, for the reason given.
    Never(Error),
}

impl Route {
    /// The route of `cmd`, whose table entry is `info` (`None`: unknown to the table).
    pub(crate) fn of(info: Option<&'static CommandInfo>, cmd: &Cmd) -> Route {
        let Some(info) = info else {
            return Route::Any;
        };
        let facts: &RoutingFacts = &info.routing;
        match facts.connection {
            ConnectionUse::Takeover => return Route::Never(takeover(info)),
            ConnectionUse::State(change) => return Route::Dedicated(change),
            ConnectionUse::Own => {
                let args: Vec<&[u8]> = cmd.arg_slices().collect();
                let timeout = facts.blocking_timeout.and_then(|t| t.duration(&args));
                return Route::Own { timeout };
            }
            ConnectionUse::Any => {}
        }
        if !info.flags.contains(CommandFlags::BLOCKING) {
            return Route::Any;
        }
        let Some(t) = facts.blocking_timeout else {
            return Route::Side { timeout: None };
        };
        let args: Vec<&[u8]> = cmd.arg_slices().collect();
        if !t.blocks(&args) {
            return Route::Any;
        }
        Route::Side {
            timeout: t.duration(&args),
        }
    }

    /// Whether the command may hold its connection until the server's timeout.
    pub(crate) fn blocks(&self) -> bool {
        matches!(self, Route::Own { .. } | Route::Side { .. })
    }

    /// For a command that blocks: how long the server may hold it (`None`:
    /// maybe forever). `None` too for a command that does not block.
    pub(crate) fn wait(&self) -> Option<Duration> {
        match self {
            Route::Own { timeout } | Route::Side { timeout } => *timeout,
            _ => None,
        }
    }

    /// Refuses the command on a connection of this kind (`exclusive`: one
    /// user at a time). `name` names it in the error.
    pub(crate) fn check(&self, exclusive: bool, name: &str) -> Result<()> {
        match self {
            Route::Never(e) => Err(e.clone()),
            Route::Dedicated(_) if !exclusive => Err(Error::client(format!(
                "{name} changes the state of the connection, which this client shares between all its users; \
                 run it on a dedicated connection (Client::dedicated, Client::transaction or a pooled client)"
            ))),
            Route::Own { .. } if !exclusive => Err(Error::client(format!(
                "{name} counts what earlier commands did on its own connection, which this client shares \
                 between all its users (and it would hold every one of them up while it waits): send the \
                 writes and the {name} on one dedicated connection (Client::dedicated or a pooled client)"
            ))),
            _ => Ok(()),
        }
    }
}

/// Why a command that takes the connection over is never sent.
fn takeover(info: &CommandInfo) -> Error {
    let name = info.name;
    if info.flags.contains(CommandFlags::PUBSUB) {
        return Error::client(format!(
            "{name} turns the connection into a subscriber; use tornadis::PubSubClient for pub/sub"
        ));
    }
    Error::client(format!(
        "{name} takes the connection over (it answers with a stream, or stops answering), \
         which a request/reply client cannot follow without giving replies to the wrong \
         callers; it is refused on every client (use redis-cli or a raw socket for it)"
    ))
}

/// The spec table's entry for `cmd`: attached by typed methods, looked up by name for raw commands.
pub(crate) fn info_of(cmd: &Cmd) -> Option<&'static CommandInfo> {
    cmd.info().or_else(|| {
        let mut args = cmd.arg_slices();
        let first = args.next()?;
        crate::commands::lookup_args(first, args.next())
    })
}

/// The last plain (no-subcommand) command a batch looked up, and its name
/// as it was encoded (`$3\r\nSET\r\n`), for batches that repeat one
/// command many times: a command that starts with the same bytes is the
/// same command, found without reading its name back.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastCommand {
    info: Option<&'static CommandInfo>,
    encoded: Vec<u8>,
}

/// [`info_of`] with a one-entry cache ([`LastCommand`]).
pub(crate) fn info_of_cached(cmd: &Cmd, last: &mut LastCommand) -> Option<&'static CommandInfo> {
    if let Some(info) = cmd.info() {
        return Some(info);
    }
    if let Some(prev) = last.info {
        if cmd.starts_with_encoded(&last.encoded) {
            return Some(prev);
        }
    }
    let found = info_of(cmd);
    let name = cmd.encoded_name();
    if let Some(info) = found.filter(|i| !i.name.contains(' ') && !name.is_empty()) {
        last.info = Some(info);
        last.encoded.clear();
        last.encoded.extend_from_slice(name);
    }
    found
}

/// The route of `cmd`, refused when a connection of this kind cannot run it.
#[cfg(test)]
pub(crate) fn route(cmd: &Cmd, exclusive: bool) -> Result<Route> {
    route_with(info_of(cmd), cmd, exclusive)
}

/// [`route`] for a command whose metadata was already looked up.
pub(crate) fn route_with(
    info: Option<&'static CommandInfo>,
    cmd: &Cmd,
    exclusive: bool,
) -> Result<Route> {
    let route = Route::of(info, cmd);
    let name = match info {
        Some(i) => std::borrow::Cow::Borrowed(i.name),
        None => std::borrow::Cow::Owned(cmd.name()),
    };
    route.check(exclusive, &name)?;
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::cmd;

    fn raw(args: &[&str]) -> Cmd {
        let mut c = cmd(args[0]);
        for a in &args[1..] {
            c.arg(*a);
        }
        c
    }

    #[test]
    fn the_batch_cache_finds_what_a_lookup_finds() {
        let mut last = LastCommand::default();
        let commands: [&[&str]; 9] = [
            &["SET", "k", "v"],
            &["SET", "k2", "v"],
            &["set", "k", "v"],
            &["SETEX", "k", "1", "v"],
            &["SET", "k", "v"],
            &["CLIENT", "KILL", "ID", "1"],
            &["CLIENT", "SETNAME", "x"],
            &["NOSUCHCOMMAND", "x"],
            &["SET", "k", "v"],
        ];
        for args in commands {
            let c = raw(args);
            let cached = info_of_cached(&c, &mut last).map(|i| i.name);
            assert_eq!(cached, info_of(&c).map(|i| i.name), "{args:?}");
        }
        assert_eq!(raw(&["GET", "k"]).encoded_name(), b"$3\r\nGET\r\n");
        assert_eq!(Cmd::new().encoded_name(), b"");
    }

    fn side(args: &[&str]) -> Option<Option<Duration>> {
        match route(&raw(args), false).unwrap() {
            Route::Side { timeout } => Some(timeout),
            Route::Any => None,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn blocking_commands_go_to_a_side_connection() {
        assert_eq!(side(&["GET", "k"]), None);
        assert_eq!(
            side(&["blpop", "a", "b", "2.5"]),
            Some(Some(Duration::from_millis(2500)))
        );
        assert_eq!(side(&["BLPOP", "a", "0"]), Some(None));
        assert_eq!(
            side(&["BLMPOP", "3", "1", "k", "LEFT"]),
            Some(Some(Duration::from_secs(3)))
        );
        assert_eq!(
            side(&["BLMOVE", "a", "b", "LEFT", "RIGHT", "4"]),
            Some(Some(Duration::from_secs(4)))
        );
        assert_eq!(
            side(&["BRPOPLPUSH", "a", "b", "0.25"]),
            Some(Some(Duration::from_millis(250)))
        );
        assert_eq!(side(&["XREAD", "COUNT", "1", "STREAMS", "s", "0"]), None);
        assert_eq!(
            side(&["XREAD", "BLOCK", "1500", "STREAMS", "s", "$"]),
            Some(Some(Duration::from_millis(1500)))
        );
        assert_eq!(
            side(&[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "20",
                "STREAMS",
                "s",
                ">"
            ]),
            Some(Some(Duration::from_millis(20)))
        );
        // A huge timeout saturates instead of overflowing.
        assert_eq!(side(&["BLPOP", "a", "1e300"]), Some(Some(Duration::MAX)));
        // On a dedicated connection, blocking only blocks its one user.
        assert!(matches!(
            route(&raw(&["BLPOP", "a", "1"]), true).unwrap(),
            Route::Side { .. }
        ));
    }

    #[test]
    fn wait_runs_only_on_the_callers_own_connection() {
        for args in [&["WAIT", "1", "250"][..], &["WAITAOF", "0", "1", "250"]] {
            let e = route(&raw(args), false).unwrap_err();
            assert!(e.is_client() && e.to_string().contains("dedicated"), "{e}");
            match route(&raw(args), true).unwrap() {
                Route::Own { timeout } => assert_eq!(timeout, Some(Duration::from_millis(250))),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn connection_state_commands_need_a_dedicated_connection() {
        for (args, change) in [
            (&["WATCH", "k"][..], StateChange::Transaction),
            (&["MULTI"], StateChange::Transaction),
            (&["SELECT", "1"], StateChange::Database),
            (&["client", "tracking", "on"], StateChange::Session),
        ] {
            let e = route(&raw(args), false).unwrap_err();
            assert!(e.is_client(), "{args:?}: {e}");
            match route(&raw(args), true).unwrap() {
                Route::Dedicated(c) => assert_eq!(c, change, "{args:?}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        for args in [
            &["SUBSCRIBE", "ch"][..],
            &["psubscribe", "p*"],
            &["SSUBSCRIBE", "s"],
            &["unsubscribe"],
        ] {
            let e = route(&raw(args), true).unwrap_err();
            assert!(e.to_string().contains("PubSubClient"), "{e}");
        }
        for args in [
            &["monitor"][..],
            &["PSYNC", "?", "-1"],
            &["SYNC"],
            &["REPLCONF", "ACK", "0"],
            &["CLIENT", "REPLY", "OFF"],
        ] {
            for exclusive in [false, true] {
                let e = route(&raw(args), exclusive).unwrap_err();
                assert!(e.is_client() && e.to_string().contains("takes"), "{e}");
            }
        }
        assert!(matches!(
            route(&raw(&["PUBLISH", "ch", "m"]), false).unwrap(),
            Route::Any
        ));
        // Unknown (module) commands go anywhere.
        assert!(matches!(
            route(&raw(&["MYMODULE.DO", "x"]), false).unwrap(),
            Route::Any
        ));
    }
}
