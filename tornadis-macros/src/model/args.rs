//! Arguments (FORMAT.md "Arguments"): checked, named for Rust, and rendered
//! into the Redis syntax line.

use super::avail::{self, Avail};
use crate::names;
use crate::spec;

/// What an argument needs beyond its command: where it is available, and
/// how a refusal names it (`HSETEX with `FNX``).
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub avail: Avail,
    pub what: String,
}

/// A checked argument, `oneof` choice or `block` member.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The name as the spec writes it.
    pub name: String,
    /// The Rust identifier for its parameter or builder method.
    pub ident: String,
    pub kind: Kind,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    /// A list taken as one `impl ToArgs` value (`as_args`, set per method).
    pub spread: bool,
    pub since: Option<String>,
    /// Servers that have it, where fewer than have its command.
    pub need: Option<Need>,
    /// For an integer: the name of the list right after it whose length it
    /// is (`counts`); the generated method computes it.
    pub counts: Option<String>,
    /// A `oneof` whose enum is shared by name with other arguments (`shared`).
    pub shared: bool,
    /// For a `oneof` taken `as_value`: the strings with a meaning of their
    /// own that the value may be (its token choices: `*`, `$`), each with
    /// the choice's name (`auto-id`).
    pub specials: Vec<(String, String)>,
    /// For an optional block: its common forms, each a required copy named
    /// after its builder method (`shortcuts`).
    pub shortcuts: Vec<Arg>,
    pub display: String,
}

/// What an argument holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Key,
    Value,
    Pattern,
    Integer,
    Double,
    UnixTime,
    /// A pure token: the `token` is the whole argument.
    Token,
    /// One of `choices`; as a value it is the generated enum `enum_name`.
    OneOf {
        enum_name: String,
        choices: Vec<Arg>,
    },
    /// A group of members sent in order.
    Block(Vec<Arg>),
}

impl Arg {
    /// The name of its options builder method: the Redis token in lower case
    /// where it makes an identifier (`ex`, `nx`, `limit`, `withscores`), so
    /// the builder reads like the command; otherwise the argument's name.
    pub fn builder_name(&self) -> String {
        match self.token.as_deref().and_then(names::snake) {
            Some(t) if !names::is_reserved(&t) => t,
            _ => self.ident.clone(),
        }
    }

    /// Calls `f` on this argument and every nested choice and member, mutably.
    pub fn walk_mut(&mut self, f: &mut impl FnMut(&mut Arg)) {
        f(self);
        if let Kind::OneOf { choices: a, .. } | Kind::Block(a) = &mut self.kind {
            a.iter_mut().for_each(|a| a.walk_mut(f));
        }
    }

    /// Calls `f` on this argument and every nested choice and member.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Arg)) {
        f(self);
        match &self.kind {
            Kind::OneOf { choices: a, .. } | Kind::Block(a) => a.iter().for_each(|a| a.walk(f)),
            _ => {}
        }
    }
}

/// Where an argument sits, which changes what is allowed.
#[derive(Clone, Copy, PartialEq)]
pub enum Place {
    TopLevel,
    Choice,
    Member,
}

/// Checks a spec argument; problems are pushed to `errs` prefixed with the
/// argument's path. `enum_prefix` names the enums of nested `oneof`s.
#[cfg(test)]
pub fn convert(
    a: &spec::Arg,
    place: Place,
    enum_prefix: &str,
    errs: &mut Vec<String>,
) -> Option<Arg> {
    convert_for(a, place, enum_prefix, None, errs)
}

