//! Names a user can guess: one type per shared concept (`Direction` for every
//! LEFT/RIGHT, `SetExpiry` for SET, MSETEX and HSETEX), checked by what the
//! methods send and against a real server in RESP3 and RESP2.

use std::marker::PhantomData;

use tornadis::commands::{
    Direction, GetExpiry, GetexOptions, MinMax, SetExpiry, SetOptions, TrimStrategy,
};
use tornadis::{Cmd, Commands, Executor, FromValue};
use tornadis_tests::RedisServer;

/// Hands the command back instead of sending it.
struct Capture;

impl Executor for Capture {
    type Output<R: FromValue> = (Cmd, PhantomData<R>);
    fn execute<R: FromValue>(self, cmd: Cmd) -> Self::Output<R> {
        (cmd, PhantomData)
    }
}

fn args<R>((cmd, _): (Cmd, PhantomData<R>)) -> Vec<String> {
    assert!(cmd.validate().is_ok(), "{:?}", cmd.error());
    cmd.arg_slices()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[test]
fn one_direction_type_for_every_list_end() {
    // One value, given to four commands: the type is the same.
    let end = Direction::Right;
    assert_eq!(
        args(Capture.lmove::<String>("a", "b", end, Direction::Left)),
        ["LMOVE", "a", "b", "RIGHT", "LEFT"]
    );
    assert_eq!(
        args(Capture.blmove::<String>("a", "b", end, end, 0.5)),
        ["BLMOVE", "a", "b", "RIGHT", "RIGHT", "0.5"]
    );
    assert_eq!(
        args(Capture.lmpop::<String, String>(["a", "b"], end)),
        ["LMPOP", "2", "a", "b", "RIGHT"]
    );
    assert_eq!(
        args(Capture.blmpop::<String, String>(1.0, ["a"], end)),
        ["BLMPOP", "1.0", "1", "a", "RIGHT"]
    );
    assert_eq!(
        args(Capture.zmpop::<String, String>(["z"], MinMax::Min)),
        ["ZMPOP", "1", "z", "MIN"]
    );
}

#[test]
fn one_expiry_type_for_set_msetex_and_hsetex() {
    let ttl = SetExpiry::Milliseconds(1500);
    assert_eq!(
        args(Capture.set_with("k", "v", SetOptions::new().expiration(ttl))),
        ["SET", "k", "v", "PX", "1500"]
    );
    // The whole value and the per-choice methods set the same argument: the
    // later one wins.
    assert_eq!(
        args(Capture.set_with("k", "v", SetOptions::new().expiration(ttl).ex(5))),
        ["SET", "k", "v", "EX", "5"]
    );
    let hsetex = Capture.hsetex_with(
        "h",
        [("f", "v")],
        tornadis::commands::HsetexOptions::new().expiration(ttl),
    );
    assert_eq!(
        args(hsetex),
        ["HSETEX", "h", "PX", "1500", "FIELDS", "1", "f", "v"]
    );
    let msetex = Capture.msetex_with(
        [("a", "1")],
        tornadis::commands::MsetexOptions::new().expiration(ttl),
    );
    assert_eq!(args(msetex), ["MSETEX", "1", "a", "1", "PX", "1500"]);
    assert_eq!(
        args(Capture.getex_with::<String>("k", GetexOptions::new().expiration(GetExpiry::Persist))),
        ["GETEX", "k", "PERSIST"]
    );
}

#[test]
fn a_shared_choice_records_what_this_command_needs() {
    let needs = |cmd: &Cmd| -> Vec<&str> { cmd.requirements().iter().map(|r| r.what).collect() };
    // EXAT came to SET in 6.2: given whole, the choice still says so.
    let (set, _) = Capture.set_with(
        "k",
        "v",
        SetOptions::new().expiration(SetExpiry::UnixTimeSeconds(1)),
    );
    assert_eq!(needs(&set), ["SET with `EXAT`"]);
    // HSETEX has EXAT from its first version: nothing more to record.
    let (hsetex, _) = Capture.hsetex_with(
        "h",
        [("f", "v")],
        tornadis::commands::HsetexOptions::new().expiration(SetExpiry::UnixTimeSeconds(1)),
    );
    assert!(needs(&hsetex).is_empty(), "{:?}", needs(&hsetex));
    // MINID came to XTRIM in 6.2; MAXLEN is as old as the command.
    let (minid, _) = Capture.xtrim("s", TrimStrategy::Minid, None, "0", None);
    assert_eq!(needs(&minid), ["XTRIM with `MINID`"]);
    let (maxlen, _) = Capture.xtrim("s", TrimStrategy::Maxlen, None, 0, None);
    assert!(needs(&maxlen).is_empty());
}

#[tokio::test]
async fn direction_moves_and_pops_on_a_server() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        c.rpush("src", ["a", "b", "c"]).await.unwrap();
        for (end, want) in [(Direction::Left, "a"), (Direction::Right, "c")] {
            let moved: Option<String> = c.lmove("src", "dst", end, end).await.unwrap();
            assert_eq!(moved.as_deref(), Some(want));
        }
        let end = Direction::Left;
        let moved: Option<String> = c.blmove("src", "dst", end, end, 0.1).await.unwrap();
        assert_eq!(moved.as_deref(), Some("b"));
        // dst is now b, a, c (pushed at the head twice, the tail once).
        let popped: Option<(String, Vec<String>)> = c.lmpop(["src", "dst"], end).await.unwrap();
        assert_eq!(popped, Some(("dst".into(), vec!["b".into()])));
        let popped: Option<(String, Vec<String>)> =
            c.blmpop(0.1, ["dst"], Direction::Right).await.unwrap();
        assert_eq!(popped, Some(("dst".into(), vec!["c".into()])));
    }
}

