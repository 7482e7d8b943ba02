//! Typed methods of the string, bitmap, hyperloglog and generic groups
//! against a real server, in RESP3 (the default) and RESP2 where the reply
//! shapes differ.

use std::collections::HashSet;

use tornadis::commands::{
    BitopOperation, CopyOptions, GetexOptions, MigrateKeySelector, MigrateOptions, ScanOptions,
    SetGetOptions, SetOptions, SortOptions,
};
use tornadis::{Client, Commands, Protocol};
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

#[tokio::test]
async fn set_and_get_with_every_reply_shape() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        c.set("k", "v1").await.unwrap();
        let v: Option<String> = c.get("k").await.unwrap();
        assert_eq!(v.as_deref(), Some("v1"));
        let missing: Option<String> = c.get("nope").await.unwrap();
        assert_eq!(missing, None);

        // NX on an existing key: not set, and the reply says so.
        let refused = c.set_with("k", "v2", SetOptions::new().nx()).await.unwrap();
        assert_eq!(refused, None);
        let done = c
            .set_with("k", "v2", SetOptions::new().xx().ex(100))
            .await
            .unwrap();
        assert_eq!(done, Some(()));
        let ttl = c.ttl("k").await.unwrap();
        assert!((1..=100).contains(&ttl), "ttl {ttl}");

        // SET ... GET: the old value, or nil for a new key.
        let old: Option<String> = c.set_get("k", "v3").await.unwrap();
        assert_eq!(old.as_deref(), Some("v2"));
        let none: Option<String> = c.set_get("fresh", 1).await.unwrap();
        assert_eq!(none, None);
        let kept: Option<i64> = c
            .set_get_with("fresh", 2, SetGetOptions::new().keepttl())
            .await
            .unwrap();
        assert_eq!(kept, Some(1));
        // SET NX GET on an existing key returns the value and does not write.
        let old: Option<String> = c
            .set_get_with("k", "ignored", SetGetOptions::new().nx())
            .await
            .unwrap();
        assert_eq!(old.as_deref(), Some("v3"));
        assert_eq!(c.get::<String>("k").await.unwrap().as_deref(), Some("v3"));
    }
}

#[tokio::test]
async fn counters_ranges_and_multi_key_strings() {
    let server = RedisServer::start();
    let c = resp3(&server);
    assert_eq!(c.incr("n").await.unwrap(), 1);
    assert_eq!(c.incrby("n", 41).await.unwrap(), 42);
    assert_eq!(c.decrby("n", 2).await.unwrap(), 40);
    assert_eq!(c.incrbyfloat("f", 1.5).await.unwrap(), 1.5);
    assert_eq!(c.incrbyfloat("f", -0.25).await.unwrap(), 1.25);
    assert_eq!(c.append("s", "hello").await.unwrap(), 5);
    assert_eq!(c.append("s", " world").await.unwrap(), 11);
    let part: String = c.getrange("s", 0, 4).await.unwrap();
    assert_eq!(part, "hello");
    assert_eq!(c.strlen("s").await.unwrap(), 11);
    assert_eq!(c.setrange("s", 6, "there").await.unwrap(), 11);

    c.mset([("a", "1"), ("b", "2")]).await.unwrap();
    let got: Vec<Option<i64>> = c.mget(["a", "missing", "b"]).await.unwrap();
    assert_eq!(got, [Some(1), None, Some(2)]);
    assert!(!c.msetnx([("a", "x"), ("c", "3")]).await.unwrap());
    assert!(c.msetnx([("c", "3"), ("d", "4")]).await.unwrap());
    c.set("e", 5).await.unwrap();

    let v: Option<i64> = c
        .getex_with("e", GetexOptions::new().px(60_000))
        .await
        .unwrap();
    assert_eq!(v, Some(5));
    assert!(c.pttl("e").await.unwrap() > 0);
    let v: Option<i64> = c.getdel("e").await.unwrap();
    assert_eq!(v, Some(5));
    assert_eq!(c.exists(["e"]).await.unwrap(), 0);

    c.mset([("x", "ohmytext"), ("y", "mynewtext")])
        .await
        .unwrap();
    assert_eq!(c.lcs_len("x", "y").await.unwrap(), 6);
    let common: String = c.lcs("x", "y").await.unwrap();
    assert_eq!(common, "mytext");
}

#[tokio::test]
async fn wrong_types_and_bad_numbers_are_server_errors() {
    let server = RedisServer::start();
    let c = resp3(&server);
    c.lpush("list", ["x"]).await.unwrap();
    let e = c.get::<String>("list").await.unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
    c.set("s", "abc").await.unwrap();
    let e = c.incr("s").await.unwrap_err();
    assert!(e.is_server(), "{e}");
    // A reply that does not fit the chosen type is a decode error naming the command.
    let e = c.get::<i64>("s").await.unwrap_err();
    assert!(e.is_decode(), "{e}");
    assert!(e.to_string().contains("GET"), "{e}");
}

#[tokio::test]
async fn bitmaps() {
    let server = RedisServer::start();
    let c = resp3(&server);
    assert_eq!(c.setbit("b", 7, 1).await.unwrap(), 0);
    assert_eq!(c.setbit("b", 7, 1).await.unwrap(), 1);
    assert_eq!(c.getbit("b", 7).await.unwrap(), 1);
    assert_eq!(c.getbit("b", 6).await.unwrap(), 0);
    c.setbit("c", 0, 1).await.unwrap();
    assert_eq!(c.bitcount("b").await.unwrap(), 1);
    assert_eq!(
        c.bitop(BitopOperation::Or, "dest", ["b", "c"])
            .await
            .unwrap(),
        1
    );
    assert_eq!(c.bitcount("dest").await.unwrap(), 2);
    assert_eq!(c.bitpos("dest", 1).await.unwrap(), 0);
}

