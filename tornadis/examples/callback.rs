//! The callback style of the original tornadis: `async_call` queues a command
//! and calls a closure with its result when the reply arrives.
//!
//! ```text
//! cargo run -p tornadis --example callback
//! ```

use tokio::sync::mpsc;
use tornadis::{Client, Result, Value};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let client = Client::from_url(&url)?;
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, Result<Value>)>();

    for (label, args) in [
        ("SET", vec!["SET", "tornadis:callback", "42"]),
        ("INCR", vec!["INCR", "tornadis:callback"]),
        ("GET", vec!["GET", "tornadis:callback"]),
    ] {
        let done = done_tx.clone();
        client.async_call(args, move |reply| {
            let _ = done.send((label.to_string(), reply));
        });
    }
    // Fire and forget: the reply is read and dropped.
    client.async_call_forget(("EXPIRE", "tornadis:callback", 60))?;
    drop(done_tx);

    while let Some((label, reply)) = done_rx.recv().await {
        match reply {
            Ok(v) => println!("{label} -> {v:?}"),
            Err(e) => {
                eprintln!("{label} failed: {e}");
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
