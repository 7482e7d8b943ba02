//! Connection events against real servers: in order across a server
//! restart (disconnected, then reconnected) and after `disconnect()`, for
//! the request/reply client, pub/sub, pool members and cluster nodes; a
//! client that cannot connect gives up visibly; a slow listener gets a
//! "missed N events" marker.

use std::collections::HashSet;
use std::time::Duration;

use tornadis::cluster::ClusterClient;
use tornadis::{
    Client, ClientPool, ConnectionEvent, ConnectionEvents, DisconnectCause, PubSubClient,
    ServerAddr, EVENT_CAPACITY,
};
use tornadis_tests::{RedisCluster, RedisServer};

/// The next event, within a few seconds.
async fn next(events: &mut ConnectionEvents) -> ConnectionEvent {
    match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
        Ok(Some(event)) => event,
        Ok(None) => panic!("the events ended"),
        Err(_) => panic!("no event within 10 s"),
    }
}

/// Asserts nothing more arrives for a moment.
async fn quiet(events: &mut ConnectionEvents) {
    if let Ok(event) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
        panic!("unexpected event {event:?}");
    }
}

fn port_of(addr: &ServerAddr) -> u16 {
    match addr {
        ServerAddr::Tcp { port, .. } => *port,
        other => panic!("not TCP: {other}"),
    }
}

#[tokio::test]
async fn client_events_across_a_restart_and_after_disconnect() {
    let mut server = RedisServer::start();
    let client = Client::builder().port(server.port()).build().unwrap();
    let mut events = client.events();

    client.call("PING").await.unwrap();
    match next(&mut events).await {
        ConnectionEvent::Connected { addr, .. } => assert_eq!(port_of(&addr), server.port()),
        other => panic!("{other:?}"),
    }

    server.stop();
    match next(&mut events).await {
        ConnectionEvent::Disconnected {
            cause: DisconnectCause::Lost(error),
            ..
        } => assert!(error.is_connection(), "{error}"),
        other => panic!("{other:?}"),
    }
    server.restart();
    client.call("PING").await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Reconnected { .. }
    ));
    quiet(&mut events).await;

    client.disconnect();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Disconnected {
            cause: DisconnectCause::Requested,
            ..
        }
    ));
    while client.is_connected() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    client.call("PING").await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Reconnected { .. }
    ));

    // Side connections (a blocking command) are not the client's own.
    let _: Option<(String, String)> = client
        .call_as(("BLPOP", "events:none", "0.05"))
        .await
        .unwrap();
    quiet(&mut events).await;

    // The last handle gone: the connection closes, then the events end.
    drop(client);
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Disconnected {
            cause: DisconnectCause::Dropped,
            ..
        }
    ));
    let end = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[tokio::test]
async fn a_client_that_cannot_connect_gives_up_visibly() {
    let mut server = RedisServer::start();
    let port = server.port();
    server.stop();
    let client = Client::builder()
        .port(port)
        .reconnect_wait(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut events = client.events();
    let e = client.call("PING").await.unwrap_err();
    match next(&mut events).await {
        ConnectionEvent::GaveUp { addr, error, .. } => {
            assert_eq!(port_of(&addr), port);
            assert_eq!(error.kind(), e.kind(), "{error} / {e}");
        }
        other => panic!("{other:?}"),
    }
    server.restart();
    client.call("PING").await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Connected { .. }
    ));
}

#[tokio::test]
async fn pubsub_events_across_a_restart() {
    let mut server = RedisServer::start();
    let pubsub = PubSubClient::builder().port(server.port()).build().unwrap();
    let mut events = pubsub.events();
    pubsub.pubsub_subscribe("news").await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Connected { .. }
    ));
    server.restart();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Disconnected {
            cause: DisconnectCause::Lost(_),
            ..
        }
    ));
    // Subscriptions to restore: it reconnects by itself.
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Reconnected { .. }
    ));
    pubsub.disconnect();
    assert!(matches!(
        next(&mut events).await,
        ConnectionEvent::Disconnected {
            cause: DisconnectCause::Requested,
            ..
        }
    ));
}

#[tokio::test]
async fn pool_members_report_to_the_pool() {
    let server = RedisServer::start();
    let pool = ClientPool::builder()
        .url(&server.url())
        .max_size(4)
        .build()
        .unwrap();
    let mut events = pool.events();
    let a = pool.connected_client().await.unwrap();
    let b = pool.connected_client().await.unwrap();
    for _ in 0..2 {
        assert!(matches!(
            next(&mut events).await,
            ConnectionEvent::Connected { .. }
        ));
    }
    drop((a, b));
    server.cli(&["CLIENT", "KILL", "TYPE", "normal"]);
    for _ in 0..2 {
        match next(&mut events).await {
            ConnectionEvent::Disconnected {
                cause: DisconnectCause::Lost(_),
                ..
            } => {}
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn cluster_node_connections_report_to_the_cluster() {
    let cluster = RedisCluster::start();
    let client = ClusterClient::builder()
        .seed(&cluster.addrs()[0])
        .build()
        .unwrap();
    let mut events = client.events();
    for i in 0..30 {
        client
            .call(("SET", format!("events:{i}").as_str(), i))
            .await
            .unwrap();
    }
    let primaries: HashSet<u16> = cluster
        .primaries()
        .iter()
        .map(|&i| cluster.node(i).port())
        .collect();
    let mut seen = HashSet::new();
    while seen.len() < primaries.len() {
        match next(&mut events).await {
            ConnectionEvent::Connected { addr, .. } => {
                seen.insert(port_of(&addr));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(primaries.is_subset(&seen), "{primaries:?} {seen:?}");
}

#[tokio::test]
async fn a_slow_listener_gets_a_missed_marker() {
    let server = RedisServer::start();
    let client = Client::builder().port(server.port()).build().unwrap();
    let mut events = client.events();
    // Two events per round, never read meanwhile.
    let rounds = EVENT_CAPACITY / 2 + 8;
    for _ in 0..rounds {
        client.call("PING").await.unwrap();
        client.disconnect();
        while client.is_connected() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // is_connected() is false at once and the driver reports the close a
    // moment later; one more request waits for that (the reconnect is
    // reported after the close, before the reply).
    client.call("PING").await.unwrap();
    match next(&mut events).await {
        ConnectionEvent::Missed { count, .. } => {
            assert_eq!(count as usize, 2 * rounds + 1 - EVENT_CAPACITY)
        }
        other => panic!("{other:?}"),
    }
    for _ in 0..EVENT_CAPACITY {
        next(&mut events).await;
    }
    quiet(&mut events).await;
}
