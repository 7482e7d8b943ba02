//! Stage 2: the spec checked and turned into what `emit` needs.
//!
//! Every problem is collected, never just the first: each message starts with
//! `file:line: command `NAME`` so that a whole table can be fixed in one pass.

pub mod args;
pub mod avail;
pub mod keys;
pub mod observe;
pub mod reply;
pub mod routing;
pub mod shape;
mod table;

use crate::names;
use crate::spec;
pub use args::{Arg, Kind};
pub use avail::Avail;
pub use keys::KeySpec;
pub use reply::Reply;
pub use routing::Routing;

/// A spec file's text and the name to show in messages.
#[derive(Debug)]
pub struct Source {
    pub display: String,
    pub text: String,
}

/// The whole table, commands sorted by name.
#[derive(Debug)]
pub struct Table {
    pub commands: Vec<Command>,
    /// The groups, in file-name order.
    pub groups: Vec<Group>,
}

/// One spec file's group: its name and overview.
#[derive(Debug)]
pub struct Group {
    pub name: String,
    /// The Rust module the group's page and types live in (`sorted_set`).
    pub module: String,
    pub doc: Option<String>,
}

/// One command with its metadata and typed methods.
#[derive(Debug)]
pub struct Command {
    pub name: String,
    /// The one-line summary, as written in the table.
    pub summary: String,
    /// The static holding its `CommandInfo`, e.g. `INFO_CLIENT_KILL`.
    pub info_ident: String,
    /// The primary method, unless `skip_method`.
    pub method: Option<String>,
    pub group: String,
    pub since: String,
    /// The first Redis and Valkey versions with the command.
    pub avail: Avail,
    pub arity: i32,
    /// `CommandFlags` constant names, e.g. `READONLY`.
    pub flags: Vec<String>,
    pub keys: Vec<KeySpec>,
    /// Which connection it may run on and how a cluster spreads it.
    pub routing: Routing,
    /// Every token its arguments may carry (shown in sanitized query text).
    pub tokens: Vec<String>,
    /// The position of the argument naming the script or function it runs.
    pub stored_procedure: Option<u16>,
    pub methods: Vec<Method>,
    /// `oneof` arguments that appear as values and so need an enum.
    pub enums: Vec<Arg>,
}

/// One typed method: the command's own, or a variant.
#[derive(Debug)]
pub struct Method {
    pub name: String,
    /// The rustdoc text (markdown).
    pub docs: String,
    pub deprecated: Option<String>,
    pub reply: Reply,
    /// The reply of the plain form (no optional arguments sent) where it is
    /// narrower than `reply` (`plain_reply`); `None`: the same as `reply`.
    pub plain_reply: Option<Reply>,
    /// All arguments in the order they are sent; the optional ones live in
    /// the options struct.
    pub args: Vec<Arg>,
    /// The options struct, when some arguments are optional.
    pub options: Option<String>,
    pub info_ident: String,
}

impl Method {
    /// The method that takes the options struct.
    pub fn with_name(&self) -> String {
        format!("{}_with", self.name)
    }
}

/// Flag names of FORMAT.md "Flags".
const FLAGS: &[&str] = &[
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
    "connection_state",
    "cacheable",
    "nondeterministic",
    "allow_busy",
    "all_nodes",
];

/// Names the generated method bodies use for their own locals.
const LOCALS: &[&str] = &["cmd", "item", "items", "empty", "counted"];

