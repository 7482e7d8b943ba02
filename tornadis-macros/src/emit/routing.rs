//! `CommandInfo::routing`: the routing facts as a `RoutingFacts` literal.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::values::ident;
use crate::model::routing::{Connection, Position, Routing};

fn option(v: Option<TokenStream>) -> TokenStream {
    match v {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

/// The `RoutingFacts` of one command.
pub fn facts(r: &Routing) -> TokenStream {
    let ci = quote!(::tornadis::command_info);
    let connection = match &r.connection {
        Connection::Any => quote!(#ci::ConnectionUse::Any),
        Connection::Own => quote!(#ci::ConnectionUse::Own),
        Connection::Takeover => quote!(#ci::ConnectionUse::Takeover),
        Connection::State(s) => {
            let s = ident(s);
            quote!(#ci::ConnectionUse::State(#ci::StateChange::#s))
        }
    };
    let timeout = option(r.timeout.as_ref().map(|t| {
        let at = match &t.at {
            Position::Index(i) => {
                let i = Literal::u16_unsuffixed(*i);
                quote!(#ci::ArgPosition::Index(#i))
            }
            Position::FromEnd(n) => {
                let n = Literal::u16_unsuffixed(*n);
                quote!(#ci::ArgPosition::FromEnd(#n))
            }
            Position::AfterToken(token) => quote!(#ci::ArgPosition::AfterToken(#token)),
        };
        let unit = if t.millis {
            quote!(#ci::TimeUnit::Milliseconds)
        } else {
            quote!(#ci::TimeUnit::Seconds)
        };
        let only = t.only_with_token;
        quote!(#ci::BlockingTimeout { at: #at, unit: #unit, only_with_token: #only })
    }));
    let request = option(r.request_policy.map(|p| {
        let p = ident(p);
        quote!(#ci::RequestPolicy::#p)
    }));
    let response = option(r.response_policy.map(|p| {
        let p = ident(p);
        quote!(#ci::ResponsePolicy::#p)
    }));
    quote! {
        #ci::RoutingFacts {
            connection: #connection,
            blocking_timeout: #timeout,
            request_policy: #request,
            response_policy: #response,
        }
    }
}
