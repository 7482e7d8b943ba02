//! A tour of the typed command methods: strings, a hash read into a serde
//! struct (and a missing one as `None`), a list as a job queue, a stream
//! with a consumer group, a sorted set with scores, and a typed pipeline. The methods are listed by data type in
//! the API docs (`tornadis::commands::string`, `::hash`, `::list`, ...).
//!
//! Run it against a Redis on localhost:6379 (or set `REDIS_URL`):
//!
//! ```text
//! cargo run -p tornadis --example typed
//! ```
//!
//! Every key it writes starts with `tornadis:typed:` and is deleted at the end.

use serde::{Deserialize, Serialize};
use tornadis::commands::{
    Direction, SetOptions, XaddOptions, XgroupCreateOptions, XreadgroupOptions,
    ZrangeWithscoresOptions,
};
use tornadis::value::StreamKey;
use tornadis::{Client, Commands, Fields, Serde};

#[derive(Debug, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

#[tokio::main]
async fn main() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    if let Err(e) = run(&url).await {
        eprintln!("error: {e}");
        if e.is_connection() || e.is_timeout() {
            eprintln!(
                "\nNo Redis server answered at {url}.\n\
                 Start one with `redis-server`, or point REDIS_URL at yours."
            );
        }
        std::process::exit(1);
    }
}

async fn run(url: &str) -> tornadis::Result<()> {
    let client = Client::from_url(url)?;

    // Strings: the reply type of GET is the caller's choice.
    client.set("tornadis:typed:greeting", "hello").await?;
    let greeting: Option<String> = client.get("tornadis:typed:greeting").await?;
    println!("GET greeting -> {greeting:?}");
    // Optional arguments go through an options builder, in a `_with` method.
    let written = client
        .set_with(
            "tornadis:typed:greeting",
            "ignored",
            SetOptions::new().nx().ex(60),
        )
        .await?;
    println!("SET greeting NX EX 60 -> {written:?} (None: the key was already there)");
    // SET ... GET has its own method, with the old value as its reply.
    let old: Option<String> = client.set_get("tornadis:typed:greeting", "bye").await?;
    println!("SET greeting bye GET -> {old:?}");
    let visits = client.incrby("tornadis:typed:visits", 3).await?;
    println!("INCRBY visits 3 -> {visits}");

    // Hashes: write a struct's fields with `Fields`, read them back with `Serde`.
    let ada = User {
        name: "Ada".into(),
        age: 36,
    };
    client
        .hset_fields("tornadis:typed:user:1", Fields(&ada))
        .await?;
    client.hincrby("tornadis:typed:user:1", "age", 1).await?;
    let user: Option<Serde<User>> = client.hgetall("tornadis:typed:user:1").await?;
    println!("HGETALL user:1 -> {:?}", user.map(|Serde(u)| u));
    let nobody: Option<Serde<User>> = client.hgetall("tornadis:typed:user:2").await?;
    println!(
        "HGETALL user:2 -> {:?} (no such hash)",
        nobody.map(|Serde(u)| u)
    );

    // Lists: one value or many wherever Redis takes a list.
    let job = r#"{"job":1}"#.to_string();
    client.lpush("tornadis:typed:jobs", &job).await?;
    client
        .lpush("tornadis:typed:jobs", [r#"{"job":2}"#, r#"{"job":3}"#])
        .await?;
    // BRPOP waits (here up to 1 s) on a side connection: other callers of
    // this client are not held up.
    let next: Option<(String, String)> = client.brpop("tornadis:typed:jobs", 1.0).await?;
    println!("BRPOP jobs -> {next:?}");

    // The same queue, reliably: LMOVE keeps the job in a processing list
    // until it is done (one `Direction` type for LMOVE/BLMOVE/LMPOP/BLMPOP).
    let taken: Option<String> = client
        .lmove(
            "tornadis:typed:jobs",
            "tornadis:typed:processing",
            Direction::Right,
            Direction::Left,
        )
        .await?;
    println!("LMOVE jobs processing RIGHT LEFT -> {taken:?}");

    // Streams: IDs are the strings Redis documents, trimming has its common
    // forms, and replies are named types (StreamKey, StreamEntry).
    client
        .xgroup_create_with(
            "tornadis:typed:events",
            "workers",
            "0",
            XgroupCreateOptions::new().mkstream(),
        )
        .await?;
    client
        .xadd_with(
            "tornadis:typed:events",
            "*",
            ("kind", "signup"),
            XaddOptions::new().maxlen_approx(10_000),
        )
        .await?;
    let batch: Option<Vec<StreamKey>> = client
        .xreadgroup_with(
            "workers",
            "w1",
            "tornadis:typed:events",
            ">",
            XreadgroupOptions::new().count(10),
        )
        .await?;
    for stream in batch.unwrap_or_default() {
        for entry in stream.entries {
            println!(
                "XREADGROUP {} -> {}: {:?}",
                stream.key, entry.id, entry.fields
            );
            client
                .xack("tornadis:typed:events", "workers", &entry.id)
                .await?;
        }
    }

    // Sorted sets: scores are f64, and WITHSCORES has its own method.
    client
        .zadd(
            "tornadis:typed:scores",
            [(12.5, "ada"), (7.0, "grace"), (30.0, "linus")],
        )
        .await?;
    let raised = client
        .zadd_incr("tornadis:typed:scores", (10.0, "grace"))
        .await?;
    println!("ZADD scores INCR 10 grace -> {raised:?}");
    let top: Vec<(String, f64)> = client
        .zrange_withscores_with(
            "tornadis:typed:scores",
            0,
            1,
            ZrangeWithscoresOptions::new().rev(),
        )
        .await?;
    println!("ZRANGE scores 0 1 REV WITHSCORES -> {top:?}");

    // A typed pipeline: one round trip, a tuple of typed replies.
    let (len, best, visits, deleted): (i64, Option<f64>, Option<i64>, i64) = client
        .pipeline()
        .zcard("tornadis:typed:scores")
        .zscore("tornadis:typed:scores", "linus")
        .get("tornadis:typed:visits")
        .del([
            "tornadis:typed:greeting",
            "tornadis:typed:visits",
            "tornadis:typed:user:1",
            "tornadis:typed:scores",
            "tornadis:typed:jobs",
            "tornadis:typed:processing",
            "tornadis:typed:events",
        ])
        .query()
        .await?;
    println!("pipeline -> zcard {len}, linus {best:?}, visits {visits:?}, deleted {deleted}");
    Ok(())
}