/// True for names the generated method bodies use for their own locals.
pub fn is_local(name: &str) -> bool {
    LOCALS.contains(&name)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// Checks every file and builds the table, or returns every problem found.
pub fn build(sources: &[Source]) -> Result<Table, Vec<String>> {
    let mut errs = Vec::new();
    let mut commands = Vec::new();
    let mut groups = Vec::new();
    for src in sources {
        let file = match spec::parse(&src.text) {
            Ok(f) => f,
            Err((msg, span)) => {
                let line = span.map_or(1, |s| line_of(&src.text, s.start));
                errs.push(format!("{}:{line}: {}", src.display, msg.trim_end()));
                continue;
            }
        };
        let stem = std::path::Path::new(&src.display)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if file.group != stem {
            errs.push(format!(
                "{}:1: group `{}` does not match the file name (expected `{stem}`)",
                src.display, file.group
            ));
        }
        match names::snake(&file.group).filter(|m| !names::is_reserved(m)) {
            Some(module) => groups.push(Group {
                name: file.group.clone(),
                module,
                doc: file.doc.clone(),
            }),
            None => errs.push(format!(
                "{}:1: group `{}` cannot name a Rust module",
                src.display, file.group
            )),
        }
        for c in &file.command {
            let at = format!(
                "{}:{}: command `{}`",
                src.display,
                line_of(&src.text, c.span().start),
                c.get_ref().name
            );
            let mut local = Vec::new();
            if let Some(cmd) = command(c.get_ref(), &file.group, &mut local) {
                commands.push((at.clone(), cmd));
            }
            errs.extend(local.into_iter().map(|e| format!("{at}: {e}")));
        }
    }
    table::check(&commands, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut commands: Vec<Command> = commands.into_iter().map(|(_, c)| c).collect();
    commands.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Table { commands, groups })
}

fn valid_name(name: &str) -> bool {
    let words: Vec<_> = name.split(' ').collect();
    words.len() <= 2
        && words.iter().all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
        })
}

