//! Credentials providers against real servers: asked before every
//! connection attempt by clients, pub/sub clients, pool members, cluster
//! nodes and sentinel data connections; a failing or hanging provider is an
//! authentication error within the connect timeout; secrets never shown.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tornadis::cluster::ClusterClient;
use tornadis::sentinel::SentinelClient;
use tornadis::{
    credentials_fn, Client, ClientPool, Config, ConnectionEvent, ConnectionEvents, Credentials,
    CredentialsProvider, PubSubClient,
};
use tornadis_tests::{RedisCluster, RedisServer, SentinelGroup};

const USER: &str = "rotating";
const FIRST: &str = "First-5d1e-Distinctive";
const SECOND: &str = "Second-8c2f-Distinctive";

/// A provider whose password a test changes, counting how often it is asked.
#[derive(Clone, Default)]
struct Rotating {
    password: Arc<Mutex<String>>,
    asked: Arc<AtomicUsize>,
    /// What the credentials say about refreshing.
    refresh: Option<Duration>,
}

impl Rotating {
    fn new(password: &str) -> Rotating {
        let r = Rotating::default();
        r.set(password);
        r
    }

    fn set(&self, password: &str) {
        *self.password.lock().unwrap() = password.to_string();
    }

    fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }

    fn provider(&self) -> impl CredentialsProvider {
        let this = self.clone();
        credentials_fn(move || {
            let this = this.clone();
            async move {
                this.asked.fetch_add(1, Ordering::SeqCst);
                let password = this.password.lock().unwrap().clone();
                let creds = Credentials::new(USER, password);
                Ok(match this.refresh {
                    Some(after) => creds.refresh_after(after),
                    None => creds,
                })
            }
        })
    }
}

fn acl_server() -> RedisServer {
    RedisServer::builder()
        .acl_user(USER, FIRST, "+@all ~* &*")
        .start()
}

fn config(port: u16, provider: impl CredentialsProvider) -> Config {
    Config::builder()
        .port(port)
        .credentials_provider(provider)
        .build()
        .unwrap()
}

async fn whoami(client: &Client) -> String {
    client.call_as(("ACL", "WHOAMI")).await.unwrap()
}

#[tokio::test]
async fn every_new_connection_asks_the_provider() {
    let server = acl_server();
    let rotating = Rotating::new(FIRST);
    let client = Client::new(config(server.port(), rotating.provider())).unwrap();
    assert_eq!(whoami(&client).await, USER);
    assert_eq!(rotating.asked(), 1);

    // The password changes on the server and in the provider: the live
    // connection goes on, and a new one uses the new password.
    server.cli(&["ACL", "SETUSER", USER, "resetpass", &format!(">{SECOND}")]);
    rotating.set(SECOND);
    assert_eq!(whoami(&client).await, USER);
    let dedicated = client.dedicated().unwrap();
    assert_eq!(whoami(&dedicated).await, USER);
    assert_eq!(rotating.asked(), 2);

    // A reconnect asks again.
    client.disconnect();
    while client.is_connected() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(whoami(&client).await, USER);
    assert_eq!(rotating.asked(), 3);
    assert_eq!(client.connection_count(), 2);

    // Nothing shows the secret.
    let text = format!("{:?} {:?} {client:?}", client.config(), dedicated.config());
    assert!(!text.contains(SECOND) && !text.contains(FIRST), "{text}");
}

