//! [`RedisServerBuilder`]: the options of a [`RedisServer`] and the
//! `redis-server` command line they make.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use super::kind::ServerKind;
use super::launch::{fail, launch, listener_args, LaunchError, Paths, SENTINEL_CONFIG};
use super::tls::{supports_tls, ClientAuth, TestCerts, TlsListener};
use super::RedisServer;
use crate::ports::PortReservation;
use crate::raw::Auth;
use crate::tempdir::TempDir;

/// Default bound on how long a server may take to answer `PING` after
/// being spawned; generous because the test machines may be loaded.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// How many ports a start tries before giving up, when each one turns out
/// to be taken by another process between the check and the bind.
const PORT_ATTEMPTS: usize = 10;

/// What kind of process the builder starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum Mode {
    #[default]
    Standalone,
    /// `--cluster-enabled yes`, with the config file and node timeout set.
    Cluster,
    /// `redis-server <generated config> --sentinel`; the lines are the
    /// `sentinel …` directives of the generated config file.
    Sentinel(Vec<String>),
}

/// An ACL user created at startup with `--user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AclUser {
    name: String,
    password: String,
    rules: String,
}

/// Options for a [`RedisServer`]; [`start`](Self::start) launches it.
///
/// ```no_run
/// use tornadis_tests::RedisServer;
///
/// let server = RedisServer::builder()
///     .password("s3cret")
///     .acl_user("app", "apppass", "+@all ~*")
///     .arg("--maxmemory")
///     .arg("10mb")
///     .start();
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct RedisServerBuilder {
    pub(super) password: Option<String>,
    pub(super) acl_users: Vec<AclUser>,
    pub(super) extra_args: Vec<String>,
    pub(super) startup_timeout: Duration,
    pub(super) mode: Mode,
    pub(super) tls: Option<TlsListener>,
    /// The kind asked for; `None` means "TLS needs Redis, otherwise
    /// [`ServerKind::from_env`]", settled by `start`.
    pub(super) kind: Option<ServerKind>,
}

impl Default for RedisServerBuilder {
    fn default() -> Self {
        RedisServerBuilder {
            password: None,
            acl_users: Vec::new(),
            extra_args: Vec::new(),
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            mode: Mode::Standalone,
            tls: None,
            kind: None,
        }
    }
}

impl RedisServerBuilder {
    /// Requires this password for the default user (`--requirepass`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Adds an enabled ACL user with a password and ACL rules such as
    /// `"+@all ~*"` (rules are split on whitespace).
    pub fn acl_user(
        mut self,
        name: impl Into<String>,
        password: impl Into<String>,
        rules: impl Into<String>,
    ) -> Self {
        self.acl_users.push(AclUser {
            name: name.into(),
            password: password.into(),
            rules: rules.into(),
        });
        self
    }

    /// Appends one raw command-line argument, e.g. `"--maxmemory"` then
    /// `"10mb"`. Extra arguments come last, so they override the defaults.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// Appends raw command-line arguments (see [`arg`](Self::arg)).
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Bounds how long [`start`](Self::start) and
    /// [`RedisServer::restart`] wait for the server to answer `PING`
    /// (default [`DEFAULT_STARTUP_TIMEOUT`]).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Also listens for TLS, on a second port, with the server certificate
    /// of `certs` (see [`RedisServer::tls_port`] and [`RedisServer::tls_url`]).
    /// Clients are not asked for a certificate unless
    /// [`tls_client_auth`](Self::tls_client_auth) says so.
    pub fn tls(mut self, certs: TestCerts) -> Self {
        let client_auth = self.tls.take().map(|t| t.client_auth).unwrap_or_default();
        self.tls = Some(TlsListener { certs, client_auth });
        self
    }

    /// Whether the TLS listener asks clients for a certificate (default
    /// [`ClientAuth::None`]). Needs [`tls`](Self::tls).
    pub fn tls_client_auth(mut self, client_auth: ClientAuth) -> Self {
        match &mut self.tls {
            Some(tls) => tls.client_auth = client_auth,
            None => panic!("tls_client_auth needs the certificates from `tls` first"),
        }
        self
    }

