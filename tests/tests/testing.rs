//! The `MockClient` test double, without any server: typed methods and raw
//! calls are recorded and answered from the script, and anything unscripted
//! fails clearly.

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tornadis::commands::SetOptions;
use tornadis::testing::MockClient;
use tornadis::{Commands, Error, ErrorKind, Executor, Result, Value};

fn bulk(s: &str) -> Value {
    Value::Bulk(s.as_bytes().to_vec().into())
}

fn ok() -> Value {
    Value::SimpleString("OK".into())
}

/// Application code written against `Executor`, as a user would, so that it
/// runs on a real client and on the mock alike.
async fn rename_user<E>(redis: E, id: u32, name: &str) -> Result<Option<String>>
where
    E: Executor + Copy,
    E::Output<Option<String>>: IntoFuture<Output = Result<Option<String>>>,
    E::Output<()>: IntoFuture<Output = Result<()>>,
{
    let key = format!("user:{id}:name");
    let old = redis.get::<String>(&key).await?;
    redis.set(&key, name).await?;
    Ok(old)
}

#[tokio::test]
async fn typed_methods_are_recorded_and_answered() {
    let mock = MockClient::new();
    mock.expect(("GET", "user:7:name")).reply(bulk("ada"));
    mock.expect(("SET", "user:7:name", "grace")).reply(ok());

    let old = rename_user(&mock, 7, "grace").await.unwrap();
    assert_eq!(old.as_deref(), Some("ada"));

    let calls: Vec<Vec<String>> = mock.calls().iter().map(|c| c.to_strings()).collect();
    assert_eq!(
        calls,
        [
            vec!["GET", "user:7:name"],
            vec!["SET", "user:7:name", "grace"]
        ]
    );
    assert_eq!(mock.calls()[1].name(), "SET");
    mock.verify().unwrap();
}

#[tokio::test]
async fn options_and_binary_arguments_are_recorded_as_sent() {
    let mock = MockClient::new();
    mock.expect(("SET", "k", "v", "NX", "EX", "60")).reply(ok());
    mock.set_with("k", "v", SetOptions::new().nx().ex(60))
        .await
        .unwrap();
    mock.push_reply(Value::Integer(1));
    let bytes: &[u8] = &[0, 255, 10];
    let n: i64 = mock.call_as(("SADD", "s", bytes)).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(mock.calls()[1].args()[2].as_ref(), bytes);
    // Command names match whatever their case.
    mock.expect(("get", "k")).reply(bulk("v"));
    assert_eq!(mock.call(("GET", "k")).await.unwrap(), bulk("v"));
}

#[tokio::test]
async fn unexpected_commands_fail_with_a_client_error_naming_them() {
    let mock = MockClient::new();
    mock.expect(("GET", "a")).reply(bulk("1"));
    let e = mock.get::<String>("b").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Client);
    let text = e.to_string();
    assert!(text.contains("GET") && text.contains("\"b\""), "{text}");
    // It was still recorded, and the expectation is left unmet.
    assert_eq!(mock.calls().len(), 1);
    let unmet = mock.verify().unwrap_err();
    assert!(unmet.to_string().contains("\"a\""), "{unmet}");
}

#[tokio::test]
async fn expectations_are_used_as_often_as_scripted() {
    let mock = MockClient::new();
    mock.expect(("INCR", "n")).times(2).reply(Value::Integer(5));
    mock.expect("PING")
        .always()
        .reply(Value::SimpleString("PONG".into()));
    for _ in 0..2 {
        assert_eq!(mock.incr("n").await.unwrap(), 5);
    }
    assert!(
        mock.incr("n").await.is_err(),
        "a third INCR was not scripted"
    );
    for _ in 0..3 {
        assert_eq!(
            mock.call("PING").await.unwrap(),
            Value::SimpleString("PONG".into())
        );
    }
    mock.verify().unwrap();
}

#[tokio::test]
async fn the_reply_queue_answers_in_order() {
    let mock = MockClient::new();
    mock.push_reply(bulk("first"))
        .push_reply(Value::Nil)
        .push_error(Error::new(ErrorKind::Connection, "connection reset"));
    let a: Option<String> = mock.get("x").await.unwrap();
    let b: Option<String> = mock.get("y").await.unwrap();
    let c = mock.get::<String>("z").await.unwrap_err();
    assert_eq!(a.as_deref(), Some("first"));
    assert_eq!(b, None);
    assert!(c.is_connection(), "{c}");
    assert!(mock.get::<String>("w").await.is_err());
}

#[tokio::test]
async fn a_closure_answers_what_nothing_else_does() {
    let mock = MockClient::new();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    mock.expect(("GET", "special")).reply(bulk("scripted"));
    mock.on_command(move |args| {
        counter.fetch_add(1, Ordering::Relaxed);
        match args {
            [name, key] if name.eq_ignore_ascii_case(b"GET") => {
                Ok(Value::Bulk(key.to_ascii_uppercase().into()))
            }
            _ => Err(Error::new(ErrorKind::Client, "not handled")),
        }
    });
    let v: Option<String> = mock.get("abc").await.unwrap();
    assert_eq!(v.as_deref(), Some("ABC"));
    let v: Option<String> = mock.get("special").await.unwrap();
    assert_eq!(v.as_deref(), Some("scripted"));
    assert!(mock.del(["k"]).await.is_err());
    assert_eq!(seen.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn server_errors_and_decode_errors_look_like_a_clients() {
    let mock = MockClient::new();
    mock.expect(("INCR", "list"))
        .reply_server_error("WRONGTYPE Operation against a key holding the wrong kind of value");
    let e = mock.incr("list").await.unwrap_err();
    assert!(e.is_server(), "{e}");
    assert_eq!(e.code(), Some("WRONGTYPE"));
    assert_eq!(e.command(), Some("INCR"));

    mock.expect(("INCR", "n")).reply(bulk("not a number"));
    let e = mock.incr("n").await.unwrap_err();
    assert!(e.is_decode(), "{e}");
}

#[tokio::test]
async fn argument_errors_fail_before_any_reply_is_used() {
    let mock = MockClient::new();
    mock.push_reply(Value::Integer(0));
    let e = mock.del(Vec::<&str>::new()).await.unwrap_err();
    assert!(e.is_client(), "{e}");
    // The queued reply is still there for the next command.
    assert_eq!(mock.call("DBSIZE").await.unwrap(), Value::Integer(0));
}

#[tokio::test]
async fn clones_share_the_script_and_the_record() {
    let mock = MockClient::new();
    let handed_out = mock.clone();
    mock.expect(("GET", "k")).reply(bulk("v"));
    let v: Option<String> = handed_out.get("k").await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    assert_eq!(mock.calls().len(), 1);
    mock.clear_calls();
    assert!(handed_out.calls().is_empty());
    // Nothing is recorded until a request is awaited (requests are lazy).
    let pending = mock.get::<String>("k");
    assert!(mock.calls().is_empty());
    drop(pending);
    assert!(mock.calls().is_empty());
}

#[test]
fn code_generic_over_executor_also_takes_a_real_client() {
    // Only builds the future (nothing connects until it is polled): this
    // checks the same function accepts `&Client`.
    let client = tornadis::Client::from_url("redis://127.0.0.1:1").unwrap();
    let future = rename_user(&client, 1, "ada");
    drop(future);
    assert!(!client.is_connected());
}
