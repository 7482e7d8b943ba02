//! TLS for a [`RedisServer`](super::RedisServer): test certificates made at
//! run time, and the `--tls-*` arguments of a TLS listener.
//!
//! A TLS server keeps its plain TCP port and unix socket (the fixture's own
//! readiness probe and `redis-cli` use them) and listens for TLS on a second
//! reserved port, so a client pointed at the TLS port must speak TLS.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use super::kind::ServerKind;

/// A certificate authority with a server and a client certificate it
/// signed, all PEM, generated fresh (P-256 keys) for each call.
///
/// ```no_run
/// use tornadis_tests::{RedisServer, TestCerts};
///
/// let certs = TestCerts::generate();
/// let server = RedisServer::builder().tls(certs.clone()).start();
/// let url = server.tls_url(); // rediss://127.0.0.1:PORT, trusted via certs.ca_pem
/// ```
#[derive(Clone)]
pub struct TestCerts {
    /// The CA certificate: what a client must trust.
    pub ca_pem: String,
    /// The server certificate, signed by the CA.
    pub server_cert_pem: String,
    /// The server certificate's private key.
    pub server_key_pem: String,
    /// A client certificate (for mutual TLS), signed by the CA.
    pub client_cert_pem: String,
    /// The client certificate's private key.
    pub client_key_pem: String,
    server_names: Vec<String>,
}

/// Keys stay out of test output.
impl std::fmt::Debug for TestCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCerts")
            .field("server_names", &self.server_names)
            .finish_non_exhaustive()
    }
}

impl TestCerts {
    /// Certificates whose server certificate is valid for `127.0.0.1` and
    /// `localhost`.
    pub fn generate() -> TestCerts {
        TestCerts::for_server_names(&["127.0.0.1", "localhost"])
    }

    /// Certificates whose server certificate is valid for exactly these
    /// names (DNS names or IP addresses).
    ///
    /// # Panics
    /// If a name is neither, or key generation fails.
    pub fn for_server_names(names: &[&str]) -> TestCerts {
        let fail = |what: &str, e: rcgen::Error| -> ! { panic!("generating {what}: {e}") };
        let ca_key = KeyPair::generate().unwrap_or_else(|e| fail("the CA key", e));
        let mut ca_params =
            CertificateParams::new(Vec::new()).unwrap_or_else(|e| fail("the CA params", e));
        // A distinct name per CA, as real CAs have: a server then reports an
        // unknown CA for a certificate from another one.
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let ca_name = format!(
            "tornadis test CA {}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key)
            .unwrap_or_else(|e| fail("the CA certificate", e));

        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let leaf = |names: Vec<String>, cn: &str, usage: ExtendedKeyUsagePurpose| {
            let key = KeyPair::generate().unwrap_or_else(|e| fail("a key", e));
            let mut params =
                CertificateParams::new(names).unwrap_or_else(|e| fail("certificate params", e));
            params.distinguished_name.push(DnType::CommonName, cn);
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![usage];
            let cert = params
                .signed_by(&key, &ca)
                .unwrap_or_else(|e| fail("a certificate", e));
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert_pem, server_key_pem) = leaf(
            names.clone(),
            "tornadis test server",
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert_pem, client_key_pem) = leaf(
            Vec::new(),
            "tornadis test client",
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        TestCerts {
            ca_pem: ca.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
            server_names: names,
        }
    }

    /// The names the server certificate is valid for.
    pub fn server_names(&self) -> &[String] {
        &self.server_names
    }
}

/// Whether a TLS server asks clients for a certificate
/// (`--tls-auth-clients`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// No client certificate is asked for (`no`).
    #[default]
    None,
    /// A client certificate is checked if sent (`optional`).
    Optional,
    /// Clients without a certificate signed by the CA are refused (`yes`).
    Required,
}

/// The TLS settings of a server builder.
#[derive(Debug, Clone)]
pub(super) struct TlsListener {
    pub(super) certs: TestCerts,
    pub(super) client_auth: ClientAuth,
}

impl TlsListener {
    /// Writes the server's files into `dir` and returns the arguments that
    /// make it listen for TLS on `port`.
    pub(super) fn args(&self, port: u16, dir: &Path) -> Result<Vec<OsString>, String> {
        let files = [
            ("tls-ca.crt", &self.certs.ca_pem),
            ("tls-server.crt", &self.certs.server_cert_pem),
            ("tls-server.key", &self.certs.server_key_pem),
        ];
        for (name, pem) in files {
            let path = dir.join(name);
            fs::write(&path, pem).map_err(|e| format!("writing {}: {e}", path.display()))?;
        }
        let auth = match self.client_auth {
            ClientAuth::None => "no",
            ClientAuth::Optional => "optional",
            ClientAuth::Required => "yes",
        };
        Ok(vec![
            "--tls-port".into(),
            port.to_string().into(),
            "--tls-ca-cert-file".into(),
            dir.join("tls-ca.crt").into(),
            "--tls-cert-file".into(),
            dir.join("tls-server.crt").into(),
            "--tls-key-file".into(),
            dir.join("tls-server.key").into(),
            "--tls-auth-clients".into(),
            auth.into(),
        ])
    }
}

/// Whether the `redis-server` binary was built with TLS (`BUILD_TLS=yes`).
pub fn redis_supports_tls() -> bool {
    supports_tls(ServerKind::Redis)
}

/// Whether the server binary of `kind` was built with TLS (`BUILD_TLS=yes`).
///
/// Probed once per kind by starting it with TLS options and certificate
/// files that do not exist: a TLS build fails to load them, a build
/// without TLS rejects the options themselves.
pub fn supports_tls(kind: ServerKind) -> bool {
    static SUPPORTED: [OnceLock<bool>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = match kind {
        ServerKind::Redis => &SUPPORTED[0],
        ServerKind::Valkey => &SUPPORTED[1],
    };
    *slot.get_or_init(|| {
        let missing = "/nonexistent/tornadis-tls-probe.pem";
        let output = Command::new(kind.binary())
            .args(["--port", "0", "--tls-port", "1"])
            .args(["--tls-cert-file", missing, "--tls-key-file", missing])
            .args(["--tls-ca-cert-file", missing])
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr);
                text.contains("Failed to load") || text.contains("Failed to configure TLS")
            }
            Err(_) => false,
        }
    })
}
