//! Code generation for tornadis: the typed command methods and the command
//! metadata, from the spec table in `commands/*.toml`.
//!
//! ## Layout
//! - `source`: finds and reads the spec files.
//! - `spec`: stage 1, the TOML as written (serde).
//! - `model`: stage 2, checked and named for Rust; collects every error.
//! - `emit`: stage 3, the Rust code (`quote!`).
//! - `names`: spec names to Rust identifiers.

extern crate proc_macro;

mod emit;
mod model;
mod names;
mod source;
mod spec;

use proc_macro::TokenStream;

/// Expands to the `Commands` trait (a provided method per command, for every
/// `tornadis::Executor`), the options builders and enums its methods take,
/// `COMMANDS` (metadata of every command, sorted by name), `lookup` and
/// `lookup_args`.
///
/// `commands!()` reads the table shipped with this crate; `commands!(dir = "path")`
/// reads `path/*.toml` instead, relative to the invoking crate (or to this
/// crate). Problems in the table are compile errors naming file, line and command.
#[proc_macro]
pub fn commands(input: TokenStream) -> TokenStream {
    expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream> {
    let (sources, files) = source::load(input)?;
    let table = model::build(&sources).map_err(|errs| {
        let mut errs = errs
            .into_iter()
            .map(|e| syn::Error::new(proc_macro2::Span::call_site(), e));
        let mut all = errs.next().unwrap_or_else(|| {
            syn::Error::new(proc_macro2::Span::call_site(), "invalid spec table")
        });
        errs.for_each(|e| all.combine(e));
        all
    })?;
    Ok(emit::table(&table, &files))
}
