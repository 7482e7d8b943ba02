//! Key specs (FORMAT.md "Keys"), checked and converted to the forms of
//! `tornadis::command_info::KeySpec`.

use crate::spec;

/// A checked key spec.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySpec {
    Range {
        first: u16,
        last: i16,
        step: u16,
    },
    Keynum {
        numkeys: u16,
        first: u16,
        step: u16,
    },
    Keyword {
        keyword: String,
        from: u16,
        count: i16,
    },
}

impl KeySpec {
    /// True when a key at a fixed argument position `pos` is described by this spec.
    pub fn covers(&self, pos: usize) -> bool {
        match *self {
            KeySpec::Range { first, last, step } => {
                let first = usize::from(first);
                let within = if last < 0 {
                    pos >= first
                } else {
                    pos <= usize::try_from(last).unwrap_or(0)
                };
                pos >= first && within && (pos - first) % usize::from(step.max(1)) == 0
            }
            // Positions depend on the arguments' values: trust the spec.
            KeySpec::Keynum { .. } | KeySpec::Keyword { .. } => true,
        }
    }
}

fn u16_in(v: i64, what: &str, min: i64) -> Result<u16, String> {
    if v < min {
        return Err(format!("`{what}` must be at least {min}, got {v}"));
    }
    u16::try_from(v).map_err(|_| format!("`{what}` = {v} is too large"))
}

fn i16_of(v: i64, what: &str) -> Result<i16, String> {
    i16::try_from(v).map_err(|_| format!("`{what}` = {v} is out of range"))
}

/// Checks one key spec and converts it.
pub fn convert(k: &spec::KeySpec) -> Result<KeySpec, String> {
    match k {
        spec::KeySpec {
            first: Some(first),
            last,
            step,
            numkeys: None,
            keyword: None,
            from: None,
            count: None,
        } => {
            let first = u16_in(*first, "first", 1)?;
            let last = i16_of(last.unwrap_or(i64::from(first)), "last")?;
            if last == 0 || (last > 0 && last < first as i16) {
                return Err(format!("`last` = {last} is before `first` = {first}"));
            }
            let step = u16_in(step.unwrap_or(1), "step", 1)?;
            Ok(KeySpec::Range { first, last, step })
        }
        spec::KeySpec {
            numkeys: Some(numkeys),
            first,
            step,
            last: None,
            keyword: None,
            from: None,
            count: None,
        } => Ok(KeySpec::Keynum {
            numkeys: u16_in(*numkeys, "numkeys", 1)?,
            first: u16_in(first.unwrap_or(1), "first", 1)?,
            step: u16_in(step.unwrap_or(1), "step", 1)?,
        }),
        spec::KeySpec {
            keyword: Some(keyword),
            from,
            count,
            first: None,
            last: None,
            step: None,
            numkeys: None,
        } => {
            if keyword.is_empty() || keyword.to_ascii_uppercase() != *keyword {
                return Err(format!("`keyword` = {keyword:?} must be upper case"));
            }
            let count = i16_of(count.unwrap_or(-1), "count")?;
            if count == 0 || count < -2 {
                return Err(format!("`count` = {count}: use -1, -2 or a positive count"));
            }
            Ok(KeySpec::Keyword {
                keyword: keyword.clone(),
                from: u16_in(from.unwrap_or(1), "from", 1)?,
                count,
            })
        }
        _ => Err("a key spec is one of `{ first, last?, step? }`, \
                  `{ numkeys, first?, step? }` or `{ keyword, from?, count? }`"
            .to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ks(f: impl FnOnce(&mut spec::KeySpec)) -> Result<KeySpec, String> {
        let mut k = spec::KeySpec {
            first: None,
            last: None,
            step: None,
            numkeys: None,
            keyword: None,
            from: None,
            count: None,
        };
        f(&mut k);
        convert(&k)
    }

    #[test]
    fn forms() {
        assert_eq!(
            ks(|k| k.first = Some(1)),
            Ok(KeySpec::Range {
                first: 1,
                last: 1,
                step: 1
            })
        );
        let mset = ks(|k| {
            k.first = Some(1);
            k.last = Some(-1);
            k.step = Some(2);
        })
        .unwrap();
        assert!(mset.covers(1) && mset.covers(3) && !mset.covers(2) && !mset.covers(0));
        assert!(ks(|k| k.numkeys = Some(2)).is_ok());
        assert!(ks(|k| k.keyword = Some("STREAMS".into())).is_ok());
    }

    #[test]
    fn rejects() {
        assert!(ks(|_| {}).is_err());
        assert!(ks(|k| k.first = Some(0)).is_err());
        assert!(ks(|k| {
            k.first = Some(3);
            k.last = Some(2);
        })
        .is_err());
        assert!(ks(|k| {
            k.first = Some(1);
            k.keyword = Some("X".into());
        })
        .is_err());
        assert!(ks(|k| k.keyword = Some("streams".into())).is_err());
        assert!(ks(|k| {
            k.keyword = Some("STREAMS".into());
            k.count = Some(-3);
        })
        .is_err());
    }
}
