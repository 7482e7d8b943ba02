//! Small readers shared by the frame checker and the frame parser: integer and
//! length lines, text lines, doubles and big numbers.
//!
//! Every reader takes the whole buffer and an offset, returns `Ok(None)` when
//! the buffer ends before the item does, and never indexes out of bounds.
//! Numbers are parsed by hand: lengths are on the hot path, and `str::parse`
//! would need a UTF-8 check and a separate search for the line end first.

use crate::error::Error;

/// The most digits accepted in an integer or length line. `i64::MAX` has 19;
/// the bound also stops a stream of leading zeros from being read forever.
const MAX_DIGITS: usize = 20;

/// A length or element count from a `$`, `*`, `%`, ... header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Len {
    /// `-1`: the RESP2 null bulk string or null array.
    Null,
    /// A non-negative length.
    N(u64),
}

/// A protocol error naming what was wrong and where.
pub(super) fn bad(what: &str, at: usize) -> Error {
    Error::protocol(format!("{what} at byte offset {at}"))
}

/// A frame that starts with a byte no RESP type has: most often the peer
/// is not a Redis server at all (`H` of an HTTP status line, say).
pub(super) fn unknown_type(ty: u8, at: usize) -> Error {
    let shown = if ty.is_ascii_graphic() {
        format!(" ({:?})", ty as char)
    } else {
        String::new()
    };
    Error::protocol(format!(
        "unknown RESP type byte 0x{ty:02x}{shown} at byte offset {at}: the peer does not speak \
         RESP here; check that the address is a Redis server's"
    ))
}

/// Reads `[+-]digits\r\n` starting at `at` (just after the type byte).
/// Returns the value and the offset just past the line feed.
pub(super) fn int_line(buf: &[u8], at: usize) -> Result<Option<(i64, usize)>, Error> {
    let mut i = at;
    let neg = match buf.get(i) {
        None => return Ok(None),
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        Some(_) => false,
    };
    let digits = i;
    let mut acc: i64 = 0;
    loop {
        match buf.get(i) {
            None => return Ok(None),
            Some(&b) if b.is_ascii_digit() => {
                if i - digits >= MAX_DIGITS {
                    return Err(bad("integer has too many digits", at));
                }
                let d = i64::from(b - b'0');
                // Accumulate negative numbers downwards so that i64::MIN fits.
                acc = acc
                    .checked_mul(10)
                    .and_then(|a| {
                        if neg {
                            a.checked_sub(d)
                        } else {
                            a.checked_add(d)
                        }
                    })
                    .ok_or_else(|| bad("integer overflows 64 bits", at))?;
                i += 1;
            }
            Some(b'\r') => break,
            Some(_) => return Err(bad("integer contains a non-digit byte", i)),
        }
    }
    if i == digits {
        return Err(bad("integer has no digits", at));
    }
    end_of_line(buf, i).map(|o| o.map(|next| (acc, next)))
}

/// Reads a length header (`digits\r\n` or `-1\r\n`) starting at `at`.
/// `what` names the header in error messages ("bulk length", "element count").
pub(super) fn len_line(buf: &[u8], at: usize, what: &str) -> Result<Option<(Len, usize)>, Error> {
    // Most lengths have one or two digits: read them in one step.
    match buf.get(at..at + 4) {
        Some(&[d, b'\r', b'\n', _]) if d.is_ascii_digit() => {
            return Ok(Some((Len::N(u64::from(d - b'0')), at + 3)))
        }
        Some(&[t, d, b'\r', b'\n']) if t.is_ascii_digit() && d.is_ascii_digit() => {
            let n = u64::from(t - b'0') * 10 + u64::from(d - b'0');
            return Ok(Some((Len::N(n), at + 4)));
        }
        _ => {}
    }
    let mut i = at;
    match buf.get(i) {
        None => return Ok(None),
        Some(b'-') => {
            // Only -1 (RESP2 null) is meaningful; anything else is malformed.
            return match buf.get(i + 1) {
                None => Ok(None),
                Some(b'1') => match buf.get(i + 2) {
                    None => Ok(None),
                    Some(b'\r') => end_of_line(buf, i + 2).map(|o| o.map(|n| (Len::Null, n))),
                    Some(_) => Err(bad(&format!("negative {what}"), at)),
                },
                Some(_) => Err(bad(&format!("negative {what}"), at)),
            };
        }
        Some(b'?') => return Err(bad("streamed (unknown length) types are not supported", at)),
        Some(_) => {}
    }
    let mut acc: u64 = 0;
    loop {
        match buf.get(i) {
            None => return Ok(None),
            Some(&b) if b.is_ascii_digit() => {
                if i - at >= MAX_DIGITS {
                    return Err(bad(&format!("{what} has too many digits"), at));
                }
                acc = acc
                    .checked_mul(10)
                    .and_then(|a| a.checked_add(u64::from(b - b'0')))
                    .ok_or_else(|| bad(&format!("{what} overflows 64 bits"), at))?;
                i += 1;
            }
            Some(b'\r') => break,
            Some(_) => return Err(bad(&format!("{what} contains a non-digit byte"), i)),
        }
    }
    if i == at {
        return Err(bad(&format!("{what} has no digits"), at));
    }
    end_of_line(buf, i).map(|o| o.map(|next| (Len::N(acc), next)))
}

