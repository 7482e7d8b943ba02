//! The pub/sub client against a real redis-server: the three kinds of
//! subscription in RESP2 and RESP3, unsubscribing, timeouts, the stream,
//! resubscription after a restart and its gap notice, the bounded buffer,
//! and connection loss with autoconnect off.

use std::time::Duration;

use tornadis::pubsub::Stream;
use tornadis::{Client, Message, MessageKind, Protocol, PubSubClient};
use tornadis_tests::{FaultProxy, RedisServer};

const WAIT: Option<Duration> = Some(Duration::from_secs(10));

fn pubsub(server: &RedisServer, protocol: Protocol) -> PubSubClient {
    PubSubClient::builder()
        .url(&server.url())
        .protocol(protocol)
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .reconnect_wait(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn publisher(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

async fn publish(c: &Client, channel: &str, payload: &str) -> i64 {
    c.call_as(("PUBLISH", channel, payload)).await.unwrap()
}

/// The next item, failing the test after 10 s.
async fn next(p: &PubSubClient) -> Message {
    p.pubsub_pop_message(WAIT)
        .await
        .unwrap()
        .expect("no message within 10 s")
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[tokio::test]
async fn subscribe_psubscribe_ssubscribe_in_resp2_and_resp3() {
    let server = RedisServer::start();
    let client = publisher(&server);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let p = pubsub(&server, protocol);
        p.pubsub_subscribe(["chan", "other"]).await.unwrap();
        p.pubsub_psubscribe("pat.*").await.unwrap();
        p.pubsub_ssubscribe("shard").await.unwrap();
        let subs = p.subscriptions();
        assert_eq!(subs.channels().len(), 2, "{protocol:?}");
        assert_eq!(subs.patterns().len(), 1);
        assert_eq!(subs.shard_channels().len(), 1);
        assert_eq!(subs.len(), 4);

        assert_eq!(publish(&client, "chan", "42").await, 1);
        assert_eq!(publish(&client, "pat.x", "hello").await, 1);
        let n: i64 = client.call_as(("SPUBLISH", "shard", "s")).await.unwrap();
        assert_eq!(n, 1);

        let m = next(&p).await;
        assert_eq!(m.kind(), MessageKind::Message, "{protocol:?}");
        assert_eq!(text(m.channel()), "chan");
        assert_eq!(m.pattern(), None);
        assert_eq!(m.payload_as::<i64>().unwrap(), 42);
        assert!(!m.is_gap());

        let m = next(&p).await;
        assert_eq!(m.kind(), MessageKind::PMessage);
        assert_eq!(text(m.channel()), "pat.x");
        assert_eq!(m.pattern().map(|b| text(b)), Some("pat.*"));
        assert_eq!(m.payload_as::<String>().unwrap(), "hello");

        let m = next(&p).await;
        assert_eq!(m.kind(), MessageKind::SMessage);
        assert_eq!(text(m.channel()), "shard");
        assert_eq!(&m.payload()[..], b"s");
        assert_eq!(p.connection_count(), 1);
    }
}

#[tokio::test]
async fn binary_payloads_and_many_messages_keep_order() {
    let server = RedisServer::start();
    let client = publisher(&server);
    let p = pubsub(&server, Protocol::Resp3);
    p.pubsub_subscribe("bin").await.unwrap();
    let blob: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let _: i64 = client
        .call_as(("PUBLISH", "bin", blob.as_slice()))
        .await
        .unwrap();
    for i in 0..500 {
        publish(&client, "bin", &i.to_string()).await;
    }
    assert_eq!(next(&p).await.payload_as::<Vec<u8>>().unwrap(), blob);
    for i in 0..500 {
        assert_eq!(next(&p).await.payload_as::<i64>().unwrap(), i);
    }
}

#[tokio::test]
async fn unsubscribe_one_and_all_of_each_kind() {
    let server = RedisServer::start();
    let client = publisher(&server);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let p = pubsub(&server, protocol);
        p.pubsub_subscribe(["a", "b", "c"]).await.unwrap();
        p.pubsub_psubscribe(["p1.*", "p2.*"]).await.unwrap();
        p.pubsub_ssubscribe("s1").await.unwrap();
        p.pubsub_ssubscribe("s2").await.unwrap();

        p.pubsub_unsubscribe("a").await.unwrap();
        // Not subscribed: confirmed all the same, not an error.
        p.pubsub_unsubscribe("never").await.unwrap();
        assert_eq!(publish(&client, "a", "x").await, 0, "{protocol:?}");
        assert_eq!(publish(&client, "b", "y").await, 1);
        assert_eq!(text(next(&p).await.payload()), "y");

        // Empty means all of that kind; the other kinds stay.
        p.pubsub_unsubscribe(None::<&str>).await.unwrap();
        assert!(p.subscriptions().channels().is_empty());
        assert_eq!(p.subscriptions().patterns().len(), 2);
        p.pubsub_punsubscribe("p1.*").await.unwrap();
        p.pubsub_punsubscribe(Vec::<String>::new()).await.unwrap();
        p.pubsub_sunsubscribe(["s1"]).await.unwrap();
        assert_eq!(p.subscriptions().shard_channels().len(), 1);
        p.pubsub_sunsubscribe(None::<&str>).await.unwrap();
        assert!(p.subscriptions().is_empty());
        // Unsubscribe-all with nothing subscribed gets a single nil confirmation.
        p.pubsub_unsubscribe(None::<&str>).await.unwrap();
        p.pubsub_punsubscribe(None::<&str>).await.unwrap();
        p.pubsub_sunsubscribe(None::<&str>).await.unwrap();

        assert_eq!(publish(&client, "b", "z").await, 0);
        assert_eq!(publish(&client, "p2.x", "z").await, 0);
        // Still usable after leaving subscribed mode.
        p.ping().await.unwrap();
        p.pubsub_subscribe("again").await.unwrap();
        assert_eq!(publish(&client, "again", "yes").await, 1);
        assert_eq!(text(next(&p).await.payload()), "yes");
    }
}

#[tokio::test]
async fn subscribe_needs_a_channel() {
    let server = RedisServer::start();
    let p = pubsub(&server, Protocol::Resp3);
    let e = p.pubsub_subscribe(Vec::<String>::new()).await.unwrap_err();
    assert!(e.is_client(), "{e:?}");
    let e = p.pubsub_psubscribe(None::<&str>).await.unwrap_err();
    assert!(e.is_client(), "{e:?}");
    assert_eq!(p.connection_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn pop_message_times_out_with_none() {
    let server = RedisServer::start();
    let p = pubsub(&server, Protocol::Resp3);
    p.pubsub_subscribe("quiet").await.unwrap();
    let start = std::time::Instant::now();
    let got = p
        .pubsub_pop_message(Some(Duration::from_millis(150)))
        .await
        .unwrap();
    assert!(got.is_none());
    assert!(start.elapsed() >= Duration::from_millis(150));
    // A message that arrives later is still delivered to the next call.
    publish(&publisher(&server), "quiet", "late").await;
    assert_eq!(text(next(&p).await.payload()), "late");
}

#[tokio::test]
async fn ping_in_both_protocols_subscribed_or_not() {
    let server = RedisServer::start();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let p = pubsub(&server, protocol);
        p.ping().await.unwrap();
        p.pubsub_subscribe("c").await.unwrap();
        p.ping().await.unwrap();
        p.pubsub_psubscribe("x*").await.unwrap();
        p.ping().await.unwrap();
        assert!(p.is_connected());
    }
}

#[tokio::test]
async fn messages_stream_in_both_protocols() {
    let server = RedisServer::start();
    let client = publisher(&server);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let p = pubsub(&server, protocol);
        p.pubsub_subscribe("s").await.unwrap();
        let mut stream = p.messages();
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            while got.len() < 20 {
                let m = stream.next().await.expect("stream ended").unwrap();
                got.push(m.payload_as::<u32>().unwrap());
            }
            got
        });
        for i in 0..20 {
            publish(&client, "s", &i.to_string()).await;
        }
        let got = tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .expect("stream stalled")
            .unwrap();
        assert_eq!(got, (0..20).collect::<Vec<_>>(), "{protocol:?}");
    }
}

