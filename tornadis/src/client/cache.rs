//! Client-side caching: a bounded local copy of the replies to read-only key
//! reads, kept correct by the server's `CLIENT TRACKING` invalidation pushes.
//!
//! How it fits the request path:
//! - before a command is queued, [`Cache::lookup`] answers it from the cache
//!   (a hit: no round trip) or hands back a [`Ticket`] that travels with the
//!   request's reply slot;
//! - the driver stores the reply through the ticket when it decodes it, and
//!   feeds every `invalidate` push to [`Cache::on_push`]. Both happen in the
//!   order the bytes arrived, so a reply is always judged against every
//!   invalidation that preceded it on the wire;
//! - a ticket remembers the key's invalidation epoch when the request was
//!   sent: if an invalidation for that key (or a flush) came in between, the
//!   reply may describe a value that is already gone, and is not stored.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use crate::cmd::Cmd;
use crate::command_info::{CommandFlags, CommandInfo};
use crate::config::Protocol;
use crate::error::{Error, Result};
use crate::resp::Value;

/// Settings of the client-side cache (see [`ConfigBuilder::client_cache`](crate::ConfigBuilder::client_cache)).
///
/// With a cache, the client turns on `CLIENT TRACKING` (default mode) on
/// its connection: the server remembers which keys the connection read and
/// pushes an invalidation when one of them changes, and the client drops its
/// copies. Only commands the spec table marks cacheable (read-only,
/// deterministic key reads such as `GET`, `HGET`, `HGETALL`, `LRANGE`,
/// `SMEMBERS`) that name exactly one key are cached, whether sent through a
/// typed method or [`Client::call`](crate::Client::call). Pipelines and
/// transactions always go to the server.
///
/// The cache needs RESP3 (invalidations arrive as RESP3 pushes on the same
/// connection): a configuration with [`Protocol::Resp2`] and a cache is
/// refused, and so is a server that does not speak RESP3. Dedicated
/// connections ([`Client::dedicated`](crate::Client::dedicated), pooled
/// clients, side connections of blocking commands) never cache.
///
/// The whole cache is dropped when the connection is lost or reopened
/// (invalidations may have been missed meanwhile), and entries also expire
/// after [`ttl`](CacheConfig::ttl) to bound how stale a value can get should
/// an invalidation be lost some other way.
///
/// ```no_run
/// # async fn demo() -> tornadis::Result<()> {
/// use std::time::Duration;
/// use tornadis::{CacheConfig, Client, Commands};
///
/// let client = Client::builder()
///     .client_cache(CacheConfig::new().max_entries(10_000).ttl(Duration::from_secs(60)))
///     .build()?;
/// let a: Option<String> = client.get("greeting").await?; // from the server
/// let b: Option<String> = client.get("greeting").await?; // from the cache
/// assert_eq!(client.cache_stats().map(|s| s.hits), Some(1));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    max_entries: usize,
    max_bytes: usize,
    ttl: Option<Duration>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_entries: 10_000,
            max_bytes: 64 * 1024 * 1024,
            ttl: Some(Duration::from_secs(300)),
        }
    }
}

impl CacheConfig {
    /// The defaults: at most 10,000 entries, 64 MiB, and a 5-minute time to live.
    pub fn new() -> Self {
        CacheConfig::default()
    }

    /// The most replies kept; past it, the least recently used are evicted.
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// The most memory kept (an estimate of the replies' sizes); past it, the
    /// least recently used entries are evicted. A single reply larger than
    /// this is never cached.
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// How long an entry may be served after it was stored (`None`: until
    /// it is invalidated or evicted).
    pub fn ttl(mut self, ttl: impl Into<Option<Duration>>) -> Self {
        self.ttl = ttl.into();
        self
    }

    /// Checks these settings against the rest of the configuration.
    pub(crate) fn validate(&self, protocol: Protocol) -> Result<()> {
        if protocol == Protocol::Resp2 {
            return Err(Error::client(
                "client-side caching needs RESP3 (invalidations arrive as RESP3 pushes); \
                 remove protocol(Resp2) or the cache",
            ));
        }
        if self.max_entries == 0 || self.max_bytes == 0 {
            return Err(Error::client(
                "client cache limits must be greater than zero",
            ));
        }
        if self.ttl == Some(Duration::ZERO) {
            return Err(Error::client(
                "a client cache ttl of zero would serve nothing; give a positive ttl or None",
            ));
        }
        Ok(())
    }
}

