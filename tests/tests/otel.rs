//! Spans and metrics as OpenTelemetry sees them, against real servers.
//!
//! Spans go client → `tracing` → `tracing-opentelemetry` → the SDK's
//! in-memory span exporter; metrics go to an SDK meter provider with the
//! in-memory metric exporter (given to the client with `Telemetry::meter`).
//! The attribute tables in docs/guide.md ("Observability") list what these
//! tests check.

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry::{KeyValue, Value as OtelValue};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tornadis::cluster::ClusterClient;
use tornadis::{Client, ClientPool, Commands, Telemetry, Value};
use tornadis_tests::{RedisCluster, RedisServer};
use tracing_subscriber::layer::SubscriberExt;

/// Collects the spans of everything run while its guard is held (on this
/// thread: the tests run on a current-thread runtime).
struct Spans {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Spans {
    fn start() -> Spans {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        Spans {
            exporter,
            provider,
            _guard: guard,
        }
    }

    /// Every finished span so far.
    fn all(&self) -> Vec<SpanData> {
        let _ = self.provider.force_flush();
        self.exporter.get_finished_spans().unwrap()
    }

    /// The one finished span named `name`.
    fn named(&self, name: &str) -> SpanData {
        let spans: Vec<SpanData> = self.all().into_iter().filter(|s| s.name == name).collect();
        assert_eq!(
            spans.len(),
            1,
            "expected one span named {name}, got {:?}",
            self.all()
                .iter()
                .map(|s| s.name.to_string())
                .collect::<Vec<_>>()
        );
        spans.into_iter().next().unwrap()
    }
}

fn attrs(span: &SpanData) -> HashMap<String, OtelValue> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.clone()))
        .collect()
}

fn s(v: &str) -> OtelValue {
    OtelValue::from(v.to_string())
}

fn i(v: u16) -> OtelValue {
    OtelValue::I64(i64::from(v))
}

