//! The RESP2/RESP3 wire format: [`Value`], the decoder and the encoder.

mod decode;
mod encode;
mod value;

pub use decode::{Decoder, DecoderLimits};
pub use encode::encode_value;
pub use value::{ServerError, Value};
