//! `SentinelClient::pubsub` against a real sentinel group (one primary, one
//! replica, three sentinels): the subscriber follows a failover to the new
//! primary, subscribes there again, says so with a `Reconnected` notice, and
//! receives what is published there once each.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tornadis::pubsub::MessageKind;
use tornadis::PubSubClient;
use tornadis_tests::SentinelGroup;

/// Every item the subscriber holds now (waiting a little for the last ones).
async fn drain(pubsub: &PubSubClient) -> Vec<(MessageKind, String)> {
    let mut items = Vec::new();
    while let Some(m) = pubsub
        .pubsub_pop_message(Some(Duration::from_millis(300)))
        .await
        .unwrap()
    {
        items.push((m.kind(), String::from_utf8_lossy(m.payload()).into_owned()));
    }
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_pubsub_client_follows_a_failover_and_subscribes_again() {
    let group = SentinelGroup::start();
    let sentinel = group.client();
    let pubsub = sentinel.pubsub().unwrap();
    pubsub.pubsub_subscribe("news").await.unwrap();
    assert_eq!(
        group.primary().cli(&["PUBLISH", "news", "before"]),
        "1",
        "the subscriber is on the primary"
    );
    let m = pubsub
        .pubsub_pop_message(Some(Duration::from_secs(5)))
        .await
        .unwrap()
        .expect("the message published before the failover");
    assert_eq!(&m.payload()[..], b"before");
    assert!(
        sentinel.is_following_switches(),
        "the +switch-master listener runs"
    );

    let old = group.primary().addr();
    assert_eq!(
        group.sentinels()[0].cli(&["SENTINEL", "FAILOVER", group.master_name()]),
        "OK"
    );
    let new = tokio::task::block_in_place(|| group.wait_for_failover(&old));
    assert_eq!(new, group.replica().addr());

    // Publish on the new primary until the subscriber is there (the reply
    // counts the subscribers on that server).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut probes = 0;
    loop {
        let receivers = group
            .replica()
            .cli(&["PUBLISH", "news", &format!("probe-{probes}")]);
        probes += 1;
        if receivers == "1" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the subscriber never reached the new primary"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // From now on every message published on the new primary arrives.
    let mut sent = Vec::new();
    for i in 0..20 {
        let payload = format!("after-{i}");
        let receivers = if i % 2 == 0 {
            group.replica().cli(&["PUBLISH", "news", &payload])
        } else {
            // Through the Sentinel-following data client too.
            let n: i64 = sentinel
                .primary()
                .call_as(("PUBLISH", "news", payload.as_str()))
                .await
                .unwrap();
            n.to_string()
        };
        assert_eq!(receivers, "1", "{payload} reached the subscriber");
        sent.push(payload);
    }

    let items = drain(&pubsub).await;
    let reconnected = items
        .iter()
        .position(|(kind, _)| *kind == MessageKind::Reconnected)
        .unwrap_or_else(|| panic!("no Reconnected notice in {items:?}"));
    let payloads: Vec<&str> = items
        .iter()
        .filter(|(kind, _)| *kind == MessageKind::Message)
        .map(|(_, p)| p.as_str())
        .collect();
    let unique: HashSet<&str> = payloads.iter().copied().collect();
    assert_eq!(unique.len(), payloads.len(), "a duplicate in {payloads:?}");
    let after: Vec<&str> = payloads
        .iter()
        .copied()
        .filter(|p| p.starts_with("after-"))
        .collect();
    assert_eq!(after, sent, "every message, once, in order");
    // The notice comes before the messages of the new connection.
    let first_after = items
        .iter()
        .position(|(_, p)| p == "after-0")
        .expect("after-0 arrived");
    assert!(reconnected < first_after, "{items:?}");
    assert!(pubsub.subscriptions().channels().contains(&b"news"[..]));
    assert!(pubsub.connection_count() >= 2);
    assert!(sentinel.switch_count() >= 1);
}