/// A snapshot of the client-side cache's counters (see [`Client::cache_stats`](crate::Client::cache_stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Cacheable commands answered from the cache.
    pub hits: u64,
    /// Cacheable commands sent to the server (not cached, or expired).
    pub misses: u64,
    /// Entries evicted to stay within the size limits.
    pub evictions: u64,
    /// Entries dropped because their time to live had passed.
    pub expirations: u64,
    /// Entries dropped by an invalidation (a server push, or a write sent by this client).
    pub invalidations: u64,
    /// Times the whole cache was dropped (reconnects, lost connections, server flushes).
    pub flushes: u64,
    /// Replies not stored because their key was invalidated while they were on the way.
    pub stale_replies: u64,
    /// Entries held now.
    pub entries: u64,
    /// Estimated bytes held now.
    pub bytes: u64,
}

/// The cache of one client connection.
#[derive(Debug)]
pub(crate) struct Cache {
    config: CacheConfig,
    inner: Mutex<Inner>,
}

/// What [`Cache::lookup`] found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// The cached reply.
    Hit(Value),
    /// Not cached: send it, and store the reply through this ticket.
    Miss(Ticket),
    /// Not a command the cache keeps.
    Uncacheable,
}

#[derive(Debug, Default)]
struct Inner {
    /// Encoded command → its cached reply.
    entries: HashMap<Bytes, Entry>,
    /// Key → the encoded commands cached for it (for invalidations).
    by_key: HashMap<Bytes, Vec<Bytes>>,
    /// Last use → encoded command, oldest first (least recently used eviction).
    lru: BTreeMap<u64, Bytes>,
    /// Source of `lru` positions.
    clock: u64,
    bytes: usize,
    /// Keys with cacheable requests on the way: how many, and an epoch
    /// bumped by every invalidation of the key meanwhile.
    inflight: HashMap<Bytes, Pending>,
    /// Bumped by every flush: replies to requests sent before it are not stored.
    generation: u64,
    stats: CacheStats,
}

#[derive(Debug)]
struct Entry {
    key: Bytes,
    value: Value,
    size: usize,
    expires: Option<Instant>,
    used: u64,
}

#[derive(Debug, Default)]
struct Pending {
    count: usize,
    epoch: u64,
}

/// A cacheable request on the way: stores its reply unless the key was
/// invalidated (or the cache flushed) since it was sent.
#[derive(Debug)]
pub(crate) struct Ticket {
    cache: Arc<Cache>,
    cmd: Bytes,
    key: Bytes,
    epoch: u64,
    generation: u64,
    released: bool,
}

impl Cache {
    pub(crate) fn new(config: CacheConfig) -> Self {
        Cache {
            config,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Locks the state; a poisoned lock (no code under it panics) is recovered.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The counters now.
    pub(crate) fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            entries: inner.entries.len() as u64,
            bytes: inner.bytes as u64,
            ..inner.stats
        }
    }

    /// Looks `cmd` up before it is sent. A write sent by this client drops
    /// the copies of the keys it names at once (the server's invalidation
    /// for its own writes comes only after the write's reply).
    #[cfg(test)]
    pub(crate) fn lookup(self: &Arc<Self>, cmd: &Cmd) -> Lookup {
        self.lookup_with(cmd, super::routing::info_of(cmd))
    }

    /// [`lookup`](Cache::lookup) for a command whose spec entry is already known.
    pub(crate) fn lookup_with(
        self: &Arc<Self>,
        cmd: &Cmd,
        info: Option<&'static crate::command_info::CommandInfo>,
    ) -> Lookup {
        let Some(info) = info else {
            return Lookup::Uncacheable;
        };
        if info.flags.contains(CommandFlags::WRITE) {
            self.note_write(info, cmd);
            return Lookup::Uncacheable;
        }
        if !cacheable(info) {
            return Lookup::Uncacheable;
        }
        let args: Vec<&[u8]> = cmd.arg_slices().collect();
        let Some(key) = single_key(info, &args) else {
            return Lookup::Uncacheable;
        };
        let mut encoded = BytesMut::with_capacity(cmd.encoded_len());
        cmd.write_to(&mut encoded);
        let encoded = encoded.freeze();
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(value) = inner.hit(&encoded, now) {
            inner.stats.hits += 1;
            return Lookup::Hit(value);
        }
        inner.stats.misses += 1;
        let key = Bytes::copy_from_slice(key);
        let pending = inner.inflight.entry(key.clone()).or_default();
        pending.count += 1;
        let epoch = pending.epoch;
        Lookup::Miss(Ticket {
            cache: self.clone(),
            cmd: encoded,
            key,
            epoch,
            generation: inner.generation,
            released: false,
        })
    }

