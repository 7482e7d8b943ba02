//! [`Cmd`]: a command and its arguments, encoded once into RESP bytes.

use bytes::{BufMut, BytesMut};

use crate::command_info::{
    Availability, CommandInfo, Requirement, ServerInfo, Version, VALKEY_FIRST,
};
use crate::error::Error;
use crate::value::{ToArg, ToArgs};

/// Creates a command builder starting with the command name.
///
/// ```
/// use tornadis::cmd;
/// let mut c = cmd("SET");
/// c.arg("key").arg(42).arg_if(true, "NX");
/// assert_eq!(c.argc(), 4);
/// ```
pub fn cmd(name: &str) -> Cmd {
    let mut c = Cmd::new();
    c.arg(name);
    c
}

/// A command with its arguments, encoded straight into RESP bulk strings as
/// they are added, so a request is encoded exactly once.
///
/// The first argument is the command name (`"SET"`, or `"CLIENT"` followed by
/// `"KILL"` for a subcommand). An argument that cannot be encoded (a NaN score,
/// say) is recorded, and the command then fails with a client error before
/// anything is sent.
#[derive(Clone, Default)]
pub struct Cmd {
    /// `$len\r\nbytes\r\n` for each argument, back to back.
    body: BytesMut,
    argc: usize,
    error: Option<Error>,
    info: Option<&'static CommandInfo>,
    /// Options or reply shapes of a typed method that not every server has.
    needs: Needs,
    /// Built by a typed method ([`Cmd::for_command`]): checked against the
    /// server before sending. Raw commands never are, even once their
    /// metadata is attached for routing.
    typed: bool,
}

