//! Rust types for argument values and the statements that write them into a `Cmd`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::model::args::{counts_next, item_width};
use crate::model::{Arg, Kind};

/// Where a value's type appears.
#[derive(Clone, Copy, PartialEq)]
pub enum Ctx {
    /// A parameter of a method: `impl Trait` allowed, a list is any iterator.
    Param,
    /// Inside a parameter's type (a tuple item, an `Option`): `impl Trait` allowed.
    Nested,
    /// A field of a generated enum: concrete types only.
    Owned,
}

/// When a required list turns out empty.
#[derive(Clone, Copy, PartialEq)]
pub enum Empty {
    /// Record a client error: the server would refuse the command.
    Fail,
    /// Send nothing for this argument (an optional list).
    Skip,
}

pub fn ident(s: &str) -> Ident {
    // Keywords were already renamed by the model (`type` → `type_`).
    Ident::new(s, Span::call_site())
}

/// Members of a block that carry data (pure tokens are just sent, counts
/// are computed). An optional pure token is a data member too: a `bool`.
pub fn data_members(members: &[Arg]) -> impl Iterator<Item = &Arg> {
    members
        .iter()
        .enumerate()
        .filter(|(i, m)| !counts_next(members, *i) && (m.kind != Kind::Token || m.optional))
        .map(|(_, m)| m)
}

