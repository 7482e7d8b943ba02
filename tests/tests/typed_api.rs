//! The typed API as a new user meets it, against a real server in RESP3 and
//! RESP2: absent aggregates as `None`, and the stream forms.

use serde::{Deserialize, Serialize};
use tornadis::{Commands, Fields, Serde};
use tornadis_tests::RedisServer;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Session {
    user_id: u64,
    role: String,
}

#[tokio::test]
async fn a_missing_hash_reads_as_none() {
    let server = RedisServer::start();
    for c in server.clients_in_both_protocols() {
        let missing: Option<Serde<Session>> = c.hgetall("session:none").await.unwrap();
        assert!(missing.is_none());
        let session = Session {
            user_id: 7,
            role: "admin".into(),
        };
        c.hset_fields("session:7", Fields(&session)).await.unwrap();
        let found: Option<Serde<Session>> = c.hgetall("session:7").await.unwrap();
        assert_eq!(found.map(|Serde(s)| s), Some(session));
        // A type that can be empty keeps the empty value.
        let empty: Option<std::collections::HashMap<String, String>> =
            c.hgetall("session:none").await.unwrap();
        assert_eq!(empty, Some(Default::default()));
        // A hash that exists but lacks a field is still an error, not `None`.
        c.hset("session:bad", "role", "x").await.unwrap();
        let err = c
            .hgetall::<Option<Serde<Session>>>("session:bad")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("user_id"), "{err}");
        c.del(["session:7", "session:bad"]).await.unwrap();
    }
}
