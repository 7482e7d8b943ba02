//! [`FromValue`] for collections: lists, sets, maps, field/value pairs and tuples.
//!
//! The same reply has different shapes in RESP2 and RESP3 (`HGETALL` is a flat
//! array in one and a map in the other; `XREAD` an array of pairs or a map), so
//! every map-like type accepts all three shapes through [`into_pairs`].

use std::any::type_name;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use crate::error::Error;
use crate::resp::Value;

use super::from_value::{at_element, in_context, reply, short_type_name, unexpected, FromValue};

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value_list(value, type_name::<Self>())
    }
}

impl<T: FromValue> FromValue for VecDeque<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value_list(value, type_name::<Self>()).map(VecDeque::from)
    }
}

impl<T: FromValue> FromValue for Box<[T]> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value_list(value, type_name::<Self>()).map(Vec::into_boxed_slice)
    }
}

/// Accepts a RESP3 set, an array or a push; duplicates collapse.
impl<T: FromValue + Eq + Hash, S: BuildHasher + Default> FromValue for HashSet<T, S> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value_list(value, type_name::<Self>()).map(|v| v.into_iter().collect())
    }
}

/// Accepts a RESP3 set, an array or a push; duplicates collapse.
impl<T: FromValue + Ord> FromValue for BTreeSet<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        T::from_value_list(value, type_name::<Self>()).map(|v| v.into_iter().collect())
    }
}

/// Accepts a RESP3 map, a flat array of field/value pairs, or an array of
/// two-element arrays. A repeated key keeps its last value.
impl<K, V, S> FromValue for HashMap<K, V, S>
where
    K: FromValue + Eq + Hash,
    V: FromValue,
    S: BuildHasher + Default,
{
    fn from_value(value: Value) -> Result<Self, Error> {
        decode_pairs(value, type_name::<Self>())
    }
}

/// Accepts a RESP3 map, a flat array of field/value pairs, or an array of
/// two-element arrays. A repeated key keeps its last value.
impl<K: FromValue + Ord, V: FromValue> FromValue for BTreeMap<K, V> {
    fn from_value(value: Value) -> Result<Self, Error> {
        decode_pairs(value, type_name::<Self>())
    }
}

fn decode_pairs<K: FromValue, V: FromValue, C: FromIterator<(K, V)>>(
    value: Value,
    type_name: &'static str,
) -> Result<C, Error> {
    into_pairs(value, type_name)?
        .into_iter()
        .enumerate()
        .map(|(i, (k, v))| decode_pair(k, v, i))
        .collect()
}

fn decode_pair<K: FromValue, V: FromValue>(k: Value, v: Value, i: usize) -> Result<(K, V), Error> {
    let k = K::from_value(k).map_err(|e| in_context(e, format_args!("at the key of entry {i}")))?;
    let v =
        V::from_value(v).map_err(|e| in_context(e, format_args!("at the value of entry {i}")))?;
    Ok((k, v))
}

/// The entries of a map-like reply: a RESP3 map, or an array whose elements
/// are either two-element arrays (one per entry) or keys each followed by
/// their value (RESP2's flat form). The two array forms are told apart per
/// entry: an array where a key is expected is a pair, anything else is a key.
pub(crate) fn into_pairs(value: Value, type_name: &str) -> Result<Vec<(Value, Value)>, Error> {
    let items = match reply(value)? {
        Value::Map(pairs) => return Ok(pairs),
        Value::Array(items) | Value::Push(items) => items,
        other => return Err(unexpected(type_name, "a map", &other)),
    };
    let count = items.len();
    let mut pairs = Vec::with_capacity(count / 2);
    let mut items = items.into_iter();
    while let Some(first) = items.next() {
        match first {
            Value::Array(pair) => {
                let shape = format!("array of {} elements", pair.len());
                let mut pair = pair.into_iter();
                match (pair.next(), pair.next(), pair.next()) {
                    (Some(k), Some(v), None) => pairs.push((k, v)),
                    _ => {
                        return Err(Error::decode(format!(
                            "expected a map for {}, got array of {count} elements whose \
                             entry {} is {shape} instead of a key/value pair",
                            short_type_name(type_name),
                            pairs.len()
                        )))
                    }
                }
            }
            key => match items.next() {
                Some(v) => pairs.push((key, v)),
                None => {
                    return Err(Error::decode(format!(
                        "expected a map for {}, got array of {count} elements, an odd count \
                         that cannot be field/value pairs",
                        short_type_name(type_name),
                    )))
                }
            },
        }
    }
    Ok(pairs)
}

