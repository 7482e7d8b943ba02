//! TLS (the `tls` feature): [`TlsConfig`], and the handshake that turns a TCP
//! connection into a rustls client stream.
//!
//! `connection::open_stream` calls [`connect`] when the configuration asks
//! for TLS; everything that knows about rustls lives here, so the rest of the
//! crate only sees one more variant of its byte stream.
//!
//! Failures are explained in terms of what to change: an unknown CA names
//! [`TlsConfig::ca_pem`], a name mismatch names [`TlsConfig::server_name`],
//! a refused client certificate names [`TlsConfig::client_cert_pem`].

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, AlertDescription, CertificateError, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::config::ServerAddr;
use crate::error::{Error, Result};

/// TLS settings: which certificate authorities to trust, an optional client
/// certificate (mutual TLS) and the name to verify the server against.
///
/// A `rediss://` URL turns TLS on with `TlsConfig::new()`, which trusts the
/// default root certificates (see [`default_roots`](Self::default_roots)).
/// For a server whose certificate comes from a private CA, give that CA on
/// the builder after the URL (the builder's `tls` replaces the URL's settings):
///
/// ```no_run
/// # fn demo() -> tornadis::Result<()> {
/// use tornadis::{Client, TlsConfig};
///
/// let client = Client::builder()
///     .url("rediss://:s3cret@redis.internal:6380")
///     .tls(
///         TlsConfig::new()
///             .ca_file("/etc/redis/tls/ca.crt")
///             .client_cert_files("/etc/redis/tls/client.crt", "/etc/redis/tls/client.key"),
///     )
///     .build()?;
/// # Ok(()) }
/// ```
///
/// Certificates and keys given as files are read when the first connection
/// is opened, and read again when they change: each connection attempt
/// looks at the files' size, modification time and inode, so a rotated
/// certificate, key or CA file is used by the next connection without
/// rebuilding the client. While they stay the same, reconnects reuse what
/// was loaded (and resume TLS sessions). Replace a certificate and its key
/// together, atomically (write new files, then rename them over the old
/// ones): an attempt that finds a certificate that does not match its key
/// fails with a client error. The `Debug` output never shows a private key.
///
/// TLS applies to TCP connections only: a client configured with a unix
/// socket path connects through the socket as usual.
#[derive(Clone, Default)]
pub struct TlsConfig {
    ca: Vec<Pem>,
    identity: Option<Identity>,
    server_name: Option<String>,
    default_roots: Option<bool>,
    /// The rustls configuration built from the above, with the stamp of
    /// the files it was read from. Shared by clones (so reconnects and
    /// pooled clients resume sessions), reset by every setter, and rebuilt
    /// when a file's stamp changes.
    loaded: Arc<Mutex<Option<Loaded>>>,
}

/// A built rustls configuration and the stamps of the files it was read from.
type Loaded = (Vec<FileStamp>, Arc<ClientConfig>);

/// Where a PEM document comes from.
#[derive(Clone)]
enum Pem {
    Bytes(Arc<[u8]>),
    File(PathBuf),
}

/// A client certificate chain and its private key.
#[derive(Clone)]
struct Identity {
    cert: Pem,
    key: Pem,
}

impl TlsConfig {
    /// TLS that trusts the default root certificates and sends no client
    /// certificate; the server's certificate must be valid for the host
    /// name (or IP address) connected to.
    pub fn new() -> Self {
        TlsConfig::default()
    }

