//! Cursor iteration as a [`Stream`]: [`ScanStream`] walks `SCAN`, `SSCAN`,
//! `HSCAN` and `ZSCAN` a batch at a time and yields typed items.
//!
//! The stream is a hand-written state machine: it holds at most one request
//! in flight (boxed), hands out the items of the last batch one by one, and
//! sends the next request only when they are used up, so memory stays at
//! one batch whatever the size of the keyspace.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::client::Client;
use crate::cluster::ClusterClient;
use crate::cmd::Cmd;
use crate::config::{Config, ServerAddr};
use crate::error::{Error, Result};
use crate::resp::Value;
use crate::value::{FromValue, ToArg};
use bytes::Bytes;

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

impl Client {
    /// Every key of the database (`SCAN`), as a [`Stream`] of `K`.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// let mut keys = client.scan_stream::<String>().match_pattern("user:*").count(500);
    /// while let Some(key) = keys.next().await {
    ///     println!("{}", key?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn scan_stream<K: FromValue>(&self) -> ScanStream<K> {
        ScanStream::new(Source::Client(self.clone()), "SCAN", None)
    }

    /// Every member of the set at `key` (`SSCAN`).
    pub fn sscan_stream<M: FromValue>(&self, key: impl ToArg) -> ScanStream<M> {
        ScanStream::new(Source::Client(self.clone()), "SSCAN", Some(one_arg(key)))
    }

    /// Every field and value of the hash at `key` (`HSCAN`), as pairs.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// let mut fields = client.hscan_stream::<String, i64>("scores");
    /// while let Some(pair) = fields.next().await {
    ///     let (field, value) = pair?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn hscan_stream<F: FromValue, V: FromValue>(&self, key: impl ToArg) -> ScanStream<(F, V)> {
        ScanStream::new(Source::Client(self.clone()), "HSCAN", Some(one_arg(key)))
    }

    /// Every member of the sorted set at `key` with its score (`ZSCAN`).
    pub fn zscan_stream<M: FromValue>(&self, key: impl ToArg) -> ScanStream<(M, f64)> {
        ScanStream::new(Source::Client(self.clone()), "ZSCAN", Some(one_arg(key)))
    }
}

impl ClusterClient {
    /// Every key of the cluster: with `CLUSTERSCAN` when every node has it
    /// (Valkey 9.1 and later), else with `SCAN` on the primaries one after
    /// another, each to the end of its own cursor.
    ///
    /// When the stream starts it reads the slot map and connects to the
    /// nodes to learn their kind and version. If all have `CLUSTERSCAN`, one
    /// cursor walks the whole cluster slot by slot over the cluster's own
    /// connections, each batch sent to the node serving the slot the cursor
    /// names (redirects are followed), and `node_config` is not used.
    ///
    /// Otherwise each primary of the slot map is scanned over a connection
    /// of its own, opened with `node_config` (its settings: password, TLS,
    /// timeouts; its address is replaced by the node's), closed when the
    /// stream is dropped. Either way, keys that move between nodes during
    /// the scan (resharding) may be missed or seen twice.
    pub fn scan_stream<K: FromValue>(&self, node_config: &Config) -> ScanStream<K> {
        let source = Source::Nodes {
            cluster: self.clone(),
            config: Box::new(node_config.clone()),
            nodes: None,
        };
        ScanStream::new(source, "SCAN", None)
    }

    /// Every member of the set at `key` (`SSCAN`), on the node serving its slot.
    pub fn sscan_stream<M: FromValue>(&self, key: impl ToArg) -> ScanStream<M> {
        ScanStream::new(Source::Cluster(self.clone()), "SSCAN", Some(one_arg(key)))
    }

    /// Every field and value of the hash at `key` (`HSCAN`), as pairs.
    pub fn hscan_stream<F: FromValue, V: FromValue>(&self, key: impl ToArg) -> ScanStream<(F, V)> {
        ScanStream::new(Source::Cluster(self.clone()), "HSCAN", Some(one_arg(key)))
    }

