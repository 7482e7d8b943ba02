//! One value or many wherever a command takes a list (`ToArgList`): single
//! values, pairs, arrays, slices, `Vec`s, sets, maps and iterators, against
//! a real server, and an empty required list refused before sending.

use std::collections::{BTreeMap, HashMap, HashSet};

use tornadis::{Client, Commands, Many};
use tornadis_tests::RedisServer;

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

#[tokio::test]
async fn a_single_value_is_a_list_of_one() {
    let server = RedisServer::start();
    let c = client(&server);
    let json = String::from(r#"{"job":1}"#);
    // One String is one element, not one per character.
    assert_eq!(c.lpush("jobs", &json).await.unwrap(), 1);
    assert_eq!(c.lpush("jobs", json.clone()).await.unwrap(), 2);
    assert_eq!(c.llen("jobs").await.unwrap(), 2);
    assert_eq!(c.sadd("tags", "rust").await.unwrap(), 1);
    assert_eq!(c.sadd("tags", 42).await.unwrap(), 1);
    c.hset("h", "f", "v").await.unwrap();
    assert_eq!(c.hdel("h", "f").await.unwrap(), 1);
    assert_eq!(c.exists("jobs").await.unwrap(), 1);
    assert_eq!(c.del("jobs").await.unwrap(), 1);
    // One pair where the command takes pairs.
    assert_eq!(c.zadd("z", (1.5, "m")).await.unwrap(), 1);
    c.mset(("a", 1)).await.unwrap();
    assert_eq!(c.hset_multiple("h2", ("f", "v")).await.unwrap(), 1);
    let id: String = c.xadd("s", "*", ("field", "value")).await.unwrap();
    c.xgroup_create("s", "g", "0").await.unwrap();
    c.call(("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"))
        .await
        .unwrap();
    assert_eq!(c.xack("s", "g", &id).await.unwrap(), 1);
}

#[tokio::test]
async fn collections_and_iterators_are_many() {
    let server = RedisServer::start();
    let c = client(&server);
    let keys = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    c.mset(keys.iter().map(|k| (k, "x"))).await.unwrap();
    assert_eq!(c.exists(&keys).await.unwrap(), 3);
    assert_eq!(c.exists(&keys[..2]).await.unwrap(), 2);
    assert_eq!(c.exists(keys.iter()).await.unwrap(), 3);
    assert_eq!(c.exists(["a", "nope"]).await.unwrap(), 1);
    let set: HashSet<&str> = ["a", "b"].into();
    assert_eq!(c.exists(&set).await.unwrap(), 2);
    assert_eq!(c.rpush("n", 0..5).await.unwrap(), 5);
    assert_eq!(c.rpush("n", (5..8).map(|i| i * 10)).await.unwrap(), 8);
    let got: Vec<i64> = c.lrange("n", 0, -1).await.unwrap();
    assert_eq!(got, [0, 1, 2, 3, 4, 50, 60, 70]);
    // Pairs from maps, by reference or by value, and from zipped iterators.
    let fields = HashMap::from([("name", "ada"), ("lang", "en")]);
    assert_eq!(c.hset_multiple("u", &fields).await.unwrap(), 2);
    let more = BTreeMap::from([("age", 36)]);
    assert_eq!(c.hset_multiple("u", more).await.unwrap(), 1);
    let members = ["x", "y"];
    let scores = [1.0, 2.0];
    assert_eq!(
        c.zadd("z", scores.into_iter().zip(members)).await.unwrap(),
        2
    );
    // Any other iterator goes through `Many`.
    fn names(n: usize) -> impl Iterator<Item = String> {
        (0..n).map(|i| format!("k{i}"))
    }
    c.mset(Many(names(3).map(|k| (k, 1)))).await.unwrap();
    assert_eq!(c.del(Many(names(3))).await.unwrap(), 3);
}

#[tokio::test]
async fn an_empty_required_list_is_refused_before_sending() {
    let server = RedisServer::start();
    let c = client(&server);
    let none: Vec<String> = Vec::new();
    let err = c.del(&none).await.expect_err("DEL needs a key");
    assert!(err.is_client(), "{err}");
    assert!(err.detail().contains("DEL: `key`"), "{err}");
    let err = c.lpush("l", std::iter::empty::<&str>()).await.unwrap_err();
    assert!(err.is_client(), "{err}");
    // The connection is untouched.
    c.set("k", "v").await.unwrap();
}
