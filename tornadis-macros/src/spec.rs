//! Stage 1: the spec files as written, deserialized with serde.
//!
//! These types mirror `commands/FORMAT.md` one to one and check nothing beyond
//! the TOML shape (unknown fields are refused so that typos surface); the
//! meaning is checked in `model`.

use serde::Deserialize;
use toml::Spanned;

/// One spec file: a command group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub group: String,
    /// The group's overview, shown on its documentation page (FORMAT.md "Files").
    pub doc: Option<String>,
    #[serde(default)]
    pub command: Vec<Spanned<Command>>,
}

/// One `[[command]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub name: String,
    pub method: Option<String>,
    pub summary: String,
    pub since: String,
    /// The first Redis version with the command (FORMAT.md "Availability").
    pub redis: Option<String>,
    /// The first Valkey version with the command.
    pub valkey: Option<String>,
    /// Where Valkey's `COMMAND INFO` differs from `flags`: `+flag` / `-flag`.
    #[serde(default)]
    pub valkey_flags: Vec<String>,
    /// Where Valkey's arity differs from `arity`.
    pub valkey_arity: Option<i32>,
    pub arity: i32,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub keys: Vec<KeySpec>,
    pub reply: Option<String>,
    #[serde(default)]
    pub args: Vec<Arg>,
    pub doc: Option<String>,
    pub deprecated: Option<String>,
    #[serde(default)]
    pub skip_method: bool,
    pub blocking_timeout: Option<String>,
    /// Routing facts (FORMAT.md "Routing"): `own` or `takeover`.
    pub connection: Option<String>,
    /// What a `connection_state` command changes: `transaction`, `db` or `session`.
    pub state: Option<String>,
    /// The cluster's request policy (the server's command tip).
    pub request_policy: Option<String>,
    /// The cluster's response policy (the server's command tip).
    pub response_policy: Option<String>,
    /// The argument naming the script or function run (FORMAT.md "Telemetry").
    pub stored_procedure: Option<String>,
    #[serde(default)]
    pub single: Vec<String>,
    #[serde(default)]
    pub as_args: Vec<String>,
    #[serde(default)]
    pub without: Vec<String>,
    pub plain_reply: Option<String>,
    #[serde(default)]
    pub variant: Vec<Variant>,
}

/// One `[[command.variant]]` table: another method for the same command.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub method: String,
    #[serde(default)]
    pub with: Vec<String>,
    #[serde(default)]
    pub required: Vec<String>,
    pub reply: String,
    pub summary: Option<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub single: Vec<String>,
    #[serde(default)]
    pub as_args: Vec<String>,
    #[serde(default)]
    pub without: Vec<String>,
    pub plain_reply: Option<String>,
}

/// How one method reshapes the command's arguments (FORMAT.md "Method
/// shapes"): the fields of the same names on a command (where they apply to
/// the command's own method only) or on a variant.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    /// Lists taken as exactly one item, in plain parameters.
    pub single: &'a [String],
    /// Lists taken as one `impl ToArgs` parameter.
    pub as_args: &'a [String],
    /// Optional arguments (by name or token) this method does not offer.
    pub without: &'a [String],
    /// The reply of the plain form, which sends no optional argument.
    pub plain_reply: Option<&'a str>,
}

macro_rules! shape_of {
    ($t:ty) => {
        impl $t {
            /// The method shape fields.
            pub fn shape(&self) -> Shape<'_> {
                Shape {
                    single: &self.single,
                    as_args: &self.as_args,
                    without: &self.without,
                    plain_reply: self.plain_reply.as_deref(),
                }
            }
        }
    };
}
shape_of!(Command);
shape_of!(Variant);

/// A key spec; which fields are set tells the form (see FORMAT.md "Keys").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub step: Option<i64>,
    pub numkeys: Option<i64>,
    pub keyword: Option<String>,
    pub from: Option<i64>,
    pub count: Option<i64>,
}

/// An argument, a `oneof` choice or a `block` member.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arg {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub token: Option<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub multiple_token: bool,
    pub since: Option<String>,
    /// Servers that have this argument, where fewer than the command's.
    pub redis: Option<String>,
    pub valkey: Option<String>,
    /// For an integer: the name of the list right after it whose length it is.
    pub counts: Option<String>,
    /// For a `oneof`: the name of the Rust type its choices make, shared
    /// with every other argument that names it.
    pub shared: Option<String>,
    /// For a `oneof` of one value and pure tokens: take it as that value,
    /// the tokens being strings the value may be (`*` for XADD's ID).
    #[serde(default)]
    pub as_value: bool,
    /// For an optional block: builder methods for its common forms.
    #[serde(default)]
    pub shortcuts: Vec<Shortcut>,
    pub choices: Option<Vec<Arg>>,
    pub args: Option<Vec<Arg>>,
    pub display: Option<String>,
}

/// A builder method that sends a block in one common form (`maxlen_approx`):
/// the tokens in `with` chosen, its other optional members left out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shortcut {
    pub method: String,
    pub with: Vec<String>,
}

/// Parses one file. The error carries the byte range it refers to, if known.
pub fn parse(text: &str) -> Result<File, (String, Option<std::ops::Range<usize>>)> {
    toml::from_str(text).map_err(|e| (e.message().to_string(), e.span()))
}
