//! Cursor streams: every key matching a pattern, the fields of a hash and
//! the members of a sorted set with their scores, a batch at a time.
//!
//! Run it against a Redis on localhost:6379 (or set `REDIS_URL`):
//!
//! ```text
//! cargo run -p tornadis --example scan
//! ```

use tornadis::{Client, Commands};

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
    for i in 0..25 {
        client.set(format!("example:scan:{i}"), i).await?;
    }
    client
        .hset_multiple("example:scan:hash", [("a", 1), ("b", 2), ("c", 3)])
        .await?;
    client
        .zadd("example:scan:zset", [(1.0, "one"), (2.5, "two and a half")])
        .await?;

    // SCAN with MATCH, COUNT and TYPE; the stream ends when the cursor comes back to 0.
    // Redis may return a key more than once: collect into a set when that matters.
    let mut keys = client
        .scan_stream::<String>()
        .match_pattern("example:scan:*")
        .of_type("string")
        .count(100);
    let mut found = std::collections::BTreeSet::new();
    while let Some(key) = keys.next().await {
        found.insert(key?);
    }
    println!(
        "{} string keys, e.g. {:?}",
        found.len(),
        found.iter().next()
    );

    let mut fields = client.hscan_stream::<String, i64>("example:scan:hash");
    while let Some(pair) = fields.next().await {
        let (field, value) = pair?;
        println!("hash field {field} = {value}");
    }

    let mut members = client.zscan_stream::<String>("example:scan:zset");
    while let Some(entry) = members.next().await {
        let (member, score) = entry?;
        println!("zset member {member:?} has score {score}");
    }
    Ok(())
}
