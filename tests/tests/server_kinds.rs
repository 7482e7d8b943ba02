//! Server-aware typed methods: the handshake learns the server's kind and
//! version; commands of Redis 7.4+/Valkey 8–9 run on Valkey 9.1 with their
//! typed replies; on Redis 7.0 what it lacks is refused before sending.

use tornadis::command_info::ServerKind as Kind;
use tornadis::commands::{
    BitopOperation, CommandlogType, HexpireOptions, HgetexOptions, HsetexOptions, MsetexOptions,
    SetOptions, VaddVector, VsimQuery,
};
use tornadis::value::{FieldExpire, FieldPersist, FieldTtl};
use tornadis::{Client, Commands, Protocol};
use tornadis_tests::{RedisServer, ServerKind};

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

fn valkey() -> RedisServer {
    RedisServer::builder().kind(ServerKind::Valkey).start()
}

fn redis() -> RedisServer {
    RedisServer::builder().kind(ServerKind::Redis).start()
}

/// How many times the server ran `command` (from `INFO commandstats`).
fn calls(server: &RedisServer, command: &str) -> u64 {
    let info = server.cli(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_handshake_learns_kind_and_version() {
    for (server, kind) in [(redis(), Kind::Redis), (valkey(), Kind::Valkey)] {
        for c in [resp3(&server), resp2(&server)] {
            assert_eq!(c.server(), None, "nothing is known before connecting");
            c.connect().await.unwrap();
            let info = c.server().expect("the handshake reports the server");
            assert_eq!(info.kind, kind);
            let info_text: String = c.call_as(("INFO", "server")).await.unwrap();
            let field = match kind {
                Kind::Valkey => "valkey_version:",
                _ => "redis_version:",
            };
            let version = info_text
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .unwrap()
                .trim();
            // Valkey says redis_version:7.2.4; the client reports its own version.
            assert_eq!(info.version.to_string(), version, "{kind:?}");
        }
    }
}

#[tokio::test]
async fn the_handshake_names_the_library_where_the_server_can_hear_it() {
    let server = valkey();
    let c = resp3(&server);
    let me: String = c.call_as(("CLIENT", "INFO")).await.unwrap();
    assert!(me.contains("lib-name=tornadis"), "{me}");
    assert!(
        me.contains(&format!("lib-ver={}", env!("CARGO_PKG_VERSION"))) || me.contains("lib-ver="),
        "{me}"
    );
    // Redis 7.0 has no CLIENT SETINFO: the handshake ignores the refusal.
    let old = redis();
    let c = resp2(&old);
    c.set("k", 1).await.unwrap();
}

#[tokio::test]
async fn hash_field_expiration_reports_one_code_per_field() {
    let server = valkey();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        c.hset_multiple("h", [("a", "1"), ("b", "2"), ("c", "3")])
            .await
            .unwrap();
        let set = c.hexpire("h", 100, ["a", "b", "nope"]).await.unwrap();
        assert_eq!(
            set,
            [FieldExpire::Set, FieldExpire::Set, FieldExpire::NoSuchField]
        );
        // NX: only fields without an expiry.
        let nx = c
            .hexpire_with("h", 200, ["a", "c"], HexpireOptions::new().nx())
            .await
            .unwrap();
        assert_eq!(nx, [FieldExpire::ConditionNotMet, FieldExpire::Set]);
        let ttl = c.httl("h", ["a", "c", "nope"]).await.unwrap();
        assert!(
            matches!(ttl[0], FieldTtl::Expires(s) if (1..=100).contains(&s)),
            "{ttl:?}"
        );
        assert!(
            matches!(ttl[1], FieldTtl::Expires(s) if (101..=200).contains(&s)),
            "{ttl:?}"
        );
        assert_eq!(ttl[2], FieldTtl::NoSuchField);
        let pttl = c.hpttl("h", ["a"]).await.unwrap();
        assert!(
            matches!(pttl[0], FieldTtl::Expires(ms) if ms > 1000),
            "{pttl:?}"
        );
        let at = c.hexpiretime("h", ["a"]).await.unwrap();
        assert!(
            matches!(at[0], FieldTtl::Expires(t) if t > 1_700_000_000),
            "{at:?}"
        );
        let pat = c.hpexpiretime("h", ["a"]).await.unwrap();
        assert!(
            matches!(pat[0], FieldTtl::Expires(t) if t > 1_700_000_000_000),
            "{pat:?}"
        );
        let persisted = c.hpersist("h", ["a", "b", "nope"]).await.unwrap();
        assert_eq!(persisted[0], FieldPersist::Persisted);
        assert_eq!(persisted[2], FieldPersist::NoSuchField);
        let again = c.hpersist("h", ["a"]).await.unwrap();
        assert_eq!(again, [FieldPersist::NoExpiry]);
        assert_eq!(c.httl("h", ["a"]).await.unwrap(), [FieldTtl::NoExpiry]);
        // A time in the past deletes the field.
        let gone = c.hexpireat("h", 1, ["b"]).await.unwrap();
        assert_eq!(gone, [FieldExpire::Deleted]);
        let gone = c.hpexpireat("h", 1, ["c"]).await.unwrap();
        assert_eq!(gone, [FieldExpire::Deleted]);
        assert!(!c.hexists("h", "b").await.unwrap());
        let set = c.hpexpire("h", 50_000, ["a"]).await.unwrap();
        assert_eq!(set, [FieldExpire::Set]);
        // A missing key: every field is reported missing.
        let none = c.httl("missing", ["x", "y"]).await.unwrap();
        assert_eq!(none, [FieldTtl::NoSuchField, FieldTtl::NoSuchField]);
    }
}

#[tokio::test]
async fn hgetex_hsetex_and_hgetdel() {
    let server = valkey();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        // HSETEX stores all fields or none; FNX refuses when one exists.
        assert!(c.hsetex("h", [("a", "1"), ("b", "2")]).await.unwrap());
        let refused = c
            .hsetex_with("h", [("a", "9"), ("z", "9")], HsetexOptions::new().fnx())
            .await
            .unwrap();
        assert!(!refused);
        let stored = c
            .hsetex_with("h", [("c", "3")], HsetexOptions::new().fnx().ex(100))
            .await
            .unwrap();
        assert!(stored);
        assert!(matches!(
            c.httl("h", ["c"]).await.unwrap()[0],
            FieldTtl::Expires(_)
        ));
        // Valkey's key conditions: XX on a missing key stores nothing.
        let xx = c
            .hsetex_with("other", [("f", "v")], HsetexOptions::new().xx())
            .await
            .unwrap();
        assert!(!xx);
        assert!(c
            .hsetex_with("other", [("f", "v")], HsetexOptions::new().nx())
            .await
            .unwrap());

        let got: Vec<Option<String>> = c.hgetex("h", ["a", "nope"]).await.unwrap();
        assert_eq!(got, [Some("1".to_owned()), None]);
        let got: Vec<Option<i64>> = c
            .hgetex_with("h", ["a"], HgetexOptions::new().px(60_000))
            .await
            .unwrap();
        assert_eq!(got, [Some(1)]);
        assert!(
            matches!(c.hpttl("h", ["a"]).await.unwrap()[0], FieldTtl::Expires(ms) if ms <= 60_000)
        );
        let _: Vec<Option<String>> = c
            .hgetex_with("h", ["a"], HgetexOptions::new().persist())
            .await
            .unwrap();
        assert_eq!(c.httl("h", ["a"]).await.unwrap(), [FieldTtl::NoExpiry]);

        let taken: Vec<Option<String>> = c.hgetdel("h", ["a", "b", "nope"]).await.unwrap();
        assert_eq!(taken, [Some("1".to_owned()), Some("2".to_owned()), None]);
        assert!(!c.hexists("h", "a").await.unwrap());
    }
}

