//! The reply type grammar of FORMAT.md "Replies": a tiny Rust type syntax.

/// A parsed reply type.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Unit,
    Bool,
    I64,
    U64,
    F64,
    String,
    Value,
    Bytes,
    /// A caller-chosen type: a single upper-case letter.
    Param(char),
    Option(Box<Reply>),
    Vec(Box<Reply>),
    /// A `HashSet`: its items need `Eq + Hash`, as map keys do.
    Set(Box<Reply>),
    Map(Box<Reply>, Box<Reply>),
    Tuple(Vec<Reply>),
    /// A reply type of `tornadis::value` (one of [`NAMED`]).
    Named(&'static str),
    /// A generic reply type of `tornadis::value` (one of [`GENERIC`]) with
    /// its type arguments: `StreamEntry<V>`.
    Generic(&'static str, Vec<Reply>),
    /// A list of pairs whose outer shape the caller picks (`Pairs<V, f64>`):
    /// the method's type parameter `P`, bound by `PairList<V, f64>`, so a
    /// `Vec<(V, f64)>`, a `HashMap` or a `BTreeMap`.
    Pairs(Box<Reply>, Box<Reply>),
}

impl Reply {
    /// The `Pairs` inside this type, if any (at most one per reply).
    pub fn pairs(&self) -> Option<(&Reply, &Reply)> {
        match self {
            Reply::Pairs(k, v) => Some((k, v)),
            Reply::Option(t) | Reply::Vec(t) | Reply::Set(t) => t.pairs(),
            Reply::Map(k, v) => k.pairs().or_else(|| v.pairs()),
            Reply::Tuple(ts) | Reply::Generic(_, ts) => ts.iter().find_map(Reply::pairs),
            _ => None,
        }
    }
}

/// Reply types the library defines for replies with a fixed meaning.
pub const NAMED: &[&str] = &[
    "FieldExpire",
    "FieldPersist",
    "FieldTtl",
    "EntryDeletion",
    "PendingSummary",
    "PendingEntry",
];

/// Generic reply types the library defines, each with one type argument
/// (the type of the stream fields' values).
pub const GENERIC: &[&str] = &["StreamEntry", "StreamKey", "AutoClaim"];

impl Reply {
    /// The type parameters in order of first appearance, each with whether it
    /// is used as a map key (and so needs `Eq + Hash`).
    pub fn params(&self) -> Vec<(char, bool)> {
        let mut out = Vec::new();
        self.collect(false, &mut out);
        out
    }

    fn collect(&self, key: bool, out: &mut Vec<(char, bool)>) {
        match self {
            Reply::Param(c) => match out.iter_mut().find(|(p, _)| p == c) {
                Some(entry) => entry.1 |= key,
                None => out.push((*c, key)),
            },
            Reply::Option(t) | Reply::Vec(t) => t.collect(key, out),
            Reply::Set(t) => t.collect(true, out),
            Reply::Map(k, v) => {
                k.collect(true, out);
                v.collect(key, out);
            }
            Reply::Tuple(ts) | Reply::Generic(_, ts) => ts.iter().for_each(|t| t.collect(key, out)),
            Reply::Pairs(k, v) => {
                k.collect(key, out);
                v.collect(key, out);
            }
            _ => {}
        }
    }
}

/// Parses a reply type, or says what is wrong with it.
pub fn parse(text: &str) -> Result<Reply, String> {
    let tokens = lex(text)?;
    let mut p = Parser { tokens, pos: 0 };
    let reply = p.ty()?;
    if reply.pairs().is_some() && reply.params().iter().any(|(c, _)| *c == 'P') {
        return Err("`P` is the type parameter of `Pairs`: name the others differently".into());
    }
    match p.peek() {
        None => Ok(reply),
        Some(t) => Err(format!("unexpected `{t}` after the type")),
    }
}

fn lex(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let mut word = String::new();
            while let Some(&c) = chars
                .peek()
                .filter(|c| c.is_ascii_alphanumeric() || **c == '_')
            {
                word.push(c);
                chars.next();
            }
            out.push(word);
        } else if "<>(),".contains(c) {
            out.push(c.to_string());
            chars.next();
        } else {
            return Err(format!("unexpected character `{c}`"));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<String>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Result<String, String> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t.ok_or_else(|| "unexpected end of the type".to_string())
    }

    fn expect(&mut self, want: &str) -> Result<(), String> {
        match self.next()? {
            t if t == want => Ok(()),
            t => Err(format!("expected `{want}`, found `{t}`")),
        }
    }

    fn ty(&mut self) -> Result<Reply, String> {
        let t = self.next()?;
        Ok(match t.as_str() {
            "(" => {
                let mut items = Vec::new();
                if self.peek() != Some(")") {
                    loop {
                        items.push(self.ty()?);
                        if self.peek() == Some(",") {
                            self.pos += 1;
                            if self.peek() == Some(")") {
                                break;
                            }
                        } else {
                            break;
                        }
                    }
                }
                self.expect(")")?;
                match items.len() {
                    0 => Reply::Unit,
                    1 => return Err("a one-element tuple is not a useful reply type".into()),
                    _ => Reply::Tuple(items),
                }
            }
            "bool" => Reply::Bool,
            "i64" => Reply::I64,
            "u64" => Reply::U64,
            "f64" => Reply::F64,
            "String" => Reply::String,
            "Value" => Reply::Value,
            "Bytes" => Reply::Bytes,
            "Option" | "Vec" | "Set" => {
                self.expect("<")?;
                let inner = Box::new(self.ty()?);
                self.expect(">")?;
                match t.as_str() {
                    "Option" => Reply::Option(inner),
                    "Vec" => Reply::Vec(inner),
                    _ => Reply::Set(inner),
                }
            }
            "Pairs" => {
                self.expect("<")?;
                let k = self.ty()?;
                self.expect(",")?;
                let v = self.ty()?;
                self.expect(">")?;
                if k.pairs().is_some() || v.pairs().is_some() {
                    return Err("`Pairs` cannot hold another `Pairs`".into());
                }
                Reply::Pairs(Box::new(k), Box::new(v))
            }
            "Map" => {
                self.expect("<")?;
                let k = self.ty()?;
                self.expect(",")?;
                let v = self.ty()?;
                self.expect(">")?;
                Reply::Map(Box::new(k), Box::new(v))
            }
            _ if GENERIC.contains(&t.as_str()) => {
                self.expect("<")?;
                let inner = self.ty()?;
                self.expect(">")?;
                let n = GENERIC
                    .iter()
                    .copied()
                    .find(|n| *n == t)
                    .unwrap_or_default();
                Reply::Generic(n, vec![inner])
            }
            _ if NAMED.contains(&t.as_str()) => {
                Reply::Named(NAMED.iter().copied().find(|n| *n == t).unwrap_or_default())
            }
            _ => {
                let mut chars = t.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii_uppercase() => Reply::Param(c),
                    _ => return Err(format!("unknown type `{t}`")),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_grammar() {
        assert_eq!(parse("()"), Ok(Reply::Unit));
        assert_eq!(
            parse("Option<V>"),
            Ok(Reply::Option(Box::new(Reply::Param('V'))))
        );
        assert_eq!(
            parse("Vec<(Bytes, f64)>"),
            Ok(Reply::Vec(Box::new(Reply::Tuple(vec![
                Reply::Bytes,
                Reply::F64
            ]))))
        );
        assert_eq!(
            parse(" Map< K , Vec<V> > "),
            Ok(Reply::Map(
                Box::new(Reply::Param('K')),
                Box::new(Reply::Vec(Box::new(Reply::Param('V'))))
            ))
        );
        assert_eq!(parse("(i64, u64, bool,)").map(|r| r.params()), Ok(vec![]));
    }

    #[test]
    fn collects_params_and_map_keys() {
        let r = parse("(Map<K, V>, Vec<K>, Option<T>)").unwrap();
        assert_eq!(r.params(), vec![('K', true), ('V', false), ('T', false)]);
        let r = parse("(Vec<V>, Set<V>, Set<Option<M>>)").unwrap();
        assert_eq!(r.params(), vec![('V', true), ('M', true)]);
    }

    #[test]
    fn rejects_bad_types() {
        assert_eq!(parse("Option<V"), Err("unexpected end of the type".into()));
        assert_eq!(parse("HashMap<K, V>"), Err("unknown type `HashMap`".into()));
        assert_eq!(parse("Vec<VV>"), Err("unknown type `VV`".into()));
        assert_eq!(parse("Map<K>"), Err("expected `,`, found `>`".into()));
        assert_eq!(
            parse("i64 i64"),
            Err("unexpected `i64` after the type".into())
        );
        assert_eq!(parse("&str"), Err("unexpected character `&`".into()));
        assert!(parse("(V)").is_err());
        assert!(parse("").is_err());
    }
}
