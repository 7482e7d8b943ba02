//! [`Script`]: a Lua script run by its SHA1 digest (`EVALSHA`), loaded into
//! the server's script cache when the server does not have it.
//!
//! - `sha1`: the digest Redis names scripts by.
//!
//! Functions (`FUNCTION LOAD` / `FCALL`) need no type of their own: the typed
//! methods [`function_load`](crate::Commands::function_load),
//! [`fcall`](crate::Commands::fcall) and [`fcall_ro`](crate::Commands::fcall_ro)
//! come from the spec table.

mod sha1;

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::pipeline::TypedPipeline;
use crate::resp::Value;
use crate::value::{FromValue, ToArgs};

/// A Lua script, with the SHA1 digest the server caches it under.
///
/// [`invoke`](Script::invoke) sends `EVALSHA` (the digest and the
/// arguments, not the source); when the server answers `NOSCRIPT` (it never
/// saw the script, or forgot it after a restart, a failover or `SCRIPT
/// FLUSH`), it sends `SCRIPT LOAD` and runs `EVALSHA` once more. Cheap to
/// clone (the source is shared).
///
/// ```no_run
/// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
/// use tornadis::Script;
///
/// // Raise a counter, but never past a limit.
/// let capped_incr = Script::new(
///     "local v = redis.call('INCR', KEYS[1]) \
///      if v > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end \
///      return v",
/// );
/// let n: i64 = capped_incr.invoke(&client, ["visits"], [10]).await?;
/// # Ok(()) }
/// ```
///
/// It works the same on a [`ClusterClient`](crate::cluster::ClusterClient):
/// `EVALSHA` is routed by its keys, and `SCRIPT LOAD` goes to every primary
/// (the spec table marks it `all_nodes`), the one that answered `NOSCRIPT`
/// included. All keys of one call must share a hash slot, as the server requires.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Script {
    source: Arc<str>,
    hash: Arc<str>,
}

impl std::fmt::Debug for Script {
    /// Shows the digest only: the source may be long.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script").field("hash", &self.hash).finish()
    }
}

impl Script {
    /// A script from its Lua source; computes its SHA1 digest.
    ///
    /// ```
    /// let script = tornadis::Script::new("return 1");
    /// assert_eq!(script.hash(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    /// ```
    pub fn new(source: impl Into<String>) -> Script {
        let source: String = source.into();
        let hash = sha1::sha1_hex(source.as_bytes());
        Script {
            source: source.into(),
            hash: hash.into(),
        }
    }

