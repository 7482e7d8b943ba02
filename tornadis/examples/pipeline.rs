//! Pipelines, as in the original's pipeline example: stack commands, send
//! them in one write, get every reply back in order. Then the same with the
//! typed pipeline builder, a MULTI/EXEC transaction, a pipeline built in a
//! loop (`pipeline_of`), and independent requests fanned out with
//! `try_join_all`.
//!
//! ```text
//! cargo run -p tornadis --example pipeline
//! ```

use futures::future::try_join_all;
use tornadis::{Client, Commands, Pipeline, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let client = Client::from_url(&url)?;

    // The original's raw pipeline: stack_call, then run it.
    let mut pipeline = Pipeline::new();
    pipeline
        .stack_call(("SET", "tornadis:pipe", "10"))
        .stack_call(("INCRBY", "tornadis:pipe", 5))
        .stack_call(("GET", "tornadis:pipe"))
        .stack_call(("LPUSH", "tornadis:pipe", "oops")); // WRONGTYPE: only this one fails
    println!(
        "sending {} commands in one round trip",
        pipeline.number_of_stacked_calls()
    );
    for (i, reply) in client
        .call_pipeline(&pipeline)
        .await?
        .into_iter()
        .enumerate()
    {
        match reply {
            Ok(v) => println!("  {i}: {v:?}"),
            Err(e) => println!("  {i}: error {e}"),
        }
    }

    // Typed: each command adds its reply type to the tuple.
    let (_, n, text): ((), i64, Option<String>) = client
        .pipeline()
        .set("tornadis:pipe", 1)
        .incrby("tornadis:pipe", 41)
        .get("tornadis:pipe")
        .query()
        .await?;
    println!("typed pipeline: INCRBY -> {n}, GET -> {text:?}");

    // All or nothing: MULTI/EXEC.
    let (a, b): (i64, i64) = client
        .pipeline()
        .incr("tornadis:pipe")
        .incr("tornadis:pipe")
        .atomic()
        .query()
        .await?;
    println!("transaction: {a}, {b}");

    // Built in a loop: one reply type, a Vec back, still one round trip.
    let jobs: Vec<String> = (1..=5).map(|i| format!(r#"{{"job":{i}}}"#)).collect();
    let mut pushes = client.pipeline_of();
    for job in &jobs {
        pushes.push(|p| p.rpush("tornadis:pipe:jobs", job));
    }
    let lengths: Vec<i64> = pushes.query().await?;
    println!("pipeline_of: queue lengths {lengths:?}");

    // Independent requests need no pipeline: requests are futures, and the
    // client writes concurrent ones together.
    let keys = ["tornadis:pipe:a", "tornadis:pipe:b", "tornadis:pipe:c"];
    let counts: Vec<i64> = try_join_all(keys.iter().map(|k| client.incr(*k))).await?;
    println!("try_join_all of INCRs -> {counts:?}");

    client.del("tornadis:pipe").await?;
    client.del(keys).await?;
    client.del("tornadis:pipe:jobs").await?;
    Ok(())
}