    /// Drops the copies of the keys a write names; a keyless write (such as
    /// `FLUSHDB`) drops everything.
    pub(crate) fn note_write(&self, info: &CommandInfo, cmd: &Cmd) {
        if info.keys.is_empty() {
            self.flush();
            return;
        }
        let args: Vec<&[u8]> = cmd.arg_slices().collect();
        let mut inner = self.lock();
        for i in info.key_positions(&args) {
            if let Some(key) = args.get(i) {
                inner.invalidate(key);
            }
        }
    }

    /// Handles an out-of-band RESP3 push: `invalidate` with a list of keys
    /// drops their entries; `invalidate` with nil (the server flushed a
    /// database) drops everything. Other pushes are ignored.
    pub(crate) fn on_push(&self, items: &[Value]) {
        let is_invalidate = match items.first() {
            Some(Value::Bulk(kind) | Value::SimpleString(kind)) => {
                kind.eq_ignore_ascii_case(b"invalidate")
            }
            _ => false,
        };
        if !is_invalidate {
            return;
        }
        match items.get(1) {
            Some(Value::Array(keys) | Value::Set(keys)) => {
                let mut inner = self.lock();
                for key in keys {
                    if let Value::Bulk(key) | Value::SimpleString(key) = key {
                        inner.invalidate(key);
                    }
                }
            }
            Some(Value::Nil) | None => self.flush(),
            // A malformed invalidation: dropping everything is always safe.
            Some(_) => self.flush(),
        }
    }

    /// Drops every entry, and keeps replies already on the way from being
    /// stored (they may have been read before the flush).
    pub(crate) fn flush(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.clear();
    }

    /// Drops every entry when the connection is lost. Entries are only
    /// stored from replies read on a live connection, so this also covers
    /// reconnects. Requests still queued keep their tickets: they will be
    /// sent on the next connection, after its `CLIENT TRACKING ON`, so their
    /// replies are tracked like any other.
    pub(crate) fn connection_lost(&self) {
        self.lock().clear();
    }

    /// Stores `value` as the reply to `ticket`'s command, unless it is an
    /// error or the key was invalidated meanwhile.
    fn store(&self, ticket: &Ticket, value: &Value) {
        let size = approx_size(&ticket.cmd) + approx_size(&ticket.key) + value_size(value);
        let expires = self.config.ttl.map(crate::deadline::from_now);
        let mut inner = self.lock();
        let epoch = inner.release(&ticket.key);
        if inner.generation != ticket.generation || epoch != Some(ticket.epoch) {
            inner.stats.stale_replies += 1;
            return;
        }
        if matches!(value, Value::Error(_) | Value::Push(_)) || size > self.config.max_bytes {
            return;
        }
        inner.remove(&ticket.cmd);
        inner.clock += 1;
        let used = inner.clock;
        inner.lru.insert(used, ticket.cmd.clone());
        inner
            .by_key
            .entry(ticket.key.clone())
            .or_default()
            .push(ticket.cmd.clone());
        inner.bytes += size;
        inner.entries.insert(
            ticket.cmd.clone(),
            Entry {
                key: ticket.key.clone(),
                value: value.clone(),
                size,
                expires,
                used,
            },
        );
        while inner.entries.len() > self.config.max_entries || inner.bytes > self.config.max_bytes {
            let Some((_, oldest)) = inner.lru.pop_first() else {
                break;
            };
            inner.remove(&oldest);
            inner.stats.evictions += 1;
        }
    }
}

impl Inner {
    /// The live entry for `cmd`, marked as just used; an expired one is dropped.
    fn hit(&mut self, cmd: &Bytes, now: Instant) -> Option<Value> {
        let entry = self.entries.get(cmd)?;
        if entry.expires.is_some_and(|at| at <= now) {
            self.remove(cmd);
            self.stats.expirations += 1;
            return None;
        }
        let old = entry.used;
        self.clock += 1;
        let used = self.clock;
        self.lru.remove(&old);
        self.lru.insert(used, cmd.clone());
        let entry = self.entries.get_mut(cmd)?;
        entry.used = used;
        Some(entry.value.clone())
    }

    /// Drops every entry.
    fn clear(&mut self) {
        self.entries.clear();
        self.by_key.clear();
        self.lru.clear();
        self.bytes = 0;
        self.stats.flushes += 1;
    }

