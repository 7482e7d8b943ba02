//! Hash slots: CRC16 of a key (or of its `{hash tag}`) modulo 16384, and
//! finding a command's keys from the spec table's key positions.

use crate::command_info::{CommandInfo, KeySpec};

/// The number of hash slots in a Redis Cluster.
pub const SLOTS: u16 = 16384;

const fn crc16_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static CRC16: [u16; 256] = crc16_table();

/// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
pub fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// The hash slot of `key`. When the key holds a non-empty `{...}` section,
/// only that part is hashed, so `{user:1}:name` and `{user:1}:age` share a slot.
///
/// ```
/// use tornadis::cluster::key_slot;
/// assert_eq!(key_slot(b"foo"), 12182);
/// assert_eq!(key_slot(b"{user1}:a"), key_slot(b"{user1}:b"));
/// ```
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) % SLOTS
}

/// The positions of the keys of a command, given its arguments (the name at 0).
pub(crate) fn key_positions(info: &CommandInfo, args: &[&[u8]]) -> Vec<usize> {
    let mut out = Vec::new();
    let n = args.len();
    let resolve = |i: i64| -> Option<usize> {
        if i < 0 {
            usize::try_from(n as i64 + i).ok()
        } else {
            usize::try_from(i).ok()
        }
    };
    for spec in info.keys {
        match *spec {
            KeySpec::Range { first, last, step } => {
                let Some(last) = resolve(i64::from(last)) else {
                    continue;
                };
                let step = usize::from(step.max(1));
                let mut i = usize::from(first);
                while i <= last && i < n {
                    out.push(i);
                    i += step;
                }
            }
            KeySpec::Keynum {
                numkeys,
                first,
                step,
            } => {
                let Some(count) = args
                    .get(usize::from(numkeys))
                    .and_then(|a| std::str::from_utf8(a).ok())
                    .and_then(|s| s.parse::<usize>().ok())
                else {
                    continue;
                };
                let start = usize::from(numkeys) + usize::from(first);
                let step = usize::from(step.max(1));
                for k in 0..count.min(n) {
                    let i = start + k * step;
                    if i < n {
                        out.push(i);
                    }
                }
            }
            KeySpec::Keyword {
                keyword,
                from,
                count,
            } => {
                let Some(at) = (usize::from(from)..n)
                    .find(|&i| args[i].eq_ignore_ascii_case(keyword.as_bytes()))
                else {
                    continue;
                };
                let rest = n - at - 1;
                let take = match count {
                    -1 => rest,
                    -2 => rest / 2,
                    c if c > 0 => usize::try_from(c).unwrap_or(0).min(rest),
                    _ => 0,
                };
                out.extend(at + 1..at + 1 + take);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis() {
        // Values from CLUSTER KEYSLOT.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"hello"), 866);
        assert_eq!(key_slot(b""), 0);
        assert_eq!(key_slot(b"{foo}bar"), 12182);
        assert_eq!(key_slot(b"{}foo"), key_slot(b"{}foo"));
        assert_ne!(key_slot(b"{}foo"), key_slot(b"foo"));
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % SLOTS);
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    fn positions(name: &str, args: &[&str]) -> Vec<usize> {
        let info = crate::commands::lookup(name).unwrap();
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        key_positions(info, &args)
    }

    #[test]
    fn finds_keys_from_the_spec_table() {
        assert_eq!(positions("GET", &["GET", "k"]), vec![1]);
        assert_eq!(positions("DEL", &["DEL", "a", "b", "c"]), vec![1, 2, 3]);
        assert_eq!(positions("MSET", &["MSET", "a", "1", "b", "2"]), vec![1, 3]);
        assert_eq!(
            positions("EVAL", &["EVAL", "s", "2", "k1", "k2", "arg"]),
            vec![3, 4]
        );
        assert_eq!(
            positions(
                "XREAD",
                &["XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"]
            ),
            vec![4, 5]
        );
        assert_eq!(positions("PING", &["PING"]), Vec::<usize>::new());
        // A lying numkeys cannot index past the arguments.
        assert_eq!(positions("EVAL", &["EVAL", "s", "99", "k1"]), vec![3]);
    }
}
