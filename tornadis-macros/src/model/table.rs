//! Checks across the whole table: names that must be unique, and shared
//! types (`shared`) that must have one definition.

use std::collections::BTreeMap;

use super::{args, Arg, Command, Kind};

/// Checks names that must be unique across the whole table.
pub fn check(commands: &[(String, Command)], errs: &mut Vec<String>) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut shared: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut once = |kind: &str, name: String, at: &str, errs: &mut Vec<String>| {
        let key = format!("{kind} `{name}`");
        match seen.get(&key) {
            Some(first) => errs.push(format!("{at}: duplicate {key} (first at {first})")),
            None => {
                seen.insert(key, at.to_string());
            }
        }
    };
    for (at, c) in commands {
        // Loop-free via the static name: `INFO_A_B` for both `A-B` and `A B`.
        once("command", c.info_ident.clone(), at, errs);
        for m in &c.methods {
            once("method", m.name.clone(), at, errs);
            if m.options.is_some() {
                once("method", m.with_name(), at, errs);
            }
            if let Some(o) = &m.options {
                once("type", o.clone(), at, errs);
            }
        }
        for e in &c.enums {
            if let Kind::OneOf { enum_name, .. } = &e.kind {
                if !e.shared {
                    once("type", enum_name.clone(), at, errs);
                    continue;
                }
                let sig = shared_signature(e);
                match shared.get(enum_name) {
                    Some((first, s)) if *s != sig => errs.push(format!(
                        "{at}: argument `{}` shares `{enum_name}`, but its choices ({sig}) \
                         differ from those at {first} ({s}); shared types have one definition",
                        e.name
                    )),
                    Some(_) => {}
                    None => {
                        once("type", enum_name.clone(), at, errs);
                        shared.insert(enum_name.clone(), (at.clone(), sig));
                    }
                }
            }
        }
    }
}

/// What must agree between the arguments sharing one type: each choice's
/// name and syntax. Where a choice is available may differ (each command
/// records what its use of a choice needs).
fn shared_signature(a: &Arg) -> String {
    let Kind::OneOf { choices, .. } = &a.kind else {
        return String::new();
    };
    let each: Vec<_> = choices
        .iter()
        .map(|c| format!("{} `{}`", c.name, args::syntax(c)))
        .collect();
    each.join(", ")
}