/// Statements that write the list statements `w` write, preceded by the
/// number of its items (`counts`, `numkeys`): the list goes into a command
/// of its own first, so its length is known.
pub fn counted(w: TokenStream, list: &Arg) -> TokenStream {
    let width = proc_macro2::Literal::usize_unsuffixed(item_width(list).unwrap_or(1).max(1));
    quote! {
        let counted = {
            let mut cmd = ::tornadis::Cmd::new();
            #w
            cmd
        };
        cmd.arg(&(counted.argc() / #width));
        cmd.append(&counted);
    }
}

/// Statements writing the members of a block, each held in a binding of its
/// name; a count is written from the list after it.
pub fn write_members(members: &[Arg], empty: Empty) -> TokenStream {
    let mut out = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if counts_next(members, i) {
            continue;
        }
        let n = ident(&m.ident);
        let w = write(m, &quote!(#n), empty);
        if i > 0 && counts_next(members, i - 1) {
            out.push(counted(w, m));
        } else {
            out.push(w);
        }
    }
    quote!(#(#out)*)
}

/// The statement recording what `a` needs of the server, if anything.
pub fn require(a: &Arg) -> Option<TokenStream> {
    let need = a.need.as_ref()?;
    let what = &need.what;
    let availability = super::info::availability(&need.avail);
    Some(quote! {
        {
            static NEED: ::tornadis::command_info::Requirement =
                ::tornadis::command_info::Requirement { what: #what, availability: #availability };
            cmd.require(&NEED);
        }
    })
}

/// The type of one value of `a`, ignoring `optional` and `multiple`.
fn single_type(a: &Arg, ctx: Ctx) -> TokenStream {
    match &a.kind {
        Kind::Key | Kind::Value | Kind::Pattern if ctx == Ctx::Owned => {
            quote!(::tornadis::bytes::Bytes)
        }
        Kind::Key | Kind::Value | Kind::Pattern => quote!(impl ::tornadis::ToArg),
        Kind::Integer | Kind::UnixTime => quote!(i64),
        Kind::Double => quote!(f64),
        Kind::Token => quote!(()),
        Kind::OneOf { enum_name, .. } => {
            let e = ident(enum_name);
            quote!(#e)
        }
        Kind::Block(members) => {
            let inner = if ctx == Ctx::Owned {
                Ctx::Owned
            } else {
                Ctx::Nested
            };
            let tys: Vec<_> = data_members(members)
                .map(|m| value_type(m, inner))
                .collect();
            match tys.as_slice() {
                [one] => one.clone(),
                _ => quote!((#(#tys),*)),
            }
        }
    }
}

/// Whether `a`'s items are plain numbers: such a list stays an
/// `IntoIterator`, since an array of integer literals could also be read as
/// one binary value (`[u8; N]`) by `ToArgList`, which leaves the literals'
/// type to the `i32` fallback.
fn numbers(a: &Arg) -> bool {
    matches!(a.kind, Kind::Integer | Kind::UnixTime | Kind::Double)
}

/// The items of the list in `v`: through `ToArgList` (one value or many),
/// or `IntoIterator` for lists of numbers.
fn items(a: &Arg, v: &TokenStream) -> TokenStream {
    if numbers(a) {
        quote!(::std::iter::IntoIterator::into_iter(#v))
    } else {
        quote!(::tornadis::ToArgList::into_list(#v))
    }
}

/// The type of `a`'s value including `multiple` (a list) and, for members
/// of blocks, `optional` (an `Option`). Top-level optional arguments go to an
/// options builder instead, which calls this on a required copy.
pub fn value_type(a: &Arg, ctx: Ctx) -> TokenStream {
    if a.kind == Kind::Token && a.optional && ctx != Ctx::Param {
        return quote!(bool);
    }
    let one = single_type(a, if ctx == Ctx::Param { Ctx::Nested } else { ctx });
    let many = match (a.multiple, ctx) {
        (false, _) => one,
        (true, Ctx::Param) if numbers(a) => quote!(impl ::std::iter::IntoIterator<Item = #one>),
        (true, Ctx::Param) => quote!(impl ::tornadis::ToArgList<Item = #one>),
        (true, _) => quote!(::std::vec::Vec<#one>),
    };
    if a.optional && ctx != Ctx::Param {
        quote!(::std::option::Option<#many>)
    } else {
        many
    }
}

/// Statements writing one value of `a` (held in the place `v`, owned or a reference).
fn write_single(a: &Arg, v: &TokenStream) -> TokenStream {
    match &a.kind {
        Kind::Token => {
            let t = a.token.as_deref().unwrap_or_default();
            quote!(cmd.arg(#t);)
        }
        Kind::OneOf { enum_name, choices } if a.shared => {
            // A shared type carries no requirement: this command's own go here.
            let e = ident(enum_name);
            let arms = choices.iter().filter_map(|c| {
                let need = c.need.as_ref().map(|_| require(c))?;
                let var = ident(&crate::names::camel(&c.name));
                let unit = match &c.kind {
                    Kind::Token => true,
                    Kind::Block(m) if !c.multiple => data_members(m).next().is_none(),
                    _ => false,
                };
                let pat = if unit {
                    quote!(#e::#var)
                } else {
                    quote!(#e::#var(..))
                };
                Some(quote!(#pat => { #need }))
            });
            let arms: Vec<_> = arms.collect();
            let check = (!arms.is_empty()).then(|| {
                quote!(
                    #[allow(clippy::single_match)]
                    match &#v { #(#arms)* _ => {} }
                )
            });
            quote!(#check cmd.args(&#v);)
        }
        Kind::OneOf { .. } => quote!(cmd.args(&#v);),
        Kind::Block(members) => {
            let data: Vec<_> = data_members(members).collect();
            let names: Vec<_> = data.iter().map(|m| ident(&m.ident)).collect();
            let bind = match names.as_slice() {
                [] => quote!(),
                [one] => quote!(let #one = &#v;),
                _ => quote!(let (#(#names),*) = &#v;),
            };
            let writes = write_members(members, Empty::Skip);
            quote!({ #bind #writes })
        }
        _ => quote!(cmd.arg(&#v);),
    }
}

/// Statements writing `a` whose value is in `v`: the token, the value(s),
/// handling `optional` (an `Option`, or a `bool` for a pure token) and
/// `multiple` (a list).
pub fn write(a: &Arg, v: &TokenStream, empty: Empty) -> TokenStream {
    let token = match (&a.token, &a.kind) {
        (Some(t), k) if *k != Kind::Token => Some(quote!(cmd.arg(#t);)),
        _ => None,
    };
    let body = if a.multiple {
        let each = write_single(a, &quote!(item));
        let list = items(a, v);
        match (empty, token) {
            (Empty::Fail, token) => {
                let name = &a.name;
                let (before, inside) = if a.multiple_token {
                    (None, token)
                } else {
                    (token, None)
                };
                quote!(
                    #before
                    let mut empty = true;
                    for item in #list { empty = false; #inside #each }
                    if empty { ::tornadis::commands::__empty_list(&mut cmd, #name); }
                )
            }
            (Empty::Skip, None) => quote!(for item in #list { #each }),
            (Empty::Skip, Some(token)) if a.multiple_token => {
                quote!(for item in #list { #token #each })
            }
            // The token goes once before the values, and not at all for no values.
            (Empty::Skip, Some(token)) => quote!(
                let mut items = #list.peekable();
                if items.peek().is_some() { #token for item in items { #each } }
            ),
        }
    } else {
        let each = write_single(a, v);
        quote!(#token #each)
    };
    let need = require(a);
    let body = quote!(#need #body);
    match (a.optional, &a.kind) {
        (false, _) => body,
        (true, Kind::Token) => quote!(if #v { #body }),
        (true, _) => quote!(if let ::std::option::Option::Some(#v) = #v { #body }),
    }
}

/// The parameters (name and type) and statements for a positional use of
/// `a` (which must not be optional): a pure token takes no parameter, a
/// block that is not a list takes one parameter per member, anything else one.
pub fn positional(a: &Arg, empty: Empty) -> (Vec<(Ident, TokenStream)>, TokenStream) {
    let name = ident(&a.ident);
    if a.spread {
        // `as_args`: the list is one value that writes its own arguments.
        let token = a.token.as_deref().map(|t| quote!(cmd.arg(#t);));
        let arg = &a.name;
        let check = match empty {
            Empty::Fail => quote!(::tornadis::commands::__args_list(&mut cmd, &#name, #arg);),
            Empty::Skip => quote!(cmd.args(&#name);),
        };
        return (
            vec![(name, quote!(impl ::tornadis::ToArgs))],
            quote!(#token #check),
        );
    }
    match &a.kind {
        Kind::Token => (Vec::new(), write(a, &quote!(), empty)),
        Kind::Block(members) if !a.multiple => {
            let token = a.token.as_deref().map(|t| quote!(cmd.arg(#t);));
            let params = data_members(members)
                .map(|m| {
                    let ctx = if m.optional { Ctx::Nested } else { Ctx::Param };
                    (ident(&m.ident), value_type(m, ctx))
                })
                .collect();
            let writes = write_members(members, empty);
            let need = require(a);
            (params, quote!(#need #token #writes))
        }
        _ => {
            let ty = value_type(a, Ctx::Param);
            let w = write(a, &quote!(#name), empty);
            (vec![(name, ty)], w)
        }
    }
}