/// [`convert`] for an argument of the command named `cmd.0`, available as
/// `cmd.1`: an argument fewer servers have gets a [`Need`].
pub fn convert_for(
    a: &spec::Arg,
    place: Place,
    enum_prefix: &str,
    cmd: Option<(&str, &Avail)>,
    errs: &mut Vec<String>,
) -> Option<Arg> {
    let here = format!("argument `{}`", a.name);
    let mut err = |msg: String| errs.push(format!("{here}: {msg}"));
    let Some(ident) = names::ident(&a.name).filter(|_| a.name.to_ascii_lowercase() == a.name)
    else {
        err("names are lower-case letters, digits and `-`, starting with a letter".into());
        return None;
    };
    let ty = match (&a.ty, place) {
        (Some(t), _) => t.as_str(),
        (None, Place::Choice) => "token",
        (None, _) => {
            err("`type` is missing".into());
            return None;
        }
    };
    let token = a.token.clone();
    if let Some(t) = &token {
        // An empty pure token is one empty argument (MIGRATE's `""` in place
        // of the key); a token before a value must be a word.
        if (t.is_empty() && !(ty == "token" && place == Place::Choice))
            || t.chars().any(char::is_whitespace)
        {
            err(format!(
                "token {t:?} must be one non-empty word (an empty one only as a choice of a oneof)"
            ));
        }
    }
    if a.choices.is_some() != (ty == "oneof") {
        err("`choices` goes with `type = \"oneof\"`, and only there".into());
    }
    if a.args.is_some() != (ty == "block") {
        err("`args` goes with `type = \"block\"`, and only there".into());
    }
    if a.multiple_token && !(a.multiple && token.is_some()) {
        err("`multiple_token` needs `multiple = true` and a `token`".into());
    }
    if let Some(s) = &a.shared {
        let camel = s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && s.chars().all(|c| c.is_ascii_alphanumeric());
        if ty != "oneof" || !camel {
            err(format!(
                "`shared = {s:?}` names the type of a `oneof`'s choices: a `oneof` and a CamelCase name"
            ));
        }
    }
    let sub = |list: &Option<Vec<spec::Arg>>, place: Place, errs: &mut Vec<String>| {
        let mut out = Vec::new();
        let mut inner = Vec::new();
        for s in list.iter().flatten() {
            out.extend(convert_for(s, place, enum_prefix, cmd, &mut inner));
        }
        check_counts(&out, &mut inner);
        errs.extend(inner.into_iter().map(|e| format!("{here}: {e}")));
        out
    };
    let kind = match ty {
        "key" => Kind::Key,
        "value" => Kind::Value,
        "pattern" => Kind::Pattern,
        "integer" => Kind::Integer,
        "double" => Kind::Double,
        "unix-time" => Kind::UnixTime,
        "token" => {
            if token.is_none() {
                errs.push(format!("{here}: a `token` argument needs `token`"));
            }
            Kind::Token
        }
        "oneof" => {
            let choices = sub(&a.choices, Place::Choice, errs);
            if choices.len() < 2 && a.choices.as_ref().is_some_and(|c| c.len() < 2) {
                errs.push(format!("{here}: a `oneof` needs at least two choices"));
            }
            check_unique(&choices, &here, errs);
            Kind::OneOf {
                enum_name: a
                    .shared
                    .clone()
                    .unwrap_or_else(|| format!("{enum_prefix}{}", names::camel(&a.name))),
                choices,
            }
        }
        "block" => {
            let members = sub(&a.args, Place::Member, errs);
            if a.args.as_ref().is_some_and(Vec::is_empty) {
                errs.push(format!("{here}: a `block` needs members"));
            }
            check_unique(&members, &here, errs);
            Kind::Block(members)
        }
        other => {
            errs.push(format!(
                "{here}: unknown type `{other}` (expected key, value, pattern, integer, \
                 double, unix-time, token, oneof or block)"
            ));
            return None;
        }
    };
    let mut specials = Vec::new();
    let mut ident = ident;
    let kind = match kind {
        Kind::OneOf { choices, .. } if a.as_value => {
            let (values, tokens): (Vec<_>, Vec<_>) =
                choices.iter().partition(|c| c.kind != Kind::Token);
            match values.as_slice() {
                [one] if matches!(one.kind, Kind::Value | Kind::Key) && !one.multiple => {
                    specials = tokens
                        .iter()
                        .filter_map(|c| Some((c.token.clone()?, c.name.clone())))
                        .collect();
                    ident.clone_from(&one.ident);
                    one.kind.clone()
                }
                _ => {
                    errs.push(format!(
                        "{here}: `as_value` is for a `oneof` of one value and pure tokens"
                    ));
                    return None;
                }
            }
        }
        _ if a.as_value => {
            errs.push(format!("{here}: `as_value` is for a `oneof`"));
            return None;
        }
        k => k,
    };
    let display = a.display.clone().unwrap_or_else(|| match (&kind, &token) {
        _ if !specials.is_empty() => {
            let mut alts: Vec<_> = specials.iter().map(|(t, _)| t.as_str()).collect();
            alts.push(&ident);
            format!("<{}>", alts.join(" | "))
        }
        (Kind::Token, Some(t)) => t.clone(),
        _ => a.name.clone(),
    });
    let counter = kind == Kind::Integer && !a.optional && !a.multiple && token.is_none();
    if a.counts.is_some() && !counter {
        errs.push(format!(
            "{here}: `counts` is for a required integer without a token (a count such as `numfields`)"
        ));
    }
    let need = cmd.and_then(|(name, avail)| {
        let mut local = Vec::new();
        let need = avail::arg(a, avail, &mut local);
        errs.extend(local.into_iter().map(|e| format!("{here}: {e}")));
        need.map(|avail| Need {
            avail,
            what: format!("{name} with `{}`", a.token.as_deref().unwrap_or(&a.name)),
        })
    });
    let mut out = Arg {
        name: a.name.clone(),
        ident,
        kind,
        token,
        // A choice is never optional on its own (Redis's JSON says so at times).
        optional: a.optional && place != Place::Choice,
        multiple: a.multiple,
        multiple_token: a.multiple_token,
        spread: false,
        since: a.since.clone(),
        need,
        counts: a.counts.clone(),
        shared: a.shared.is_some() && ty == "oneof" && !a.as_value,
        specials,
        shortcuts: Vec::new(),
        display,
    };
    out.shortcuts = shortcuts(&out, &a.shortcuts, &here, errs);
    Some(out)
}