    /// Trusts the CA certificate(s) in this PEM text (one or more
    /// `CERTIFICATE` blocks). May be called more than once; once a CA is
    /// given, the default roots are no longer trusted unless
    /// [`default_roots(true)`](Self::default_roots) asks for them.
    pub fn ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca.push(Pem::Bytes(Arc::from(pem.as_ref())));
        self.changed()
    }

    /// Trusts the CA certificate(s) in this PEM file (see [`ca_pem`](Self::ca_pem)).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca.push(Pem::File(path.into()));
        self.changed()
    }

    /// Presents this client certificate (PEM chain, leaf first) with its
    /// private key (PEM: PKCS#8, PKCS#1 or SEC1) to servers that ask for one
    /// (`tls-auth-clients yes` or `optional` in redis.conf).
    pub fn client_cert_pem(
        mut self,
        cert_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        self.identity = Some(Identity {
            cert: Pem::Bytes(Arc::from(cert_pem.as_ref())),
            key: Pem::Bytes(Arc::from(key_pem.as_ref())),
        });
        self.changed()
    }

    /// Like [`client_cert_pem`](Self::client_cert_pem), reading both from files.
    pub fn client_cert_files(
        mut self,
        cert_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
    ) -> Self {
        self.identity = Some(Identity {
            cert: Pem::File(cert_path.into()),
            key: Pem::File(key_path.into()),
        });
        self.changed()
    }

    /// Verifies the server's certificate against this name (a DNS name or
    /// an IP address) and sends it as SNI, instead of the host connected to.
    /// Useful when connecting by IP address to a server whose certificate
    /// only lists its DNS name.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self.changed()
    }

    /// Whether to trust the default root certificates: Mozilla's set when
    /// tornadis is built with the `tls-webpki-roots` feature, and the
    /// operating system's store with `tls-native-roots`. By default they
    /// are trusted when no CA is given with [`ca_pem`](Self::ca_pem) or
    /// [`ca_file`](Self::ca_file), and not trusted when one is.
    pub fn default_roots(mut self, trust: bool) -> Self {
        self.default_roots = Some(trust);
        self.changed()
    }

    /// The server name override, if any.
    pub fn server_name_override(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// Whether a client certificate is configured.
    pub fn has_client_cert(&self) -> bool {
        self.identity.is_some()
    }

    /// Forgets a rustls configuration built from the previous settings.
    fn changed(mut self) -> Self {
        self.loaded = Arc::default();
        self
    }

    /// The rustls configuration: built on first use, kept while the files
    /// it was read from stay the same, and built again when one changed.
    fn client_config(&self) -> Result<Arc<ClientConfig>> {
        let stamps = self.file_stamps()?;
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, config)) = &*loaded {
            if *seen == stamps {
                return Ok(Arc::clone(config));
            }
        }
        let config = Arc::new(self.build_client_config()?);
        *loaded = Some((stamps, Arc::clone(&config)));
        Ok(config)
    }

    /// The stamps of every file this configuration reads, in order.
    fn file_stamps(&self) -> Result<Vec<FileStamp>> {
        let identity = self.identity.iter().flat_map(|i| [&i.cert, &i.key]);
        self.ca
            .iter()
            .chain(identity)
            .filter_map(|pem| match pem {
                Pem::File(path) => Some(FileStamp::of(path)),
                Pem::Bytes(_) => None,
            })
            .collect()
    }

    fn build_client_config(&self) -> Result<ClientConfig> {
        let roots = self.root_store()?;
        // The process-wide provider if the application installed one, else
        // ring (the one this crate enables). `ClientConfig::builder()` would
        // panic when several providers are compiled in and none is installed.
        let provider = CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                Error::client("the TLS crypto provider supports no safe protocol version")
                    .with_source(e)
            })?
            .with_root_certificates(roots);
        match &self.identity {
            None => Ok(builder.with_no_client_auth()),
            Some(identity) => {
                let chain = certificates(&identity.cert, "client certificate")?;
                let key_pem = identity.key.read("client private key")?;
                let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
                    Error::client(format!(
                        "no usable private key in the TLS client key {} (PKCS#8, PKCS#1 or SEC1 PEM expected)",
                        identity.key
                    ))
                    .with_source(e)
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    Error::client(format!(
                        "the TLS client certificate {} and key {} do not go together",
                        identity.cert, identity.key
                    ))
                    .with_source(e)
                })
            }
        }
    }

    fn root_store(&self) -> Result<RootCertStore> {
        let mut store = RootCertStore::empty();
        for pem in &self.ca {
            for cert in certificates(pem, "CA certificate")? {
                store.add(cert).map_err(|e| {
                    Error::client(format!("a CA certificate in {pem} is not usable")).with_source(e)
                })?;
            }
        }
        if self.default_roots.unwrap_or(self.ca.is_empty()) {
            add_default_roots(&mut store);
        }
        if store.is_empty() {
            return Err(Error::client(
                "TLS has no trusted root certificates: give the CA that signed the server's certificate \
                 with TlsConfig::ca_pem or ca_file, or build tornadis with the tls-webpki-roots or \
                 tls-native-roots feature for the default roots",
            ));
        }
        Ok(store)
    }
}

