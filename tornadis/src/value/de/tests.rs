//! Tests of the serde deserializer: structs from both protocols' shapes,
//! scalars read from text, enums, sequences of pairs, and error messages.

use std::collections::HashMap;
use std::fmt;

use bytes::Bytes;
use serde::de::{Deserializer as _, Visitor};
use serde::Deserialize;

use super::*;
use crate::resp::ServerError;

fn bulk(s: &str) -> Value {
    Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}
fn flat(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| bulk(s)).collect())
}
fn map(items: Vec<(&str, Value)>) -> Value {
    Value::Map(items.into_iter().map(|(k, v)| (bulk(k), v)).collect())
}
fn serde_err<T: DeserializeOwned + fmt::Debug>(v: Value, parts: &[&str]) -> Error {
    let e = from_value_serde::<T>(v).expect_err("decoding should fail");
    assert!(e.is_decode(), "not a decode error: {e:?}");
    for p in parts {
        assert!(e.detail().contains(p), "{:?} lacks {p:?}", e.detail());
    }
    e
}

#[derive(Debug, PartialEq, Deserialize)]
enum Role {
    Admin,
    Guest,
}

#[derive(Debug, PartialEq, Deserialize)]
struct User {
    name: String,
    age: u32,
    admin: bool,
    score: f64,
    email: Option<String>,
    role: Role,
}

fn ada() -> User {
    User {
        name: "ada".into(),
        age: 36,
        admin: true,
        score: 2.5,
        email: None,
        role: Role::Admin,
    }
}

#[test]
fn struct_from_resp2_flat_array() {
    let reply = flat(&[
        "name", "ada", "age", "36", "admin", "1", "score", "2.5", "role", "Admin",
    ]);
    assert_eq!(from_value_serde::<User>(reply).unwrap(), ada());
}

#[test]
fn struct_from_resp3_map_with_typed_values() {
    let reply = map(vec![
        ("name", bulk("ada")),
        ("age", Value::Integer(36)),
        ("admin", Value::Boolean(true)),
        ("score", Value::Double(2.5)),
        ("email", Value::Nil),
        ("role", Value::SimpleString("Admin".into())),
        (
            "ignored",
            Value::Error(ServerError::new("ERR not looked at".into())),
        ),
    ]);
    assert_eq!(from_value_serde::<User>(reply).unwrap(), ada());
}

#[test]
fn struct_from_array_of_pairs_and_attribute() {
    let reply = Value::Attribute {
        attributes: vec![],
        value: Box::new(Value::Array(vec![
            flat(&["name", "ada"]),
            flat(&["age", "36"]),
            flat(&["admin", "true"]),
            flat(&["score", "2.5"]),
            flat(&["email", "a@b"]),
            flat(&["role", "Guest"]),
        ])),
    };
    let u: User = from_value_serde(reply).unwrap();
    assert_eq!(u.email.as_deref(), Some("a@b"));
    assert_eq!(u.role, Role::Guest);
}

#[test]
fn serde_wrapper_is_a_reply_type() {
    let Serde(u) = Serde::<User>::from_value(flat(&[
        "name", "ada", "age", "36", "admin", "0", "score", "inf", "role", "Admin",
    ]))
    .unwrap();
    assert!(!u.admin);
    assert_eq!(u.score, f64::INFINITY);
    assert_eq!(Option::<Serde<User>>::from_value(Value::Nil).unwrap(), None);
    let list: Vec<Serde<(String, u8)>> =
        FromValue::from_value(Value::Array(vec![flat(&["a", "1"])])).unwrap();
    assert_eq!(list[0].0, ("a".to_string(), 1));
}

#[test]
fn struct_errors_name_field_type_and_shape() {
    serde_err::<User>(
        flat(&["name", "ada"]),
        &["missing field `age`", "decoding User"],
    );
    serde_err::<User>(
        flat(&[
            "name", "ada", "age", "old", "admin", "1", "score", "1", "role", "Admin",
        ]),
        &[
            "u32",
            "bulk string of 3 bytes",
            "at field `age`",
            "decoding User",
        ],
    );
    serde_err::<User>(
        bulk("x"),
        &["expected a map for User, got bulk string of 1 bytes"],
    );
    serde_err::<User>(
        flat(&["name", "ada", "age"]),
        &["User", "array of 3 elements", "odd"],
    );
    serde_err::<User>(
        flat(&[
            "name", "ada", "age", "1", "admin", "1", "score", "1", "role", "Owner",
        ]),
        &["unknown variant `Owner`", "at field `role`"],
    );
    let e = from_value_serde::<User>(map(vec![(
        "name",
        Value::Error(ServerError::new("WRONGTYPE no".into())),
    )]))
    .unwrap_err();
    assert_eq!(e.code(), Some("WRONGTYPE"));
    let e = from_value_serde::<User>(Value::Error(ServerError::new("ERR top".into()))).unwrap_err();
    assert!(e.is_server());
}

