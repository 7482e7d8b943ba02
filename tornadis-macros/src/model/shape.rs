//! Method shapes (FORMAT.md "Method shapes"): how one method reshapes the
//! command's arguments with `single`, `as_args` and `without`. They apply
//! after a variant's `required` and `with`, so they see what the method sends.

use super::args::{counts_next, syntax, Arg, Kind};
use crate::spec::Shape;

/// The arguments of one method after its shape, and what `without` left out
/// (as the syntax line would show it, for the method's docs).
#[derive(Debug)]
pub struct Shaped {
    pub args: Vec<Arg>,
    pub left_out: Vec<String>,
}

/// Applies `single`, `as_args` and `without` to `args`, or says every way
/// in which they do not fit.
pub fn apply(args: &[Arg], shape: Shape<'_>) -> Result<Shaped, Vec<String>> {
    let mut out = args.to_vec();
    let mut errs = Vec::new();
    for name in shape.single.iter().filter(|n| shape.as_args.contains(n)) {
        errs.push(format!(
            "`{name}` is in both `single` and `as_args`: pick one form"
        ));
    }
    for (list, field) in [(shape.single, "single"), (shape.as_args, "as_args")] {
        for name in list
            .iter()
            .filter(|n| field == "single" || !shape.single.contains(n))
        {
            if let Err(e) = reshape_list(&mut out, name, field == "single") {
                errs.push(format!("`{field}` names `{name}`, {e}"));
            }
        }
    }
    let mut left_out = Vec::new();
    for w in shape.without {
        match remove(&mut out, w) {
            Ok(gone) => left_out.push(shown(&gone)),
            Err(e) => errs.push(format!("`without` names `{w}`, {e}")),
        }
    }
    if errs.is_empty() {
        Ok(Shaped {
            args: out,
            left_out,
        })
    } else {
        Err(errs)
    }
}

/// Makes the top-level list `name` take one item (`single`) or one
/// `impl ToArgs` (`as_args`).
fn reshape_list(args: &mut [Arg], name: &str, single: bool) -> Result<(), String> {
    let Some(i) = args.iter().position(|a| a.name == name) else {
        return Err("which is not a top-level argument of this method".into());
    };
    let counted = i > 0 && counts_next(args, i - 1);
    let Some(a) = args.get_mut(i) else {
        return Err("which is not a top-level argument of this method".into());
    };
    if !a.multiple || a.spread {
        return Err("which is not a list (`multiple = true`)".into());
    }
    if a.optional {
        return Err("which is optional: a list in the options builder keeps its list form".into());
    }
    if single && counted {
        return Err("whose length `numkeys` counts: it stays a list".into());
    }
    if !single && a.multiple_token {
        return Err(
            "whose token goes before every item, which one `ToArgs` value cannot mark".into(),
        );
    }
    if single {
        a.multiple = false;
    } else {
        a.spread = true;
    }
    Ok(())
}

/// True when `w` names `a`: its name, or its token in any case.
fn named(a: &Arg, w: &str) -> bool {
    a.name == w
        || a.token
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(w))
}

/// Removes the optional argument, optional block member or choice of an
/// optional `oneof` that `w` names (the first in sending order).
fn remove(args: &mut Vec<Arg>, w: &str) -> Result<Arg, String> {
    match remove_in(args, w, true) {
        Some(r) => r,
        None => Err(
            "which is not the name or token of an argument, block member \
                     or `oneof` choice of this method"
                .into(),
        ),
    }
}

/// `None` when nothing here is named `w`. `top` says whether `args` are the
/// method's own arguments (where a `numkeys` count may precede a list).
fn remove_in(args: &mut Vec<Arg>, w: &str, top: bool) -> Option<Result<Arg, String>> {
    for i in 0..args.len() {
        let counted = top && i > 0 && counts_next(args, i - 1);
        let a = args.get_mut(i)?;
        if named(a, w) {
            if !a.optional {
                return Some(Err("which this method requires".into()));
            }
            if counted {
                return Some(Err("whose length `numkeys` counts".into()));
            }
            return Some(Ok(args.remove(i)));
        }
        let (found, now_empty) = match &mut a.kind {
            Kind::Block(members) if !a.multiple => {
                let found = remove_in(members, w, false);
                (found, members.is_empty())
            }
            Kind::OneOf { choices, .. } if a.optional && !a.multiple => {
                match choices.iter().position(|c| named(c, w)) {
                    Some(c) => (Some(Ok(choices.remove(c))), choices.is_empty()),
                    None => (None, false),
                }
            }
            _ => (None, false),
        };
        if let Some(found) = found {
            if found.is_ok() && now_empty {
                args.remove(i);
            }
            return Some(found);
        }
    }
    None
}

