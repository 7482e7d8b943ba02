//! What one cluster command costs the client, counted by callgrind: run
//! the ignored test twice under valgrind with a small and a large
//! `TORNADIS_COST_OPS`, and divide the difference of the two instruction
//! totals by the difference in operations (start-up and the cluster's
//! launch, whose servers run outside valgrind, cancel out):
//!
//! ```text
//! cargo test --release -p tornadis-tests --test cluster_cost --no-run
//! TORNADIS_COST_OPS=2000 valgrind --tool=callgrind target/release/deps/cluster_cost-* --ignored --nocapture
//! TORNADIS_COST_OPS=6000 valgrind --tool=callgrind target/release/deps/cluster_cost-* --ignored --nocapture
//! ```
//!
//! `TORNADIS_COST_MODE=single` (one raw and one typed command per
//! operation) or `pipeline` (a raw pipeline of four commands over several
//! nodes) measures one kind alone.
//!
//! Without valgrind it is an ordinary (ignored) test that checks the replies.

use tornadis::cluster::ClusterClient;
use tornadis::{Commands, Pipeline, Value};
use tornadis_tests::RedisCluster;

#[tokio::test(flavor = "current_thread")]
#[ignore = "a measurement: run it under callgrind (see the module docs)"]
async fn cluster_commands_one_after_another() {
    let ops: usize = std::env::var("TORNADIS_COST_OPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    // `single` or `pipeline` measures one kind alone; both by default.
    let mode = std::env::var("TORNADIS_COST_MODE").unwrap_or_default();
    let (single, pipelined) = (mode != "pipeline", mode != "single");
    let cluster = RedisCluster::start();
    let c = ClusterClient::new(cluster.addrs().iter().map(|a| format!("redis://{a}"))).unwrap();
    c.set("k", "v").await.unwrap();
    // Per operation: one raw command (looked up by name), one typed
    // command, and one pipeline of four commands over several nodes.
    for i in 0..ops {
        if single {
            let raw = c.call(("GET", "k")).await.unwrap();
            assert_eq!(raw, Value::Bulk("v".into()));
            let n: i64 = c.incr("n").await.unwrap();
            assert_eq!(n, i as i64 + 1);
        }
        if !pipelined {
            continue;
        }
        let mut pipe = Pipeline::new();
        pipe.stack_call(("GET", "k"))
            .stack_call(("GET", "a"))
            .stack_call(("GET", "b"))
            .stack_call(("GET", "c"));
        let replies = c.call_pipeline(&pipe).await.unwrap();
        assert_eq!(replies.len(), 4);
    }
}
