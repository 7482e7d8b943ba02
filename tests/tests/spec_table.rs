//! The spec table (`commands/*.toml`) against a real server's `COMMAND INFO`,
//! once per server kind (Redis and Valkey).
//!
//! Every command and subcommand the server knows must be in the table or in
//! `commands/excluded.toml`; arity and the server's own flags must agree
//! (Valkey's differences are in the table as `valkey_flags` / `valkey_arity`);
//! the table's availability (`since`, `redis`, `valkey`) must say the server
//! has exactly the commands it has; and typed methods must cover at least 95%
//! of the server's commands. Commands newer than the local server are welcome
//! in the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use tornadis::{Client, Value};
use tornadis_tests::{RedisServer, ServerKind};

/// Flags the table copies from the server, in `COMMAND INFO`'s spelling
/// (which is also ours).
const SERVER_FLAGS: &[&str] = &[
    "readonly",
    "write",
    "blocking",
    "pubsub",
    "noscript",
    "fast",
    "admin",
    "denyoom",
    "loading",
    "stale",
    "no_auth",
    "allow_busy",
];

/// The share of the server's commands that must have a typed method, among
/// those a typed method is meant for: commands in `excluded.toml` and
/// connection-state commands (served by the transaction, pub/sub and
/// configuration APIs instead) are left out of the count.
const MIN_COVERAGE: f64 = 0.95;

/// Facts that changed in a later server version than the one under test: the
/// table follows Redis 7.2, so against an older server these checks are
/// skipped. (command, what changed: "arity" or a flag, version of the change)
const VERSION_CHANGES: &[(&str, &str, &str)] = &[
    // 7.2 lets scripts call blocking commands (they do not block there).
    ("BLMOVE", "noscript", "7.2.0"),
    ("BLPOP", "noscript", "7.2.0"),
    ("BRPOP", "noscript", "7.2.0"),
    ("BRPOPLPUSH", "noscript", "7.2.0"),
    ("BZPOPMAX", "noscript", "7.2.0"),
    ("BZPOPMIN", "noscript", "7.2.0"),
    ("WAIT", "noscript", "7.2.0"),
    // 7.2 serves the cluster layout while loading.
    ("CLUSTER SHARDS", "loading", "7.2.0"),
    ("CLUSTER SLOTS", "loading", "7.2.0"),
    // 7.2 accepts a command without arguments.
    ("COMMAND GETKEYS", "arity", "7.2.0"),
    ("COMMAND GETKEYSANDFLAGS", "arity", "7.2.0"),
    // 7.2 adds WITHSCORE.
    ("ZRANK", "arity", "7.2.0"),
    ("ZREVRANK", "arity", "7.2.0"),
];

/// A version as three numbers.
type Version = (u32, u32, u32);

/// Valkey forked from Redis 7.2.4 and has every command Redis had then.
const VALKEY_FIRST: Version = (7, 2, 4);

/// What the table says about one command.
#[derive(Debug)]
struct TableEntry {
    arity: i64,
    flags: BTreeSet<String>,
    has_method: bool,
    blocking_timeout: bool,
    group: String,
    /// First Redis and Valkey versions with it (FORMAT.md "Availability").
    redis: Option<Version>,
    valkey: Option<Version>,
    valkey_arity: Option<i64>,
    /// `+flag` / `-flag` where Valkey's flags differ.
    valkey_flags: Vec<String>,
}

impl TableEntry {
    /// True when the table says a server of this kind and version has it.
    fn on(&self, kind: ServerKind, version: Version) -> bool {
        let first = match kind {
            ServerKind::Redis => self.redis,
            ServerKind::Valkey => self.valkey,
        };
        first.is_some_and(|v| version >= v)
    }

    /// The arity and flags a server of this kind reports, by the table.
    fn facts(&self, kind: ServerKind) -> (i64, BTreeSet<String>) {
        if kind != ServerKind::Valkey {
            return (self.arity, self.flags.clone());
        }
        let mut flags = self.flags.clone();
        for edit in &self.valkey_flags {
            match edit.split_at(1) {
                ("+", f) => flags.insert(f.to_owned()),
                (_, f) => flags.remove(f),
            };
        }
        (self.valkey_arity.unwrap_or(self.arity), flags)
    }
}

/// What the server says about one command.
#[derive(Debug)]
struct ServerEntry {
    arity: i64,
    flags: BTreeSet<String>,
}

fn commands_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands")
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

