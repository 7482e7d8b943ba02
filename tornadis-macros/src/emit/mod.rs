//! Stage 3: the checked table as Rust code.

mod groups;
mod info;
mod items;
mod methods;
mod routing;
mod values;

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::Table;

/// Everything `commands!()` expands to. `files` are the absolute paths of
/// the spec files, included so that editing one rebuilds the invoking crate.
pub fn table(t: &Table, files: &[String]) -> TokenStream {
    let includes = files.iter().map(|f| {
        quote!(
            const _: &str = include_str!(#f);
        )
    });
    let methods = t
        .commands
        .iter()
        .flat_map(|c| c.methods.iter().map(move |m| methods::method(c, m)));
    let groups = groups::modules(t);
    let metadata = info::metadata(t);
    quote! {
        #(#includes)*

        /// The typed command methods, one per command of the spec table (and
        /// one per reply shape where a command has several).
        ///
        /// Provided for every [`Executor`](::tornadis::Executor): on a client
        /// each method returns a request to await, on a typed pipeline the
        /// pipeline with one more reply. A command with optional arguments
        /// has two methods: `set(key, value)` and `set_with(key, value, options)`
        /// taking its options builder.
        ///
        /// To browse the methods by data type, see the group modules of
        /// [`commands`](self): each lists its commands with their methods,
        /// variants and versions, and holds their options builders.
        ///
        /// Arguments are encoded when the method is called; an argument that
        /// cannot be sent (an empty list where Redis needs one value or more,
        /// a NaN score) makes the command fail with a client error before
        /// anything is written.
        ///
        /// # Cancel safety
        /// The methods only build the command; what happens when the returned
        /// value is dropped is up to the executor (a client's request that is
        /// dropped after being sent still has its reply read and discarded).
        pub trait Commands: ::tornadis::Executor {
            #(#methods)*
        }

        impl<E: ::tornadis::Executor> Commands for E {}

        #groups
        #metadata
    }
}

#[cfg(test)]
mod tests;
