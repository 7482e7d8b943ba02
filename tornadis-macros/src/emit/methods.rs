//! The provided methods of the `Commands` trait.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::values::{ident, positional, Empty};
use crate::model::args::counts_next;
use crate::model::{Command, Method, Reply};

/// The Rust type of a reply.
pub fn reply_type(r: &Reply) -> TokenStream {
    match r {
        Reply::Unit => quote!(()),
        Reply::Bool => quote!(bool),
        Reply::I64 => quote!(i64),
        Reply::U64 => quote!(u64),
        Reply::F64 => quote!(f64),
        Reply::String => quote!(::std::string::String),
        Reply::Value => quote!(::tornadis::Value),
        Reply::Bytes => quote!(::tornadis::bytes::Bytes),
        Reply::Param(c) => {
            let p = Ident::new(&c.to_string(), Span::call_site());
            quote!(#p)
        }
        Reply::Option(t) => {
            let t = reply_type(t);
            quote!(::std::option::Option<#t>)
        }
        Reply::Vec(t) => {
            let t = reply_type(t);
            quote!(::std::vec::Vec<#t>)
        }
        Reply::Set(t) => {
            let t = reply_type(t);
            quote!(::std::collections::HashSet<#t>)
        }
        Reply::Map(k, v) => {
            let (k, v) = (reply_type(k), reply_type(v));
            quote!(::std::collections::HashMap<#k, #v>)
        }
        Reply::Tuple(ts) => {
            let ts = ts.iter().map(reply_type);
            quote!((#(#ts),*))
        }
        Reply::Named(n) => {
            let n = Ident::new(n, Span::call_site());
            quote!(::tornadis::value::#n)
        }
        Reply::Pairs(..) => quote!(P),
        Reply::Generic(n, ts) => {
            let n = Ident::new(n, Span::call_site());
            let ts = ts.iter().map(reply_type);
            quote!(::tornadis::value::#n<#(#ts),*>)
        }
    }
}

/// The type parameters of a method replying `r` (with their bounds), and their names.
fn generics_of(r: &Reply) -> (TokenStream, Vec<Ident>) {
    let params = r.params();
    let mut names: Vec<_> = params
        .iter()
        .map(|(c, _)| Ident::new(&c.to_string(), Span::call_site()))
        .collect();
    let mut bounds: Vec<_> = params
        .iter()
        .zip(&names)
        .map(|((_, key), g)| {
            if *key {
                quote!(#g: ::tornadis::FromValue + ::std::cmp::Eq + ::std::hash::Hash)
            } else {
                quote!(#g: ::tornadis::FromValue)
            }
        })
        .collect();
    // The caller picks the outer shape of a list of pairs.
    if let Some((k, v)) = r.pairs() {
        let (k, v) = (reply_type(k), reply_type(v));
        bounds.push(quote!(P: ::tornadis::value::PairList<#k, #v>));
        names.push(Ident::new("P", Span::call_site()));
    }
    (quote!(<#(#bounds),*>), names)
}

/// `#[doc(alias)]`es that let rustdoc's search find a method by its Redis
/// command name (`ZADD` finds `zadd`, `zadd_incr` and their `_with` forms;
/// aliases cannot hold spaces, so a subcommand is found by its container
/// and by the name joined with `_`).
fn aliases(c: &Command) -> TokenStream {
    let mut names = vec![c.name.replace(' ', "_")];
    if let Some((container, _)) = c.name.split_once(' ') {
        names.push(container.to_string());
    }
    quote!(#(#[doc(alias = #names)])*)
}

/// The plain method and, with optional arguments, its `_with` twin.
pub fn method(c: &Command, m: &Method) -> TokenStream {
    let aliases = aliases(c);
    let name = ident(&m.name);
    let info = ident(&m.info_ident);
    let reply = reply_type(&m.reply);
    let (generics, generic_names) = generics_of(&m.reply);

    let mut params = Vec::new();
    let mut writes = Vec::new();
    for (i, a) in m.args.iter().enumerate() {
        let counted = i > 0 && counts_next(&m.args, i - 1);
        if counts_next(&m.args, i) {
            // Sent with the list that follows, once its length is known.
        } else if a.optional {
            let f = ident(&a.ident);
            if counted {
                let width = proc_macro2::Literal::usize_unsuffixed(
                    crate::model::args::item_width(a).unwrap_or(1).max(1),
                );
                writes.push(quote!(cmd.arg(&(options.#f.argc() / #width));));
            }
            writes.push(quote!(cmd.append(&options.#f);));
        } else {
            let (p, w) = positional(a, Empty::Fail);
            params.extend(p);
            if counted {
                writes.push(super::values::counted(w, a));
            } else {
                writes.push(w);
            }
        }
    }
    let names: Vec<_> = params.iter().map(|(n, _)| n.clone()).collect();
    let params: Vec<_> = params.iter().map(|(n, t)| quote!(#n: #t)).collect();
    let capacity = proc_macro2::Literal::usize_unsuffixed(32 + 16 * m.args.len());
    let deprecated = m
        .deprecated
        .as_ref()
        .map(|d| quote!(#[deprecated(note = #d)]));
    // `self` and the options count as parameters for clippy.
    let many = (params.len() + 2 > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let body = quote! {
        let mut cmd = ::tornadis::Cmd::for_command(#info, #capacity);
        #(#writes)*
        self.execute(cmd)
    };
    let docs = &m.docs;
    let Some(options) = &m.options else {
        return quote! {
            #[doc = #docs]
            #aliases
            #deprecated
            #many
            fn #name #generics(self, #(#params),*) -> Self::Output<#reply> { #body }
        };
    };
    let options = ident(options);
    let with = ident(&m.with_name());
    let more = format!(
        "\n\nThe optional arguments are set with [`{with}`](Self::{with}) and [`{options}`]."
    );
    let with_doc = format!(
        "[`{name}`](Self::{name}) with optional arguments: see [`{options}`].\n\n{}",
        m.docs.lines().next().unwrap_or_default()
    );
    let allow_deprecated = deprecated.as_ref().map(|_| quote!(#[allow(deprecated)]));
    // Where the plain form's reply is narrower, it builds the command itself
    // (with no options) rather than calling its twin.
    let plain = match &m.plain_reply {
        None => quote! {
            #[doc = #docs]
            #[doc = #more]
            #aliases
            #deprecated
            #allow_deprecated
            #many
            fn #name #generics(self, #(#params),*) -> Self::Output<#reply> {
                self.#with::<#(#generic_names),*>(#(#names,)* #options::new())
            }
        },
        Some(plain) => {
            let (plain_generics, _) = generics_of(plain);
            let plain = reply_type(plain);
            let narrower = format!(
                "\n\nReplies `{}`: without optional arguments the reply is always \
                 of that shape, while [`{with}`](Self::{with}) replies `{}`.",
                compact(&plain),
                compact(&reply),
            );
            quote! {
                #[doc = #docs]
                #[doc = #more]
                #[doc = #narrower]
                #aliases
                #deprecated
                #many
                fn #name #plain_generics(self, #(#params),*) -> Self::Output<#plain> {
                    let options = #options::new();
                    let mut cmd = ::tornadis::Cmd::for_command(#info, #capacity);
                    #(#writes)*
                    self.execute::<#plain>(cmd)
                }
            }
        }
    };
    quote! {
        #plain

        #[doc = #with_doc]
        #aliases
        #deprecated
        #many
        fn #with #generics(self, #(#params,)* options: #options) -> Self::Output<#reply> { #body }
    }
}

/// A type as a reader writes it: `Option<()>`, not `:: std :: option :: Option < () >`.
fn compact(t: &TokenStream) -> String {
    t.to_string()
        .replace(' ', "")
        .replace("::std::option::", "")
        .replace("::std::vec::", "")
        .replace("::std::string::", "")
        .replace("::std::collections::", "")
        .replace("::tornadis::bytes::", "")
        .replace("::tornadis::", "")
        .replace(',', ", ")
}
