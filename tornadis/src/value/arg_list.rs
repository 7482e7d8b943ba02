//! [`ToArgList`]: one value or many, where a command takes a list.
//!
//! Why not `IntoIterator`: a `&str` or a `String` is not an iterator, so a
//! list parameter typed `impl IntoIterator` refuses `del("k")`, and rustc then
//! suggests `.chars()`, which compiles and sends one argument per character.
//! `ToArgList` takes a single [`ToArg`] value as a list of one, the usual
//! collections and std iterators as many, and deliberately not
//! [`Chars`](std::str::Chars) or [`Bytes`](std::str::Bytes).
//!
//! A blanket impl over every iterator is impossible next to the one over every
//! `ToArg` (a type could be both), so iterators are covered type by type: the
//! adapters of `std::iter` and the iterators of the std collections. Any other
//! iterator goes through [`Many`].

use std::collections::{btree_map, btree_set, hash_map, hash_set, vec_deque};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::iter;
use std::ops::{Range, RangeInclusive};

use super::ToArg;

/// One value or many, for a parameter where a command takes a list of
/// values (`DEL key [key ...]`, `LPUSH key element [element ...]`, the
/// pairs of `HSET` or `ZADD`).
///
/// - one value: anything [`ToArg`] (`"k"`, a `String`, bytes, a number) is a
///   list of one; a `&str` is always one value, never its characters;
/// - one pair (or triple) where the command takes pairs: `("field", "value")`,
///   `(1.5, "member")`;
/// - many: arrays, slices, `Vec`s, `VecDeque`s, sets, maps (as pairs), by
///   value or by reference, and the std iterators and adapters
///   (`keys.iter()`, `(0..n).map(..)`, `a.iter().zip(b)`, ...);
/// - any other iterator: wrap it in [`Many`].
///
/// An empty list where Redis needs one value or more makes the command fail
/// with a client error before anything is sent.
///
/// ```
/// use tornadis::{Cmd, Commands, Executor, FromValue, Many};
/// # struct Capture;
/// # impl Executor for Capture {
/// #     type Output<R: FromValue> = Cmd;
/// #     fn execute<R: FromValue>(self, cmd: Cmd) -> Cmd { cmd }
/// # }
/// # fn args(c: &Cmd) -> Vec<String> { c.arg_slices().map(|a| String::from_utf8_lossy(a).into_owned()).collect() }
/// let keys = vec!["a".to_string(), "b".to_string()];
/// assert_eq!(args(&Capture.del("k")), ["DEL", "k"]);
/// assert_eq!(args(&Capture.del(["a", "b"])), ["DEL", "a", "b"]);
/// assert_eq!(args(&Capture.del(&keys)), ["DEL", "a", "b"]);
/// assert_eq!(args(&Capture.del(keys.iter().map(|k| format!("{k}:1")))), ["DEL", "a:1", "b:1"]);
/// assert_eq!(args(&Capture.zadd("z", (1.5, "m"))), ["ZADD", "z", "1.5", "m"]);
/// assert_eq!(args(&Capture.del(Many(keys.iter().rev()))), ["DEL", "b", "a"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither one value nor a list of values for this argument",
    label = "expected one value, a pair, or a list of them",
    note = "pass one value (`\"key\"`, a `String`, bytes, a number), one pair such as `(\"field\", \"value\")`, or an array, slice, `Vec`, set or map of them",
    note = "another iterator goes in `tornadis::Many(iter)`; to send the characters of a string one by one, collect them into a `Vec` first"
)]
pub trait ToArgList {
    /// One item of the list: a value, or a tuple where the command takes groups.
    type Item;
    /// The items, in the order they are sent.
    type Iter: Iterator<Item = Self::Item>;
    /// The items of this list.
    fn into_list(self) -> Self::Iter;
}

/// What a collection may hold to be a list (rather than one value, as a
/// `Vec<u8>` is): a [`ToArg`] value, a tuple, or a generated choice enum.
///
/// It exists so that `Vec<u8>` and `[u8; N]` stay one binary value while
/// `Vec<String>` is many; there is nothing to implement for a user type
/// beyond [`ToArg`].
#[doc(hidden)]
pub trait ListItem {}

impl<T: ToArg + ?Sized> ListItem for T {}
impl<A, B> ListItem for (A, B) {}
impl<A, B, C> ListItem for (A, B, C) {}
impl<A, B, C, D> ListItem for (A, B, C, D) {}

/// Any iterator, as a list: for iterator types [`ToArgList`] does not name.
///
/// ```
/// # fn demo(client: &tornadis::Client) {
/// use tornadis::{Commands, Many};
/// fn keys(prefix: &str) -> impl Iterator<Item = String> + '_ {
///     (0..3).map(move |i| format!("{prefix}:{i}"))
/// }
/// let _request = client.del(Many(keys("session")));
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Many<I>(pub I);

impl<I: IntoIterator> ToArgList for Many<I> {
    type Item = I::Item;
    type Iter = I::IntoIter;
    fn into_list(self) -> I::IntoIter {
        self.0.into_iter()
    }
}

impl<T: ToArg> ToArgList for T {
    type Item = T;
    type Iter = iter::Once<T>;
    fn into_list(self) -> iter::Once<T> {
        iter::once(self)
    }
}

