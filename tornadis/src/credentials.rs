//! Credentials asked for before every connection attempt: the
//! [`CredentialsProvider`] hook, the [`Credentials`] it returns, and
//! [`credentials_fn`], which makes a provider of an async closure.
//!
//! Managed services hand out short-lived tokens (cloud IAM tokens, Entra ID
//! tokens) or rotate passwords. A fixed password in the [`Config`] cannot
//! follow that; a provider is asked for the user name and password each
//! time a connection is opened, and, when its credentials say when to
//! refresh them, again on a schedule so that live connections send `AUTH`
//! with the new ones (see `client/reauth.rs`).
//!
//! A provider that fails, or does not answer within the connect timeout,
//! makes the attempt fail with an [`ErrorKind::Auth`] error that names the
//! provider: nothing is sent to the server, and the client does not retry
//! it like a network error.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, ConfigBuilder, Secret, ServerAddr};
use crate::error::{Error, ErrorKind, Result};

/// The error a provider returns: any error type, boxed.
pub type ProviderError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`CredentialsProvider`] returns.
pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<Credentials, ProviderError>> + Send + 'a>>;

/// A user name and password (or token) for one connection, and when to ask
/// for new ones.
///
/// The `Debug` output never shows the password.
///
/// ```
/// use std::time::Duration;
/// use tornadis::Credentials;
///
/// let c = Credentials::new("app", "token-123").refresh_after(Duration::from_secs(600));
/// assert_eq!(c.username(), Some("app"));
/// assert!(!format!("{c:?}").contains("token-123"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    username: Option<String>,
    password: Secret,
    refresh_after: Option<Duration>,
}

impl Credentials {
    /// An ACL user name and its password (or token): `AUTH username password`.
    pub fn new(username: impl Into<String>, password: impl Into<Arc<str>>) -> Self {
        Credentials {
            username: Some(username.into()),
            password: Secret::new(password),
            refresh_after: None,
        }
    }

    /// A password for the `default` user (`requirepass`): `AUTH password`.
    pub fn password_only(password: impl Into<Arc<str>>) -> Self {
        Credentials {
            username: None,
            password: Secret::new(password),
            refresh_after: None,
        }
    }

    /// Asks the provider again after this long, and authenticates every
    /// live connection anew (`AUTH`, sent in order with the other
    /// requests) with what it returns. Use somewhat less than the token's
    /// lifetime. Without it, credentials are only asked for when a
    /// connection is opened.
    pub fn refresh_after(mut self, after: Duration) -> Self {
        self.refresh_after = Some(after);
        self
    }

    /// The ACL user name (`None`: the `default` user).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The password or token.
    pub fn password(&self) -> &Secret {
        &self.password
    }

    /// When to refresh, if the credentials say.
    pub fn refresh_interval(&self) -> Option<Duration> {
        self.refresh_after
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .field("refresh_after", &self.refresh_after)
            .finish()
    }
}

/// Where a client gets its user name and password: asked before every
/// connection attempt (and on the schedule of
/// [`Credentials::refresh_after`]).
///
/// The method returns a boxed future so that the trait can be used as
/// `dyn CredentialsProvider`; [`credentials_fn`] makes a provider of an
/// async closure without writing the box.
///
/// ```
/// use tornadis::{Credentials, CredentialsFuture, CredentialsProvider};
///
/// /// Reads the password from an environment variable at each connection.
/// struct FromEnv;
///
/// impl CredentialsProvider for FromEnv {
///     fn credentials(&self) -> CredentialsFuture<'_> {
///         Box::pin(async {
///             let password = std::env::var("REDIS_PASSWORD")?;
///             Ok(Credentials::new("app", password))
///         })
///     }
/// }
///
/// let client = tornadis::Client::builder().credentials_provider(FromEnv).build().unwrap();
/// ```
pub trait CredentialsProvider: Send + Sync + 'static {
    /// The credentials to authenticate with now. An error fails the
    /// connection attempt with an [`ErrorKind::Auth`] error whose source is
    /// this error.
    fn credentials(&self) -> CredentialsFuture<'_>;
}

impl<P: CredentialsProvider + ?Sized> CredentialsProvider for Arc<P> {
    fn credentials(&self) -> CredentialsFuture<'_> {
        (**self).credentials()
    }
}

/// A [`CredentialsProvider`] made of an async closure; see [`credentials_fn`].
#[derive(Clone)]
pub struct CredentialsFn<F>(F);

impl<F> fmt::Debug for CredentialsFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsFn")
    }
}

/// Makes a [`CredentialsProvider`] of a closure that returns a future.
///
/// ```
/// use std::time::Duration;
/// use tornadis::{credentials_fn, Credentials};
///
/// let provider = credentials_fn(|| async {
///     // e.g. ask the cloud's token service here
///     let token = String::from("short-lived-token");
///     Ok(Credentials::new("app", token).refresh_after(Duration::from_secs(600)))
/// });
/// let client = tornadis::Client::builder().credentials_provider(provider).build().unwrap();
/// ```
pub fn credentials_fn<F, Fut>(f: F) -> CredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<Credentials, ProviderError>> + Send + 'static,
{
    CredentialsFn(f)
}