/// The requirements a command records: boxed, so that a command with none
/// (most commands) spends one word on them rather than a `Vec`'s three.
#[derive(Clone, Default, PartialEq, Eq)]
#[allow(clippy::box_collection)]
struct Needs(Option<Box<Vec<&'static Requirement>>>);

impl Needs {
    fn as_slice(&self) -> &[&'static Requirement] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    fn add(&mut self, need: &'static Requirement) {
        let list = self.0.get_or_insert_with(Default::default);
        if !list.contains(&need) {
            list.push(need);
        }
    }
}

/// The largest argument the server accepts by default (`proto-max-bulk-len`, 512 MB).
pub const MAX_ARG_LEN: usize = 512 * 1024 * 1024;

impl Cmd {
    /// An empty command; add the name and arguments with [`arg`](Cmd::arg).
    pub fn new() -> Self {
        Cmd {
            body: BytesMut::new(),
            argc: 0,
            error: None,
            info: None,
            needs: Needs::default(),
            typed: false,
        }
    }

    /// An empty command with room for `bytes` bytes of encoded arguments.
    pub fn with_capacity(bytes: usize) -> Self {
        Cmd {
            body: BytesMut::with_capacity(bytes),
            argc: 0,
            error: None,
            info: None,
            needs: Needs::default(),
            typed: false,
        }
    }

    /// A command for a command the spec table knows: writes its name (both
    /// words for a subcommand such as `CLIENT KILL`) and remembers its metadata,
    /// so routing needs no lookup. Used by the generated typed methods.
    pub fn for_command(info: &'static CommandInfo, capacity: usize) -> Self {
        let mut c = Cmd::with_capacity(capacity + info.name.len() + 16);
        // Split as bytes: names are short, and a `str` pattern search costs
        // more than the name's few bytes.
        for word in info.name.as_bytes().split(|&b| b == b' ') {
            c.arg_bytes(word);
        }
        c.info = Some(info);
        c.typed = true;
        c
    }

    /// Attaches the spec table's metadata found for a raw command, so that
    /// later steps (routing, error messages) need no second lookup.
    pub(crate) fn attach_info(&mut self, info: &'static CommandInfo) {
        self.info = Some(info);
    }

    /// The spec table's metadata for this command, when it came from a typed
    /// method (raw commands built with [`cmd`] have none attached).
    pub fn info(&self) -> Option<&'static CommandInfo> {
        self.info
    }

    /// Appends one argument.
    pub fn arg<A: ToArg>(&mut self, arg: A) -> &mut Self {
        arg.write_arg(ArgWriter { cmd: self });
        self
    }

    /// Appends zero or more arguments (a slice, a `Vec`, a tuple, ...).
    pub fn args<A: ToArgs>(&mut self, args: A) -> &mut Self {
        args.write_args(self);
        self
    }

    /// Appends an argument only when `cond` holds (handy for flags such as `"NX"`).
    pub fn arg_if<A: ToArg>(&mut self, cond: bool, arg: A) -> &mut Self {
        if cond {
            self.arg(arg);
        }
        self
    }

    /// Appends raw bytes as one argument.
    pub fn arg_bytes(&mut self, bytes: &[u8]) -> &mut Self {
        if bytes.len() > MAX_ARG_LEN {
            self.fail(Error::client(format!(
                "argument {} is {} bytes, over the server's 512 MB limit; split the value",
                self.argc,
                bytes.len()
            )));
            return self;
        }
        // `$`, at most 20 digits, CRLF, the bytes, CRLF.
        self.body.reserve(bytes.len() + 25);
        crate::resp::header(b'$', bytes.len(), &mut self.body);
        self.body.put_slice(bytes);
        self.body.put_slice(b"\r\n");
        self.argc += 1;
        self
    }

    /// Appends all arguments of `other` (its name included).
    pub fn append(&mut self, other: &Cmd) -> &mut Self {
        self.body.extend_from_slice(&other.body);
        self.argc += other.argc;
        if let Some(e) = &other.error {
            self.fail(e.clone());
        }
        for &need in other.needs.as_slice() {
            self.require(need);
        }
        self
    }

    /// Records that this command sends something (an option, a reply shape)
    /// that only some servers have. A client checks it, with the command's
    /// own [`availability`](CommandInfo::availability), against the server it
    /// is connected to before sending. Used by the generated typed methods.
    pub fn require(&mut self, need: &'static Requirement) -> &mut Self {
        self.needs.add(need);
        self
    }

    /// What this command needs beyond its command (see [`require`](Cmd::require)).
    pub fn requirements(&self) -> &[&'static Requirement] {
        self.needs.as_slice()
    }

    /// Checks that `server` has the command and everything it sends: the
    /// client error names what is missing. Raw commands pass unchecked.
    pub fn check_server(&self, server: ServerInfo) -> Result<(), Error> {
        match self.gate() {
            Some(gate) => gate.check(server),
            None => Ok(()),
        }
    }

    /// What a server must have to run this command, for a typed command
    /// (`None` too when every server has it all). Inlined: for most
    /// commands it is `None` after two comparisons.
    #[inline]
    pub(crate) fn gate(&self) -> Option<Gate> {
        let info = self.info.filter(|_| self.typed)?;
        if info.availability.everywhere() && self.needs.as_slice().is_empty() {
            return None;
        }
        Some(self.gate_of(info))
    }

    /// The gate itself, built only for a command with something to check.
    fn gate_of(&self, info: &'static CommandInfo) -> Gate {
        Gate {
            info,
            needs: self.needs.as_slice().to_vec(),
        }
    }

    /// Empties the command, keeping its buffer for reuse.
    pub(crate) fn clear(&mut self) {
        self.body.clear();
        self.argc = 0;
        self.error = None;
        self.info = None;
        if let Some(list) = &mut self.needs.0 {
            list.clear();
        }
        self.typed = false;
    }

    /// Rebuilds a command from its RESP encoding (as written by [`write_to`](Cmd::write_to)).
    pub(crate) fn from_encoded(encoded: &[u8]) -> Option<Cmd> {
        let rest = encoded.strip_prefix(b"*")?;
        let nl = rest.iter().position(|&b| b == b'\r')?;
        let argc: usize = std::str::from_utf8(rest.get(..nl)?).ok()?.parse().ok()?;
        let body = rest.get(nl + 2..)?;
        let mut cmd = Cmd::with_capacity(body.len());
        cmd.body.extend_from_slice(body);
        cmd.argc = argc;
        Some(cmd)
    }

    /// Records that an argument could not be encoded; the command will fail
    /// with this error before anything is sent. The first error is kept.
    pub fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// How many arguments (including the command name) the command has.
    pub fn argc(&self) -> usize {
        self.argc
    }

    /// The error recorded while adding arguments, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The arguments, decoded back from their encoding (for routing and diagnostics).
    pub fn arg_slices(&self) -> ArgIter<'_> {
        ArgIter { rest: &self.body }
    }

    /// The first argument (the name) as it was encoded, `$3\r\nGET\r\n`;
    /// empty for an empty command.
    pub(crate) fn encoded_name(&self) -> &[u8] {
        let mut args = self.arg_slices();
        if args.next().is_none() {
            return &[];
        }
        let end = self.body.len().saturating_sub(args.rest.len());
        self.body.get(..end).unwrap_or_default()
    }

    /// Whether the encoded arguments start with `prefix` (see [`encoded_name`](Cmd::encoded_name)).
    pub(crate) fn starts_with_encoded(&self, prefix: &[u8]) -> bool {
        self.body.starts_with(prefix)
    }

    /// The command name (first argument) in upper case, e.g. `"GET"`; empty for an empty command.
    pub fn name(&self) -> String {
        self.arg_slices()
            .next()
            .map(|n| String::from_utf8_lossy(n).to_ascii_uppercase())
            .unwrap_or_default()
    }

    /// Checks the command can be sent: it has a name and every argument encoded.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.argc == 0 {
            return Err(Error::client(
                "empty command: a command needs at least its name",
            ));
        }
        Ok(())
    }

    /// Writes the whole command (`*argc` header and arguments) as RESP into `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        // `*`, at most 20 digits, CRLF, the arguments.
        out.reserve(self.body.len() + 23);
        crate::resp::header(b'*', self.argc, out);
        out.put_slice(&self.body);
    }

    /// The number of bytes [`write_to`](Cmd::write_to) writes, roughly (for buffer sizing).
    pub fn encoded_len(&self) -> usize {
        self.body.len() + 24
    }
}

