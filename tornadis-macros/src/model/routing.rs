//! Routing facts (FORMAT.md "Routing"): which connection a command may run
//! on, where its blocking timeout is, and the cluster's request and response
//! policies. Checked here, emitted as `CommandInfo::routing`.

use super::args::{Arg, Kind};
use crate::spec;

/// The checked routing facts of one command.
#[derive(Debug, Clone, PartialEq)]
pub struct Routing {
    pub connection: Connection,
    pub timeout: Option<Timeout>,
    /// A `RequestPolicy` variant name, e.g. `AllShards`.
    pub request_policy: Option<&'static str>,
    /// A `ResponsePolicy` variant name, e.g. `AggSum`.
    pub response_policy: Option<&'static str>,
}

/// `ConnectionUse`, with the `StateChange` variant name for `State`.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    Any,
    State(&'static str),
    Own,
    Takeover,
}

/// Where the blocking timeout is.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeout {
    pub at: Position,
    pub millis: bool,
    pub only_with_token: bool,
}

/// `ArgPosition`.
#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    Index(u16),
    FromEnd(u16),
    AfterToken(String),
}

const REQUEST: &[(&str, &str)] = &[
    ("all_nodes", "AllNodes"),
    ("all_shards", "AllShards"),
    ("multi_shard", "MultiShard"),
    ("special", "Special"),
];

const RESPONSE: &[(&str, &str)] = &[
    ("one_succeeded", "OneSucceeded"),
    ("all_succeeded", "AllSucceeded"),
    ("agg_logical_and", "AggLogicalAnd"),
    ("agg_logical_or", "AggLogicalOr"),
    ("agg_min", "AggMin"),
    ("agg_max", "AggMax"),
    ("agg_sum", "AggSum"),
    ("special", "Special"),
];

const STATES: &[(&str, &str)] = &[
    ("transaction", "Transaction"),
    ("transaction_end", "TransactionEnd"),
    ("db", "Database"),
    ("session", "Session"),
];

