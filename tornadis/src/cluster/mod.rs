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
//! ## Routing choices
//! - A command with keys goes to the primary serving their slot (or a
//!   replica, for read-only commands, with [`ReadFrom`]).
//! - Keys in different slots: `MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS` and
//!   `TOUCH` are split per slot and their replies put back together in the
//!   caller's order (counts are summed); any other multi-slot command fails
//!   before sending with a client error (the server's `CROSSSLOT`).
//! - Commands the spec table flags `all_nodes` (`FLUSHALL`, `FLUSHDB`,
//!   `SCRIPT LOAD`/`FLUSH`, `FUNCTION LOAD`, `CONFIG SET`, ...) go to every
//!   primary; the reply is the first primary's when all succeed, or the first error.
//! - `DBSIZE` and `KEYS` go to every primary too: counts are summed, key lists joined.
//! - Other keyless commands (`PING`, `INFO`, `TIME`, `PUBLISH`, ...) go to one primary.
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