    /// Drops the entry for `cmd` from every index.
    fn remove(&mut self, cmd: &Bytes) -> bool {
        let Some(entry) = self.entries.remove(cmd) else {
            return false;
        };
        self.bytes = self.bytes.saturating_sub(entry.size);
        self.lru.remove(&entry.used);
        if let Some(cmds) = self.by_key.get_mut(&entry.key) {
            cmds.retain(|c| c != cmd);
            if cmds.is_empty() {
                self.by_key.remove(&entry.key);
            }
        }
        true
    }

    /// Drops every entry of `key`, and marks its replies on the way as stale.
    fn invalidate(&mut self, key: &[u8]) {
        if let Some(pending) = self.inflight.get_mut(key) {
            pending.epoch += 1;
        }
        let Some(cmds) = self.by_key.remove(key) else {
            return;
        };
        for cmd in cmds {
            if let Some(entry) = self.entries.remove(&cmd) {
                self.bytes = self.bytes.saturating_sub(entry.size);
                self.lru.remove(&entry.used);
                self.stats.invalidations += 1;
            }
        }
    }

    /// One request for `key` is no longer on the way; returns the key's epoch.
    fn release(&mut self, key: &Bytes) -> Option<u64> {
        let pending = self.inflight.get_mut(key)?;
        let epoch = pending.epoch;
        pending.count = pending.count.saturating_sub(1);
        if pending.count == 0 {
            self.inflight.remove(key);
        }
        Some(epoch)
    }
}

impl Ticket {
    /// Stores the reply (called by the driver, in wire order with invalidations).
    pub(crate) fn store(mut self, value: &Value) {
        self.released = true;
        self.cache.store(&self, value);
    }
}

impl Drop for Ticket {
    /// A request that got no reply (failed, or its connection was lost) is no longer on the way.
    fn drop(&mut self) {
        if !self.released {
            self.cache.lock().release(&self.key);
        }
    }
}

/// Whether the cache may keep `info`'s replies at all: the table says so
/// (it leaves out commands such as SORT_RO, whose BY and GET options read
/// keys no key spec names, so the server would not invalidate them).
fn cacheable(info: &CommandInfo) -> bool {
    info.flags.contains(CommandFlags::CACHEABLE)
        && !info.flags.contains(CommandFlags::NONDETERMINISTIC)
}

/// The key of a command that names exactly one.
fn single_key<'a>(info: &CommandInfo, args: &[&'a [u8]]) -> Option<&'a [u8]> {
    match info.key_positions(args)[..] {
        [one] => args.get(one).copied(),
        _ => None,
    }
}

fn approx_size(bytes: &Bytes) -> usize {
    bytes.len() + std::mem::size_of::<Bytes>()
}