#[tokio::test]
async fn hyperloglogs() {
    let server = RedisServer::start();
    let c = resp3(&server);
    assert!(c.pfadd("h1", ["a", "b", "c"]).await.unwrap());
    assert!(!c.pfadd("h1", ["a"]).await.unwrap());
    assert!(c.pfadd("h2", ["c", "d"]).await.unwrap());
    assert_eq!(c.pfcount(["h1"]).await.unwrap(), 3);
    assert_eq!(c.pfcount(["h1", "h2"]).await.unwrap(), 4);
    c.pfmerge("h3", ["h1", "h2"]).await.unwrap();
    assert_eq!(c.pfcount(["h3"]).await.unwrap(), 4);
}

#[tokio::test]
async fn generic_key_commands() {
    let server = RedisServer::start();
    let c = resp3(&server);
    c.mset([("a", "1"), ("b", "2")]).await.unwrap();
    assert_eq!(c.exists(["a", "b", "zz"]).await.unwrap(), 2);
    assert_eq!(c.key_type("a").await.unwrap(), "string");
    assert_eq!(c.key_type("zz").await.unwrap(), "none");
    assert!(c.expire("a", 100).await.unwrap());
    assert!(c.ttl("a").await.unwrap() > 0);
    assert!(c.persist("a").await.unwrap());
    assert_eq!(c.ttl("a").await.unwrap(), -1);
    assert_eq!(c.ttl("zz").await.unwrap(), -2);
    c.rename("a", "a2").await.unwrap();
    assert!(!c.renamenx("a2", "b").await.unwrap());
    assert!(c.copy("a2", "a3").await.unwrap());
    assert!(!c.copy("a2", "a3").await.unwrap());
    assert!(c
        .copy_with("a2", "a3", CopyOptions::new().replace())
        .await
        .unwrap());
    let mut keys: Vec<String> = c.keys("a*").await.unwrap();
    keys.sort();
    assert_eq!(keys, ["a2", "a3"]);
    let dumped = c.dump("a2").await.unwrap().expect("a2 exists");
    c.restore("restored", 0, dumped).await.unwrap();
    assert_eq!(c.get::<i64>("restored").await.unwrap(), Some(1));
    assert_eq!(c.dump("zz").await.unwrap(), None);
    assert_eq!(c.del(["a2", "a3", "zz"]).await.unwrap(), 2);
    assert_eq!(c.unlink(["b", "restored"]).await.unwrap(), 2);
    assert_eq!(c.dbsize().await.unwrap(), 0);

    c.rpush("nums", [3, 1, 2]).await.unwrap();
    let sorted: Vec<i64> = c.sort("nums").await.unwrap();
    assert_eq!(sorted, [1, 2, 3]);
    let desc: Vec<i64> = c
        .sort_with("nums", SortOptions::new().desc())
        .await
        .unwrap();
    assert_eq!(desc, [3, 2, 1]);
    assert_eq!(c.sort_store("nums", "sorted").await.unwrap(), 3);
    let stored: Vec<i64> = c.lrange("sorted", 0, -1).await.unwrap();
    assert_eq!(stored, [1, 2, 3]);
}

/// SCAN with MATCH, COUNT and TYPE, iterated until the cursor comes back to 0.
#[tokio::test]
async fn scan_iterates_until_the_cursor_returns_to_zero() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        let pairs: Vec<(String, i64)> = (0..300).map(|i| (format!("user:{i}"), i)).collect();
        c.mset(pairs).await.unwrap();
        c.mset([("other:1", "x"), ("other:2", "y")]).await.unwrap();
        c.sadd("user:set", ["m"]).await.unwrap();

        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut rounds = 0;
        loop {
            let opts = ScanOptions::new()
                .pattern("user:*")
                .count(50)
                .type_("string");
            let (next, keys): (i64, Vec<String>) = c.scan_with(cursor, opts).await.unwrap();
            seen.extend(keys);
            rounds += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
            assert!(rounds < 1_000, "SCAN does not end");
        }
        assert!(rounds > 1, "COUNT 50 over 303 keys takes several rounds");
        assert_eq!(seen.len(), 300);
        assert!(seen.iter().all(|k| k.starts_with("user:")));
        assert!(!seen.contains("user:set"), "TYPE string leaves the set out");
    }
}

/// MIGRATE with KEYS takes the empty string where the single key would go.
#[tokio::test]
async fn migrate_moves_several_keys_with_the_empty_key_selector() {
    let (source, target) = (RedisServer::start(), RedisServer::start());
    let c = resp3(&source);
    c.set("a", 1).await.unwrap();
    c.set("b", 2).await.unwrap();
    let opts = MigrateOptions::new().keys(["a", "b"]);
    let reply = c
        .migrate_with(
            "127.0.0.1",
            i64::from(target.port()),
            MigrateKeySelector::EmptyString,
            0,
            5000,
            opts,
        )
        .await
        .unwrap();
    assert_eq!(reply, "OK");
    assert_eq!(c.exists(["a", "b"]).await.unwrap(), 0, "moved away");
    let t = resp3(&target);
    assert_eq!(t.get::<i64>("b").await.unwrap(), Some(2));
}
