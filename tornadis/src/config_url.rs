//! Parsing `redis://`, `rediss://` (TLS), `unix://` and `redis+unix://` URLs into a [`Config`].
//! `valkey://` and `valkeys://` are the same as `redis://` and `rediss://`:
//! the server's kind comes from its handshake, not from the scheme.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, Protocol, Secret, ServerAddr};
use crate::error::{Error, Result};

fn bad(url_hint: &str, why: impl std::fmt::Display) -> Error {
    Error::client(format!(
        "invalid Redis URL {url_hint:?}: {why}; expected redis://[user:password@]host[:port][/db] or unix:///path/to/socket"
    ))
}

/// The URL with every password replaced, for error messages: the password
/// of the user-info part (`user:password@` or the `password@` short form)
/// and the value of a `password` or `pass` query parameter.
fn redact(url: &str) -> String {
    const MASK: &str = "********";
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    let body = match main.find("://") {
        Some(s) => {
            out.push_str(&main[..s + 3]);
            &main[s + 3..]
        }
        None => main,
    };
    match body.rfind('@') {
        Some(at) => {
            if let Some((user, _)) = body[..at].split_once(':') {
                out.push_str(user);
                out.push(':');
            }
            out.push_str(MASK);
            out.push_str(&body[at..]);
        }
        None => out.push_str(body),
    }
    if let Some(q) = query {
        out.push('?');
        for (i, pair) in q.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((k, _)) if matches!(k, "password" | "pass") => {
                    out.push_str(k);
                    out.push('=');
                    out.push_str(MASK);
                }
                _ => out.push_str(pair),
            }
        }
    }
    out
}

pub(crate) fn parse(url: &str) -> Result<Config> {
    let hint = redact(url);
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad(&hint, "missing scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    let mut config = Config::default();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    match scheme.as_str() {
        "redis" | "valkey" => parse_tcp(&hint, main, &mut config)?,
        #[cfg(feature = "tls")]
        "rediss" | "valkeys" => {
            parse_tcp(&hint, main, &mut config)?;
            config.tls = Some(crate::tls::TlsConfig::new());
        }
        #[cfg(not(feature = "tls"))]
        "rediss" | "valkeys" => {
            return Err(Error::client(format!(
            "{hint:?} asks for TLS (rediss://), which needs tornadis built with the `tls` feature"
        )))
        }
        "unix" | "redis+unix" | "redis-socket" => {
            // `unix:///path`: everything after the scheme is the path (with an
            // optional `user:pass@` before it for the redis+unix form).
            let (userinfo, path) = match main.rsplit_once('@') {
                Some((u, p)) if !u.contains('/') => (Some(u), p),
                _ => (None, main),
            };
            if let Some(u) = userinfo {
                apply_userinfo(&hint, u, &mut config)?;
            }
            if path.is_empty() {
                return Err(bad(&hint, "missing socket path"));
            }
            config.addr = ServerAddr::Unix(PathBuf::from(percent_decode(&hint, path)?));
        }
        other => return Err(bad(&hint, format!("unknown scheme {other:?}"))),
    }
    if let Some(q) = query {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(&hint, v)?;
            match k {
                "db" => config.db = parse_db(&hint, &v)?,
                "username" | "user" => config.username = Some(v),
                "password" | "pass" => config.password = Some(Secret::new(v)),
                "client_name" | "name" => config.client_name = Some(v),
                "protocol" => {
                    config.protocol = match v.to_ascii_lowercase().as_str() {
                        "resp2" | "2" => Protocol::Resp2,
                        "resp3" | "3" => Protocol::Resp3,
                        _ => {
                            return Err(bad(
                                &hint,
                                format!("protocol must be resp2 or resp3, not {v:?}"),
                            ))
                        }
                    }
                }
                "connect_timeout" => config.connect_timeout = Some(parse_secs(&hint, k, &v)?),
                "read_timeout" => config.read_timeout = Some(parse_secs(&hint, k, &v)?),
                _ => return Err(bad(&hint, format!("unknown parameter {k:?}"))),
            }
        }
    }
    config.validate()?;
    Ok(config)
}

