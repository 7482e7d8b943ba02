//! Which servers have a command, an option or a reply shape, and the check a
//! typed method makes against the server it is connected to.
//!
//! The spec table states availability per server kind (`redis = "7.4.0"`,
//! `valkey = "9.0.0"`, absent: that kind does not have it). The handshake
//! learns the server's kind and version ([`ServerInfo`]); a typed method whose
//! command, option or variant the server lacks then fails before anything is
//! sent. Raw `call` is never checked.

use std::fmt;

use crate::error::Error;

/// A server version such as `7.2.4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// The major version.
    pub major: u16,
    /// The minor version.
    pub minor: u16,
    /// The patch level.
    pub patch: u16,
}

impl Version {
    /// A version from its three parts.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `"7.2.4"` (missing parts count as 0, anything after a `-` is
    /// ignored); `None` when the first part is not a number.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.split(['-', ' ']).next().unwrap_or(text);
        let mut parts = text.split('.').map(|p| p.parse::<u16>());
        let major = parts.next()?.ok()?;
        let mut next = || parts.next().and_then(|p| p.ok()).unwrap_or(0);
        let (minor, patch) = (next(), next());
        Some(Version::new(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The kind of server: the spec table states availability for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerKind {
    /// Redis (and servers that present themselves as Redis).
    Redis,
    /// Valkey, which forked from Redis 7.2.4 and has every command Redis had then.
    Valkey,
}

impl ServerKind {
    /// The server's own name for itself: `"Redis"` or `"Valkey"`.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Redis => "Redis",
            ServerKind::Valkey => "Valkey",
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The server a connection talks to, as its handshake reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerInfo {
    /// Redis or Valkey.
    pub kind: ServerKind,
    /// Its version (Valkey's own version, not the `redis_version` it also reports).
    pub version: Version,
}

impl ServerInfo {
    /// From the `server` and `version` fields of a `HELLO` reply.
    pub(crate) fn from_hello(server: &str, version: &str) -> Option<ServerInfo> {
        let kind = if server.eq_ignore_ascii_case("valkey") {
            ServerKind::Valkey
        } else {
            ServerKind::Redis
        };
        Some(ServerInfo {
            kind,
            version: Version::parse(version)?,
        })
    }

    /// From the text of `INFO server`: Valkey reports `server_name:valkey`
    /// and `valkey_version`, and a `redis_version` of 7.2.4 whatever its own is.
    pub(crate) fn from_info(text: &str) -> Option<ServerInfo> {
        let field = |name: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .map(str::trim)
            })
        };
        let valkey = field("server_name").is_some_and(|n| n.eq_ignore_ascii_case("valkey"));
        match field("valkey_version") {
            Some(v) if valkey || field("server_name").is_none() => Some(ServerInfo {
                kind: ServerKind::Valkey,
                version: Version::parse(v)?,
            }),
            _ => Some(ServerInfo {
                kind: ServerKind::Redis,
                version: Version::parse(field("redis_version")?)?,
            }),
        }
    }

    /// Packs kind and version into one number (0 is "unknown").
    pub(crate) fn pack(self) -> u64 {
        let kind: u64 = match self.kind {
            ServerKind::Redis => 1,
            ServerKind::Valkey => 2,
        };
        let v = self.version;
        kind << 48 | u64::from(v.major) << 32 | u64::from(v.minor) << 16 | u64::from(v.patch)
    }

    /// The inverse of [`pack`](Self::pack).
    pub(crate) fn unpack(n: u64) -> Option<ServerInfo> {
        let kind = match n >> 48 {
            1 => ServerKind::Redis,
            2 => ServerKind::Valkey,
            _ => return None,
        };
        // Truncation is the point: each part was packed from a u16.
        let part = |shift: u32| ((n >> shift) & 0xffff) as u16;
        Some(ServerInfo {
            kind,
            version: Version::new(part(32), part(16), part(0)),
        })
    }
}

impl fmt::Display for ServerInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.version)
    }
}

/// The first version of each server kind that has something; `None`: that
/// kind does not have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Availability {
    /// The first Redis version that has it.
    pub redis: Option<Version>,
    /// The first Valkey version that has it.
    pub valkey: Option<Version>,
}

/// Valkey's first release: it has everything Redis 7.2.4 had.
pub const VALKEY_FIRST: Version = Version::new(7, 2, 4);