#[tokio::test]
async fn delifeq_and_msetex() {
    let server = valkey();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        c.set("lock", "owner-1").await.unwrap();
        assert!(!c.delifeq("lock", "owner-2").await.unwrap());
        assert!(c.exists(["lock"]).await.unwrap() == 1);
        assert!(c.delifeq("lock", "owner-1").await.unwrap());
        assert!(!c.delifeq("lock", "owner-1").await.unwrap());

        assert!(c
            .msetex_with([("a", 1), ("b", 2)], MsetexOptions::new().ex(100))
            .await
            .unwrap());
        let ttl = c.ttl("b").await.unwrap();
        assert!((1..=100).contains(&ttl), "{ttl}");
        // NX: one key exists, so none is stored.
        let nx = c
            .msetex_with([("a", 9), ("c", 9)], MsetexOptions::new().nx())
            .await
            .unwrap();
        assert!(!nx);
        assert_eq!(c.get::<Option<i64>>("c").await.unwrap(), None);
        assert!(c.msetex([("c", 3)]).await.unwrap());
    }
}

#[tokio::test]
async fn set_ifeq_on_valkey_and_refused_on_redis_7_0() {
    let server = valkey();
    let c = resp3(&server);
    c.set("k", "a").await.unwrap();
    let kept = c
        .set_with("k", "b", SetOptions::new().ifeq("other"))
        .await
        .unwrap();
    assert_eq!(kept, None, "the value did not match: nothing stored");
    let done = c
        .set_with("k", "b", SetOptions::new().ifeq("a"))
        .await
        .unwrap();
    assert_eq!(done, Some(()));
    assert_eq!(c.get::<String>("k").await.unwrap().as_deref(), Some("b"));
    // IFNE is Redis's alone: refused before sending, even on Valkey 9.1.
    let err = c
        .set_with("k", "c", SetOptions::new().ifne("x"))
        .await
        .unwrap_err();
    assert!(
        err.is_client() && err.detail().contains("SET with `IFNE`"),
        "{err}"
    );
    let old = redis();
    let c = resp3(&old);
    let err = c
        .set_with("k", "b", SetOptions::new().ifeq("a"))
        .await
        .unwrap_err();
    assert!(
        err.is_client() && err.detail().contains("Redis 7.0.15"),
        "{err}"
    );
    assert_eq!(calls(&old, "set"), 0);
}