fn parse_tcp(hint: &str, main: &str, config: &mut Config) -> Result<()> {
    let (authority, path) = match main.find('/') {
        Some(i) => (&main[..i], &main[i + 1..]),
        None => (main, ""),
    };
    let hostport = match authority.rsplit_once('@') {
        Some((userinfo, hp)) => {
            apply_userinfo(hint, userinfo, config)?;
            hp
        }
        None => authority,
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| bad(hint, "unclosed '[' in IPv6 address"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(bad(hint, "unexpected text after IPv6 address")),
        };
        (h.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| bad(hint, format!("port {p:?} is not a number from 1 to 65535")))?,
        None => 6379,
    };
    let host = if host.is_empty() {
        "127.0.0.1".to_string()
    } else {
        host
    };
    config.addr = ServerAddr::Tcp { host, port };
    let path = path.trim_end_matches('/');
    if !path.is_empty() {
        config.db = parse_db(hint, path)?;
    }
    Ok(())
}

fn apply_userinfo(hint: &str, userinfo: &str, config: &mut Config) -> Result<()> {
    let (user, pass) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    match pass {
        Some(p) => {
            if !user.is_empty() {
                config.username = Some(percent_decode(hint, user)?);
            }
            config.password = Some(Secret::new(percent_decode(hint, p)?));
        }
        // `redis://secret@host` is the common spelling of a password without a user.
        None if !user.is_empty() => {
            config.password = Some(Secret::new(percent_decode(hint, user)?))
        }
        None => {}
    }
    Ok(())
}

fn parse_db(hint: &str, s: &str) -> Result<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|d| *d >= 0)
        .ok_or_else(|| bad(hint, format!("database {s:?} is not a non-negative number")))
}

/// A number of seconds (fractions allowed). One too large for a `Duration`
/// (`1e30`, `inf`) saturates: it means "wait practically forever".
fn parse_secs(hint: &str, key: &str, s: &str) -> Result<Duration> {
    match s.parse::<f64>() {
        Ok(f) if f >= 0.0 => Ok(Duration::try_from_secs_f64(f).unwrap_or(Duration::MAX)),
        _ => Err(bad(
            hint,
            format!("{key} {s:?} is not a non-negative number of seconds"),
        )),
    }
}