/// Expects `\r\n` at `cr`; returns the offset after it.
pub(super) fn end_of_line(buf: &[u8], cr: usize) -> Result<Option<usize>, Error> {
    match buf.get(cr) {
        None => return Ok(None),
        Some(b'\r') => {}
        Some(_) => return Err(bad("expected CRLF", cr)),
    }
    match buf.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some(cr + 2)),
        Some(_) => Err(bad("CR not followed by LF", cr)),
    }
}

/// Checks that `\r\n` follows a bulk payload ending at `at`.
pub(super) fn crlf_at(buf: &[u8], at: usize) -> Result<(), Error> {
    match buf.get(at..at + 2) {
        Some(b"\r\n") => Ok(()),
        Some(_) => Err(bad("missing CRLF after bulk payload", at)),
        None => Err(bad("frame ends inside a bulk payload", at)),
    }
}

/// The offset of the first CR or LF in `buf[from..until]`: where a text line
/// ends, or where it is malformed (a line may not hold a bare CR or LF).
pub(super) fn find_eol(buf: &[u8], from: usize, until: usize) -> Option<usize> {
    buf.get(from..until)?
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .map(|k| from + k)
}

/// Finds the CR that ends a text line, searching `buf[from..]`.
///
/// Returns `Ok(Some(cr))` when the line and its LF are buffered, `Ok(None)` when
/// more bytes are needed.
pub(super) fn find_line_end(buf: &[u8], from: usize) -> Result<Option<usize>, Error> {
    match find_eol(buf, from, buf.len()) {
        None => Ok(None),
        Some(cr) => end_of_line(buf, cr).map(|o| o.map(|_| cr)),
    }
}