#[tokio::test]
async fn commandlog_records_slow_commands() {
    let server = valkey();
    let c = resp3(&server);
    c.config_set([("commandlog-execution-slower-than", "0")])
        .await
        .unwrap();
    c.commandlog_reset(CommandlogType::Slow).await.unwrap();
    c.set("k", "v").await.unwrap();
    let n = c.commandlog_len(CommandlogType::Slow).await.unwrap();
    assert!(n >= 1, "{n}");
    let entries = c.commandlog_get(-1, CommandlogType::Slow).await.unwrap();
    let shown = format!("{entries:?}");
    assert!(shown.contains("SET") || shown.contains("set"), "{shown}");
    let help = c.commandlog_help().await.unwrap();
    assert!(help.iter().any(|l| l.contains("GET")), "{help:?}");
    let sha: String = c.script_load("return 1").await.unwrap();
    assert_eq!(c.script_show(&sha).await.unwrap(), "return 1");
}

#[tokio::test]
async fn redis_7_0_refuses_what_it_lacks_before_sending() {
    let server = redis();
    // A fresh client: the first typed command waits for the handshake, so
    // even it is checked before anything is sent.
    let c = resp3(&server);
    let err = c.hgetex::<String>("h", ["a"]).await.unwrap_err();
    assert!(err.is_client(), "{err}");
    assert!(
        err.detail().starts_with(
            "HGETEX needs Redis >= 8.0.0 or Valkey >= 9.0.0; this server is Redis 7.0.15"
        ),
        "{err}"
    );
    assert_eq!(calls(&server, "hgetex"), 0);
    let err = c.zrank_withscore("z", "m").await.unwrap_err();
    assert!(err.is_client(), "{err}");
    assert!(err.detail().contains("ZRANK with `WITHSCORE`"), "{err}");
    assert!(err.detail().contains("Redis 7.0.15"), "{err}");
    // The plain form is older and runs.
    assert_eq!(c.zrank("z", "m").await.unwrap(), None);
    // Valkey-only commands and options, refused the same way.
    assert!(c.delifeq("k", "v").await.unwrap_err().is_client());
    let err = c.httl("h", ["a"]).await.unwrap_err();
    assert!(err.detail().contains("Redis >= 7.4.0"), "{err}");
    // Raw calls are never checked: the server answers for itself.
    let raw = c
        .call(("HGETEX", "h", "FIELDS", "1", "a"))
        .await
        .unwrap_err();
    assert!(raw.is_server(), "{raw}");
    // Typed pipelines check each command once the server is known.
    let err = c
        .pipeline()
        .set("k", "v")
        .hgetdel::<String>("h", ["a"])
        .query()
        .await
        .unwrap_err();
    assert!(err.is_client(), "{err}");
    assert!(
        err.detail()
            .contains("command 2 of the pipeline: HGETDEL needs"),
        "{err}"
    );
    assert_eq!(calls(&server, "set"), 0, "nothing of the pipeline was sent");
    // RESP2 learns the server through INFO.
    let c2 = resp2(&server);
    let err = c2.hpersist("h", ["a"]).await.unwrap_err();
    assert!(
        err.is_client() && err.detail().contains("Redis 7.0.15"),
        "{err}"
    );
}

