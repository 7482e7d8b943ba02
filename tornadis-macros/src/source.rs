//! Finding and reading the spec files named by the macro's input.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};

use crate::model::Source;

/// The table shipped with this crate (`commands/`, a link to the workspace's
/// `commands/` that `cargo package` follows), located at this crate's build time.
const OWN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/commands");

/// The input of `commands!`: nothing, or `dir = "path"`.
struct Input {
    dir: Option<syn::LitStr>,
}

impl syn::parse::Parse for Input {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Input { dir: None });
        }
        let key: syn::Ident = input.parse()?;
        if key != "dir" {
            return Err(syn::Error::new(
                key.span(),
                "expected `dir = \"path\"` or nothing",
            ));
        }
        input.parse::<syn::Token![=]>()?;
        let dir = input.parse()?;
        input.parse::<Option<syn::Token![,]>>()?;
        Ok(Input { dir: Some(dir) })
    }
}

/// Where the files are and how to name them in messages.
fn locate(input: &Input) -> (PathBuf, String) {
    let Some(dir) = &input.dir else {
        return (PathBuf::from(OWN_DIR), "commands".into());
    };
    let rel = dir.value();
    let path = Path::new(&rel);
    if path.is_absolute() {
        return (path.to_path_buf(), rel);
    }
    // Relative to the invoking crate; failing that, to this crate, whose tests
    // keep their spec dirs there (trybuild compiles them from a copy elsewhere).
    let caller = std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join(path));
    match caller {
        Some(p) if p.is_dir() => (p, rel),
        _ => (Path::new(env!("CARGO_MANIFEST_DIR")).join(path), rel),
    }
}

/// Reads every `*.toml` of the directory (but `excluded.toml`, which is not
/// command specs), sorted by name. Returns the sources and their absolute paths.
pub fn load(input: TokenStream) -> syn::Result<(Vec<Source>, Vec<String>)> {
    let input: Input = syn::parse2(input)?;
    let span = input
        .dir
        .as_ref()
        .map_or_else(Span::call_site, |d| d.span());
    let (dir, shown) = locate(&input);
    let fail = |what: &str, p: &Path, e: std::io::Error| {
        syn::Error::new(span, format!("cannot {what} {}: {e}", p.display()))
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| fail("read the spec directory", &dir, e))? {
        let path = entry
            .map_err(|e| fail("read the spec directory", &dir, e))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".toml") && name != "excluded.toml" {
            paths.push(path);
        }
    }
    paths.sort();
    let mut sources = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| fail("read", &path, e))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        sources.push(Source {
            display: format!("{shown}/{name}"),
            text,
        });
        let abs = std::fs::canonicalize(&path).unwrap_or(path);
        files.push(abs.to_string_lossy().into_owned());
    }
    Ok((sources, files))
}