fn commands_of(table: &toml::Table) -> Vec<&toml::Table> {
    table
        .get("command")
        .and_then(|c| c.as_array())
        .map(|list| list.iter().filter_map(|c| c.as_table()).collect())
        .unwrap_or_default()
}

fn load_table() -> BTreeMap<String, TableEntry> {
    let mut out = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(commands_dir())
        .expect("commands/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| !p.ends_with("excluded.toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 17,
        "expected one file per command group, found {files:?}"
    );
    for path in files {
        let group = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        for cmd in commands_of(&read_toml(&path)) {
            let name = cmd["name"].as_str().expect("name is a string").to_owned();
            let flags = cmd
                .get("flags")
                .and_then(|f| f.as_array())
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x.as_str())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let version = |field: &str| cmd.get(field).and_then(|v| v.as_str()).map(parse_version);
            let since = version("since").expect("since is a version");
            let (redis, valkey) = if cmd.contains_key("redis") || cmd.contains_key("valkey") {
                (version("redis"), version("valkey"))
            } else {
                (Some(since), Some(VALKEY_FIRST))
            };
            let valkey_flags = cmd
                .get("valkey_flags")
                .and_then(|f| f.as_array())
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x.as_str())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let entry = TableEntry {
                arity: cmd["arity"].as_integer().expect("arity is an integer"),
                group: group.clone(),
                redis,
                valkey,
                valkey_arity: cmd.get("valkey_arity").and_then(|a| a.as_integer()),
                valkey_flags,
                flags,
                has_method: !cmd
                    .get("skip_method")
                    .and_then(|s| s.as_bool())
                    .unwrap_or(false),
                blocking_timeout: cmd.contains_key("blocking_timeout"),
            };
            let previous = out.insert(name.clone(), entry);
            assert!(previous.is_none(), "{name} is in the table twice");
        }
    }
    out
}

fn load_excluded() -> BTreeSet<String> {
    commands_of(&read_toml(&commands_dir().join("excluded.toml")))
        .into_iter()
        .map(|c| c["name"].as_str().expect("name is a string").to_owned())
        .collect()
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Bulk(b) | Value::SimpleString(b) | Value::Verbatim { text: b, .. } => {
            Some(String::from_utf8_lossy(b).into_owned())
        }
        _ => None,
    }
}

fn items(value: &Value) -> &[Value] {
    match value {
        Value::Array(v) | Value::Set(v) | Value::Push(v) => v,
        _ => &[],
    }
}

/// Flattens `COMMAND INFO` into full names ("CLIENT KILL"). A command with
/// subcommands is a container: its subcommands are listed, and the container
/// itself goes into `containers`.
fn walk(
    reply: &Value,
    out: &mut BTreeMap<String, ServerEntry>,
    containers: &mut BTreeMap<String, ServerEntry>,
) {
    for info in items(reply) {
        let fields = items(info);
        let (Some(name), Some(Value::Integer(arity))) =
            (fields.first().and_then(text), fields.get(1))
        else {
            panic!("unexpected COMMAND INFO entry: {info:?}");
        };
        let flags = fields
            .get(2)
            .map(items)
            .unwrap_or_default()
            .iter()
            .filter_map(text)
            .collect();
        let entry = ServerEntry {
            arity: *arity,
            flags,
        };
        let full = name.replace('|', " ").to_uppercase();
        match fields.get(9).map(items) {
            Some(subs) if !subs.is_empty() => {
                walk(&fields[9], out, containers);
                containers.insert(full, entry);
            }
            _ => {
                out.insert(full, entry);
            }
        }
    }
}

#[tokio::test]
async fn spec_table_matches_redis() {
    check_against(ServerKind::Redis).await;
}

#[tokio::test]
async fn spec_table_matches_valkey() {
    check_against(ServerKind::Valkey).await;
}

/// The server's own version: Valkey reports `redis_version:7.2.4` whatever
/// its release, and its real version as `valkey_version`.
fn version_of(info: &str, kind: ServerKind) -> String {
    let field = match kind {
        ServerKind::Redis => "redis_version:",
        ServerKind::Valkey => "valkey_version:",
    };
    info.lines()
        .find_map(|l| l.strip_prefix(field).map(|v| v.trim().to_owned()))
        .unwrap_or_else(|| panic!("INFO server has no {field}"))
}

