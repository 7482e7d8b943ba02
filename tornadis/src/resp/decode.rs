//! Decoder: check a frame is complete, then build it from `Bytes` slices.
//! (Placeholder signature; the full decoder replaces this file.)

use bytes::BytesMut;

use crate::error::Error;
use crate::resp::Value;

/// Bounds on what the decoder accepts from the network.
#[derive(Debug, Clone, Copy)]
pub struct DecoderLimits {
    /// Deepest nesting of aggregates.
    pub max_depth: usize,
    /// Longest bulk string in bytes.
    pub max_bulk_len: usize,
    /// Most elements in one aggregate.
    pub max_elements: usize,
}

impl Default for DecoderLimits {
    fn default() -> Self {
        DecoderLimits {
            max_depth: 128,
            max_bulk_len: 512 * 1024 * 1024,
            max_elements: 1 << 32,
        }
    }
}

/// A RESP2/RESP3 decoder.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: DecoderLimits,
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: DecoderLimits) -> Self {
        Decoder { limits }
    }

    /// Decodes one frame from the front of `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, Error> {
        let _ = (buf, self.limits);
        Err(Error::protocol("decoder not written yet"))
    }
}
