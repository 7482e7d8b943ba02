//! Reply types of the less common typed methods, checked in RESP3 and RESP2:
//! each call decodes into the type the spec table gives it, so a wrong
//! reply type in the table fails here.

use tornadis::commands::{Direction, MinMax};
use tornadis::Commands;
use tornadis_tests::RedisServer;

/// XREAD/XREADGROUP: per stream, its entries (id and fields).
type Streams = Option<Vec<tornadis::value::StreamKey>>;

#[tokio::test]
async fn multi_pops_and_random_members() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        c.rpush("l", ["a", "b", "c"]).await.unwrap();
        let popped: Option<(String, Vec<String>)> =
            c.lmpop(["nope", "l"], Direction::Left).await.unwrap();
        assert_eq!(popped, Some(("l".into(), vec!["a".into()])));
        let none: Option<(String, Vec<String>)> =
            c.lmpop(["nope"], Direction::Right).await.unwrap();
        assert_eq!(none, None);

        c.zadd("z", [(1.0, "x"), (2.0, "y")]).await.unwrap();
        let popped: Option<(String, Vec<(String, f64)>)> =
            c.zmpop(["z"], MinMax::Max).await.unwrap();
        assert_eq!(popped, Some(("z".into(), vec![("y".into(), 2.0)])));
        let sample: Vec<(String, f64)> = c.zrandmember_withscores("z", 3).await.unwrap();
        assert_eq!(sample, [("x".into(), 1.0)]);
        let members: Vec<String> = c.zrandmember_count("z", -2).await.unwrap();
        assert_eq!(members, ["x", "x"]);
    }
}

#[tokio::test]
async fn introspection_replies() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        c.set("n", 12).await.unwrap();
        assert_eq!(
            c.object_encoding("n").await.unwrap().as_deref(),
            Some("int")
        );
        assert_eq!(c.object_encoding("nope").await.unwrap(), None);
        assert!(c.object_idletime("n").await.unwrap() >= 0);
        assert_eq!(c.expiretime("n").await.unwrap(), -1);

        c.mset([("x", "ohmytext"), ("y", "mynewtext")])
            .await
            .unwrap();
        let idx = c.lcs_idx("x", "y").await.unwrap();
        assert!(
            idx.contains_key("matches") && idx.contains_key("len"),
            "{idx:?}"
        );

        let stats = c.memory_stats().await.unwrap();
        assert!(stats.contains_key("peak.allocated"), "{stats:?}");
        let user = c
            .acl_getuser("default")
            .await
            .unwrap()
            .expect("default user");
        assert!(user.contains_key("flags"), "{user:?}");
        assert_eq!(c.acl_getuser("nobody").await.unwrap(), None);
        let tracking = c.client_trackinginfo().await.unwrap();
        assert!(tracking.contains_key("flags"), "{tracking:?}");
        assert!(c.latency_history("command").await.unwrap().is_empty());
        assert!(c.acl_list().await.unwrap()[0].starts_with("user default"));
        assert!(!c.command_help().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn stream_claims_and_pending_entries() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        let id = c.xadd("s", "*", [("f", "v")]).await.unwrap();
        c.xgroup_create("s", "g", "0").await.unwrap();
        let read: Streams = c.xreadgroup("g", "alice", ["s"], [">"]).await.unwrap();
        assert_eq!(read.expect("one stream")[0].entries[0].id, id);

        let pending = c
            .xpending_range("s", "g", None, "-", "+", 10, None::<&str>)
            .await
            .unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, id);
        assert_eq!(pending[0].consumer, "alice");
        assert_eq!(pending[0].deliveries, 1);

        let claimed = c
            .xclaim::<String>("s", "g", "bob", 0, [id.as_str()])
            .await
            .unwrap();
        assert_eq!(claimed[0].id, id);
        assert_eq!(claimed[0].fields["f"], "v");
        let claim = c
            .xautoclaim::<String>("s", "g", "carol", 0, "0")
            .await
            .unwrap();
        assert_eq!(claim.next, "0-0");
        assert_eq!(claim.entries.len(), 1);
        assert!(claim.deleted.is_empty());
        let consumers = c.xinfo_consumers("s", "g").await.unwrap();
        assert_eq!(consumers.len(), 3);
    }
}
