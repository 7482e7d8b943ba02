//! The pool example of the original tornadis: 100 concurrent tasks PING the
//! server through a pool of at most 15 clients, each task borrowing one with
//! `connected_client()` and giving it back when its guard goes out of scope.
//!
//! Run it against a Redis on localhost:6379 (or set `REDIS_URL`):
//!
//! ```text
//! cargo run -p tornadis --example pool
//! ```

use std::time::Duration;

use tokio::task::JoinSet;
use tornadis::{ClientPool, Commands};

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
    let pool = ClientPool::builder()
        .url(url)
        .max_size(15)
        .acquire_timeout(Duration::from_secs(5))
        .build()?;

    let mut tasks = JoinSet::new();
    for num in 0..100 {
        let pool = pool.clone();
        tasks.spawn(async move { ping_redis(&pool, num).await });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(result) => result?,
            Err(e) => eprintln!("a task failed: {e}"),
        }
    }
    println!(
        "done: the pool holds {} clients ({} idle)",
        pool.size(),
        pool.idle_count()
    );
    pool.destroy();
    Ok(())
}

async fn ping_redis(pool: &ClientPool, num: usize) -> tornadis::Result<()> {
    // The guard derefs to a Client and goes back to the pool when dropped.
    let client = pool.connected_client().await?;
    let reply: String = client.ping().await?;
    println!("reply #{num} : {reply}");
    Ok(())
}