    /// The Lua source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The SHA1 digest, 40 lower-case hex digits (what `SCRIPT LOAD` returns).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Runs the script with `keys` (`KEYS[1..]` in Lua) and `args`
    /// (`ARGV[1..]`) and decodes its reply as `R`.
    ///
    /// `target` is `&Client`, `&ClusterClient` or `&PooledClient` (through
    /// deref, `&*pooled`). Sends `EVALSHA`; on a `NOSCRIPT` error, loads the
    /// script and sends `EVALSHA` once more. Any other error (including a
    /// Lua error, as a server error) is returned as it is. Pass an empty
    /// array (`[] as [&str; 0]`) when there are no keys or no arguments.
    ///
    /// # Cancel safety
    /// As for any request: dropping the future never desyncs a connection,
    /// but a command already sent may still run (the script may have run).
    pub fn invoke<R, E>(
        &self,
        target: E,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> impl Future<Output = Result<R>>
    where
        R: FromValue,
        E: Executor + Copy,
        E::Output<Value>: IntoFuture<Output = Result<Value>>,
    {
        let cmd = self.cmd(keys, args);
        let script = self.clone();
        async move {
            let reply = match target.execute::<Value>(cmd.clone()).await {
                Err(e) if e.code() == Some("NOSCRIPT") => {
                    script.load(target).await?;
                    target.execute::<Value>(cmd).await?
                }
                other => other?,
            };
            R::from_value(reply).map_err(|e| e.with_command("EVALSHA"))
        }
    }

    /// Puts the script into the server's cache (`SCRIPT LOAD`), so that
    /// pipelines using [`stack`](Script::stack) find it. On a cluster it is
    /// loaded on every primary.
    ///
    /// Fails with a protocol error if the server names the script by another
    /// digest than [`hash`](Script::hash) (which would mean the two disagree on SHA1).
    ///
    /// # Cancel safety
    /// Cancel safe: loading twice does no harm.
    pub fn load<E>(&self, target: E) -> impl Future<Output = Result<()>>
    where
        E: Executor + Copy,
        E::Output<Value>: IntoFuture<Output = Result<Value>>,
    {
        let mut cmd = Cmd::new();
        cmd.arg("SCRIPT").arg("LOAD").arg(self.source());
        let hash = self.hash.clone();
        async move {
            let reply = target.execute::<Value>(cmd).await?;
            let loaded = String::from_value(reply).map_err(|e| e.with_command("SCRIPT LOAD"))?;
            if !loaded.eq_ignore_ascii_case(&hash) {
                return Err(Error::protocol(format!(
                    "SCRIPT LOAD named the script {loaded}, but its SHA1 is {hash}"
                )));
            }
            Ok(())
        }
    }

    /// Adds `EVALSHA` of this script to a typed pipeline; its reply is decoded as `R`.
    ///
    /// A pipeline cannot fall back on `NOSCRIPT` by itself: the commands
    /// around the script have already run by the time the error comes back,
    /// so sending the pipeline again could run them twice. Either
    /// [`load`](Script::load) the script first (once per server start; a
    /// `NOSCRIPT` error, [`Error::code`], says when to load it again), or
    /// load it in the same pipeline just before, or use
    /// [`stack_eval`](Script::stack_eval), which sends the source each time.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// use tornadis::{Commands, Script};
    /// let script = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    /// // Load and run in one round trip: SCRIPT LOAD comes first on the connection.
    /// let pipe = client.pipeline().script_load(script.source());
    /// let (_hash, a, b): (String, i64, i64) = script
    ///     .stack(script.stack(pipe, ["a"], [1]), ["b"], [2])
    ///     .query()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn stack<'a, T, R: FromValue>(
        &self,
        pipeline: TypedPipeline<'a, T>,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> TypedPipeline<'a, (T, R)> {
        pipeline.execute(self.cmd(keys, args))
    }

    /// Adds `EVAL` of this script (its whole source) to a typed pipeline.
    /// Always works, at the cost of sending the source every time; the
    /// server caches the script as a side effect.
    pub fn stack_eval<'a, T, R: FromValue>(
        &self,
        pipeline: TypedPipeline<'a, T>,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> TypedPipeline<'a, (T, R)> {
        pipeline.execute(self.command("EVAL", self.source(), keys, args))
    }

    /// The `EVALSHA` command for this script, for a raw
    /// [`Pipeline`](crate::Pipeline) or [`Client::call`](crate::Client::call)
    /// (no `NOSCRIPT` fallback there).
    pub fn cmd(&self, keys: impl ToArgs, args: impl ToArgs) -> Cmd {
        self.command("EVALSHA", self.hash(), keys, args)
    }

    /// `<name> <script> <numkeys> keys.. args..`: the key count is taken from
    /// the keys as encoded, so it always matches what is sent.
    fn command(&self, name: &str, script: &str, keys: impl ToArgs, args: impl ToArgs) -> Cmd {
        let mut k = Cmd::new();
        keys.write_args(&mut k);
        let mut a = Cmd::new();
        args.write_args(&mut a);
        let mut cmd = Cmd::with_capacity(script.len() + k.encoded_len() + a.encoded_len() + 32);
        cmd.arg(name)
            .arg(script)
            .arg(k.argc())
            .append(&k)
            .append(&a);
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Cmd) -> Vec<String> {
        cmd.arg_slices()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    #[test]
    fn evalsha_counts_the_keys_it_sends() {
        let s = Script::new("return 1");
        let c = s.cmd(["k1", "k2"], ("a", 7));
        assert_eq!(args(&c), ["EVALSHA", s.hash(), "2", "k1", "k2", "a", "7"]);
        let none: [&str; 0] = [];
        assert_eq!(args(&s.cmd(none, none)), ["EVALSHA", s.hash(), "0"]);
    }

    #[test]
    fn a_bad_argument_fails_the_command_before_sending() {
        let s = Script::new("return 1");
        let c = s.cmd(["k"], [f64::NAN]);
        assert!(c.validate().unwrap_err().is_client());
    }

    #[test]
    fn debug_shows_the_digest_not_the_source() {
        let s = Script::new("return 'secret-ish'");
        let d = format!("{s:?}");
        assert!(d.contains(s.hash()) && !d.contains("secret-ish"), "{d}");
    }
}
