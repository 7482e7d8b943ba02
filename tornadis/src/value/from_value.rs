//! [`FromValue`]: turning a reply into a Rust type.

use crate::error::Error;
use crate::resp::Value;

/// A Rust type that a reply can be decoded into.
pub trait FromValue: Sized {
    /// Decodes `value`, or explains which shape was expected and which was received.
    fn from_value(value: Value) -> Result<Self, Error>;
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, Error> {
        Ok(value)
    }
}