    /// Every member of the sorted set at `key` with its score (`ZSCAN`).
    pub fn zscan_stream<M: FromValue>(&self, key: impl ToArg) -> ScanStream<(M, f64)> {
        ScanStream::new(Source::Cluster(self.clone()), "ZSCAN", Some(one_arg(key)))
    }
}

fn one_arg(arg: impl ToArg) -> Cmd {
    let mut c = Cmd::new();
    c.arg(arg);
    c
}

/// Where the batches come from.
enum Source {
    Client(Client),
    /// A key's command, routed by the key.
    Cluster(ClusterClient),
    /// `SCAN` over each primary in turn; `nodes` is filled on the first poll
    /// (the front one is being scanned).
    Nodes {
        cluster: ClusterClient,
        config: Box<Config>,
        nodes: Option<VecDeque<Client>>,
    },
    /// `CLUSTERSCAN`: one text cursor for the whole cluster, each batch
    /// routed by the slot its cursor names.
    ClusterScan(ClusterClient),
}

/// How a cluster's keys are walked, decided on the first poll.
enum Plan {
    ClusterScan,
    Nodes(VecDeque<Client>),
}

/// The request in flight.
enum Flight {
    /// Finding how to walk the cluster (its nodes' servers, its primaries).
    Nodes(BoxFuture<Plan>),
    /// One batch: `[cursor, items]`.
    Batch(BoxFuture<Value>),
}

/// The items of a `SCAN`-family cursor, as a [`Stream`] of `Result<T>`;
/// made by [`Client::scan_stream`], [`sscan_stream`](Client::sscan_stream),
/// [`hscan_stream`](Client::hscan_stream), [`zscan_stream`](Client::zscan_stream)
/// (and the same methods of [`ClusterClient`]).
///
/// Options ([`match_pattern`](ScanStream::match_pattern),
/// [`count`](ScanStream::count), [`of_type`](ScanStream::of_type)) are set
/// before the first poll. The stream ends when the server returns cursor 0.
///
/// What Redis guarantees, the stream passes on unchanged: an element present
/// for the whole scan is yielded at least once; it may be yielded more than
/// once (the stream does not remove duplicates, which would need memory for
/// every item seen); elements added or removed during the scan may or may
/// not appear. `MATCH` and `TYPE` filter after the server has walked a
/// batch, so a batch may be empty and `count` is a hint, not a size.
///
/// An error (connection lost, `WRONGTYPE`, an item that does not decode as
/// `T`) is yielded once and ends the stream. The stream owns a handle to its
/// client, so it can be moved into a task of its own.
#[must_use = "streams do nothing unless polled"]
pub struct ScanStream<T> {
    source: Source,
    command: &'static str,
    key: Option<Cmd>,
    options: Cmd,
    type_set: bool,
    cursor: u64,
    /// `CLUSTERSCAN`'s cursor, which is text (`"0"` to start and at the end).
    text_cursor: Bytes,
    buffered: VecDeque<T>,
    flight: Option<Flight>,
    done: bool,
}

// The stream never pins its items (they are moved out of the buffer), so it
// can be polled without pinning whatever `T` is.
impl<T> Unpin for ScanStream<T> {}

impl<T> std::fmt::Debug for ScanStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanStream")
            .field("command", &self.command)
            .field("cursor", &self.cursor)
            .field("buffered", &self.buffered.len())
            .field("done", &self.done)
            .finish()
    }
}

impl<T: FromValue> ScanStream<T> {
    fn new(source: Source, command: &'static str, key: Option<Cmd>) -> Self {
        ScanStream {
            source,
            command,
            key,
            options: Cmd::new(),
            type_set: false,
            cursor: 0,
            text_cursor: Bytes::from_static(b"0"),
            buffered: VecDeque::new(),
            flight: None,
            done: false,
        }
    }

    /// Only items matching a glob-style pattern (`MATCH`), e.g. `"user:*"`.
    pub fn match_pattern(mut self, pattern: impl ToArg) -> Self {
        self.options.arg("MATCH").arg(pattern);
        self
    }

