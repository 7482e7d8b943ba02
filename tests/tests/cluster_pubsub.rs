//! ClusterPubSub against a real six-node cluster: shard channels on every
//! primary, classic channels, and resubscription after a failover.
//!
//! The tests run one at a time, like those in `cluster.rs`, so that the
//! machine's two cores do not starve the cluster's failure detector.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tornadis::cluster::{key_slot, ClusterClient, ClusterPubSub};
use tornadis::MessageKind;
use tornadis_tests::RedisCluster;

/// One cluster test at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

fn client(cluster: &RedisCluster) -> ClusterClient {
    cluster
        .addrs()
        .iter()
        .fold(ClusterClient::builder(), |b, a| b.seed(a))
        .build()
        .unwrap()
}

/// One shard channel per primary of the cluster, as node indices and names.
fn channel_per_primary(cluster: &RedisCluster) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for i in 0.. {
        let name = format!("shard:{i}");
        let owner = cluster.primary_for_slot(key_slot(name.as_bytes())).unwrap();
        if out.iter().all(|(o, _)| *o != owner) {
            out.push((owner, name));
        }
        if out.len() == cluster.primaries().len() {
            return out;
        }
    }
    unreachable!()
}

/// Reads messages until one satisfies `done` or `within` passes; returns
/// every item read (gap notices included).
async fn read_until(
    pubsub: &ClusterPubSub,
    within: Duration,
    mut done: impl FnMut(&[tornadis::Message]) -> bool,
) -> Vec<tornadis::Message> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    while Instant::now() < deadline && !done(&seen) {
        if let Some(m) = pubsub.pop_message(Some(Duration::from_millis(100))).await {
            seen.push(m);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_channels_on_every_primary_and_classic_channels() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    let c = client(&cluster);
    let pubsub = c.pubsub();
    let channels = channel_per_primary(&cluster);
    let names: Vec<String> = channels.iter().map(|(_, n)| n.clone()).collect();
    assert_eq!(names.len(), 3);

    pubsub.ssubscribe(names.clone()).await.unwrap();
    let placed = pubsub.shard_channels().await;
    assert_eq!(placed.len(), 3);
    let nodes: BTreeSet<&String> = placed.iter().map(|(_, n)| n).collect();
    assert_eq!(nodes.len(), 3, "one connection per shard: {placed:?}");
    for (owner, name) in &channels {
        let (_, node) = placed.iter().find(|(c, _)| c == name.as_bytes()).unwrap();
        assert_eq!(
            node,
            &cluster.addrs()[*owner],
            "{name} is on its slot's primary"
        );
    }

    for name in &names {
        let receivers: i64 = c
            .call_as(("SPUBLISH", name.as_str(), format!("hello {name}")))
            .await
            .unwrap();
        assert_eq!(receivers, 1, "{name}");
    }
    let seen = read_until(&pubsub, Duration::from_secs(10), |s| s.len() >= 3).await;
    let got: BTreeSet<(String, String)> = seen
        .iter()
        .map(|m| {
            assert_eq!(m.kind(), MessageKind::SMessage);
            (m.channel_as().unwrap(), m.payload_as().unwrap())
        })
        .collect();
    let want: BTreeSet<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), format!("hello {n}")))
        .collect();
    assert_eq!(got, want);

    // The stream sees the same messages.
    let mut stream = pubsub.messages();
    c.call(("SPUBLISH", names[1].as_str(), "via stream"))
        .await
        .unwrap();
    let m = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.payload_as::<String>().unwrap(), "via stream");

    // Classic channels and patterns on one node still see every PUBLISH.
    pubsub.subscribe("news").await.unwrap();
    pubsub.psubscribe("sport.*").await.unwrap();
    c.call(("PUBLISH", "news", "n1")).await.unwrap();
    c.call(("PUBLISH", "sport.tennis", "s1")).await.unwrap();
    let seen = read_until(&pubsub, Duration::from_secs(10), |s| s.len() >= 2).await;
    let kinds: Vec<MessageKind> = seen.iter().map(|m| m.kind()).collect();
    assert!(kinds.contains(&MessageKind::Message), "{seen:?}");
    assert!(kinds.contains(&MessageKind::PMessage), "{seen:?}");
    pubsub.unsubscribe("news").await.unwrap();
    pubsub.punsubscribe("sport.*").await.unwrap();

    // Unsubscribed shard channels get nothing.
    pubsub.sunsubscribe(names[0].as_str()).await.unwrap();
    let receivers: i64 = c
        .call_as(("SPUBLISH", names[0].as_str(), "nobody"))
        .await
        .unwrap();
    assert_eq!(receivers, 0);
    assert_eq!(pubsub.shard_channels().await.len(), 2);
    pubsub.sunsubscribe(Vec::<String>::new()).await.unwrap();
    assert!(pubsub.shard_channels().await.is_empty());
    let e = pubsub.ssubscribe(Vec::<String>::new()).await.unwrap_err();
    assert!(e.is_client(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_channels_follow_a_failover() {
    let _serial = SERIAL.lock().await;
    let mut cluster = RedisCluster::start();
    let c = client(&cluster);
    let pubsub = c.pubsub();
    let channels = channel_per_primary(&cluster);
    let names: Vec<String> = channels.iter().map(|(_, n)| n.clone()).collect();
    pubsub.ssubscribe(names.clone()).await.unwrap();
    for name in &names {
        c.call(("SPUBLISH", name.as_str(), "before")).await.unwrap();
    }
    let seen = read_until(&pubsub, Duration::from_secs(10), |s| s.len() >= 3).await;
    assert_eq!(seen.len(), 3, "{seen:?}");

    // The classic client sits on the primary of slot 0: kill that one, so
    // that both kinds of subscription have to move.
    let victim = cluster.primary_for_slot(0).unwrap();
    let (_, moving) = channels.iter().find(|(o, _)| *o == victim).unwrap().clone();
    pubsub.subscribe("news").await.unwrap();
    let old_node = cluster.addrs()[victim].clone();
    let killed_at = Instant::now();
    cluster.kill_node(victim);
    tokio::task::block_in_place(|| cluster.wait_until_ok());

    // Publish on the moved channel until a message arrives from its new primary.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen: Vec<tornadis::Message> = Vec::new();
    let mut n = 0;
    let received = loop {
        assert!(
            Instant::now() < deadline,
            "no message on {moving} within 30 s of the failover: {seen:?}"
        );
        n += 1;
        let _ = c
            .call(("SPUBLISH", moving.as_str(), format!("after {n}")))
            .await;
        let _ = c.call(("PUBLISH", "news", format!("after {n}"))).await;
        seen.extend(read_until(&pubsub, Duration::from_millis(300), |_| false).await);
        let shard = seen
            .iter()
            .any(|m| m.kind() == MessageKind::SMessage && m.channel() == moving.as_bytes());
        let classic = seen
            .iter()
            .any(|m| m.kind() == MessageKind::Message && m.channel() == "news".as_bytes());
        if shard && classic {
            break killed_at.elapsed();
        }
    };
    println!("cluster pub/sub: messages flowed again {received:?} after the primary was killed");
    assert!(
        seen.iter().any(|m| m.kind() == MessageKind::Reconnected),
        "a gap notice tells that messages may be missing: {seen:?}"
    );
    let placed = pubsub.shard_channels().await;
    let (_, node) = placed.iter().find(|(c, _)| c == moving.as_bytes()).unwrap();
    assert_ne!(node, &old_node, "the channel moved off the dead node");

    // The other shards were not disturbed.
    for name in &names[1..] {
        let receivers: i64 = c
            .call_as(("SPUBLISH", name.as_str(), "still here"))
            .await
            .unwrap();
        assert_eq!(receivers, 1, "{name}");
    }
    let seen = read_until(&pubsub, Duration::from_secs(10), |s| {
        s.iter()
            .filter(|m| m.kind() == MessageKind::SMessage)
            .count()
            >= 2
    })
    .await;
    assert!(
        seen.iter()
            .filter(|m| m.kind() == MessageKind::SMessage)
            .count()
            >= 2,
        "{seen:?}"
    );
}

/// A live resharding: the channel's slot moves to another primary while both
/// nodes stay up. The old owner drops the subscription (`sunsubscribe`), and
/// the channel must follow its slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_channels_follow_a_resharding() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    let c = client(&cluster);
    let pubsub = c.pubsub();
    let name = "moving-shard";
    let slot = key_slot(name.as_bytes());
    pubsub.ssubscribe([name]).await.unwrap();
    let n: i64 = c.call_as(("SPUBLISH", name, "before")).await.unwrap();
    assert_eq!(n, 1);
    let seen = read_until(&pubsub, Duration::from_secs(5), |s| !s.is_empty()).await;
    assert_eq!(
        seen.first().map(|m| m.payload().clone()),
        Some("before".into())
    );

    // Move the (empty) slot to another primary.
    let source = cluster.primary_for_slot(slot).unwrap();
    let target = *cluster.primaries().iter().find(|&&p| p != source).unwrap();
    let id = |i: usize| cluster.node(i).cli(&["CLUSTER", "MYID"]);
    let (source_id, target_id) = (id(source), id(target));
    let slot_s = slot.to_string();
    let s = &slot_s;
    assert_eq!(
        cluster
            .node(target)
            .cli(&["CLUSTER", "SETSLOT", s, "IMPORTING", &source_id]),
        "OK"
    );
    assert_eq!(
        cluster
            .node(source)
            .cli(&["CLUSTER", "SETSLOT", s, "MIGRATING", &target_id]),
        "OK"
    );
    for i in cluster.primaries() {
        cluster
            .node(i)
            .cli(&["CLUSTER", "SETSLOT", s, "NODE", &target_id]);
    }

    // Messages published after the move reach the subscriber again.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut k = 0;
    let seen = loop {
        k += 1;
        let receivers: i64 = c
            .call_as(("SPUBLISH", name, format!("after {k}")))
            .await
            .unwrap_or(0);
        let seen = read_until(&pubsub, Duration::from_millis(300), |s| {
            s.iter().any(|m| m.payload().starts_with(b"after"))
        })
        .await;
        if receivers == 1 && seen.iter().any(|m| m.payload().starts_with(b"after")) {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "no message on {name} within 20 s of moving slot {slot}"
        );
    };
    assert!(!seen.is_empty());
    let placed = pubsub.shard_channels().await;
    let (_, node) = placed.iter().find(|(ch, _)| ch == name.as_bytes()).unwrap();
    assert_eq!(
        node,
        &cluster.addrs()[target],
        "the channel follows its slot"
    );
}