    /// Runs this kind of server instead of the default one
    /// ([`ServerKind::from_env`]: Redis unless `TORNADIS_TEST_SERVER=valkey`).
    pub fn kind(mut self, kind: ServerKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The kind of server `start` runs: the one asked for, else Redis for a
    /// TLS listener (the Valkey build the tests use has no TLS), else the
    /// environment's default.
    pub fn server_kind(&self) -> ServerKind {
        match (self.kind, &self.tls) {
            (Some(kind), _) => kind,
            (None, Some(_)) => ServerKind::Redis,
            (None, None) => ServerKind::from_env(),
        }
    }

    /// The default user's password, if set.
    pub(crate) fn password_value(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Starts a cluster-enabled node (for [`RedisCluster`](crate::RedisCluster)).
    pub(crate) fn cluster_node(mut self) -> Self {
        self.mode = Mode::Cluster;
        self
    }

    /// Starts a sentinel whose generated config holds these directives
    /// (for [`SentinelGroup`](crate::SentinelGroup)).
    pub(crate) fn sentinel(mut self, directives: Vec<String>) -> Self {
        self.mode = Mode::Sentinel(directives);
        self
    }

    /// Starts the server on a free port and waits until it answers `PING`
    /// over TCP and over its unix socket.
    ///
    /// # Panics
    /// If `redis-server` is missing, exits during startup or does not
    /// answer in time; the message includes the end of its log.
    pub fn start(mut self) -> RedisServer {
        // Settled once, so that a restart runs the same program.
        self.kind = Some(self.server_kind());
        let dir = TempDir::new("tornadis-redis")
            .unwrap_or_else(|e| panic!("cannot create a temp dir for redis-server: {e}"));
        let unix_socket = dir.path().join("redis.sock");
        let log_path = dir.path().join("redis.log");
        if self.tls.is_some() && !supports_tls(self.server_kind()) {
            panic!(
                "\n*** {} was built without TLS support; the TLS tests need a server \
                 built with BUILD_TLS=yes (Debian's and Ubuntu's redis-server packages are) ***\n",
                self.server_kind().binary().display()
            );
        }
        let mut taken = Vec::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = PortReservation::reserve(self.mode == Mode::Cluster);
            let tls_port = self.tls.as_ref().map(|_| PortReservation::reserve(false));
            let paths = Paths {
                dir: dir.path(),
                unix_socket: &unix_socket,
                log: &log_path,
                tls_port: tls_port.as_ref().map(PortReservation::port),
            };
            let deadline = Instant::now() + self.startup_timeout;
            match launch(&self, port.port(), &paths, deadline) {
                Ok(child) => {
                    return RedisServer {
                        pid: child.id(),
                        child: Some(child),
                        builder: self,
                        port,
                        tls_port,
                        unix_socket,
                        log_path,
                        dir,
                    }
                }
                Err(LaunchError::PortTaken) => taken.push(port.port()),
                Err(LaunchError::Failed(why)) => fail(&why, &log_path),
            }
        }
        fail(
            &format!("every port tried was taken by another process: {taken:?}"),
            &log_path,
        )
    }

    /// The auth that lets the fixture itself talk to the server.
    pub(super) fn auth(&self) -> Auth {
        Auth {
            user: None,
            password: self.password.clone(),
        }
    }

    /// The full `redis-server` command line for a server on `port`.
    pub(super) fn command_line(&self, port: u16, paths: &Paths<'_>) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if let Mode::Sentinel(_) = self.mode {
            // The config file must be the first argument.
            args.push(paths.dir.join(SENTINEL_CONFIG).into());
            args.push("--sentinel".into());
        }
        args.extend(listener_args(port, paths));
        if let (Some(tls), Some(tls_port)) = (&self.tls, paths.tls_port) {
            match tls.args(tls_port, paths.dir) {
                Ok(tls_args) => args.extend(tls_args),
                Err(why) => fail(&why, paths.log),
            }
        }
        let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
        push(&["--save", "", "--appendonly", "no"]);
        // DEBUG SLEEP / DEBUG RELOAD etc. are refused by default since 7.0.
        push(&["--enable-debug-command", "yes"]);
        if let Some(password) = &self.password {
            push(&["--requirepass", password]);
        }
        for user in &self.acl_users {
            let password = format!(">{}", user.password);
            push(&["--user", &user.name, "on", &password]);
            push(&user.rules.split_whitespace().collect::<Vec<_>>());
        }
        if self.mode == Mode::Cluster {
            let config_file = format!("nodes-{port}.conf");
            let timeout = crate::cluster::NODE_TIMEOUT_MS.to_string();
            push(&["--cluster-enabled", "yes"]);
            push(&["--cluster-config-file", &config_file]);
            push(&["--cluster-node-timeout", &timeout]);
        }
        args.extend(self.extra_args.iter().map(OsString::from));
        args
    }
}
