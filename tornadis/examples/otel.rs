//! Spans and metrics to OpenTelemetry, printed on stdout.
//!
//! The client's `tracing` spans (one per command, pipeline or transaction,
//! named by the OpenTelemetry database conventions) reach OpenTelemetry
//! through `tracing-opentelemetry`; its `db.client.*` metrics go straight to
//! the global meter provider. Swap the stdout exporters for OTLP ones to
//! send them to a collector.
//!
//! Run with a server on 127.0.0.1:6379:
//! `cargo run -p tornadis --example otel --features opentelemetry`

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tornadis::{Client, Commands, Telemetry};
use tracing_subscriber::layer::SubscriberExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Spans: tracing -> tracing-opentelemetry -> an SDK tracer -> stdout.
    let tracer_provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    let tracer = tracer_provider.tracer("otel-example");
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
    tracing::subscriber::set_global_default(subscriber)?;

    // Metrics: the global meter provider, exported to stdout on shutdown.
    let meter_provider = SdkMeterProvider::builder()
        .with_periodic_exporter(opentelemetry_stdout::MetricExporter::default())
        .build();
    opentelemetry::global::set_meter_provider(meter_provider.clone());

    let client = Client::builder()
        .url("redis://127.0.0.1:6379/0")
        // Spans get `db.query.text` with every value shown as `?`.
        .telemetry(Telemetry::new().query_text(true))
        .build()?;

    // Each of these is one client span: SET, GET, and a PIPELINE of two INCRs.
    client.set("otel:greeting", "hello").await?;
    let greeting: Option<String> = client.get("otel:greeting").await?;
    println!("greeting: {greeting:?}");
    let (a, b): (i64, i64) = client
        .pipeline()
        .incr("otel:counter")
        .incr("otel:counter")
        .query()
        .await?;
    println!("counter: {a} then {b}");
    // A failing command: its span has error.type and db.response.status_code.
    let wrong: tornadis::Result<i64> = client.incr("otel:greeting").await;
    println!("INCR on a string: {}", wrong.is_err());

    tracer_provider.shutdown()?;
    meter_provider.shutdown()?;
    Ok(())
}