#[tokio::test]
async fn shared_expiry_on_a_server() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        let ttl = SetExpiry::Seconds(100);
        c.set_with("k", "v", SetOptions::new().expiration(ttl))
            .await
            .unwrap();
        let left: i64 = c.ttl("k").await.unwrap();
        assert!((1..=100).contains(&left), "{left}");
        let _: Option<String> = c
            .getex_with("k", GetexOptions::new().expiration(GetExpiry::Persist))
            .await
            .unwrap();
        assert_eq!(c.ttl("k").await.unwrap(), -1);
    }
}

#[test]
fn special_ids_are_the_strings_redis_documents() {
    assert_eq!(
        args(Capture.xadd("s", "*", [("f", "v")])),
        ["XADD", "s", "*", "f", "v"]
    );
    assert_eq!(
        args(Capture.xgroup_create("s", "g", "0")),
        ["XGROUP", "CREATE", "s", "g", "0"]
    );
    assert_eq!(
        args(Capture.xgroup_setid("s", "g", "$")),
        ["XGROUP", "SETID", "s", "g", "$"]
    );
    // An ID of the caller's own is a string too.
    assert_eq!(
        args(Capture.xadd("s", "5-1", [("f", "v")])),
        ["XADD", "s", "5-1", "f", "v"]
    );
}

#[tokio::test]
async fn special_ids_on_a_server() {
    use tornadis::value::{StreamEntry, StreamKey};
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        let id = c.xadd("s", "*", [("n", "1")]).await.unwrap();
        assert!(id.contains('-'), "{id}");
        c.xgroup_create("s", "g", "0").await.unwrap();
        let all: Vec<StreamEntry> = c.xrange("s", "-", "+").await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].id, id);
        let got: Option<Vec<StreamKey>> = c.xreadgroup("g", "alice", ["s"], [">"]).await.unwrap();
        let got = got.expect("one new entry for the group");
        assert_eq!(got[0].entries[0].id, id);
        // The group has seen everything: ">" has nothing more.
        let none: Option<Vec<StreamKey>> = c.xreadgroup("g", "alice", ["s"], [">"]).await.unwrap();
        assert!(
            none.as_ref()
                .is_none_or(|v| v.iter().all(|s| s.entries.is_empty())),
            "{none:?}"
        );
        c.xgroup_setid("s", "g", "$").await.unwrap();
    }
}

#[test]
fn trim_forms_encode() {
    use tornadis::commands::{XaddOptions, XtrimMaxlenApproxOptions};
    let opts = XaddOptions::new().maxlen_approx(1000);
    assert_eq!(
        args(Capture.xadd_with("s", "*", [("f", "v")], opts)),
        ["XADD", "s", "MAXLEN", "~", "1000", "*", "f", "v"]
    );
    let opts = XaddOptions::new().nomkstream().minid("5-0");
    assert_eq!(
        args(Capture.xadd_with("s", "*", [("f", "v")], opts)),
        ["XADD", "s", "NOMKSTREAM", "MINID", "5-0", "*", "f", "v"]
    );
    assert_eq!(
        args(Capture.xtrim_maxlen("s", 10)),
        ["XTRIM", "s", "MAXLEN", "10"]
    );
    assert_eq!(
        args(Capture.xtrim_minid_approx("s", "7-0")),
        ["XTRIM", "s", "MINID", "~", "7-0"]
    );
    // Redis 8.2's reference policies: XADD before the trim, XTRIM after it.
    let opts = XaddOptions::new().acked().maxlen(5);
    let (cmd, _) = Capture.xadd_with("s", "*", [("f", "v")], opts);
    let needs: Vec<_> = cmd.requirements().iter().map(|r| r.what).collect();
    assert_eq!(needs, ["XADD with `condition`"]);
    assert_eq!(
        args((cmd, PhantomData::<()>)),
        ["XADD", "s", "ACKED", "MAXLEN", "5", "*", "f", "v"]
    );
    let opts = XtrimMaxlenApproxOptions::new().condition(tornadis::commands::RefPolicy::Delref);
    assert_eq!(
        args(Capture.xtrim_maxlen_approx_with("s", 100, opts)),
        ["XTRIM", "s", "MAXLEN", "~", "100", "DELREF"]
    );
}

