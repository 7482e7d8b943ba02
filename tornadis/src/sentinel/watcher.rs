//! Following `+switch-master`: a task subscribed on one sentinel that, when
//! the service gets a new primary, drops the connections of the primary and
//! replica clients. Their next request reconnects through the resolvers, so
//! nobody keeps writing to a demoted primary that is still alive.
//!
//! The task listens on the first sentinel that accepts the subscription and
//! moves to the next when that one fails or stops answering `PING`. Notices
//! published while it was not subscribed are lost, so after every
//! subscription it asks for the current primary and acts if it changed.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::state::{sentinel_config_for, Core};
use super::Inner;
use crate::config::ServerAddr;
use crate::error::Result;
use crate::pubsub::{MessageKind, PubSubClient};

/// The channel sentinels announce a completed failover on.
const SWITCH_CHANNEL: &str = "+switch-master";

/// The pause after every sentinel refused the subscription.
const ROUND_PAUSE: Duration = Duration::from_millis(500);

impl Core {
    /// Starts the listener once, when following is on, a runtime is
    /// available and the owning client still exists.
    pub(crate) fn ensure_watcher(self: &Arc<Self>) {
        if !self.options.follow_switch_master {
            return;
        }
        let Some(owner) = self.owner.get() else {
            return;
        };
        let mut watcher = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
        if watcher.is_some() || owner.strong_count() == 0 {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let task = runtime.spawn(run(self.clone(), owner.clone()));
        *watcher = Some(task.abort_handle());
    }
}

/// The listener's loop; it ends when the owning client is gone (or is aborted).
async fn run(core: Arc<Core>, owner: Weak<Inner>) {
    loop {
        let mut listened = false;
        for node in core.nodes() {
            if owner.strong_count() == 0 {
                return;
            }
            if listen(&core, &owner, &node.addr).await.is_ok() {
                listened = true;
            }
        }
        if !listened {
            tokio::time::sleep(ROUND_PAUSE).await;
        }
    }
}

/// Subscribes on one sentinel and acts on its notices until it fails.
/// `Ok` when the subscription was made (the sentinel was usable).
async fn listen(core: &Core, owner: &Weak<Inner>, sentinel: &ServerAddr) -> Result<()> {
    let mut config = sentinel_config_for(&core.sentinel_config, sentinel);
    // A lost connection must end this listener so the next sentinel is tried.
    config.autoconnect = false;
    let pubsub = PubSubClient::new(config)?;
    let limit = core.options.probe_timeout;
    let subscribed = tokio::time::timeout(limit, async {
        pubsub.connect().await?;
        pubsub.pubsub_subscribe(SWITCH_CHANNEL).await
    })
    .await;
    if !matches!(subscribed, Ok(Ok(()))) {
        return Err(crate::error::Error::connection("subscription refused"));
    }
    catch_up(core, owner).await;
    loop {
        match pubsub
            .pubsub_pop_message(Some(core.options.watch_ping_interval))
            .await
        {
            Ok(Some(msg)) => match msg.kind() {
                MessageKind::Message => {
                    if let Some(new) = parse_switch(msg.payload(), &core.service) {
                        switch_to(core, owner, new);
                    }
                }
                // Notices were dropped: one of them may have been ours.
                MessageKind::Lagged => catch_up(core, owner).await,
                _ => {}
            },
            Ok(None) => {
                // Quiet for a while: make sure the sentinel is still there.
                if !matches!(tokio::time::timeout(limit, pubsub.ping()).await, Ok(Ok(()))) {
                    return Ok(());
                }
            }
            Err(_) => return Ok(()),
        }
        if owner.strong_count() == 0 {
            return Ok(());
        }
    }
}

/// Asks the sentinels for the primary; if it is not the one connections
/// were last handed, a switch was missed: act on it now.
async fn catch_up(core: &Core, owner: &Weak<Inner>) {
    let Some(known) = core.last_primary() else {
        // Nothing was resolved yet, so nothing can be stale.
        return;
    };
    if let Ok(now) = core.ask_primary().await {
        if now != known {
            switch_to(core, owner, now);
        }
    }
}

/// Drops the connections of the owner's clients unless they were already
/// handed `new` (a reconnect may have got there first).
fn switch_to(core: &Core, owner: &Weak<Inner>, new: ServerAddr) {
    if core.last_primary().as_ref() == Some(&new) {
        return;
    }
    if let Some(inner) = owner.upgrade() {
        inner.drop_connections();
    }
    core.switches
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// The new primary in a `+switch-master` payload
/// (`<name> <old-ip> <old-port> <new-ip> <new-port>`), if it is about `service`.
pub(crate) fn parse_switch(payload: &[u8], service: &str) -> Option<ServerAddr> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut words = text.split_ascii_whitespace();
    let name = words.next()?;
    let _old_host = words.next()?;
    let _old_port = words.next()?;
    let host = words.next()?;
    let port = words.next()?.parse().ok()?;
    if name != service || words.next().is_some() {
        return None;
    }
    Some(ServerAddr::Tcp {
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_switch_notices_for_our_service_only() {
        assert_eq!(
            parse_switch(b"mymaster 127.0.0.1 6379 127.0.0.1 6380", "mymaster"),
            Some(ServerAddr::Tcp {
                host: "127.0.0.1".into(),
                port: 6380
            })
        );
        assert_eq!(
            parse_switch(b"other 127.0.0.1 6379 127.0.0.1 6380", "mymaster"),
            None
        );
        for bad in [
            &b""[..],
            b"mymaster",
            b"mymaster 127.0.0.1 6379 127.0.0.1",
            b"mymaster 127.0.0.1 6379 127.0.0.1 70000",
            b"mymaster 127.0.0.1 6379 127.0.0.1 6380 extra",
            b"mymaster \xff 6379 127.0.0.1 6380",
        ] {
            assert_eq!(parse_switch(bad, "mymaster"), None, "{bad:?}");
        }
    }
}