macro_rules! tuple {
    ($len:literal; $($name:ident)+ $(; { $($extra:tt)* })?) => {
        /// Accepts an array (or set, or push) of exactly as many elements as the tuple.
        impl<$($name: FromValue),+> FromValue for ($($name,)+) {
            #[allow(non_snake_case, unused_assignments)]
            fn from_value(value: Value) -> Result<Self, Error> {
                let [$($name,)+] = tuple_items::<$len>(value, type_name::<Self>())?;
                let mut i = 0;
                Ok(($(
                    {
                        let v = <$name as FromValue>::from_value($name).map_err(|e| at_element(e, i))?;
                        i += 1;
                        v
                    },
                )+))
            }
            $($($extra)*)?
        }
    };
}

// Only pairs decode from field/value replies when in a list.
macro_rules! pair_list {
    ($a:ident $b:ident) => {
        fn from_value_list(value: Value, list: &'static str) -> Result<Vec<Self>, Error> {
            into_pairs(value, list)?
                .into_iter()
                .enumerate()
                .map(|(i, (k, v))| {
                    let k = $a::from_value(k)
                        .map_err(|e| in_context(e, format_args!("at element 0 of entry {i}")))?;
                    let v = $b::from_value(v)
                        .map_err(|e| in_context(e, format_args!("at element 1 of entry {i}")))?;
                    Ok((k, v))
                })
                .collect()
        }
    };
}

fn tuple_items<const N: usize>(value: Value, type_name: &str) -> Result<[Value; N], Error> {
    let what = || format!("an array of {N} elements");
    match reply(value)? {
        Value::Array(items) | Value::Set(items) | Value::Push(items) => items
            .try_into()
            .map_err(|items: Vec<Value>| unexpected(type_name, &what(), &Value::Array(items))),
        other => Err(unexpected(type_name, &what(), &other)),
    }
}

