//! ACL users and secrets: commands an ACL user may not run come back as
//! `NOPERM` server errors on a connection that stays usable, and passwords
//! never appear in the `Debug` or `Display` output of configurations,
//! builders, URLs, clients or errors.

use std::time::Duration;

use tornadis::{Client, ClientPool, Config, ErrorKind, Protocol, PubSubClient, Secret, Value};
use tornadis_tests::RedisServer;

/// A password that cannot appear in any output by accident.
const PASSWORD: &str = "Pw-7f3a9c-Distinctive";
const LIMITED_PASSWORD: &str = "Lim-2b8e41-Distinctive";

fn acl_server() -> RedisServer {
    RedisServer::builder()
        .password(PASSWORD)
        // May read and write keys under app:, and nothing else.
        .acl_user(
            "limited",
            LIMITED_PASSWORD,
            "-@all +get +set +hello +auth +ping ~app:*",
        )
        .start()
}

fn limited(server: &RedisServer, protocol: Protocol) -> Client {
    Client::builder()
        .port(server.port())
        .protocol(protocol)
        .username("limited")
        .password(LIMITED_PASSWORD)
        .build()
        .unwrap()
}

#[tokio::test]
async fn denied_commands_and_keys_are_noperm_server_errors() {
    let server = acl_server();
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let c = limited(&server, protocol);
        c.call(("SET", "app:k", "v")).await.unwrap();
        assert_eq!(
            c.call(("GET", "app:k")).await.unwrap(),
            Value::Bulk("v".into())
        );
        let denied: &[&[&str]] = &[
            &["DEL", "app:k"],
            &["FLUSHALL"],
            &["CONFIG", "GET", "maxmemory"],
            &["INCR", "app:n"],
            // An allowed command on a key outside the user's pattern.
            &["GET", "other:k"],
            &["SET", "other:k", "v"],
        ];
        for args in denied {
            let e = c.call(args.to_vec()).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Server, "{protocol:?} {args:?}: {e}");
            assert!(e.is_server());
            assert_eq!(e.code(), Some("NOPERM"), "{protocol:?} {args:?}: {e}");
            // Named as the spec table names it, with its subcommand.
            let named = match args[0] {
                "CONFIG" => "CONFIG GET",
                other => other,
            };
            assert_eq!(e.command(), Some(named), "{e}");
            // The connection is kept and still in step.
            let v = c.call(("GET", "app:k")).await.unwrap();
            assert_eq!(v, Value::Bulk("v".into()), "{protocol:?} after {args:?}");
        }
        assert_eq!(c.connection_count(), 1, "{protocol:?}");
        // The key outside the pattern was not written.
        assert_eq!(server.cli(&["EXISTS", "other:k"]), "0");
    }
}

#[tokio::test]
async fn wrong_acl_password_is_an_auth_error_that_hides_the_password() {
    let server = acl_server();
    let wrong = "Wrong-5d1c0e-Distinctive";
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let c = Client::builder()
            .port(server.port())
            .protocol(protocol)
            .username("limited")
            .password(wrong)
            .reconnect_wait(Duration::from_millis(100))
            .build()
            .unwrap();
        let e = c.connect().await.unwrap_err();
        assert!(e.is_auth(), "{protocol:?}: {e}");
        assert_eq!(e.code(), Some("WRONGPASS"), "{e}");
        let e2 = c.call(("GET", "app:k")).await.unwrap_err();
        assert_no_secret(&[wrong], &[&e, &e2, &c, c.config()]);
    }
}

/// Formats each item with `{}` where it has `Display` and `{:?}` and `{:#?}`,
/// and checks no secret appears.
fn assert_no_secret(secrets: &[&str], items: &[&dyn std::fmt::Debug]) {
    for item in items {
        let text = format!("{item:?} {item:#?}");
        for s in secrets {
            assert!(!text.contains(s), "secret {s:?} shown in: {text}");
        }
    }
}

fn assert_display_no_secret(secrets: &[&str], items: &[&dyn std::fmt::Display]) {
    for item in items {
        let text = format!("{item} {item:#}");
        for s in secrets {
            assert!(!text.contains(s), "secret {s:?} shown in: {text}");
        }
    }
}

