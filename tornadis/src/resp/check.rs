//! The check pass: finds whether one whole frame is buffered, and its length,
//! without allocating anything per element.
//!
//! The checker is resumable. When the buffer ends inside a frame it remembers
//! the offset of the first element not yet complete, the element counts still
//! open in each enclosing aggregate, and the buffer length needed before
//! another look can make progress. The next call continues from there instead
//! of from the start of the frame, so a large reply that arrives over many
//! reads is scanned once in total, not once per read.

use crate::error::Error;
use crate::resp::decode::DecoderLimits;
use crate::resp::lex::{self, bad, Len};

/// Resumable completeness check of the frame at the front of a buffer.
#[derive(Debug, Default)]
pub(super) struct Checker {
    /// Offset of the first element not yet known to be complete.
    pos: usize,
    /// For each open aggregate, innermost last: elements still to check.
    open: Vec<u64>,
    /// The buffer length below which another look cannot make progress.
    need: usize,
    /// For a text line left incomplete at `pos`: where the search for its end resumes.
    line_from: usize,
    /// Work done so far (elements visited plus bytes searched for a line end),
    /// to test that resuming keeps the total linear in the frame size.
    #[cfg(test)]
    pub(super) scanned: usize,
}

/// What the element at the current offset turned out to be.
enum Element {
    /// A complete element ending at this offset.
    Done(usize),
    /// An aggregate header ending at the offset, with that many elements to follow.
    Open(usize, u64),
    /// The buffer ends inside it; the buffer must reach this length first.
    Short(usize),
}

impl Checker {
    /// Forgets any partial progress (the buffer was consumed or replaced).
    pub(super) fn reset(&mut self) {
        self.pos = 0;
        self.open.clear();
        self.need = 0;
        self.line_from = 0;
    }

    /// Whether no frame is partly checked (the next check starts afresh).
    pub(super) fn is_idle(&self) -> bool {
        self.pos == 0 && self.need == 0 && self.open.is_empty()
    }

    #[cfg(test)]
    pub(super) fn open_capacity(&self) -> usize {
        self.open.capacity()
    }

    /// Returns `Some(len)` when `buf` starts with a whole frame of `len` bytes,
    /// `None` when more bytes are needed.
    ///
    /// Between calls that return `None` the caller may only append to `buf`.
    pub(super) fn check(
        &mut self,
        buf: &[u8],
        limits: &DecoderLimits,
    ) -> Result<Option<usize>, Error> {
        if buf.len() < self.pos {
            // The buffer shrank: it is not the one we were checking.
            self.reset();
        }
        if buf.len() < self.need {
            return Ok(None);
        }
        loop {
            let start = self.pos;
            #[cfg(test)]
            {
                self.scanned += 1;
            }
            let end = match self.element(buf, start, limits)? {
                Element::Short(need) => {
                    self.need = need;
                    return Ok(None);
                }
                Element::Open(next, count) => {
                    if self.open.len() >= limits.max_depth {
                        return Err(bad(
                            &format!("aggregates nested deeper than {}", limits.max_depth),
                            start,
                        ));
                    }
                    self.open.push(count);
                    self.pos = next;
                    self.line_from = 0;
                    continue;
                }
                Element::Done(end) => end,
            };
            self.pos = end;
            self.line_from = 0;
            // Completing an element may complete its aggregate, and so on upwards.
            loop {
                match self.open.last_mut() {
                    None => {
                        self.reset();
                        return Ok(Some(end));
                    }
                    Some(left) => {
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                        self.open.pop();
                    }
                }
            }
        }
    }