/// The common forms of block `a` (FORMAT.md `shortcuts`).
fn shortcuts(a: &Arg, list: &[spec::Shortcut], here: &str, errs: &mut Vec<String>) -> Vec<Arg> {
    let Kind::Block(members) = &a.kind else {
        if !list.is_empty() {
            errs.push(format!("{here}: `shortcuts` is for an optional block"));
        }
        return Vec::new();
    };
    if !list.is_empty() && (!a.optional || a.multiple) {
        errs.push(format!("{here}: `shortcuts` is for an optional block"));
    }
    let mut out = Vec::new();
    for s in list {
        // Choosing a choice of a required `oneof` is what a form is for.
        let mut m = members.clone();
        let missing: Vec<String> = s
            .with
            .iter()
            .filter(|w| {
                let hit = |a: &Arg| {
                    a.token
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(w))
                };
                require(&mut m, &hit, true).is_none()
            })
            .map(|w| format!("`with` names `{w}`, which is not a token of the block"))
            .collect();
        match if missing.is_empty() {
            Ok(m)
        } else {
            Err(missing)
        } {
            Ok(m) => {
                let mut form = a.clone();
                form.optional = false;
                form.shortcuts.clear();
                form.kind = Kind::Block(m.into_iter().filter(|m| !m.optional).collect());
                match names::ident(&s.method) {
                    Some(i) if i == s.method => form.ident = i,
                    _ => errs.push(format!(
                        "{here}: shortcut `{}` is not a usable method name",
                        s.method
                    )),
                }
                out.push(form);
            }
            Err(e) => errs.extend(
                e.into_iter()
                    .map(|e| format!("{here}: shortcut `{}`: {e}", s.method)),
            ),
        }
    }
    out
}