#[tokio::test]
async fn trim_forms_on_a_server() {
    use tornadis::commands::XaddOptions;
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        for i in 0..1000 {
            c.xadd_with("s", "*", [("n", i)], XaddOptions::new().maxlen_approx(10))
                .await
                .unwrap();
        }
        // Whole nodes go: at least 10 stay, far fewer than 1000.
        let len = c.xlen("s").await.unwrap();
        assert!((10..1000).contains(&len), "{len}");
        let dropped = c.xtrim_maxlen("s", 10).await.unwrap();
        assert_eq!(dropped, len - 10);
        assert_eq!(c.xlen("s").await.unwrap(), 10);
        c.xadd_with("s", "*", [("n", 0)], XaddOptions::new().maxlen(3))
            .await
            .unwrap();
        assert_eq!(c.xlen("s").await.unwrap(), 3);
        assert_eq!(c.xtrim_minid("s", "0-1").await.unwrap(), 0);
        // No Redis 8.2 here: the policy is refused before sending.
        let err = c
            .xadd_with("s", "*", [("n", 0)], XaddOptions::new().keepref())
            .await
            .expect_err("KEEPREF needs Redis 8.2");
        assert!(err.is_client(), "{err}");
        assert_eq!(c.xlen("s").await.unwrap(), 3);
    }
}

#[tokio::test]
async fn named_stream_replies_in_resp2_and_resp3() {
    use tornadis::value::{AutoClaim, PendingEntry, PendingSummary, StreamEntry, StreamKey};
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        let a = c.xadd("jobs", "*", [("task", "build")]).await.unwrap();
        let b = c.xadd("jobs", "*", [("task", "test")]).await.unwrap();
        c.xadd("other", "*", [("n", "1")]).await.unwrap();
        // XREAD of two streams: RESP3 answers a map, RESP2 a list of pairs.
        let read: Option<Vec<StreamKey>> = c.xread(["jobs", "other"], ["0", "0"]).await.unwrap();
        let read = read.expect("both streams have entries");
        let mut keys: Vec<_> = read.iter().map(|s| s.key.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["jobs", "other"]);
        let jobs = read.iter().find(|s| s.key == "jobs").expect("jobs");
        assert_eq!(jobs.entries[1].fields["task"], "test");
        // Field values in the caller's type.
        let bytes: Vec<StreamEntry<Vec<u8>>> = c.xrevrange("jobs", "+", "-").await.unwrap();
        assert_eq!(bytes[0].fields["task"], b"test");

        c.xgroup_create("jobs", "g", "0").await.unwrap();
        let _: Option<Vec<StreamKey>> = c.xreadgroup("g", "alice", ["jobs"], [">"]).await.unwrap();
        let summary: PendingSummary = c.xpending("jobs", "g").await.unwrap();
        assert_eq!(summary.count, 2);
        assert_eq!(summary.first_id.as_deref(), Some(a.as_str()));
        assert_eq!(summary.last_id.as_deref(), Some(b.as_str()));
        assert_eq!(summary.consumers, [("alice".to_string(), 2)]);
        let range: Vec<PendingEntry> = c
            .xpending_range("jobs", "g", None, "-", "+", 10, None::<&str>)
            .await
            .unwrap();
        assert_eq!(range.len(), 2);
        assert_eq!(
            (range[0].id.as_str(), range[0].consumer.as_str()),
            (a.as_str(), "alice")
        );
        assert_eq!(range[0].deliveries, 1);

        let claim: AutoClaim = c.xautoclaim("jobs", "g", "bob", 0, "0").await.unwrap();
        assert_eq!(claim.next, "0-0");
        assert_eq!(claim.entries.len(), 2);
        assert!(claim.deleted.is_empty());
        let claimed: Vec<StreamEntry> = c.xclaim("jobs", "g", "carol", 0, [&a]).await.unwrap();
        assert_eq!(claimed[0].fields["task"], "build");
    }
}

#[tokio::test]
async fn pair_replies_in_the_callers_outer_shape() {
    use std::collections::{BTreeMap, HashMap};
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        c.flushdb().await.unwrap();
        c.zadd("board", [(3.0, "cy"), (1.0, "ada"), (2.0, "bo")])
            .await
            .unwrap();
        // Rank order in a Vec, lookups in a map: the same method.
        let ranked: Vec<(String, f64)> = c.zrange_withscores("board", 0, -1).await.unwrap();
        assert_eq!(ranked[0], ("ada".to_string(), 1.0));
        assert_eq!(ranked[2], ("cy".to_string(), 3.0));
        let by_name: HashMap<String, f64> = c.zrange_withscores("board", 0, -1).await.unwrap();
        assert_eq!(by_name["bo"], 2.0);
        let sorted: BTreeMap<String, f64> = c.zunion_withscores(["board"]).await.unwrap();
        assert_eq!(sorted.keys().collect::<Vec<_>>(), ["ada", "bo", "cy"]);
        c.hset_multiple("h", [("a", "1"), ("b", "2")])
            .await
            .unwrap();
        let fields: HashMap<String, i64> = c.hrandfield_withvalues("h", 5).await.unwrap();
        assert_eq!(fields, HashMap::from([("a".into(), 1), ("b".into(), 2)]));
        let pairs: Vec<(String, i64)> = c.hrandfield_withvalues("h", -3).await.unwrap();
        assert_eq!(pairs.len(), 3);
    }
}
