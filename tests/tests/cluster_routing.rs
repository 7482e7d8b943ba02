//! Cluster routing by the spec table's facts, against a real cluster: a
//! blocking command redirected with ASK runs on a connection of its own, so
//! it never stalls the node's shared connection.

use std::time::Duration;

use tornadis::cluster::{key_slot, ClusterClient};
use tornadis::{Commands, Value};
use tornadis_tests::RedisCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_command_redirected_by_ask_does_not_stall_the_node() {
    let cluster = RedisCluster::start();
    let c = cluster
        .addrs()
        .iter()
        .fold(ClusterClient::builder(), |b, a| b.seed(a))
        .build()
        .unwrap();
    let slot = key_slot(b"blk");
    let source = cluster.primary_for_slot(slot).unwrap();
    let target = *cluster.primaries().iter().find(|&&p| p != source).unwrap();
    // A key the target owns, read through its shared connection.
    let local = (0..)
        .map(|i| format!("local:{i}"))
        .find(|k| cluster.primary_for_slot(key_slot(k.as_bytes())) == Some(target))
        .unwrap();
    c.set(local.as_str(), "here").await.unwrap();

    let id = |i: usize| cluster.node(i).cli(&["CLUSTER", "MYID"]);
    let (source_id, target_id) = (id(source), id(target));
    let slot_s = slot.to_string();
    assert_eq!(
        cluster
            .node(target)
            .cli(&["CLUSTER", "SETSLOT", &slot_s, "IMPORTING", &source_id]),
        "OK"
    );
    assert_eq!(
        cluster
            .node(source)
            .cli(&["CLUSTER", "SETSLOT", &slot_s, "MIGRATING", &target_id]),
        "OK"
    );

    // The key is not on the source: it answers ASK, and the BLPOP blocks on the target.
    let blpop = {
        let c = c.clone();
        tokio::spawn(async move { c.call(("BLPOP", "{blk}:q", 3)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let here: Option<String> = c.get(local.as_str()).await.unwrap();
    assert_eq!(here.as_deref(), Some("here"));
    assert!(
        !blpop.is_finished(),
        "the GET waited behind the redirected BLPOP on the node's shared connection"
    );
    let reply = blpop.await.unwrap().unwrap();
    assert_eq!(reply, Value::Nil);
}