#[tokio::test]
async fn stream_trait_polls_messages_and_ends_after_disconnect() {
    let server = RedisServer::start();
    let client = publisher(&server);
    let p = pubsub(&server, Protocol::Resp3);
    p.pubsub_subscribe("t").await.unwrap();
    let mut stream = p.messages();
    publish(&client, "t", "via-trait").await;
    let item = std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await;
    assert_eq!(text(item.unwrap().unwrap().payload()), "via-trait");

    p.disconnect();
    let item = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("no end after disconnect");
    assert!(item.unwrap().unwrap_err().is_connection());
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
    assert!(p.subscriptions().is_empty());
    // A new subscription reconnects (autoconnect on).
    p.pubsub_subscribe("t").await.unwrap();
    publish(&client, "t", "back").await;
    assert_eq!(text(next(&p).await.payload()), "back");
    assert_eq!(p.connection_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resubscribes_after_restart_and_reports_the_gap() {
    let mut server = RedisServer::start();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let p = pubsub(&server, protocol);
        p.pubsub_subscribe("chan").await.unwrap();
        p.pubsub_psubscribe("pat.*").await.unwrap();
        p.pubsub_ssubscribe(["sh1"]).await.unwrap();
        p.pubsub_ssubscribe(["sh2"]).await.unwrap();
        let before = publisher(&server);
        publish(&before, "chan", "before").await;
        // Make sure it is read before the kill (a reset connection may
        // discard what the kernel had received but the client not yet read).
        p.ping().await.unwrap();

        tokio::task::block_in_place(|| server.restart());

        // The message received before the loss comes first, then the gap.
        assert_eq!(text(next(&p).await.payload()), "before", "{protocol:?}");
        let gap = next(&p).await;
        assert_eq!(gap.kind(), MessageKind::Reconnected, "{protocol:?}");
        assert!(gap.is_gap());
        // At least one reconnect; more when an attempt reached something
        // that closed at once (the fixture probes whether the port is free
        // by binding it, and RESP2 has no handshake to notice).
        assert!(p.connection_count() >= 2, "{protocol:?}");
        assert!(p.is_connected());
        assert_eq!(p.subscriptions().len(), 4);

        // By the time the notice is delivered, every subscription is back.
        let after = publisher(&server);
        assert_eq!(publish(&after, "chan", "c").await, 1);
        assert_eq!(publish(&after, "pat.1", "p").await, 1);
        let n: i64 = after.call_as(("SPUBLISH", "sh2", "s")).await.unwrap();
        assert_eq!(n, 1);
        let got: Vec<(MessageKind, String)> = [next(&p).await, next(&p).await, next(&p).await]
            .iter()
            .map(|m| (m.kind(), m.payload_as::<String>().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                (MessageKind::Message, "c".to_string()),
                (MessageKind::PMessage, "p".to_string()),
                (MessageKind::SMessage, "s".to_string()),
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_during_an_outage_waits_for_the_reconnect() {
    let mut server = RedisServer::start();
    let p = pubsub(&server, Protocol::Resp3);
    p.pubsub_subscribe("first").await.unwrap();
    tokio::task::block_in_place(|| server.stop());
    let p2 = p.clone();
    let pending = tokio::spawn(async move { p2.pubsub_subscribe("second").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !pending.is_finished(),
        "the subscribe must wait for a connection"
    );
    assert!(!p.is_connected());
    tokio::task::block_in_place(|| server.restart());
    tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("subscribe did not complete after the restart")
        .unwrap()
        .unwrap();
    assert_eq!(next(&p).await.kind(), MessageKind::Reconnected);
    let c = publisher(&server);
    assert_eq!(publish(&c, "first", "1").await, 1);
    assert_eq!(publish(&c, "second", "2").await, 1);
    assert_eq!(text(next(&p).await.payload()), "1");
    assert_eq!(text(next(&p).await.payload()), "2");
}

#[tokio::test]
async fn full_buffer_drops_oldest_and_reports_lagged() {
    let server = RedisServer::start();
    let client = publisher(&server);
    let p = pubsub(&server, Protocol::Resp3).with_buffer_capacity(5);
    p.pubsub_subscribe("fast").await.unwrap();
    for i in 0..50 {
        publish(&client, "fast", &i.to_string()).await;
    }
    // The answer to PING comes after every message published before it.
    p.ping().await.unwrap();
    let lag = next(&p).await;
    assert_eq!(lag.kind(), MessageKind::Lagged);
    assert!(lag.is_gap());
    assert_eq!(lag.missed(), 45);
    for i in 45..50 {
        assert_eq!(next(&p).await.payload_as::<i64>().unwrap(), i);
    }
    assert!(p
        .pubsub_pop_message(Some(Duration::from_millis(50)))
        .await
        .unwrap()
        .is_none());
    // The connection was never cut: no reconnect, and it keeps working.
    assert_eq!(p.connection_count(), 1);
    publish(&client, "fast", "next").await;
    assert_eq!(text(next(&p).await.payload()), "next");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_loss_is_an_error_with_autoconnect_off() {
    let mut server = RedisServer::start();
    let p = PubSubClient::builder()
        .url(&server.url())
        .autoconnect(false)
        .build()
        .unwrap();
    // Nothing happens by itself without autoconnect.
    let e = p.pubsub_pop_message(WAIT).await.unwrap_err();
    assert!(e.is_connection(), "{e:?}");
    assert!(p.pubsub_subscribe("c").await.unwrap_err().is_connection());

    p.connect().await.unwrap();
    p.pubsub_subscribe("c").await.unwrap();
    publish(&publisher(&server), "c", "kept").await;
    p.ping().await.unwrap();
    tokio::task::block_in_place(|| server.stop());

    // The message received before the loss first, then the error.
    assert_eq!(text(next(&p).await.payload()), "kept");
    let e = p.pubsub_pop_message(WAIT).await.unwrap_err();
    assert!(e.is_connection(), "{e:?}");
    assert!(!p.is_connected());
    assert!(p.ping().await.unwrap_err().is_connection());
    // Still an error, at once, until connect().
    assert!(p
        .pubsub_pop_message(WAIT)
        .await
        .unwrap_err()
        .is_connection());

    // connect() restores the remembered subscription and reports the gap.
    tokio::task::block_in_place(|| server.restart());
    p.connect().await.unwrap();
    assert_eq!(next(&p).await.kind(), MessageKind::Reconnected);
    assert_eq!(publish(&publisher(&server), "c", "again").await, 1);
    assert_eq!(text(next(&p).await.payload()), "again");
}

#[tokio::test]
async fn server_errors_answer_the_command_and_keep_the_connection() {
    let server = RedisServer::builder()
        .acl_user("limited", "pw", "+@all ~* resetchannels &allowed*")
        .start();
    let url = format!("redis://limited:pw@{}", server.addr());
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let p = PubSubClient::builder()
            .url(&url)
            .protocol(protocol)
            .build()
            .unwrap();
        p.pubsub_subscribe("allowed1").await.unwrap();
        let e = p.pubsub_subscribe("forbidden").await.unwrap_err();
        assert!(e.is_server(), "{e:?}");
        assert_eq!(e.code(), Some("NOPERM"));
        assert_eq!(e.command(), Some("SUBSCRIBE"));
        assert_eq!(p.subscriptions().channels().len(), 1);
        // The connection is still in sync.
        p.ping().await.unwrap();
        let c = Client::from_url(&url).unwrap();
        assert_eq!(publish(&c, "allowed1", "ok").await, 1);
        assert_eq!(text(next(&p).await.payload()), "ok");
        assert_eq!(p.connection_count(), 1);
    }
}

#[tokio::test]
async fn clones_share_one_connection() {
    let server = RedisServer::start();
    let p = pubsub(&server, Protocol::Resp3);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let p = p.clone();
            tokio::spawn(async move { p.pubsub_subscribe(format!("ch{i}")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(p.subscriptions().channels().len(), 20);
    assert_eq!(p.connection_count(), 1);
    let n: i64 = publisher(&server)
        .call(("PUBSUB", "NUMSUB", "ch7"))
        .decode_as::<(String, i64)>()
        .await
        .unwrap()
        .1;
    assert_eq!(n, 1);
}

fn via_proxy(proxy: &FaultProxy) -> PubSubClient {
    PubSubClient::builder()
        .url(&proxy.url())
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

#[tokio::test]
async fn cut_connection_mid_message_resubscribes() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let client = publisher(&server);
    let p = via_proxy(&proxy);
    p.pubsub_subscribe("c").await.unwrap();
    p.pubsub_psubscribe("c*").await.unwrap();
    // The next message is cut after a few bytes: the partial frame must be
    // thrown away with the connection, never delivered half-read.
    proxy.cut_after(10);
    publish(&client, "c", "this message is cut in the middle").await;
    let gap = next(&p).await;
    assert_eq!(gap.kind(), MessageKind::Reconnected, "{gap:?}");
    assert_eq!(p.connection_count(), 2);
    assert_eq!(publish(&client, "c", "whole").await, 2);
    let a = next(&p).await;
    let b = next(&p).await;
    assert_eq!(
        (a.kind(), text(a.payload())),
        (MessageKind::Message, "whole")
    );
    assert_eq!(
        (b.kind(), text(b.payload())),
        (MessageKind::PMessage, "whole")
    );
}

#[tokio::test]
async fn messages_dripped_byte_by_byte_are_reassembled() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let client = publisher(&server);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let p = PubSubClient::builder()
            .url(&proxy.url())
            .protocol(protocol)
            .build()
            .unwrap();
        p.pubsub_subscribe("d").await.unwrap();
        proxy.drip(true);
        for i in 0..5 {
            publish(&client, "d", &format!("message number {i}")).await;
        }
        for i in 0..5 {
            assert_eq!(
                text(next(&p).await.payload()),
                format!("message number {i}")
            );
        }
        p.ping().await.unwrap();
        proxy.heal();
        assert_eq!(p.connection_count(), 1, "{protocol:?}");
    }
}

#[tokio::test]
async fn read_timeout_detects_a_dead_link_and_reconnects() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let p = via_proxy(&proxy);
    p.pubsub_subscribe("r").await.unwrap();
    // Silence while nothing is awaited is normal for a subscriber.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(p.is_connected());
    assert_eq!(p.connection_count(), 1);
    // A partition: the PING gets no answer within the read timeout.
    proxy.blackhole(true);
    let e = p.ping().await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    proxy.heal();
    assert_eq!(next(&p).await.kind(), MessageKind::Reconnected);
    assert_eq!(publish(&publisher(&server), "r", "alive").await, 1);
    assert_eq!(text(next(&p).await.payload()), "alive");
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection() {
    let server = RedisServer::start();
    let client = publisher(&server);
    let p = pubsub(&server, Protocol::Resp3);
    p.pubsub_subscribe("gone").await.unwrap();
    let stream = p.messages();
    drop(p);
    // The stream still holds the client: the subscription lives on.
    let numsub = || async {
        client
            .call(("PUBSUB", "NUMSUB", "gone"))
            .decode_as::<(String, i64)>()
            .await
            .unwrap()
            .1
    };
    assert_eq!(numsub().await, 1);
    drop(stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while numsub().await != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the connection outlived every handle"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn disconnect_during_an_outage_stops_reconnecting() {
    let server = RedisServer::start();
    let proxy = FaultProxy::start(server.addr());
    let p = via_proxy(&proxy);
    p.pubsub_subscribe("x").await.unwrap();
    proxy.refuse(true);
    proxy.cut_all();
    let p2 = p.clone();
    let pending = tokio::spawn(async move { p2.pubsub_subscribe("y").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!p.is_connected());
    assert!(proxy.connections_refused() > 0, "the client kept trying");
    p.disconnect();
    let e = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("the pending subscribe was not failed by disconnect()")
        .unwrap()
        .unwrap_err();
    assert!(e.is_connection(), "{e:?}");
    assert!(p
        .pubsub_pop_message(WAIT)
        .await
        .unwrap_err()
        .is_connection());
    assert!(p.subscriptions().is_empty());
    // No more attempts once disconnected.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = proxy.connections_refused();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(proxy.connections_refused(), refused);
    // A new subscription starts afresh, with no gap notice: nothing was restored.
    proxy.heal();
    p.pubsub_subscribe("z").await.unwrap();
    assert_eq!(p.subscriptions().len(), 1);
    assert_eq!(publish(&publisher(&server), "z", "fresh").await, 1);
    assert_eq!(text(next(&p).await.payload()), "fresh");
}
