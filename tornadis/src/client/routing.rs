//! Which connection a command may run on.
//!
//! A shared multiplexed connection cannot run commands that change the
//! connection's state (WATCH, MULTI, SELECT, SUBSCRIBE, ...): every other
//! caller would be affected. Blocking commands (BLPOP, XREAD BLOCK, WAIT, ...)
//! would stall every other caller behind them, so they run on a side
//! connection of their own.

use std::time::Duration;

use crate::cmd::Cmd;
use crate::command_info::{CommandFlags, CommandInfo};
use crate::error::{Error, Result};

/// How a command must be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// On the client's own connection.
    Direct,
    /// On a side connection; the command blocks for at most this long on the
    /// server (`None`: possibly forever).
    Blocking(Option<Duration>),
}

/// The spec table's entry for `cmd`: attached by typed methods, looked up by name for raw commands.
pub(crate) fn info_of(cmd: &Cmd) -> Option<&'static CommandInfo> {
    cmd.info().or_else(|| {
        let mut args = cmd.arg_slices();
        let first = args.next()?;
        crate::commands::lookup_args(first, args.next())
    })
}

/// [`info_of`] with a one-entry cache of the last plain (no-subcommand)
/// command found, for batches that repeat one command many times.
pub(crate) fn info_of_cached(
    cmd: &Cmd,
    last: &mut Option<&'static CommandInfo>,
) -> Option<&'static CommandInfo> {
    if let Some(info) = cmd.info() {
        return Some(info);
    }
    if let (Some(prev), Some(first)) = (*last, cmd.arg_slices().next()) {
        if first.eq_ignore_ascii_case(prev.name.as_bytes()) {
            return Some(prev);
        }
    }
    let found = info_of(cmd);
    if let Some(info) = found {
        if !info.name.contains(' ') {
            *last = Some(info);
        }
    }
    found
}

/// Decides the route of `cmd`, or refuses it on this kind of connection.
pub(crate) fn route(cmd: &Cmd, exclusive: bool) -> Result<Route> {
    route_with(info_of(cmd), cmd, exclusive)
}

/// [`route`] for a command whose metadata was already looked up.
pub(crate) fn route_with(
    info: Option<&'static CommandInfo>,
    cmd: &Cmd,
    exclusive: bool,
) -> Result<Route> {
    let Some(info) = info else {
        return Ok(Route::Direct);
    };
    if info.flags.contains(CommandFlags::CONNECTION_STATE) {
        if info.name == "MONITOR" {
            // Like SUBSCRIBE, it turns the connection into a one-way stream:
            // every later request would read stream lines as its reply, so
            // even a dedicated connection cannot run it.
            return Err(Error::client(
                "MONITOR turns the connection into a stream of every command the server runs, \
                 which a request/reply client cannot read; use redis-cli or a raw socket",
            ));
        }
        if info.flags.contains(CommandFlags::PUBSUB) {
            return Err(Error::client(format!(
                "{} turns the connection into a subscriber; use tornadis::PubSubClient for pub/sub",
                info.name
            )));
        }
        if !exclusive {
            return Err(Error::client(format!(
                "{} changes the state of the connection, which this client shares between all its users; \
                 run it on a dedicated connection (Client::dedicated, Client::transaction or a pooled client)",
                info.name
            )));
        }
        return Ok(Route::Direct);
    }
    if exclusive {
        // A dedicated connection has one user: blocking only blocks that user.
        return Ok(Route::Direct);
    }
    let blocks = match info.name {
        // These block only with their BLOCK option.
        "XREAD" | "XREADGROUP" => cmd.arg_slices().any(|a| a.eq_ignore_ascii_case(b"BLOCK")),
        _ => info.flags.contains(CommandFlags::BLOCKING),
    };
    if blocks {
        return Ok(Route::Blocking(blocking_timeout(info, cmd)));
    }
    Ok(Route::Direct)
}

/// Whether `cmd` changes the connection's state (for dedicated connections).
#[cfg(test)]
pub(crate) fn changes_state(cmd: &Cmd) -> bool {
    info_of(cmd).is_some_and(|i| i.flags.contains(CommandFlags::CONNECTION_STATE))
}

