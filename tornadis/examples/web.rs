//! The original's web example, with axum: every request to `/` waits up to
//! five seconds for a job on a Redis list (`BLPOP`), on one shared client.
//! Blocking commands run on side connections, so a waiting handler never
//! holds up the others.
//!
//! ```text
//! cargo run -p tornadis --example web          # then, in another shell:
//! curl localhost:8080/                         # waits for a job...
//! redis-cli RPUSH tornadis:jobs hello          # ...and this delivers one
//! ```

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use tornadis::Client;

async fn next_job(State(client): State<Client>) -> String {
    match client
        .call_as::<Option<(String, String)>, _>(("BLPOP", "tornadis:jobs", 5))
        .await
    {
        Ok(Some((_, job))) => format!("job: {job}\n"),
        Ok(None) => "no job within 5 s\n".to_string(),
        Err(e) => format!("error: {e}\n"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let client = Client::from_url(&url)?;
    client.connect().await?;
    let app = Router::new().route("/", get(next_job)).with_state(client);
    let addr = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}/ (BLPOP tornadis:jobs per request)");
    axum::serve(listener, app).await?;
    Ok(())
}
