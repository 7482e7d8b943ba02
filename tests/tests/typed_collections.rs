//! Typed methods of the hash, list, set and sorted-set groups against a real
//! server, in RESP3 (the default) and RESP2 where the reply shapes differ
//! (maps, doubles, pairs).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tornadis::commands::{
    Direction, LposOptions, ZaddIncrOptions, ZaddOptions, ZrangeOptions, ZrangeWithscoresOptions,
};
use tornadis::{Client, Commands, Fields, Protocol, Serde};
use tornadis_tests::RedisServer;

fn resp3(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

fn resp2(server: &RedisServer) -> Client {
    Client::builder()
        .port(server.port())
        .protocol(Protocol::Resp2)
        .build()
        .unwrap()
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

#[tokio::test]
async fn hgetall_decodes_into_a_serde_struct_in_both_protocols() {
    let server = RedisServer::start();
    for (i, c) in [resp3(&server), resp2(&server)].into_iter().enumerate() {
        let key = format!("user:{i}");
        let user = User {
            name: "ada".into(),
            age: 36,
        };
        let added = c.hset_fields(key.as_str(), Fields(&user)).await.unwrap();
        assert_eq!(added, 2);
        let Serde(back): Serde<User> = c.hgetall(&key).await.unwrap();
        assert_eq!(back, user);
        // The same reply as a map or as a list of pairs.
        let map: HashMap<String, String> = c.hgetall(&key).await.unwrap();
        assert_eq!(map["age"], "36");
        let mut pairs: Vec<(String, String)> = c.hgetall(&key).await.unwrap();
        pairs.sort();
        assert_eq!(
            pairs,
            [("age".into(), "36".into()), ("name".into(), "ada".into())]
        );
        // A map writes its pairs too; nothing to write is refused before sending.
        let added = c
            .hset_fields(key.as_str(), BTreeMap::from([("age", 37)]))
            .await
            .unwrap();
        assert_eq!(added, 0);
        assert_eq!(c.hget::<u32>(&key, "age").await.unwrap(), Some(37));
        let e = c
            .hset_fields(key.as_str(), BTreeMap::<String, String>::new())
            .await
            .unwrap_err();
        assert!(e.is_client(), "{e}");
        // A missing hash is an empty reply: a decode error for the struct.
        let e = c.hgetall::<Serde<User>>("nobody").await.unwrap_err();
        assert!(e.is_decode(), "{e}");
        assert!(e.to_string().contains("HGETALL"), "{e}");
    }
}

#[tokio::test]
async fn hash_fields() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        assert_eq!(c.hset("h", "f", "v").await.unwrap(), 1);
        assert_eq!(
            c.hset_multiple("h", [("f", "w"), ("g", "x")])
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            c.hget::<String>("h", "f").await.unwrap().as_deref(),
            Some("w")
        );
        assert_eq!(c.hget::<String>("h", "nope").await.unwrap(), None);
        assert!(c.hexists("h", "g").await.unwrap());
        assert!(!c.hsetnx("h", "g", "y").await.unwrap());
        assert_eq!(c.hlen("h").await.unwrap(), 2);
        assert_eq!(c.hincrby("h", "n", 5).await.unwrap(), 5);
        assert_eq!(c.hincrbyfloat("h", "x", 2.5).await.unwrap(), 2.5);
        let got: Vec<Option<String>> = c.hmget("h", ["f", "zz", "n"]).await.unwrap();
        assert_eq!(got, [Some("w".into()), None, Some("5".into())]);
        let mut keys: Vec<String> = c.hkeys("h").await.unwrap();
        keys.sort();
        assert_eq!(keys, ["f", "g", "n", "x"]);
        assert_eq!(c.hvals::<String>("h").await.unwrap().len(), 4);
        assert_eq!(c.hstrlen("h", "f").await.unwrap(), 1);
        assert_eq!(c.hdel("h", ["n", "x", "zz"]).await.unwrap(), 2);

        let one: Option<String> = c.hrandfield("h").await.unwrap();
        assert!(matches!(one.as_deref(), Some("f" | "g")));
        let two: Vec<(String, String)> = c.hrandfield_withvalues("h", 2).await.unwrap();
        let two: BTreeMap<_, _> = two.into_iter().collect();
        assert_eq!(
            two,
            BTreeMap::from([("f".into(), "w".into()), ("g".into(), "x".into())])
        );
        let fields: Vec<String> = c.hrandfield_count("h", -3).await.unwrap();
        assert_eq!(fields.len(), 3);

        let (cursor, entries): (i64, Vec<(String, String)>) = c.hscan("h", 0).await.unwrap();
        assert_eq!(cursor, 0);
        assert_eq!(entries.len(), 2);
    }
}