/// Adds the root certificates of the enabled root features, if any.
fn add_default_roots(store: &mut RootCertStore) {
    #[cfg(feature = "tls-webpki-roots")]
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    #[cfg(feature = "tls-native-roots")]
    {
        // Unreadable or unparsable system certificates are skipped: the
        // store is what the platform offers that rustls can use.
        let native = rustls_native_certs::load_native_certs();
        store.add_parsable_certificates(native.certs);
    }
    // Without a root feature there is nothing to add.
    #[cfg(not(any(feature = "tls-webpki-roots", feature = "tls-native-roots")))]
    let _ = store;
}

/// Every certificate in a PEM document; at least one.
fn certificates(pem: &Pem, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = pem.read(what)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::client(format!("the TLS {what} {pem} is not valid PEM")).with_source(e)
        })?;
    if certs.is_empty() {
        return Err(Error::client(format!(
            "the TLS {what} {pem} holds no CERTIFICATE block"
        )));
    }
    Ok(certs)
}

/// What tells a file's versions apart without reading it: its size, its
/// modification time and (on unix) its inode, which a file renamed over it
/// changes even within one clock tick.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

impl FileStamp {
    fn of(path: &std::path::Path) -> Result<FileStamp> {
        let meta = std::fs::metadata(path).map_err(|e| {
            Error::client(format!("cannot read the TLS file {}", path.display())).with_source(e)
        })?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        })
    }
}

impl Pem {
    fn read(&self, what: &str) -> Result<Cow<'_, [u8]>> {
        match self {
            Pem::Bytes(b) => Ok(Cow::Borrowed(b)),
            Pem::File(path) => std::fs::read(path).map(Cow::Owned).map_err(|e| {
                Error::client(format!("cannot read the TLS {what} {}", path.display()))
                    .with_source(e)
            }),
        }
    }
}

/// Names the source in messages: a path, or "(PEM text)". Never the content,
/// which for a key is a secret.
impl fmt::Display for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pem::Bytes(_) => f.write_str("(PEM text)"),
            Pem::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pem::Bytes(b) => write!(f, "Pem({} bytes)", b.len()),
            Pem::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key: &dyn fmt::Debug = match &self.key {
            Pem::Bytes(_) => &"********",
            file => file,
        };
        f.debug_struct("ClientCert")
            .field("cert", &self.cert)
            .field("key", key)
            .finish()
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca", &self.ca)
            .field("client_cert", &self.identity)
            .field("server_name", &self.server_name)
            .field(
                "default_roots",
                &self.default_roots.unwrap_or(self.ca.is_empty()),
            )
            .finish()
    }
}

/// A TLS connection to the server.
pub(crate) struct TlsStream {
    // Boxed: the rustls state is large, and `Stream` should stay small.
    inner: Box<tokio_rustls::client::TlsStream<TcpStream>>,
}

impl fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tcp, session) = self.inner.get_ref();
        f.debug_struct("TlsStream")
            .field("peer", &tcp.peer_addr().ok())
            .field("protocol", &session.protocol_version())
            .finish()
    }
}

/// Runs the TLS handshake over `tcp`, verifying the server as `host` (or
/// the configured server name). `addr` names the server in errors.
pub(crate) async fn connect(
    tls: &TlsConfig,
    host: &str,
    addr: &ServerAddr,
    tcp: TcpStream,
) -> Result<TlsStream> {
    let config = tls.client_config()?;
    let name = tls.server_name.as_deref().unwrap_or(host);
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| {
        Error::client(format!(
            "{name:?} is not a valid TLS server name (a DNS name or an IP address); set one with TlsConfig::server_name"
        ))
        .with_source(e)
    })?;
    let inner = TlsConnector::from(config)
        .connect(server_name, tcp)
        .await
        .map_err(|e| handshake_error(e, addr, name))?;
    Ok(TlsStream {
        inner: Box::new(inner),
    })
}