/// Every attribute value of every span, as text.
fn all_text(spans: &[SpanData]) -> String {
    let mut out = String::new();
    for span in spans {
        out.push_str(&span.name);
        for kv in &span.attributes {
            out.push_str(&format!(" {}={}", kv.key, kv.value));
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn a_command_is_a_client_span_named_after_it() {
    let server = RedisServer::start();
    let spans = Spans::start();
    let client = Client::from_url(&format!("{}/3", server.url())).unwrap();
    client.set("otel:k", "v").await.unwrap();
    let _: Option<String> = client.get("otel:k").await.unwrap();

    let get = spans.named("GET");
    assert_eq!(get.span_kind, SpanKind::Client);
    assert_eq!(get.status, Status::Unset);
    let a = attrs(&get);
    assert_eq!(a["db.system.name"], s(server.kind().name()));
    assert_eq!(a["db.operation.name"], s("GET"));
    assert_eq!(a["db.namespace"], s("3"));
    assert_eq!(a["server.address"], s("127.0.0.1"));
    assert_eq!(a["server.port"], i(server.port()));
    assert_eq!(a["network.peer.address"], s("127.0.0.1"));
    assert_eq!(a["network.peer.port"], i(server.port()));
    for absent in [
        "db.query.text",
        "error.type",
        "db.response.status_code",
        "db.operation.batch.size",
        "db.stored_procedure.name",
    ] {
        assert!(!a.contains_key(absent), "{absent} on {a:?}");
    }
    // A raw command is named by the table too.
    let _: Value = client.call(("client", "id")).await.unwrap();
    assert_eq!(
        attrs(&spans.named("CLIENT ID"))["db.operation.name"],
        s("CLIENT ID")
    );
}

#[tokio::test]
async fn a_failed_command_carries_the_error_prefix() {
    let server = RedisServer::start();
    let spans = Spans::start();
    let client = Client::from_url(&server.url()).unwrap();
    client.set("otel:text", "not a number").await.unwrap();
    let e = client.incr("otel:text").await.unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    let _: Value = client
        .call(("LPUSH", "otel:text", "x"))
        .await
        .unwrap_or(Value::Nil);

    let incr = spans.named("INCR");
    assert!(
        matches!(incr.status, Status::Error { .. }),
        "{:?}",
        incr.status
    );
    let a = attrs(&incr);
    assert_eq!(a["error.type"], s("ERR"));
    assert_eq!(a["db.response.status_code"], s("ERR"));
    let lpush = attrs(&spans.named("LPUSH"));
    assert_eq!(lpush["error.type"], s("WRONGTYPE"));
    assert_eq!(lpush["db.response.status_code"], s("WRONGTYPE"));

    // A failure on our side has a kind, and no status code.
    let silent = RedisServer::start();
    let client = Client::builder()
        .url(&silent.url())
        .read_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    client.set("k", "v").await.unwrap();
    silent.cli(&["CLIENT", "PAUSE", "2000", "ALL"]);
    let e = client.get::<Option<String>>("k").await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let a = attrs(&spans.named("GET"));
    assert_eq!(a["error.type"], s("timeout"));
    assert!(!a.contains_key("db.response.status_code"), "{a:?}");
}

#[tokio::test]
async fn pipelines_and_transactions_are_one_span() {
    let server = RedisServer::start();
    let spans = Spans::start();
    let client = Client::from_url(&server.url()).unwrap();

    let _: (i64, i64) = client
        .pipeline()
        .incr("p:a")
        .incr("p:b")
        .query()
        .await
        .unwrap();
    let _: ((), Option<String>) = client
        .pipeline()
        .set("p:c", "1")
        .get("p:c")
        .query()
        .await
        .unwrap();
    let _: (i64, i64) = client
        .pipeline()
        .incr("p:a")
        .incr("p:a")
        .atomic()
        .query()
        .await
        .unwrap();

    let same = attrs(&spans.named("PIPELINE INCR"));
    assert_eq!(same["db.operation.name"], s("PIPELINE INCR"));
    assert_eq!(same["db.operation.batch.size"], OtelValue::I64(2));
    let mixed = attrs(&spans.named("PIPELINE"));
    assert_eq!(mixed["db.operation.batch.size"], OtelValue::I64(2));
    let multi = spans.named("MULTI");
    assert_eq!(multi.span_kind, SpanKind::Client);
    assert_eq!(attrs(&multi)["db.operation.batch.size"], OtelValue::I64(2));
    // The commands inside have no spans of their own.
    assert!(spans
        .all()
        .iter()
        .all(|s| s.name != "INCR" && s.name != "SET"));
}

#[tokio::test]
async fn a_blocking_command_reports_the_side_connection_it_ran_on() {
    let server = RedisServer::start();
    let spans = Spans::start();
    let client = Client::from_url(&server.url()).unwrap();
    let none: Value = client.call(("BLPOP", "otel:empty", "0.1")).await.unwrap();
    assert_eq!(none, Value::Nil);
    let a = attrs(&spans.named("BLPOP"));
    assert_eq!(a["db.operation.name"], s("BLPOP"));
    assert_eq!(a["network.peer.port"], i(server.port()));
    assert_eq!(a["network.peer.address"], s("127.0.0.1"));
    assert!(!a.contains_key("error.type"));
}

#[tokio::test]
async fn scripts_and_functions_name_their_procedure() {
    let server = RedisServer::start();
    let spans = Spans::start();
    let client = Client::from_url(&server.url()).unwrap();
    let sha: String = client
        .call_as(("SCRIPT", "LOAD", "return 1"))
        .await
        .unwrap();
    let one: i64 = client.call_as(("EVALSHA", sha.as_str(), 0)).await.unwrap();
    assert_eq!(one, 1);
    let a = attrs(&spans.named("EVALSHA"));
    assert_eq!(a["db.stored_procedure.name"], s(&sha));
    assert!(!attrs(&spans.named("SCRIPT LOAD")).contains_key("db.stored_procedure.name"));
}

#[tokio::test]
async fn no_secret_or_value_appears_without_query_text() {
    let server = RedisServer::builder().password("hunter2-secret").start();
    let spans = Spans::start();
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}/0", server.port());
    let client = Client::from_url(&url).unwrap();
    client
        .set("otel:secret-key", "top-secret-value")
        .await
        .unwrap();
    let dedicated = client.dedicated().unwrap();
    let _: Value = dedicated
        .call(("AUTH", "default", "hunter2-secret"))
        .await
        .unwrap();
    let _: Value = dedicated
        .call(("CONFIG", "SET", "requirepass", "hunter2-secret"))
        .await
        .unwrap();
    let text = all_text(&spans.all());
    assert!(
        text.contains("SET") && text.contains("AUTH") && text.contains("CONFIG SET"),
        "{text}"
    );
    for secret in [
        "hunter2",
        "top-secret-value",
        "otel:secret-key",
        "requirepass",
    ] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
    assert!(!text.contains("db.query.text"), "{text}");
}

#[tokio::test]
async fn query_text_shows_names_tokens_and_keys_only() {
    let server = RedisServer::builder().password("hunter2-secret").start();
    let spans = Spans::start();
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}", server.port());
    let client = Client::builder()
        .url(&url)
        .telemetry(Telemetry::new().query_text(true))
        .build()
        .unwrap();
    let _: Value = client
        .call(("SET", "user:1", "top-secret-value", "EX", 100))
        .await
        .unwrap();
    let dedicated = client.dedicated().unwrap();
    let _: Value = dedicated
        .call(("AUTH", "default", "hunter2-secret"))
        .await
        .unwrap();
    let _: Value = dedicated
        .call(("HELLO", "3", "AUTH", "default", "hunter2-secret"))
        .await
        .unwrap();
    let _: ((), i64) = client
        .pipeline()
        .set("user:2", "top-secret-value")
        .incr("visits")
        .atomic()
        .query()
        .await
        .unwrap();
    assert_eq!(
        attrs(&spans.named("MULTI"))["db.query.text"],
        s("MULTI; SET user:2 ?; INCR visits; EXEC")
    );
    assert_eq!(
        attrs(&spans.named("SET"))["db.query.text"],
        s("SET user:1 ? EX ?")
    );
    assert_eq!(attrs(&spans.named("AUTH"))["db.query.text"], s("AUTH ? ?"));
    assert_eq!(
        attrs(&spans.named("HELLO"))["db.query.text"],
        s("HELLO ? AUTH ? ?")
    );
    let text = all_text(&spans.all());
    for secret in ["hunter2", "top-secret-value"] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_cluster_span_names_the_seed_and_the_node_that_answered() {
    let cluster = RedisCluster::start();
    let spans = Spans::start();
    let addrs = cluster.addrs();
    let client = addrs
        .iter()
        .fold(ClusterClient::builder(), |b, a| b.seed(a))
        .build()
        .unwrap();
    client.set("otel:{cluster}", "v").await.unwrap();

    let owner = cluster
        .nodes()
        .iter()
        .find(|n| n.cli(&["EXISTS", "otel:{cluster}"]) == "1")
        .expect("a primary holds the key");
    let seed_port: u16 = addrs[0].rsplit(':').next().unwrap().parse().unwrap();
    let set = spans.named("SET");
    assert_eq!(set.span_kind, SpanKind::Client);
    let a = attrs(&set);
    assert_eq!(a["server.address"], s("127.0.0.1"));
    assert_eq!(a["server.port"], i(seed_port));
    assert_eq!(a["network.peer.address"], s("127.0.0.1"));
    assert_eq!(a["network.peer.port"], i(owner.port()));
    assert_eq!(a["db.namespace"], s("0"));
}

/// A meter provider whose metrics the test reads back.
struct Metrics {
    exporter: InMemoryMetricExporter,
    provider: SdkMeterProvider,
}

impl Metrics {
    fn start() -> Metrics {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        Metrics { exporter, provider }
    }

    fn telemetry(&self) -> Telemetry {
        Telemetry::new().meter(self.provider.meter("tornadis-test"))
    }

    fn collect(&self) -> Vec<ResourceMetrics> {
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_metrics().unwrap()
    }
}

/// The data points of the latest export of metric `name`, as (attributes, value)
/// where value is a histogram's count or a sum's value.
fn points(
    metrics: &[ResourceMetrics],
    name: &str,
) -> Vec<(HashMap<String, OtelValue>, f64, Vec<f64>)> {
    let mut out = Vec::new();
    let Some(last) = metrics.last() else {
        return out;
    };
    let map = |a: &mut dyn Iterator<Item = &KeyValue>| {
        a.map(|kv| (kv.key.to_string(), kv.value.clone()))
            .collect::<HashMap<_, _>>()
    };
    for scope in last.scope_metrics() {
        for m in scope.metrics().filter(|m| m.name() == name) {
            match m.data() {
                AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                    for p in h.data_points() {
                        out.push((
                            map(&mut p.attributes()),
                            p.count() as f64,
                            p.bounds().collect(),
                        ));
                    }
                }
                AggregatedMetrics::I64(MetricData::Sum(sum)) => {
                    for p in sum.data_points() {
                        out.push((map(&mut p.attributes()), p.value() as f64, Vec::new()));
                    }
                }
                AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                    for p in sum.data_points() {
                        out.push((map(&mut p.attributes()), p.value() as f64, Vec::new()));
                    }
                }
                other => panic!("{name} has an unexpected shape: {other:?}"),
            }
        }
    }
    out
}