    /// Examines the element that starts at `start`.
    fn element(
        &mut self,
        buf: &[u8],
        start: usize,
        limits: &DecoderLimits,
    ) -> Result<Element, Error> {
        let Some(&ty) = buf.get(start) else {
            return Ok(Element::Short(start + 1));
        };
        let at = start + 1;
        let short = Element::Short(buf.len() + 1);
        Ok(match ty {
            b'+' | b'-' | b'(' | b',' => match self.line(buf, start, limits)? {
                None => short,
                Some(cr) => {
                    let text = buf.get(at..cr).unwrap_or(&[]);
                    match ty {
                        b'(' => lex::big_number(text, at)?,
                        b',' => {
                            lex::double(text, at)?;
                        }
                        _ => {}
                    }
                    Element::Done(cr + 2)
                }
            },
            b':' => match lex::int_line(buf, at)? {
                None => short,
                Some((_, next)) => Element::Done(next),
            },
            b'_' => fixed(buf, at, &[b"\r\n"], "malformed null")?,
            b'#' => fixed(buf, at, &[b"t\r\n", b"f\r\n"], "malformed boolean")?,
            b'$' | b'=' | b'!' => {
                let Some((len, next)) = lex::len_line(buf, at, "bulk length")? else {
                    return Ok(short);
                };
                let n = match len {
                    Len::Null if ty == b'$' => return Ok(Element::Done(next)),
                    Len::Null => return Err(bad("negative bulk length", at)),
                    Len::N(n) => n,
                };
                if n > limits.max_bulk_len as u64 {
                    return Err(bad(
                        &format!("bulk length {n} above the limit of {}", limits.max_bulk_len),
                        at,
                    ));
                }
                // n <= max_bulk_len, a usize, so this cannot truncate.
                let payload_end = next.saturating_add(n as usize);
                let end = payload_end.saturating_add(2);
                if buf.len() < end {
                    return Ok(Element::Short(end));
                }
                lex::crlf_at(buf, payload_end)?;
                if ty == b'=' && (n < 4 || buf.get(next + 3) != Some(&b':')) {
                    return Err(bad("verbatim string without a `xxx:` format prefix", next));
                }
                Element::Done(end)
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let Some((len, next)) = lex::len_line(buf, at, "element count")? else {
                    return Ok(short);
                };
                let n = match len {
                    Len::Null if ty == b'*' => return Ok(Element::Done(next)),
                    Len::Null => return Err(bad("negative element count", at)),
                    Len::N(n) => n,
                };
                if n > limits.max_elements as u64 {
                    return Err(bad(
                        &format!(
                            "element count {n} above the limit of {}",
                            limits.max_elements
                        ),
                        at,
                    ));
                }
                // Maps and attributes hold pairs; an attribute also precedes
                // the value it annotates, which counts as one more element.
                let elements = match ty {
                    b'%' => n.saturating_mul(2),
                    b'|' => n.saturating_mul(2).saturating_add(1),
                    _ => n,
                };
                if elements == 0 {
                    Element::Done(next)
                } else {
                    Element::Open(next, elements)
                }
            }
            b';' | b'.' => return Err(bad("streamed string chunks are not supported", start)),
            _ => return Err(super::lex::unknown_type(ty, start)),
        })
    }

    /// Finds the end (the CR) of the text line of the element at `start`,
    /// resuming the search where an earlier call left off.
    ///
    /// Only the first `max_bulk_len + 1` bytes of text are searched, whether
    /// or not more are buffered, so that the verdict on a line (too long, or
    /// malformed) does not depend on how its bytes arrived.
    fn line(
        &mut self,
        buf: &[u8],
        start: usize,
        limits: &DecoderLimits,
    ) -> Result<Option<usize>, Error> {
        let text = start + 1;
        let from = self.line_from.max(text);
        let window_end = text.saturating_add(limits.max_bulk_len).saturating_add(1);
        let until = buf.len().min(window_end);
        let found = lex::find_eol(buf, from, until);
        #[cfg(test)]
        {
            self.scanned += found.unwrap_or(until).saturating_sub(from);
        }
        match found {
            Some(cr) => {
                if lex::end_of_line(buf, cr)?.is_some() {
                    return Ok(Some(cr));
                }
                self.line_from = cr;
                Ok(None)
            }
            None if until == window_end => Err(bad(
                &format!(
                    "line longer than the limit of {} bytes",
                    limits.max_bulk_len
                ),
                start,
            )),
            None => {
                self.line_from = until;
                Ok(None)
            }
        }
    }
}

/// Matches one of the fixed byte strings `options` at `at` (all of equal length).
fn fixed(buf: &[u8], at: usize, options: &[&[u8]], what: &str) -> Result<Element, Error> {
    let have = buf.get(at..).unwrap_or(&[]);
    for want in options {
        if have.starts_with(want) {
            return Ok(Element::Done(at + want.len()));
        }
        if want.starts_with(have) {
            return Ok(Element::Short(buf.len() + 1));
        }
    }
    Err(bad(what, at.saturating_sub(1)))
}