fn valid_version(v: &str) -> bool {
    let parts: Vec<_> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn command(c: &spec::Command, group: &str, errs: &mut Vec<String>) -> Option<Command> {
    if !valid_name(&c.name) {
        errs.push("names are one or two upper-case words (`GET`, `CLIENT KILL`)".into());
        return None;
    }
    if !valid_version(&c.since) {
        errs.push(format!(
            "`since` = {:?} is not a version such as \"6.2.0\"",
            c.since
        ));
    }
    if c.arity == 0 {
        errs.push("`arity` cannot be 0".into());
    }
    if c.summary.trim().is_empty() {
        errs.push("`summary` is empty".into());
    }
    let mut flags = Vec::new();
    for f in &c.flags {
        if !FLAGS.contains(&f.as_str()) {
            errs.push(format!("unknown flag `{f}` (known: {})", FLAGS.join(", ")));
        } else if flags.contains(&f.to_ascii_uppercase()) {
            errs.push(format!("flag `{f}` is listed twice"));
        } else {
            flags.push(f.to_ascii_uppercase());
        }
    }
    for f in &c.valkey_flags {
        let known = f
            .strip_prefix(['+', '-'])
            .is_some_and(|f| FLAGS.contains(&f));
        if !known {
            errs.push(format!(
                "`valkey_flags` entry `{f}` is not `+flag` or `-flag` with a known flag"
            ));
        }
    }
    if c.valkey_arity == Some(0) {
        errs.push("`valkey_arity` cannot be 0".into());
    }
    let mut keys = Vec::new();
    for (i, k) in c.keys.iter().enumerate() {
        match keys::convert(k) {
            Ok(k) => keys.push(k),
            Err(e) => errs.push(format!("key spec {}: {e}", i + 1)),
        }
    }
    let primary = c
        .method
        .clone()
        .unwrap_or_else(|| names::snake(&c.name).unwrap_or_default());
    let enum_prefix = names::camel(&primary);
    let avail = avail::command(c, errs);
    let mut args = Vec::new();
    for a in &c.args {
        args.extend(args::convert_for(
            a,
            args::Place::TopLevel,
            &enum_prefix,
            Some((&c.name, &avail)),
            errs,
        ));
    }
    args::check_unique(&args, "arguments", errs);
    args::check_counts(&args, errs);
    check_keys(c, &args, &keys, errs);
    let routing = routing::convert(c, &args, &flags, errs);
    let tokens = observe::tokens(&args);
    let stored_procedure =
        observe::stored_procedure(&c.name, c.stored_procedure.as_deref(), &args, errs);
    if matches!(&c.deprecated, Some(d) if d.trim().is_empty()) {
        errs.push("`deprecated` must say what to use instead".into());
    }
    let info_ident = format!("INFO_{}", c.name.replace([' ', '-'], "_"));
    let docs = |summary: &str, doc: &Option<String>, args: &[Arg]| {
        let mut line = c.name.clone();
        for a in args {
            line.push(' ');
            line.push_str(&args::syntax(a));
        }
        let page = c.name.to_ascii_lowercase().replace(' ', "-");
        let site = if avail.redis.is_some() {
            format!("Redis documentation: <https://redis.io/commands/{page}/>.")
        } else {
            format!("Valkey documentation: <https://valkey.io/commands/{page}/>.")
        };
        let module = names::snake(group).unwrap_or_default();
        let mut d = format!(
            "{summary}\n\n`{line}`\n\nAvailable on {}; group [`{group}`](self::{module}). {site}",
            avail.describe(),
        );
        for (count, list) in args::counters(args) {
            d.push_str(&format!(
                "\n\n`{count}` is not a parameter: the method sends the number of `{list}` items given."
            ));
        }
        args.iter().for_each(|a| {
            a.walk(&mut |a| {
                if a.specials.is_empty() {
                    return;
                }
                let each: Vec<_> = a
                    .specials
                    .iter()
                    .map(|(t, name)| format!("`\"{t}\"` ({})", name.replace('-', " ")))
                    .collect();
                d.push_str(&format!(
                    "\n\n`{}` is one string: a value of its own, or one Redis gives a meaning: {}.",
                    a.ident,
                    each.join(", ")
                ));
            })
        });
        let mut newer = Vec::new();
        args.iter().for_each(|a| {
            a.walk(&mut |a| {
                if let Some(n) = &a.need {
                    newer.push(format!("`{}` ({})", args::syntax(a), n.avail.describe()));
                }
            })
        });
        if !newer.is_empty() {
            d.push_str(&format!(
                "\n\nNot every server has {}: on one that lacks what a call sends, it fails \
                 with a client error before sending.",
                newer.join(", ")
            ));
        }
        if let Some(doc) = doc {
            d.push_str("\n\n");
            d.push_str(doc.trim());
        }
        d
    };
    let mut methods = Vec::new();
    if c.skip_method {
        if !c.variant.is_empty() {
            errs.push("`skip_method` commands cannot have variants".into());
        }
        let shape = c.shape();
        if !(shape.single.is_empty() && shape.as_args.is_empty() && shape.without.is_empty())
            || shape.plain_reply.is_some()
        {
            errs.push(
                "`skip_method` commands have no method to shape \
                 (`single`, `as_args`, `without`, `plain_reply`)"
                    .into(),
            );
        }
    } else {
        let mut plans = vec![(
            primary.clone(),
            c.reply.clone(),
            &c.summary,
            &c.doc,
            args.clone(),
            c.shape(),
        )];
        if c.reply.is_none() {
            errs.push("`reply` is missing (or set `skip_method = true`)".into());
        }
        for v in &c.variant {
            match args::apply_variant(&args, &v.required, &v.with) {
                Ok(a) => plans.push((
                    v.method.clone(),
                    Some(v.reply.clone()),
                    v.summary.as_ref().unwrap_or(&c.summary),
                    v.doc.as_ref().map_or(&c.doc, |_| &v.doc),
                    a,
                    v.shape(),
                )),
                Err(e) => errs.extend(
                    e.into_iter()
                        .map(|e| format!("variant `{}`: {e}", v.method)),
                ),
            }
        }
        for (name, reply, summary, doc, args, shape) in plans {
            let here = format!("method `{name}`");
            if names::snake(&name).as_deref() != Some(name.as_str()) || names::is_reserved(&name) {
                errs.push(format!(
                    "{here}: not a usable snake_case method name (a keyword? set `method`)"
                ));
                continue;
            }
            let parse_reply = |what: &str, text: &str, errs: &mut Vec<String>| {
                reply::parse(text)
                    .map_err(|e| errs.push(format!("{here}: bad {what} type `{text}`: {e}")))
                    .ok()
            };
            let reply = reply.and_then(|r| parse_reply("reply", &r, errs));
            let plain_reply = shape
                .plain_reply
                .map(|text| parse_reply("plain_reply", text, errs));
            let shaped = shape::apply(&args, shape)
                .map_err(|e| errs.extend(e.into_iter().map(|e| format!("{here}: {e}"))));
            let (Ok(shaped), Some(reply), None | Some(Some(_))) = (shaped, reply, &plain_reply)
            else {
                continue;
            };
            let plain_reply = plain_reply.flatten();
            let args = shaped.args;
            check_method_names(&args, &here, errs);
            let options = args
                .iter()
                .any(|a| a.optional)
                .then(|| format!("{}Options", names::camel(&name)));
            if plain_reply.is_some() && options.is_none() {
                errs.push(format!(
                    "{here}: `plain_reply` is for a method with optional arguments \
                     (its plain form sends none of them); set `reply` instead"
                ));
                continue;
            }
            let mut docs = docs(summary, doc, &args);
            if !shaped.left_out.is_empty() {
                let list: Vec<_> = shaped.left_out.iter().map(|t| format!("`{t}`")).collect();
                docs.push_str(&format!(
                    "\n\nThis method never sends {}: another method of the command \
                     covers what it changes.",
                    list.join(", ")
                ));
            }
            methods.push(Method {
                docs,
                name,
                deprecated: c.deprecated.clone(),
                reply,
                plain_reply,
                args,
                options,
                info_ident: info_ident.clone(),
            });
        }
    }
    let mut enums: Vec<Arg> = Vec::new();
    for m in &methods {
        for a in &m.args {
            let mut push = |a: &Arg| {
                if let Kind::OneOf { enum_name, .. } = &a.kind {
                    if !enums.iter().any(
                        |e| matches!(&e.kind, Kind::OneOf { enum_name: n, .. } if n == enum_name),
                    ) {
                        enums.push(a.clone());
                    }
                }
            };
            match &a.kind {
                // Builder methods, one per choice: only nested `oneof`s need enums.
                Kind::OneOf { choices, .. } if a.optional && !a.multiple => {
                    if a.shared {
                        push(a);
                    }
                    choices.iter().for_each(|c| c.walk(&mut push))
                }
                _ => a.walk(&mut push),
            }
        }
    }
    Some(Command {
        name: c.name.clone(),
        summary: c.summary.trim().to_string(),
        info_ident,
        method: (!c.skip_method).then_some(primary),
        group: group.to_string(),
        since: c.since.clone(),
        avail,
        arity: c.arity,
        flags,
        keys,
        routing,
        tokens,
        stored_procedure,
        methods,
        enums,
    })
}

/// Parameters and builder methods of one method must have distinct names.
fn check_method_names(args: &[Arg], here: &str, errs: &mut Vec<String>) {
    let mut params: Vec<String> = Vec::new();
    let mut builders: Vec<String> = vec!["new".into()];
    for a in args {
        a.walk(&mut |a| {
            let binds = a.kind != Kind::Token || a.optional;
            if binds && is_local(&a.ident) {
                errs.push(format!(
                    "{here}: the name `{}` is used by the generated code",
                    a.ident
                ));
            }
        });
        let list = match (&a.kind, a.optional) {
            (Kind::OneOf { choices, .. }, true) if !a.multiple => {
                let mut names: Vec<_> = choices.iter().map(Arg::builder_name).collect();
                if a.shared {
                    names.push(a.builder_name());
                }
                names
            }
            (_, true) => std::iter::once(a.builder_name())
                .chain(a.shortcuts.iter().map(|f| f.ident.clone()))
                .collect(),
            (Kind::Token, false) => vec![],
            (Kind::Block(m), false) if !a.multiple => m
                .iter()
                .filter(|m| m.kind != Kind::Token || m.optional)
                .map(|m| m.ident.clone())
                .collect(),
            (_, false) => vec![a.ident.clone()],
        };
        let (seen, what) = if a.optional {
            (&mut builders, "options method")
        } else {
            (&mut params, "parameter")
        };
        for n in list {
            if seen.contains(&n) || (!a.optional && n == "options") {
                errs.push(format!("{here}: {what} `{n}` would be defined twice"));
            }
            seen.push(n);
        }
    }
}

/// Every `key` argument must be routable: the command needs key specs, and a
/// key at a fixed position must be inside one of them.
fn check_keys(c: &spec::Command, args: &[Arg], keys: &[KeySpec], errs: &mut Vec<String>) {
    let mut any_key = None;
    args.iter().for_each(|a| {
        a.walk(&mut |a| {
            if a.kind == Kind::Key && any_key.is_none() {
                any_key = Some(a.name.clone());
            }
        })
    });
    if let Some(k) = any_key {
        if c.keys.is_empty() {
            errs.push(format!(
                "argument `{k}` is a key, but the command has no `keys`"
            ));
            return;
        }
    }
    if keys.len() != c.keys.len() {
        return; // already reported
    }
    let words = c.name.split(' ').count();
    for (pos, a) in args::fixed_key_positions(args, words) {
        if !keys.iter().any(|k| k.covers(pos)) {
            errs.push(format!(
                "argument `{}` is a key at position {pos}, which no key spec covers",
                a.name
            ));
        }
    }
}

#[cfg(test)]
mod tests;
