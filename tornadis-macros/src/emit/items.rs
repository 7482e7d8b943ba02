//! The types that go with the methods: options builders and `oneof` enums.

use proc_macro2::TokenStream;
use quote::quote;

use super::values::{
    data_members, ident, positional, require, value_type, write, write_members, Ctx, Empty,
};
use crate::model::{args::syntax, Arg, Kind, Method};

fn since(a: &Arg) -> String {
    match (&a.need, &a.since) {
        (Some(n), _) => format!(
            " Available on {}: on a server without it the command fails before sending.",
            n.avail.describe()
        ),
        (None, Some(s)) => format!(" Since Redis {s}."),
        (None, None) => String::new(),
    }
}

/// One builder method of an options struct: `a` (made required) sets `field`,
/// after the `oneof`'s own `token` if it is one of its choices.
fn builder(field: &TokenStream, a: &Arg, prefix: Option<&str>) -> TokenStream {
    let mut a = a.clone();
    a.optional = false;
    let name = ident(&a.builder_name());
    // `ex(seconds)` reads better than `ex(ex)`: name a lone value after its display.
    if !matches!(a.kind, Kind::Token | Kind::Block(_)) {
        if let Some(d) = crate::names::ident(&a.display) {
            if !crate::model::is_local(&d) {
                a.ident = d;
            }
        }
    }
    let (params, writes) = positional(&a, Empty::Skip);
    let params = params.iter().map(|(n, t)| quote!(#n: #t));
    let doc = format!("Sends `{}`.{}", syntax(&a), since(&a));
    let prefix = prefix.map(|t| quote!(cmd.arg(#t);));
    quote! {
        #[doc = #doc]
        pub fn #name(mut self, #(#params),*) -> Self {
            let mut cmd = ::tornadis::Cmd::new();
            #prefix
            #writes
            self.#field = cmd;
            self
        }
    }
}

/// The options struct of `m`: one pre-encoded field per optional argument,
/// so that values of any argument type can be stored without generics.
pub fn options(m: &Method) -> TokenStream {
    let Some(name) = &m.options else {
        return quote!();
    };
    let name = ident(name);
    let optional: Vec<&Arg> = m.args.iter().filter(|a| a.optional).collect();
    let fields = optional.iter().map(|a| ident(&a.ident));
    let builders = optional.iter().map(|a| {
        let f = ident(&a.ident);
        let field = quote!(#f);
        let each_choice = match &a.kind {
            Kind::OneOf { choices, .. } if !a.multiple => {
                // A choice of a newer `oneof` needs what the `oneof` needs.
                let each = choices.iter().map(|c| {
                    let mut c = c.clone();
                    if c.need.is_none() {
                        c.need.clone_from(&a.need);
                    }
                    builder(&field, &c, a.token.as_deref())
                });
                quote!(#(#each)*)
            }
            _ => builder(&field, a, None),
        };
        // A shared type may also be given whole: `.expiration(SetExpiry::Seconds(60))`.
        let whole = match &a.kind {
            Kind::OneOf { .. } if a.shared && !a.multiple => builder(&field, a, None),
            _ => quote!(),
        };
        // The common forms of a block: `.maxlen_approx(1000)`.
        let forms = a.shortcuts.iter().map(|f| builder(&field, f, None));
        quote!(#each_choice #whole #(#forms)*)
    });
    let doc = format!(
        "Optional arguments of [`{with}`](Commands::{with}); each method sets one \
         (a later call replaces an earlier choice of the same argument).",
        with = m.with_name()
    );
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Default)]
        // `pub(super)`: the methods of `Commands`, one module up, read them.
        pub struct #name { #(pub(super) #fields: ::tornadis::Cmd),* }

        impl #name {
            /// No optional arguments.
            pub fn new() -> Self {
                Self::default()
            }
            #(#builders)*
        }
    }
}

/// The enum of a `oneof` used as a value, and its `ToArgs` impl. `users`
/// are the methods taking it (several for a `shared` type).
pub fn oneof_enum(a: &Arg, users: &[String]) -> TokenStream {
    let Kind::OneOf { enum_name, choices } = &a.kind else {
        return quote!();
    };
    let name = ident(enum_name);
    let mut required = a.clone();
    required.optional = false;
    required.multiple = false;
    let links: Vec<_> = users
        .iter()
        .map(|m| format!("[`{m}`](Commands::{m})"))
        .collect();
    let doc = if a.shared {
        format!(
            "The choices `{}`, one type for every command that takes them: {}.",
            syntax(&required),
            links.join(", ")
        )
    } else {
        format!(
            "The choices of `{}` for {}.",
            syntax(&required),
            links.join(", ")
        )
    };
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    for c in choices {
        // What a choice needs depends on the command: each use site records it.
        let mut c = c.clone();
        if a.shared {
            c.walk_mut(&mut |c| c.need = None);
        }
        let c = &c;
        let v = ident(&crate::names::camel(&c.name));
        let vdoc = format!("`{}`", syntax(c));
        let (fields, binds, writes) = match &c.kind {
            Kind::Token => (vec![], vec![], write(c, &quote!(), Empty::Skip)),
            Kind::Block(members) if !c.multiple => {
                let data: Vec<_> = data_members(members).collect();
                let token = c.token.as_deref().map(|t| quote!(cmd.arg(#t);));
                let writes = write_members(members, Empty::Skip);
                let need = require(c);
                (
                    data.iter().map(|m| value_type(m, Ctx::Owned)).collect(),
                    data.iter().map(|m| ident(&m.ident)).collect(),
                    quote!(#need #token #writes),
                )
            }
            _ => {
                let n = ident(&c.ident);
                (
                    vec![value_type(c, Ctx::Owned)],
                    vec![n.clone()],
                    write(c, &quote!(#n), Empty::Skip),
                )
            }
        };
        if fields.is_empty() {
            variants.push(quote!(#[doc = #vdoc] #v));
            arms.push(quote!(Self::#v => { #writes }));
        } else {
            variants.push(quote!(#[doc = #vdoc] #v(#(#fields),*)));
            arms.push(quote!(Self::#v(#(#binds),*) => { #writes }));
        }
    }
    // Numbers and tokens are `Copy`; floats are not `Eq`; bytes are not `Copy`.
    let (copy, eq) = traits(a);
    let copy = copy.then(|| quote!(Copy,));
    let eq = eq.then(|| quote!(Eq, Hash,));
    let derives = quote!(#[derive(Debug, Clone, #copy PartialEq, #eq)]);
    quote! {
        #[doc = #doc]
        #derives
        pub enum #name { #(#variants),* }

        impl ::tornadis::ToArgs for #name {
            fn write_args(&self, cmd: &mut ::tornadis::Cmd) {
                match self { #(#arms)* }
            }
        }

        impl ::tornadis::value::ListItem for #name {}
    }
}

/// Whether the values of `a` can be `Copy` and `Eq + Hash`.
fn traits(a: &Arg) -> (bool, bool) {
    let own = match &a.kind {
        Kind::Key | Kind::Value | Kind::Pattern => (false, true),
        Kind::Double => (true, false),
        Kind::Integer | Kind::UnixTime | Kind::Token => (true, true),
        Kind::OneOf { choices: m, .. } | Kind::Block(m) => m
            .iter()
            .map(traits)
            .fold((true, true), |(c, e), (c2, e2)| (c && c2, e && e2)),
    };
    (own.0 && !a.multiple, own.1)
}
