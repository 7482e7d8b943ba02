//! Conversions between Rust values and Redis: [`ToArg`]/[`ToArgs`] for
//! arguments, [`FromValue`] and serde for replies.
//!
//! - `from_value`: the [`FromValue`] trait and its impls for scalars.
//! - `collections`: [`FromValue`] for lists, sets, maps, pairs and tuples.
//! - `de`: a serde [`Deserializer`](ValueDeserializer) over a [`Value`](crate::Value),
//!   [`from_value_serde`] and the [`Serde`] wrapper.
//! - `ser`: [`Fields`], a serde `Serialize` value written as field/value arguments.
//! - `stream_codes`: [`EntryDeletion`], the per-ID codes of `XDELEX` and `XACKDEL`.
//! - `streams`: [`StreamEntry`], [`StreamKey`], [`PendingSummary`], [`PendingEntry`], [`AutoClaim`].
//! - `pairs`: [`PairList`], the caller's choice of outer shape for a reply of pairs.
//! - `to_arg`: [`ToArg`] and [`ToArgs`].
//! - `arg_list`: [`ToArgList`] (one value or many, where a command takes a list) and [`Many`].

mod arg_list;
mod collections;
mod de;
mod from_value;
mod hash_field;
mod pairs;
mod ser;
mod stream_codes;
mod streams;
mod to_arg;

#[doc(hidden)]
pub use arg_list::ListItem;
pub use arg_list::{Many, ToArgList};
pub use de::{from_value_serde, Serde, ValueDeserializer};
pub use from_value::FromValue;
pub use hash_field::{FieldExpire, FieldPersist, FieldTtl};
pub use pairs::PairList;
pub use ser::Fields;
pub use stream_codes::EntryDeletion;
pub use streams::{AutoClaim, PendingEntry, PendingSummary, StreamEntry, StreamKey};
pub use to_arg::{ToArg, ToArgs};
