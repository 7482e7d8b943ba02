//! Pipelines built in a loop against a real server: `pipeline_of` (one reply
//! type, a `Vec` back) and the typed methods on a raw `Pipeline` decoded with
//! `query_as`.

use std::collections::HashMap;

use tornadis::{Commands, Pipeline, Value};
use tornadis_tests::RedisServer;

#[tokio::test]
async fn pipeline_of_builds_in_a_loop_and_returns_a_vec() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        let jobs: Vec<String> = (0..300).map(|i| format!(r#"{{"job":{i}}}"#)).collect();
        let mut pushes = c.pipeline_of();
        for job in &jobs {
            pushes.push(|p| p.rpush("queue", job));
        }
        assert_eq!(pushes.len(), 300);
        let lengths: Vec<i64> = pushes.query().await.unwrap();
        assert_eq!(lengths.first(), Some(&1));
        assert_eq!(lengths.last(), Some(&300));

        // Commands of several reply types, read back as one type.
        let mut mixed = c.pipeline_of::<Value>();
        mixed.push(|p| p.llen("queue").decode_as());
        mixed.push(|p| p.lindex::<Value>("queue", 0).decode_as());
        let both = mixed.query().await.unwrap();
        assert_eq!(both[0], Value::Integer(300));
        let mut writes = c.pipeline_of();
        for i in 0..10 {
            writes.push(|p| p.hset(format!("user:{i}"), "name", format!("u{i}")));
        }
        let added: Vec<i64> = writes.atomic().query().await.unwrap();
        assert!(added.iter().all(|&n| n <= 1));

        let mut reads = c.pipeline_of();
        for i in 0..12 {
            reads.push(|p| p.hget(format!("user:{i}"), "name"));
        }
        let names: Vec<Option<String>> = reads.query().await.unwrap();
        assert_eq!(names[3].as_deref(), Some("u3"));
        assert_eq!(names[11], None);
        c.del(["queue"]).await.unwrap();
    }
}

#[tokio::test]
async fn pipeline_of_names_the_command_that_failed() {
    let server = RedisServer::start();
    let [c, _] = server.clients_in_both_protocols();
    c.set("text", "x").await.unwrap();
    let mut pipe = c.pipeline_of();
    for key in ["n1", "text", "n2"] {
        pipe.push(|p| p.incr(key));
    }
    let err = pipe.query().await.expect_err("INCR of text");
    assert_eq!(err.code(), Some("ERR"), "{err}");
    assert_eq!(err.command(), Some("INCR"), "{err}");
    assert!(err.to_string().contains("command 2 of 3"), "{err}");
    // An empty one is refused before a round trip.
    let empty = c.pipeline_of::<i64>();
    assert!(empty.is_empty());
    assert!(empty.query().await.unwrap_err().is_client());
}

#[tokio::test]
async fn typed_methods_on_a_raw_pipeline_decode_with_query_as() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        let mut pipe = Pipeline::new();
        for i in 0..50 {
            pipe.incrby("counter", i);
        }
        let totals: Vec<i64> = pipe.query_as(&c).await.unwrap();
        assert_eq!(totals.len(), 50);
        assert_eq!(totals.last(), Some(&(0..50).sum::<i64>()));

        let mut pipe = Pipeline::new();
        pipe.set("a", 1)
            .incr("a")
            .get::<i64>("a")
            .hset_multiple("h", [("f", "v"), ("g", "w")])
            .hgetall::<Value>("h");
        let ((), two, again, added, all): ((), i64, Option<i64>, i64, HashMap<String, String>) =
            pipe.query_as(&c).await.unwrap();
        assert_eq!((two, again, added), (2, Some(2), 2));
        assert_eq!(all["g"], "w");
        // Raw and typed stacking mix; `call_pipeline` still gives every reply.
        pipe.stack_call(("LPUSH", "a", "x"));
        let replies = c.call_pipeline(&pipe).await.unwrap();
        assert_eq!(replies.len(), 6);
        assert_eq!(replies[5].as_ref().unwrap_err().code(), Some("WRONGTYPE"));
        let err = pipe.query_as::<Vec<Value>>(&c).await.unwrap_err();
        assert!(err.to_string().contains("command 6 of 6"), "{err}");
        c.del(["a", "h", "counter"]).await.unwrap();
    }
}