/// Parses the text of a RESP3 double (`,` line), accepting `inf`, `-inf` and `nan`.
pub(super) fn double(text: &[u8], at: usize) -> Result<f64, Error> {
    match text {
        b"inf" | b"+inf" => return Ok(f64::INFINITY),
        b"-inf" => return Ok(f64::NEG_INFINITY),
        b"nan" | b"-nan" | b"+nan" => return Ok(f64::NAN),
        _ => {}
    }
    // Restrict the alphabet first: `f64::from_str` also accepts words such as
    // "infinity" that are not RESP.
    let plain = !text.is_empty()
        && text
            .iter()
            .all(|&b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if plain {
        if let Ok(s) = std::str::from_utf8(text) {
            if let Ok(d) = s.parse::<f64>() {
                return Ok(d);
            }
        }
    }
    Err(bad("invalid double", at))
}

/// Checks the text of a RESP3 big number: an optional sign, then digits.
pub(super) fn big_number(text: &[u8], at: usize) -> Result<(), Error> {
    let digits = match text.first() {
        Some(b'-' | b'+') => text.get(1..).unwrap_or(&[]),
        _ => text,
    };
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        Ok(())
    } else {
        Err(bad("invalid big number", at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(int_line(b"42\r\n", 0).unwrap(), Some((42, 4)));
        assert_eq!(int_line(b"-7\r\nxx", 0).unwrap(), Some((-7, 4)));
        assert_eq!(int_line(b"+7\r\n", 0).unwrap(), Some((7, 4)));
        assert_eq!(
            int_line(b"9223372036854775807\r\n", 0).unwrap(),
            Some((i64::MAX, 21))
        );
        assert_eq!(
            int_line(b"-9223372036854775808\r\n", 0).unwrap(),
            Some((i64::MIN, 22))
        );
        assert!(int_line(b"9223372036854775808\r\n", 0).is_err());
        assert!(int_line(b"-9223372036854775809\r\n", 0).is_err());
        assert!(int_line(b"00000000000000000000001\r\n", 0).is_err());
        assert!(int_line(b"\r\n", 0).is_err());
        assert!(int_line(b"-\r\n", 0).is_err());
        assert!(int_line(b"1x\r\n", 0).is_err());
        assert!(int_line(b"1\rx", 0).is_err());
        assert_eq!(int_line(b"12", 0).unwrap(), None);
        assert_eq!(int_line(b"12\r", 0).unwrap(), None);
        assert_eq!(int_line(b"-", 0).unwrap(), None);
    }

    #[test]
    fn short_lengths_read_in_one_step_agree_with_the_general_reader() {
        for n in 0..1000u64 {
            for text in [format!("{n}"), format!("0{n}")] {
                let at = 2;
                let line = format!("xx{text}\r\n");
                let end = line.len();
                for tail in ["", "$", "\r\n*1"] {
                    let buf = format!("{line}{tail}");
                    let got = len_line(buf.as_bytes(), at, "n").unwrap();
                    assert_eq!(got, Some((Len::N(n), end)), "{buf:?}");
                }
                // Cut short anywhere: not complete yet.
                for cut in at..end {
                    assert_eq!(len_line(&line.as_bytes()[..cut], at, "n").unwrap(), None);
                }
                // A CR not followed by LF, or a stray byte, is malformed.
                assert!(len_line(format!("xx{text}\rx").as_bytes(), at, "n").is_err());
                assert!(len_line(format!("xx{text}x\r\n").as_bytes(), at, "n").is_err());
            }
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(len_line(b"-1\r\n", 0, "n").unwrap(), Some((Len::Null, 4)));
        assert_eq!(len_line(b"0\r\n", 0, "n").unwrap(), Some((Len::N(0), 3)));
        assert_eq!(
            len_line(b"123\r\n", 0, "n").unwrap(),
            Some((Len::N(123), 5))
        );
        assert!(len_line(b"-2\r\n", 0, "n").is_err());
        assert!(len_line(b"-10\r\n", 0, "n").is_err());
        assert!(len_line(b"+1\r\n", 0, "n").is_err());
        assert!(len_line(b"?\r\n", 0, "n").is_err());
        assert!(len_line(b"99999999999999999999\r\n", 0, "n").is_err());
        assert_eq!(len_line(b"-", 0, "n").unwrap(), None);
        assert_eq!(len_line(b"-1", 0, "n").unwrap(), None);
        assert_eq!(len_line(b"5\r", 0, "n").unwrap(), None);
    }

    #[test]
    fn doubles() {
        assert_eq!(double(b"3.25", 0).unwrap(), 3.25);
        assert_eq!(double(b"-1e3", 0).unwrap(), -1000.0);
        assert_eq!(double(b"10", 0).unwrap(), 10.0);
        assert_eq!(double(b"inf", 0).unwrap(), f64::INFINITY);
        assert_eq!(double(b"-inf", 0).unwrap(), f64::NEG_INFINITY);
        assert!(double(b"nan", 0).unwrap().is_nan());
        for bad_text in [&b""[..], b"infinity", b"NaN", b"1.2.3", b"e", b"1,5", b" 1"] {
            assert!(double(bad_text, 0).is_err(), "{bad_text:?}");
        }
    }

    #[test]
    fn big_numbers() {
        assert!(big_number(b"123", 0).is_ok());
        assert!(big_number(b"-123", 0).is_ok());
        assert!(big_number(b"", 0).is_err());
        assert!(big_number(b"-", 0).is_err());
        assert!(big_number(b"12a", 0).is_err());
    }

    #[test]
    fn lines() {
        assert_eq!(find_line_end(b"+OK\r\n", 1).unwrap(), Some(3));
        assert_eq!(find_line_end(b"+OK\r", 1).unwrap(), None);
        assert_eq!(find_line_end(b"+OK", 1).unwrap(), None);
        assert!(find_line_end(b"+O\nK\r\n", 1).is_err());
        assert!(find_line_end(b"+O\rK\r\n", 1).is_err());
        assert_eq!(find_line_end(b"+", 5).unwrap(), None);
    }
}