#[tokio::test]
async fn lists_with_counts_and_directions() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        assert_eq!(c.rpush("l", ["a", "b", "c", "d", "b"]).await.unwrap(), 5);
        assert_eq!(c.lpush("l", ["z"]).await.unwrap(), 6);
        assert_eq!(c.lpushx("missing", ["x"]).await.unwrap(), 0);
        assert_eq!(c.llen("l").await.unwrap(), 6);
        let all: Vec<String> = c.lrange("l", 0, -1).await.unwrap();
        assert_eq!(all, ["z", "a", "b", "c", "d", "b"]);
        assert_eq!(
            c.lindex::<String>("l", 1).await.unwrap().as_deref(),
            Some("a")
        );

        assert_eq!(c.lpos("l", "b").await.unwrap(), Some(2));
        assert_eq!(
            c.lpos_with("l", "b", LposOptions::new().rank(-1))
                .await
                .unwrap(),
            Some(5)
        );
        assert_eq!(c.lpos("l", "nope").await.unwrap(), None);
        assert_eq!(c.lpos_count("l", "b", 0).await.unwrap(), [2, 5]);

        // LPOP without a count: one element or nil; with a count: a list or nil.
        let one: Option<String> = c.lpop("l").await.unwrap();
        assert_eq!(one.as_deref(), Some("z"));
        let two: Option<Vec<String>> = c.lpop_count("l", 2).await.unwrap();
        assert_eq!(two, Some(vec!["a".into(), "b".into()]));
        let last: Option<Vec<String>> = c.rpop_count("l", 1).await.unwrap();
        assert_eq!(last, Some(vec!["b".into()]));
        let none: Option<Vec<String>> = c.lpop_count("missing", 2).await.unwrap();
        assert_eq!(none, None);
        let none: Option<String> = c.rpop("missing").await.unwrap();
        assert_eq!(none, None);

        let moved: Option<String> = c
            .lmove("l", "other", Direction::Right, Direction::Left)
            .await
            .unwrap();
        assert_eq!(moved.as_deref(), Some("d"));
        c.lset("l", 0, "C").await.unwrap();
        c.ltrim("l", 0, 0).await.unwrap();
        let rest: Vec<String> = c.lrange("l", 0, -1).await.unwrap();
        assert_eq!(rest, ["C"]);
        assert_eq!(c.lrem("other", 0, "d").await.unwrap(), 1);
    }
}

#[tokio::test]
async fn sets() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        assert_eq!(c.sadd("s1", ["a", "b", "c"]).await.unwrap(), 3);
        assert_eq!(c.sadd("s2", ["b", "c", "d"]).await.unwrap(), 3);
        assert_eq!(c.scard("s1").await.unwrap(), 3);
        assert!(c.sismember("s1", "a").await.unwrap());
        assert_eq!(c.smismember("s1", ["a", "d"]).await.unwrap(), [true, false]);
        // RESP3 sends a set, RESP2 an array: both decode into the HashSet these methods reply.
        let members: HashSet<String> = c.smembers("s1").await.unwrap();
        assert_eq!(members, HashSet::from(["a".into(), "b".into(), "c".into()]));
        let inter: HashSet<String> = c.sinter(["s1", "s2"]).await.unwrap();
        assert_eq!(inter, HashSet::from(["b".into(), "c".into()]));
        assert_eq!(c.sunion::<String>(["s1", "s2"]).await.unwrap().len(), 4);
        assert_eq!(
            c.sdiff::<String>(["s1", "s2"]).await.unwrap(),
            HashSet::from(["a".into()])
        );
        assert_eq!(c.sintercard(["s1", "s2"]).await.unwrap(), 2);
        assert_eq!(c.sinterstore("s3", ["s1", "s2"]).await.unwrap(), 2);
        assert!(c.smove("s1", "s3", "a").await.unwrap());
        assert_eq!(c.srem("s3", ["a", "zz"]).await.unwrap(), 1);

        let popped: Vec<String> = c.spop_count("s3", 5).await.unwrap();
        assert_eq!(popped.len(), 2);
        let none: Option<String> = c.spop("s3").await.unwrap();
        assert_eq!(none, None);
        let some: Option<String> = c.srandmember("s2").await.unwrap();
        assert!(some.is_some());
        let (cursor, found): (i64, Vec<String>) = c.sscan("s2", 0).await.unwrap();
        assert_eq!((cursor, found.len()), (0, 3));
    }
}

