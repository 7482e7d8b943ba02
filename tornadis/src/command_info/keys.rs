//! Reading a command's key specs: where its keys are in its arguments.

use super::{CommandInfo, KeySpec};

impl CommandInfo {
    /// The positions of this command's keys in `args` (its arguments, the
    /// name at 0), from its key specs: the one reading of key specs, used by
    /// cluster routing and by the client-side cache. A count argument that
    /// lies (`EVAL s 99 k`) cannot index past the arguments.
    ///
    /// ```
    /// let mset = tornadis::command_info::lookup("MSET").unwrap();
    /// let args: [&[u8]; 5] = [b"MSET", b"a", b"1", b"b", b"2"];
    /// assert_eq!(mset.key_positions(&args), [1, 3]);
    /// ```
    pub fn key_positions(&self, args: &[&[u8]]) -> Vec<usize> {
        let mut out = Vec::new();
        let n = args.len();
        let resolve = |i: i64| -> Option<usize> {
            if i < 0 {
                usize::try_from(n as i64 + i).ok()
            } else {
                usize::try_from(i).ok()
            }
        };
        for spec in self.keys {
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
}

#[cfg(test)]
mod tests {
    fn positions(name: &str, args: &[&str]) -> Vec<usize> {
        let info = crate::commands::lookup(name).unwrap();
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        info.key_positions(&args)
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
