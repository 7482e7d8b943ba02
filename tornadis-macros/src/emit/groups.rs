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
use crate::model::{Command, Group, Kind, Method, Table};

/// Every group's module and the flat re-exports of their items.
pub fn modules(t: &Table) -> TokenStream {
    let modules = t.groups.iter().map(|g| {
        let commands: Vec<&Command> = t.commands.iter().filter(|c| c.group == g.name).collect();
        module(g, &commands)
    });
    let uses = t.groups.iter().map(|g| {
        let m = ident(&g.module);
        // Hidden: the types are documented on their group's page, and the
        // flat path is for code written before the groups (and for brevity).
        quote!(#[doc(hidden)] pub use self::#m::*;)
    });
    quote!(#(#modules)* #(#uses)*)
}

/// The module of one group.
fn module(g: &Group, commands: &[&Command]) -> TokenStream {
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
            Kind::OneOf { .. } => items::oneof_enum(e, &method),
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