#[tokio::test]
async fn sorted_sets_with_scores_in_both_protocols() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        assert_eq!(
            c.zadd("z", [(1.0, "a"), (2.5, "b"), (3.0, "c")])
                .await
                .unwrap(),
            3
        );
        // ZADD CH counts changed members; ZADD INCR replies the new score.
        let changed = c
            .zadd_with("z", [(9.0, "a"), (4.0, "d")], ZaddOptions::new().ch())
            .await
            .unwrap();
        assert_eq!(changed, 2);
        let score = c.zadd_incr("z", [(0.5, "b")]).await.unwrap();
        assert_eq!(score, Some(3.0));
        // INCR with NX on an existing member does nothing: nil.
        let score = c
            .zadd_incr_with("z", [(1.0, "b")], ZaddIncrOptions::new().nx())
            .await
            .unwrap();
        assert_eq!(score, None);

        let plain: Vec<String> = c.zrange("z", 0, -1).await.unwrap();
        assert_eq!(plain, ["b", "c", "d", "a"]);
        let scored: Vec<(String, f64)> = c.zrange_withscores("z", 0, 1).await.unwrap();
        assert_eq!(scored, [("b".into(), 3.0), ("c".into(), 3.0)]);
        let by_score: Vec<(String, f64)> = c
            .zrange_withscores_with(
                "z",
                "+inf", // REV takes the bounds high to low
                "(3",
                ZrangeWithscoresOptions::new().byscore().rev(),
            )
            .await
            .unwrap();
        assert_eq!(by_score, [("a".into(), 9.0), ("d".into(), 4.0)]);
        let limited: Vec<String> = c
            .zrange_with(
                "z",
                "-inf",
                "+inf",
                ZrangeOptions::new().byscore().limit(1, 2),
            )
            .await
            .unwrap();
        assert_eq!(limited, ["c", "d"]);

        assert_eq!(c.zscore("z", "d").await.unwrap(), Some(4.0));
        assert_eq!(c.zscore("z", "nope").await.unwrap(), None);
        assert_eq!(
            c.zmscore("z", ["a", "nope"]).await.unwrap(),
            [Some(9.0), None]
        );
        assert_eq!(c.zincrby("z", 0.25, "d").await.unwrap(), 4.25);
        assert_eq!(c.zcard("z").await.unwrap(), 4);
        assert_eq!(c.zcount("z", 3.0, 5.0).await.unwrap(), 3);
        // Score bounds also take Redis's exclusive and infinite forms.
        assert_eq!(c.zcount("z", "(3", "+inf").await.unwrap(), 2);
        assert_eq!(c.zrank("z", "a").await.unwrap(), Some(3));
        assert_eq!(c.zrevrank("z", "a").await.unwrap(), Some(0));
        let top: Vec<(String, f64)> = c.zpopmax("z").await.unwrap();
        assert_eq!(top, [("a".into(), 9.0)]);
        let low: Vec<(String, f64)> = c.zpopmin("z").await.unwrap();
        assert_eq!(low.len(), 1);
        #[allow(deprecated)]
        let by_score: Vec<(String, f64)> = c
            .zrangebyscore_withscores("z", f64::NEG_INFINITY, f64::INFINITY)
            .await
            .unwrap();
        assert_eq!(by_score.len(), 2);
        assert_eq!(c.zrem("z", ["c", "d", "zz"]).await.unwrap(), 2);

        c.zadd("z1", [(1.0, "x"), (2.0, "y")]).await.unwrap();
        c.zadd("z2", [(10.0, "y")]).await.unwrap();
        let union: Vec<(String, f64)> = c.zunion_withscores(["z1", "z2"]).await.unwrap();
        assert_eq!(union, [("x".into(), 1.0), ("y".into(), 12.0)]);
        let (cursor, entries): (i64, Vec<(String, f64)>) = c.zscan("z1", 0).await.unwrap();
        assert_eq!((cursor, entries.len()), (0, 2));
    }
}
