//! Tests of [`Fields`]: the arguments it writes, what it skips and refuses,
//! and a round trip through the deserializer.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::*;
use crate::cmd::cmd;
use crate::resp::Value;
use crate::value::from_value_serde;

fn hset<T: Serialize>(fields: T) -> Cmd {
    let mut c = cmd("HSET");
    c.arg("user:1").args(Fields(fields));
    c
}

fn args(c: &Cmd) -> Vec<String> {
    c.arg_slices()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Role {
    Admin,
    Guest,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Id(u64);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
    admin: bool,
    score: f64,
    email: Option<String>,
    role: Role,
    id: Id,
    initial: char,
    delta: i128,
}

fn ada() -> User {
    User {
        name: "ada".into(),
        age: 36,
        admin: true,
        score: f64::INFINITY,
        email: None,
        role: Role::Guest,
        id: Id(7),
        initial: 'a',
        delta: -1,
    }
}

#[test]
fn struct_fields_become_field_value_pairs() {
    let c = hset(ada());
    assert!(c.validate().is_ok());
    assert_eq!(
        args(&c),
        [
            "HSET", "user:1", "name", "ada", "age", "36", "admin", "1", "score", "inf", "role",
            "Guest", "id", "7", "initial", "a", "delta", "-1",
        ]
    );
    assert_eq!(c.argc(), 18);
}

#[test]
fn round_trip_through_the_deserializer() {
    for user in [
        ada(),
        User {
            email: Some("a@b".into()),
            admin: false,
            score: 0.1,
            role: Role::Admin,
            ..ada()
        },
    ] {
        let c = hset(&user);
        // What HGETALL would answer over RESP2: the field/value pairs.
        let reply = Value::Array(
            c.arg_slices()
                .skip(2)
                .map(|a| Value::Bulk(Bytes::copy_from_slice(a)))
                .collect(),
        );
        assert_eq!(from_value_serde::<User>(reply).unwrap(), user);
    }
}

#[test]
fn maps_write_their_entries_and_skip_none() {
    let mut m = BTreeMap::new();
    m.insert("a", Some(1.5f32));
    m.insert("b", None);
    m.insert("c", Some(-2.0));
    assert_eq!(args(&hset(&m)), ["HSET", "user:1", "a", "1.5", "c", "-2.0"]);
    let h: HashMap<u8, RawBytes> = [(1, RawBytes(b"\xff"))].into();
    let c = hset(&h);
    let raw: Vec<&[u8]> = c.arg_slices().collect();
    assert_eq!(raw[2..], [&b"1"[..], b"\xff"]);
    // Top-level None writes nothing, Some writes the content.
    assert_eq!(args(&hset(None::<&User>)), ["HSET", "user:1"]);
    assert_eq!(args(&hset(Some(&m))).len(), 6);
}

/// Serializes as bytes, as `serde_bytes` does.
struct RawBytes(&'static [u8]);

impl Serialize for RawBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[derive(Serialize)]
struct Nested {
    name: &'static str,
    inner: Id2,
}

#[derive(Serialize)]
struct Id2 {
    n: u8,
}

#[derive(Serialize)]
struct WithList {
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
struct WithNaN {
    x: f64,
}

fn client_error(c: &Cmd, parts: &[&str]) {
    let e = c.validate().expect_err("the command should be refused");
    assert!(e.is_client(), "{e:?}");
    for p in parts {
        assert!(e.detail().contains(p), "{:?} lacks {p:?}", e.detail());
    }
}

#[test]
fn nested_values_are_refused_with_a_client_error() {
    client_error(
        &hset(Nested {
            name: "x",
            inner: Id2 { n: 1 },
        }),
        &[
            "field `inner` of Nested",
            "the struct Id2",
            "one hash value",
        ],
    );
    client_error(
        &hset(WithList { tags: vec!["a"] }),
        &["field `tags`", "a sequence"],
    );
    client_error(&hset(WithNaN { x: f64::NAN }), &["NaN"]);
    let mut m = HashMap::new();
    m.insert("k", vec![1]);
    client_error(&hset(&m), &["value", "a sequence"]);
    let mut m = HashMap::new();
    m.insert(None::<u8>, 1);
    client_error(&hset(&m), &["key", "None"]);
}

#[test]
fn only_structs_and_maps_are_accepted_at_the_top() {
    client_error(&hset(5), &["struct or a map", "an integer"]);
    client_error(&hset("text"), &["a string"]);
    client_error(&hset(vec![("a", 1)]), &["a sequence"]);
    client_error(&hset(Role::Admin), &["Role::Admin"]);
    client_error(&hset(()), &["()"]);
}
