//! Runtime metadata about Redis commands, generated from the spec table in `commands/`.
//!
//! The client uses it to send blocking commands to a side connection, the
//! cluster router to find keys, and anyone may use it to inspect a command.

mod availability;
mod keys;
mod routing;

pub(crate) use availability::refused;
pub use availability::{Availability, Requirement, ServerInfo, ServerKind, Version, VALKEY_FIRST};

pub use routing::{
    ArgPosition, BlockingTimeout, ConnectionUse, RequestPolicy, ResponsePolicy, RoutingFacts,
    StateChange, TimeUnit,
};

/// Facts about one command or subcommand, from the spec table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    /// The full name in upper case, e.g. `"GET"` or `"CLIENT KILL"`.
    pub name: &'static str,
    /// The typed method that sends it (e.g. `"client_kill"`), or `None`
    /// for commands the table describes but exposes no method for.
    pub method: Option<&'static str>,
    /// The command group, e.g. `"string"`.
    pub group: &'static str,
    /// The version that introduced the command, on the server kind that had
    /// it first (Redis, or Valkey for a Valkey-only command); see `availability`.
    pub since: &'static str,
    /// The first Redis and Valkey versions that have the command (`None`:
    /// that kind of server does not have it). Typed methods check it against
    /// the connected server before sending.
    pub availability: Availability,
    /// The arity as `COMMAND INFO` reports it: positive means exactly that
    /// many arguments (the name included), negative means at least that many.
    pub arity: i32,
    /// Flags such as read-only, blocking, pub/sub.
    pub flags: CommandFlags,
    /// Where the keys are in the argument list.
    pub keys: &'static [KeySpec],
    /// Which connection it may run on and how a cluster spreads it.
    pub routing: RoutingFacts,
    /// Every token its arguments may carry (`EX`, `WITHSCORES`), in upper
    /// case: the words sanitized query text shows as sent.
    pub tokens: &'static [&'static str],
    /// The argument position of the script digest or function name it runs
    /// (`EVALSHA`, `FCALL`), reported as `db.stored_procedure.name`.
    pub stored_procedure: Option<u16>,
}

/// A set of command flags (a bit set, combine with `|`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommandFlags(pub u32);

impl CommandFlags {
    /// The command only reads data.
    pub const READONLY: CommandFlags = CommandFlags(1 << 0);
    /// The command may modify data.
    pub const WRITE: CommandFlags = CommandFlags(1 << 1);
    /// The command may block the connection until data arrives or a timeout passes.
    pub const BLOCKING: CommandFlags = CommandFlags(1 << 2);
    /// The command subscribes or publishes (pub/sub).
    pub const PUBSUB: CommandFlags = CommandFlags(1 << 3);
    /// The command is not allowed inside scripts.
    pub const NOSCRIPT: CommandFlags = CommandFlags(1 << 4);
    /// The command runs in constant or logarithmic time.
    pub const FAST: CommandFlags = CommandFlags(1 << 5);
    /// An administrative command.
    pub const ADMIN: CommandFlags = CommandFlags(1 << 6);
    /// The command may grow memory use (refused when the server is out of memory).
    pub const DENYOOM: CommandFlags = CommandFlags(1 << 7);
    /// Allowed while the server is loading its data.
    pub const LOADING: CommandFlags = CommandFlags(1 << 8);
    /// Allowed on a replica with stale data.
    pub const STALE: CommandFlags = CommandFlags(1 << 9);
    /// Allowed before authentication.
    pub const NO_AUTH: CommandFlags = CommandFlags(1 << 10);
    /// Changes the connection's state (subscribes, selects a db, starts a transaction, ...):
    /// not meaningful on a connection shared by many callers.
    pub const CONNECTION_STATE: CommandFlags = CommandFlags(1 << 11);
    /// The reply may be cached by client-side caching.
    pub const CACHEABLE: CommandFlags = CommandFlags(1 << 12);
    /// The command's reply differs between calls with the same arguments.
    pub const NONDETERMINISTIC: CommandFlags = CommandFlags(1 << 13);
    /// The command is allowed while the client is in a MULTI transaction's queue phase.
    pub const ALLOW_BUSY: CommandFlags = CommandFlags(1 << 14);
    /// The command is sent to every node of a cluster (e.g. `FLUSHALL`).
    pub const ALL_NODES: CommandFlags = CommandFlags(1 << 15);

    /// True when every flag of `other` is set in `self`.
    pub const fn contains(self, other: CommandFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for CommandFlags {
    type Output = CommandFlags;
    fn bitor(self, rhs: CommandFlags) -> CommandFlags {
        CommandFlags(self.0 | rhs.0)
    }
}

/// Where a command's keys are, in argument positions (0 is the command name;
/// for a subcommand such as `XINFO STREAM`, 1 is the subcommand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// Keys from `first` to `last` in steps of `step`. A negative `last`
    /// counts from the end (-1 is the last argument).
    Range {
        /// Position of the first key.
        first: u16,
        /// Position of the last key; negative counts from the end, and `last == first` means one key.
        last: i16,
        /// Distance between keys (2 for `MSET key value key value`).
        step: u16,
    },
    /// The argument at `numkeys` holds the number of keys, which start at
    /// `numkeys + first` and are `step` apart (e.g. `EVAL script numkeys key...`).
    Keynum {
        /// Position of the argument holding the key count.
        numkeys: u16,
        /// Offset of the first key from `numkeys`.
        first: u16,
        /// Distance between keys.
        step: u16,
    },
    /// Keys follow the keyword `keyword` (searched from position `from`), e.g.
    /// `XREAD ... STREAMS key...`: the keys are the first half of what follows.
    Keyword {
        /// The keyword in upper case, e.g. `"STREAMS"`.
        keyword: &'static str,
        /// Where to start searching for the keyword.
        from: u16,
        /// How many keys follow: -1 to the end, -2 the first half of the rest (`XREAD`), or an exact count.
        count: i16,
    },
}

// The table itself is generated with the typed methods, in `commands`.
pub use crate::commands::{lookup, lookup_args, COMMANDS};
