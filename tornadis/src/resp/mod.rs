//! The RESP2/RESP3 wire format: [`Value`], the decoder and the encoder.
//!
//! ## Layout
//! - `value`: [`Value`] and [`ServerError`].
//! - `decode`: [`Decoder`] and [`DecoderLimits`], which glue the two passes below.
//! - `check`: the resumable pass that finds whether a whole frame is buffered.
//! - `parse`: the pass that builds a [`Value`] from a complete frame.
//! - `lex`: number and line readers shared by both passes.
//! - `encode`: [`encode_value`] (RESP3) and [`encode_value_resp2`].

mod check;
mod decode;
mod encode;
mod lex;
mod parse;
mod value;

#[cfg(test)]
mod proptests;

pub use decode::{Decoder, DecoderLimits};
pub(crate) use encode::header;
pub use encode::{encode_value, encode_value_resp2};
pub use value::{ServerError, Value};
