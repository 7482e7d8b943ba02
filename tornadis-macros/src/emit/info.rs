//! The static command metadata: `COMMANDS`, the `INFO_*` statics and lookups.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::values::ident;
use crate::model::{Command, KeySpec, Table};

fn u(n: u16) -> Literal {
    Literal::u16_unsuffixed(n)
}

fn i(n: i16) -> Literal {
    Literal::i16_unsuffixed(n)
}

fn key_spec(k: &KeySpec) -> TokenStream {
    match k {
        KeySpec::Range { first, last, step } => {
            let (first, last, step) = (u(*first), i(*last), u(*step));
            quote!(::tornadis::command_info::KeySpec::Range { first: #first, last: #last, step: #step })
        }
        KeySpec::Keynum {
            numkeys,
            first,
            step,
        } => {
            let (numkeys, first, step) = (u(*numkeys), u(*first), u(*step));
            quote!(::tornadis::command_info::KeySpec::Keynum { numkeys: #numkeys, first: #first, step: #step })
        }
        KeySpec::Keyword {
            keyword,
            from,
            count,
        } => {
            let (from, count) = (u(*from), i(*count));
            quote!(::tornadis::command_info::KeySpec::Keyword { keyword: #keyword, from: #from, count: #count })
        }
    }
}

/// An `Availability` value.
pub fn availability(a: &crate::model::Avail) -> TokenStream {
    let one = |v: Option<(u16, u16, u16)>| match v {
        Some((x, y, z)) => {
            let (x, y, z) = (u(x), u(y), u(z));
            quote!(::std::option::Option::Some(::tornadis::command_info::Version::new(#x, #y, #z)))
        }
        None => quote!(::std::option::Option::None),
    };
    let (redis, valkey) = (one(a.redis), one(a.valkey));
    quote!(::tornadis::command_info::Availability { redis: #redis, valkey: #valkey })
}

fn info(c: &Command) -> TokenStream {
    let Command {
        name, group, since, ..
    } = c;
    let arity = Literal::i32_unsuffixed(c.arity);
    let method = match &c.method {
        Some(m) => quote!(::std::option::Option::Some(#m)),
        None => quote!(::std::option::Option::None),
    };
    let flags: Vec<_> = c
        .flags
        .iter()
        .map(|f| {
            let f = ident(f);
            quote!(::tornadis::command_info::CommandFlags::#f.0)
        })
        .collect();
    let flags = if flags.is_empty() {
        quote!(0)
    } else {
        quote!(#(#flags)|*)
    };
    let keys = c.keys.iter().map(key_spec);
    let routing = super::routing::facts(&c.routing);
    let tokens = &c.tokens;
    let stored_procedure = match c.stored_procedure {
        Some(p) => {
            let p = u(p);
            quote!(::std::option::Option::Some(#p))
        }
        None => quote!(::std::option::Option::None),
    };
    let availability = availability(&c.avail);
    quote! {
        ::tornadis::command_info::CommandInfo {
            name: #name,
            method: #method,
            group: #group,
            since: #since,
            availability: #availability,
            arity: #arity,
            flags: ::tornadis::command_info::CommandFlags(#flags),
            keys: &[#(#keys),*],
            routing: #routing,
            tokens: &[#(#tokens),*],
            stored_procedure: #stored_procedure,
        }
    }
}

/// `COMMANDS` (sorted by name, as the table is), an `INFO_*` static per
/// command with methods, and the lookup functions.
pub fn metadata(t: &Table) -> TokenStream {
    let infos = t.commands.iter().map(info);
    let statics = t
        .commands
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.methods.is_empty())
        .map(|(i, c)| {
            let id = ident(&c.info_ident);
            let i = Literal::usize_unsuffixed(i);
            quote!(static #id: &::tornadis::command_info::CommandInfo = &COMMANDS[#i];)
        });
    quote! {
        /// Metadata of every command in the spec table, sorted by name.
        pub static COMMANDS: &[::tornadis::command_info::CommandInfo] = &[#(#infos),*];

        #(#statics)*

        /// The metadata of a command by name, in any case: `"get"`, `"CLIENT KILL"`,
        /// `"client kill"`.
        pub fn lookup(name: &str) -> ::std::option::Option<&'static ::tornadis::command_info::CommandInfo> {
            ::tornadis::commands::__lookup(COMMANDS, name)
        }

        /// The metadata of a command from its raw first two arguments, without
        /// allocating: a container command such as `CLIENT` resolves with its
        /// subcommand (`CLIENT KILL`), any other command by its first argument.
        pub fn lookup_args(
            first: &[u8],
            second: ::std::option::Option<&[u8]>,
        ) -> ::std::option::Option<&'static ::tornadis::command_info::CommandInfo> {
            ::tornadis::commands::__lookup_args(COMMANDS, first, second)
        }
    }
}
