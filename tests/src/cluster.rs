//! [`RedisCluster`]: six `redis-server` cluster nodes, three primaries each
//! with one replica, created with `redis-cli --cluster create`.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use crate::binaries;
use crate::cli;
use crate::server::{RedisServer, RedisServerBuilder};
use crate::wait::wait_until;

/// Number of nodes in the cluster.
pub const NODES: usize = 6;

/// Nodes are declared failed after this many milliseconds without an
/// answer (`--cluster-node-timeout`); short so failover tests do not wait
/// long.
pub const NODE_TIMEOUT_MS: u32 = 2000;

/// Number of hash slots in Redis Cluster.
pub const SLOTS: u16 = 16384;

/// How long a cluster may take to agree on a healthy layout.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A node's role in the layout the running nodes agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Serves the listed slot ranges (inclusive).
    Primary {
        /// Slot ranges owned, as `(first, last)`.
        slots: Vec<(u16, u16)>,
    },
    /// Replicates the node with this index.
    Replica {
        /// Index (in [`RedisCluster::nodes`]) of its primary.
        primary: usize,
    },
    /// Known to the cluster but failed (e.g. killed).
    Failed,
}

/// A running six-node cluster, torn down on drop.
///
/// ```no_run
/// use tornadis_tests::RedisCluster;
///
/// let mut cluster = RedisCluster::start();
/// let seeds = cluster.addrs(); // "127.0.0.1:PORT" of every node
/// let primary = cluster.primaries()[0];
/// cluster.kill_node(primary);
/// cluster.wait_until_ok(); // a replica has taken over
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    roles: Vec<Role>,
}

impl RedisCluster {
    /// Starts six nodes with default options and creates the cluster.
    pub fn start() -> RedisCluster {
        RedisCluster::start_with(RedisServer::builder())
    }

    /// Starts six nodes from `template` (e.g. with a password, which is
    /// also used as `masterauth` so that replicas can sync), creates the
    /// cluster and waits until every node reports `cluster_state:ok` and
    /// all agree on the slot map and the replicas are in sync.
    ///
    /// # Panics
    /// If a node does not start or the cluster does not settle in time.
    pub fn start_with(template: RedisServerBuilder) -> RedisCluster {
        let template = match template.password_value() {
            Some(password) => {
                let password = password.to_string();
                template.args(["--masterauth".to_string(), password])
            }
            None => template,
        };
        let nodes: Vec<RedisServer> = (0..NODES)
            .map(|_| template.clone().cluster_node().start())
            .collect();
        let mut create = Command::new(binaries::redis_cli());
        create.arg("--no-auth-warning");
        if let Some(password) = nodes.first().and_then(RedisServer::password) {
            create.args(["-a", password]);
        }
        create
            .args(["--cluster", "create"])
            .args(nodes.iter().map(RedisServer::addr))
            .args(["--cluster-replicas", "1", "--cluster-yes"]);
        let output = cli::run_command(create, "redis-cli --cluster create");
        let mut cluster = RedisCluster {
            nodes,
            roles: Vec::new(),
        };
        if let Err(why) = cluster.try_wait_until_ok(SETTLE_TIMEOUT) {
            panic!(
                "\n*** RedisCluster did not settle: {why} ***\n\
                 --- redis-cli --cluster create ---\n{output}\n{}",
                cluster.logs()
            );
        }
        cluster
    }

    /// The nodes; indices are stable for the cluster's life.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Node `i`.
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn node(&self, i: usize) -> &RedisServer {
        &self.nodes[i]
    }

