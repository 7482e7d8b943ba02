//! Encodings of the commands of Redis 7.4–8.x and Valkey 8–9: block counts,
//! per-server requirements. Commands no local server has (Redis 8) are only
//! checked here, against their documented syntax.

use super::*;
use crate::command_info::{ServerInfo, ServerKind, Version};
use crate::Executor;

struct Capture;

impl Executor for Capture {
    type Output<R: crate::FromValue> = Cmd;
    fn execute<R: crate::FromValue>(self, cmd: Cmd) -> Cmd {
        cmd
    }
}

fn args(cmd: &Cmd) -> Vec<String> {
    cmd.arg_slices()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

type Server = (ServerKind, (u16, u16, u16));

const REDIS_7_0: Server = (ServerKind::Redis, (7, 0, 15));
const REDIS_8_0: Server = (ServerKind::Redis, (8, 0, 0));
const VALKEY_9_1: Server = (ServerKind::Valkey, (9, 1, 2));

fn allowed(cmd: &Cmd, (kind, v): Server) -> Result<(), Error> {
    cmd.check_server(ServerInfo {
        kind,
        version: Version::new(v.0, v.1, v.2),
    })
}

#[test]
fn block_counts_are_computed() {
    let c = Capture.hgetex::<String>("h", ["a", "b"]);
    assert_eq!(args(&c), ["HGETEX", "h", "FIELDS", "2", "a", "b"]);
    let c = Capture.hgetex_with::<String>("h", ["a"], HgetexOptions::new().ex(10));
    assert_eq!(args(&c), ["HGETEX", "h", "EX", "10", "FIELDS", "1", "a"]);
    let c = Capture.hsetex("h", [("f", "v"), ("g", "w")]);
    assert_eq!(args(&c), ["HSETEX", "h", "FIELDS", "2", "f", "v", "g", "w"]);
    let c = Capture.hexpire("h", 60, ["a", "b", "c"]);
    assert_eq!(
        args(&c),
        ["HEXPIRE", "h", "60", "FIELDS", "3", "a", "b", "c"]
    );
    let c = Capture.hexpire_with("h", 60, ["a"], HexpireOptions::new().gt());
    assert_eq!(args(&c), ["HEXPIRE", "h", "60", "GT", "FIELDS", "1", "a"]);
    let c = Capture.msetex([("a", 1), ("b", 2)]);
    assert_eq!(args(&c), ["MSETEX", "2", "a", "1", "b", "2"]);
    let c = Capture.msetex_with([("a", 1)], MsetexOptions::new().nx().px(500));
    assert_eq!(args(&c), ["MSETEX", "1", "a", "1", "NX", "PX", "500"]);
    let c = Capture.hgetdel::<String>("h", ["a"]);
    assert_eq!(args(&c), ["HGETDEL", "h", "FIELDS", "1", "a"]);
    assert_eq!(
        args(&Capture.delifeq("lock", "me")),
        ["DELIFEQ", "lock", "me"]
    );
    // An empty list is refused, naming it, as for any required list.
    let err = Capture
        .httl("h", Vec::<String>::new())
        .validate()
        .expect_err("empty");
    assert!(err.is_client() && err.detail().contains("`field`"), "{err}");
}

#[test]
fn commands_are_checked_against_the_server() {
    let c = Capture.hgetex::<String>("h", ["a"]);
    let err = allowed(&c, REDIS_7_0).expect_err("Redis 7.0 has no HGETEX");
    assert!(
        err.detail().starts_with(
            "HGETEX needs Redis >= 8.0.0 or Valkey >= 9.0.0; this server is Redis 7.0.15"
        ),
        "{err}"
    );
    allowed(&c, REDIS_8_0).expect("Redis 8.0 has HGETEX");
    allowed(&c, VALKEY_9_1).expect("Valkey 9.1 has HGETEX");
    let d = Capture.delifeq("k", "v");
    assert!(allowed(&d, REDIS_8_0).is_err(), "DELIFEQ is Valkey's");
    allowed(&d, VALKEY_9_1).expect("Valkey 9.1 has DELIFEQ");
    // Older commands pass everywhere.
    allowed(&Capture.get::<String>("k"), REDIS_7_0).expect("GET");
    allowed(&Capture.get::<String>("k"), VALKEY_9_1).expect("GET");
}

#[test]
fn options_and_variants_are_checked_against_the_server() {
    let plain = Capture.zrank("z", "m");
    allowed(&plain, REDIS_7_0).expect("ZRANK without WITHSCORE is old");
    let with = Capture.zrank_withscore("z", "m");
    let err = allowed(&with, REDIS_7_0).expect_err("WITHSCORE came in 7.2");
    assert!(err.detail().contains("ZRANK with `WITHSCORE`"), "{err}");
    allowed(&with, VALKEY_9_1).expect("every Valkey has WITHSCORE");
    // HSETEX's key condition is Valkey's; its field conditions are on both.
    let nx = Capture.hsetex_with("h", [("f", "v")], HsetexOptions::new().nx());
    assert!(allowed(&nx, REDIS_8_0).is_err());
    allowed(&nx, VALKEY_9_1).expect("Valkey 9.1 has HSETEX NX");
    let fnx = Capture.hsetex_with("h", [("f", "v")], HsetexOptions::new().fnx().keepttl());
    assert_eq!(
        args(&fnx),
        ["HSETEX", "h", "FNX", "KEEPTTL", "FIELDS", "1", "f", "v"]
    );
    allowed(&fnx, REDIS_8_0).expect("Redis 8.0 has FNX");
    allowed(&fnx, VALKEY_9_1).expect("Valkey 9.1 has FNX");
    // Raw commands are never checked.
    let raw = crate::cmd("HGETEX");
    allowed(&raw, REDIS_7_0).expect("raw commands pass");
}

/// Redis 8.2–8.4 commands no local server has: checked against the
/// documented syntax only.
#[test]
fn redis_only_commands_encode_as_documented() {
    let c = Capture.delex_with("lock", DelexOptions::new().ifeq("me"));
    assert_eq!(args(&c), ["DELEX", "lock", "IFEQ", "me"]);
    let c = Capture.delex_with("k", DelexOptions::new().ifdeq("9a3f0c"));
    assert_eq!(args(&c), ["DELEX", "k", "IFDEQ", "9a3f0c"]);
    // Valkey 9.2 has DELEX, but not the digest conditions.
    assert!(allowed(&c, (ServerKind::Valkey, (9, 2, 0))).is_err());
    allowed(&c, (ServerKind::Redis, (8, 4, 0))).expect("Redis 8.4 has IFDEQ");
    assert_eq!(args(&Capture.digest("k")), ["DIGEST", "k"]);
    assert!(allowed(&Capture.digest("k"), VALKEY_9_1).is_err());
    let c = Capture.xdelex_with("s", ["1-0", "2-0"], XdelexOptions::new().acked());
    assert_eq!(args(&c), ["XDELEX", "s", "ACKED", "IDS", "2", "1-0", "2-0"]);
    let c = Capture.xackdel("s", "g", ["1-0"]);
    assert_eq!(args(&c), ["XACKDEL", "s", "g", "IDS", "1", "1-0"]);
    assert!(allowed(&c, REDIS_8_0).is_err(), "XACKDEL came in 8.2");
    allowed(&c, (ServerKind::Redis, (8, 2, 0))).expect("Redis 8.2 has XACKDEL");
    // XADD and XTRIM took the same policies in 8.2.
    let c = Capture.xadd_with(
        "s",
        "*",
        [("f", "v")],
        XaddOptions::new().delref().maxlen_approx(9),
    );
    assert_eq!(
        args(&c),
        ["XADD", "s", "DELREF", "MAXLEN", "~", "9", "*", "f", "v"]
    );
    assert!(
        allowed(&c, REDIS_8_0).is_err(),
        "DELREF on XADD came in 8.2"
    );
    assert!(allowed(&c, VALKEY_9_1).is_err());
    allowed(&c, (ServerKind::Redis, (8, 2, 0))).expect("Redis 8.2 has XADD DELREF");
    let c = Capture.xtrim_minid_with("s", "5-0", XtrimMinidOptions::new().acked());
    assert_eq!(args(&c), ["XTRIM", "s", "MINID", "5-0", "ACKED"]);
    allowed(&c, (ServerKind::Redis, (8, 2, 0))).expect("Redis 8.2 has XTRIM ACKED");
    assert!(allowed(&Capture.xtrim_minid("s", "5-0"), REDIS_8_0).is_ok());
}

/// The vector-set commands of Redis 8, against their documented syntax (no
/// local server has them).
#[test]
fn vector_set_commands_encode_as_documented() {
    let vector = VaddVector::Values(vec![0.1, 1.5, -2.0]);
    let c = Capture.vadd("vs", vector.clone(), "apple");
    assert_eq!(
        args(&c),
        ["VADD", "vs", "VALUES", "3", "0.1", "1.5", "-2.0", "apple"]
    );
    let opts = VaddOptions::new()
        .reduce(2)
        .cas()
        .q8()
        .ef(200)
        .setattr(r#"{"kind":"fruit"}"#)
        .m(16);
    let c = Capture.vadd_with("vs", vector, "apple", opts);
    assert_eq!(
        args(&c),
        [
            "VADD",
            "vs",
            "REDUCE",
            "2",
            "VALUES",
            "3",
            "0.1",
            "1.5",
            "-2.0",
            "apple",
            "CAS",
            "Q8",
            "EF",
            "200",
            "SETATTR",
            r#"{"kind":"fruit"}"#,
            "M",
            "16"
        ]
    );
    let blob = bytes::Bytes::from_static(&[0, 0, 128, 63]);
    let c = Capture.vadd_with(
        "vs",
        VaddVector::Fp32(blob),
        "one",
        VaddOptions::new().noquant(),
    );
    assert_eq!(c.arg_slices().nth(3), Some(&[0u8, 0, 128, 63][..]));
    assert_eq!(args(&c)[..3], ["VADD", "vs", "FP32"]);
    assert_eq!(args(&c)[4..], ["one", "NOQUANT"]);

    let by_element = VsimQuery::Element("apple".into());
    assert_eq!(
        args(&Capture.vsim::<String>("vs", by_element.clone())),
        ["VSIM", "vs", "ELE", "apple"]
    );
    let opts = VsimOptions::new()
        .count(5)
        .epsilon(0.2)
        .ef(100)
        .filter(".year > 1990")
        .filter_ef(500)
        .truth()
        .nothread();
    assert_eq!(
        args(&Capture.vsim_with::<String>("vs", VsimQuery::Values(vec![1.0, 0.5]), opts)),
        [
            "VSIM",
            "vs",
            "VALUES",
            "2",
            "1.0",
            "0.5",
            "COUNT",
            "5",
            "EPSILON",
            "0.2",
            "EF",
            "100",
            "FILTER",
            ".year > 1990",
            "FILTER-EF",
            "500",
            "TRUTH",
            "NOTHREAD"
        ]
    );
    assert_eq!(
        args(&Capture.vsim_withscores::<String>("vs", by_element.clone())),
        ["VSIM", "vs", "ELE", "apple", "WITHSCORES"]
    );
    let c = Capture.vsim_withscores_withattribs("vs", by_element.clone());
    assert_eq!(
        args(&c),
        ["VSIM", "vs", "ELE", "apple", "WITHSCORES", "WITHATTRIBS"]
    );
    let c = Capture.vsim_withattribs_with::<String>(
        "vs",
        by_element,
        VsimWithattribsOptions::new().count(3),
    );
    assert_eq!(
        args(&c),
        ["VSIM", "vs", "ELE", "apple", "WITHATTRIBS", "COUNT", "3"]
    );

    assert_eq!(args(&Capture.vcard("vs")), ["VCARD", "vs"]);
    assert_eq!(args(&Capture.vdim("vs")), ["VDIM", "vs"]);
    assert_eq!(args(&Capture.vemb("vs", "a")), ["VEMB", "vs", "a"]);
    assert_eq!(
        args(&Capture.vemb_raw("vs", "a")),
        ["VEMB", "vs", "a", "RAW"]
    );
    assert_eq!(
        args(&Capture.vgetattr::<String>("vs", "a")),
        ["VGETATTR", "vs", "a"]
    );
    assert_eq!(
        args(&Capture.vsetattr("vs", "a", "{}")),
        ["VSETATTR", "vs", "a", "{}"]
    );
    assert_eq!(args(&Capture.vinfo("vs")), ["VINFO", "vs"]);
    assert_eq!(
        args(&Capture.vlinks::<String>("vs", "a")),
        ["VLINKS", "vs", "a"]
    );
    assert_eq!(
        args(&Capture.vlinks_withscores::<String>("vs", "a")),
        ["VLINKS", "vs", "a", "WITHSCORES"]
    );
    assert_eq!(
        args(&Capture.vrandmember::<String>("vs")),
        ["VRANDMEMBER", "vs"]
    );
    assert_eq!(
        args(&Capture.vrandmember_count::<String>("vs", -3)),
        ["VRANDMEMBER", "vs", "-3"]
    );
    assert_eq!(args(&Capture.vrem("vs", "a")), ["VREM", "vs", "a"]);
    assert_eq!(
        args(&Capture.vismember("vs", "a")),
        ["VISMEMBER", "vs", "a"]
    );
    assert_eq!(
        args(&Capture.vrange_with::<String>("vs", "[a", "+", VrangeOptions::new().count(10))),
        ["VRANGE", "vs", "[a", "+", "10"]
    );
}

#[test]
fn vector_sets_are_checked_against_the_server() {
    let c = Capture.vadd("vs", VaddVector::Values(vec![1.0]), "a");
    let err = allowed(&c, REDIS_7_0).expect_err("Redis 7.0 has no vector sets");
    assert!(
        err.detail()
            .starts_with("VADD needs Redis >= 8.0.0; this server is Redis 7.0.15"),
        "{err}"
    );
    let err = allowed(&c, VALKEY_9_1).expect_err("Valkey has no vector sets");
    assert!(
        err.detail()
            .starts_with("VADD needs Redis >= 8.0.0; this server is Valkey 9.1.2"),
        "{err}"
    );
    allowed(&c, REDIS_8_0).expect("Redis 8.0 has VADD");
    // Newer parts: VISMEMBER, EPSILON and WITHATTRIBS came with 8.2.
    let redis_8_2 = (ServerKind::Redis, (8, 2, 0));
    let m = Capture.vismember("vs", "a");
    assert!(allowed(&m, REDIS_8_0).is_err());
    allowed(&m, redis_8_2).expect("Redis 8.2 has VISMEMBER");
    let q = VsimQuery::Element("a".into());
    let e = Capture.vsim_with::<String>("vs", q.clone(), VsimOptions::new().epsilon(0.1));
    let err = allowed(&e, REDIS_8_0).expect_err("EPSILON came in 8.2");
    assert!(err.detail().contains("VSIM with `EPSILON`"), "{err}");
    allowed(&e, redis_8_2).expect("Redis 8.2 has EPSILON");
    let w = Capture.vsim_withattribs::<String>("vs", q.clone());
    assert!(allowed(&w, REDIS_8_0).is_err(), "WITHATTRIBS came in 8.2");
    allowed(&w, redis_8_2).expect("Redis 8.2 has WITHATTRIBS");
    allowed(&Capture.vsim::<String>("vs", q), REDIS_8_0).expect("plain VSIM is 8.0");
}

/// BITOP's operations of Redis 8.2, against the documented syntax.
#[test]
fn bitop_operations_of_redis_8_2() {
    let c = Capture.bitop(BitopOperation::Diff, "dest", ["x", "y1", "y2"]);
    assert_eq!(args(&c), ["BITOP", "DIFF", "dest", "x", "y1", "y2"]);
    for (op, token) in [
        (BitopOperation::Diff1, "DIFF1"),
        (BitopOperation::Andor, "ANDOR"),
        (BitopOperation::One, "ONE"),
    ] {
        let c = Capture.bitop(op, "dest", ["x", "y"]);
        assert_eq!(args(&c), ["BITOP", token, "dest", "x", "y"]);
        let err = allowed(&c, REDIS_8_0).expect_err("new in 8.2");
        assert!(
            err.detail()
                .starts_with(&format!("BITOP with `{token}` needs Redis >= 8.2.0")),
            "{err}"
        );
        assert!(allowed(&c, VALKEY_9_1).is_err(), "Valkey has no {token}");
        allowed(&c, (ServerKind::Redis, (8, 2, 0))).expect("Redis 8.2 has it");
    }
    // The operations every server has pass everywhere.
    let and = Capture.bitop(BitopOperation::And, "dest", ["x", "y"]);
    allowed(&and, REDIS_7_0).expect("AND is old");
    allowed(&and, VALKEY_9_1).expect("AND is old");
}
