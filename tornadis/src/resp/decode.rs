//! [`Decoder`]: turns the bytes of a connection's read buffer into [`Value`]s.
//!
//! Decoding is check-then-parse. A cheap check pass (`check.rs`) finds whether
//! one whole frame is buffered and how long it is, without allocating; only
//! then is exactly that many bytes split off the buffer and parsed
//! (`parse.rs`) into a `Value` whose strings are slices of those bytes. An
//! incomplete frame is the normal case on a socket, not an error: it leaves
//! the buffer untouched and the check resumes where it stopped once more
//! bytes arrive.
//!
//! Most replies are one whole scalar (`+OK`, an integer, a bulk string): such
//! a frame is taken in one step, without the two passes, when it is plainly
//! valid; anything else, malformed or not all there goes through the passes,
//! so what is accepted, refused and limited is theirs alone.

use bytes::{Buf, BytesMut};

use crate::error::Error;
use crate::resp::check::Checker;
use crate::resp::lex::{self, Len};
use crate::resp::parse::{self, Open};
use crate::resp::Value;

/// The longest simple-string line taken in one step (`+OK`, `+QUEUED`,
/// `+PONG`; longer lines go through the two passes).
const SHORT_LINE: usize = 64;

/// Bounds on what the decoder accepts from the network.
///
/// A frame that exceeds a limit is a protocol error. The limits also bound
/// work and memory: nothing is reserved for a claimed length or count until
/// the bytes backing it have arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderLimits {
    /// Deepest nesting of aggregates (a flat array has depth 1). Default 128.
    pub max_depth: usize,
    /// Longest bulk string, and longest simple-string line, in bytes.
    /// Default 512 MiB, the server's own `proto-max-bulk-len` default.
    pub max_bulk_len: usize,
    /// Most elements (or map entries) in one aggregate. Default 2³²−1.
    pub max_elements: usize,
    /// Most bytes of one whole frame, all its parts together: a bound on
    /// the memory one reply can take while it is buffered. Default 512 MiB
    /// ([`ConfigBuilder::max_reply_size`](crate::ConfigBuilder::max_reply_size)).
    pub max_frame_len: usize,
}

impl Default for DecoderLimits {
    fn default() -> Self {
        DecoderLimits {
            max_depth: 128,
            max_bulk_len: 512 * 1024 * 1024,
            max_elements: u32::MAX as usize,
            max_frame_len: 512 * 1024 * 1024,
        }
    }
}

