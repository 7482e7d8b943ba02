//! The expansion of the sample specs: it parses as Rust, has the expected
//! items, and is written to the temp dir for reading
//! (`$TMPDIR/tornadis-macros-expansion.rs`, formatted when rustfmt is found).

use quote::quote;

/// The items of the expansion, with those of its group modules.
fn all_items(file: &syn::File) -> Vec<&syn::Item> {
    let mut out = Vec::new();
    for i in &file.items {
        if let syn::Item::Mod(m) = i {
            out.extend(m.content.iter().flat_map(|(_, items)| items));
        }
        out.push(i);
    }
    out
}

/// The doc text of an item's `#[doc = ".."]` attributes.
fn doc_of(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn expansion() -> String {
    crate::expand(quote!(dir = "tests/specs/basic"))
        .expect("the sample specs are valid")
        .to_string()
}

#[test]
fn expansion_parses_and_is_saved_for_reading() {
    let text = expansion();
    let file: syn::File = syn::parse_str(&text).expect("the expansion parses");
    let path = std::env::temp_dir().join("tornadis-macros-expansion.rs");
    std::fs::write(&path, &text).expect("temp dir is writable");
    let _ = std::process::Command::new("rustfmt")
        .arg("--edition=2021")
        .arg(&path)
        .status();

    let names: Vec<String> = all_items(&file)
        .into_iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Trait(t) => Some(t.ident.to_string()),
            syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    for want in [
        "Commands",
        "SetOptions",
        "ZaddOptions",
        "ZrangeOptions",
        "SortOptions",
        "ClientKillFilter",
        "ClientKillSkipme",
        "lookup",
        "lookup_args",
    ] {
        assert!(names.iter().any(|n| n == want), "no `{want}` in {names:?}");
    }
    // SET_GET always sends GET: its options have every other optional argument, not GET.
    let set_get = all_items(&file).into_iter().find_map(|i| match i {
        syn::Item::Struct(s) if s.ident == "SetGetOptions" => Some(quote!(#s).to_string()),
        _ => None,
    });
    assert_eq!(
        set_get
            .as_deref()
            .map(|s| s.contains("condition") && s.contains("expiration") && !s.contains("get :")),
        Some(true),
        "{set_get:?}"
    );
}

#[test]
fn methods_have_the_documented_signatures() {
    let text = expansion();
    let file: syn::File = syn::parse_str(&text).expect("the expansion parses");
    let Some(syn::Item::Trait(tr)) = file.items.iter().find(|i| matches!(i, syn::Item::Trait(_)))
    else {
        panic!("no trait")
    };
    let sig = |name: &str| {
        tr.items
            .iter()
            .find_map(|i| match i {
                syn::TraitItem::Fn(f) if f.sig.ident == name => {
                    let s = &f.sig;
                    Some(quote!(#s).to_string())
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no method {name}"))
    };
    let get = sig("get");
    assert!(
        get.contains("fn get < V : :: tornadis :: FromValue >"),
        "{get}"
    );
    assert!(
        get.contains("Self :: Output < :: std :: option :: Option < V > >"),
        "{get}"
    );
    let set = sig("set_with");
    assert!(set.contains("options : SetOptions"), "{set}");
    let mset = sig("mset");
    assert!(
        mset.contains("data : impl :: tornadis :: ToArgList < Item = (impl :: tornadis :: ToArg , impl :: tornadis :: ToArg) >"),
        "{mset}"
    );
    let hello = sig("hello_with");
    assert!(
        hello.contains("Map") || hello.contains("HashMap < :: std :: string :: String"),
        "{hello}"
    );
    let zr = sig("zrange_withscores_with");
    assert!(zr.contains("Vec < (M , f64) >"), "{zr}");
    // Metadata only.
    assert!(!text.contains("fn subscribe"));
    assert!(text.contains("name : \"SUBSCRIBE\""));
}

/// The table shipped with the crate (`commands/`) is valid and expands to
/// Rust; its expansion is saved as `$TMPDIR/tornadis-commands-expansion.rs`.
#[test]
fn the_shipped_table_expands() {
    let text = match crate::expand(quote!()) {
        Ok(t) => t.to_string(),
        Err(e) => {
            let msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            panic!("the spec table has problems:\n{}", msgs.join("\n"));
        }
    };
    let file: syn::File = syn::parse_str(&text).expect("the expansion parses");
    assert!(all_items(&file).len() > 100);
    // Every group of the shipped table has an overview written for it.
    for i in &file.items {
        if let syn::Item::Mod(m) = i {
            let doc = doc_of(&m.attrs);
            assert!(
                !doc.starts_with(&format!("The `{}` commands.", m.ident)),
                "commands/*.toml: the group of module `{}` has no `doc`",
                m.ident
            );
        }
    }
    let path = std::env::temp_dir().join("tornadis-commands-expansion.rs");
    std::fs::write(&path, &text).expect("temp dir is writable");
    let _ = std::process::Command::new("rustfmt")
        .arg("--edition=2021")
        .arg(&path)
        .status();
}

/// Each group is a module: its page is the overview, then a table from
/// command to methods (linked, with their `_with` forms and variants) and
/// versions; its types live in it and are re-exported flat.
#[test]
fn groups_are_modules_with_a_table_of_their_commands() {
    let text = expansion();
    let file: syn::File = syn::parse_str(&text).expect("the expansion parses");
    let modules: Vec<&syn::ItemMod> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) => Some(m),
            _ => None,
        })
        .collect();
    let names: Vec<String> = modules.iter().map(|m| m.ident.to_string()).collect();
    // One per spec file, named for Rust (`sorted-set.toml` is `sorted_set`).
    assert_eq!(
        names,
        [
            "connection",
            "generic",
            "pubsub",
            "scripting",
            "sorted_set",
            "string"
        ]
    );
    let string = modules
        .iter()
        .find(|m| m.ident == "string")
        .expect("a string module");
    let doc = doc_of(&string.attrs);
    let row = doc
        .lines()
        .find(|l| l.starts_with("| `SET` |"))
        .unwrap_or_else(|| panic!("no SET row in {doc}"));
    assert!(
        row.contains("[`set`](Commands::set) ([`_with`](Commands::set_with))")
            && row.contains("[`set_get`](Commands::set_get)"),
        "{row}"
    );
    // The group's types are in its module, and re-exported flat.
    let items = &string.content.as_ref().expect("an inline module").1;
    assert!(items
        .iter()
        .any(|i| matches!(i, syn::Item::Struct(s) if s.ident == "SetOptions")));
    assert!(file
        .items
        .iter()
        .all(|i| !matches!(i, syn::Item::Struct(s) if s.ident == "SetOptions")));
    assert!(
        text.contains("pub use self :: string :: * ;"),
        "no re-export"
    );
    // A group without a `doc` still gets a page.
    let generic = modules
        .iter()
        .find(|m| m.ident == "generic")
        .expect("generic");
    assert!(doc_of(&generic.attrs).starts_with("The `generic` commands."));
}
