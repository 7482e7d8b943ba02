//! One module per command group (`commands::hash`, `commands::sorted_set`):
//! the group's overview from its spec file, a table of its commands and
//! their methods, and the group's options builders and enums, re-exported
//! flat so that `commands::SetOptions` stays a path.

use proc_macro2::TokenStream;
use quote::quote;

use super::items;
use super::values::ident;
use crate::model::avail::{Ver, VALKEY_FIRST};
use crate::model::routing::Connection;
use crate::model::{Arg, Command, Group, Kind, Method, Table};

/// Every group's module and the flat re-exports of their items.
pub fn modules(t: &Table) -> TokenStream {
    let shared = shared_types(t);
    let modules = t.groups.iter().map(|g| {
        let commands: Vec<&Command> = t.commands.iter().filter(|c| c.group == g.name).collect();
        let home = shared.iter().filter(|s| s.home == g.name);
        let shared = home.map(|s| items::oneof_enum(s.arg, &s.users));
        module(g, &commands, quote!(#(#shared)*))
    });
    let uses = t.groups.iter().map(|g| {
        let m = ident(&g.module);
        // Hidden: the types are documented on their group's page, and the
        // flat path is for code written before the groups (and for brevity).
        quote!(#[doc(hidden)] pub use self::#m::*;)
    });
    quote!(#(#modules)* #(#uses)*)
}

/// A type that several arguments share (`shared` in the table).
struct Shared<'a> {
    arg: &'a Arg,
    /// The methods that take it, in table order.
    users: Vec<String>,
    /// The group whose module holds it: the one with most of its commands
    /// (the first of them on a tie).
    home: String,
}

/// Every shared type once, with the methods that take it.
fn shared_types(t: &Table) -> Vec<Shared<'_>> {
    let mut out: Vec<(Shared, Vec<String>)> = Vec::new();
    for c in &t.commands {
        let method = c
            .methods
            .first()
            .map(|m| m.name.clone())
            .unwrap_or_default();
        for e in c.enums.iter().filter(|e| e.shared) {
            let Kind::OneOf { enum_name, .. } = &e.kind else {
                continue;
            };
            let same = |s: &&mut (Shared, Vec<String>)| matches!(&s.0.arg.kind, Kind::OneOf { enum_name: n, .. } if n == enum_name);
            match out.iter_mut().find(same) {
                Some((s, groups)) => {
                    s.users.push(method.clone());
                    groups.push(c.group.clone());
                }
                None => out.push((
                    Shared {
                        arg: e,
                        users: vec![method.clone()],
                        home: String::new(),
                    },
                    vec![c.group.clone()],
                )),
            }
        }
    }
    out.into_iter()
        .map(|(mut s, groups)| {
            let count = |g: &String| groups.iter().filter(|x| *x == g).count();
            let mut best = groups.first().cloned().unwrap_or_default();
            for g in &groups {
                if count(g) > count(&best) {
                    best = g.clone();
                }
            }
            s.home = best;
            s
        })
        .collect()
}

/// The module of one group, holding `shared`: the shared types whose home it is.
fn module(g: &Group, commands: &[&Command], shared: TokenStream) -> TokenStream {
    let name = ident(&g.module);
    let doc = page(g, commands);
    let options = commands.iter().flat_map(|c| &c.methods).map(items::options);
    let enums = commands.iter().flat_map(|c| {
        let method = c
            .methods
            .first()
            .map(|m| m.name.clone())
            .unwrap_or_default();
        c.enums.iter().map(move |e| match &e.kind {
            Kind::OneOf { .. } if !e.shared => items::oneof_enum(e, std::slice::from_ref(&method)),
            _ => quote!(),
        })
    });
    quote! {
        #[doc = #doc]
        pub mod #name {
            // The trait (for the doc links) and the other groups' types an
            // options builder may take; unused in groups that need neither.
            #[allow(unused_imports)]
            use super::*;

            #(#options)*
            #(#enums)*
            #shared
        }
    }
}

/// The group page's text: the overview, then the table of commands.
fn page(g: &Group, commands: &[&Command]) -> String {
    let overview = match &g.doc {
        Some(d) => d.trim().to_string(),
        None => format!("The `{}` commands.", g.name),
    };
    let mut out = format!(
        "{overview}\n\n\
         ## Commands\n\
         Every method is on the [`Commands`] trait (`use tornadis::Commands;`), for a \
         client, a pooled or cluster client, a pipeline or a transaction. A `_with` form \
         takes the command's optional arguments as a builder (the types on this page); \
         a variant is another method for the same command, for another reply shape.\n\n\
         | Command | Method | Variants | What it does | Redis | Valkey |\n\
         |---|---|---|---|---|---|\n"
    );
    for c in commands {
        out.push_str(&row(c));
        out.push('\n');
    }
    out
}

/// One row: the command, its methods with their `_with` forms, its summary
/// and the first Redis and Valkey versions that have it.
fn row(c: &Command) -> String {
    let (method, variants) = match c.methods.split_first() {
        Some((first, rest)) => (
            links(first),
            rest.iter().map(links).collect::<Vec<_>>().join("<br>"),
        ),
        None if c.routing.connection == Connection::Takeover => {
            ("none: it takes the connection over".into(), String::new())
        }
        None => ("none: send it with `call`".into(), String::new()),
    };
    let mut summary = cell(&c.summary);
    if c.flags.iter().any(|f| f == "BLOCKING") {
        summary.push_str(" *Blocking: runs on a side connection.*");
    }
    if c.routing.connection == Connection::Own {
        summary.push_str(" *Needs a dedicated or pooled client.*");
    }
    if c.methods.iter().any(|m| m.deprecated.is_some()) {
        summary.push_str(" *Deprecated.*");
    }
    let redis = c.avail.redis.map_or("no".into(), version);
    let valkey = match c.avail.valkey {
        Some(v) if v <= VALKEY_FIRST => "every".into(),
        Some(v) => version(v),
        None => "no".into(),
    };
    format!(
        "| `{}` | {method} | {variants} | {summary} | {redis} | {valkey} |",
        c.name
    )
}

/// `[`zadd`] ([`_with`])`: links to a method and its `_with` form.
fn links(m: &Method) -> String {
    let plain = format!("[`{0}`](Commands::{0})", m.name);
    match &m.options {
        Some(_) => format!("{plain} ([`_with`](Commands::{}))", m.with_name()),
        None => plain,
    }
}

fn version(v: Ver) -> String {
    format!("{}.{}.{}", v.0, v.1, v.2)
}

/// Text made safe for a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