#[tokio::test]
async fn a_refused_password_from_the_provider_is_an_auth_error_at_once() {
    let server = acl_server();
    let rotating = Rotating::new("Wrong-Distinctive");
    let client = Client::new(config(server.port(), rotating.provider())).unwrap();
    let start = Instant::now();
    let e = client.call("PING").await.unwrap_err();
    assert!(e.is_auth(), "{e}");
    assert_eq!(e.code(), Some("WRONGPASS"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "not retried for the reconnect wait: {:?}",
        start.elapsed()
    );
    assert!(!format!("{e} {e:?}").contains("Wrong-Distinctive"), "{e:?}");
    // Fixed in the provider: the next request asks again and works.
    rotating.set(FIRST);
    assert_eq!(whoami(&client).await, USER);
}

#[tokio::test]
async fn a_failing_provider_is_an_auth_error_within_the_connect_timeout() {
    let server = acl_server();
    let failing =
        credentials_fn(|| async { Err::<Credentials, _>("the token service is down".into()) });
    // Defaults otherwise: the connect timeout is what bounds the wait.
    let client = Client::new(config(server.port(), failing)).unwrap();
    let start = Instant::now();
    let e = client.call("PING").await.unwrap_err();
    assert!(e.is_auth(), "{e}");
    assert_eq!(e.code(), None, "no server reply is involved: {e}");
    assert!(e.to_string().contains("credentials provider failed"), "{e}");
    assert!(e.to_string().contains("the token service is down"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(!client.is_connected());

    // One that never answers is cut by the connect timeout.
    let hanging = credentials_fn(std::future::pending);
    let client = Client::builder()
        .port(server.port())
        .connect_timeout(Duration::from_millis(400))
        .credentials_provider(hanging)
        .build()
        .unwrap();
    let start = Instant::now();
    let e = client.call("PING").await.unwrap_err();
    let took = start.elapsed();
    assert!(e.is_auth(), "{e}");
    assert!(e.to_string().contains("did not answer"), "{e}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_millis(1500),
        "{took:?}"
    );

    // The same on a pub/sub client.
    let failing = credentials_fn(|| async { Err::<Credentials, _>("no token".into()) });
    let pubsub = PubSubClient::new(config(server.port(), failing)).unwrap();
    let start = Instant::now();
    let e = pubsub.pubsub_subscribe("news").await.unwrap_err();
    assert!(e.is_auth(), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn pubsub_clients_and_pool_members_ask_the_provider() {
    let server = acl_server();
    let rotating = Rotating::new(FIRST);

    let pubsub = PubSubClient::new(config(server.port(), rotating.provider())).unwrap();
    pubsub.pubsub_subscribe("news").await.unwrap();
    assert_eq!(rotating.asked(), 1);
    let clients = server.cli(&["CLIENT", "LIST"]);
    assert!(clients.contains(&format!("user={USER}")), "{clients}");

    let pool = ClientPool::builder()
        .config(config(server.port(), rotating.provider()))
        .max_size(3)
        .build()
        .unwrap();
    let a = pool.connected_client().await.unwrap();
    let b = pool.connected_client().await.unwrap();
    assert_eq!(whoami(&a).await, USER);
    assert_eq!(whoami(&b).await, USER);
    assert_eq!(rotating.asked(), 3);
}

#[tokio::test]
async fn cluster_nodes_ask_the_provider() {
    let cluster =
        RedisCluster::start_with(RedisServer::builder().acl_user(USER, FIRST, "+@all ~* &*"));
    let rotating = Rotating::new(FIRST);
    let client = ClusterClient::builder()
        .seed(&cluster.addrs()[0])
        .config(config(1, rotating.provider()))
        .build()
        .unwrap();
    for i in 0..30 {
        let key = format!("creds:{i}");
        client.call(("SET", key.as_str(), i)).await.unwrap();
    }
    // One connection per primary at least (the slot map came from a seed).
    assert!(rotating.asked() >= 3, "asked {} times", rotating.asked());
    for node in cluster.nodes() {
        let list = node.cli(&["CLIENT", "LIST"]);
        if cluster
            .primaries()
            .iter()
            .any(|&p| cluster.node(p).port() == node.port())
        {
            assert!(list.contains(&format!("user={USER}")), "{list}");
        }
    }
}

#[tokio::test]
async fn sentinel_data_connections_ask_the_provider() {
    let group = SentinelGroup::start();
    for server in [group.primary(), group.replica()] {
        server.cli(&[
            "ACL",
            "SETUSER",
            USER,
            "on",
            &format!(">{FIRST}"),
            "+@all",
            "~*",
        ]);
    }
    let rotating = Rotating::new(FIRST);
    let sentinel = SentinelClient::builder()
        .sentinels(group.sentinel_addrs())
        .service(group.master_name())
        .config(config(1, rotating.provider()))
        .build()
        .unwrap();
    let primary = sentinel.primary();
    assert_eq!(whoami(&primary).await, USER);
    primary.call(("SET", "creds:sentinel", "v")).await.unwrap();
    assert_eq!(group.primary().cli(&["GET", "creds:sentinel"]), "v");
    // The sentinels themselves were not asked with the data credentials:
    // only the data connection (and any role probe) counts.
    assert!(rotating.asked() >= 1);
}

/// Waits for `n` `Reauthenticated` events; panics on `ReauthFailed`.
async fn reauthenticated(events: &mut ConnectionEvents, n: usize) {
    let mut seen = 0;
    while seen < n {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Some(ConnectionEvent::Reauthenticated { .. })) => seen += 1,
            Ok(Some(ConnectionEvent::ReauthFailed { error, .. })) => panic!("{error}"),
            Ok(Some(_)) => {}
            Ok(None) => panic!("the events ended"),
            Err(_) => panic!("only {seen} of {n} re-authentications within 5 s"),
        }
    }
}

/// An ACL user's password rotated with `ACL SETUSER` while four tasks keep
/// issuing requests: two on a shared client, two on long-lived pooled
/// clients, each also opening a new connection every so often. New
/// connections take the new password from the provider, live ones are
/// re-authenticated on schedule (without reconnecting), and no request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_rotation_under_load_fails_no_request() {
    let server = acl_server();
    let mut rotating = Rotating::new(FIRST);
    rotating.refresh = Some(Duration::from_millis(200));
    let config = config(server.port(), rotating.provider());
    let client = Client::new(config.clone()).unwrap();
    let pool = ClientPool::builder()
        .config(config)
        .max_size(2)
        .build()
        .unwrap();
    let mut client_events = client.events();
    let mut pool_events = pool.events();
    client.call("PING").await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for t in 0..4 {
        let stop = stop.clone();
        let client = client.clone();
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let pooled = match t {
                0 | 1 => None,
                _ => Some(pool.connected_client().await.unwrap()),
            };
            let mut done = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let on: &Client = pooled.as_deref().unwrap_or(&client);
                let n: i64 = on.call_as(("INCR", "rotation:n")).await.unwrap();
                assert!(n > 0);
                done += 1;
                if done % 50 == 0 {
                    // A new connection, authenticated by the provider now.
                    let fresh = on.dedicated().unwrap();
                    let who: String = fresh.call_as(("ACL", "WHOAMI")).await.unwrap();
                    assert_eq!(who, USER);
                }
            }
            let pooled_connects = pooled.as_ref().map(|p| p.connection_count());
            (done, pooled_connects)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The rotation: the server accepts both, the provider hands out the
    // new one, the live connections take it, then the old one goes.
    server.cli(&["ACL", "SETUSER", USER, &format!(">{SECOND}")]);
    rotating.set(SECOND);
    // Two rounds each: the second surely fetched after the switch.
    reauthenticated(&mut client_events, 2).await;
    reauthenticated(&mut pool_events, 4).await;
    server.cli(&["ACL", "SETUSER", USER, &format!("<{FIRST}")]);
    tokio::time::sleep(Duration::from_millis(800)).await;
    reauthenticated(&mut client_events, 1).await;

    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for task in tasks {
        let (done, pooled_connects) = task.await.unwrap();
        assert!(done > 20, "a task made only {done} requests");
        if let Some(connects) = pooled_connects {
            assert_eq!(connects, 1, "a pooled connection was reopened");
        }
        total += done;
    }
    eprintln!(
        "{total} requests during the rotation, provider asked {} times",
        rotating.asked()
    );
    assert_eq!(client.connection_count(), 1, "the live connection was kept");
    let n: u64 = server.cli(&["GET", "rotation:n"]).parse().unwrap();
    assert_eq!(n, total, "every request ran once");
    // Nothing ever presented a refused password.
    assert_eq!(
        server.cli(&["ACL", "LOG"]),
        "",
        "failed authentications logged"
    );
    // The old password is really gone: a refresh with it would fail.
    let old = Client::builder()
        .port(server.port())
        .username(USER)
        .password(FIRST)
        .build()
        .unwrap();
    let e = old.call("PING").await.unwrap_err();
    assert_eq!(e.code(), Some("WRONGPASS"), "{e}");
}

/// A refresh the server refuses is reported, and the connection stays up,
/// authenticated as before: the `AUTH` really went to the server (its ACL
/// log shows the failure).
#[tokio::test]
async fn a_refused_refresh_is_reported_and_the_connection_stays() {
    let server = acl_server();
    let mut rotating = Rotating::new(FIRST);
    rotating.refresh = Some(Duration::from_millis(150));
    let client = Client::new(config(server.port(), rotating.provider())).unwrap();
    let mut events = client.events();
    assert_eq!(whoami(&client).await, USER);
    reauthenticated(&mut events, 1).await;
    rotating.set("Not-The-Password-Distinctive");
    let error = loop {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Some(ConnectionEvent::ReauthFailed { error, .. })) => break error,
            Ok(Some(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(error.is_auth(), "{error}");
    assert_eq!(error.code(), Some("WRONGPASS"), "{error}");
    assert!(
        !format!("{error} {error:?}").contains("Not-The-Password"),
        "{error:?}"
    );
    assert_eq!(whoami(&client).await, USER);
    assert_eq!(client.connection_count(), 1);
    let log = server.cli(&["ACL", "LOG"]);
    assert!(log.contains("auth"), "{log}");
}

/// A refresh never lands inside a transaction: while a dedicated
/// connection is between MULTI and EXEC, its AUTH waits, so EXEC answers
/// exactly the commands queued; afterwards the refresh goes through.
#[tokio::test]
async fn a_refresh_waits_for_an_open_transaction() {
    let server = acl_server();
    let mut rotating = Rotating::new(FIRST);
    rotating.refresh = Some(Duration::from_millis(100));
    let client = Client::new(config(server.port(), rotating.provider())).unwrap();
    let conn = client.dedicated().unwrap();
    let mut events = conn.events();
    conn.call("PING").await.unwrap();
    conn.call("MULTI").await.unwrap();
    conn.call(("INCR", "txn:n")).await.unwrap();
    // Several refresh periods pass with the transaction open.
    tokio::time::sleep(Duration::from_millis(450)).await;
    conn.call(("INCR", "txn:n")).await.unwrap();
    let replies: Vec<i64> = conn.call_as("EXEC").await.unwrap();
    assert_eq!(replies, vec![1, 2]);
    assert!(
        matches!(
            tokio::time::timeout(Duration::from_millis(100), events.recv()).await,
            Ok(Some(ConnectionEvent::Connected { .. })) | Err(_)
        ),
        "nothing but the connection's opening before EXEC"
    );
    reauthenticated(&mut events, 1).await;
    assert_eq!(conn.connection_count(), 1);
}