    /// `"127.0.0.1:PORT"` of every node.
    pub fn addrs(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::addr).collect()
    }

    /// Each node's role, as of the last time the cluster settled (start or
    /// [`wait_until_ok`](Self::wait_until_ok)).
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// Indices of the primaries (as of the last settle).
    pub fn primaries(&self) -> Vec<usize> {
        self.indices(|role| matches!(role, Role::Primary { .. }))
    }

    /// Indices of the replicas (as of the last settle).
    pub fn replicas(&self) -> Vec<usize> {
        self.indices(|role| matches!(role, Role::Replica { .. }))
    }

    /// The primary that node `i` replicates, if it is a replica.
    pub fn primary_of(&self, i: usize) -> Option<usize> {
        match self.roles.get(i) {
            Some(Role::Replica { primary }) => Some(*primary),
            _ => None,
        }
    }

    /// The primary serving `slot` (as of the last settle).
    pub fn primary_for_slot(&self, slot: u16) -> Option<usize> {
        self.roles.iter().position(|role| match role {
            Role::Primary { slots } => slots.iter().any(|&(a, b)| (a..=b).contains(&slot)),
            _ => false,
        })
    }

    /// Kills node `i` (like a crash); the others will notice after the
    /// node timeout and, for a primary, fail over to its replica.
    pub fn kill_node(&mut self, i: usize) {
        self.nodes[i].stop();
    }

    /// Starts node `i` again on the same port with its saved cluster
    /// config, so it rejoins the cluster.
    pub fn restart_node(&mut self, i: usize) {
        self.nodes[i].restart();
    }

    /// Waits until every running node reports `cluster_state:ok` and all
    /// agree on the layout, then records the roles.
    ///
    /// # Panics
    /// If that does not happen within a minute.
    pub fn wait_until_ok(&mut self) {
        if let Err(why) = self.try_wait_until_ok(SETTLE_TIMEOUT) {
            panic!("\n*** RedisCluster is not ok: {why} ***\n{}", self.logs());
        }
    }

    fn try_wait_until_ok(&mut self, timeout: Duration) -> Result<(), String> {
        let roles = wait_until(timeout, "a healthy cluster", || self.check())?;
        self.roles = roles;
        Ok(())
    }

    fn indices(&self, keep: impl Fn(&Role) -> bool) -> Vec<usize> {
        (0..self.roles.len())
            .filter(|&i| self.roles.get(i).is_some_and(&keep))
            .collect()
    }

    /// One look at the cluster: `Ok(roles)` if every running node is ok,
    /// they all see the same layout, every live node in it is a healthy
    /// primary or replica, and every live replica is in sync.
    fn check(&mut self) -> Result<Vec<Role>, String> {
        let mut agreed: Option<BTreeMap<String, NodeView>> = None;
        let mut running = Vec::new();
        for i in 0..self.nodes.len() {
            if !self.nodes[i].is_running() {
                continue;
            }
            running.push(i);
            let node = &self.nodes[i];
            let info = node.cli(&["CLUSTER", "INFO"]);
            if !info.lines().any(|l| l.trim() == "cluster_state:ok") {
                return Err(format!("node {} is not ok yet", node.addr()));
            }
            let view = parse_nodes(&node.cli(&["CLUSTER", "NODES"]))
                .map_err(|e| format!("node {}: {e}", node.addr()))?;
            match &agreed {
                None => agreed = Some(view),
                Some(first) if *first == view => {}
                Some(_) => return Err(format!("node {} sees another layout", node.addr())),
            }
        }
        let view = agreed.ok_or("no node is running")?;
        if view.len() != self.nodes.len() {
            return Err(format!(
                "{} nodes known, not {}",
                view.len(),
                self.nodes.len()
            ));
        }
        let index_of = |port: u16| self.nodes.iter().position(|n| n.port() == port);
        let id_to_index: BTreeMap<&str, usize> = view
            .iter()
            .filter_map(|(id, v)| index_of(v.port).map(|i| (id.as_str(), i)))
            .collect();
        let mut roles = vec![Role::Failed; self.nodes.len()];
        for (id, v) in &view {
            let i = *id_to_index
                .get(id.as_str())
                .ok_or_else(|| format!("unknown node at port {}", v.port))?;
            let live = running.contains(&i);
            let role = match v.flags.as_str() {
                "master" => Role::Primary {
                    slots: v.slots.clone(),
                },
                "slave" => Role::Replica {
                    primary: *id_to_index
                        .get(v.master.as_str())
                        .ok_or_else(|| format!("replica {} has no known primary", v.port))?,
                },
                _ if !live => Role::Failed,
                other => return Err(format!("node {} has flags {other}", v.port)),
            };
            if live && matches!(role, Role::Replica { .. }) {
                let replication = self.nodes[i].cli(&["INFO", "replication"]);
                if !replication.contains("master_link_status:up") {
                    return Err(format!("replica {} is not in sync yet", v.port));
                }
            }
            roles[i] = role;
        }
        Ok(roles)
    }

    /// Every node's log tail, for failure messages.
    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| {
                format!(
                    "--- {} ({}) ---\n{}\n",
                    n.addr(),
                    n.log_path().display(),
                    n.log_tail(15)
                )
            })
            .collect()
    }
}

