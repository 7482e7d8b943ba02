//! The parse pass: builds a [`Value`] from one frame that the check pass found
//! complete, handing out [`Bytes::slice`]s of the frame instead of copies.
//!
//! Nesting is handled with an explicit stack rather than recursion, so a
//! generous `max_depth` cannot overflow the thread's stack. The check pass has
//! already validated the frame; every access here is still bounds-checked, and
//! an inconsistency becomes a protocol error rather than a panic.

use bytes::Bytes;

use crate::error::Error;
use crate::resp::lex::{self, bad, Len};
use crate::resp::{ServerError, Value};

/// The smallest encoding of one element (`_\r\n`): it bounds how many elements
/// a frame of a given size can hold, and so how much to reserve up front.
const MIN_ELEMENT_LEN: usize = 3;

/// An aggregate being filled.
#[derive(Debug)]
pub(super) enum Open {
    /// An array, set or push message.
    Seq {
        kind: SeqKind,
        items: Vec<Value>,
        left: usize,
    },
    /// A map, or the attribute map of an attribute.
    Map {
        attribute: bool,
        pairs: Vec<(Value, Value)>,
        key: Option<Value>,
        left: usize,
    },
    /// An attribute map, complete, waiting for the value it annotates.
    Annotating(Vec<(Value, Value)>),
}

/// Which sequence type a [`Open::Seq`] becomes.
#[derive(Debug, Clone, Copy)]
pub(super) enum SeqKind {
    Array,
    Set,
    Push,
}

/// Parses `frame`, which must hold exactly one frame. `stack` is scratch space
/// kept by the caller so its allocation is reused; it is left empty.
pub(super) fn parse(frame: &Bytes, stack: &mut Vec<Open>) -> Result<Value, Error> {
    stack.clear();
    let result = parse_inner(frame, stack);
    stack.clear();
    result
}

/// One element read from the frame.
enum Item {
    /// A scalar, a null aggregate or an empty aggregate: a finished value.
    Value(Value),
    /// The header of an aggregate whose elements follow.
    Open(Open),
}

fn parse_inner(frame: &Bytes, stack: &mut Vec<Open>) -> Result<Value, Error> {
    let buf: &[u8] = frame;
    let mut pos = 0;
    loop {
        let mut value = match element(frame, &mut pos)? {
            Item::Value(v) => v,
            Item::Open(open) => {
                stack.push(open);
                continue;
            }
        };
        // Hand the finished value to the innermost open aggregate; each
        // aggregate it completes is handed on upwards in turn.
        loop {
            let Some(top) = stack.last_mut() else {
                if pos != buf.len() {
                    return Err(bad("bytes left over after the frame", pos));
                }
                return Ok(value);
            };
            // After taking the value, an aggregate reads the elements that
            // follow straight into itself while they are scalars: most replies
            // are flat, and this skips the round trip through the stack.
            let mut nested = None;
            match top {
                Open::Seq { items, left, .. } => {
                    items.push(value);
                    *left = left.saturating_sub(1);
                    while *left > 0 {
                        match element(frame, &mut pos)? {
                            Item::Value(v) => {
                                items.push(v);
                                *left -= 1;
                            }
                            Item::Open(open) => {
                                nested = Some(open);
                                break;
                            }
                        }
                    }
                }
                Open::Map {
                    pairs, key, left, ..
                } => {
                    let mut value = Some(value);
                    loop {
                        if let Some(v) = value.take() {
                            match key.take() {
                                None => *key = Some(v),
                                Some(k) => pairs.push((k, v)),
                            }
                            *left = left.saturating_sub(1);
                        }
                        if *left == 0 {
                            break;
                        }
                        match element(frame, &mut pos)? {
                            Item::Value(v) => value = Some(v),
                            Item::Open(open) => {
                                nested = Some(open);
                                break;
                            }
                        }
                    }
                }
                Open::Annotating(attributes) => {
                    let attributes = std::mem::take(attributes);
                    stack.pop();
                    value = Value::Attribute {
                        attributes,
                        value: Box::new(value),
                    };
                    continue;
                }
            }
            if let Some(open) = nested {
                stack.push(open);
                break;
            }
            // The innermost aggregate has all its elements.
            value = match stack.pop() {
                Some(Open::Seq { kind, items, .. }) => seq(kind, items),
                Some(Open::Map {
                    attribute: false,
                    pairs,
                    ..
                }) => Value::Map(pairs),
                Some(Open::Map {
                    attribute: true,
                    pairs,
                    ..
                }) => {
                    stack.push(Open::Annotating(pairs));
                    break;
                }
                Some(Open::Annotating(_)) | None => return Err(bad("inconsistent frame", pos)),
            };
        }
    }
}