/// Each `counts` must name the list right after it, a list without a token
/// whose items have a fixed number of arguments.
pub fn check_counts(args: &[Arg], errs: &mut Vec<String>) {
    for (i, a) in args.iter().enumerate() {
        let Some(list) = &a.counts else { continue };
        let next = args.get(i + 1).filter(|n| n.name == *list);
        let Some(next) = next else {
            errs.push(format!(
                "argument `{}`: `counts` names `{list}`, which is not the argument right after it",
                a.name
            ));
            continue;
        };
        if !next.multiple || next.token.is_some() || next.optional || item_width(next).is_none() {
            errs.push(format!(
                "argument `{}`: `counts` needs `{list}` to be a required list without a token \
                 whose items have a fixed number of arguments",
                a.name
            ));
        }
    }
}

/// How many arguments one item of `a` writes, when that is fixed.
pub fn item_width(a: &Arg) -> Option<usize> {
    let own = match &a.kind {
        Kind::OneOf { .. } => return None,
        Kind::Block(m) => m
            .iter()
            .map(|m| {
                if m.optional || m.multiple {
                    None
                } else {
                    item_width(m)
                }
            })
            .sum::<Option<usize>>()?,
        _ => 1,
    };
    Some(own + usize::from(a.token.is_some() && a.kind != Kind::Token))
}

/// Every count the generated code computes, at any depth: (count, list).
pub fn counters(args: &[Arg]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if counts_next(args, i) {
            if let Some(next) = args.get(i + 1) {
                out.push((a.name.clone(), next.name.clone()));
            }
        }
        if let Kind::Block(m) | Kind::OneOf { choices: m, .. } = &a.kind {
            out.extend(counters(m));
        }
    }
    out
}

/// Names of siblings must differ: they become parameters, fields or variants.
pub fn check_unique(args: &[Arg], here: &str, errs: &mut Vec<String>) {
    for (i, a) in args.iter().enumerate() {
        if args[..i].iter().any(|b| b.ident == a.ident) {
            errs.push(format!("{here}: two arguments are named `{}`", a.name));
        }
    }
}

/// The argument as the Redis syntax line shows it, e.g. `[EX seconds | PX milliseconds]`.
pub fn syntax(a: &Arg) -> String {
    let inner = match &a.kind {
        Kind::Token => a.token.clone().unwrap_or_default(),
        Kind::OneOf { choices, .. } => {
            let alts: Vec<_> = choices.iter().map(syntax).collect();
            if a.optional {
                alts.join(" | ")
            } else {
                format!("<{}>", alts.join(" | "))
            }
        }
        Kind::Block(members) => members.iter().map(syntax).collect::<Vec<_>>().join(" "),
        _ => a.display.clone(),
    };
    let token = match (&a.kind, &a.token) {
        (Kind::Token, _) | (_, None) => String::new(),
        (_, Some(t)) => format!("{t} "),
    };
    let s = match (a.multiple, a.multiple_token) {
        (true, true) => format!("{token}{inner} [{token}{inner} ...]"),
        (true, false) => format!("{token}{inner} [{inner} ...]"),
        (false, _) => format!("{token}{inner}"),
    };
    if a.optional {
        format!("[{s}]")
    } else {
        s
    }
}