/// How a left-out argument appears in the docs: its token, or its syntax.
fn shown(a: &Arg) -> String {
    match (&a.kind, &a.token) {
        (Kind::Token, Some(t)) => t.clone(),
        _ => {
            let mut a = a.clone();
            a.optional = false;
            syntax(&a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::args::{convert, Place};
    use crate::spec;

    fn args(toml: &str) -> Vec<Arg> {
        #[derive(serde::Deserialize)]
        struct Args {
            args: Vec<spec::Arg>,
        }
        let parsed: Args = toml::from_str(toml).expect("test args parse");
        let mut errs = Vec::new();
        let out = parsed
            .args
            .iter()
            .filter_map(|a| convert(a, Place::TopLevel, "T", &mut errs))
            .collect();
        assert!(errs.is_empty(), "{errs:?}");
        out
    }

    fn shape<'a>(single: &'a [String], as_args: &'a [String], without: &'a [String]) -> Shape<'a> {
        Shape {
            single,
            as_args,
            without,
            plain_reply: None,
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const HSET: &str = r#"args = [
        { name = "key", type = "key" },
        { name = "data", type = "block", multiple = true, args = [
            { name = "field", type = "value" },
            { name = "value", type = "value" },
        ] },
    ]"#;

    #[test]
    fn single_takes_one_item() {
        let out = apply(&args(HSET), shape(&s(&["data"]), &[], &[])).unwrap();
        assert!(!out.args[1].multiple);
        assert_eq!(syntax(&out.args[1]), "field value");
        let e = apply(&args(HSET), shape(&s(&["key"]), &[], &[])).unwrap_err();
        assert!(
            e[0].contains("`single` names `key`, which is not a list"),
            "{e:?}"
        );
        let e = apply(&args(HSET), shape(&s(&["field"]), &[], &[])).unwrap_err();
        assert!(e[0].contains("not a top-level argument"), "{e:?}");
    }

    #[test]
    fn as_args_takes_one_to_args_value() {
        let out = apply(&args(HSET), shape(&[], &s(&["data"]), &[])).unwrap();
        assert!(out.args[1].spread && out.args[1].multiple);
        let e = apply(&args(HSET), shape(&s(&["data"]), &s(&["data"]), &[])).unwrap_err();
        assert!(e[0].contains("both `single` and `as_args`"), "{e:?}");
        let sort_get = args(
            r#"args = [{ name = "pattern", type = "pattern", token = "GET", multiple = true, multiple_token = true }]"#,
        );
        let e = apply(&sort_get, shape(&[], &s(&["pattern"]), &[])).unwrap_err();
        assert!(e[0].contains("token goes before every item"), "{e:?}");
    }

    #[test]
    fn lists_counted_by_numkeys_stay_lists() {
        let eval = args(
            r#"args = [
            { name = "numkeys", type = "integer" },
            { name = "key", type = "key", optional = true, multiple = true },
            { name = "arg", type = "value", optional = true, multiple = true },
        ]"#,
        );
        let e = apply(&eval, shape(&[], &[], &s(&["key"]))).unwrap_err();
        assert!(e[0].contains("numkeys"), "{e:?}");
        let zinter = args(
            r#"args = [
            { name = "numkeys", type = "integer" },
            { name = "key", type = "key", multiple = true },
        ]"#,
        );
        let e = apply(&zinter, shape(&s(&["key"]), &[], &[])).unwrap_err();
        assert!(e[0].contains("numkeys"), "{e:?}");
        assert!(apply(&zinter, shape(&[], &s(&["key"]), &[])).is_ok());
        // Removing the list after the count would make `numkeys` count another list.
        assert!(apply(&eval, shape(&[], &[], &s(&["arg"]))).is_ok());
    }

    const ZRANGE: &str = r#"args = [
        { name = "key", type = "key" },
        { name = "rev", type = "token", token = "REV", optional = true },
        { name = "limit", type = "block", token = "LIMIT", optional = true, args = [
            { name = "offset", type = "integer" },
            { name = "count", type = "integer" },
        ] },
        { name = "withscores", type = "token", token = "WITHSCORES", optional = true },
        { name = "store", type = "oneof", optional = true, choices = [
            { name = "storekey", type = "key", token = "STORE" },
            { name = "storedistkey", type = "key", token = "STOREDIST" },
        ] },
        { name = "sample", type = "block", optional = true, args = [
            { name = "count", type = "integer" },
            { name = "withvalues", type = "token", token = "WITHVALUES", optional = true },
        ] },
    ]"#;

    #[test]
    fn without_removes_by_token_or_name() {
        let all = args(ZRANGE);
        let out = apply(&all, shape(&[], &[], &s(&["WITHSCORES", "store"]))).unwrap();
        let names: Vec<_> = out.args.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["key", "rev", "limit", "sample"]);
        assert_eq!(
            out.left_out,
            ["WITHSCORES", "<STORE storekey | STOREDIST storedistkey>"]
        );
        // Lower-case tokens match too; a member of a block; one choice of a oneof.
        let out = apply(&all, shape(&[], &[], &s(&["withvalues", "STOREDIST"]))).unwrap();
        let Kind::Block(m) = &out.args[5].kind else {
            panic!("sample is a block")
        };
        assert_eq!(m.len(), 1);
        let Kind::OneOf { choices, .. } = &out.args[4].kind else {
            panic!("store is a oneof")
        };
        assert_eq!(choices.len(), 1);
        // Both choices gone: the oneof goes too.
        let out = apply(&all, shape(&[], &[], &s(&["STORE", "STOREDIST"]))).unwrap();
        assert!(out.args.iter().all(|a| a.name != "store"));
    }

    #[test]
    fn without_refuses_required_and_unknown_names() {
        let all = args(ZRANGE);
        let e = apply(&all, shape(&[], &[], &s(&["key", "offset", "NOPE"]))).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].contains("`key`, which this method requires"), "{e:?}");
        assert!(
            e[1].contains("`offset`, which this method requires"),
            "{e:?}"
        );
        assert!(
            e[2].contains("`NOPE`, which is not the name or token"),
            "{e:?}"
        );
        // Named twice: the second finds nothing left.
        assert!(apply(&all, shape(&[], &[], &s(&["REV", "REV"]))).is_err());
    }
}