fn parse_f64(arg: &[u8]) -> Option<f64> {
    std::str::from_utf8(arg).ok()?.parse().ok()
}

/// How long the server may block the command, from its timeout argument.
/// `None` when it may block forever (a zero timeout) or the timeout is unknown.
fn blocking_timeout(info: &CommandInfo, cmd: &Cmd) -> Option<Duration> {
    let args: Vec<&[u8]> = cmd.arg_slices().collect();
    let (value, millis) = match info.name {
        // ... key [key ...] timeout / source destination ... timeout
        "BLPOP" | "BRPOP" | "BZPOPMIN" | "BZPOPMAX" | "BLMOVE" | "BRPOPLPUSH" => {
            (args.last().copied().and_then(parse_f64)?, false)
        }
        // BLMPOP timeout numkeys key ... / BZMPOP timeout numkeys key ...
        "BLMPOP" | "BZMPOP" => (args.get(1).copied().and_then(parse_f64)?, false),
        // WAIT numreplicas timeout / WAITAOF numlocal numreplicas timeout (milliseconds)
        "WAIT" | "WAITAOF" => (args.last().copied().and_then(parse_f64)?, true),
        "XREAD" | "XREADGROUP" => {
            let at = args.iter().position(|a| a.eq_ignore_ascii_case(b"BLOCK"))?;
            (args.get(at + 1).copied().and_then(parse_f64)?, true)
        }
        _ => return None,
    };
    if value.is_nan() || value <= 0.0 || value.is_infinite() {
        return None;
    }
    let secs = if millis { value / 1000.0 } else { value };
    Duration::try_from_secs_f64(secs).ok()
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
    fn blocking_commands_go_to_a_side_connection() {
        let r = |a: &[&str]| route(&raw(a), false).unwrap();
        assert_eq!(r(&["GET", "k"]), Route::Direct);
        assert_eq!(
            r(&["blpop", "a", "b", "2.5"]),
            Route::Blocking(Some(Duration::from_millis(2500)))
        );
        assert_eq!(r(&["BLPOP", "a", "0"]), Route::Blocking(None));
        assert_eq!(
            r(&["BLMPOP", "3", "1", "k", "LEFT"]),
            Route::Blocking(Some(Duration::from_secs(3)))
        );
        assert_eq!(
            r(&["WAIT", "1", "250"]),
            Route::Blocking(Some(Duration::from_millis(250)))
        );
        assert_eq!(
            r(&["XREAD", "COUNT", "1", "STREAMS", "s", "0"]),
            Route::Direct
        );
        assert_eq!(
            r(&["XREAD", "BLOCK", "1500", "STREAMS", "s", "$"]),
            Route::Blocking(Some(Duration::from_millis(1500)))
        );
        // On a dedicated connection, blocking only blocks its one user.
        assert_eq!(
            route(&raw(&["BLPOP", "a", "1"]), true).unwrap(),
            Route::Direct
        );
    }

    #[test]
    fn connection_state_commands_need_a_dedicated_connection() {
        for args in [
            &["WATCH", "k"][..],
            &["MULTI"],
            &["SELECT", "1"],
            &["client", "reply", "off"],
        ] {
            let e = route(&raw(args), false).unwrap_err();
            assert!(e.is_client(), "{args:?}: {e}");
            assert!(route(&raw(args), true).is_ok(), "{args:?}");
            assert!(changes_state(&raw(args)));
        }
        for args in [
            &["SUBSCRIBE", "ch"][..],
            &["psubscribe", "p*"],
            &["SSUBSCRIBE", "s"],
        ] {
            let e = route(&raw(args), true).unwrap_err();
            assert!(e.to_string().contains("PubSubClient"), "{e}");
        }
        for exclusive in [false, true] {
            let e = route(&raw(&["monitor"]), exclusive).unwrap_err();
            assert!(e.is_client() && e.to_string().contains("MONITOR"), "{e}");
        }
        assert_eq!(
            route(&raw(&["PUBLISH", "ch", "m"]), false).unwrap(),
            Route::Direct
        );
        assert!(!changes_state(&raw(&["GET", "k"])));
    }
}
