//! `Script` (EVALSHA with a transparent load on NOSCRIPT) and functions
//! (FUNCTION LOAD, FCALL, FCALL_RO) against real servers: one node in RESP2
//! and RESP3, pipelines, and a six-node cluster.

use tokio::sync::Mutex;
use tornadis::cluster::{key_slot, ClusterClient};
use tornadis::commands::{FcallOptions, FcallRoOptions};
use tornadis::{Client, Commands, Protocol, Script, Value};
use tornadis_tests::{RedisCluster, RedisServer};

/// One cluster test at a time: six nodes are a lot for two cores.
static SERIAL: Mutex<()> = Mutex::const_new(());

const NONE: [&str; 0] = [];

fn client(server: &RedisServer, protocol: Protocol) -> Client {
    Client::builder()
        .url(&server.url())
        .protocol(protocol)
        .build()
        .unwrap()
}

/// How many times the server ran `command` (from `INFO commandstats`).
fn calls(server: &RedisServer, command: &str) -> u64 {
    let stats = server.cli(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    stats
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .map(|n| n.parse().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn invoke_loads_on_noscript_and_runs_by_digest_afterwards() {
    let server = RedisServer::start();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = client(&server, protocol);
        let script = Script::new(
            "redis.call('SET', KEYS[1], ARGV[1]) \
             return {KEYS[1], tonumber(ARGV[1]) * 2, #KEYS, #ARGV}",
        );
        // The digest is the one the server computes.
        assert_eq!(
            server.cli(&["SCRIPT", "LOAD", script.source()]),
            script.hash()
        );
        server.cli(&["SCRIPT", "FLUSH"]);
        server.cli(&["CONFIG", "RESETSTAT"]);

        let (key, doubled, nkeys, nargs): (String, i64, i64, i64) =
            script.invoke(&c, ["k1"], [21]).await.unwrap();
        assert_eq!((key.as_str(), doubled, nkeys, nargs), ("k1", 42, 1, 1));
        assert_eq!(server.cli(&["GET", "k1"]), "21");
        assert_eq!(
            calls(&server, "evalsha"),
            2,
            "{protocol:?}: NOSCRIPT, then the retry"
        );
        assert_eq!(calls(&server, "script|load"), 1, "{protocol:?}");
        assert_eq!(
            calls(&server, "eval"),
            0,
            "{protocol:?}: the source is sent only once"
        );

        // Cached now: one EVALSHA per call.
        for i in 0..5 {
            let (_, doubled, ..): (String, i64, i64, i64) =
                script.invoke(&c, ["k2"], [i]).await.unwrap();
            assert_eq!(doubled, i * 2);
        }
        assert_eq!(calls(&server, "evalsha"), 7, "{protocol:?}");
        assert_eq!(calls(&server, "script|load"), 1, "{protocol:?}");

        // The cache is emptied behind the client's back: loaded again.
        server.cli(&["SCRIPT", "FLUSH"]);
        let (key, ..): (String, i64, i64, i64) = script.invoke(&c, ["k3"], [1]).await.unwrap();
        assert_eq!(key, "k3");
        assert_eq!(calls(&server, "script|load"), 2, "{protocol:?}");
    }
}

#[tokio::test]
async fn concurrent_invocations_after_a_flush_all_succeed() {
    let server = RedisServer::start();
    let c = client(&server, Protocol::Resp3);
    let script = Script::new("return redis.call('INCR', KEYS[1])");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (c, script) = (c.clone(), script.clone());
        tasks.push(tokio::spawn(async move {
            script.invoke::<i64, _>(&c, ["n"], NONE).await.unwrap()
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=50).collect::<Vec<i64>>(),
        "each call ran exactly once"
    );
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    let server = RedisServer::start();
    let c = client(&server, Protocol::Resp3);
    let failing = Script::new("return redis.error_reply('BUSTED no luck')");
    let e = failing
        .invoke::<Value, _>(&c, NONE, NONE)
        .await
        .unwrap_err();
    assert!(e.is_server(), "{e}");
    assert_eq!(e.code(), Some("BUSTED"));
    assert_eq!(calls(&server, "evalsha"), 2, "NOSCRIPT, then the one retry");

    // A reply that does not fit the type asked for names the command.
    let text = Script::new("return 'text'");
    let e = text.invoke::<i64, _>(&c, NONE, NONE).await.unwrap_err();
    assert!(e.is_decode(), "{e}");
    assert_eq!(e.command(), Some("EVALSHA"));

    // A key that cannot be encoded fails before anything is sent.
    let before = calls(&server, "evalsha");
    let e = text
        .invoke::<Value, _>(&c, NONE, [f64::NAN])
        .await
        .unwrap_err();
    assert!(e.is_client(), "{e}");
    assert_eq!(calls(&server, "evalsha"), before);
}

#[tokio::test]
async fn scripts_in_pipelines() {
    let server = RedisServer::start();
    let c = client(&server, Protocol::Resp3);
    let script = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");

    // Not loaded: the pipeline reports NOSCRIPT (it cannot safely rerun itself).
    let e = script
        .stack::<_, i64>(c.pipeline().set("x", 1), ["a"], [1])
        .query()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NOSCRIPT"), "{e}");

    // Loaded first, or in the same pipeline just before.
    script.load(&c).await.unwrap();
    let (_, a, b): ((), i64, i64) = script
        .stack(
            script.stack(c.pipeline().set("x", 2), ["a"], [1]),
            ["a"],
            [10],
        )
        .query()
        .await
        .unwrap();
    assert_eq!((a, b), (1, 11));
    server.cli(&["SCRIPT", "FLUSH"]);
    let (hash, a): (String, i64) = script
        .stack(c.pipeline().script_load(script.source()), ["a"], [100])
        .query()
        .await
        .unwrap();
    assert_eq!((hash.as_str(), a), (script.hash(), 111));

    // EVAL needs no cache; in a transaction too.
    server.cli(&["SCRIPT", "FLUSH"]);
    let (a, b): (i64, i64) = script
        .stack_eval(script.stack_eval(c.pipeline(), ["a"], [1]), ["b"], [5])
        .atomic()
        .query()
        .await
        .unwrap();
    assert_eq!((a, b), (112, 5));

    // The raw command, in a raw pipeline.
    let mut pipe = tornadis::Pipeline::new();
    pipe.stack_call(script.cmd(["b"], [1]));
    let replies = c.call_pipeline(&pipe).await.unwrap();
    assert_eq!(replies[0].as_ref().unwrap(), &Value::Integer(6));
}

#[tokio::test]
async fn functions_with_fcall_and_fcall_ro() {
    let server = RedisServer::start();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = client(&server, protocol);
        c.function_flush().await.unwrap();
        let lib = "#!lua name=counters\n\
                   redis.register_function('bump', function(keys, args) \
                     return redis.call('INCRBY', keys[1], args[1]) end)\n\
                   redis.register_function{function_name='peek', \
                     callback=function(keys, args) return redis.call('GET', keys[1]) end, \
                     flags={'no-writes'}}";
        assert_eq!(c.function_load(lib).await.unwrap(), "counters");
        c.del(["hits"]).await.unwrap();
        let n: i64 = c
            .fcall_with("bump", FcallOptions::new().key(["hits"]).arg([3]))
            .await
            .unwrap();
        assert_eq!(n, 3, "{protocol:?}");
        let v: Option<i64> = c
            .fcall_ro_with("peek", FcallRoOptions::new().key(["hits"]))
            .await
            .unwrap();
        assert_eq!(v, Some(3), "{protocol:?}");
        // FCALL_RO refuses a function that may write.
        let e = c
            .fcall_ro_with::<Value>("bump", FcallRoOptions::new().key(["hits"]).arg([1]))
            .await
            .unwrap_err();
        assert!(e.is_server(), "{e}");
        let e = c.fcall::<Value>("missing").await.unwrap_err();
        assert!(e.is_server(), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_and_functions_on_a_cluster() {
    let _serial = SERIAL.lock().await;
    let cluster = RedisCluster::start();
    let c = cluster
        .addrs()
        .iter()
        .fold(ClusterClient::builder(), |b, a| b.seed(a))
        .build()
        .unwrap();
    let script =
        Script::new("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])");

    // Keys on every primary: each node answers NOSCRIPT once and gets the script.
    let keys: Vec<String> = (0..30).map(|i| format!("script:{i}")).collect();
    let mut nodes = std::collections::HashSet::new();
    for k in &keys {
        nodes.insert(cluster.primary_for_slot(key_slot(k.as_bytes())).unwrap());
        let v: String = script.invoke(&c, [k.as_str()], [k.as_str()]).await.unwrap();
        assert_eq!(&v, k);
    }
    assert_eq!(nodes.len(), 3, "the keys cover every primary");
    for i in cluster.primaries() {
        assert_eq!(
            cluster.node(i).cli(&["SCRIPT", "EXISTS", script.hash()]),
            "1",
            "node {i} has the script"
        );
    }

    // Flushed on one node only: that node gets it back on the next call.
    let victim = cluster.primary_for_slot(key_slot(b"script:0")).unwrap();
    cluster.node(victim).cli(&["SCRIPT", "FLUSH"]);
    let v: String = script.invoke(&c, ["script:0"], ["again"]).await.unwrap();
    assert_eq!(v, "again");

    // Keys in two slots are refused, as the server would.
    let e = script
        .invoke::<Value, _>(&c, ["{a}1", "{b}2"], NONE)
        .await
        .unwrap_err();
    assert!(e.is_client() || e.code() == Some("CROSSSLOT"), "{e}");

    // Functions: FUNCTION LOAD goes to every primary, FCALL by key.
    let lib = "#!lua name=clib\n\
               redis.register_function('twice', function(keys, args) \
               return redis.call('INCRBY', keys[1], args[1] * 2) end)";
    assert_eq!(c.function_load(lib).await.unwrap(), "clib");
    for k in &keys {
        let n: i64 = c
            .fcall_with(
                "twice",
                FcallOptions::new().key([format!("{k}:n")]).arg([4]),
            )
            .await
            .unwrap();
        assert_eq!(n, 8);
    }
}