#[tokio::test]
async fn operation_duration_is_labelled_by_operation_server_and_error() {
    let server = RedisServer::start();
    let metrics = Metrics::start();
    let buckets = [0.0001, 0.0005, 0.001, 0.01, 0.1, 1.0];
    let client = Client::builder()
        .url(&server.url())
        .telemetry(metrics.telemetry().duration_buckets(buckets))
        .build()
        .unwrap();
    for _ in 0..3 {
        client.set("m:k", "secret-value").await.unwrap();
    }
    let _ = client.incr("m:k").await.unwrap_err();
    let _: (i64, i64) = client
        .pipeline()
        .incr("m:n")
        .incr("m:n")
        .query()
        .await
        .unwrap();

    let all = metrics.collect();
    let durations = points(&all, "db.client.operation.duration");
    let find = |op: &str| {
        durations
            .iter()
            .find(|(a, _, _)| a.get("db.operation.name") == Some(&s(op)))
            .unwrap_or_else(|| panic!("no {op} point in {durations:?}"))
    };
    let (set, count, bounds) = find("SET");
    assert_eq!(*count, 3.0);
    assert_eq!(bounds, &buckets);
    assert_eq!(set["db.system.name"], s(server.kind().name()));
    assert_eq!(set["server.address"], s("127.0.0.1"));
    assert_eq!(set["server.port"], i(server.port()));
    assert_eq!(set["db.namespace"], s("0"));
    assert!(!set.contains_key("error.type"));
    let (incr, count, _) = find("INCR");
    assert_eq!(*count, 1.0);
    assert_eq!(incr["error.type"], s("ERR"));
    assert_eq!(incr["db.response.status_code"], s("ERR"));
    find("PIPELINE INCR");
    // Never a key or a value.
    let text = format!("{durations:?}");
    assert!(
        !text.contains("m:k") && !text.contains("secret-value"),
        "{text}"
    );

    // The connection: opened once, idle now.
    let pool = format!("127.0.0.1:{}/0", server.port());
    let created = points(&all, "db.client.connection.create_time");
    assert!(
        created
            .iter()
            .any(|(a, n, _)| a["db.client.connection.pool.name"] == s(&pool) && *n >= 1.0),
        "{created:?}"
    );
    let count = points(&all, "db.client.connection.count");
    let state = |st: &str| {
        count
            .iter()
            .find(|(a, _, _)| {
                a["db.client.connection.state"] == s(st)
                    && a["db.client.connection.pool.name"] == s(&pool)
            })
            .map(|(_, n, _)| *n)
            .unwrap_or(0.0)
    };
    assert_eq!(state("idle"), 1.0, "{count:?}");
    assert_eq!(state("used"), 0.0, "{count:?}");
    client.disconnect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let all = metrics.collect();
    let count = points(&all, "db.client.connection.count");
    let open: f64 = count
        .iter()
        .filter(|(a, _, _)| a["db.client.connection.pool.name"] == s(&pool))
        .map(|(_, n, _)| n)
        .sum();
    assert_eq!(open, 0.0, "{count:?}");
}