/// One node as another node sees it in `CLUSTER NODES`, without the parts
/// that legitimately differ between observers (ping times, link state,
/// the `myself` flag).
#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeView {
    port: u16,
    flags: String,
    master: String,
    slots: Vec<(u16, u16)>,
}

/// Parses `CLUSTER NODES` into views keyed by node id.
fn parse_nodes(text: &str) -> Result<BTreeMap<String, NodeView>, String> {
    let mut nodes = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [id, address, flags, master, _ping, _pong, _epoch, _link, slots @ ..] =
            fields.as_slice()
        else {
            return Err(format!("short CLUSTER NODES line {line:?}"));
        };
        // ip:port@cport[,hostname]
        let port = address
            .split('@')
            .next()
            .and_then(|host_port| host_port.rsplit(':').next())
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| format!("bad address in {line:?}"))?;
        let mut flags: Vec<&str> = flags.split(',').filter(|f| *f != "myself").collect();
        flags.sort_unstable();
        let slots = slots
            .iter()
            // Entries in brackets are slots being migrated, not owned.
            .filter(|s| !s.starts_with('['))
            .map(|s| parse_slot_range(s).ok_or_else(|| format!("bad slot range {s:?}")))
            .collect::<Result<_, _>>()?;
        nodes.insert(
            id.to_string(),
            NodeView {
                port,
                flags: flags.join(","),
                master: master.to_string(),
                slots,
            },
        );
    }
    Ok(nodes)
}

fn parse_slot_range(text: &str) -> Option<(u16, u16)> {
    let (first, last) = text.split_once('-').unwrap_or((text, text));
    let (first, last) = (first.parse().ok()?, last.parse().ok()?);
    (first <= last && last < SLOTS).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cluster_nodes() {
        let text = "\
a1 127.0.0.1:16001@26001 myself,master - 0 0 1 connected 0-5460 [93->-b2]
b2 127.0.0.1:16002@26002,host slave a1 0 1700000000000 1 connected
c3 127.0.0.1:16003@26003 master,fail - 0 0 2 disconnected 7000
";
        let nodes = parse_nodes(text).unwrap();
        assert_eq!(
            nodes["a1"],
            NodeView {
                port: 16001,
                flags: "master".into(),
                master: "-".into(),
                slots: vec![(0, 5460)],
            }
        );
        assert_eq!(nodes["b2"].port, 16002);
        assert_eq!(nodes["b2"].flags, "slave");
        assert_eq!(nodes["b2"].master, "a1");
        assert_eq!(nodes["c3"].flags, "fail,master");
        assert_eq!(nodes["c3"].slots, vec![(7000, 7000)]);
        assert!(parse_nodes("a1 127.0.0.1:1@2 master").is_err());
        assert_eq!(parse_slot_range("16384"), None);
        assert_eq!(parse_slot_range("5-4"), None);
    }
}
