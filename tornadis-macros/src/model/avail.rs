//! Availability per server kind (FORMAT.md "Availability"): which Redis and
//! Valkey versions have a command or an argument.

use crate::spec;

/// A version as three numbers.
pub type Ver = (u16, u16, u16);

/// Valkey's first release, which has everything Redis 7.2.4 had.
pub const VALKEY_FIRST: Ver = (7, 2, 4);

/// The first version of each kind that has something; `None`: not on that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avail {
    pub redis: Option<Ver>,
    pub valkey: Option<Ver>,
}

/// Parses `"7.4.0"`.
pub fn parse(v: &str) -> Option<Ver> {
    let mut parts = v.split('.').map(|p| p.parse::<u16>().ok());
    let out = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(out)
}

fn show(v: Ver) -> String {
    format!("{}.{}.{}", v.0, v.1, v.2)
}

fn explicit(
    redis: &Option<String>,
    valkey: &Option<String>,
    errs: &mut Vec<String>,
) -> Option<Avail> {
    if redis.is_none() && valkey.is_none() {
        return None;
    }
    let mut one = |field: &str, v: &Option<String>| {
        v.as_ref().and_then(|text| {
            let out = parse(text);
            if out.is_none() {
                errs.push(format!(
                    "`{field}` = {text:?} is not a version such as \"7.4.0\""
                ));
            }
            out
        })
    };
    Some(Avail {
        redis: one("redis", redis),
        valkey: one("valkey", valkey),
    })
}

/// A command's availability: `redis`/`valkey` when given (an absent one:
/// not on that kind), else Redis from `since` and every Valkey, which is
/// only right for commands Redis had by 7.2.4.
pub fn command(c: &spec::Command, errs: &mut Vec<String>) -> Avail {
    let since = parse(&c.since);
    match explicit(&c.redis, &c.valkey, errs) {
        Some(a) => {
            if since.is_some() && since != a.redis.or(a.valkey) {
                errs.push(
                    "`since` must be the first version of the first server kind that has the \
                     command (`redis`, or `valkey` for a Valkey-only command)"
                        .into(),
                );
            }
            a
        }
        None => {
            if since.is_some_and(|s| s > VALKEY_FIRST) {
                errs.push(format!(
                    "`since` = {:?} is newer than Valkey's fork from Redis {}: \
                     say which servers have it with `redis` and/or `valkey`",
                    c.since,
                    show(VALKEY_FIRST)
                ));
            }
            Avail {
                redis: since,
                valkey: Some(VALKEY_FIRST),
            }
        }
    }
}

/// What an argument needs beyond its command, if anything: its own
/// `redis`/`valkey`, or a `since` newer than the command's Redis version.
pub fn arg(a: &spec::Arg, cmd: &Avail, errs: &mut Vec<String>) -> Option<Avail> {
    if let Some(own) = explicit(&a.redis, &a.valkey, errs) {
        let wider = |mine: Option<Ver>, theirs: Option<Ver>| match (mine, theirs) {
            (Some(_), None) => true,
            (Some(m), Some(t)) => m < t,
            (None, _) => false,
        };
        if wider(own.redis, cmd.redis) || wider(own.valkey, cmd.valkey) {
            errs.push(
                "its `redis`/`valkey` say more servers have it than have the command".to_string(),
            );
        }
        return (own != *cmd).then_some(own);
    }
    let since = a.since.as_deref().and_then(parse)?;
    if cmd.redis.is_some_and(|r| since <= r) || cmd.redis.is_none() {
        return None;
    }
    if since > VALKEY_FIRST {
        errs.push(format!(
            "`since` = {:?} is newer than Valkey's fork: say which servers \
             have it with `redis` and/or `valkey`",
            show(since)
        ));
    }
    Some(Avail {
        redis: Some(since),
        valkey: cmd.valkey,
    })
}

impl Avail {
    /// For the rustdoc: `Redis >= 7.4.0, Valkey >= 9.0.0`.
    pub fn describe(&self) -> String {
        let redis = match self.redis {
            Some(v) => format!("Redis >= {}", show(v)),
            None => "not on Redis".into(),
        };
        let valkey = match self.valkey {
            Some(v) if v <= VALKEY_FIRST => "every Valkey".into(),
            Some(v) => format!("Valkey >= {}", show(v)),
            None => "not on Valkey".into(),
        };
        format!("{redis}, {valkey}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(parse("7.4.0"), Some((7, 4, 0)));
        assert_eq!(parse("7.4"), None);
        assert_eq!(parse("7.4.0.1"), None);
        assert_eq!(parse("x.1.2"), None);
    }

    #[test]
    fn describes() {
        let a = Avail {
            redis: Some((8, 0, 0)),
            valkey: Some((9, 0, 0)),
        };
        assert_eq!(a.describe(), "Redis >= 8.0.0, Valkey >= 9.0.0");
        let b = Avail {
            redis: None,
            valkey: Some((9, 0, 0)),
        };
        assert_eq!(b.describe(), "not on Redis, Valkey >= 9.0.0");
        let c = Avail {
            redis: Some((1, 0, 0)),
            valkey: Some(VALKEY_FIRST),
        };
        assert_eq!(c.describe(), "Redis >= 1.0.0, every Valkey");
    }
}
