//! The main example: connect, write a key, read it back (raw, then typed).
//!
//! Run it against a Redis on localhost:6379 (or set `REDIS_URL`):
//!
//! ```text
//! cargo run -p tornadis --example hello
//! ```

use tornadis::{Client, Commands, Value};

#[tokio::main]
async fn main() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    if let Err(e) = run(&url).await {
        eprintln!("error: {e}");
        if e.is_connection() || e.is_timeout() {
            eprintln!(
                "\nNo Redis server answered at {url}.\n\
                 Start one with `redis-server` (Debian/Ubuntu: `apt-get install redis-server`),\n\
                 or point REDIS_URL at yours, e.g. REDIS_URL=redis://host:6379/0"
            );
        }
        std::process::exit(1);
    }
}

async fn run(url: &str) -> tornadis::Result<()> {
    let client = Client::from_url(url)?;
    client.connect().await?;
    // The handshake learnt the server's kind and version.
    if let Some(server) = client.server() {
        println!("connected to {server} at {url}");
    }

    // The raw escape hatch: any command as arguments, the reply as a Value.
    let reply = client.call(("SET", "tornadis:hello", "world")).await?;
    println!("SET tornadis:hello world -> {reply:?}");

    let value: Value = client.call(("GET", "tornadis:hello")).await?;
    println!("GET tornadis:hello -> {value:?}");

    // Or decode the reply into a Rust type.
    let text: String = client.call_as(("GET", "tornadis:hello")).await?;
    println!("as a String: {text}");

    // The typed methods, one per command (trait `Commands`; listed by data
    // type in the API docs, `tornadis::commands`).
    client.set("tornadis:hello", "typed world").await?;
    let typed: Option<String> = client.get("tornadis:hello").await?;
    println!("get -> {typed:?}");

    let deleted = client.del("tornadis:hello").await?;
    println!("del -> {deleted}");
    Ok(())
}