tuple!(1; A);
tuple!(2; A B; { pair_list!(A B); });
tuple!(3; A B C);
tuple!(4; A B C D);
tuple!(5; A B C D E);
tuple!(6; A B C D E F);
tuple!(7; A B C D E F G);
tuple!(8; A B C D E F G H);
tuple!(9; A B C D E F G H I);
tuple!(10; A B C D E F G H I J);
tuple!(11; A B C D E F G H I J K);
tuple!(12; A B C D E F G H I J K L);

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::BuildHasherDefault;

    use bytes::Bytes;

    use super::*;
    use crate::resp::ServerError;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }
    fn bulks(items: &[&str]) -> Vec<Value> {
        items.iter().map(|s| bulk(s)).collect()
    }
    fn decode<T: FromValue>(v: Value) -> Result<T, Error> {
        T::from_value(v)
    }
    fn decode_err<T: FromValue + std::fmt::Debug>(v: Value, parts: &[&str]) -> Error {
        let e = decode::<T>(v).expect_err("decoding should fail");
        assert!(e.is_decode(), "not a decode error: {e:?}");
        for p in parts {
            assert!(e.detail().contains(p), "{:?} lacks {p:?}", e.detail());
        }
        e
    }
    fn pairs(items: &[(&str, &str)]) -> Vec<(Value, Value)> {
        items.iter().map(|(k, v)| (bulk(k), bulk(v))).collect()
    }

    #[test]
    fn lists_from_array_set_push_and_map() {
        let want = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            decode::<Vec<String>>(Value::Array(bulks(&["a", "b"]))).unwrap(),
            want
        );
        assert_eq!(
            decode::<Vec<String>>(Value::Set(bulks(&["a", "b"]))).unwrap(),
            want
        );
        assert_eq!(
            decode::<Vec<String>>(Value::Push(bulks(&["a", "b"]))).unwrap(),
            want
        );
        // HGETALL as a flat list: RESP3 map and RESP2 array read the same.
        assert_eq!(
            decode::<Vec<String>>(Value::Map(pairs(&[("f", "v")]))).unwrap(),
            decode::<Vec<String>>(Value::Array(bulks(&["f", "v"]))).unwrap()
        );
        assert_eq!(
            decode::<VecDeque<i64>>(Value::Array(vec![Value::Integer(1), bulk("2")])).unwrap(),
            VecDeque::from(vec![1, 2])
        );
        assert_eq!(
            &*decode::<Box<[i64]>>(Value::Array(vec![Value::Integer(3)])).unwrap(),
            &[3]
        );
        assert!(decode::<Vec<i64>>(Value::Array(vec![])).unwrap().is_empty());
    }

    #[test]
    fn list_errors_name_the_list_and_element() {
        decode_err::<Vec<i64>>(Value::Nil, &["expected an array for Vec<i64>, got nil"]);
        decode_err::<VecDeque<String>>(bulk("x"), &["VecDeque<String>", "bulk string of 1 bytes"]);
        decode_err::<Vec<i64>>(
            Value::Array(vec![Value::Integer(1), bulk("x")]),
            &["i64", "bulk string of 1 bytes", "at element 1"],
        );
        // Nil inside a list needs Option.
        decode_err::<Vec<String>>(
            Value::Array(vec![bulk("a"), Value::Nil]),
            &["String", "nil", "at element 1"],
        );
        assert_eq!(
            decode::<Vec<Option<String>>>(Value::Array(vec![bulk("a"), Value::Nil])).unwrap(),
            vec![Some("a".to_string()), None]
        );
        // Nested context reads innermost first.
        let e = decode_err::<Vec<Vec<i64>>>(
            Value::Array(vec![Value::Array(vec![]), Value::Array(vec![bulk("x")])]),
            &["i64"],
        );
        assert!(
            e.detail().ends_with("(at element 0) (at element 1)"),
            "{}",
            e.detail()
        );
    }

    #[test]
    fn error_replies_inside_aggregates_are_server_errors() {
        let exec = Value::Array(vec![
            Value::SimpleString("OK".into()),
            Value::Error(ServerError::new("WRONGTYPE Operation against a key".into())),
        ]);
        let e = decode::<Vec<String>>(exec.clone()).unwrap_err();
        assert!(e.is_server());
        assert_eq!(e.code(), Some("WRONGTYPE"));
        // Raw values keep them for the caller to inspect one by one.
        let raw = decode::<Vec<Value>>(exec).unwrap();
        assert!(matches!(raw[1], Value::Error(_)));
        let e = decode::<HashMap<String, String>>(Value::Map(vec![(
            bulk("k"),
            Value::Error(ServerError::new("ERR x".into())),
        )]))
        .unwrap_err();
        assert!(e.is_server());
    }

    #[test]
    fn sets_from_set_or_array() {
        let want: HashSet<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            decode::<HashSet<String>>(Value::Set(bulks(&["a", "b"]))).unwrap(),
            want
        );
        assert_eq!(
            decode::<HashSet<String>>(Value::Array(bulks(&["b", "a", "a"]))).unwrap(),
            want
        );
        assert_eq!(
            decode::<BTreeSet<i64>>(Value::Set(vec![Value::Integer(2), Value::Integer(1)]))
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![1, 2]
        );
        let custom: HashSet<i64, BuildHasherDefault<DefaultHasher>> =
            decode(Value::Set(vec![Value::Integer(1)])).unwrap();
        assert!(custom.contains(&1));
        decode_err::<HashSet<String>>(Value::Integer(3), &["HashSet<String", "integer 3"]);
        decode_err::<BTreeSet<String>>(Value::Nil, &["BTreeSet<String>", "nil"]);
    }

    #[test]
    fn maps_from_resp3_map_flat_array_and_pairs() {
        let want: HashMap<String, String> = [("name", "ada"), ("lang", "en")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let resp3 = Value::Map(pairs(&[("name", "ada"), ("lang", "en")]));
        let resp2 = Value::Array(bulks(&["name", "ada", "lang", "en"]));
        let of_pairs = Value::Array(vec![
            Value::Array(bulks(&["name", "ada"])),
            Value::Array(bulks(&["lang", "en"])),
        ]);
        assert_eq!(
            decode::<HashMap<String, String>>(resp3.clone()).unwrap(),
            want
        );
        assert_eq!(
            decode::<HashMap<String, String>>(resp2.clone()).unwrap(),
            want
        );
        assert_eq!(decode::<HashMap<String, String>>(of_pairs).unwrap(), want);
        let b: BTreeMap<String, String> = decode(resp2).unwrap();
        assert_eq!(b.keys().collect::<Vec<_>>(), ["lang", "name"]);
        let custom: HashMap<String, String, BuildHasherDefault<DefaultHasher>> =
            decode(resp3).unwrap();
        assert_eq!(custom["name"], "ada");
        assert!(decode::<HashMap<String, i64>>(Value::Array(vec![]))
            .unwrap()
            .is_empty());
        // Values that are aggregates in the flat form (XINFO-like replies).
        let nested = Value::Array(vec![bulk("a"), Value::Array(bulks(&["1", "2"]))]);
        let m: HashMap<String, Vec<i64>> = decode(nested).unwrap();
        assert_eq!(m["a"], [1, 2]);
        // A repeated key keeps the last value.
        let m: HashMap<String, i64> = decode(Value::Array(bulks(&["k", "1", "k", "2"]))).unwrap();
        assert_eq!(m["k"], 2);
    }

    #[test]
    fn map_errors_name_type_and_shape() {
        decode_err::<HashMap<String, String>>(
            Value::Array(bulks(&["a", "b", "c"])),
            &[
                "expected a map for HashMap<String, String>, got array of 3 elements",
                "odd",
            ],
        );
        decode_err::<HashMap<String, String>>(
            bulk("ab"),
            &["expected a map for HashMap<String, String>, got bulk string of 2 bytes"],
        );
        decode_err::<BTreeMap<String, String>>(Value::Nil, &["BTreeMap<String, String>", "nil"]);
        decode_err::<HashMap<String, String>>(
            Value::Array(vec![Value::Array(bulks(&["a", "b", "c"]))]),
            &["HashMap<String, String>", "entry 0 is array of 3 elements"],
        );
        decode_err::<HashMap<String, i64>>(
            Value::Map(pairs(&[("a", "1"), ("b", "x")])),
            &["i64", "at the value of entry 1"],
        );
        decode_err::<HashMap<i64, String>>(
            Value::Map(pairs(&[("x", "1")])),
            &["i64", "at the key of entry 0"],
        );
    }

    #[test]
    fn pair_lists_from_every_pair_shape() {
        let want = vec![("a".to_string(), 1.5), ("b".to_string(), 2.0)];
        // ZRANGE .. WITHSCORES: RESP2 flat text, RESP3 pairs with doubles.
        let resp2 = Value::Array(bulks(&["a", "1.5", "b", "2"]));
        let resp3 = Value::Array(vec![
            Value::Array(vec![bulk("a"), Value::Double(1.5)]),
            Value::Array(vec![bulk("b"), Value::Double(2.0)]),
        ]);
        let map = Value::Map(vec![
            (bulk("a"), Value::Double(1.5)),
            (bulk("b"), Value::Integer(2)),
        ]);
        assert_eq!(decode::<Vec<(String, f64)>>(resp2).unwrap(), want);
        assert_eq!(decode::<Vec<(String, f64)>>(resp3).unwrap(), want);
        assert_eq!(decode::<Vec<(String, f64)>>(map).unwrap(), want);
        assert_eq!(
            decode::<VecDeque<(String, String)>>(Value::Array(bulks(&["k", "v"]))).unwrap(),
            VecDeque::from(vec![("k".to_string(), "v".to_string())])
        );
        decode_err::<Vec<(String, f64)>>(
            Value::Array(bulks(&["a", "1", "b"])),
            &["Vec<(String, f64)>", "array of 3 elements", "odd"],
        );
        decode_err::<Vec<(String, f64)>>(
            Value::Array(bulks(&["a", "x"])),
            &["f64", "at element 1 of entry 0"],
        );
        decode_err::<Vec<(String, String)>>(
            Value::Integer(1),
            &["Vec<(String, String)>", "integer 1"],
        );
    }

    #[test]
    fn xread_shapes_agree() {
        type Entries = Vec<(String, Vec<(String, HashMap<String, String>)>)>;
        let entry = Value::Array(vec![bulk("1-0"), Value::Array(bulks(&["f", "v"]))]);
        let resp2 = Value::Array(vec![Value::Array(vec![
            bulk("stream"),
            Value::Array(vec![entry.clone()]),
        ])]);
        let resp3 = Value::Map(vec![(bulk("stream"), Value::Array(vec![entry]))]);
        let a: Entries = decode(resp2).unwrap();
        let b: Entries = decode(resp3).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].1[0].1["f"], "v");
    }

    #[test]
    fn tuples_need_the_exact_length() {
        assert_eq!(
            decode::<(String, i64)>(Value::Array(vec![bulk("k"), Value::Integer(3)])).unwrap(),
            ("k".to_string(), 3)
        );
        assert_eq!(
            decode::<(i64,)>(Value::Array(vec![bulk("4")])).unwrap(),
            (4,)
        );
        assert_eq!(
            decode::<(Option<String>, bool, f64)>(Value::Push(vec![
                Value::Nil,
                Value::Boolean(true),
                Value::Double(0.5)
            ]))
            .unwrap(),
            (None, true, 0.5)
        );
        let twelve = Value::Array((1..=12).map(Value::Integer).collect());
        let t: (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, i64) = decode(twelve).unwrap();
        assert_eq!((t.0, t.11), (1, 12));
        decode_err::<(String, i64)>(
            Value::Array(bulks(&["a", "b", "c"])),
            &["expected an array of 2 elements for (String, i64), got array of 3 elements"],
        );
        decode_err::<(String, i64)>(Value::Nil, &["(String, i64)", "nil"]);
        decode_err::<(String, String, String)>(
            Value::Set(bulks(&["a"])),
            &["(String, String, String)", "array of 1 elements"],
        );
        decode_err::<(String, i64)>(Value::Array(bulks(&["a", "b"])), &["i64", "at element 1"]);
        // BLPOP: nil on timeout needs Option.
        assert_eq!(
            decode::<Option<(String, String)>>(Value::Nil).unwrap(),
            None
        );
    }

    #[test]
    fn lists_of_byte_strings() {
        let v = Value::Array(vec![Value::Bulk(Bytes::from_static(b"\xff")), bulk("a")]);
        assert_eq!(
            decode::<Vec<Vec<u8>>>(v.clone()).unwrap(),
            vec![vec![0xff], b"a".to_vec()]
        );
        assert_eq!(
            decode::<Vec<Bytes>>(v).unwrap()[0],
            Bytes::from_static(b"\xff")
        );
    }

    /// The same reply in its RESP2 and RESP3 forms decodes to the same value.
    #[test]
    fn resp2_and_resp3_shapes_decode_alike() {
        fn same<T: FromValue + PartialEq + std::fmt::Debug>(resp2: Value, resp3: Value) -> T {
            let a = decode::<T>(resp2).unwrap();
            assert_eq!(a, decode::<T>(resp3).unwrap());
            a
        }
        // ZSCORE / INCRBYFLOAT: bulk text vs double.
        assert_eq!(same::<f64>(bulk("1.5"), Value::Double(1.5)), 1.5);
        assert_eq!(
            same::<Option<f64>>(bulk("-inf"), Value::Double(f64::NEG_INFINITY)),
            Some(f64::NEG_INFINITY)
        );
        assert_eq!(same::<String>(bulk("3"), Value::Double(3.0)), "3");
        // Nil is nil in both.
        assert_eq!(same::<Option<String>>(Value::Nil, Value::Nil), None);
        // Script booleans: integer 1 / nil vs RESP3 true.
        assert!(same::<bool>(Value::Integer(1), Value::Boolean(true)));
        assert_eq!(same::<i64>(Value::Integer(0), Value::Boolean(false)), 0);
        // Big numbers vs their text.
        assert_eq!(
            same::<i128>(
                bulk("99999999999999999999"),
                Value::BigNumber("99999999999999999999".into())
            ),
            99_999_999_999_999_999_999
        );
        // INFO / CLIENT INFO: bulk vs verbatim.
        assert_eq!(
            same::<String>(
                bulk("x:1"),
                Value::Verbatim {
                    format: *b"txt",
                    text: "x:1".into()
                }
            ),
            "x:1"
        );
        // SMEMBERS: array vs set.
        assert_eq!(
            same::<BTreeSet<String>>(
                Value::Array(bulks(&["b", "a"])),
                Value::Set(bulks(&["a", "b"]))
            )
            .len(),
            2
        );
        // HGETALL / CONFIG GET: flat array vs map.
        let resp2 = Value::Array(bulks(&["maxmemory", "0", "port", "6379"]));
        let resp3 = Value::Map(pairs(&[("maxmemory", "0"), ("port", "6379")]));
        same::<HashMap<String, String>>(resp2.clone(), resp3.clone());
        same::<BTreeMap<String, u32>>(resp2.clone(), resp3.clone());
        same::<Vec<(String, String)>>(resp2.clone(), resp3.clone());
        same::<Vec<String>>(resp2, resp3);
        // HELLO: flat array vs map, with integer and array values.
        let resp2 = Value::Array(vec![
            bulk("proto"),
            Value::Integer(2),
            bulk("modules"),
            Value::Array(vec![]),
        ]);
        let resp3 = Value::Map(vec![
            (bulk("proto"), Value::Integer(2)),
            (bulk("modules"), Value::Array(vec![])),
        ]);
        same::<HashMap<String, Value>>(resp2, resp3);
        // ZRANGE .. WITHSCORES: flat text vs pairs with doubles.
        let resp2 = Value::Array(bulks(&["m", "2"]));
        let resp3 = Value::Array(vec![Value::Array(vec![bulk("m"), Value::Double(2.0)])]);
        assert_eq!(
            same::<Vec<(String, f64)>>(resp2, resp3),
            [("m".to_string(), 2.0)]
        );
    }
}
