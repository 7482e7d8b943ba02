// The sample table expands to methods that encode their arguments as Redis
// expects, and to metadata that matches the table.
#![deny(warnings)]

mod generated {
    tornadis_macros::commands!(dir = "tests/specs/basic");
}

use generated::*;
use tornadis::command_info::{CommandFlags, KeySpec};
use tornadis::{Cmd, Executor, FromValue};

/// Hands the command back instead of sending it.
struct Capture;

impl Executor for Capture {
    type Output<R: FromValue> = Cmd;
    fn execute<R: FromValue>(self, cmd: Cmd) -> Cmd {
        cmd
    }
}

fn args(cmd: Cmd) -> Vec<String> {
    assert!(cmd.validate().is_ok(), "{:?}", cmd.error());
    cmd.arg_slices()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn main() {
    assert_eq!(args(Capture.get::<String>("k")), ["GET", "k"]);
    assert_eq!(
        args(Capture.set_with("k", "v", SetOptions::new().ex(10).nx().get())),
        ["SET", "k", "v", "NX", "GET", "EX", "10"]
    );
    assert_eq!(
        args(Capture.set_get_with::<Vec<u8>>("k", b"v".to_vec(), SetGetOptions::new().keepttl())),
        ["SET", "k", "v", "GET", "KEEPTTL"]
    );
    assert_eq!(
        args(Capture.mset([("a", 1), ("b", 2)])),
        ["MSET", "a", "1", "b", "2"]
    );
    assert_eq!(
        args(Capture.zadd_with(
            "z",
            [(1.5, "m"), (f64::INFINITY, "n")],
            ZaddOptions::new().gt().ch()
        )),
        ["ZADD", "z", "GT", "CH", "1.5", "m", "inf", "n"]
    );
    assert_eq!(
        args(Capture.zadd_incr("z", [(2.0, "m")])),
        ["ZADD", "z", "INCR", "2.0", "m"]
    );
    assert_eq!(
        args(Capture.zrange_withscores_with::<String>(
            "z",
            0,
            -1,
            ZrangeWithscoresOptions::new().rev().limit(0, 10)
        )),
        [
            "ZRANGE",
            "z",
            "0",
            "-1",
            "REV",
            "LIMIT",
            "0",
            "10",
            "WITHSCORES"
        ]
    );
    assert_eq!(
        args(
            Capture.sort_with::<String>(
                "l",
                SortOptions::new()
                    .get(["a_*", "b_*"])
                    .alpha()
                    .store("dst")
                    .desc()
            )
        ),
        ["SORT", "l", "GET", "a_*", "GET", "b_*", "DESC", "ALPHA", "STORE", "dst"]
    );
    assert_eq!(
        args(Capture.zinterstore_with(
            "d",
            ["a", "b"],
            ZinterstoreOptions::new().weights([1, 2]).max()
        )),
        [
            "ZINTERSTORE",
            "d",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "1",
            "2",
            "AGGREGATE",
            "MAX"
        ]
    );
    // An optional list with a token sends nothing when empty.
    assert_eq!(
        args(Capture.zinterstore_with(
            "d",
            ["a"],
            ZinterstoreOptions::new().weights(Vec::<i64>::new())
        )),
        ["ZINTERSTORE", "d", "1", "a"]
    );
    assert_eq!(
        args(Capture.client_kill([
            ClientKillFilter::ClientId(7),
            ClientKillFilter::Skipme(ClientKillSkipme::No),
            ClientKillFilter::Addr("10.0.0.1:6379".into()),
        ])),
        [
            "CLIENT",
            "KILL",
            "ID",
            "7",
            "SKIPME",
            "NO",
            "ADDR",
            "10.0.0.1:6379"
        ]
    );
    assert_eq!(args(Capture.ping()), ["PING"]);
    assert_eq!(
        args(Capture.hello_with(HelloOptions::new().arguments(3, Some(("u", "p")), None::<&str>))),
        ["HELLO", "3", "AUTH", "u", "p"]
    );
    assert_eq!(
        args(
            Capture
                .scan_with::<String>(0, ScanOptions::new().pattern("k*").count(100).type_("hash"))
        ),
        ["SCAN", "0", "MATCH", "k*", "COUNT", "100", "TYPE", "hash"]
    );
    // `numkeys` is counted, from a list parameter or from the options.
    assert_eq!(
        args(Capture.eval_with::<i64>("return 1", EvalOptions::new().key(["k"]).arg(["x", "y"]))),
        ["EVAL", "return 1", "1", "k", "x", "y"]
    );
    assert_eq!(
        args(Capture.eval::<i64>("return 1")),
        ["EVAL", "return 1", "0"]
    );
    #[allow(deprecated)]
    let setex = Capture.setex("k", 5, "v");
    assert_eq!(args(setex), ["SETEX", "k", "5", "v"]);

    // Required lists must not be empty.
    let err = Capture.del(Vec::<String>::new()).validate().unwrap_err();
    assert!(err.is_client(), "{err}");

    // Metadata.
    let names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "CLIENT KILL",
            "CLIENT SETNAME",
            "DEL",
            "EVAL",
            "EXPIRE",
            "GET",
            "HELLO",
            "MGET",
            "MSET",
            "PING",
            "SCAN",
            "SET",
            "SETEX",
            "SORT",
            "SUBSCRIBE",
            "ZADD",
            "ZINTERSTORE",
            "ZRANGE",
        ]
    );
    let mset = lookup("mset").unwrap();
    assert_eq!(
        mset.keys,
        &[KeySpec::Range {
            first: 1,
            last: -1,
            step: 2
        }]
    );
    assert_eq!(mset.flags, CommandFlags::WRITE | CommandFlags::DENYOOM);
    assert_eq!(mset.group, "string");
    assert_eq!(lookup("subscribe").unwrap().method, None);
    assert_eq!(
        lookup_args(b"client", Some(b"SETNAME")).unwrap().name,
        "CLIENT SETNAME"
    );
    assert_eq!(Capture.set("k", "v").info().map(|i| i.name), Some("SET"));
}
