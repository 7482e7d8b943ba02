//! Rebuilds this crate, and so every crate that expands `commands!()`, when
//! the spec table in `commands/` changes. Edits to an existing file are also
//! caught by the `include_str!`s the macro emits, but a file added to the
//! directory would not be: a proc macro cannot ask for that by itself.
fn main() {
    println!("cargo:rerun-if-changed=commands");
}