impl std::fmt::Debug for Cmd {
    /// Shows the command name and the argument count, never argument values
    /// (they may hold passwords or user data).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cmd")
            .field("name", &self.name())
            .field("argc", &self.argc)
            .finish()
    }
}

/// What a typed command needs of the server: its command and the options or
/// reply shapes it sends that not every server has.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    info: &'static CommandInfo,
    needs: Vec<&'static Requirement>,
}

/// Servers from this Redis version on (and every Valkey) have what a gate
/// below it asks: such a command goes out before the first handshake
/// without waiting to learn the server.
const BASELINE: Availability = Availability {
    redis: Some(Version::new(6, 0, 0)),
    valkey: Some(VALKEY_FIRST),
};

fn within_baseline(a: &Availability) -> bool {
    matches!((a.redis, a.valkey), (Some(r), Some(v))
        if Some(r) <= BASELINE.redis && Some(v) <= BASELINE.valkey)
}

impl Gate {
    /// True when every server the client expects has what this command needs.
    pub(crate) fn is_baseline(&self) -> bool {
        within_baseline(&self.info.availability)
            && self.needs.iter().all(|n| within_baseline(&n.availability))
    }

    /// Fails with a client error naming what `server` lacks.
    pub(crate) fn check(&self, server: ServerInfo) -> Result<(), Error> {
        if !self.info.availability.on(server) {
            return Err(crate::command_info::refused(
                self.info.name,
                &self.info.availability,
                server,
            ));
        }
        match self.needs.iter().find(|n| !n.availability.on(server)) {
            Some(n) => Err(crate::command_info::refused(
                n.what,
                &n.availability,
                server,
            )),
            None => Ok(()),
        }
    }
}

