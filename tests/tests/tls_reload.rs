//! TLS files reloaded: a certificate authority and a client certificate
//! rotated on disk are used by the next connection, without rebuilding the
//! client. The server is restarted with certificates from a new CA (and
//! asks clients for certificates from that CA); until the client's files
//! are replaced its connections are refused, then they work again.

use std::path::Path;
use std::time::Duration;

use tornadis::{Client, ConnectionEvent, TlsConfig};
use tornadis_tests::{ClientAuth, RedisServer, TestCerts};

/// Replaces `path` with `contents` the way rotations do: a new file renamed over it.
fn replace(path: &Path, contents: &str) {
    let next = path.with_extension("new");
    std::fs::write(&next, contents).unwrap();
    std::fs::rename(&next, path).unwrap();
}

#[tokio::test]
async fn rotated_ca_and_client_certificate_files_are_used_by_the_next_connection() {
    let first = TestCerts::generate();
    let mut server = RedisServer::builder()
        .tls(first.clone())
        .tls_client_auth(ClientAuth::Required)
        .start();
    let files = server.dir().join("client-files");
    std::fs::create_dir_all(&files).unwrap();
    let (ca, cert, key) = (
        files.join("ca.pem"),
        files.join("client.crt"),
        files.join("client.key"),
    );
    replace(&ca, &first.ca_pem);
    replace(&cert, &first.client_cert_pem);
    replace(&key, &first.client_key_pem);

    let client = Client::builder()
        .url(&server.tls_url())
        .tls(TlsConfig::new().ca_file(&ca).client_cert_files(&cert, &key))
        .connect_timeout(Duration::from_secs(5))
        // Refused attempts are retried this long (each one reads the files again).
        .reconnect_wait(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut events = client.events();
    client.call(("SET", "rotation", "first")).await.unwrap();
    assert_eq!(client.connection_count(), 1);

    // The server moves to a new CA: its certificate and the client
    // certificates it accepts come from there.
    let second = TestCerts::generate();
    server.replace_tls_certs(second.clone());
    server.restart();
    // The old connection's end is seen first.
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await;
        match event.expect("no disconnect within 10 s") {
            Some(ConnectionEvent::Disconnected { .. }) => break,
            Some(_) => {}
            None => panic!("the events ended"),
        }
    }

    // The client's files still hold the old CA: refused, and said so.
    let e = client.call("PING").await.unwrap_err();
    assert!(e.is_connection(), "{e}");
    assert!(e.to_string().contains("ca_pem or ca_file"), "{e}");

    // Only the CA file rotated: the server's certificate is trusted now,
    // but the old client certificate is not accepted by the server.
    replace(&ca, &second.ca_pem);
    let e = client.call("PING").await.unwrap_err();
    assert!(e.is_connection(), "{e}");
    assert!(!e.to_string().contains("ca_pem or ca_file"), "{e}");

    // The client certificate and key rotated too: the next connection works.
    replace(&cert, &second.client_cert_pem);
    replace(&key, &second.client_key_pem);
    let got: Option<String> = client.call_as(("GET", "rotation")).await.unwrap();
    // A restart without persistence keeps nothing; the point is the connection.
    assert!(got.is_none() || got.as_deref() == Some("first"));
    client.call(("SET", "rotation", "second")).await.unwrap();
    assert_eq!(server.cli(&["GET", "rotation"]), "second");
    assert_eq!(client.connection_count(), 2);

    // Unchanged files: reconnects reuse the loaded configuration.
    client.disconnect();
    client.call("PING").await.unwrap();
    assert_eq!(client.connection_count(), 3);
}