    /// How much work the server does per batch (`COUNT`, default 10 on the
    /// server): more means fewer round trips and larger replies.
    pub fn count(mut self, count: u64) -> Self {
        self.options.arg("COUNT").arg(count);
        self
    }

    /// Only keys of one type (`TYPE`: `"string"`, `"hash"`, `"list"`, `"set"`,
    /// `"zset"`, `"stream"`); `SCAN` only (Redis 6 and later): on another
    /// command the stream fails with a client error before sending.
    pub fn of_type(mut self, key_type: impl ToArg) -> Self {
        self.options.arg("TYPE").arg(key_type);
        self.type_set = true;
        self
    }

    /// Waits for the next item, without needing `StreamExt`.
    ///
    /// # Cancel safety
    /// Cancel safe: the request in flight belongs to the stream, so dropping
    /// this future loses nothing; the next call picks up where it stopped.
    pub async fn next(&mut self) -> Option<Result<T>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The cursor the next batch will be asked for (0 before the first).
    /// A cluster walked with `CLUSTERSCAN`, whose cursor is text, keeps 0 here.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// `<command> [key] <cursor> [options]` for the next batch.
    fn batch_cmd(&self) -> Cmd {
        let mut cmd = Cmd::new();
        cmd.arg(self.command);
        if let Some(key) = &self.key {
            cmd.append(key);
        }
        match self.source {
            Source::ClusterScan(_) => cmd.arg(&self.text_cursor),
            _ => cmd.arg(self.cursor),
        };
        cmd.append(&self.options);
        cmd
    }

    /// The next request to send, or `None` when the scan is over.
    fn start(&mut self) -> Result<Option<Flight>> {
        // TYPE filters the keys of a database scan; a scan inside one key
        // (SSCAN, HSCAN, ZSCAN) has no key types to filter.
        if self.type_set && self.key.is_some() {
            return Err(Error::client(format!(
                "TYPE filters SCAN only; {} does not take it",
                self.command
            )));
        }
        let cmd = self.batch_cmd();
        cmd.validate()?;
        let flight = match &mut self.source {
            Source::Client(client) => {
                let client = client.clone();
                Flight::Batch(Box::pin(async move { client.call(cmd).await }))
            }
            Source::Cluster(cluster) | Source::ClusterScan(cluster) => {
                let cluster = cluster.clone();
                Flight::Batch(Box::pin(async move { cluster.call(cmd).await }))
            }
            Source::Nodes {
                cluster,
                config,
                nodes,
            } => match nodes {
                None => Flight::Nodes(Box::pin(plan(cluster.clone(), (**config).clone()))),
                Some(nodes) => match nodes.front() {
                    Some(node) => {
                        let node = node.clone();
                        Flight::Batch(Box::pin(async move { node.call(cmd).await }))
                    }
                    None => return Ok(None),
                },
            },
        };
        Ok(Some(flight))
    }

    /// Takes a batch in: queues its items and moves the cursor on.
    fn take_batch(&mut self, reply: Value) -> Result<()> {
        if let Source::ClusterScan(_) = self.source {
            let (cursor, items): (Bytes, Vec<T>) =
                FromValue::from_value(reply).map_err(|e| e.with_command(self.command))?;
            self.buffered.extend(items);
            self.done = cursor.as_ref() == b"0";
            self.text_cursor = cursor;
            return Ok(());
        }
        let (cursor, items): (u64, Vec<T>) =
            FromValue::from_value(reply).map_err(|e| e.with_command(self.command))?;
        self.buffered.extend(items);
        self.cursor = cursor;
        if cursor != 0 {
            return Ok(());
        }
        // This cursor is done; on a cluster, go on with the next primary.
        match &mut self.source {
            Source::Nodes {
                nodes: Some(nodes), ..
            } => {
                nodes.pop_front();
                self.done = nodes.is_empty();
            }
            _ => self.done = true,
        }
        Ok(())
    }

    fn fail(&mut self, e: Error) -> Poll<Option<Result<T>>> {
        self.done = true;
        self.flight = None;
        self.buffered.clear();
        Poll::Ready(Some(Err(e)))
    }

