//! Pipelines, as in the original's pipeline example: stack commands, send
//! them in one write, get every reply back in order. Then the same with the
//! typed pipeline builder, and a MULTI/EXEC transaction.
//!
//! ```text
//! cargo run -p tornadis --example pipeline
//! ```

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

    client.call(("DEL", "tornadis:pipe")).await?;
    Ok(())
}
