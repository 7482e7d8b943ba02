//! Turning spec names into Rust identifiers.

/// Words that cannot be identifiers (strict and reserved keywords of Rust 2021),
/// plus names the generated code uses itself.
const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// `client-id` → `client_id`. `None` when the name has characters other than
/// ASCII letters, digits, `-` and `_`, or does not start with a letter.
pub fn snake(name: &str) -> Option<String> {
    let first = name.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    for ch in name.chars() {
        match ch {
            'a'..='z' | '0'..='9' | '_' => out.push(ch),
            'A'..='Z' => out.push(ch.to_ascii_lowercase()),
            '-' | ' ' => out.push('_'),
            _ => return None,
        }
    }
    Some(out)
}

/// A snake-case identifier that may be used as a parameter or builder method
/// name: keywords get a trailing `_` (`type` → `type_`).
pub fn ident(name: &str) -> Option<String> {
    let s = snake(name)?;
    Some(if is_reserved(&s) { format!("{s}_") } else { s })
}

/// True for Rust keywords.
pub fn is_reserved(s: &str) -> bool {
    RESERVED.contains(&s)
}

/// `client_kill` / `client-kill` / `CLIENT KILL` → `ClientKill`.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split(['_', '-', ' ']) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("client-id").as_deref(), Some("client_id"));
        assert_eq!(snake("CLIENT KILL").as_deref(), Some("client_kill"));
        assert_eq!(snake("9lives"), None);
        assert_eq!(snake("a*b"), None);
        assert_eq!(ident("type").as_deref(), Some("type_"));
        assert_eq!(ident("key").as_deref(), Some("key"));
        assert_eq!(camel("client_kill"), "ClientKill");
        assert_eq!(camel("max-len"), "MaxLen");
        assert_eq!(camel("NX"), "Nx");
    }
}
