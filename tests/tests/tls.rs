//! TLS against a real redis-server with a TLS listener and certificates
//! generated for each test: `rediss://` URLs, custom CAs, mutual TLS, the
//! server name override, clear errors for each misconfiguration, and the
//! unix socket left alone.

use std::time::Duration;

use tornadis::{Client, Config, ErrorKind, PubSubClient, TlsConfig, Value};
use tornadis_tests::{ClientAuth, RedisServer, TestCerts};

fn tls_server(certs: &TestCerts) -> RedisServer {
    RedisServer::builder().tls(certs.clone()).start()
}

fn client_with(url: &str, tls: TlsConfig) -> Client {
    Client::builder()
        .url(url)
        .tls(tls)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// SET then GET through `client`, and check through the server's plain
/// port that the value landed there.
async fn set_get(client: &Client, server: &RedisServer, key: &str) {
    let value = format!("value of {key}");
    let ok = client.call(("SET", key, value.as_str())).await.unwrap();
    assert_eq!(ok, Value::SimpleString("OK".into()));
    let got: String = client.call_as(("GET", key)).await.unwrap();
    assert_eq!(got, value);
    assert_eq!(server.cli(&["GET", key]), value);
}

/// Opens the client's connection and returns the error it must fail with.
async fn connect_error(client: &Client) -> tornadis::Error {
    match client.connect().await {
        Ok(()) => panic!("connecting should have failed"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn rediss_url_with_custom_ca() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let client = client_with(&server.tls_url(), TlsConfig::new().ca_pem(&certs.ca_pem));
    set_get(&client, &server, "over-tls").await;
    assert!(client.config().uses_tls());

    // A reply far larger than one TLS record (16 KiB) arrives intact.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    client.call(("SET", "big", big.as_slice())).await.unwrap();
    let back = client.call(("GET", "big")).await.unwrap();
    assert_eq!(back, Value::Bulk(big.into()));
}

#[tokio::test]
async fn password_and_db_over_tls_and_ca_from_a_file() {
    let certs = TestCerts::generate();
    let server = RedisServer::builder()
        .password("tls-s3cret")
        .tls(certs.clone())
        .start();
    let ca_path = server.dir().join("client-side-ca.pem");
    std::fs::write(&ca_path, &certs.ca_pem).unwrap();
    // By name rather than IP: the certificate lists both.
    let url = format!(
        "rediss://:tls-s3cret@localhost:{}/3",
        server.tls_port().unwrap()
    );
    let client = client_with(&url, TlsConfig::new().ca_file(&ca_path));
    client.call(("SET", "k", "in db 3")).await.unwrap();
    assert_eq!(server.cli(&["-n", "3", "GET", "k"]), "in db 3");
}

#[tokio::test]
async fn mutual_tls_with_a_client_certificate() {
    let certs = TestCerts::generate();
    let server = RedisServer::builder()
        .tls(certs.clone())
        .tls_client_auth(ClientAuth::Required)
        .start();
    let tls = TlsConfig::new()
        .ca_pem(&certs.ca_pem)
        .client_cert_pem(&certs.client_cert_pem, &certs.client_key_pem);
    let client = client_with(&server.tls_url(), tls);
    set_get(&client, &server, "mtls").await;
}

#[tokio::test]
async fn mutual_tls_without_a_client_certificate_fails_clearly() {
    let certs = TestCerts::generate();
    let server = RedisServer::builder()
        .tls(certs.clone())
        .tls_client_auth(ClientAuth::Required)
        .start();
    let client = client_with(&server.tls_url(), TlsConfig::new().ca_pem(&certs.ca_pem));
    let e = connect_error(&client).await;
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    let text = e.to_string();
    assert!(text.contains("client certificate"), "{text}");
    assert!(text.contains("client_cert_pem"), "{text}");
    // Requests fail the same way rather than hang.
    let e = client.call(("PING",)).await.unwrap_err();
    assert!(e.is_connection() || e.is_timeout(), "{e}");
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_refused() {
    let certs = TestCerts::generate();
    let stranger = TestCerts::generate();
    let server = RedisServer::builder()
        .tls(certs.clone())
        .tls_client_auth(ClientAuth::Required)
        .start();
    let tls = TlsConfig::new()
        .ca_pem(&certs.ca_pem)
        .client_cert_pem(&stranger.client_cert_pem, &stranger.client_key_pem);
    let e = connect_error(&client_with(&server.tls_url(), tls)).await;
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    assert!(e.to_string().contains("client certificate"), "{e}");
}

#[tokio::test]
async fn wrong_ca_is_a_clear_connection_error() {
    let certs = TestCerts::generate();
    let other = TestCerts::generate();
    let server = tls_server(&certs);
    let client = client_with(&server.tls_url(), TlsConfig::new().ca_pem(&other.ca_pem));
    let e = connect_error(&client).await;
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    let text = e.to_string();
    assert!(text.contains("certificate verification failed"), "{text}");
    assert!(text.contains("not signed by a trusted CA"), "{text}");
    assert!(text.contains("TlsConfig::ca_pem"), "{text}");
}

#[tokio::test]
async fn rediss_url_alone_does_not_trust_a_private_ca() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let client = Client::from_url(&server.tls_url()).unwrap();
    let e = connect_error(&client).await;
    // Without a root feature there are no default roots (a client error that
    // says so); with one, the private CA is not among them.
    assert!(e.is_client() || e.is_connection(), "{e}");
    assert!(e.to_string().contains("TlsConfig::ca_pem"), "{e}");
}

#[tokio::test]
async fn server_name_override_verifies_against_that_name() {
    // The certificate names neither 127.0.0.1 nor localhost.
    let certs = TestCerts::for_server_names(&["redis.tornadis.test"]);
    let server = tls_server(&certs);

    let plain = client_with(&server.tls_url(), TlsConfig::new().ca_pem(&certs.ca_pem));
    let e = connect_error(&plain).await;
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    let text = e.to_string();
    assert!(text.contains("not valid for \"127.0.0.1\""), "{text}");
    assert!(text.contains("TlsConfig::server_name"), "{text}");

    let named = client_with(
        &server.tls_url(),
        TlsConfig::new()
            .ca_pem(&certs.ca_pem)
            .server_name("redis.tornadis.test"),
    );
    set_get(&named, &server, "sni").await;
}

#[tokio::test]
async fn an_ip_address_must_be_listed_in_the_certificate() {
    let certs = TestCerts::for_server_names(&["localhost"]);
    let server = tls_server(&certs);
    let by_ip = client_with(&server.tls_url(), TlsConfig::new().ca_pem(&certs.ca_pem));
    let e = connect_error(&by_ip).await;
    assert!(e.to_string().contains("not valid for"), "{e}");
    let by_name = client_with(
        &format!("rediss://localhost:{}", server.tls_port().unwrap()),
        TlsConfig::new().ca_pem(&certs.ca_pem),
    );
    set_get(&by_name, &server, "by-name").await;
}

#[tokio::test]
async fn tls_to_a_plain_port_fails_and_does_not_hang() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let client = Client::builder()
        .url(&server.url())
        .tls(TlsConfig::new().ca_pem(&certs.ca_pem))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    // Redis may answer the TLS hello with an error line (not TLS) or wait for
    // the rest of an inline command (then the connect timeout ends it).
    let e = tokio::time::timeout(Duration::from_secs(10), connect_error(&client))
        .await
        .expect("connect_timeout must bound the attempt");
    assert!(e.is_connection() || e.is_timeout(), "{e}");
}

#[tokio::test]
async fn unix_socket_is_unaffected_by_tls_settings() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let client = Client::builder()
        .unix_socket(server.unix_socket())
        .tls(TlsConfig::new().ca_file("/nonexistent/never-read.pem"))
        .build()
        .unwrap();
    set_get(&client, &server, "unix").await;
}

#[tokio::test]
async fn reconnects_over_tls_after_a_server_restart() {
    let certs = TestCerts::generate();
    let mut server = tls_server(&certs);
    let client = client_with(&server.tls_url(), TlsConfig::new().ca_pem(&certs.ca_pem));
    set_get(&client, &server, "before").await;
    server.restart();
    let mut last = None;
    for _ in 0..50 {
        match client.call(("SET", "after", "1")).await {
            Ok(_) => {
                last = None;
                break;
            }
            Err(e) => {
                assert!(e.is_connection() || e.is_timeout(), "{e}");
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert!(last.is_none(), "no reconnect: {last:?}");
    set_get(&client, &server, "after").await;
    assert!(client.connection_count() >= 2);
}

#[tokio::test]
async fn pubsub_over_tls() {
    let certs = TestCerts::generate();
    let server = tls_server(&certs);
    let sub = PubSubClient::builder()
        .url(&server.tls_url())
        .tls(TlsConfig::new().ca_pem(&certs.ca_pem))
        .build()
        .unwrap();
    sub.pubsub_subscribe("news").await.unwrap();
    assert_eq!(server.cli(&["PUBLISH", "news", "hello"]), "1");
    let msg = sub
        .pubsub_pop_message(Some(Duration::from_secs(5)))
        .await
        .unwrap()
        .expect("a message within 5 s");
    assert_eq!(&msg.payload()[..], b"hello");
}

#[test]
fn debug_output_hides_passwords_and_keys() {
    let certs = TestCerts::generate();
    let config = Config::builder()
        .url("rediss://app:hunter2-secret@127.0.0.1:6390")
        .tls(
            TlsConfig::new()
                .ca_pem(&certs.ca_pem)
                .client_cert_pem(&certs.client_cert_pem, &certs.client_key_pem),
        )
        .build()
        .unwrap();
    let key_body = certs
        .client_key_pem
        .lines()
        .find(|l| !l.starts_with("-----"))
        .unwrap();
    for text in [format!("{config:?}"), format!("{config:#?}")] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains(key_body), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        assert!(text.contains("TlsConfig"), "{text}");
    }
    let e = Config::from_url("rediss://app:hunter2-secret@127.0.0.1:0").unwrap_err();
    assert!(!format!("{e} {e:?}").contains("hunter2"));
}