#[test]
fn scalars_read_from_text() {
    assert_eq!(from_value_serde::<u32>(bulk("36")).unwrap(), 36);
    assert_eq!(from_value_serde::<i8>(bulk("-3")).unwrap(), -3);
    assert_eq!(from_value_serde::<u128>(bulk("7")).unwrap(), 7);
    assert!(from_value_serde::<bool>(bulk("1")).unwrap());
    assert!(!from_value_serde::<bool>(bulk("false")).unwrap());
    assert_eq!(
        from_value_serde::<f32>(bulk("-inf")).unwrap(),
        f32::NEG_INFINITY
    );
    assert_eq!(from_value_serde::<char>(bulk("é")).unwrap(), 'é');
    assert_eq!(from_value_serde::<String>(Value::Integer(5)).unwrap(), "5");
    assert_eq!(
        from_value_serde::<()>(Value::SimpleString("OK".into())).unwrap(),
        ()
    );
    assert_eq!(from_value_serde::<Option<u8>>(Value::Nil).unwrap(), None);
    serde_err::<char>(bulk("ab"), &["char", "2 characters"]);
    serde_err::<u8>(bulk("256"), &["u8", "out of range"]);
    serde_err::<bool>(Value::Nil, &["bool", "nil"]);
    serde_err::<()>(Value::Integer(1), &["()", "integer 1"]);
}

/// Records what `deserialize_any` hands to the visitor.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Any {
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<Any>),
    Map(HashMap<String, Any>),
    Nothing(()),
}

#[test]
fn deserialize_any_keeps_text_as_text() {
    assert_eq!(
        from_value_serde::<Any>(bulk("36")).unwrap(),
        Any::Text("36".into())
    );
    assert_eq!(
        from_value_serde::<Any>(Value::Integer(36)).unwrap(),
        Any::Int(36)
    );
    assert_eq!(
        from_value_serde::<Any>(Value::Double(0.5)).unwrap(),
        Any::Float(0.5)
    );
    assert_eq!(
        from_value_serde::<Any>(Value::Nil).unwrap(),
        Any::Nothing(())
    );
    assert_eq!(
        from_value_serde::<Any>(Value::Set(vec![bulk("a")])).unwrap(),
        Any::List(vec![Any::Text("a".into())])
    );
    let m = from_value_serde::<Any>(map(vec![("k", Value::Integer(1))])).unwrap();
    assert_eq!(m, Any::Map([("k".to_string(), Any::Int(1))].into()));
    let big = from_value_serde::<Any>(Value::BigNumber("12".into())).unwrap();
    assert_eq!(big, Any::Int(12));
}

/// Asks for bytes, as `serde_bytes` does.
#[derive(Debug, PartialEq)]
struct Raw(Vec<u8>);

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
                Ok(Raw(v.to_vec()))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[test]
fn bytes_are_handed_out_raw() {
    let v = Value::Bulk(Bytes::from_static(b"\x00\xff"));
    assert_eq!(from_value_serde::<Raw>(v).unwrap(), Raw(vec![0, 255]));
    // Not UTF-8: deserialize_any hands out bytes too.
    let mut got = None;
    struct Probe<'a>(&'a mut Option<Vec<u8>>);
    impl<'de> Visitor<'de> for Probe<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("anything")
        }
        fn visit_bytes<E>(self, v: &[u8]) -> Result<(), E> {
            *self.0 = Some(v.to_vec());
            Ok(())
        }
    }
    ValueDeserializer::new(Value::Bulk(Bytes::from_static(b"\xff")))
        .deserialize_any(Probe(&mut got))
        .unwrap();
    assert_eq!(got, Some(vec![0xff]));
    serde_err::<Raw>(Value::Integer(1).into_array(), &["invalid type"]);
}

trait IntoArray {
    fn into_array(self) -> Value;
}
impl IntoArray for Value {
    fn into_array(self) -> Value {
        Value::Array(vec![self])
    }
}

