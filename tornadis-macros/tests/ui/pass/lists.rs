// One value or many in list positions, with the real table: single values,
// pairs, arrays, slices, Vecs, sets, maps, std iterators and `Many`.
use std::collections::{BTreeMap, HashMap, HashSet};

use tornadis::{Cmd, Commands, Executor, FromValue, Many};

struct Capture;

impl Executor for Capture {
    type Output<R: FromValue> = Cmd;
    fn execute<R: FromValue>(self, cmd: Cmd) -> Cmd {
        cmd
    }
}

fn args(cmd: &Cmd) -> Vec<String> {
    cmd.arg_slices()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn main() {
    let json = String::from(r#"{"a":1}"#);
    assert_eq!(args(&Capture.lpush("q", &json)), ["LPUSH", "q", r#"{"a":1}"#]);
    assert_eq!(args(&Capture.lpush("q", json.clone())), ["LPUSH", "q", r#"{"a":1}"#]);
    assert_eq!(args(&Capture.del("k")), ["DEL", "k"]);
    assert_eq!(args(&Capture.sadd("s", 7)), ["SADD", "s", "7"]);
    assert_eq!(args(&Capture.hdel("h", "f")), ["HDEL", "h", "f"]);
    // Bytes stay one value.
    assert_eq!(args(&Capture.lpush("q", vec![1u8, 2])).len(), 3);
    assert_eq!(args(&Capture.lpush("q", &b"ab"[..])).len(), 3);

    let keys = vec!["a".to_string(), "b".to_string()];
    assert_eq!(args(&Capture.del(&keys)), ["DEL", "a", "b"]);
    assert_eq!(args(&Capture.del(&keys[..1])), ["DEL", "a"]);
    assert_eq!(args(&Capture.del(keys.clone())), ["DEL", "a", "b"]);
    assert_eq!(args(&Capture.del(["a", "b"])), ["DEL", "a", "b"]);
    assert_eq!(args(&Capture.del(keys.iter().rev())), ["DEL", "b", "a"]);
    assert_eq!(args(&Capture.rpush("l", 1..=3)), ["RPUSH", "l", "1", "2", "3"]);
    let set: HashSet<i64> = HashSet::from([5]);
    assert_eq!(args(&Capture.sadd("s", &set)), ["SADD", "s", "5"]);

    // Pairs: one, a list, a map by value or by reference, a zip.
    assert_eq!(args(&Capture.zadd("z", (1.0, "m"))), ["ZADD", "z", "1.0", "m"]);
    assert_eq!(args(&Capture.mset(("a", 1))), ["MSET", "a", "1"]);
    let map = BTreeMap::from([("f", "v")]);
    assert_eq!(args(&Capture.hset_multiple("h", &map)), ["HSET", "h", "f", "v"]);
    assert_eq!(args(&Capture.hset_multiple("h", map)), ["HSET", "h", "f", "v"]);
    let hash: HashMap<String, i64> = HashMap::from([("n".into(), 1)]);
    assert_eq!(args(&Capture.mset(&hash)), ["MSET", "n", "1"]);
    let members = ["x", "y"];
    let scores = vec![1.0, 2.0];
    assert_eq!(
        args(&Capture.zadd("z", scores.into_iter().zip(members))),
        ["ZADD", "z", "1.0", "x", "2.0", "y"]
    );

    fn custom() -> impl Iterator<Item = &'static str> {
        ["p", "q"].into_iter()
    }
    assert_eq!(args(&Capture.del(Many(custom()))), ["DEL", "p", "q"]);
}
