//! [`ToArg`] (one argument) and [`ToArgs`] (any number of arguments).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::cmd::{ArgWriter, Cmd};
use crate::error::Error;

/// A value that is sent as exactly one command argument: strings, bytes, integers and floats.
///
/// `u8` is deliberately not an argument type, so that `Vec<u8>` and `&[u8]`
/// always mean one binary argument; write `u32::from(b)` for a single byte number.
///
/// Floats are written in the shortest form that reads back exactly; infinities
/// as `inf`/`-inf` (as Redis expects for scores); NaN is refused with a client error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as one Redis argument",
    label = "expected one argument: a string, bytes or a number",
    note = "one argument is a `&str`/`String`, bytes (`&[u8]`, `Vec<u8>`, `Bytes`), an integer or a float; a single byte number is `u32::from(b)`",
    note = "a struct is written with serde: `tornadis::Fields(&value)` for the fields of a hash, or a JSON string; or implement `ToArg` for your type"
)]
pub trait ToArg {
    /// Writes this value as one argument.
    fn write_arg(&self, out: ArgWriter<'_>);
}

/// Zero or more command arguments: any [`ToArg`], slices, `Vec`s and arrays of
/// them, `Option` (nothing for `None`), maps (as field/value pairs), tuples, and a [`Cmd`].
///
/// ```
/// use tornadis::Cmd;
/// let mut c = Cmd::new();
/// c.args(("HSET", "user:1", ["name", "ada"], ("age", 36)));
/// assert_eq!(c.argc(), 6);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written as Redis command arguments",
    label = "expected arguments: values, tuples, arrays, `Vec`s, maps or a `Cmd`",
    note = "a command is written as a tuple or array of values, e.g. `(\"SET\", key, value)`; each value is a string, bytes or a number (`ToArg`)",
    note = "the fields of a serde struct are written by `tornadis::Fields(&value)`"
)]
pub trait ToArgs {
    /// Appends the arguments to `cmd`.
    fn write_args(&self, cmd: &mut Cmd);
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn write_arg(&self, out: ArgWriter<'_>) {
        (**self).write_arg(out)
    }
}
impl<T: ToArg + ?Sized> ToArg for &mut T {
    fn write_arg(&self, out: ArgWriter<'_>) {
        (**self).write_arg(out)
    }
}
impl<T: ToArg + ?Sized> ToArg for Box<T> {
    fn write_arg(&self, out: ArgWriter<'_>) {
        (**self).write_arg(out)
    }
}
impl<T: ToArg + ?Sized> ToArg for Arc<T> {
    fn write_arg(&self, out: ArgWriter<'_>) {
        (**self).write_arg(out)
    }
}

macro_rules! bytes_like {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn write_arg(&self, out: ArgWriter<'_>) {
                out.write(AsRef::<[u8]>::as_ref(self))
            }
        }
    )*};
}
bytes_like!(str, String, [u8], Vec<u8>, Bytes, BytesMut);

impl<const N: usize> ToArg for [u8; N] {
    fn write_arg(&self, out: ArgWriter<'_>) {
        out.write(self)
    }
}

impl ToArg for Cow<'_, str> {
    fn write_arg(&self, out: ArgWriter<'_>) {
        out.write(self.as_bytes())
    }
}
impl ToArg for Cow<'_, [u8]> {
    fn write_arg(&self, out: ArgWriter<'_>) {
        out.write(self)
    }
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn write_arg(&self, out: ArgWriter<'_>) {
                out.write(itoa::Buffer::new().format(*self).as_bytes())
            }
        }
    )*};
}
integer!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn write_arg(&self, out: ArgWriter<'_>) {
                if self.is_nan() {
                    out.fail(Error::client("NaN is not a valid Redis number; pass a finite value or inf/-inf"));
                } else if self.is_infinite() {
                    out.write(if *self > 0.0 { b"inf" } else { b"-inf" })
                } else {
                    out.write(ryu::Buffer::new().format_finite(*self).as_bytes())
                }
            }
        }
    )*};
}
float!(f32, f64);