#[tokio::test]
async fn pool_borrows_report_wait_time_pending_requests_and_timeouts() {
    let server = RedisServer::start();
    let metrics = Metrics::start();
    let config = tornadis::Config::builder()
        .url(&server.url())
        .telemetry(metrics.telemetry())
        .build()
        .unwrap();
    let pool = ClientPool::builder()
        .config(config)
        .max_size(1)
        .acquire_timeout(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let lent = pool.get_connected_client().await.unwrap();
    let e = pool.get_connected_client().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    drop(lent);
    let _again = pool.get_connected_client().await.unwrap();

    let all = metrics.collect();
    let name = s(&format!("127.0.0.1:{}/0", server.port()));
    let waits = points(&all, "db.client.connection.wait_time");
    assert!(
        waits
            .iter()
            .any(|(a, n, _)| a["db.client.connection.pool.name"] == name && *n == 2.0),
        "{waits:?}"
    );
    let timeouts = points(&all, "db.client.connection.timeouts");
    assert!(
        timeouts
            .iter()
            .any(|(a, n, _)| a["db.client.connection.pool.name"] == name && *n == 1.0),
        "{timeouts:?}"
    );
    let pending = points(&all, "db.client.connection.pending_requests");
    assert!(
        pending.iter().all(|(_, n, _)| *n == 0.0) && !pending.is_empty(),
        "{pending:?}"
    );
}

/// A `valkey-server` of its own (from `VALKEY_SERVER`, else
/// `/opt/valkey/bin/valkey-server`), killed on drop.
struct Valkey {
    child: std::process::Child,
    port: u16,
    _dir: std::path::PathBuf,
}

impl Drop for Valkey {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn start_valkey() -> Option<Valkey> {
    let binary = std::env::var_os("VALKEY_SERVER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/opt/valkey/bin/valkey-server".into());
    if !binary.exists() {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("tornadis-otel-valkey-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let child = std::process::Command::new(&binary)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no", "--dir"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = Valkey {
        child,
        port,
        _dir: dir,
    };
    tornadis_tests::wait::wait_until(Duration::from_secs(10), "valkey-server to answer", || {
        tornadis_tests::raw::ping_tcp(("127.0.0.1", port), &Default::default())
    })
    .unwrap();
    Some(server)
}

#[tokio::test]
async fn a_valkey_server_is_named_valkey() {
    let Some(valkey) = start_valkey() else {
        eprintln!("no valkey-server (set VALKEY_SERVER): nothing to check");
        return;
    };
    let spans = Spans::start();
    let client = Client::from_url(&format!("redis://127.0.0.1:{}", valkey.port)).unwrap();
    client.set("otel:k", "v").await.unwrap();
    let _: Option<String> = client.get("otel:k").await.unwrap();
    // The first span may start before the handshake; it is named once the
    // reply came, and every later one from the start.
    for name in ["SET", "GET"] {
        let a = attrs(&spans.named(name));
        assert_eq!(a["db.system.name"], s("valkey"), "{name}: {a:?}");
        assert_eq!(a["network.peer.port"], i(valkey.port));
    }
}

#[tokio::test]
async fn a_pipeline_with_a_failed_command_reports_the_failure() {
    let server = RedisServer::start();
    let spans = Spans::start();
    let client = Client::from_url(&server.url()).unwrap();
    let mut pipeline = tornadis::Pipeline::new();
    pipeline
        .stack_call(("SET", "p:text", "abc"))
        .stack_call(("INCR", "p:text"))
        .stack_call(("GET", "p:text"));
    let replies = client.call_pipeline(&pipeline).await.unwrap();
    assert!(replies[1].is_err());
    let span = spans.named("PIPELINE");
    assert!(
        matches!(span.status, Status::Error { .. }),
        "{:?}",
        span.status
    );
    let a = attrs(&span);
    assert_eq!(a["error.type"], s("ERR"));
    assert_eq!(a["db.operation.batch.size"], OtelValue::I64(3));
}

/// A pub/sub client's connection reports through the same hooks as a
/// client's: its creation time, and one idle connection while it is open.
#[tokio::test]
async fn a_pubsub_connection_reports_its_creation_and_count() {
    let server = RedisServer::start();
    let metrics = Metrics::start();
    let pubsub = tornadis::PubSubClient::builder()
        .url(&server.url())
        .telemetry(metrics.telemetry())
        .build()
        .unwrap();
    pubsub.pubsub_subscribe("m:news").await.unwrap();
    let pool = format!("127.0.0.1:{}/0", server.port());
    let open = |all: &[ResourceMetrics]| -> f64 {
        points(all, "db.client.connection.count")
            .iter()
            .filter(|(a, _, _)| a["db.client.connection.pool.name"] == s(&pool))
            .map(|(_, n, _)| n)
            .sum()
    };
    let all = metrics.collect();
    let created = points(&all, "db.client.connection.create_time");
    assert!(
        created
            .iter()
            .any(|(a, n, _)| a["db.client.connection.pool.name"] == s(&pool) && *n == 1.0),
        "{created:?}"
    );
    assert_eq!(open(&all), 1.0);
    pubsub.disconnect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(open(&metrics.collect()), 0.0);
}