#[tokio::test]
async fn passwords_never_show_in_debug_or_display() {
    let server = acl_server();
    let secrets = [PASSWORD, LIMITED_PASSWORD];
    let port = server.port();

    // Configurations and builders, from the builder and from URLs.
    let builder = Config::builder()
        .port(port)
        .username("limited")
        .password(LIMITED_PASSWORD);
    let config = builder.clone().build().unwrap();
    let urls = [
        format!("redis://limited:{LIMITED_PASSWORD}@127.0.0.1:{port}/0"),
        format!("redis://:{PASSWORD}@127.0.0.1:{port}"),
        format!("redis://127.0.0.1:{port}/0?username=limited&password={LIMITED_PASSWORD}"),
        format!("redis://limited@127.0.0.1:{port}?password={LIMITED_PASSWORD}&db=0"),
        format!(
            "unix://{}?password={PASSWORD}",
            server.unix_socket().display()
        ),
    ];
    let from_urls: Vec<Config> = urls.iter().map(|u| Config::from_url(u).unwrap()).collect();
    for c in &from_urls {
        assert!(c.has_password());
    }
    let client_builder = Client::builder().url(&urls[0]);
    assert_no_secret(&secrets, &[&builder, &config, &client_builder]);
    for c in &from_urls {
        assert_no_secret(&secrets, &[c]);
    }

    // Errors about URLs that carry a password.
    let bad_urls = [
        format!("redis://limited:{LIMITED_PASSWORD}@127.0.0.1:notaport"),
        format!("redis://limited:{LIMITED_PASSWORD}@127.0.0.1:{port}/notadb"),
        format!("redis://limited:{LIMITED_PASSWORD}@127.0.0.1:{port}/0?db=x"),
        format!("redis://127.0.0.1:{port}/0?password={PASSWORD}&db=x"),
        format!("redis://127.0.0.1:{port}/0?password={PASSWORD}&protocol=resp9"),
        format!("redis://limited:{LIMITED_PASSWORD}@127.0.0.1:{port}?protocol=bad"),
        format!("rediss://limited:{LIMITED_PASSWORD}@127.0.0.1:{port}"),
        format!("http://limited:{LIMITED_PASSWORD}@127.0.0.1:{port}"),
        format!("redis://limited:{LIMITED_PASSWORD}@[::1:{port}"),
        format!("redis://limited:{LIMITED_PASSWORD}%zz@127.0.0.1:{port}"),
        format!("redis://u:{PASSWORD}@h@127.0.0.1:0"),
    ];
    for url in &bad_urls {
        if let Err(e) = Config::from_url(url) {
            assert_no_secret(&secrets, &[&e]);
            assert_display_no_secret(&secrets, &[&e]);
        }
        let b = Client::builder().url(url);
        assert_no_secret(&secrets, &[&b]);
    }

    // Clients, connected and not, and the errors of their requests.
    let good = Client::new(from_urls[0].clone()).unwrap();
    good.call(("SET", "app:k", "v")).await.unwrap();
    let denied = good.call("FLUSHALL").await.unwrap_err();
    assert_eq!(denied.code(), Some("NOPERM"));
    let mut stopped = RedisServer::builder().password(PASSWORD).start();
    let unreachable = Client::builder()
        .port(stopped.port())
        .password(PASSWORD)
        .connect_timeout(Duration::from_secs(2))
        .reconnect_wait(Duration::from_millis(100))
        .build()
        .unwrap();
    stopped.stop();
    let refused = unreachable.call("PING").await.unwrap_err();
    assert!(refused.is_connection(), "{refused}");
    let pool = ClientPool::builder()
        .url(&urls[1])
        .max_size(2)
        .build()
        .unwrap();
    let pooled = pool.connected_client().await.unwrap();
    let pubsub = PubSubClient::new(from_urls[1].clone()).unwrap();
    let secret = Secret::new(PASSWORD);
    assert_no_secret(
        &secrets,
        &[
            &good,
            &unreachable,
            &denied,
            &refused,
            &pool,
            &pooled,
            &pubsub,
            &secret,
            good.config(),
        ],
    );
    assert_display_no_secret(&secrets, &[&denied, &refused, &secret]);
    assert_eq!(secret.expose(), PASSWORD);
}
