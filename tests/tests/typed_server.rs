//! Typed methods of the scripting, pubsub, transactions, connection, server
//! and cluster groups against a real (non-cluster) server.
//!
//! Sentinel commands are left to the sentinel fixture's tests: they only
//! answer on a sentinel process.

use std::time::Duration;

use tornadis::commands::{
    CommandGetkeysOptions, EvalOptions, FcallOptions, FunctionLoadOptions, PubsubNumsubOptions,
};
use tornadis::{Client, Commands, PubSubClient, Value};
use tornadis_tests::{RedisServer, ServerKind};

fn client(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

#[tokio::test]
async fn scripts_and_functions() {
    let server = RedisServer::start();
    let c = client(&server);
    let script = "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2}";
    let (key, arg, doubled): (String, String, i64) = c
        .eval_with(script, EvalOptions::new().key(["k"]).arg(["a", "21"]))
        .await
        .unwrap();
    assert_eq!((key.as_str(), arg.as_str(), doubled), ("k", "a", 42));

    let sha = c.script_load("return ARGV[1]").await.unwrap();
    assert_eq!(sha.len(), 40);
    assert_eq!(
        c.script_exists([sha.as_str(), "0000000000000000000000000000000000000000"])
            .await
            .unwrap(),
        [true, false]
    );
    let echoed: String = c
        .evalsha_with(&sha, tornadis::commands::EvalshaOptions::new().arg(["hi"]))
        .await
        .unwrap();
    assert_eq!(echoed, "hi");
    // A script error stays a server error with its code.
    let e = c
        .eval::<Value>("return redis.call('NOPE')")
        .await
        .unwrap_err();
    assert!(e.is_server(), "{e}");
    c.script_flush().await.unwrap();
    assert_eq!(c.script_exists([sha.as_str()]).await.unwrap(), [false]);

    let lib = "#!lua name=typedlib\n\
               redis.register_function('plus', function(keys, args) \
               return redis.call('INCRBY', keys[1], args[1]) end)";
    let name = c.function_load(lib).await.unwrap();
    assert_eq!(name, "typedlib");
    let e = c.function_load(lib).await.unwrap_err();
    assert!(e.is_server(), "{e}");
    c.function_load_with(lib, FunctionLoadOptions::new().replace())
        .await
        .unwrap();
    let n: i64 = c
        .fcall_with("plus", FcallOptions::new().key(["counter"]).arg([5]))
        .await
        .unwrap();
    assert_eq!(n, 5);
    let dump = c.function_dump().await.unwrap();
    c.function_delete("typedlib").await.unwrap();
    c.function_restore(dump).await.unwrap();
    let listed = c.function_list().await.unwrap();
    assert!(
        matches!(&listed, Value::Array(libs) if libs.len() == 1),
        "{listed:?}"
    );
    c.function_flush().await.unwrap();
}

#[tokio::test]
async fn publish_and_pubsub_introspection() {
    let server = RedisServer::start();
    let c = client(&server);
    assert_eq!(c.publish("news", "nobody listens").await.unwrap(), 0);

    let sub = PubSubClient::from_url(&server.url()).unwrap();
    sub.pubsub_subscribe(["news", "sport"]).await.unwrap();
    let mut channels = c.pubsub_channels().await.unwrap();
    channels.sort();
    assert_eq!(channels, ["news", "sport"]);
    let numsub = c
        .pubsub_numsub_with(PubsubNumsubOptions::new().channel(["news", "weather"]))
        .await
        .unwrap();
    assert_eq!(numsub.get("news"), Some(&1));
    assert_eq!(numsub.get("weather"), Some(&0));
    assert_eq!(c.pubsub_numpat().await.unwrap(), 0);

    assert_eq!(c.publish("news", "hello").await.unwrap(), 1);
    let msg = sub
        .pubsub_pop_message(Some(Duration::from_secs(3)))
        .await
        .unwrap()
        .expect("the published message");
    assert_eq!(&msg.payload()[..], b"hello");
}

#[tokio::test]
async fn typed_transactions() {
    let server = RedisServer::start();
    let c = client(&server);
    let (set, n, got): ((), i64, Option<String>) = c
        .pipeline()
        .set("balance", 10)
        .incrby("balance", 5)
        .get("balance")
        .atomic()
        .query()
        .await
        .unwrap();
    assert_eq!((set, n, got.as_deref()), ((), 15, Some("15")));

    // A command refused while queuing aborts the whole transaction.
    let e = c
        .pipeline()
        .incr("balance")
        .call(("NOSUCHCOMMAND",))
        .atomic()
        .query()
        .await
        .unwrap_err();
    assert!(e.is_server() || e.is_aborted(), "{e}");
    assert_eq!(c.get::<i64>("balance").await.unwrap(), Some(15));

    // MULTI/EXEC by hand needs a dedicated connection; typed methods work there too.
    let conn = c.dedicated().unwrap();
    conn.call("MULTI").await.unwrap();
    let queued: Value = conn.call(("INCR", "balance")).await.unwrap();
    assert_eq!(queued, Value::SimpleString("QUEUED".into()));
    conn.call(("LPUSH", "log", "incr")).await.unwrap();
    let (incr, pushed): (i64, i64) = conn.call_as("EXEC").await.unwrap();
    assert_eq!((incr, pushed), (16, 1));
    assert_eq!(conn.llen("log").await.unwrap(), 1);
    // On the shared client, MULTI is refused rather than interleaved.
    assert!(c.call("MULTI").await.is_err());
}

#[tokio::test]
async fn connection_commands() {
    let server = RedisServer::start();
    let c = client(&server);
    assert_eq!(c.ping().await.unwrap(), "PONG");
    let echoed: String = c.echo("hello").await.unwrap();
    assert_eq!(echoed, "hello");
    let id = c.client_id().await.unwrap();
    assert!(id > 0);
    // CLIENT SETNAME holds for the connection: on a dedicated one it is
    // read back by the same connection.
    let conn = c.dedicated().unwrap();
    assert_eq!(conn.client_getname().await.unwrap(), None);
    conn.client_setname("typed-tests").await.unwrap();
    assert_eq!(
        conn.client_getname().await.unwrap().as_deref(),
        Some("typed-tests")
    );
    let info = conn.client_info().await.unwrap();
    assert!(info.contains("name=typed-tests"), "{info}");
    let list = c.client_list().await.unwrap();
    assert!(list.contains("name=typed-tests"), "{list}");
    assert!(list.contains(&format!("id={id} ")), "{list}");
}

#[tokio::test]
async fn server_commands() {
    let server = RedisServer::start();
    let c = client(&server);
    c.mset([("a", 1), ("b", 2)]).await.unwrap();
    assert_eq!(c.dbsize().await.unwrap(), 2);
    let info = c.info().await.unwrap();
    assert!(info.contains("redis_version:"), "{info}");
    let keyspace = c.info_with(Default::default()).await.unwrap();
    assert!(keyspace.contains("# Server"), "{keyspace}");
    let config = c.config_get(["maxmemory", "port"]).await.unwrap();
    assert_eq!(config.get("port"), Some(&server.port().to_string()));
    assert!(config.contains_key("maxmemory"), "{config:?}");
    c.config_set([("maxmemory-policy", "allkeys-lru")])
        .await
        .unwrap();
    let policy = c.config_get(["maxmemory-policy"]).await.unwrap();
    assert_eq!(policy["maxmemory-policy"], "allkeys-lru");

    let (secs, micros) = c.time().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) < 60, "{secs} vs {now}");
    assert!(micros < 1_000_000);
    assert!(c.lastsave().await.unwrap() > 0);
    assert!(c.command_count().await.unwrap() > 200);
    let keys = c
        .command_getkeys_with(
            "MSET",
            CommandGetkeysOptions::new().arg(["k1", "v1", "k2", "v2"]),
        )
        .await
        .unwrap();
    assert_eq!(keys, ["k1", "k2"]);
    let used = c.memory_usage("a").await.unwrap();
    assert!(used.is_some_and(|n| n > 0));
    assert_eq!(c.memory_usage("zz").await.unwrap(), None);
    assert!(c.slowlog_len().await.unwrap() >= 0);
    assert!(c.acl_whoami().await.unwrap() == "default");
    assert!(c.acl_cat().await.unwrap().contains(&"string".to_string()));
    c.flushdb().await.unwrap();
    assert_eq!(c.dbsize().await.unwrap(), 0);
    c.flushall().await.unwrap();
}