fn percent_decode(hint: &str, s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .ok_or_else(|| bad(hint, "truncated percent escape"))?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad(hint, "bad percent escape"))?;
                let b = u8::from_str_radix(hex, 16).map_err(|_| bad(hint, "bad percent escape"))?;
                out.push(b);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad(hint, "percent escapes do not form UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_forms() {
        let c = parse("redis://localhost").unwrap();
        assert_eq!(
            c.addr,
            ServerAddr::Tcp {
                host: "localhost".into(),
                port: 6379
            }
        );
        let c = parse("redis://user:p%40ss@10.0.0.1:6380/3").unwrap();
        assert_eq!(
            c.addr,
            ServerAddr::Tcp {
                host: "10.0.0.1".into(),
                port: 6380
            }
        );
        assert_eq!(c.username.as_deref(), Some("user"));
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("p@ss"));
        assert_eq!(c.db, 3);
        let c = parse("redis://:pw@[::1]:7000/").unwrap();
        assert_eq!(
            c.addr,
            ServerAddr::Tcp {
                host: "::1".into(),
                port: 7000
            }
        );
        assert_eq!(c.username, None);
        assert_eq!(c.addr.to_string(), "[::1]:7000");
        let c = parse("redis://pw@h?db=2&protocol=resp2&read_timeout=0.5").unwrap();
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("pw"));
        assert_eq!(c.db, 2);
        assert_eq!(c.protocol, Protocol::Resp2);
        assert_eq!(c.read_timeout, Some(Duration::from_millis(500)));
    }

    #[test]
    fn valkey_schemes_are_redis_schemes() {
        let v = parse("valkey://u:pw@cache.example:6390/2").unwrap();
        let r = parse("redis://u:pw@cache.example:6390/2").unwrap();
        assert_eq!(v.addr, r.addr);
        assert_eq!((v.db, v.username.as_deref()), (2, Some("u")));
        #[cfg(not(feature = "tls"))]
        assert!(parse("valkeys://h").unwrap_err().detail().contains("tls"));
        #[cfg(feature = "tls")]
        assert!(parse("valkeys://h").unwrap().tls.is_some());
    }

    #[test]
    fn unix_forms() {
        for url in [
            "unix:///tmp/r.sock?db=4",
            "redis+unix:///tmp/r.sock?db=4",
            "redis-socket:///tmp/r.sock?db=4",
        ] {
            let c = parse(url).unwrap();
            assert_eq!(c.addr, ServerAddr::Unix("/tmp/r.sock".into()), "{url}");
            assert_eq!(c.db, 4);
        }
        let c = parse("unix:///tmp/r.sock?password=x&username=u").unwrap();
        assert_eq!(c.username.as_deref(), Some("u"));
    }

    #[test]
    fn bad_urls_are_client_errors_without_password() {
        for url in [
            "localhost:6379",
            "http://localhost",
            "redis://h:0",
            "redis://h:70000",
            "redis://h:abc",
            "redis://h/x",
            "redis://h/-1",
            "redis://[::1",
            "unix://",
            "redis://h?nope=1",
            "redis://u:topsecret@h:0",
            "redis://u:topsecret@h?protocol=9",
            "redis://h?read_timeout=-1",
            "redis://u:%zz@h",
            "redis://topsecret@h:notaport",
            "redis://h:notaport?password=top@secret",
            "redis://h:notaport?password=topsecret",
            "redis://:top@secret@h:x",
            "unix://topsecret@/tmp/s?nope=1",
        ] {
            let e = parse(url).unwrap_err();
            assert!(e.is_client(), "{url}: {e}");
            let text = format!("{e} {e:?}");
            assert!(!text.contains("topsecret"), "{url}: {text}");
            assert!(!text.contains("top@secret"), "{url}: {text}");
        }
    }

    #[test]
    #[cfg(not(feature = "tls"))]
    fn rediss_needs_the_tls_feature() {
        let e = parse("rediss://u:topsecret@h").unwrap_err();
        assert!(e.is_client(), "{e}");
        assert!(e.to_string().contains("`tls` feature"), "{e}");
        assert!(!format!("{e} {e:?}").contains("topsecret"));
    }

    #[test]
    #[cfg(feature = "tls")]
    fn rediss_turns_tls_on() {
        let c = parse("rediss://u:topsecret@redis.example:6380/1").unwrap();
        assert!(c.uses_tls());
        assert_eq!(
            c.addr,
            ServerAddr::Tcp {
                host: "redis.example".into(),
                port: 6380
            }
        );
        assert_eq!(c.db, 1);
        assert!(!format!("{c:?}").contains("topsecret"));
        assert!(!parse("redis://h").unwrap().uses_tls());
    }

    #[test]
    fn huge_timeouts_saturate() {
        let c = parse("redis://h?read_timeout=1e19&connect_timeout=1e300").unwrap();
        assert_eq!(c.read_timeout, Some(Duration::from_secs_f64(1e19)));
        assert_eq!(c.connect_timeout, Some(Duration::MAX));
        let c = parse("redis://h?read_timeout=inf").unwrap();
        assert_eq!(c.read_timeout, Some(Duration::MAX));
        assert!(parse("redis://h?read_timeout=NaN").is_err());
    }

    #[test]
    fn debug_hides_password() {
        let c = parse("redis://app:hunter2@h").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
