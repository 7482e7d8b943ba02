//! [`PairList`]: the outer shapes a reply made of pairs may take, chosen by
//! the caller (`zrange_withscores` into a `Vec<(String, f64)>`, a
//! `HashMap<String, f64>` or a `BTreeMap<String, f64>`).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use crate::value::FromValue;

/// A collection of `(K, V)` pairs a reply of pairs decodes into: a
/// `Vec<(K, V)>` keeps the server's order (a sorted set's rank order), a
/// `HashMap` or `BTreeMap` looks members up (a repeated key keeps its last
/// value). The typed methods whose reply is a list of pairs take any of
/// them: `let top: BTreeMap<String, f64> = client.zrange_withscores(..)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold this reply's pairs",
    label = "expected a `Vec<({K}, {V})>`, a `HashMap<{K}, {V}>` or a `BTreeMap<{K}, {V}>`",
    note = "annotate the result: `let v: Vec<(String, f64)> = client.zrange_withscores(..).await?;`"
)]
pub trait PairList<K, V>: FromValue {}

impl<K: FromValue, V: FromValue> PairList<K, V> for Vec<(K, V)> {}

impl<K, V, S> PairList<K, V> for HashMap<K, V, S>
where
    K: FromValue + Eq + Hash,
    V: FromValue,
    S: BuildHasher + Default,
{
}

impl<K: FromValue + Ord, V: FromValue> PairList<K, V> for BTreeMap<K, V> {}