/// Reads the element at `*pos` and moves `*pos` past it (past the header only,
/// for an aggregate whose elements follow).
#[inline]
fn element(frame: &Bytes, pos: &mut usize) -> Result<Item, Error> {
    let buf: &[u8] = frame;
    let start = *pos;
    let ty = *buf.get(start).ok_or_else(|| truncated(start))?;
    let at = start + 1;
    let value = match ty {
        b'$' | b'=' | b'!' => {
            let (len, next) =
                lex::len_line(buf, at, "bulk length")?.ok_or_else(|| truncated(start))?;
            match len {
                Len::Null if ty == b'$' => {
                    *pos = next;
                    Value::Nil
                }
                Len::Null => return Err(bad("negative bulk length", at)),
                Len::N(n) => {
                    let end = usize::try_from(n)
                        .ok()
                        .and_then(|n| next.checked_add(n))
                        .filter(|&end| end <= buf.len())
                        .ok_or_else(|| truncated(start))?;
                    lex::crlf_at(buf, end)?;
                    *pos = end + 2;
                    let payload = frame.slice(next..end);
                    match ty {
                        b'$' => Value::Bulk(payload),
                        b'!' => Value::Error(ServerError::new(payload)),
                        _ => verbatim(payload, next)?,
                    }
                }
            }
        }
        b'+' | b'-' | b'(' | b',' => {
            let cr = lex::find_line_end(buf, at)?.ok_or_else(|| truncated(start))?;
            *pos = cr + 2;
            let text = frame.slice(at..cr);
            match ty {
                b'+' => Value::SimpleString(text),
                b'-' => Value::Error(ServerError::new(text)),
                b'(' => {
                    lex::big_number(&text, at)?;
                    Value::BigNumber(text)
                }
                _ => Value::Double(lex::double(&text, at)?),
            }
        }
        b':' => {
            let (n, next) = lex::int_line(buf, at)?.ok_or_else(|| truncated(start))?;
            *pos = next;
            Value::Integer(n)
        }
        b'_' => {
            expect(buf, at, b"\r\n", "malformed null")?;
            *pos = at + 2;
            Value::Nil
        }
        b'#' => {
            let v = match buf.get(at) {
                Some(b't') => true,
                Some(b'f') => false,
                _ => return Err(bad("malformed boolean", start)),
            };
            expect(buf, at + 1, b"\r\n", "malformed boolean")?;
            *pos = at + 3;
            Value::Boolean(v)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let (len, next) =
                lex::len_line(buf, at, "element count")?.ok_or_else(|| truncated(start))?;
            *pos = next;
            let n = match len {
                Len::Null if ty == b'*' => return Ok(Item::Value(Value::Nil)),
                Len::Null => return Err(bad("negative element count", at)),
                Len::N(n) => usize::try_from(n).map_err(|_| truncated(start))?,
            };
            // The whole frame is buffered, so the bytes left bound how many
            // elements can really follow, whatever the header claims.
            let room = (buf.len() - next.min(buf.len())) / MIN_ELEMENT_LEN;
            return Ok(match (ty, n) {
                (b'%', 0) => Item::Value(Value::Map(Vec::new())),
                (b'|', 0) => Item::Open(Open::Annotating(Vec::new())),
                (b'%' | b'|', _) => Item::Open(Open::Map {
                    attribute: ty == b'|',
                    pairs: Vec::with_capacity(n.min(room / 2)),
                    key: None,
                    left: n.checked_mul(2).ok_or_else(|| truncated(start))?,
                }),
                (_, 0) => Item::Value(seq(seq_kind(ty), Vec::new())),
                _ => Item::Open(Open::Seq {
                    kind: seq_kind(ty),
                    items: Vec::with_capacity(n.min(room)),
                    left: n,
                }),
            });
        }
        _ => return Err(super::lex::unknown_type(ty, start)),
    };
    Ok(Item::Value(value))
}

fn seq_kind(ty: u8) -> SeqKind {
    match ty {
        b'~' => SeqKind::Set,
        b'>' => SeqKind::Push,
        _ => SeqKind::Array,
    }
}

fn seq(kind: SeqKind, items: Vec<Value>) -> Value {
    match kind {
        SeqKind::Array => Value::Array(items),
        SeqKind::Set => Value::Set(items),
        SeqKind::Push => Value::Push(items),
    }
}

/// Splits a verbatim string payload (`txt:...`) into its format and text.
fn verbatim(payload: Bytes, at: usize) -> Result<Value, Error> {
    match payload.get(..4) {
        Some(&[a, b, c, b':']) => Ok(Value::Verbatim {
            format: [a, b, c],
            text: payload.slice(4..),
        }),
        _ => Err(bad("verbatim string without a `xxx:` format prefix", at)),
    }
}

fn expect(buf: &[u8], at: usize, want: &[u8], what: &str) -> Result<(), Error> {
    if buf.get(at..at + want.len()) == Some(want) {
        Ok(())
    } else {
        Err(bad(what, at))
    }
}

/// The frame ended early: the check pass and the parse pass disagree, which
/// only happens if the buffer changed between them.
fn truncated(at: usize) -> Error {
    bad("frame ends early", at)
}
