//! Redis Cluster: [`ClusterClient`] routes each command to the node that
//! serves its keys' hash slot, follows `MOVED`/`ASK` redirects, and keeps the
//! slot map fresh.
//!
//! - `slot`: CRC16 hash slots and finding a command's keys;
//! - `topology`: the slot map from `CLUSTER SLOTS`;
//! - `builder`: [`ClusterBuilder`] and [`ReadFrom`];
//! - `client`: the client, its node connections and the routing of a command;
//! - `redirect`: following `MOVED`/`ASK`, retrying `TRYAGAIN`/`CLUSTERDOWN`;
//! - `refresh`: reading and installing the slot map;
//! - `request`: [`ClusterRequest`], the future of one command;
//! - `pipeline`: pipelines, one batch per node, replies in the caller's order;
//! - `multi`: commands sent to several nodes (multi-key splits, all-primaries fan-out);
//! - `pubsub`: [`ClusterPubSub`], shard channels on the nodes that own them;
//! - `messages`: [`ClusterMessages`], its merged messages as a `Stream`;
//! - `resubscribe`: moving its subscriptions after a failover or resharding.
//!
//! ## The path of one command
//! A command is looked up in the spec table once, when its request is made
//! (a typed command carries its [`CommandInfo`](crate::command_info::CommandInfo)
//! already), validated and routed once (`client::run`: the connection-use
//! rules of a shared client, then the node), and handed to its node's
//! connection as it is: the node looks nothing up and routes nothing again,
//! the command is encoded once when queued, and its reply is decoded once,
//! into the caller's type, when the [`ClusterRequest`] finishes.
//!
//! ## Routing choices
//! Every choice comes from the spec table's facts (`CommandInfo::routing`:
//! the server's request and response policies, and our `all_nodes` flag),
//! never from a command's name.
//! - A command with keys goes to the primary serving their slot (or a
//!   replica, for read-only commands, with [`ReadFrom`]).
//! - Keys in different slots: a `multi_shard` command whose keys follow one
//!   key spec (`MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS`, `TOUCH`, ...) is
//!   split per slot, each key with the arguments its spec's step gives it,
//!   and the replies merged by its response policy (`agg_sum` adds the
//!   counts; none puts the values back in the caller's key order); any
//!   other multi-slot command fails before sending with a client error (the
//!   server's `CROSSSLOT`).
//! - A keyless command with request policy `all_nodes` goes to every node,
//!   `all_shards` (or our `all_nodes` flag) to every primary (`FLUSHALL`,
//!   `SCRIPT LOAD`, `DBSIZE`, `KEYS`, ...); the replies are merged by the
//!   response policy (`agg_sum`, `agg_logical_and`, `all_succeeded`, ...;
//!   none: arrays are concatenated, other replies must all succeed and the
//!   first is returned). A `special` response policy is never merged: such a
//!   command goes to one primary.
//! - Other keyless commands (`PING`, `INFO`, `TIME`, `PUBLISH`, ...) and
//!   commands unknown to the table go to one primary.
//! - Connection-state, own-connection (`WAIT`) and takeover commands are
//!   refused as on a shared client; blocking commands run on a side
//!   connection of their node (also after an `ASK` redirect).
//! - Pipelines ([`ClusterClient::pipeline`], [`ClusterClient::pipeline_of`],
//!   [`ClusterClient::call_pipeline`]): each command is routed as above; the
//!   commands for one node go out as one batch on its connection, the
//!   replies come back in the caller's order, and a redirected command is
//!   sent again on its own. A MULTI/EXEC pipeline runs only within one slot.

mod builder;
mod client;
mod messages;
mod multi;
mod pipeline;
mod pubsub;
mod redirect;
mod refresh;
mod request;
mod resubscribe;
mod slot;
mod topology;

pub use builder::{ClusterBuilder, ReadFrom};
pub use client::ClusterClient;
pub use messages::ClusterMessages;
pub use pubsub::ClusterPubSub;
pub use request::ClusterRequest;
pub use slot::{crc16, key_slot, SLOTS};