    /// Takes the way to walk a cluster in.
    fn adopt(&mut self, plan: Plan) {
        let Source::Nodes { cluster, nodes, .. } = &mut self.source else {
            return;
        };
        match plan {
            Plan::Nodes(found) => *nodes = Some(found),
            Plan::ClusterScan => {
                self.source = Source::ClusterScan(cluster.clone());
                self.command = "CLUSTERSCAN";
            }
        }
    }
}

/// `CLUSTERSCAN` when the table says every node's server has it, else the
/// primaries to `SCAN` one by one.
async fn plan(cluster: ClusterClient, config: Config) -> Result<Plan> {
    cluster.refresh_topology().await?;
    if let Some(info) = crate::command_info::lookup("CLUSTERSCAN") {
        if cluster.every_node_has(info).await? {
            return Ok(Plan::ClusterScan);
        }
    }
    primaries(cluster, config).await.map(Plan::Nodes)
}

/// The cluster's primaries, each with a client of its own.
async fn primaries(cluster: ClusterClient, config: Config) -> Result<VecDeque<Client>> {
    cluster.refresh_topology().await?;
    let mut nodes = VecDeque::new();
    for addr in cluster.primaries() {
        let (host, port) = addr
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
            .ok_or_else(|| Error::client(format!("cannot read the node address {addr:?}")))?;
        let mut node = config.clone();
        node.addr = ServerAddr::Tcp { host, port };
        node.readonly = false;
        nodes.push_back(Client::new(node)?);
    }
    if nodes.is_empty() {
        return Err(Error::connection(
            "the cluster's slot map lists no primaries",
        ));
    }
    Ok(nodes)
}

impl<T: FromValue> Stream for ScanStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffered.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let flight = match this.flight.take() {
                Some(f) => f,
                None => match this.start() {
                    Ok(Some(f)) => f,
                    Ok(None) => {
                        this.done = true;
                        continue;
                    }
                    Err(e) => return this.fail(e),
                },
            };
            match flight {
                Flight::Nodes(mut fut) => match fut.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.flight = Some(Flight::Nodes(fut));
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => return this.fail(e),
                    Poll::Ready(Ok(plan)) => this.adopt(plan),
                },
                Flight::Batch(mut fut) => match fut.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.flight = Some(Flight::Batch(fut));
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) => return this.fail(e),
                    Poll::Ready(Ok(reply)) => {
                        if let Err(e) = this.take_batch(reply) {
                            return this.fail(e);
                        }
                    }
                },
            }
        }
    }
}