/// A RESP2/RESP3 decoder.
///
/// It accepts every RESP2 and RESP3 type, including attributes, pushes,
/// verbatim strings and blob errors; the RESP2 nulls `$-1` and `*-1` become
/// [`Value::Nil`]. Streamed strings and aggregates (`$?`, `*?`, ...), which
/// Redis never sends, are rejected.
///
/// ```
/// use tornadis::bytes::BytesMut;
/// use tornadis::resp::Decoder;
/// use tornadis::Value;
///
/// let mut decoder = Decoder::default();
/// let mut buf = BytesMut::from(&b"*2\r\n$3\r\nfoo\r\n:4"[..]);
/// assert_eq!(decoder.decode(&mut buf)?, None); // not all there yet
/// buf.extend_from_slice(b"2\r\n+OK\r\n");
/// assert_eq!(
///     decoder.decode(&mut buf)?,
///     Some(Value::Array(vec![Value::Bulk("foo".into()), Value::Integer(42)]))
/// );
/// assert_eq!(decoder.decode(&mut buf)?, Some(Value::SimpleString("OK".into())));
/// assert!(buf.is_empty());
/// # Ok::<(), tornadis::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Decoder {
    limits: DecoderLimits,
    checker: Checker,
    /// Scratch stack for the parse pass, kept to reuse its allocation.
    stack: Vec<Open>,
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: DecoderLimits) -> Self {
        Decoder {
            limits,
            checker: Checker::default(),
            stack: Vec::new(),
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &DecoderLimits {
        &self.limits
    }

    /// Decodes one frame from the front of `buf`.
    ///
    /// Returns `Ok(Some(value))` and removes the frame's bytes from `buf` when
    /// a whole frame is buffered, and `Ok(None)` with `buf` untouched when more
    /// bytes are needed. Between calls that return `None`, only append to
    /// `buf` (as reading from a socket does): the decoder remembers how far it
    /// got. To decode an unrelated buffer, call [`reset`](Decoder::reset) first.
    ///
    /// # Errors
    ///
    /// A [`Protocol`](crate::ErrorKind::Protocol) error when the bytes are not
    /// valid RESP or exceed the [`DecoderLimits`]; the message names the
    /// problem and its byte offset from the start of the frame. The stream
    /// cannot be resynchronised after that: drop the connection.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, Error> {
        if self.checker.is_idle() {
            if let Some(value) = self.scalar(buf) {
                return Ok(Some(value));
            }
        }
        self.two_passes(buf)
    }

    /// [`decode`](Decoder::decode) through the check and parse passes.
    fn two_passes(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, Error> {
        // Only the first `max_frame_len` bytes are checked, however many are
        // buffered: a frame that does not end within them is too large,
        // whatever follows, so the verdict does not depend on how the bytes
        // arrived (a malformed byte past the limit is never reached).
        let view = buf.get(..self.limits.max_frame_len).unwrap_or(buf);
        let len = match self.checker.check(view, &self.limits) {
            Ok(Some(len)) if len <= self.limits.max_frame_len => len,
            // Incomplete: every buffered byte belongs to this frame.
            Ok(None) if buf.len() <= self.limits.max_frame_len => return Ok(None),
            Ok(_) => {
                self.checker.reset();
                return Err(Error::protocol(format!(
                    "a reply larger than the limit of {} bytes (max_reply_size); the connection \
                     is dropped. Fetch less at once (SCAN, LRANGE in pages) or raise \
                     ConfigBuilder::max_reply_size",
                    self.limits.max_frame_len
                )));
            }
            Err(e) => {
                self.checker.reset();
                return Err(e);
            }
        };
        let frame = buf.split_to(len).freeze();
        parse::parse(&frame, &mut self.stack).map(Some)
    }

    /// Takes the frame at the front of `buf` when it is a whole scalar that
    /// the two passes would accept as it is: a simple string shorter than
    /// [`SHORT_LINE`], an integer, or a bulk string (or its RESP2 null).
    /// `None`, with `buf` untouched, for anything else.
    fn scalar(&self, buf: &mut BytesMut) -> Option<Value> {
        let limits = &self.limits;
        let ty = *buf.first()?;
        let (text, end) = match ty {
            b'+' => {
                // Searched no further than a line the passes accept.
                let until = buf.len().min(1 + SHORT_LINE.min(limits.max_bulk_len));
                let cr = lex::find_eol(buf, 1, until)?;
                if buf.get(cr..cr + 2)? != b"\r\n" {
                    return None;
                }
                (Some(1..cr), cr + 2)
            }
            b':' => {
                let (n, next) = lex::int_line(buf, 1).ok()??;
                if next > limits.max_frame_len {
                    return None;
                }
                buf.advance(next);
                return Some(Value::Integer(n));
            }
            b'$' => match lex::len_line(buf, 1, "bulk length").ok()?? {
                (Len::Null, next) => (None, next),
                (Len::N(n), next) => {
                    if n > limits.max_bulk_len as u64 {
                        return None;
                    }
                    let payload_end = next.checked_add(usize::try_from(n).ok()?)?;
                    let end = payload_end.checked_add(2)?;
                    if buf.get(payload_end..end)? != b"\r\n" {
                        return None;
                    }
                    (Some(next..payload_end), end)
                }
            },
            _ => return None,
        };
        if end > limits.max_frame_len {
            return None;
        }
        match &text {
            None => {
                buf.advance(end);
                return Some(Value::Nil);
            }
            // The commonest reply of all: a static copy, with nothing cut
            // out of the buffer or counted.
            Some(t) if ty == b'+' && buf.get(t.clone()) == Some(b"OK") => {
                buf.advance(end);
                return Some(Value::SimpleString(bytes::Bytes::from_static(b"OK")));
            }
            Some(_) => {}
        }
        let frame = buf.split_to(end).freeze();
        Some(match text {
            Some(text) if ty == b'+' => Value::SimpleString(frame.slice(text)),
            Some(text) => Value::Bulk(frame.slice(text)),
            None => Value::Nil,
        })
    }

    /// Forgets any partly checked frame, for use with a different buffer.
    pub fn reset(&mut self) {
        self.checker.reset();
    }

    #[cfg(test)]
    fn checker_open_capacity(&self) -> usize {
        self.checker.open_capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::ServerError;
    use crate::ErrorKind;
    use bytes::Bytes;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// Decodes `input`, which must hold exactly one frame, and checks that
    /// every strict prefix of it is reported incomplete.
    fn one(input: &[u8]) -> Value {
        for cut in 0..input.len() {
            let mut buf = BytesMut::from(&input[..cut]);
            assert_eq!(
                Decoder::default().decode(&mut buf).unwrap(),
                None,
                "prefix of {cut} bytes"
            );
            assert_eq!(buf.len(), cut);
        }
        let mut buf = BytesMut::from(input);
        let v = Decoder::default().decode(&mut buf).unwrap().unwrap();
        assert!(buf.is_empty(), "left over: {buf:?}");
        v
    }

    fn fails(input: &[u8]) -> Error {
        fails_with(input, DecoderLimits::default())
    }

    fn fails_with(input: &[u8], limits: DecoderLimits) -> Error {
        let mut buf = BytesMut::from(input);
        let e = Decoder::new(limits).decode(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
        e
    }

    /// What the one-step path and the two passes make of `input` under
    /// `limits`: the result (errors by message) and the bytes left.
    fn both_ways(
        input: &[u8],
        limits: DecoderLimits,
    ) -> [(Result<Option<Value>, String>, usize); 2] {
        let run = |one_step: bool| {
            let mut buf = BytesMut::from(input);
            let mut d = Decoder::new(limits);
            let r = if one_step {
                d.decode(&mut buf)
            } else {
                d.two_passes(&mut buf)
            };
            (r.map_err(|e| e.to_string()), buf.len())
        };
        [run(true), run(false)]
    }

    #[test]
    fn scalars_taken_in_one_step_decode_as_the_two_passes_do() {
        let long = format!("+{}\r\n", "x".repeat(SHORT_LINE + 5));
        let inputs: Vec<&[u8]> = vec![
            b"+OK\r\n",
            b"+OK\r\n:1\r\n",
            b"+\r\n",
            b"+OK\n",
            b"+O\rK\r\n",
            b"+OK\r",
            b"+OK\rx",
            long.as_bytes(),
            b":0\r\n",
            b":-9223372036854775808\r\n",
            b":9223372036854775808\r\n",
            b":12a\r\n",
            b":+5\r\n",
            b":\r\n",
            b":1\n",
            b"$3\r\nfoo\r\n",
            b"$3\r\nfoo\r\n+OK\r\n",
            b"$0\r\n\r\n",
            b"$-1\r\n",
            b"$-2\r\n",
            b"$3\r\nfooXY",
            b"$3\r\nfo",
            b"$99999999999999999999\r\n",
            b"$18446744073709551615\r\nx\r\n",
            b"$4\r\nfoo\r\n",
        ];
        let tight = DecoderLimits {
            max_bulk_len: 2,
            max_frame_len: 4,
            ..DecoderLimits::default()
        };
        for input in inputs {
            for limits in [DecoderLimits::default(), tight] {
                for cut in 0..=input.len() {
                    let [one_step, two] = both_ways(&input[..cut], limits);
                    assert_eq!(
                        one_step,
                        two,
                        "{:?} cut at {cut}, {limits:?}",
                        String::from_utf8_lossy(input)
                    );
                }
            }
        }
    }

    #[test]
    fn a_frame_past_the_limit_fails_alike_however_its_bytes_arrive() {
        // An array that would be malformed only past the 16-byte limit.
        let input = b"*3\r\n$3\r\nabc\r\n$3\r\nxyz\r\n*x\r\n";
        let limits = DecoderLimits {
            max_frame_len: 16,
            ..DecoderLimits::default()
        };
        let whole = Decoder::new(limits)
            .decode(&mut BytesMut::from(&input[..]))
            .unwrap_err();
        let mut d = Decoder::new(limits);
        let mut buf = BytesMut::new();
        let mut chunked = None;
        for piece in input.chunks(5) {
            buf.extend_from_slice(piece);
            if let Err(e) = d.decode(&mut buf) {
                chunked = Some(e);
                break;
            }
        }
        assert!(
            whole.to_string().contains("larger than the limit"),
            "{whole}"
        );
        assert_eq!(chunked.map(|e| e.to_string()), Some(whole.to_string()));
    }

    #[test]
    fn decoder_can_move_between_tasks() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Decoder>();
    }

    #[test]
    fn resp2_types() {
        assert_eq!(one(b"+OK\r\n"), Value::SimpleString(b("OK")));
        assert_eq!(one(b"+\r\n"), Value::SimpleString(b("")));
        assert_eq!(
            one(b"-WRONGTYPE Operation against a key\r\n"),
            Value::Error(ServerError::new(b("WRONGTYPE Operation against a key")))
        );
        assert_eq!(one(b":0\r\n"), Value::Integer(0));
        assert_eq!(one(b":-12\r\n"), Value::Integer(-12));
        assert_eq!(one(b":+5\r\n"), Value::Integer(5));
        assert_eq!(one(b"$5\r\nhello\r\n"), Value::Bulk(b("hello")));
        assert_eq!(one(b"$0\r\n\r\n"), Value::Bulk(b("")));
        assert_eq!(one(b"$4\r\na\r\nb\r\n"), Value::Bulk(b("a\r\nb")));
        assert_eq!(one(b"$-1\r\n"), Value::Nil);
        assert_eq!(one(b"*-1\r\n"), Value::Nil);
        assert_eq!(one(b"*0\r\n"), Value::Array(vec![]));
        assert_eq!(
            one(b"*3\r\n:1\r\n$-1\r\n*1\r\n+x\r\n"),
            Value::Array(vec![
                Value::Integer(1),
                Value::Nil,
                Value::Array(vec![Value::SimpleString(b("x"))]),
            ])
        );
    }

    #[test]
    fn resp3_types() {
        assert_eq!(one(b"_\r\n"), Value::Nil);
        assert_eq!(one(b",3.5\r\n"), Value::Double(3.5));
        assert_eq!(one(b",-2\r\n"), Value::Double(-2.0));
        assert_eq!(one(b",1.5e3\r\n"), Value::Double(1500.0));
        assert_eq!(one(b",inf\r\n"), Value::Double(f64::INFINITY));
        assert_eq!(one(b",-inf\r\n"), Value::Double(f64::NEG_INFINITY));
        assert!(matches!(one(b",nan\r\n"), Value::Double(d) if d.is_nan()));
        assert_eq!(one(b"#t\r\n"), Value::Boolean(true));
        assert_eq!(one(b"#f\r\n"), Value::Boolean(false));
        assert_eq!(
            one(b"(3492890328409238509324850943850943825024385\r\n"),
            Value::BigNumber(b("3492890328409238509324850943850943825024385"))
        );
        assert_eq!(one(b"(-12\r\n"), Value::BigNumber(b("-12")));
        assert_eq!(
            one(b"!21\r\nSYNTAX invalid syntax\r\n"),
            Value::Error(ServerError::new(b("SYNTAX invalid syntax")))
        );
        assert_eq!(
            one(b"=15\r\ntxt:Some string\r\n"),
            Value::Verbatim {
                format: *b"txt",
                text: b("Some string")
            }
        );
        assert_eq!(
            one(b"=4\r\nmkd:\r\n"),
            Value::Verbatim {
                format: *b"mkd",
                text: b("")
            }
        );
        assert_eq!(
            one(b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"),
            Value::Map(vec![
                (Value::SimpleString(b("first")), Value::Integer(1)),
                (Value::SimpleString(b("second")), Value::Integer(2)),
            ])
        );
        assert_eq!(one(b"%0\r\n"), Value::Map(vec![]));
        assert_eq!(
            one(b"~3\r\n+a\r\n+b\r\n#t\r\n"),
            Value::Set(vec![
                Value::SimpleString(b("a")),
                Value::SimpleString(b("b")),
                Value::Boolean(true),
            ])
        );
        assert_eq!(one(b"~0\r\n"), Value::Set(vec![]));
        assert_eq!(
            one(b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
            Value::Push(vec![
                Value::Bulk(b("message")),
                Value::Bulk(b("ch")),
                Value::Bulk(b("hi")),
            ])
        );
        assert_eq!(one(b">0\r\n"), Value::Push(vec![]));
    }

    #[test]
    fn attributes() {
        // The example from the RESP3 specification: an attribute before a reply.
        let input = b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n";
        assert_eq!(
            one(input),
            Value::Attribute {
                attributes: vec![(
                    Value::SimpleString(b("key-popularity")),
                    Value::Map(vec![
                        (Value::Bulk(b("a")), Value::Double(0.1923)),
                        (Value::Bulk(b("b")), Value::Double(0.0012)),
                    ])
                )],
                value: Box::new(Value::Array(vec![
                    Value::Integer(2039123),
                    Value::Integer(9543892)
                ])),
            }
        );
        // Inside an aggregate the attribute and its value count as one element.
        assert_eq!(
            one(b"*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n"),
            Value::Array(vec![
                Value::Integer(1),
                Value::Attribute {
                    attributes: vec![(Value::SimpleString(b("ttl")), Value::Integer(3600))],
                    value: Box::new(Value::Integer(2)),
                },
            ])
        );
        assert_eq!(
            one(b"|0\r\n:7\r\n"),
            Value::Attribute {
                attributes: vec![],
                value: Box::new(Value::Integer(7)),
            }
        );
        // An attribute annotating an attribute-annotated value.
        assert_eq!(
            one(b"|0\r\n|0\r\n_\r\n"),
            Value::Attribute {
                attributes: vec![],
                value: Box::new(Value::Attribute {
                    attributes: vec![],
                    value: Box::new(Value::Nil),
                }),
            }
        );
    }

    #[test]
    fn several_frames_in_one_buffer() {
        let mut buf = BytesMut::from(&b"+OK\r\n:1\r\n*1\r\n$1\r\nx\r\n$3\r\nab"[..]);
        let mut d = Decoder::default();
        assert_eq!(
            d.decode(&mut buf).unwrap(),
            Some(Value::SimpleString(b("OK")))
        );
        assert_eq!(d.decode(&mut buf).unwrap(), Some(Value::Integer(1)));
        assert_eq!(
            d.decode(&mut buf).unwrap(),
            Some(Value::Array(vec![Value::Bulk(b("x"))]))
        );
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        assert_eq!(&buf[..], b"$3\r\nab");
        buf.extend_from_slice(b"c\r\n");
        assert_eq!(d.decode(&mut buf).unwrap(), Some(Value::Bulk(b("abc"))));
        assert!(buf.is_empty());
    }

    #[test]
    fn strings_are_slices_of_the_read_buffer() {
        let mut buf = BytesMut::from(&b"*2\r\n$5\r\nhello\r\n+world\r\n"[..]);
        let base = buf.as_ptr() as usize;
        let Some(Value::Array(items)) = Decoder::default().decode(&mut buf).unwrap() else {
            panic!("expected an array");
        };
        let (Value::Bulk(hello), Value::SimpleString(world)) = (&items[0], &items[1]) else {
            panic!("unexpected shape {items:?}");
        };
        assert_eq!(hello.as_ptr() as usize, base + 8);
        assert_eq!(world.as_ptr() as usize, base + 16);
    }

    #[test]
    fn rejects_malformed_input() {
        let cases: &[&[u8]] = &[
            b"x\r\n",
            b"\r\n",
            b"@foo\r\n",
            b";4\r\nabcd\r\n",
            b".\r\n",
            b"$?\r\n",
            b"*?\r\n",
            b"$-2\r\n",
            b"*-2\r\n",
            b"%-1\r\n",
            b"~-1\r\n",
            b">-1\r\n",
            b"|-1\r\n",
            b"=-1\r\n",
            b"!-1\r\n",
            b"$-0\r\n",
            b"$1x\r\na\r\n",
            b"$\r\n\r\n",
            b"$+1\r\na\r\n",
            b"$99999999999999999999999\r\n",
            b"*1a\r\n",
            b":\r\n",
            b":abc\r\n",
            b":1.5\r\n",
            b":9223372036854775808\r\n",
            b":-9223372036854775809\r\n",
            b":12\rx",
            b"$3\r\nfooXY",
            b"$3\r\nfoo\rX",
            b"$3\r\nfoo\n\r",
            b",\r\n",
            b",abc\r\n",
            b",infinity\r\n",
            b",1.2.3\r\n",
            b"#x\r\n",
            b"#tt\r\n",
            b"#\r\n",
            b"_x\r\n",
            b"_\rx",
            b"(\r\n",
            b"(12a\r\n",
            b"(-\r\n",
            b"=3\r\ntxt\r\n",
            b"=5\r\ntxt-x\r\n",
            b"+a\nb\r\n",
            b"+a\rb\r\n",
            b"-ERR\n",
            b"*2\r\n:1\r\n?\r\n",
            b"%1\r\n+k\r\n$-5\r\n",
        ];
        for case in cases {
            let e = fails(case);
            assert!(e.detail().contains("offset"), "{case:?}: {e}");
        }
    }

    #[test]
    fn error_messages_name_the_problem_and_offset() {
        let e = fails(b"*2\r\n:1\r\n@\r\n");
        assert!(e.detail().contains("0x40"), "{e}");
        assert!(e.detail().contains("offset 8"), "{e}");
        let e = fails(b"$3\r\nfooXY");
        assert!(e.detail().contains("CRLF"), "{e}");
        assert!(e.detail().contains("offset 7"), "{e}");
    }

    #[test]
    fn enforces_limits() {
        let limits = DecoderLimits {
            max_depth: 3,
            max_bulk_len: 10,
            max_elements: 4,
            max_frame_len: 64,
        };
        let ok = |input: &[u8]| {
            let mut buf = BytesMut::from(input);
            assert!(
                Decoder::new(limits).decode(&mut buf).unwrap().is_some(),
                "{input:?}"
            );
        };
        ok(b"*1\r\n*1\r\n*1\r\n:1\r\n");
        fails_with(b"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", limits);
        fails_with(b"*1\r\n%1\r\n~1\r\n>1\r\n:1\r\n", limits);
        fails_with(b"|1\r\n*1\r\n*1\r\n*1\r\n", limits);
        ok(b"$10\r\n0123456789\r\n");
        fails_with(b"$11\r\n", limits);
        fails_with(b"=11\r\n", limits);
        fails_with(b"!11\r\n", limits);
        ok(b"+0123456789\r\n");
        fails_with(b"+01234567890\r\n", limits);
        // An over-long line is refused before its end arrives.
        fails_with(b"-01234567890", limits);
        ok(b"*4\r\n_\r\n_\r\n_\r\n_\r\n");
        fails_with(b"*5\r\n", limits);
        fails_with(b"~5\r\n", limits);
        fails_with(b">5\r\n", limits);
        ok(b"%4\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n");
        fails_with(b"%5\r\n", limits);
        fails_with(b"|5\r\n", limits);
        // The whole frame is bounded too, complete or not.
        let four = b"*4\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n";
        assert!(four.len() > 64);
        let e = fails_with(four, limits);
        assert!(e.detail().contains("max_reply_size"), "{e}");
        fails_with(&four[..70], limits);
        ok(b"*3\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n");
    }

    /// Decodes `input` in one read and byte by byte; both must fail alike.
    fn same_error_however_fed(input: &[u8], limits: DecoderLimits) -> String {
        let whole = fails_with(input, limits).detail().to_owned();
        let mut d = Decoder::new(limits);
        let mut buf = BytesMut::new();
        for &byte in input {
            buf.extend_from_slice(&[byte]);
            match d.decode(&mut buf) {
                Ok(None) => {}
                Ok(Some(v)) => panic!("decoded {v:?} from {input:?}"),
                Err(e) => {
                    assert_eq!(e.detail(), whole, "{input:?}");
                    return whole;
                }
            }
        }
        panic!("no error byte by byte for {input:?}");
    }

    #[test]
    fn line_verdict_does_not_depend_on_reads() {
        // Found by the fuzz target: a malformed line longer than the limit
        // was reported as malformed in one read but as too long byte by byte.
        let limits = DecoderLimits {
            max_bulk_len: 4,
            ..DecoderLimits::default()
        };
        let e = same_error_however_fed(b"+abc\rdefgh\r\n", limits);
        assert!(e.contains("CR not followed by LF"), "{e}");
        let e = same_error_however_fed(b"+abcd\rfgh\r\n", limits);
        assert!(e.contains("CR not followed by LF"), "{e}");
        let e = same_error_however_fed(b"+abcde\rgh\r\n", limits);
        assert!(e.contains("longer than"), "{e}");
        let e = same_error_however_fed(b"-abcdefgh", limits);
        assert!(e.contains("longer than"), "{e}");
    }

    #[test]
    fn default_depth_limit() {
        let mut deep = b"*1\r\n".repeat(128);
        deep.extend_from_slice(b":1\r\n");
        let mut buf = BytesMut::from(&deep[..]);
        assert!(Decoder::default().decode(&mut buf).unwrap().is_some());
        let mut deeper = b"*1\r\n".repeat(129);
        deeper.extend_from_slice(b":1\r\n");
        fails(&deeper);
    }

    #[test]
    fn huge_claims_reserve_nothing() {
        for header in [
            &b"*2000000000\r\n"[..],
            b"%2000000000\r\n",
            b"$500000000\r\n",
        ] {
            let mut buf = BytesMut::with_capacity(64);
            buf.extend_from_slice(header);
            buf.extend_from_slice(b":1\r\n");
            let before = buf.capacity();
            let mut d = Decoder::default();
            assert_eq!(d.decode(&mut buf).unwrap(), None);
            assert_eq!(buf.capacity(), before);
            assert_eq!(buf.len(), header.len() + 4);
            assert!(d.checker_open_capacity() <= 4, "{header:?}");
        }
    }

    #[test]
    fn large_bulk_in_many_reads_is_not_rescanned() {
        let payload = vec![b'x'; 1 << 20];
        let mut input = b"$1048576\r\n".to_vec();
        input.extend_from_slice(&payload);
        input.extend_from_slice(b"\r\n");
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = None;
        for chunk in input.chunks(64 * 1024) {
            buf.extend_from_slice(chunk);
            if let Some(v) = d.decode(&mut buf).unwrap() {
                got = Some(v);
            }
        }
        assert_eq!(got, Some(Value::Bulk(Bytes::from(payload))));
        // One visit per read at most: the payload itself is never scanned.
        assert!(d.checker.scanned <= 17, "{}", d.checker.scanned);
    }

    #[test]
    fn large_array_in_many_reads_is_checked_once() {
        let n = 100_000;
        let mut input = format!("*{n}\r\n").into_bytes();
        for i in 0..n {
            input.extend_from_slice(format!("$5\r\n{i:05}\r\n").as_bytes());
        }
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = None;
        let mut reads = 0;
        for chunk in input.chunks(64 * 1024) {
            reads += 1;
            buf.extend_from_slice(chunk);
            if let Some(v) = d.decode(&mut buf).unwrap() {
                got = Some(v);
            }
        }
        let Some(Value::Array(items)) = got else {
            panic!("no array decoded");
        };
        assert_eq!(items.len(), n);
        assert_eq!(items[n - 1], Value::Bulk(b("99999")));
        // Each element is visited once, plus one partial visit per read.
        assert!(d.checker.scanned <= n + 1 + reads, "{}", d.checker.scanned);
    }

    #[test]
    fn long_line_in_many_reads_is_searched_once() {
        let mut input = b"+".to_vec();
        input.extend(std::iter::repeat_n(b'a', 1 << 20));
        input.extend_from_slice(b"\r\n");
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut done = false;
        for chunk in input.chunks(4096) {
            buf.extend_from_slice(chunk);
            done |= d.decode(&mut buf).unwrap().is_some();
        }
        assert!(done);
        // Bytes searched, plus one byte kept back and one visit per read.
        assert!(
            d.checker.scanned <= input.len() + 3 * 257,
            "{}",
            d.checker.scanned
        );
    }

    #[test]
    fn shrunk_buffer_restarts_the_check() {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&b"*2\r\n:1\r\n:2"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        let mut other = BytesMut::from(&b":5\r\n"[..]);
        assert_eq!(d.decode(&mut other).unwrap(), Some(Value::Integer(5)));
        let mut buf = BytesMut::from(&b"*2\r\n:1\r\n:2"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        d.reset();
        let mut other = BytesMut::from(&b"+a-long-simple-string\r\n"[..]);
        assert_eq!(
            d.decode(&mut other).unwrap(),
            Some(Value::SimpleString(b("a-long-simple-string")))
        );
    }

    #[test]
    fn decoder_recovers_state_after_an_error() {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&b"*3\r\n:1\r\n"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"@");
        assert!(d.decode(&mut buf).is_err());
        let mut fresh = BytesMut::from(&b":9\r\n"[..]);
        assert_eq!(d.decode(&mut fresh).unwrap(), Some(Value::Integer(9)));
    }
}
