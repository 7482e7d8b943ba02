//! A Sentinel-managed Redis: find the primary through the sentinels, write
//! to it, read back from a replica, then keep writing once a second so that
//! a failover (`redis-cli -p 26379 SENTINEL FAILOVER mymaster`, or killing
//! the primary) can be watched as it happens.
//!
//! Settings come from the environment:
//! - `SENTINEL_ADDRS`: the sentinels, `host:port` separated by commas
//!   (default `127.0.0.1:26379`);
//! - `SENTINEL_SERVICE`: the name the sentinels monitor the primary under
//!   (default `mymaster`);
//! - `SENTINEL_SECONDS`: how long to keep writing (default 10).
//!
//! ```text
//! SENTINEL_ADDRS=127.0.0.1:26379,127.0.0.1:26380 cargo run -p tornadis --example sentinel
//! ```

use std::time::Duration;

use tornadis::sentinel::SentinelClient;
use tornadis::Commands;

#[tokio::main]
async fn main() {
    let addrs = std::env::var("SENTINEL_ADDRS").unwrap_or_else(|_| "127.0.0.1:26379".into());
    let service = std::env::var("SENTINEL_SERVICE").unwrap_or_else(|_| "mymaster".into());
    let seconds = std::env::var("SENTINEL_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10u64);
    if let Err(e) = run(&addrs, &service, seconds).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(addrs: &str, service: &str, seconds: u64) -> tornadis::Result<()> {
    let sentinel = SentinelClient::builder()
        .sentinels(addrs.split(',').map(str::trim).filter(|a| !a.is_empty()))
        .service(service)
        .build()?;

    let primary_addr = match sentinel.primary_addr().await {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!(
                "No sentinel at {addrs} named a primary for the service {service:?}.\n\
                 Check that the sentinels run (redis-server --sentinel) and monitor that name,\n\
                 or set SENTINEL_ADDRS (host:port,host:port,...) and SENTINEL_SERVICE.\n\
                 Details: {e}"
            );
            std::process::exit(2);
        }
    };
    println!("primary of {service:?}: {primary_addr}");

    let primary = sentinel.primary();
    primary.set("sentinel-example:greeting", "hello").await?;
    match sentinel.replica_addrs().await? {
        replicas if replicas.is_empty() => println!("no healthy replica to read from"),
        replicas => {
            let list: Vec<String> = replicas.iter().map(ToString::to_string).collect();
            println!("healthy replicas: {}", list.join(", "));
            let replica = sentinel.replica()?;
            let v: Option<String> = replica.get("sentinel-example:greeting").await?;
            println!("read from a replica: {v:?} (replication is asynchronous: it may lag)");
        }
    }

    println!("writing once a second for {seconds} s; start a failover to watch the client follow");
    for _ in 0..seconds {
        match primary.incr("sentinel-example:counter").await {
            Ok(n) => println!("INCR -> {n}"),
            // During a failover, requests fail with a connection error; the
            // client reconnects to the new primary by itself.
            Err(e) => println!("INCR failed: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!(
        "failovers followed through +switch-master: {}",
        sentinel.switch_count()
    );
    Ok(())
}
