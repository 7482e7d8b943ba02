//! The [`Value`] type: one decoded RESP2 or RESP3 reply.

use bytes::Bytes;

/// One reply from the server, in any RESP2 or RESP3 shape.
///
/// Strings are kept as [`Bytes`] slices of the connection's read buffer, so
/// decoding a reply copies no payload. Turn a `Value` into a Rust type with
/// [`FromValue`](crate::FromValue) (or serde), or match on it directly.
///
/// An error reply nested inside an aggregate (for example one failed command
/// inside an `EXEC` result) is kept as [`Value::Error`]; an error reply at the
/// top level is turned into an [`Error`](crate::Error) of kind
/// [`ErrorKind::Server`](crate::ErrorKind::Server) by the client.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// The null reply: RESP2 `$-1`/`*-1`, RESP3 `_`.
    Nil,
    /// A simple string (`+OK`).
    SimpleString(Bytes),
    /// An error reply (`-ERR ...` or RESP3 blob error `!`).
    Error(ServerError),
    /// An integer (`:42`).
    Integer(i64),
    /// A bulk string (`$3\r\nfoo`).
    Bulk(Bytes),
    /// An array (`*`).
    Array(Vec<Value>),
    /// A RESP3 map (`%`), with its pairs in the order the server sent them.
    Map(Vec<(Value, Value)>),
    /// A RESP3 set (`~`), in the order the server sent its members.
    Set(Vec<Value>),
    /// A RESP3 double (`,3.14`), including `inf`, `-inf` and `nan`.
    Double(f64),
    /// A RESP3 boolean (`#t` / `#f`).
    Boolean(bool),
    /// A RESP3 big number (`(123...`), as its decimal digits (with an optional leading `-`).
    BigNumber(Bytes),
    /// A RESP3 verbatim string (`=`): a three-byte format such as `txt` or `mkd`, and the text.
    Verbatim {
        /// The format, e.g. `b"txt"`.
        format: [u8; 3],
        /// The text after the `xxx:` prefix.
        text: Bytes,
    },
    /// A RESP3 push message (`>`), such as a pub/sub message or an invalidation.
    Push(Vec<Value>),
    /// A RESP3 attribute (`|`) and the reply it annotates.
    Attribute {
        /// The attribute map.
        attributes: Vec<(Value, Value)>,
        /// The reply that followed the attributes.
        value: Box<Value>,
    },
}

/// An error reply sent by the server, such as `WRONGTYPE Operation against a key ...`.
///
/// The first word is the error code (`ERR`, `WRONGTYPE`, `MOVED`, `NOAUTH`, ...);
/// the rest is the message.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServerError {
    raw: Bytes,
}

impl ServerError {
    /// Wraps the raw text of an error reply (without the leading `-` and trailing CRLF).
    pub fn new(raw: Bytes) -> Self {
        ServerError { raw }
    }

    /// The whole error text as the server sent it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The error code: the first word of the reply, e.g. `WRONGTYPE`.
    pub fn code(&self) -> &str {
        let end = self
            .raw
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(self.raw.len());
        std::str::from_utf8(&self.raw[..end]).unwrap_or("ERR")
    }

    /// The message after the code (the whole text when there is no space).
    pub fn message(&self) -> &str {
        let text = std::str::from_utf8(&self.raw).unwrap_or("(error reply is not UTF-8)");
        match text.split_once(' ') {
            Some((_, rest)) => rest,
            None => text,
        }
    }
}

impl std::fmt::Debug for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerError({:?})", String::from_utf8_lossy(&self.raw))
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.raw))
    }
}

impl Value {
    /// A short description of the value's shape for error messages,
    /// e.g. `array of 3 elements` or `bulk string of 5 bytes`.
    pub fn shape(&self) -> String {
        match self {
            Value::Nil => "nil".into(),
            Value::SimpleString(s) => format!(
                "simple string {:?}",
                String::from_utf8_lossy(&s[..s.len().min(32)])
            ),
            Value::Error(e) => format!("error reply {:?}", e.code()),
            Value::Integer(i) => format!("integer {i}"),
            Value::Bulk(b) => format!("bulk string of {} bytes", b.len()),
            Value::Array(a) => format!("array of {} elements", a.len()),
            Value::Map(m) => format!("map of {} entries", m.len()),
            Value::Set(s) => format!("set of {} members", s.len()),
            Value::Double(d) => format!("double {d}"),
            Value::Boolean(b) => format!("boolean {b}"),
            Value::BigNumber(_) => "big number".into(),
            Value::Verbatim { text, .. } => format!("verbatim string of {} bytes", text.len()),
            Value::Push(p) => format!("push message of {} elements", p.len()),
            Value::Attribute { value, .. } => format!("attribute-annotated {}", value.shape()),
        }
    }

    /// True for [`Value::Nil`].
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
}
