//! The pub/sub example: subscribe to a channel and a pattern, print every
//! message until a `STOP` arrives, then unsubscribe. A publisher task sends
//! the messages with an ordinary `Client`.
//!
//! Run it against a Redis on localhost:6379 (or set `REDIS_URL`):
//!
//! ```text
//! cargo run -p tornadis --example pubsub
//! ```

use std::time::Duration;

use tornadis::{Client, MessageKind, PubSubClient};

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
    // By default the client buffers 16,384 messages and then drops the
    // oldest (a `Lagged` notice says how many). `.with_lossless(true)` drops
    // nothing: it stops reading while the buffer is full and lets the server
    // hold the backlog, up to the server's client-output-buffer-limit.
    let pubsub = PubSubClient::from_url(url)?.with_lossless(true);
    pubsub.connect().await?;
    pubsub.pubsub_subscribe("tornadis:foo").await?;
    pubsub.pubsub_psubscribe("tornadis:bar*").await?;
    println!("subscribed to {:?}", pubsub.subscriptions());

    // The publisher: an ordinary client (a subscribed connection cannot publish).
    let client = Client::from_url(url)?;
    let publisher = tokio::spawn(async move {
        for (channel, payload) in [
            ("tornadis:foo", "hello"),
            ("tornadis:bar1", "world"),
            ("tornadis:bar2", "42"),
            ("tornadis:nobody", "not delivered: nobody listens here"),
            ("tornadis:foo", "STOP"),
        ] {
            let receivers: i64 = client.call_as(("PUBLISH", channel, payload)).await?;
            println!("published {payload:?} to {channel} ({receivers} receiver(s))");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<_, tornadis::Error>(())
    });

    loop {
        let Some(msg) = pubsub
            .pubsub_pop_message(Some(Duration::from_secs(5)))
            .await?
        else {
            println!("no message for 5 s, giving up");
            break;
        };
        match msg.kind() {
            MessageKind::Reconnected | MessageKind::Lagged => {
                println!("gap: some messages were missed ({:?})", msg.kind());
                continue;
            }
            _ => {}
        }
        let channel: String = msg.channel_as()?;
        let payload: String = msg.payload_as()?;
        match msg.pattern() {
            Some(p) => println!(
                "received {payload:?} on {channel} (pattern {})",
                String::from_utf8_lossy(p)
            ),
            None => println!("received {payload:?} on {channel}"),
        }
        if payload == "STOP" {
            break;
        }
    }

    pubsub.pubsub_unsubscribe("tornadis:foo").await?;
    pubsub.pubsub_punsubscribe("tornadis:bar*").await?;
    println!(
        "unsubscribed; now subscribed to {} channel(s)",
        pubsub.subscriptions().len()
    );
    pubsub.disconnect();
    publisher.await.map_err(|e| {
        tornadis::Error::new(
            tornadis::ErrorKind::Client,
            format!("publisher task failed: {e}"),
        )
    })??;
    Ok(())
}