async fn check_against(kind: ServerKind) {
    let server = RedisServer::builder().kind(kind).start();
    let client = Client::from_url(&server.url()).expect("valid url");
    let reply = client
        .call(("COMMAND", "INFO"))
        .await
        .expect("COMMAND INFO answers");
    let info = client.call(("INFO", "server")).await.expect("INFO answers");
    let version = version_of(&text(&info).expect("INFO is text"), kind);
    let server_version = parse_version(&version);

    let mut known = BTreeMap::new();
    let mut containers = BTreeMap::new();
    walk(&reply, &mut known, &mut containers);
    assert!(
        known.len() > 200,
        "COMMAND INFO listed only {} commands",
        known.len()
    );

    let table = load_table();
    let excluded = load_excluded();
    let mut problems = Vec::new();

    for (name, srv) in &known {
        if excluded.contains(name) {
            continue;
        }
        let Some(ours) = table.get(name) else {
            problems.push(format!("{name}: the server knows it, the table does not"));
            continue;
        };
        if !ours.on(kind, server_version) {
            problems.push(format!(
                "{name}: the table says {kind} {version} does not have it, but the server knows it"
            ));
        }
        compare(name, ours, srv, kind, server_version, &mut problems);
    }
    // A container that is also callable by itself (COMMAND) may be in the table.
    for (name, srv) in &containers {
        if let Some(ours) = table.get(name) {
            compare(name, ours, srv, kind, server_version, &mut problems);
        }
    }
    for (name, ours) in &table {
        let here = known.contains_key(name) || containers.contains_key(name);
        if !here && ours.group != "sentinel" && ours.on(kind, server_version) {
            problems.push(format!(
                "{name}: the table says {kind} {version} has it, but the server does not know it"
            ));
        }
    }
    for name in &excluded {
        if table.contains_key(name) {
            problems.push(format!("{name}: both in the table and in excluded.toml"));
        }
    }

    let total = known.len();
    let typed = known
        .keys()
        .filter(|name| table.get(*name).is_some_and(|c| c.has_method))
        .count();
    let excluded_here = known.keys().filter(|name| excluded.contains(*name)).count();
    let metadata_only = known
        .keys()
        .filter(|name| table.get(*name).is_some_and(|c| !c.has_method))
        .count();
    let missing = total - typed - excluded_here - metadata_only;
    let newer = table
        .keys()
        .filter(|n| !known.contains_key(*n) && !containers.contains_key(*n))
        .count();
    println!(
        "{kind} {version}: {total} server commands: {typed} typed, {metadata_only} metadata only \
         (subscriptions, MONITOR, ...), {excluded_here} excluded, {missing} missing; \
         {newer} table commands are not on this server (newer, other kind, or sentinel-only)"
    );

    assert!(
        problems.is_empty(),
        "the table disagrees with {kind} {version}:\n{}",
        problems.join("\n")
    );
    let coverage = typed as f64 / total as f64;
    assert!(
        coverage >= MIN_COVERAGE,
        "typed methods cover {typed} of {total} server commands ({:.1}%), below {:.0}%",
        coverage * 100.0,
        MIN_COVERAGE * 100.0
    );
}

/// "7.0.15" -> (7, 0, 15); missing parts count as 0.
fn parse_version(v: &str) -> Version {
    let mut parts = v.split('.').map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// True when `what` of `name` changed after `server`, so the table (which
/// follows the newer version) may differ from it.
fn changed_later(name: &str, what: &str, kind: ServerKind, server: Version) -> bool {
    kind == ServerKind::Redis
        && VERSION_CHANGES
            .iter()
            .any(|(n, w, since)| *n == name && *w == what && server < parse_version(since))
}

fn compare(
    name: &str,
    ours: &TableEntry,
    srv: &ServerEntry,
    kind: ServerKind,
    server: Version,
    problems: &mut Vec<String>,
) {
    let (arity, flags) = ours.facts(kind);
    if arity != srv.arity && !changed_later(name, "arity", kind, server) {
        problems.push(format!(
            "{name}: arity {arity} in the table, {} on the server",
            srv.arity
        ));
    }
    for flag in SERVER_FLAGS {
        let in_table = flags.contains(*flag);
        let on_server = srv.flags.contains(*flag);
        // The table may mark a command blocking when only an option blocks
        // (XREAD BLOCK, WAIT): it then names the timeout argument.
        let allowed_extra = *flag == "blocking" && ours.blocking_timeout;
        if in_table != on_server && changed_later(name, flag, kind, server) {
            continue;
        }
        if in_table && !on_server && !allowed_extra {
            problems.push(format!(
                "{name}: the table says {flag}, the server does not"
            ));
        }
        if on_server && !in_table {
            problems.push(format!(
                "{name}: the server says {flag}, the table does not"
            ));
        }
    }
}
