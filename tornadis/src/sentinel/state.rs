//! The state every part of a [`SentinelClient`](super::SentinelClient)
//! shares: the sentinels (in the order they are asked), the service, the
//! data-connection template, and the questions asked of sentinels and nodes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use tokio::task::AbortHandle;

use super::Inner;
use crate::client::Client;
use crate::cmd::{cmd, Cmd};
use crate::config::{Config, ServerAddr};
use crate::error::{Error, Result};
use crate::resp::Value;
use crate::value::FromValue;

/// Replica flags that mean "do not read from it" (sentinel's view of the node).
const UNHEALTHY_FLAGS: [&str; 3] = ["s_down", "o_down", "disconnected"];

/// Tunables of the sentinel client, set through the builder.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// How long one question to one sentinel or node may take.
    pub(crate) probe_timeout: Duration,
    /// How many times a resolution asks the sentinels before giving up.
    pub(crate) resolve_attempts: u32,
    /// The pause between two such attempts.
    pub(crate) resolve_delay: Duration,
    /// Whether to listen for `+switch-master` and drop connections at once.
    pub(crate) follow_switch_master: bool,
    /// How often the `+switch-master` listener checks its sentinel is alive.
    pub(crate) watch_ping_interval: Duration,
}

/// One sentinel: its address and a client for it (opened on first use).
#[derive(Debug, Clone)]
pub(crate) struct SentinelNode {
    pub(crate) addr: ServerAddr,
    pub(crate) client: Client,
}