impl<T: FromValue> FusedStream for ScanStream<T> {
    fn is_terminated(&self) -> bool {
        self.done && self.buffered.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll<T: FromValue>(s: &mut ScanStream<T>) -> Poll<Option<Result<T>>> {
        Pin::new(s).poll_next(&mut Context::from_waker(std::task::Waker::noop()))
    }

    fn batch(cursor: &str, items: &[&str]) -> Value {
        Value::Array(vec![
            Value::Bulk(cursor.to_string().into()),
            Value::Array(
                items
                    .iter()
                    .map(|i| Value::Bulk(i.to_string().into()))
                    .collect(),
            ),
        ])
    }

    fn stream<T: FromValue>(command: &'static str) -> ScanStream<T> {
        let client = Client::builder().build().unwrap();
        ScanStream::new(Source::Client(client), command, None)
    }

    #[test]
    fn yields_each_batch_then_ends_at_cursor_zero() {
        let mut s = stream::<String>("SCAN");
        s.take_batch(batch("17", &["a", "b"])).unwrap();
        assert_eq!(s.cursor(), 17);
        assert!(!s.done);
        assert!(matches!(poll(&mut s), Poll::Ready(Some(Ok(k))) if k == "a"));
        assert!(matches!(poll(&mut s), Poll::Ready(Some(Ok(k))) if k == "b"));
        s.take_batch(batch("0", &["b"])).unwrap();
        assert!(
            s.done && !s.is_terminated(),
            "the last batch's items are still due"
        );
        // Duplicates are passed through.
        assert!(matches!(poll(&mut s), Poll::Ready(Some(Ok(k))) if k == "b"));
        assert!(matches!(poll(&mut s), Poll::Ready(None)));
        assert!(s.is_terminated());
    }

    #[test]
    fn pairs_come_from_flat_batches() {
        let mut s = stream::<(String, f64)>("ZSCAN");
        s.take_batch(batch("0", &["m", "1.5", "n", "-inf"]))
            .unwrap();
        assert!(matches!(poll(&mut s), Poll::Ready(Some(Ok((m, x)))) if m == "m" && x == 1.5));
        assert!(
            matches!(poll(&mut s), Poll::Ready(Some(Ok((m, x)))) if m == "n" && x == f64::NEG_INFINITY)
        );
        assert!(matches!(poll(&mut s), Poll::Ready(None)));
    }

    #[test]
    fn a_malformed_batch_is_an_error_that_ends_the_stream() {
        for bad in [
            Value::Integer(3),
            batch("not-a-number", &[]),
            batch("-1", &[]),
            Value::Array(vec![Value::Bulk("0".into())]),
            batch("0", &["odd"]),
        ] {
            let mut s = stream::<(String, String)>("HSCAN");
            let e = s.take_batch(bad).unwrap_err();
            assert!(e.is_decode(), "{e}");
            assert_eq!(e.command(), Some("HSCAN"));
            assert!(matches!(s.fail(e), Poll::Ready(Some(Err(_)))));
            assert!(matches!(poll(&mut s), Poll::Ready(None)));
        }
    }

    #[test]
    fn clusterscan_follows_its_text_cursor_to_zero() {
        let cluster = ClusterClient::new(["redis://127.0.0.1:1"]).unwrap();
        let source = Source::Nodes {
            cluster,
            config: Box::default(),
            nodes: None,
        };
        let mut s = ScanStream::<String>::new(source, "SCAN", None).count(50);
        s.adopt(Plan::ClusterScan);
        let args = |s: &ScanStream<String>| -> Vec<Vec<u8>> {
            s.batch_cmd().arg_slices().map(<[u8]>::to_vec).collect()
        };
        assert_eq!(args(&s), [&b"CLUSTERSCAN"[..], b"0", b"COUNT", b"50"]);
        s.take_batch(batch("0-{06S}-0", &["a"])).unwrap();
        assert!(!s.done);
        assert_eq!(args(&s)[1], b"0-{06S}-0");
        assert_eq!(s.cursor(), 0, "the numeric cursor is not used");
        s.take_batch(batch("0", &["b"])).unwrap();
        assert!(s.done);
        assert!(matches!(poll(&mut s), Poll::Ready(Some(Ok(k))) if k == "a"));
        assert!(matches!(poll(&mut s), Poll::Ready(Some(Ok(k))) if k == "b"));
        assert!(matches!(poll(&mut s), Poll::Ready(None)));
        let e = s.take_batch(Value::Integer(1)).unwrap_err();
        assert_eq!(e.command(), Some("CLUSTERSCAN"));
    }

    #[test]
    fn type_is_refused_outside_scan_before_sending() {
        let mut s = stream::<String>("SSCAN").of_type("set");
        match poll(&mut s) {
            Poll::Ready(Some(Err(e))) => assert!(e.is_client(), "{e}"),
            other => panic!("expected a client error, got {other:?}"),
        }
        assert!(matches!(poll(&mut s), Poll::Ready(None)));
    }

    #[test]
    fn options_are_sent_with_every_batch() {
        let client = Client::builder().build().unwrap();
        let mut s =
            ScanStream::<String>::new(Source::Client(client), "SSCAN", Some(one_arg("myset")))
                .match_pattern("a*")
                .count(50);
        s.cursor = 42;
        let cmd = s.batch_cmd();
        let args: Vec<&[u8]> = cmd.arg_slices().collect();
        assert_eq!(
            args,
            [
                &b"SSCAN"[..],
                b"myset",
                b"42",
                b"MATCH",
                b"a*",
                b"COUNT",
                b"50"
            ]
        );
        assert!(s.start().unwrap().is_some());
    }
}
