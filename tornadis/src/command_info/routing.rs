//! The routing facts of a command, from the spec table: which connection it
//! may run on, where its blocking timeout is, and how a cluster spreads it
//! over nodes and merges the replies (the server's own command tips).

use std::time::Duration;

/// Where a command's routing facts say it may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoutingFacts {
    /// Which connection the command needs.
    pub connection: ConnectionUse,
    /// Where the command's blocking timeout is, for commands that block.
    pub blocking_timeout: Option<BlockingTimeout>,
    /// In a cluster, which nodes the command goes to (the server's `request_policy` tip).
    pub request_policy: Option<RequestPolicy>,
    /// In a cluster, how the replies of several nodes become one (the `response_policy` tip).
    pub response_policy: Option<ResponsePolicy>,
}

impl RoutingFacts {
    /// The facts of a command the table knows nothing special about (and of
    /// commands unknown to the table, such as module commands).
    pub const PLAIN: RoutingFacts = RoutingFacts {
        connection: ConnectionUse::Any,
        blocking_timeout: None,
        request_policy: None,
        response_policy: None,
    };
}

/// Which connection a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionUse {
    /// Any connection, shared or not.
    Any,
    /// The command changes the connection's state, which matters to the
    /// commands after it: only on a connection with one user.
    State(StateChange),
    /// The command acts on what earlier commands did on the same connection
    /// (`WAIT` counts the writes sent on its own connection): only on the
    /// connection of the caller's own earlier commands, a dedicated one.
    Own,
    /// The command takes the connection over: it answers with a stream or
    /// stops answering (`MONITOR`, `SUBSCRIBE`, `PSYNC`, `CLIENT REPLY`).
    /// A request/reply client never sends it.
    Takeover,
}

/// What kind of connection state a command changes, which says how to undo it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateChange {
    /// A transaction (`WATCH`, `MULTI`): undone with `DISCARD` and `UNWATCH`.
    Transaction,
    /// Ends a transaction (`EXEC`, `DISCARD`, `UNWATCH`): once it is
    /// answered, the connection holds no transaction any more.
    TransactionEnd,
    /// The selected database (`SELECT`): undone with a `SELECT` of the configured one.
    Database,
    /// Anything else (tracking, authentication, protocol, read-only mode):
    /// only a new connection undoes it.
    Session,
}

/// Where a blocking command's timeout argument is, and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockingTimeout {
    /// Its position in the arguments.
    pub at: ArgPosition,
    /// Its unit.
    pub unit: TimeUnit,
    /// The command blocks only when the timeout's token is given
    /// (`XREAD ... BLOCK ms`); without it, it answers at once.
    pub only_with_token: bool,
}

/// A position in a command's arguments (0 is the command's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgPosition {
    /// At this index.
    Index(u16),
    /// Counted from the end: 1 is the last argument.
    FromEnd(u16),
    /// Right after the first argument equal (in any case) to this token.
    AfterToken(&'static str),
}

impl ArgPosition {
    /// The argument at this position of `args`, if there is one.
    pub fn find<'a>(self, args: &[&'a [u8]]) -> Option<&'a [u8]> {
        match self {
            ArgPosition::Index(i) => args.get(usize::from(i)).copied(),
            ArgPosition::FromEnd(n) => args
                .len()
                .checked_sub(usize::from(n))
                .and_then(|i| args.get(i))
                .copied(),
            ArgPosition::AfterToken(token) => {
                let at = args
                    .iter()
                    .skip(1)
                    .position(|a| a.eq_ignore_ascii_case(token.as_bytes()))?;
                args.get(at + 2).copied()
            }
        }
    }
}

/// The unit of a timeout argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// Seconds, possibly fractional (`BLPOP k 0.5`).
    Seconds,
    /// Milliseconds (`WAIT 1 500`, `XREAD BLOCK 500`).
    Milliseconds,
}

impl BlockingTimeout {
    /// Whether the command blocks with these arguments (`XREAD` only with `BLOCK`).
    pub fn blocks(&self, args: &[&[u8]]) -> bool {
        !self.only_with_token || self.at.find(args).is_some()
    }

    /// How long the server may block the command with these arguments:
    /// `None` when it may block forever (a zero timeout) or the argument
    /// cannot be read. Huge values saturate instead of overflowing.
    pub fn duration(&self, args: &[&[u8]]) -> Option<Duration> {
        let raw = self.at.find(args)?;
        let value: f64 = std::str::from_utf8(raw).ok()?.trim().parse().ok()?;
        if value.is_nan() || value <= 0.0 {
            return None;
        }
        let secs = match self.unit {
            TimeUnit::Seconds => value,
            TimeUnit::Milliseconds => value / 1000.0,
        };
        Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
    }
}

/// Which nodes of a cluster a command goes to (the server's `request_policy` tip).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestPolicy {
    /// Every node, replicas included (`CONFIG SET`, `SCRIPT LOAD`).
    AllNodes,
    /// Every primary (`DBSIZE`, `KEYS`, `FLUSHALL`).
    AllShards,
    /// Split by the hash slot of its keys, one part per slot (`MGET`, `DEL`).
    MultiShard,
    /// Needs handling of its own (`SCAN`): sent to one node as it is.
    Special,
}

/// How the replies of several nodes become one (the server's `response_policy` tip).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponsePolicy {
    /// The first success; an error only when every node failed.
    OneSucceeded,
    /// Every node must succeed; the reply is the first one.
    AllSucceeded,
    /// Integers (or arrays of them) combined with a logical AND (`SCRIPT EXISTS`).
    AggLogicalAnd,
    /// Integers (or arrays of them) combined with a logical OR.
    AggLogicalOr,
    /// The smallest integer (`WAIT`).
    AggMin,
    /// The largest integer.
    AggMax,
    /// The sum of the integers (`DBSIZE`, `DEL`).
    AggSum,
    /// No general rule: the replies cannot be merged by a client that does
    /// not know the command (`INFO`, `RANDOMKEY`); sent to one node.
    Special,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_durations() {
        let args: [&[u8]; 4] = [b"BLPOP", b"a", b"b", b"2.5"];
        let t = BlockingTimeout {
            at: ArgPosition::FromEnd(1),
            unit: TimeUnit::Seconds,
            only_with_token: false,
        };
        assert_eq!(t.duration(&args), Some(Duration::from_millis(2500)));
        let huge: [&[u8]; 2] = [b"BLPOP", b"1e300"];
        assert_eq!(t.duration(&huge), Some(Duration::MAX));
        let zero: [&[u8]; 2] = [b"BLPOP", b"0"];
        assert_eq!(t.duration(&zero), None);
        let x = BlockingTimeout {
            at: ArgPosition::AfterToken("BLOCK"),
            unit: TimeUnit::Milliseconds,
            only_with_token: true,
        };
        let plain: [&[u8]; 4] = [b"XREAD", b"STREAMS", b"s", b"0"];
        assert!(!x.blocks(&plain));
        let blocking: [&[u8]; 6] = [b"XREAD", b"block", b"1500", b"STREAMS", b"s", b"$"];
        assert!(x.blocks(&blocking));
        assert_eq!(x.duration(&blocking), Some(Duration::from_millis(1500)));
        // A key named like the token is not the token when it is the last argument.
        let tail: [&[u8]; 2] = [b"XREAD", b"BLOCK"];
        assert!(!x.blocks(&tail));
        assert_eq!(ArgPosition::Index(9).find(&plain), None);
        assert_eq!(ArgPosition::FromEnd(9).find(&plain), None);
    }
}