impl ToArg for char {
    fn write_arg(&self, out: ArgWriter<'_>) {
        out.write(self.encode_utf8(&mut [0; 4]).as_bytes())
    }
}

// Every single argument is also a list of one argument.
macro_rules! single {
    ($($t:ty),*) => {$(
        impl ToArgs for $t {
            fn write_args(&self, cmd: &mut Cmd) {
                cmd.arg(self);
            }
        }
    )*};
}
single!(
    str,
    String,
    Bytes,
    BytesMut,
    Cow<'_, str>,
    Cow<'_, [u8]>,
    char
);
single!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize, f32, f64);

impl ToArgs for [u8] {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.arg(self);
    }
}
impl ToArgs for Vec<u8> {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.arg(self);
    }
}
impl<const N: usize> ToArgs for [u8; N] {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.arg(self);
    }
}

impl<T: ToArgs + ?Sized> ToArgs for &T {
    fn write_args(&self, cmd: &mut Cmd) {
        (**self).write_args(cmd)
    }
}
impl<T: ToArgs + ?Sized> ToArgs for &mut T {
    fn write_args(&self, cmd: &mut Cmd) {
        (**self).write_args(cmd)
    }
}
impl<T: ToArgs + ?Sized> ToArgs for Box<T> {
    fn write_args(&self, cmd: &mut Cmd) {
        (**self).write_args(cmd)
    }
}

impl<T: ToArgs> ToArgs for [T] {
    fn write_args(&self, cmd: &mut Cmd) {
        for a in self {
            a.write_args(cmd);
        }
    }
}
impl<T: ToArgs> ToArgs for Vec<T> {
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd)
    }
}
impl<T: ToArgs, const N: usize> ToArgs for [T; N] {
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd)
    }
}
impl<T: ToArgs> ToArgs for Option<T> {
    fn write_args(&self, cmd: &mut Cmd) {
        if let Some(a) = self {
            a.write_args(cmd);
        }
    }
}
impl<T: ToArgs, S> ToArgs for HashSet<T, S> {
    fn write_args(&self, cmd: &mut Cmd) {
        for a in self {
            a.write_args(cmd);
        }
    }
}
impl<T: ToArgs> ToArgs for BTreeSet<T> {
    fn write_args(&self, cmd: &mut Cmd) {
        for a in self {
            a.write_args(cmd);
        }
    }
}
impl<K: ToArgs, V: ToArgs, S> ToArgs for HashMap<K, V, S> {
    fn write_args(&self, cmd: &mut Cmd) {
        for (k, v) in self {
            k.write_args(cmd);
            v.write_args(cmd);
        }
    }
}
impl<K: ToArgs, V: ToArgs> ToArgs for BTreeMap<K, V> {
    fn write_args(&self, cmd: &mut Cmd) {
        for (k, v) in self {
            k.write_args(cmd);
            v.write_args(cmd);
        }
    }
}

impl ToArgs for Cmd {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.append(self);
    }
}

/// No arguments (e.g. a script called without keys).
impl ToArgs for () {
    fn write_args(&self, _cmd: &mut Cmd) {}
}

macro_rules! tuple {
    ($($name:ident)+) => {
        impl<$($name: ToArgs),+> ToArgs for ($($name,)+) {
            #[allow(non_snake_case)]
            fn write_args(&self, cmd: &mut Cmd) {
                let ($($name,)+) = self;
                $($name.write_args(cmd);)+
            }
        }
    };
}
tuple!(A);
tuple!(A B);
tuple!(A B C);
tuple!(A B C D);
tuple!(A B C D E);
tuple!(A B C D E F);
tuple!(A B C D E F G);
tuple!(A B C D E F G H);
tuple!(A B C D E F G H I);
tuple!(A B C D E F G H I J);
tuple!(A B C D E F G H I J K);
tuple!(A B C D E F G H I J K L);