/// Explains a failed handshake in terms of the setting that would fix it.
fn handshake_error(e: io::Error, addr: &ServerAddr, name: &str) -> Error {
    let detail = match rustls_error(&e) {
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => format!(
                "TLS certificate verification failed for {addr}: the server's certificate is not \
                 signed by a trusted CA; give the CA that signed it with TlsConfig::ca_pem or ca_file"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "TLS certificate verification failed for {addr}: the server's certificate is not \
                     valid for {name:?}; connect with a name the certificate lists, or set that name \
                     with TlsConfig::server_name"
                )
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => format!(
                "TLS certificate verification failed for {addr}: the server's certificate has expired \
                 or is not valid yet; renew it, or check this machine's clock"
            ),
            other => format!(
                "TLS certificate verification failed for {addr} ({other:?}); check the server's \
                 certificate and the CA given with TlsConfig::ca_pem or ca_file"
            ),
        },
        Some(rustls::Error::AlertReceived(alert)) => alert_text(*alert, addr),
        Some(rustls::Error::InvalidMessage(_)) => format!(
            "{addr} did not answer the TLS handshake with TLS; is that the server's TLS port (tls-port)?"
        ),
        _ => format!("the TLS handshake with {addr} failed"),
    };
    Error::connection(detail).with_source(e)
}

/// What an alert from the server most likely means.
fn alert_text(alert: AlertDescription, addr: &dyn fmt::Display) -> String {
    if client_cert_alert(alert) {
        format!(
            "{addr} refused the TLS client certificate, or its absence ({alert:?}); if the server \
             requires client certificates (tls-auth-clients), set one signed by a CA it trusts with \
             TlsConfig::client_cert_pem or client_cert_files"
        )
    } else {
        format!("{addr} aborted the TLS handshake ({alert:?})")
    }
}

/// Alerts a server sends when it does not accept the client's certificate.
fn client_cert_alert(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::UnknownCA
            | AlertDescription::HandshakeFailure
            | AlertDescription::AccessDenied
    )
}

fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// With TLS 1.3 the client finishes its handshake before the server has
/// checked the client certificate, so a refusal arrives as an alert on the
/// first read. Reword such read errors so they say what to configure.
fn explain_read_error(e: io::Error) -> io::Error {
    match rustls_error(&e) {
        // Once the client's side of the handshake is done, the client's
        // certificate is the one thing the server still checks: a failed
        // signature check there (e.g. by a different CA of the same name)
        // comes back as DecryptError.
        Some(rustls::Error::AlertReceived(alert))
            if client_cert_alert(*alert) || *alert == AlertDescription::DecryptError =>
        {
            let text = alert_text(*alert, &"the server");
            io::Error::new(e.kind(), text)
        }
        _ => e,
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut *self.get_mut().inner).poll_read(cx, buf) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(explain_read_error(e))),
            other => other,
        }
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA certificate (P-256, valid until 2126), only ever
    /// parsed here: nothing is signed with it.
    const CA: &str = "-----BEGIN CERTIFICATE-----