/// Writes exactly one argument into a [`Cmd`]; handed to [`ToArg::write_arg`].
#[derive(Debug)]
pub struct ArgWriter<'a> {
    cmd: &'a mut Cmd,
}

impl ArgWriter<'_> {
    /// Writes the argument's bytes.
    pub fn write(self, bytes: &[u8]) {
        self.cmd.arg_bytes(bytes);
    }

    /// Reports that the value cannot be sent; the command fails with `error`.
    pub fn fail(self, error: Error) {
        // Keep the argument count right so diagnostics still line up.
        self.cmd.arg_bytes(b"");
        self.cmd.fail(error);
    }
}

/// The arguments of one command as [`Cmd::write_to`] encoded it (`*argc`
/// header, then the arguments), without rebuilding the command.
pub(crate) fn encoded_args(encoded: &[u8]) -> Option<ArgIter<'_>> {
    let rest = encoded.strip_prefix(b"*")?;
    let nl = rest.iter().position(|&b| b == b'\r')?;
    Some(ArgIter {
        rest: rest.get(nl + 2..)?,
    })
}

/// Iterator over the encoded arguments of a [`Cmd`].
#[derive(Debug, Clone)]
pub struct ArgIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ArgIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // Format is always `$<len>\r\n<bytes>\r\n`, written by `arg_bytes`.
        let rest = self.rest.strip_prefix(b"$")?;
        // The digits read in place: no UTF-8 check and no `str` parse for
        // a length this code wrote itself.
        let mut len = 0usize;
        let mut nl = 0;
        loop {
            match *rest.get(nl)? {
                b'\r' if nl > 0 => break,
                d @ b'0'..=b'9' => {
                    len = len.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
                }
                _ => return None,
            }
            nl += 1;
        }
        let start = nl + 2;
        let arg = rest.get(start..start + len)?;
        self.rest = rest.get(start + len + 2..).unwrap_or(&[]);
        Some(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RESP encoding of `args`, written out by hand.
    fn by_hand(args: &[Vec<u8>]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    #[test]
    fn arguments_with_a_bad_length_line_end_the_iteration() {
        let args = |bytes: &'static [u8]| ArgIter { rest: bytes }.collect::<Vec<_>>();
        assert_eq!(args(b"$3\r\nGET\r\n$1\r\nk\r\n"), [&b"GET"[..], b"k"]);
        assert_eq!(args(b"$0\r\n\r\n"), [&b""[..]]);
        for bad in [
            &b"$\r\nGET\r\n"[..],
            b"$+3\r\nGET\r\n",
            b"$3x\r\nGET\r\n",
            b"$-1\r\n",
            b"$99999999999999999999999\r\nGET\r\n",
            b"$3",
            b"$9\r\nGET\r\n",
        ] {
            assert!(args(bad).is_empty(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn lengths_and_counts_on_both_sides_of_each_digit_boundary_encode_exactly() {
        for n in [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12_345] {
            // n arguments of n bytes: both length lines cross the same boundary.
            let args: Vec<Vec<u8>> = (0..n.max(1))
                .map(|i| vec![b'a' + (i % 26) as u8; n])
                .collect();
            let mut cmd = Cmd::new();
            for a in &args {
                cmd.arg_bytes(a);
            }
            let mut out = BytesMut::new();
            cmd.write_to(&mut out);
            assert_eq!(&out[..], &by_hand(&args)[..], "n = {n}");
            assert!(out.len() <= cmd.encoded_len(), "n = {n}");
            let back = Cmd::from_encoded(&out).unwrap();
            assert_eq!(back.arg_slices().count(), args.len(), "n = {n}");
        }
    }
}