fn pick(
    field: &str,
    value: &Option<String>,
    known: &[(&str, &'static str)],
    errs: &mut Vec<String>,
) -> Option<&'static str> {
    let v = value.as_deref()?;
    match known.iter().find(|(k, _)| *k == v) {
        Some((_, variant)) => Some(variant),
        None => {
            let names: Vec<_> = known.iter().map(|(k, _)| *k).collect();
            errs.push(format!(
                "`{field}` = {v:?} is not one of {}",
                names.join(", ")
            ));
            None
        }
    }
}

/// Checks the routing fields of `c`, whose checked arguments are `args` and
/// flags (as `CommandFlags` constant names) `flags`.
pub fn convert(
    c: &spec::Command,
    args: &[Arg],
    flags: &[String],
    errs: &mut Vec<String>,
) -> Routing {
    let has = |f: &str| flags.iter().any(|x| x == f);
    let state = pick("state", &c.state, STATES, errs);
    if state.is_some() && !has("CONNECTION_STATE") {
        errs.push("`state` is for `connection_state` commands".into());
    }
    let connection = match c.connection.as_deref() {
        None if has("CONNECTION_STATE") => Connection::State(state.unwrap_or("Session")),
        None => Connection::Any,
        Some("own") => Connection::Own,
        Some("takeover") => Connection::Takeover,
        Some(other) => {
            errs.push(format!(
                "`connection` = {other:?} is not one of own, takeover"
            ));
            Connection::Any
        }
    };
    if state.is_some() && connection != Connection::State(state.unwrap_or_default()) {
        errs.push("`state` and `connection` exclude each other".into());
    }
    let request_policy = pick("request_policy", &c.request_policy, REQUEST, errs);
    let response_policy = pick("response_policy", &c.response_policy, RESPONSE, errs);
    if request_policy == Some("MultiShard") && c.keys.is_empty() {
        errs.push("`request_policy = \"multi_shard\"` needs keys to split by".into());
    }
    let timeout = c
        .blocking_timeout
        .as_deref()
        .and_then(|t| timeout(&c.name, t, args, errs));
    if timeout.is_some() && !has("BLOCKING") {
        errs.push("`blocking_timeout` without the `blocking` flag".into());
    }
    Routing {
        connection,
        timeout,
        request_policy,
        response_policy,
    }
}

/// How many arguments `a` always takes, when that is fixed.
pub(super) fn width(a: &Arg) -> Option<u16> {
    if a.optional || a.multiple {
        return None;
    }
    let own = match &a.kind {
        Kind::Token => return Some(1),
        Kind::Block(members) => members.iter().map(width).sum::<Option<u16>>()?,
        Kind::OneOf { choices, .. } => {
            let widths: Option<Vec<u16>> = choices.iter().map(width).collect();
            let widths = widths?;
            let first = *widths.first()?;
            if widths.iter().any(|w| *w != first) {
                return None;
            }
            first
        }
        _ => 1,
    };
    Some(own + u16::from(a.token.is_some()))
}

/// Locates the argument `spec` names (`name` or `name:ms`) among the
/// top-level arguments: by index when every argument before it has a fixed
/// width, from the end when it is the last, else after its token.
fn timeout(command: &str, spec: &str, args: &[Arg], errs: &mut Vec<String>) -> Option<Timeout> {
    let (name, millis) = match spec.strip_suffix(":ms") {
        Some(n) => (n, true),
        None => (spec, false),
    };
    let Some(i) = args.iter().position(|a| a.name == name) else {
        errs.push(format!(
            "`blocking_timeout` names `{name}`, which is not a top-level argument"
        ));
        return None;
    };
    let arg = &args[i];
    if arg.multiple || !matches!(arg.kind, Kind::Integer | Kind::Double | Kind::Value) {
        errs.push(format!(
            "`blocking_timeout`: `{name}` must be one number, not a list, token or group"
        ));
        return None;
    }
    let words = command.split(' ').count() as u16;
    let before: Option<u16> = args[..i].iter().map(width).sum();
    let at = match (before, &arg.token) {
        (Some(n), None) if !arg.optional => Position::Index(words + n),
        (Some(n), Some(_)) if !arg.optional => Position::Index(words + n + 1),
        (_, None) if !arg.optional && i + 1 == args.len() => Position::FromEnd(1),
        (_, Some(token)) => Position::AfterToken(token.clone()),
        _ => {
            errs.push(format!(
                "`blocking_timeout`: `{name}` has no fixed position, is not last and has no token"
            ));
            return None;
        }
    };
    Some(Timeout {
        only_with_token: arg.optional,
        at,
        millis,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{build, Source, Table};
    use super::*;

    fn one(command: &str) -> Result<Table, Vec<String>> {
        build(&[Source {
            display: "specs/list.toml".into(),
            text: format!("group = \"list\"\n\n[[command]]\n{command}"),
        }])
    }

    const HEAD: &str = "summary = \"s\"\nsince = \"1.0.0\"\narity = -3\nreply = \"()\"\n";

    fn routing(command: &str) -> Routing {
        let t = one(command).unwrap_or_else(|e| panic!("{e:?}"));
        t.commands[0].routing.clone()
    }

    #[test]
    fn timeouts_are_located_by_index_from_the_end_or_after_their_token() {
        let r = routing(&format!(
            "name = \"BLPOP\"\n{HEAD}flags = [\"blocking\"]\nkeys = [{{ first = 1, last = -2, step = 1 }}]\n\
             blocking_timeout = \"timeout\"\nargs = [\n  {{ name = \"key\", type = \"key\", multiple = true }},\n  \
             {{ name = \"timeout\", type = \"double\" }},\n]\n"
        ));
        let t = r.timeout.unwrap();
        assert_eq!(
            (t.at, t.millis, t.only_with_token),
            (Position::FromEnd(1), false, false)
        );
        let r = routing(&format!(
            "name = \"BLMPOP\"\n{HEAD}flags = [\"blocking\"]\nkeys = [{{ numkeys = 2, first = 1, step = 1 }}]\nblocking_timeout = \"timeout\"\nargs = [\n  \
             {{ name = \"timeout\", type = \"double\" }},\n  {{ name = \"numkeys\", type = \"integer\" }},\n  \
             {{ name = \"key\", type = \"key\", multiple = true }},\n]\n"
        ));
        assert_eq!(r.timeout.unwrap().at, Position::Index(1));
        let r = routing(&format!(
            "name = \"XREAD\"\n{HEAD}flags = [\"blocking\"]\nblocking_timeout = \"ms:ms\"\nargs = [\n  \
             {{ name = \"count\", type = \"integer\", token = \"COUNT\", optional = true }},\n  \
             {{ name = \"ms\", type = \"integer\", token = \"BLOCK\", optional = true }},\n  \
             {{ name = \"id\", type = \"value\", multiple = true }},\n]\n"
        ));
        let t = r.timeout.unwrap();
        assert_eq!(
            (t.at, t.millis, t.only_with_token),
            (Position::AfterToken("BLOCK".into()), true, true)
        );
    }

    #[test]
    fn connection_state_and_policies_are_read() {
        let r = routing(&format!(
            "name = \"SELECT\"\n{HEAD}flags = [\"connection_state\"]\nstate = \"db\"\nargs = []\n"
        ));
        assert_eq!(r.connection, Connection::State("Database"));
        let r = routing(&format!(
            "name = \"DEL\"\n{HEAD}flags = [\"write\"]\nkeys = [{{ first = 1, last = -1, step = 1 }}]\n\
             request_policy = \"multi_shard\"\nresponse_policy = \"agg_sum\"\nargs = [\n  \
             {{ name = \"key\", type = \"key\", multiple = true }},\n]\n"
        ));
        assert_eq!(
            (r.request_policy, r.response_policy),
            (Some("MultiShard"), Some("AggSum"))
        );
        let r = routing(&format!(
            "name = \"WAIT\"\n{HEAD}connection = \"own\"\nargs = []\n"
        ));
        assert_eq!(r.connection, Connection::Own);
    }

    #[test]
    fn bad_routing_fields_are_reported() {
        let errs = one(&format!(
            "name = \"X\"\n{HEAD}connection = \"mine\"\nstate = \"db\"\nrequest_policy = \"some\"\n\
             response_policy = \"agg_avg\"\nblocking_timeout = \"t\"\nargs = [\n  \
             {{ name = \"t\", type = \"integer\", optional = true }},\n  {{ name = \"k\", type = \"key\" }},\n]\n"
        ))
        .unwrap_err()
        .join("\n");
        for needle in [
            "`connection` = \"mine\"",
            "`state` is for `connection_state` commands",
            "`request_policy` = \"some\"",
            "`response_policy` = \"agg_avg\"",
            "has no fixed position",
        ] {
            assert!(errs.contains(needle), "missing {needle:?} in:\n{errs}");
        }
        let errs = one(&format!(
            "name = \"MGET\"\n{HEAD}request_policy = \"multi_shard\"\nargs = []\n"
        ))
        .unwrap_err()
        .join("\n");
        assert!(errs.contains("needs keys"), "{errs}");
    }
}
