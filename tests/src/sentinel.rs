//! [`SentinelGroup`]: a primary, one replica and three sentinels watching
//! them under the name [`MASTER_NAME`].

use std::time::Duration;

use crate::server::RedisServer;
use crate::wait::wait_until;

/// The name the sentinels monitor the primary under.
pub const MASTER_NAME: &str = "mymaster";

/// Number of sentinels; the quorum is 2.
pub const SENTINELS: usize = 3;

/// How long the group may take to see itself whole (sentinels find each
/// other through hello messages sent every 2 s) or to fail over.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A running sentinel group, torn down on drop.
///
/// ```no_run
/// use tornadis_tests::SentinelGroup;
///
/// let mut group = SentinelGroup::start();
/// let sentinels = group.sentinel_addrs();
/// let old = group.primary().addr();
/// group.kill_primary();
/// let new = group.wait_for_failover(&old);
/// assert_eq!(new, group.replica().addr());
/// ```
#[derive(Debug)]
pub struct SentinelGroup {
    primary: RedisServer,
    replica: RedisServer,
    sentinels: Vec<RedisServer>,
}

impl SentinelGroup {
    /// Starts the primary, the replica and the sentinels, and waits until
    /// the replica is in sync and every sentinel sees the primary as up,
    /// the replica, and the two other sentinels.
    ///
    /// # Panics
    /// If a process does not start or the group does not settle in time.
    pub fn start() -> SentinelGroup {
        let primary = RedisServer::start();
        let replica = RedisServer::builder()
            .args(["--replicaof", "127.0.0.1", &primary.port().to_string()])
            .start();
        let directives = vec![
            "sentinel resolve-hostnames no".to_string(),
            format!(
                "sentinel monitor {MASTER_NAME} 127.0.0.1 {} 2",
                primary.port()
            ),
            format!("sentinel down-after-milliseconds {MASTER_NAME} 1000"),
            format!("sentinel failover-timeout {MASTER_NAME} 3000"),
        ];
        let sentinels = (0..SENTINELS)
            .map(|_| RedisServer::builder().sentinel(directives.clone()).start())
            .collect();
        let group = SentinelGroup {
            primary,
            replica,
            sentinels,
        };
        if let Err(why) = wait_until(SETTLE_TIMEOUT, "the sentinel group to settle", || {
            group.check()
        }) {
            panic!(
                "\n*** SentinelGroup did not settle: {why} ***\n{}",
                group.logs()
            );
        }
        group
    }

    /// A `SentinelClient` of this group's service, with short connect, read
    /// and reconnect timeouts so failover tests stay quick.
    pub fn client(&self) -> tornadis::sentinel::SentinelClient {
        let data = tornadis::Config::builder()
            .connect_timeout(Duration::from_secs(1))
            .read_timeout(Duration::from_secs(2))
            .reconnect_wait(Duration::from_secs(2))
            .build()
            .expect("a valid data-connection config");
        tornadis::sentinel::SentinelClient::builder()
            .sentinels(self.sentinel_addrs())
            .service(self.master_name())
            .config(data)
            .build()
            .expect("a valid sentinel client config")
    }

    /// The name the sentinels monitor the primary under ([`MASTER_NAME`]).
    pub fn master_name(&self) -> &'static str {
        MASTER_NAME
    }

    /// The server started as primary (it stays this server after a failover).
    pub fn primary(&self) -> &RedisServer {
        &self.primary
    }

    /// The server started as replica.
    pub fn replica(&self) -> &RedisServer {
        &self.replica
    }

    /// The sentinels.
    pub fn sentinels(&self) -> &[RedisServer] {
        &self.sentinels
    }

    /// `"127.0.0.1:PORT"` of every sentinel.
    pub fn sentinel_addrs(&self) -> Vec<String> {
        self.sentinels.iter().map(RedisServer::addr).collect()
    }

    /// Kills the primary (like a crash); the sentinels fail over to the
    /// replica after about a second.
    pub fn kill_primary(&mut self) {
        self.primary.stop();
    }

    /// Starts the original primary again on its port (the sentinels will
    /// turn it into a replica if a failover happened).
    pub fn restart_primary(&mut self) {
        self.primary.restart();
    }

    /// `"IP:PORT"` of the primary according to sentinel `i`
    /// (`SENTINEL GET-MASTER-ADDR-BY-NAME`).
    pub fn primary_addr_from(&self, i: usize) -> String {
        let reply = self.sentinels[i].cli(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME]);
        let mut lines = reply.lines();
        match (lines.next(), lines.next()) {
            (Some(ip), Some(port)) => format!("{ip}:{port}"),
            _ => panic!("unexpected SENTINEL GET-MASTER-ADDR-BY-NAME reply {reply:?}"),
        }
    }

    /// Waits until every sentinel names a primary other than `old_addr`
    /// and returns it.
    ///
    /// # Panics
    /// If the sentinels do not agree on a new primary within a minute.
    pub fn wait_for_failover(&self, old_addr: &str) -> String {
        let result = wait_until(SETTLE_TIMEOUT, "a failover", || {
            let addrs: Vec<String> = (0..self.sentinels.len())
                .map(|i| self.primary_addr_from(i))
                .collect();
            match addrs.first() {
                Some(first) if first != old_addr && addrs.iter().all(|a| a == first) => {
                    Ok(first.clone())
                }
                _ => Err(format!("sentinels name {addrs:?}")),
            }
        });
        result.unwrap_or_else(|why| panic!("\n*** {why} ***\n{}", self.logs()))
    }

    /// One look at the group: `Ok` when it is whole.
    fn check(&self) -> Result<(), String> {
        let replication = self.replica.cli(&["INFO", "replication"]);
        if !replication.contains("master_link_status:up") {
            return Err("replica is not in sync yet".to_string());
        }
        for sentinel in &self.sentinels {
            let master = sentinel.cli(&["SENTINEL", "MASTER", MASTER_NAME]);
            let field = |name: &str| value_of(&master, name).unwrap_or_default();
            let seen = (
                field("flags"),
                field("num-slaves"),
                field("num-other-sentinels"),
            );
            if seen != ("master".into(), "1".into(), (SENTINELS - 1).to_string()) {
                return Err(format!(
                    "sentinel {} sees (flags, replicas, other sentinels) = {seen:?}",
                    sentinel.addr()
                ));
            }
            let replicas = sentinel.cli(&["SENTINEL", "REPLICAS", MASTER_NAME]);
            if value_of(&replicas, "flags").as_deref() != Some("slave") {
                return Err(format!(
                    "sentinel {} does not see the replica up: {replicas:?}",
                    sentinel.addr()
                ));
            }
        }
        Ok(())
    }

    fn logs(&self) -> String {
        std::iter::once(&self.primary)
            .chain(std::iter::once(&self.replica))
            .chain(&self.sentinels)
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

/// The value after `name` in redis-cli's one-item-per-line rendering of a
/// field/value reply.
fn value_of(reply: &str, name: &str) -> Option<String> {
    let mut lines = reply.lines();
    while let Some(line) = lines.next() {
        if line == name {
            return lines.next().map(str::to_string);
        }
    }
    None
}