/// A server started without cluster support refuses the CLUSTER
/// subcommands that describe a cluster: the typed methods pass that
/// refusal through as a server error. CLUSTER KEYSLOT only hashes its
/// argument: Redis refuses it too, Valkey answers it.
#[tokio::test]
async fn cluster_commands_on_a_standalone_server_are_server_errors() {
    let server = RedisServer::start();
    let c = client(&server);
    let keyslot = c.cluster_keyslot("user:{42}:name").await;
    match server.kind() {
        ServerKind::Redis => {
            let e = keyslot.unwrap_err();
            assert!(e.is_server(), "{e}");
            assert!(e.detail().contains("cluster support disabled"), "{e}");
        }
        ServerKind::Valkey => assert_eq!(keyslot.unwrap(), 8000),
    }
    let e = c.cluster_info().await.unwrap_err();
    assert!(e.is_server(), "{e}");
}

/// One cluster-enabled node, owning no slots, answers the commands that
/// only describe it or hash keys. (The cluster fixture's tests cover a
/// working cluster.)
#[tokio::test]
async fn cluster_commands_on_a_lone_cluster_node() {
    let server = RedisServer::builder()
        .args(["--cluster-enabled", "yes"])
        .start();
    let c = client(&server);
    let slot = c.cluster_keyslot("user:{42}:name").await.unwrap();
    assert_eq!(slot, c.cluster_keyslot("{42}").await.unwrap());
    assert_eq!(c.cluster_keyslot("foo").await.unwrap(), 12182);
    let info = c.cluster_info().await.unwrap();
    assert!(info.contains("cluster_state:fail"), "{info}");
    let id = c.cluster_myid().await.unwrap();
    assert_eq!(id.len(), 40);
    let nodes = c.cluster_nodes().await.unwrap();
    assert!(nodes.starts_with(&id), "{nodes}");
    assert_eq!(c.cluster_countkeysinslot(slot).await.unwrap(), 0);
}