/// Applies a variant's `required` and `with` lists (FORMAT.md "Variants").
///
/// `required` names optional arguments, or members of an optional block,
/// that become positional; `with` names tokens (of an argument, of a block
/// member, or of a `oneof` choice) that are always sent. Whatever is named
/// becomes required, and so does a block holding it; a named choice replaces
/// its `oneof`.
pub fn apply_variant(
    args: &[Arg],
    required: &[String],
    with: &[String],
) -> Result<Vec<Arg>, Vec<String>> {
    let mut out = args.to_vec();
    let mut errs = Vec::new();
    let lists = [(required, "required", false), (with, "with", true)];
    for (list, field, by_token) in lists {
        for w in list {
            let hit = |a: &Arg| {
                if by_token {
                    a.token
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(w))
                } else {
                    a.name == *w
                }
            };
            match require(&mut out, &hit, by_token) {
                Some(true) => {}
                Some(false) => {
                    errs.push(format!("`{field}` names `{w}`, which is already required"))
                }
                None => errs.push(format!(
                    "`{field}` names `{w}`, which is not {} of this command",
                    if by_token {
                        "the token of an argument, a block member or a `oneof` choice"
                    } else {
                        "an optional argument or a member of an optional block"
                    }
                )),
            }
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// Makes the first argument matching `hit` required (searching block members
/// and, for tokens, `oneof` choices). `Some(false)` when it already was.
fn require(args: &mut [Arg], hit: &dyn Fn(&Arg) -> bool, choices: bool) -> Option<bool> {
    for a in args.iter_mut() {
        if hit(a) {
            let was = a.optional;
            a.optional = false;
            return Some(was);
        }
        let found = match &mut a.kind {
            Kind::OneOf { choices: cs, .. } if choices && !a.multiple => {
                if let Some(c) = cs.iter().find(|c| hit(c)).cloned() {
                    // Choosing one choice narrows even a required `oneof`.
                    *a = c;
                    return Some(true);
                }
                None
            }
            Kind::Block(members) if !a.multiple => require(members, hit, choices),
            _ => None,
        };
        if let Some(changed) = found {
            let was = a.optional;
            a.optional = false;
            return Some(changed || was);
        }
    }
    None
}

/// True when `args[i]` is a `numkeys` count of the list right after it
/// (`ZINTERSTORE destination numkeys key [key ...]`, `EVAL script numkeys
/// [key ...]`): the generated method computes it instead of asking for it.
pub fn counts_next(args: &[Arg], i: usize) -> bool {
    let (Some(a), Some(next)) = (args.get(i), args.get(i + 1)) else {
        return false;
    };
    if a.counts.as_deref() == Some(next.name.as_str()) {
        return true;
    }
    a.name == "numkeys"
        && a.kind == Kind::Integer
        && !a.optional
        && !a.multiple
        && a.token.is_none()
        && next.multiple
        && next.token.is_none()
        && matches!(
            next.kind,
            Kind::Key | Kind::Value | Kind::Pattern | Kind::Integer | Kind::Double
        )
}

/// The argument position (0 = the command name) of every top-level `key`
/// argument whose position does not depend on the call, given how many words
/// the command name has.
pub fn fixed_key_positions(args: &[Arg], name_words: usize) -> Vec<(usize, &Arg)> {
    fn width(a: &Arg) -> Option<usize> {
        if a.optional || a.multiple {
            return None;
        }
        let own = match &a.kind {
            Kind::OneOf { .. } => return None,
            Kind::Block(m) => m.iter().map(width).sum::<Option<usize>>()?,
            _ => 1,
        };
        Some(own + usize::from(a.token.is_some() && a.kind != Kind::Token))
    }
    let mut pos = name_words;
    let mut out = Vec::new();
    for a in args {
        if a.kind == Kind::Key && !a.optional && !a.multiple {
            out.push((pos + usize::from(a.token.is_some()), a));
        }
        match width(a) {
            Some(w) => pos += w,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Arg {
        fn walk_all(&self) -> Vec<&Arg> {
            let mut v = Vec::new();
            self.walk(&mut |a| v.push(a));
            v
        }
    }

    fn arg(toml: &str) -> Result<Arg, Vec<String>> {
        let a: spec::Arg = toml::from_str(toml).map_err(|e| vec![e.to_string()])?;
        let mut errs = Vec::new();
        let out = convert(&a, Place::TopLevel, "Set", &mut errs);
        match out {
            Some(a) if errs.is_empty() => Ok(a),
            _ => Err(errs),
        }
    }

    const EXPIRATION: &str = r#"
        name = "expiration"
        type = "oneof"
        optional = true
        choices = [
            { name = "ex", token = "EX", type = "integer", display = "seconds" },
            { name = "keepttl", token = "KEEPTTL" },
        ]"#;

    #[test]
    fn syntax_lines() {
        assert_eq!(syntax(&arg(EXPIRATION).unwrap()), "[EX seconds | KEEPTTL]");
        let keys = arg(r#"name = "key"
            type = "key"
            multiple = true"#)
        .unwrap();
        assert_eq!(syntax(&keys), "key [key ...]");
        let get = arg(r#"name = "pattern"
            type = "pattern"
            token = "GET"
            optional = true
            multiple = true
            multiple_token = true"#)
        .unwrap();
        assert_eq!(syntax(&get), "[GET pattern [GET pattern ...]]");
        let data = arg(r#"name = "data"
            type = "block"
            multiple = true
            args = [{ name = "key", type = "key" }, { name = "value", type = "value" }]"#)
        .unwrap();
        assert_eq!(syntax(&data), "key value [key value ...]");
    }

    #[test]
    fn enum_names_and_idents() {
        let a = arg(EXPIRATION).unwrap();
        assert!(matches!(&a.kind, Kind::OneOf { enum_name, .. } if enum_name == "SetExpiration"));
        let t = arg(r#"name = "type"
            type = "value""#)
        .unwrap();
        assert_eq!(t.ident, "type_");
    }

    #[test]
    fn rejects_bad_arguments() {
        let e = arg(r#"name = "x"
            type = "strnig""#)
        .unwrap_err();
        assert!(e[0].contains("unknown type `strnig`"), "{e:?}");
        assert!(arg(r#"name = "Key"
            type = "key""#)
        .is_err());
        assert!(arg(r#"name = "t"
            type = "token""#)
        .is_err());
        assert!(arg(r#"name = "o"
            type = "oneof"
            choices = [{ name = "a", token = "A" }, { name = "a", token = "B" }]"#)
        .is_err());
        assert!(arg(r#"name = "v"
            type = "value"
            multiple_token = true"#)
        .is_err());
        assert!(arg(r#"name = "v"
            type = "value"
            args = []"#)
        .is_err());
        // An empty token is one empty argument, only as a choice.
        assert!(arg(r#"name = "t"
            type = "token"
            token = """#)
        .is_err());
        assert!(arg(r#"name = "o"
            type = "oneof"
            choices = [{ name = "key", type = "key" }, { name = "empty", token = "" }]"#)
        .is_ok());
    }

    #[test]
    fn with_makes_arguments_required() {
        let get = arg(r#"name = "get"
            type = "token"
            token = "GET"
            optional = true"#)
        .unwrap();
        let exp = arg(EXPIRATION).unwrap();
        let args = vec![get, exp];
        let out = apply_variant(&args, &[], &["GET".into(), "EX".into()]).unwrap();
        assert!(!out[0].optional);
        assert_eq!(out[1].name, "ex");
        assert!(!out[1].optional);
        assert!(apply_variant(&args, &[], &["GETX".into()]).is_err());
        assert!(apply_variant(&out, &[], &["GET".into()]).is_err());
        assert!(apply_variant(&args, &["get".into()], &[]).is_ok());
        assert!(apply_variant(&args, &["GET".into()], &[]).is_err());
    }

    #[test]
    fn required_reaches_into_blocks() {
        let opts = arg(r#"name = "options"
            type = "block"
            optional = true
            args = [
                { name = "count", type = "integer" },
                { name = "withvalues", type = "token", token = "WITHVALUES", optional = true },
            ]"#)
        .unwrap();
        let args = vec![opts];
        let out = apply_variant(&args, &["count".into()], &["WITHVALUES".into()]).unwrap();
        assert!(!out[0].optional);
        assert!(out[0].walk_all().iter().all(|a| !a.optional));
        let only_count = apply_variant(&args, &["count".into()], &[]).unwrap();
        assert_eq!(syntax(&only_count[0]), "count [WITHVALUES]");
    }

    #[test]
    fn key_positions() {
        let a = |t: &str| arg(t).unwrap();
        let args = vec![
            a(r#"name = "numkeys"
                type = "integer""#),
            a(r#"name = "key"
                type = "key"
                token = "FROM""#),
            a(r#"name = "x"
                type = "value"
                optional = true"#),
            a(r#"name = "key2"
                type = "key""#),
        ];
        let pos: Vec<_> = fixed_key_positions(&args, 2)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(pos, vec![4]);
    }
}
