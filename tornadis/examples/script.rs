//! Lua scripts and functions: a rate limiter run by its digest, the same
//! script inside a pipeline, and a function library called with FCALL.
//!
//! Run it against a Redis 7 on localhost:6379 (or set `REDIS_URL`):
//!
//! ```text
//! cargo run -p tornadis --example script
//! ```

use tornadis::commands::{FcallOptions, FunctionLoadOptions};
use tornadis::{Client, Commands, Script};

/// Allows `ARGV[1]` hits per `ARGV[2]` seconds for the key; returns the
/// number of hits so far, or -1 when over the limit.
const LIMITER: &str = "\
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return -1 end
return n";

#[tokio::main]
async fn main() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    if let Err(e) = run(&url).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(url: &str) -> tornadis::Result<()> {
    let client = Client::from_url(url)?;
    let limiter = Script::new(LIMITER);
    println!("script digest: {}", limiter.hash());

    // The first call finds no script (NOSCRIPT), loads it and runs it again;
    // later calls send only the digest.
    client.del("example:limit:ada").await?;
    for attempt in 1..=4 {
        let n: i64 = limiter
            .invoke(&client, ["example:limit:ada"], (3, 60))
            .await?;
        println!(
            "attempt {attempt}: {}",
            if n < 0 {
                "refused".to_string()
            } else {
                format!("hit {n}")
            }
        );
    }

    // In a pipeline: SCRIPT LOAD first, then EVALSHA, in one round trip.
    // (A pipeline cannot fall back on NOSCRIPT by itself; see Script::stack.)
    client.del("example:limit:bob").await?;
    let pipe = client.pipeline().script_load(limiter.source());
    let pipe = limiter.stack(pipe, ["example:limit:bob"], (3, 60));
    let (_digest, first, second): (String, i64, i64) = limiter
        .stack(pipe, ["example:limit:bob"], (3, 60))
        .query()
        .await?;
    println!("bob: hit {first}, then hit {second}");

    // Functions: load a library, then call it by name.
    let library = "#!lua name=example_lib\n\
                   redis.register_function('greet', function(keys, args) \
                   return 'hello, ' .. args[1] end)";
    client
        .function_load_with(library, FunctionLoadOptions::new().replace())
        .await?;
    let greeting: String = client
        .fcall_with("greet", FcallOptions::new().arg("world"))
        .await?;
    println!("{greeting}");
    Ok(())
}