MIIBmDCCAT2gAwIBAgIUMIfDQCglIUyAZwBaEjtsY3O4pHAwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVdG9ybmFkaXMtdW5pdC10ZXN0LWNhMCAXDTI2MTEyMzIxMDcx
NFoYDzIxMjYxMDMwMjEwNzE0WjAgMR4wHAYDVQQDDBV0b3JuYWRpcy11bml0LXRl
c3QtY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARVCL7nrR2V05oEw1Q7RZNf
t08U3pzih9sLw9j35giM0JIWq0bTieDp5I6AsJMrTLi8rRPlznIwlr2asW+z14Iy
o1MwUTAdBgNVHQ4EFgQUdX6JbOTnFCT8IcEt3Xoxb3lBnq0wHwYDVR0jBBgwFoAU
dX6JbOTnFCT8IcEt3Xoxb3lBnq0wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNJADBGAiEA2+9aURugD1/IekKvwDilj4YU+omGoY1arJdBeckFhH4CIQCSsLeK
jb3oGFXIGcF82hWwoXYWhKh3OW0znSd5+0bwyg==
-----END CERTIFICATE-----
";

    const KEY_LOOKALIKE: &str =
        "-----BEGIN PRIVATE KEY-----\nS3CR3TKEYMATERIAL\n-----END PRIVATE KEY-----\n";

    #[test]
    fn debug_never_shows_key_material() {
        let tls = TlsConfig::new()
            .ca_pem(CA)
            .client_cert_pem(CA, KEY_LOOKALIKE)
            .server_name("redis.internal");
        let text = format!("{tls:?}");
        assert!(!text.contains("S3CR3T"), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        assert!(text.contains("redis.internal"), "{text}");
        let files = TlsConfig::new().client_cert_files("/etc/c.crt", "/etc/c.key");
        let text = format!("{files:?}");
        assert!(text.contains("/etc/c.key"), "paths are not secret: {text}");
    }

    #[test]
    fn a_bad_client_key_is_a_client_error_that_hides_the_key() {
        let e = TlsConfig::new()
            .ca_pem(CA)
            .client_cert_pem(CA, KEY_LOOKALIKE)
            .client_config()
            .unwrap_err();
        assert!(e.is_client(), "{e}");
        let text = format!("{e} {e:?}");
        assert!(text.contains("private key"), "{text}");
        assert!(!text.contains("S3CR3T"), "{text}");
    }

    #[test]
    fn ca_without_certificates_is_a_client_error() {
        let e = TlsConfig::new()
            .ca_pem("just text")
            .client_config()
            .unwrap_err();
        assert!(e.is_client(), "{e}");
        assert!(e.to_string().contains("no CERTIFICATE"), "{e}");
    }

    #[test]
    fn missing_ca_file_names_the_path() {
        let e = TlsConfig::new()
            .ca_file("/nonexistent/tornadis/ca.pem")
            .client_config()
            .unwrap_err();
        assert!(e.is_client(), "{e}");
        assert!(
            e.to_string().contains("/nonexistent/tornadis/ca.pem"),
            "{e}"
        );
    }

    #[test]
    #[cfg(not(any(feature = "tls-webpki-roots", feature = "tls-native-roots")))]
    fn no_roots_at_all_says_what_to_configure() {
        for tls in [TlsConfig::new(), TlsConfig::new().default_roots(true)] {
            let e = tls.client_config().unwrap_err();
            assert!(e.is_client(), "{e}");
            assert!(e.to_string().contains("TlsConfig::ca_pem"), "{e}");
        }
    }

    #[test]
    fn the_rustls_config_is_built_once_and_rebuilt_after_a_change() {
        let tls = TlsConfig::new().ca_pem(CA);
        let first = tls.client_config().unwrap();
        let clone = tls.clone();
        assert!(Arc::ptr_eq(&first, &clone.client_config().unwrap()));
        let changed = clone.server_name("other");
        assert!(!Arc::ptr_eq(&first, &changed.client_config().unwrap()));
    }

    #[test]
    fn a_changed_ca_file_is_read_again_and_an_unchanged_one_is_not() {
        let dir = std::env::temp_dir().join(format!("tornadis-tls-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, CA).unwrap();
        let tls = TlsConfig::new().ca_file(&path);
        let first = tls.client_config().unwrap();
        assert!(Arc::ptr_eq(&first, &tls.client_config().unwrap()));
        // Replaced by rename, as rotations do: a new inode.
        let next = dir.join("ca.pem.new");
        std::fs::write(&next, CA).unwrap();
        std::fs::rename(&next, &path).unwrap();
        let second = tls.client_config().unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        // Gone: the next attempt says so.
        std::fs::remove_file(&path).unwrap();
        let e = tls.client_config().unwrap_err();
        assert!(e.is_client() && e.to_string().contains("ca.pem"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn explains_rejected_client_certificates_on_read() {
        let alert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
        );
        let text = explain_read_error(alert).to_string();
        assert!(text.contains("client_cert_pem"), "{text}");
        let other = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        let text = explain_read_error(other).to_string();
        assert!(!text.contains("client_cert_pem"), "{text}");
    }
}
