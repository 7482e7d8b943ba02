//! Conversions between Rust values and Redis: [`ToArg`]/[`ToArgs`] for
//! arguments, [`FromValue`] and serde for replies.

mod from_value;
mod to_arg;

pub use from_value::FromValue;
pub use to_arg::{ToArg, ToArgs};