impl<F, Fut> CredentialsProvider for CredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<Credentials, ProviderError>> + Send + 'static,
{
    fn credentials(&self) -> CredentialsFuture<'_> {
        Box::pin((self.0)())
    }
}

/// The provider held by a [`Config`]; its `Debug` says only that there is one.
#[derive(Clone)]
pub(crate) struct Provider(Arc<dyn CredentialsProvider>);

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsProvider")
    }
}

impl<T> ConfigBuilder<T> {
    /// Asks `provider` for the user name and password before every
    /// connection attempt, instead of using a fixed
    /// [`password`](Self::password) (the provider wins when both are set).
    /// Applies to every connection made from this configuration: clients,
    /// pub/sub clients, pool members, cluster nodes and the data
    /// connections of a sentinel client. See [`CredentialsProvider`].
    pub fn credentials_provider(self, provider: impl CredentialsProvider) -> Self {
        self.map_config(|c| c.credentials = Some(Provider(Arc::new(provider))))
    }
}

impl Config {
    /// Whether a [`CredentialsProvider`] supplies the credentials.
    pub fn has_credentials_provider(&self) -> bool {
        self.credentials.is_some()
    }
}

impl Provider {
    /// The provider itself.
    pub(crate) fn get(&self) -> &dyn CredentialsProvider {
        &*self.0
    }
}

/// The provider's error as the source of ours (a boxed error is not itself
/// an `Error` type).
struct ProviderFailure(ProviderError);

impl fmt::Display for ProviderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ProviderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for ProviderFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Asks `provider` for credentials, for at most `limit`.
pub(crate) async fn fetch(
    provider: &dyn CredentialsProvider,
    addr: &ServerAddr,
    limit: Option<Duration>,
) -> Result<Credentials> {
    let asked = provider.credentials();
    let answer = match limit {
        Some(limit) => match tokio::time::timeout(limit, asked).await {
            Ok(answer) => answer,
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the credentials provider did not answer within the connect timeout of \
                         {limit:?}, so no connection to {addr} was attempted; check the service \
                         it asks for tokens, or raise connect_timeout"
                    ),
                ))
            }
        },
        None => asked.await,
    };
    answer.map_err(|e| {
        Error::new(
            ErrorKind::Auth,
            format!(
                "the credentials provider failed, so no connection to {addr} was attempted; \
                 the next request asks it again"
            ),
        )
        .with_source(ProviderFailure(e))
    })
}

/// What one connection attempt authenticates with.
#[derive(Debug, Default)]
pub(crate) struct ForConnection {
    /// The configuration with the provider's user name and password in it,
    /// when a provider is set.
    pub(crate) config: Option<Config>,
    /// When to authenticate this connection anew.
    pub(crate) refresh_after: Option<Duration>,
}

impl ForConnection {
    /// Asks `config`'s provider, if it has one, within the connect timeout.
    pub(crate) async fn ask(config: &Config) -> Result<ForConnection> {
        let Some(Provider(provider)) = &config.credentials else {
            return Ok(ForConnection::default());
        };
        let creds = fetch(&**provider, &config.addr, config.connect_timeout).await?;
        let mut with = config.clone();
        with.username = creds.username;
        with.password = Some(creds.password);
        Ok(ForConnection {
            config: Some(with),
            refresh_after: creds.refresh_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failing_provider_is_an_auth_error_that_keeps_its_source() {
        let provider =
            credentials_fn(|| async { Err::<Credentials, _>("token service down".into()) });
        let addr = ServerAddr::Tcp {
            host: "db".into(),
            port: 6379,
        };
        let e = fetch(&provider, &addr, None).await.unwrap_err();
        assert!(e.is_auth(), "{e}");
        assert!(e.code().is_none());
        assert!(e.to_string().contains("credentials provider failed"), "{e}");
        assert!(e.to_string().contains("token service down"), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_provider_that_hangs_is_cut_by_the_connect_timeout() {
        let provider = credentials_fn(std::future::pending);
        let addr = ServerAddr::Unix("/tmp/x.sock".into());
        let start = tokio::time::Instant::now();
        let e = fetch(&provider, &addr, Some(Duration::from_millis(300)))
            .await
            .unwrap_err();
        assert!(e.is_auth(), "{e}");
        assert!(e.to_string().contains("did not answer"), "{e}");
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }

    #[tokio::test]
    async fn the_provider_replaces_the_configured_password() {
        let config = Config::builder()
            .password("fixed-password")
            .credentials_provider(credentials_fn(|| async {
                Ok(Credentials::new("app", "rotated-secret").refresh_after(Duration::from_secs(9)))
            }))
            .build()
            .unwrap();
        let text = format!("{config:?}");
        assert!(
            !text.contains("fixed-password") && !text.contains("rotated"),
            "{text}"
        );
        let got = ForConnection::ask(&config).await.unwrap();
        let with = got.config.unwrap();
        assert_eq!(with.username(), Some("app"));
        assert_eq!(
            with.password.as_ref().map(Secret::expose),
            Some("rotated-secret")
        );
        assert_eq!(got.refresh_after, Some(Duration::from_secs(9)));
        assert!(!format!("{with:?}").contains("rotated-secret"));
    }
}