#[test]
fn sequences_and_pairs_from_every_shape() {
    let want = vec![("a".to_string(), 1u32), ("b".to_string(), 2)];
    assert_eq!(
        from_value_serde::<Vec<(String, u32)>>(flat(&["a", "1", "b", "2"])).unwrap(),
        want
    );
    assert_eq!(
        from_value_serde::<Vec<(String, u32)>>(map(vec![
            ("a", bulk("1")),
            ("b", Value::Integer(2))
        ]))
        .unwrap(),
        want
    );
    assert_eq!(
        from_value_serde::<Vec<(String, u32)>>(Value::Array(vec![
            flat(&["a", "1"]),
            flat(&["b", "2"])
        ]))
        .unwrap(),
        want
    );
    assert_eq!(
        from_value_serde::<Vec<String>>(map(vec![("f", bulk("v"))])).unwrap(),
        ["f", "v"]
    );
    assert_eq!(
        from_value_serde::<(String, u8, bool)>(flat(&["x", "2", "1"])).unwrap(),
        ("x".into(), 2, true)
    );
    let e =
        serde_err::<Vec<(String, u32)>>(flat(&["a", "1", "b"]), &["groups of 2", "at element 1"]);
    assert!(e.detail().contains("Vec<(String, u32)>"), "{}", e.detail());
    serde_err::<(String, u8)>(flat(&["x"]), &["tuple of 2", "array of 1 elements"]);
    serde_err::<Vec<u8>>(bulk("ab"), &["a sequence", "bulk string of 2 bytes"]);
    serde_err::<Vec<u32>>(flat(&["1", "x"]), &["u32", "at element 1"]);
    assert_eq!(
        from_value_serde::<Vec<Option<u8>>>(Value::Array(vec![Value::Nil, bulk("1")])).unwrap(),
        [None, Some(1)]
    );
    let m: HashMap<String, Vec<u8>> =
        from_value_serde(map(vec![("k", Value::Array(vec![Value::Integer(1)]))])).unwrap();
    assert_eq!(m["k"], [1]);
    serde_err::<HashMap<String, u8>>(flat(&["k", "x"]), &["u8", "at the value of entry 0"]);
}

#[derive(Debug, PartialEq, Deserialize)]
struct Id(u64);

#[derive(Debug, PartialEq, Deserialize)]
struct Point(i32, i32);

#[derive(Debug, PartialEq, Deserialize)]
struct Marker;

#[derive(Debug, PartialEq, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(u32, u32),
    Named { name: String },
}

#[test]
fn newtypes_tuple_structs_and_enums() {
    assert_eq!(from_value_serde::<Id>(bulk("7")).unwrap(), Id(7));
    assert_eq!(
        from_value_serde::<Point>(flat(&["1", "-2"])).unwrap(),
        Point(1, -2)
    );
    serde_err::<Point>(flat(&["1"]), &["Point", "array of 1 elements"]);
    assert_eq!(from_value_serde::<Marker>(Value::Nil).unwrap(), Marker);
    assert_eq!(
        from_value_serde::<Shape>(bulk("Empty")).unwrap(),
        Shape::Empty
    );
    assert_eq!(
        from_value_serde::<Shape>(map(vec![("Circle", bulk("2.5"))])).unwrap(),
        Shape::Circle(2.5)
    );
    assert_eq!(
        from_value_serde::<Shape>(map(vec![("Rect", flat(&["3", "4"]))])).unwrap(),
        Shape::Rect(3, 4)
    );
    assert_eq!(
        from_value_serde::<Shape>(map(vec![("Named", flat(&["name", "n"]))])).unwrap(),
        Shape::Named { name: "n".into() }
    );
    assert_eq!(
        from_value_serde::<Shape>(map(vec![("Empty", Value::Nil)])).unwrap(),
        Shape::Empty
    );
    serde_err::<Shape>(bulk("Circle"), &["expected a value", "only its name"]);
    serde_err::<Shape>(
        Value::Integer(1).into_array(),
        &["Shape", "a variant name", "array of 1 elements"],
    );
}

#[derive(Debug, Deserialize)]
struct Outer {
    inner: Inner,
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Inner {
    n: u8,
}

#[test]
fn nested_structs_from_nested_aggregates() {
    let reply = map(vec![
        ("inner", flat(&["n", "4"])),
        ("tags", Value::Set(vec![bulk("x")])),
    ]);
    let o: Outer = from_value_serde(reply).unwrap();
    assert_eq!((o.inner.n, o.tags.as_slice()), (4, &["x".to_string()][..]));
    serde_err::<Outer>(
        map(vec![("inner", flat(&["n", "x"])), ("tags", flat(&[]))]),
        &["u8", "at field `n`", "at field `inner`", "decoding Outer"],
    );
}
