//! The expansion of the sample specs: it parses as Rust, has the expected
//! items, and is written to the temp dir for reading
//! (`$TMPDIR/tornadis-macros-expansion.rs`, formatted when rustfmt is found).

use quote::quote;

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

    let names: Vec<String> = file
        .items
        .iter()
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
    let set_get = file.items.iter().find_map(|i| match i {
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
    assert!(file.items.len() > 100);
    let path = std::env::temp_dir().join("tornadis-commands-expansion.rs");
    std::fs::write(&path, &text).expect("temp dir is writable");
    let _ = std::process::Command::new("rustfmt")
        .arg("--edition=2021")
        .arg(&path)
        .status();
}
