//! Client-side caching: repeated reads of a key are answered locally, and a
//! write from another client evicts the local copy (the server pushes an
//! invalidation over RESP3).
//!
//! ```text
//! cargo run -p tornadis --example cache
//! ```

use std::time::{Duration, Instant};

use tornadis::{CacheConfig, Client, Commands, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let reader = Client::builder()
        .url(&url)
        .client_cache(
            CacheConfig::new()
                .max_entries(1_000)
                .ttl(Duration::from_secs(30)),
        )
        .build()?;
    let writer = Client::from_url(&url)?;

    writer.set("tornadis:cache:greeting", "hello").await?;
    for _ in 0..3 {
        let started = Instant::now();
        let v: Option<String> = reader.get("tornadis:cache:greeting").await?;
        println!("read {v:?} in {:?}", started.elapsed());
    }

    // Another client changes the key: the server tells the reader, which drops its copy.
    writer.set("tornadis:cache:greeting", "bonjour").await?;
    let started = Instant::now();
    loop {
        let v: Option<String> = reader.get("tornadis:cache:greeting").await?;
        if v.as_deref() == Some("bonjour") {
            println!("saw the new value {:?} after the write", started.elapsed());
            break;
        }
        if started.elapsed() > Duration::from_secs(1) {
            println!("the cached value was not invalidated: is the server older than Redis 6?");
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    if let Some(stats) = reader.cache_stats() {
        println!(
            "hits {}, misses {}, invalidations {}, entries {}",
            stats.hits, stats.misses, stats.invalidations, stats.entries
        );
    }
    writer.del("tornadis:cache:greeting").await?;
    Ok(())
}