impl Availability {
    /// True when `server` has it.
    pub fn on(&self, server: ServerInfo) -> bool {
        let first = match server.kind {
            ServerKind::Redis => self.redis,
            ServerKind::Valkey => self.valkey,
        };
        first.is_some_and(|v| server.version >= v)
    }

    /// True when every server has it: Redis since 1.0 and every Valkey
    /// (most commands), so that no server needs checking.
    #[inline]
    pub(crate) fn everywhere(&self) -> bool {
        self.redis.is_some_and(|v| v <= Version::new(1, 0, 0))
            && self.valkey.is_some_and(|v| v <= VALKEY_FIRST)
    }
}

impl fmt::Display for Availability {
    /// `Redis >= 8.0.0 or Valkey >= 9.0.0`, `Redis >= 7.2.0 or any Valkey`, `Valkey >= 9.0.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redis = self.redis.map(|v| format!("Redis >= {v}"));
        let valkey = self.valkey.map(|v| {
            if v <= VALKEY_FIRST {
                "any Valkey".to_string()
            } else {
                format!("Valkey >= {v}")
            }
        });
        match (redis, valkey) {
            (Some(r), Some(v)) => write!(f, "{r} or {v}"),
            (Some(one), None) | (None, Some(one)) => f.write_str(&one),
            (None, None) => f.write_str("a server kind the table does not know"),
        }
    }
}

/// Something a typed method sends that not every server has: an option or
/// a reply shape newer than its command, with where it is available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Requirement {
    /// What needs it, e.g. `"the FNX option of HSETEX"`.
    pub what: &'static str,
    /// Which servers have it.
    pub availability: Availability,
}

/// The client error for something the connected server lacks.
pub(crate) fn refused(what: &str, availability: &Availability, server: ServerInfo) -> Error {
    Error::client(format!(
        "{what} needs {availability}; this server is {server}. \
         Upgrade the server, or send it with raw `call` if you know better"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(Version::parse("7.0.15"), Some(Version::new(7, 0, 15)));
        assert_eq!(Version::parse("8.0"), Some(Version::new(8, 0, 0)));
        assert_eq!(
            Version::parse("255.255.255-rc1"),
            Some(Version::new(255, 255, 255))
        );
        assert_eq!(Version::parse("x"), None);
        assert!(Version::new(7, 2, 4) > Version::new(7, 0, 15));
    }

    #[test]
    fn info_text_tells_valkey_from_redis() {
        let valkey =
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n";
        let s = ServerInfo::from_info(valkey).unwrap();
        assert_eq!(s.kind, ServerKind::Valkey);
        assert_eq!(s.version, Version::new(9, 1, 2));
        let redis = "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n";
        assert_eq!(
            ServerInfo::from_info(redis).unwrap().to_string(),
            "Redis 7.0.15"
        );
        assert_eq!(ServerInfo::from_info("nothing"), None);
        let s = ServerInfo::from_hello("valkey", "9.1.2").unwrap();
        assert_eq!(ServerInfo::unpack(s.pack()), Some(s));
        assert_eq!(ServerInfo::unpack(0), None);
    }

    #[test]
    fn availability_per_kind() {
        let hgetex = Availability {
            redis: Some(Version::new(8, 0, 0)),
            valkey: Some(Version::new(9, 0, 0)),
        };
        let redis7 = ServerInfo::from_hello("redis", "7.0.15").unwrap();
        let valkey = ServerInfo::from_hello("valkey", "9.1.2").unwrap();
        assert!(!hgetex.on(redis7));
        assert!(hgetex.on(valkey));
        let e = refused("HGETEX", &hgetex, redis7);
        assert!(
            e.detail().starts_with(
                "HGETEX needs Redis >= 8.0.0 or Valkey >= 9.0.0; this server is Redis 7.0.15"
            ),
            "{e}"
        );
        let valkey_only = Availability {
            redis: None,
            valkey: Some(Version::new(9, 0, 0)),
        };
        assert!(!valkey_only.on(redis7));
        assert_eq!(valkey_only.to_string(), "Valkey >= 9.0.0");
        let old = Availability {
            redis: Some(Version::new(7, 2, 0)),
            valkey: Some(VALKEY_FIRST),
        };
        assert_eq!(old.to_string(), "Redis >= 7.2.0 or any Valkey");
    }
}