/// Roughly the memory a reply holds.
fn value_size(value: &Value) -> usize {
    let own = std::mem::size_of::<Value>();
    own + match value {
        Value::SimpleString(b) | Value::Bulk(b) | Value::BigNumber(b) => b.len(),
        Value::Verbatim { text, .. } => text.len(),
        Value::Error(e) => e.as_bytes().len(),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            items.iter().map(value_size).sum()
        }
        Value::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| value_size(k) + value_size(v))
            .sum(),
        Value::Attribute { attributes, value } => {
            attributes
                .iter()
                .map(|(k, v)| value_size(k) + value_size(v))
                .sum::<usize>()
                + value_size(value)
        }
        Value::Nil | Value::Integer(_) | Value::Double(_) | Value::Boolean(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(args: &[&str]) -> Cmd {
        let mut c = crate::cmd::cmd(args[0]);
        for a in &args[1..] {
            c.arg(*a);
        }
        c
    }

    fn cache(config: CacheConfig) -> Arc<Cache> {
        Arc::new(Cache::new(config))
    }

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn invalidate(keys: &[&str]) -> Vec<Value> {
        vec![
            bulk("invalidate"),
            Value::Array(keys.iter().map(|k| bulk(k)).collect()),
        ]
    }

    /// Sends `args` through the cache and answers it with `reply` when it misses.
    fn get(c: &Arc<Cache>, args: &[&str], reply: &str) -> Option<Value> {
        match c.lookup(&raw(args)) {
            Lookup::Hit(v) => Some(v),
            Lookup::Miss(t) => {
                t.store(&bulk(reply));
                None
            }
            Lookup::Uncacheable => panic!("{args:?} should be cacheable"),
        }
    }

    #[test]
    fn second_read_is_a_hit_and_counted() {
        let c = cache(CacheConfig::new());
        assert_eq!(get(&c, &["GET", "k"], "v1"), None);
        assert_eq!(get(&c, &["GET", "k"], "unused"), Some(bulk("v1")));
        assert_eq!(get(&c, &["HGET", "h", "f"], "x"), None);
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.entries), (1, 2, 2));
        assert!(s.bytes > 0);
        assert!(c.lock().inflight.is_empty());
    }

    #[test]
    fn invalidation_drops_every_entry_of_the_key() {
        let c = cache(CacheConfig::new());
        get(&c, &["HGET", "h", "a"], "1");
        get(&c, &["HGET", "h", "b"], "2");
        get(&c, &["GET", "other"], "3");
        c.on_push(&invalidate(&["h"]));
        let s = c.stats();
        assert_eq!((s.entries, s.invalidations), (1, 2));
        assert_eq!(get(&c, &["HGET", "h", "a"], "new"), None);
        assert_eq!(get(&c, &["GET", "other"], "x"), Some(bulk("3")));
        // A nil key list (FLUSHALL on the server) drops everything.
        c.on_push(&[bulk("invalidate"), Value::Nil]);
        assert_eq!(c.stats().entries, 0);
        // Other pushes are not invalidations.
        get(&c, &["GET", "other"], "4");
        c.on_push(&[bulk("message"), bulk("other"), bulk("x")]);
        assert_eq!(c.stats().entries, 1);
    }

    #[test]
    fn a_reply_overtaken_by_an_invalidation_is_not_stored() {
        let c = cache(CacheConfig::new());
        let Lookup::Miss(first) = c.lookup(&raw(&["GET", "k"])) else {
            panic!("expected a miss")
        };
        let Lookup::Miss(second) = c.lookup(&raw(&["GET", "k"])) else {
            panic!("expected a miss")
        };
        c.on_push(&invalidate(&["k"]));
        first.store(&bulk("old"));
        second.store(&bulk("old"));
        let s = c.stats();
        assert_eq!((s.entries, s.stale_replies), (0, 2));
        // The next request, sent after the invalidation, is stored.
        assert_eq!(get(&c, &["GET", "k"], "new"), None);
        assert_eq!(get(&c, &["GET", "k"], "x"), Some(bulk("new")));
    }

    #[test]
    fn a_reply_sent_before_a_flush_is_not_stored() {
        let c = cache(CacheConfig::new());
        let Lookup::Miss(t) = c.lookup(&raw(&["GET", "k"])) else {
            panic!("expected a miss")
        };
        c.flush();
        t.store(&bulk("v"));
        assert_eq!(c.stats().entries, 0);
        assert!(c.lock().inflight.is_empty());
    }

    #[test]
    fn own_writes_drop_their_keys_at_once() {
        let c = cache(CacheConfig::new());
        get(&c, &["GET", "a"], "1");
        get(&c, &["GET", "b"], "2");
        get(&c, &["GET", "c"], "3");
        assert!(matches!(
            c.lookup(&raw(&["SET", "a", "9"])),
            Lookup::Uncacheable
        ));
        assert!(matches!(
            c.lookup(&raw(&["DEL", "b", "zz"])),
            Lookup::Uncacheable
        ));
        let s = c.stats();
        assert_eq!((s.entries, s.invalidations), (1, 2));
        // A write in flight of a read makes the read's reply stale.
        let Lookup::Miss(t) = c.lookup(&raw(&["GET", "c2"])) else {
            panic!("expected a miss")
        };
        let _ = c.lookup(&raw(&["SET", "c2", "x"]));
        t.store(&bulk("old"));
        assert_eq!(c.stats().stale_replies, 1);
        // A keyless write such as FLUSHDB drops everything.
        let _ = c.lookup(&raw(&["FLUSHDB"]));
        assert_eq!(c.stats().entries, 0);
    }

    #[test]
    fn only_single_key_cacheable_reads_are_kept() {
        let c = cache(CacheConfig::new());
        for args in [
            &["TTL", "k"][..],
            &["MGET", "a", "b"],
            &["EXISTS", "a", "b"],
            &["SORT_RO", "k", "BY", "w_*"],
            &["RANDOMKEY"],
            &["PING"],
            &["NOSUCHCOMMAND", "k"],
        ] {
            assert!(
                matches!(c.lookup(&raw(args)), Lookup::Uncacheable),
                "{args:?}"
            );
        }
        for args in [
            &["GET", "k"][..],
            &["get", "k"],
            &["MGET", "a"],
            &["EXISTS", "a"],
            &["LRANGE", "l", "0", "-1"],
            &["SMEMBERS", "s"],
            &["HGETALL", "h"],
        ] {
            assert!(matches!(c.lookup(&raw(args)), Lookup::Miss(_)), "{args:?}");
        }
        assert_eq!(c.stats().misses, 7);
    }

    #[test]
    fn errors_are_not_cached() {
        let c = cache(CacheConfig::new());
        let Lookup::Miss(t) = c.lookup(&raw(&["GET", "k"])) else {
            panic!("expected a miss")
        };
        t.store(&Value::Error(crate::resp::ServerError::new(
            Bytes::from_static(
                b"WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
        )));
        let s = c.stats();
        assert_eq!((s.entries, s.stale_replies), (0, 0));
    }

    #[test]
    fn entry_limit_evicts_the_least_recently_used() {
        let c = cache(CacheConfig::new().max_entries(2));
        get(&c, &["GET", "a"], "1");
        get(&c, &["GET", "b"], "2");
        // Using `a` makes `b` the least recently used.
        assert!(get(&c, &["GET", "a"], "x").is_some());
        get(&c, &["GET", "c"], "3");
        let s = c.stats();
        assert_eq!((s.entries, s.evictions), (2, 1));
        assert!(get(&c, &["GET", "a"], "x").is_some());
        assert!(get(&c, &["GET", "c"], "x").is_some());
        assert!(get(&c, &["GET", "b"], "2").is_none());
        let inner = c.lock();
        assert_eq!(inner.lru.len(), inner.entries.len());
        let indexed: usize = inner.by_key.values().map(Vec::len).sum();
        assert_eq!(indexed, inner.entries.len());
    }

    #[test]
    fn byte_limit_evicts_and_skips_oversized_replies() {
        let c = cache(CacheConfig::new().max_bytes(2_000));
        let big = "x".repeat(900);
        get(&c, &["GET", "a"], &big);
        get(&c, &["GET", "b"], &big);
        get(&c, &["GET", "c"], &big);
        let s = c.stats();
        assert!(s.bytes <= 2_000, "{s:?}");
        assert!(s.evictions >= 1, "{s:?}");
        get(&c, &["GET", "huge"], &"y".repeat(5_000));
        assert!(get(&c, &["GET", "huge"], "x").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_ttl() {
        let c = cache(CacheConfig::new().ttl(Duration::from_secs(10)));
        get(&c, &["GET", "k"], "v");
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(get(&c, &["GET", "k"], "x"), Some(bulk("v")));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(get(&c, &["GET", "k"], "v2"), None);
        let s = c.stats();
        assert_eq!((s.expirations, s.entries), (1, 1));
    }

    #[test]
    fn a_lost_connection_drops_entries_but_not_queued_requests() {
        let c = cache(CacheConfig::new());
        get(&c, &["GET", "a"], "1");
        // Queued before the loss, sent on the next connection.
        let Lookup::Miss(t) = c.lookup(&raw(&["GET", "b"])) else {
            panic!("expected a miss")
        };
        c.connection_lost();
        assert_eq!(c.stats().entries, 0);
        t.store(&bulk("2"));
        assert_eq!(get(&c, &["GET", "b"], "x"), Some(bulk("2")));
        assert_eq!(get(&c, &["GET", "a"], "1"), None);
        assert_eq!(c.stats().flushes, 1);
    }

    #[test]
    fn dropped_tickets_leave_nothing_in_flight() {
        let c = cache(CacheConfig::new());
        let t = c.lookup(&raw(&["GET", "k"]));
        assert_eq!(c.lock().inflight.len(), 1);
        drop(t);
        assert!(c.lock().inflight.is_empty());
    }

    #[test]
    fn settings_are_checked() {
        assert!(CacheConfig::new().validate(Protocol::Resp3).is_ok());
        let e = CacheConfig::new().validate(Protocol::Resp2).unwrap_err();
        assert!(e.is_client() && e.to_string().contains("RESP3"), "{e}");
        assert!(CacheConfig::new()
            .max_entries(0)
            .validate(Protocol::Resp3)
            .is_err());
        assert!(CacheConfig::new()
            .ttl(Duration::ZERO)
            .validate(Protocol::Resp3)
            .is_err());
        assert!(CacheConfig::new()
            .ttl(None)
            .validate(Protocol::Resp3)
            .is_ok());
    }
}