/// Vector sets are Redis 8's alone: Redis 7.0 and every Valkey refuse them
/// before sending, with the same message as any missing command.
#[tokio::test]
async fn vector_sets_are_refused_on_redis_7_0_and_valkey() {
    for (server, shown) in [(redis(), "Redis 7.0.15"), (valkey(), "Valkey 9.1")] {
        let c = resp3(&server);
        let err = c
            .vadd("vs", VaddVector::Values(vec![0.5, 1.0]), "a")
            .await
            .unwrap_err();
        assert!(err.is_client(), "{err}");
        let expected = format!("VADD needs Redis >= 8.0.0; this server is {shown}");
        assert!(err.detail().starts_with(&expected), "{err}");
        let err = c
            .vsim::<String>("vs", VsimQuery::Element("a".into()))
            .await
            .unwrap_err();
        assert!(
            err.is_client() && err.detail().starts_with("VSIM needs Redis >= 8.0.0"),
            "{err}"
        );
        assert!(c.vcard("vs").await.unwrap_err().is_client());
        assert_eq!(calls(&server, "vadd"), 0);
        // The server does not know it: raw `call` gets the server's refusal.
        let raw = c.call(("VCARD", "vs")).await.unwrap_err();
        assert!(raw.is_server(), "{raw}");
    }
}

/// BITOP's operations of Redis 8.2 are refused before sending where the
/// server lacks them; the old ones still run there.
#[tokio::test]
async fn new_bitop_operations_are_refused_on_redis_7_0_and_valkey() {
    for (server, shown) in [(redis(), "Redis 7.0.15"), (valkey(), "Valkey 9.1")] {
        let c = resp3(&server);
        c.set("x", "\u{ff}").await.unwrap();
        c.set("y", "\u{0f}").await.unwrap();
        for (op, token) in [
            (BitopOperation::Diff, "DIFF"),
            (BitopOperation::Diff1, "DIFF1"),
            (BitopOperation::Andor, "ANDOR"),
            (BitopOperation::One, "ONE"),
        ] {
            let err = c.bitop(op, "dest", ["x", "y"]).await.unwrap_err();
            assert!(err.is_client(), "{err}");
            let expected =
                format!("BITOP with `{token}` needs Redis >= 8.2.0; this server is {shown}");
            assert!(err.detail().starts_with(&expected), "{err}");
        }
        assert_eq!(calls(&server, "bitop"), 0, "nothing was sent");
        assert_eq!(
            c.bitop(BitopOperation::And, "dest", ["x", "y"])
                .await
                .unwrap(),
            2
        );
        // Raw `call` is not checked: the server refuses the unknown operation.
        let raw = c
            .call(("BITOP", "DIFF", "dest", "x", "y"))
            .await
            .unwrap_err();
        assert!(raw.is_server(), "{raw}");
    }
}

/// HSCAN's NOVALUES (Redis 7.4, Valkey 8.0): field names only, on Valkey
/// 9.1; refused before sending on Redis 7.0.
#[tokio::test]
async fn hscan_novalues_walks_field_names() {
    let server = valkey();
    for c in [resp3(&server), resp2(&server)] {
        c.hset_multiple("h", [("a", "1"), ("b", "2")])
            .await
            .unwrap();
        let (cursor, mut fields) = c.hscan_novalues::<String>("h", 0).await.unwrap();
        fields.sort();
        assert_eq!(
            (cursor, fields),
            (0, vec!["a".to_string(), "b".to_string()])
        );
    }
    let old = redis();
    let err = resp3(&old)
        .hscan_novalues::<String>("h", 0)
        .await
        .unwrap_err();
    assert!(err.is_client(), "{err}");
    assert!(
        err.detail().starts_with(
            "HSCAN with `NOVALUES` needs Redis >= 7.4.0 or Valkey >= 8.0.0; this server is Redis 7.0.15"
        ),
        "{err}"
    );
    assert_eq!(calls(&old, "hscan"), 0);
}