/// What the sentinel client's parts share. Resolvers hold it strongly; it
/// refers to the owning [`Inner`] only weakly, so no cycle keeps anything alive.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) service: String,
    /// The sentinels; the one that answered last comes first.
    nodes: Mutex<Vec<SentinelNode>>,
    /// The template for connections to sentinels (the address is replaced).
    pub(crate) sentinel_config: Config,
    /// The template for connections to the primary and replicas.
    pub(crate) data_config: Config,
    pub(crate) options: Options,
    /// The primary the last resolution handed out.
    last_primary: Mutex<Option<ServerAddr>>,
    /// Rotates reads over the healthy replicas.
    replica_turn: AtomicU64,
    /// How many `+switch-master` notices (or missed switches) were acted on.
    pub(crate) switches: AtomicU64,
    /// The client that owns the primary and replica handles.
    pub(crate) owner: OnceLock<Weak<Inner>>,
    /// The `+switch-master` listener, once started.
    pub(crate) watcher: Mutex<Option<AbortHandle>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics under these locks; recover rather than propagate a poison.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Core {
    pub(crate) fn new(
        service: String,
        sentinels: Vec<ServerAddr>,
        sentinel_config: Config,
        data_config: Config,
        options: Options,
    ) -> Result<Core> {
        let nodes = sentinels
            .into_iter()
            .map(|addr| {
                let client = Client::new(sentinel_config_for(&sentinel_config, &addr))?;
                Ok(SentinelNode { addr, client })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Core {
            service,
            nodes: Mutex::new(nodes),
            sentinel_config,
            data_config,
            options,
            last_primary: Mutex::new(None),
            replica_turn: AtomicU64::new(0),
            switches: AtomicU64::new(0),
            owner: OnceLock::new(),
            watcher: Mutex::new(None),
        })
    }

    /// The sentinels in the order they will be asked.
    pub(crate) fn nodes(&self) -> Vec<SentinelNode> {
        lock(&self.nodes).clone()
    }

    /// Moves the sentinel that just answered to the front, so the next
    /// question goes to a sentinel known to be alive first.
    fn promote(&self, addr: &ServerAddr) {
        let mut nodes = lock(&self.nodes);
        if let Some(i) = nodes.iter().position(|n| &n.addr == addr) {
            if i > 0 {
                let node = nodes.remove(i);
                nodes.insert(0, node);
            }
        }
    }

    pub(crate) fn last_primary(&self) -> Option<ServerAddr> {
        lock(&self.last_primary).clone()
    }

    pub(crate) fn set_last_primary(&self, addr: ServerAddr) {
        *lock(&self.last_primary) = Some(addr);
    }

    /// Sends `command` to one sentinel within the probe timeout.
    async fn ask<R: FromValue>(&self, node: &SentinelNode, command: Cmd) -> Result<R> {
        let limit = self.options.probe_timeout;
        match tokio::time::timeout(limit, node.client.call_as::<R, _>(command)).await {
            Ok(reply) => reply,
            Err(_) => {
                // A sentinel that hangs is dropped; the next question reconnects.
                node.client.disconnect();
                Err(Error::timeout(format!(
                    "no answer within the probe timeout of {limit:?}"
                )))
            }
        }
    }

    /// Asks the sentinels in turn for the primary's address; the first one
    /// that names it wins and is promoted to the front.
    pub(crate) async fn ask_primary(&self) -> Result<ServerAddr> {
        let mut failures = Vec::new();
        for node in self.nodes() {
            let mut question = cmd("SENTINEL");
            question
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(self.service.as_str());
            match self.ask::<Option<(String, u16)>>(&node, question).await {
                Ok(Some((host, port))) => {
                    self.promote(&node.addr);
                    return Ok(ServerAddr::Tcp { host, port });
                }
                Ok(None) => failures.push(format!("{} does not monitor it", node.addr)),
                Err(e) => failures.push(format!("{}: {e}", node.addr)),
            }
        }
        Err(self.nobody_answered("a primary", failures))
    }

    /// Asks the sentinels in turn for the replicas they consider healthy.
    pub(crate) async fn ask_replicas(&self) -> Result<Vec<ServerAddr>> {
        let mut failures = Vec::new();
        for node in self.nodes() {
            let mut question = cmd("SENTINEL");
            question.arg("REPLICAS").arg(self.service.as_str());
            match self.ask::<Vec<Value>>(&node, question).await {
                Ok(entries) => {
                    self.promote(&node.addr);
                    return healthy_replicas(entries);
                }
                Err(e) => failures.push(format!("{}: {e}", node.addr)),
            }
        }
        Err(self.nobody_answered("its replicas", failures))
    }

    fn nobody_answered(&self, what: &str, failures: Vec<String>) -> Error {
        Error::connection(format!(
            "no sentinel named {what} for service {:?} ({})",
            self.service,
            if failures.is_empty() {
                "no sentinel configured".to_string()
            } else {
                failures.join("; ")
            }
        ))
    }

    /// The first element of `ROLE` on `addr` (`master`, `slave` or
    /// `sentinel`), asked on a short-lived connection made with the data
    /// template (so auth, TLS and timeouts are those of real connections).
    pub(crate) async fn role_of(&self, addr: &ServerAddr) -> Result<String> {
        let mut config = self.data_config.clone();
        config.addr = addr.clone();
        // One attempt only: the resolver, not this probe, decides on retries.
        config.reconnect_wait = Duration::ZERO;
        let probe = Client::new(config)?;
        let limit = self.options.probe_timeout;
        let reply = tokio::time::timeout(limit, probe.call_as::<Vec<Value>, _>("ROLE"))
            .await
            .map_err(|_| {
                Error::timeout(format!(
                    "{addr} did not answer ROLE within the probe timeout of {limit:?}"
                ))
            })??;
        probe.disconnect();
        match reply.into_iter().next() {
            Some(role) => String::from_value(role),
            None => Err(Error::protocol(format!(
                "{addr} answered ROLE with an empty array"
            ))),
        }
    }

    /// The index of the next replica to try, for round-robin reads.
    pub(crate) fn next_replica_turn(&self) -> u64 {
        self.replica_turn.fetch_add(1, Ordering::Relaxed)
    }
}

/// The config for talking to the sentinel at `addr`: a sentinel has no
/// databases, and failures must surface at once so the next sentinel is asked.
pub(crate) fn sentinel_config_for(template: &Config, addr: &ServerAddr) -> Config {
    let mut config = template.clone();
    config.addr = addr.clone();
    config.db = 0;
    config.readonly = false;
    config.reconnect_wait = Duration::ZERO;
    config
}

/// The addresses of the replicas in a `SENTINEL REPLICAS` reply whose
/// flags show none of [`UNHEALTHY_FLAGS`]. Each entry is a RESP3 map or a
/// RESP2 flat field/value array.
pub(crate) fn healthy_replicas(entries: Vec<Value>) -> Result<Vec<ServerAddr>> {
    let mut healthy = Vec::new();
    for entry in entries {
        let fields: std::collections::HashMap<String, String> = FromValue::from_value(entry)
            .map_err(|e| e.with_context("a SENTINEL REPLICAS entry"))?;
        let flags = fields.get("flags").map(String::as_str).unwrap_or("");
        if flags.split(',').any(|flag| UNHEALTHY_FLAGS.contains(&flag)) {
            continue;
        }
        let (Some(host), Some(port)) = (fields.get("ip"), fields.get("port")) else {
            return Err(Error::protocol(
                "a SENTINEL REPLICAS entry has no ip or port field",
            ));
        };
        let port: u16 = port.parse().map_err(|_| {
            Error::protocol(format!(
                "a SENTINEL REPLICAS entry has the invalid port {port:?}"
            ))
        })?;
        healthy.push(ServerAddr::Tcp {
            host: host.clone(),
            port,
        });
    }
    Ok(healthy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::Bulk(bytes::Bytes::copy_from_slice(s.as_bytes()))
    }

    fn resp2_entry(ip: &str, port: &str, flags: &str) -> Value {
        Value::Array(
            ["name", "x", "ip", ip, "port", port, "flags", flags]
                .iter()
                .map(|s| bulk(s))
                .collect(),
        )
    }

    #[test]
    fn keeps_only_healthy_replicas_in_both_protocols() {
        let resp3 = Value::Map(vec![
            (bulk("ip"), bulk("10.0.0.4")),
            (bulk("port"), bulk("6390")),
            (bulk("flags"), bulk("slave")),
        ]);
        let entries = vec![
            resp2_entry("10.0.0.1", "6380", "slave"),
            resp2_entry("10.0.0.2", "6381", "s_down,slave"),
            resp2_entry("10.0.0.3", "6382", "slave,disconnected"),
            resp2_entry("10.0.0.5", "6383", "o_down,slave"),
            resp3,
        ];
        let healthy = healthy_replicas(entries).unwrap();
        assert_eq!(
            healthy,
            vec![
                ServerAddr::Tcp {
                    host: "10.0.0.1".into(),
                    port: 6380
                },
                ServerAddr::Tcp {
                    host: "10.0.0.4".into(),
                    port: 6390
                },
            ]
        );
    }

    #[test]
    fn malformed_replica_entries_are_errors_not_panics() {
        for bad in [
            resp2_entry("10.0.0.1", "99999", "slave"),
            resp2_entry("10.0.0.1", "-1", "slave"),
            Value::Array(vec![bulk("ip"), bulk("10.0.0.1")]),
            Value::Array(vec![bulk("ip")]),
            Value::Integer(3),
        ] {
            assert!(healthy_replicas(vec![bad.clone()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sentinel_connections_use_db_zero_and_fail_fast() {
        let template = Config::builder().db(3).build().unwrap();
        let addr = ServerAddr::Tcp {
            host: "10.1.1.1".into(),
            port: 26379,
        };
        let c = sentinel_config_for(&template, &addr);
        assert_eq!(c.db(), 0);
        assert_eq!(c.addr(), &addr);
        assert_eq!(c.reconnect_wait, Duration::ZERO);
    }
}