macro_rules! one_tuple {
    ($($name:ident)+) => {
        impl<$($name),+> ToArgList for ($($name,)+) {
            type Item = ($($name,)+);
            type Iter = iter::Once<($($name,)+)>;
            fn into_list(self) -> Self::Iter {
                iter::once(self)
            }
        }
    };
}
one_tuple!(A B);
one_tuple!(A B C);
one_tuple!(A B C D);

/// Owned collections: their items by value.
macro_rules! owned {
    ($([$($g:tt)*] $t:ty => $iter:ty, $item:ty;)*) => {$(
        impl<$($g)*> ToArgList for $t {
            type Item = $item;
            type Iter = $iter;
            fn into_list(self) -> $iter {
                IntoIterator::into_iter(self)
            }
        }
    )*};
}
owned! {
    [T: ListItem] Vec<T> => std::vec::IntoIter<T>, T;
    [T: ListItem, const N: usize] [T; N] => std::array::IntoIter<T, N>, T;
    [T: ListItem] VecDeque<T> => vec_deque::IntoIter<T>, T;
    [T: ListItem, S] HashSet<T, S> => hash_set::IntoIter<T>, T;
    [T: ListItem] BTreeSet<T> => btree_set::IntoIter<T>, T;
    [K, V, S] HashMap<K, V, S> => hash_map::IntoIter<K, V>, (K, V);
    [K, V] BTreeMap<K, V> => btree_map::IntoIter<K, V>, (K, V);
    ['a, T: ListItem] &'a [T] => std::slice::Iter<'a, T>, &'a T;
    ['a, T: ListItem] &'a Vec<T> => std::slice::Iter<'a, T>, &'a T;
    ['a, T: ListItem, const N: usize] &'a [T; N] => std::slice::Iter<'a, T>, &'a T;
    ['a, T: ListItem] &'a VecDeque<T> => vec_deque::Iter<'a, T>, &'a T;
    ['a, T: ListItem, S] &'a HashSet<T, S> => hash_set::Iter<'a, T>, &'a T;
    ['a, T: ListItem] &'a BTreeSet<T> => btree_set::Iter<'a, T>, &'a T;
    ['a, K, V, S] &'a HashMap<K, V, S> => hash_map::Iter<'a, K, V>, (&'a K, &'a V);
    ['a, K, V] &'a BTreeMap<K, V> => btree_map::Iter<'a, K, V>, (&'a K, &'a V);
}

/// Iterators: themselves.
macro_rules! iterators {
    ($([$($g:tt)*] $t:ty;)*) => {$(
        impl<$($g)*> ToArgList for $t where $t: Iterator {
            type Item = <$t as Iterator>::Item;
            type Iter = Self;
            fn into_list(self) -> Self {
                self
            }
        }
    )*};
}
iterators! {
    [I, F] iter::Map<I, F>;
    [I, P] iter::Filter<I, P>;
    [I, F] iter::FilterMap<I, F>;
    [I] iter::Cloned<I>;
    [I] iter::Copied<I>;
    [A, B] iter::Chain<A, B>;
    [A, B] iter::Zip<A, B>;
    [I] iter::Enumerate<I>;
    [I] iter::Take<I>;
    [I] iter::Skip<I>;
    [I] iter::StepBy<I>;
    [I] iter::Rev<I>;
    [I: Iterator] iter::Peekable<I>;
    [I] iter::Fuse<I>;
    [I, F] iter::Inspect<I, F>;
    [I, P] iter::TakeWhile<I, P>;
    [I, P] iter::SkipWhile<I, P>;
    [I, U: IntoIterator, F] iter::FlatMap<I, U, F>;
    [I: Iterator<Item: IntoIterator>] iter::Flatten<I>;
    [T] iter::Once<T>;
    [T] iter::Empty<T>;
    [A] Range<A>;
    [A] RangeInclusive<A>;
    ['a, T] std::slice::Iter<'a, T>;
    [T] std::vec::IntoIter<T>;
    [T, const N: usize] std::array::IntoIter<T, N>;
    ['a, T] vec_deque::Iter<'a, T>;
    [T] vec_deque::IntoIter<T>;
    ['a, T] hash_set::Iter<'a, T>;
    [T] hash_set::IntoIter<T>;
    ['a, T] btree_set::Iter<'a, T>;
    [T] btree_set::IntoIter<T>;
    ['a, K, V] hash_map::Iter<'a, K, V>;
    [K, V] hash_map::IntoIter<K, V>;
    ['a, K, V] hash_map::Keys<'a, K, V>;
    ['a, K, V] hash_map::Values<'a, K, V>;
    [K, V] hash_map::IntoKeys<K, V>;
    [K, V] hash_map::IntoValues<K, V>;
    ['a, K, V] btree_map::Iter<'a, K, V>;
    [K, V] btree_map::IntoIter<K, V>;
    ['a, K, V] btree_map::Keys<'a, K, V>;
    ['a, K, V] btree_map::Values<'a, K, V>;
    [K, V] btree_map::IntoKeys<K, V>;
    [K, V] btree_map::IntoValues<K, V>;
    ['a] std::str::SplitWhitespace<'a>;
    ['a] std::str::Lines<'a>;
    ['a, T] Box<dyn Iterator<Item = T> + 'a>;
    ['a, T] Box<dyn Iterator<Item = T> + Send + 'a>;
}
