//! TLS for the lab: a throw-away demo PKI and the rustls configurations built on it.
//!
//! POP3S is only interesting to watch if both ends really speak TLS, so this module
//! gives the server and the client everything they need without asking the user to
//! run `openssl` first:
//!
//! - [`ensure_demo_pki`] creates (once) a small certificate authority and a server
//!   certificate for `localhost`, `127.0.0.1` and `::1`, and keeps them in the user's
//!   data directory so that every later run, and every client the user points at the
//!   lab, sees the same CA.
//! - [`server_config`] and [`client_config`] turn PEM files into rustls configurations
//!   that offer exactly TLS 1.3 and TLS 1.2 and always use the *ring* provider.
//! - [`Trust::InsecureAcceptAny`] exists because the lab shows what a man in the middle
//!   can do; its name is meant to make every use of it stand out in review.
//! - [`SessionSummary`] condenses what a handshake negotiated into a line for the logs.
//!
//! Everything here is deliberately explicit (provider, protocol versions, file modes)
//! instead of relying on process-wide defaults, because other parts of the program, or
//! other crates linked into it, must not be able to change silently what the lab
//! demonstrates.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::version::{TLS12, TLS13};
use rustls::{
    ClientConfig, DigitallySignedStruct, InconsistentKeys, ProtocolVersion, RootCertStore,
    ServerConfig, SignatureScheme, SupportedProtocolVersion,
};

pub mod forge;
mod problem;
pub use problem::{CertAlert, CertProblem, Refusal};

/// File name of the demo CA certificate inside the PKI directory.
pub const CA_CERT_FILE: &str = "ca.pem";
/// File name of the demo CA private key inside the PKI directory.
pub const CA_KEY_FILE: &str = "ca-key.pem";
/// File name of the server certificate chain (server certificate, then the CA).
pub const SERVER_CERT_FILE: &str = "server.pem";
/// File name of the server private key inside the PKI directory.
pub const SERVER_KEY_FILE: &str = "server-key.pem";

/// The protocol versions every configuration offers, newest first.
///
/// Both are listed explicitly so that a future rustls release that changes its
/// defaults cannot change what the lab shows; TLS 1.2 stays because comparing its
/// handshake with TLS 1.3's on the wire is part of the lesson.
static VERSIONS: &[&SupportedProtocolVersion] = &[&TLS13, &TLS12];

/// Names the demo server certificate is issued for, and checked against on load.
const DEMO_SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The name on the decoy certificate: genuine (issued by the demo CA) but
/// for another name, as an attacker who owns a real certificate for a
/// domain of its own would present it.
pub const DECOY_NAME: &str = "attacker.popscope.test";
/// The decoy's chain (decoy certificate, then the CA).
pub const DECOY_CERT_FILE: &str = "decoy.pem";
/// The decoy's private key.
pub const DECOY_KEY_FILE: &str = "decoy-key.pem";

/// Validity of the demo CA: long enough that a lab install never has to think about it.
const CA_VALIDITY_DAYS: u64 = 3650;
/// Validity of the server certificate: 825 days, because Apple platforms refuse TLS
/// server certificates valid for longer than that, even from a CA the user installed,
/// and a student may well point the Mail app on a Mac at the lab.
const SERVER_VALIDITY_DAYS: u64 = 825;
/// How far `notBefore` is moved into the past, so that a peer whose clock runs a
/// little behind ours does not reject a certificate that was issued a second ago.
const BACKDATE: Duration = Duration::from_secs(24 * 60 * 60);

/// The one crypto provider the project uses: ring, chosen explicitly.
///
/// rustls can pick a process-wide default provider, but that default depends on which
/// crate features happen to be enabled anywhere in the dependency graph. Naming *ring*
/// here keeps the cipher suites and key-exchange groups the lab shows predictable, and
/// sharing one `Arc` avoids rebuilding the provider for every connection the load
/// generator makes.
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// Everything that can go wrong while loading, checking or creating TLS material.
///
/// Each variant that concerns a file names it, because the person reading the message
/// is usually about to open that file in an editor or delete it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file or directory could not be read, written, created or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What the operating system reported.
        source: io::Error,
    },

    /// The file is readable but holds no PEM `CERTIFICATE` block.
    #[error("{}: no certificate found (expected a PEM block starting with '-----BEGIN CERTIFICATE-----')", path.display())]
    NoCertificate {
        /// The file that was expected to hold certificates.
        path: PathBuf,
    },

    /// The file is readable but holds no PEM private key that rustls understands.
    #[error("{}: no private key found (expected an unencrypted PEM 'PRIVATE KEY', 'EC PRIVATE KEY' or 'RSA PRIVATE KEY' block)", path.display())]
    NoPrivateKey {
        /// The file that was expected to hold a private key.
        path: PathBuf,
    },

    /// The file looks like PEM but is damaged (bad base64, a missing END line, ...).
    #[error("{}: malformed PEM: {reason}", path.display())]
    BadPem {
        /// The damaged file.
        path: PathBuf,
        /// What the PEM parser complained about.
        reason: String,
    },

    /// A certificate in the file parsed as PEM but cannot be used (bad DER, unsupported
    /// algorithm, not acceptable as a trust anchor, ...).
    #[error("{}: unusable certificate: {source}", path.display())]
    BadCertificate {
        /// The file holding the certificate.
        path: PathBuf,
        /// Why rustls or webpki rejected it.
        source: rustls::Error,
    },

    /// The private key parsed as PEM but the crypto provider cannot use it.
    #[error("{}: unusable private key: {source}", path.display())]
    BadPrivateKey {
        /// The file holding the key.
        path: PathBuf,
        /// Why the provider rejected it.
        source: rustls::Error,
    },

    /// The private key is fine on its own but belongs to a different certificate.
    #[error(
        "the private key in {} does not belong to the certificate in {}",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        /// The file holding the certificate (the first one in it is the one compared).
        cert: PathBuf,
        /// The file holding the private key.
        key: PathBuf,
    },

    /// The stored demo server certificate does not verify against the stored demo CA
    /// for the names it is meant to serve (for example because it has expired).
    #[error(
        "{}: the demo server certificate does not verify against the demo CA: {source} \
         (delete the four demo PKI files in that directory to have fresh ones generated)",
        path.display()
    )]
    ChainRejected {
        /// The server certificate chain file.
        path: PathBuf,
        /// The verification error.
        source: rustls::Error,
    },

    /// rustls refused to build a configuration for a reason not tied to one file.
    #[error("TLS configuration error: {0}")]
    Rustls(#[from] rustls::Error),

    /// rcgen failed to generate a key or to sign a certificate.
    #[error("cannot generate the demo certificates: {0}")]
    Generate(#[from] rcgen::Error),

    /// [`Trust::LabCa`] reached a place that builds a configuration; only
    /// the lab knows its CA and puts the file in its place first.
    #[error("\"the lab's CA\" means nothing outside the lab; give a CA file instead")]
    NoLabCa,
}

/// Paths of the demo PKI kept in the user's data directory.
///
/// Only paths are returned, not parsed objects, because the server and the clients
/// load them through [`server_config`] and [`client_config`] anyway, and because the
/// paths are what the user needs to see to point another mail client at the CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPki {
    /// The demo CA certificate (`ca.pem`), the file a client must trust.
    pub ca_cert: PathBuf,
    /// The server certificate chain (`server.pem`): server certificate, then the CA.
    pub server_cert: PathBuf,
    /// The server private key (`server-key.pem`), readable by the owner only.
    pub server_key: PathBuf,
    /// `true` if this call generated the files, `false` if it found and loaded them.
    pub created: bool,
    /// The decoy certificate chain and key (see [`DECOY_NAME`]), written
    /// beside a freshly generated set; `None` for a set made by an older
    /// version. The lab's name-mismatch attack presents it.
    pub decoy: Option<(PathBuf, PathBuf)>,
}

/// Load the demo CA and server certificate from `dir`, creating them on first use.
///
/// The directory holds `ca.pem`, `ca-key.pem`, `server.pem` (the server certificate
/// followed by the CA certificate, i.e. the chain the server sends) and
/// `server-key.pem`. The CA says in its subject that it is not for real use and is
/// valid for ten years; the server certificate is issued for `localhost`, `127.0.0.1`
/// and `::1`, for server authentication only, and is valid for 825 days. All keys are
/// ECDSA P-256 because they are quick to generate and make handshakes cheap, which
/// matters when the load generator opens thousands of connections.
///
/// If all four files exist they are loaded and checked: the PEM must parse, the CA
/// key must belong to the CA, the server certificate and key must build a rustls
/// server configuration, and the chain must verify against the CA for all three
/// names. If anything is wrong the error names the file and nothing is overwritten,
/// because the user may have installed that CA somewhere or edited the files on
/// purpose, and deleting their work to "fix" it would be worse than stopping.
///
/// If only some of the files exist, a previous run was interrupted or someone deleted
/// a file; the set cannot be trusted to match, so all four are generated again and
/// `created` is `true`. New files are written next to their final names and renamed
/// into place, and private keys are created with mode 0600 from the first byte, so
/// there is never a moment when a key is readable by other users. A missing `dir` is
/// created with mode 0700. An advisory lock on `dir/.lock` keeps two lab processes
/// that start at the same moment from generating two different sets at once.
///
/// # Errors
///
/// [`TlsError::Io`] if the directory or a file cannot be created, read or renamed;
/// [`TlsError::NoCertificate`], [`TlsError::NoPrivateKey`], [`TlsError::BadPem`],
/// [`TlsError::BadCertificate`], [`TlsError::BadPrivateKey`] or
/// [`TlsError::KeyMismatch`] naming the damaged file of an existing set;
/// [`TlsError::ChainRejected`] if the stored server certificate no longer verifies
/// (for example because it expired); [`TlsError::Generate`] if key generation fails.
pub fn ensure_demo_pki(dir: &Path) -> Result<DemoPki, TlsError> {
    create_private_dir(dir)?;
    let _lock = DirLock::acquire(dir)?;

    let ca_cert = dir.join(CA_CERT_FILE);
    let ca_key = dir.join(CA_KEY_FILE);
    let server_cert = dir.join(SERVER_CERT_FILE);
    let server_key = dir.join(SERVER_KEY_FILE);
    let all = [&ca_cert, &ca_key, &server_cert, &server_key];

    let mut present = 0;
    for path in all {
        if path.try_exists().map_err(|source| io_error(path, source))? {
            present += 1;
        }
    }

    let created = present != all.len();
    if created {
        if present > 0 {
            tracing::warn!(
                dir = %dir.display(),
                present,
                "incomplete demo PKI found; generating a new CA and server certificate"
            );
        } else {
            tracing::info!(dir = %dir.display(), "generating the demo CA and server certificate");
        }
        let material = generate_demo_pki()?;
        write_demo_pki(dir, &material)?;
        // The decoy is an extra, not part of the set's completeness check:
        // written after the set, and absent from sets made before it
        // existed.
        write_new_file(
            &dir.join(DECOY_KEY_FILE),
            material.decoy_key.as_bytes(),
            0o600,
        )?;
        write_new_file(
            &dir.join(DECOY_CERT_FILE),
            material.decoy_chain.as_bytes(),
            0o644,
        )?;
    } else {
        for key in [&ca_key, &server_key] {
            warn_if_key_readable_by_others(key);
        }
    }

    // Check freshly generated files too: it costs a few milliseconds and proves that
    // what is on disk, not just what was in memory, is usable.
    check_demo_pki(&ca_cert, &ca_key, &server_cert, &server_key)?;

    let decoy = (dir.join(DECOY_CERT_FILE), dir.join(DECOY_KEY_FILE));
    let decoy = (decoy.0.is_file() && decoy.1.is_file()).then_some(decoy);
    Ok(DemoPki {
        ca_cert,
        server_cert,
        server_key,
        created,
        decoy,
    })
}

/// Build the server config from a PEM chain and a PEM private key (PKCS#8, SEC1 or PKCS#1).
///
/// The configuration offers TLS 1.3 and TLS 1.2, uses the *ring* provider and asks no
/// client certificate, because POP3 clients authenticate with USER/PASS or APOP inside
/// the tunnel. The key is checked against the first certificate of the chain before
/// the configuration is built, so a mismatch is reported as such and names both files
/// instead of surfacing as a failed handshake much later.
///
/// # Errors
///
/// [`TlsError::Io`] if a file cannot be read, [`TlsError::NoCertificate`] or
/// [`TlsError::NoPrivateKey`] if a file holds nothing usable, [`TlsError::BadPem`] if
/// it is damaged, [`TlsError::BadPrivateKey`] or [`TlsError::BadCertificate`] if the
/// provider cannot use what it found, and [`TlsError::KeyMismatch`] if the key belongs
/// to another certificate.
pub fn server_config(cert_chain: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = load_certs(cert_chain)?;
    let key_der = load_private_key(key)?;
    let provider = provider();

    let signing_key = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|source| TlsError::BadPrivateKey {
            path: key.to_owned(),
            source,
        })?;
    let certified = CertifiedKey::new(certs, signing_key);
    match certified.keys_match() {
        // `Unknown` means the key type cannot report its public key; rustls itself
        // accepts that case, so we do too.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            return Err(TlsError::KeyMismatch {
                cert: cert_chain.to_owned(),
                key: key.to_owned(),
            });
        }
        Err(source) => {
            return Err(TlsError::BadCertificate {
                path: cert_chain.to_owned(),
                source,
            });
        }
    }

    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(VERSIONS)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    Ok(Arc::new(config))
}

/// How a client decides to trust a server.
///
/// This is the one trust setting of every client in the project: the
/// library client, `popscope client`, `load`, `demo` and the lab's
/// scenarios. Its serialized names (`lab_ca`, `ca_file`, `system_roots`,
/// `insecure`) are the ones the lab's `--json` output has always used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// Trust the CA of the lab's own server, or the system's roots when the
    /// lab talks to an outside server. Only the lab knows where its CA is,
    /// so it resolves this to [`Trust::CaFile`] or [`Trust::SystemRoots`]
    /// before a configuration is built; elsewhere it is an error
    /// ([`TlsError::NoLabCa`]).
    LabCa,
    /// Trust the certificates in this PEM file (e.g. the demo CA).
    ///
    /// Only these certificates are trusted, not the system store: the lab talks to
    /// its own server, and a system CA vouching for `localhost` would be a surprise.
    CaFile(PathBuf),
    /// Trust the operating system's root certificates, as a mail client talking to a
    /// public server would. Read through `rustls-native-certs`, so `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` override the platform store the same way they do for OpenSSL.
    SystemRoots,
    /// Accept any certificate. Named insecure on purpose: it is what a man in the middle needs.
    ///
    /// The handshake signatures are still verified, so the session is real TLS with
    /// whoever answered; only the question "is that really the server?" is skipped.
    #[serde(rename = "insecure")]
    InsecureAcceptAny,
}

/// Client config for the given trust; versions TLS 1.3 and 1.2; ring provider.
///
/// `resumption` controls session resumption. It is on for normal use because it makes
/// reconnecting cheap, and off for the load generator, which wants every connection to
/// pay for a full handshake so that the numbers measure what they claim to measure.
///
/// # Errors
///
/// [`Trust::CaFile`] fails with [`TlsError::Io`] if the file cannot be read,
/// [`TlsError::NoCertificate`] or [`TlsError::BadPem`] if it holds no usable PEM, and
/// [`TlsError::BadCertificate`] if a certificate in it cannot serve as a trust anchor.
/// [`Trust::SystemRoots`] fails with [`TlsError::Rustls`] if the system store yields no
/// usable root certificate at all.
pub fn client_config(trust: &Trust, resumption: bool) -> Result<Arc<ClientConfig>, TlsError> {
    client_config_for(trust, resumption, VERSIONS)
}

/// [`client_config`] offering only `versions`.
fn client_config_for(
    trust: &Trust,
    resumption: bool,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider();
    let builder =
        ClientConfig::builder_with_provider(provider.clone()).with_protocol_versions(versions)?;

    let mut config = match trust {
        Trust::CaFile(path) => builder
            .with_root_certificates(load_roots(path)?)
            .with_no_client_auth(),
        Trust::SystemRoots => builder
            .with_root_certificates(system_roots()?)
            .with_no_client_auth(),
        Trust::LabCa => return Err(TlsError::NoLabCa),
        Trust::InsecureAcceptAny => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
    };
    if !resumption {
        config.resumption = Resumption::disabled();
    }
    Ok(Arc::new(config))
}

/// The certificates the server presented in the latest handshake of a
/// config made by [`client_config_recording`], leaf first.
///
/// rustls's error for an unknown issuer does not say which issuer, and a
/// failed handshake gives no access to the connection, so the verifier
/// keeps what it was shown. A config is meant for one connection at a
/// time (the lab's client); with several at once this is the latest.
#[derive(Debug, Clone, Default)]
pub struct Presented(Arc<std::sync::Mutex<Vec<CertificateDer<'static>>>>);

impl Presented {
    /// The chain of the latest handshake (empty if none was checked).
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// Like [`client_config`], and with the certificates each
/// handshake presents kept in the returned [`Presented`]. Verification is
/// the same webpki check with the same roots; only the recording is added.
/// `only` limits the client to one TLS version (the lab's 1.2 / 1.3
/// choice); `None` offers both.
///
/// # Errors
///
/// As [`client_config`].
pub fn client_config_recording(
    trust: &Trust,
    resumption: bool,
    only: Option<&'static SupportedProtocolVersion>,
) -> Result<(Arc<ClientConfig>, Presented), TlsError> {
    let presented = Presented::default();
    let one;
    let versions = match only {
        Some(v) => {
            one = [v];
            &one[..]
        }
        None => VERSIONS,
    };
    let roots = match trust {
        Trust::CaFile(path) => load_roots(path)?,
        Trust::SystemRoots => system_roots()?,
        Trust::LabCa => return Err(TlsError::NoLabCa),
        Trust::InsecureAcceptAny => {
            return Ok((client_config_for(trust, resumption, versions)?, presented));
        }
    };
    let provider = provider();
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_string())))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(RecordingVerifier {
            inner,
            presented: presented.clone(),
        }))
        .with_no_client_auth();
    if !resumption {
        config.resumption = Resumption::disabled();
    }
    Ok((Arc::new(config), presented))
}

/// The webpki verifier, keeping each chain it is shown in a [`Presented`].
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    presented: Presented,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.presented.0.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The operating system's trust anchors for [`Trust::SystemRoots`].
///
/// A store that is partly unreadable is common (a stray file in `/etc/ssl/certs`, a
/// certificate webpki cannot parse), and refusing to connect because of one bad file
/// among hundreds would help nobody, so such problems are only logged. An empty result
/// is an error, though: it would make every handshake fail with "unknown issuer", which
/// points at the server when the real problem is on this machine.
fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(%error, "skipping part of the system certificate store");
    }
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    if ignored > 0 {
        tracing::debug!(
            ignored,
            "system root certificates that cannot serve as trust anchors"
        );
    }
    if added == 0 {
        let reason = found
            .errors
            .first()
            .map_or_else(|| "the store is empty".to_owned(), ToString::to_string);
        return Err(TlsError::Rustls(rustls::Error::General(format!(
            "no usable system root certificates ({reason}); give a CA file instead"
        ))));
    }
    Ok(roots)
}

/// What was negotiated, for logs and (later) the screen.
///
/// The fields are plain strings, not rustls types, so that they can be shown, compared
/// in tests and sent to other tasks without dragging rustls types along.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionSummary {
    /// Protocol version as rustls names it, e.g. `TLSv1_3`; `unknown` before the
    /// handshake has finished.
    pub version: String,
    /// Cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`; `unknown` before it is chosen.
    pub suite: String,
    /// Key-exchange group, e.g. `X25519`, if one has been agreed.
    pub group: Option<String>,
    /// Server name indication. On the server it is the name the client asked for
    /// (clients send none for IP addresses). rustls does not expose the name on the
    /// client side, so [`SessionSummary::of_client`] leaves it `None`; the caller knows
    /// which name it dialled and may fill it in.
    pub sni: Option<String>,
}

impl SessionSummary {
    /// Summarise a server-side connection, including the SNI the client sent.
    #[must_use]
    pub fn of_server(conn: &rustls::ServerConnection) -> Self {
        Self {
            version: version_name(conn.protocol_version()),
            suite: suite_name(conn.negotiated_cipher_suite()),
            group: group_name(conn.negotiated_key_exchange_group()),
            sni: conn.server_name().map(str::to_owned),
        }
    }

    /// Summarise a client-side connection (SNI is left `None`, see the field docs).
    #[must_use]
    pub fn of_client(conn: &rustls::ClientConnection) -> Self {
        Self {
            version: version_name(conn.protocol_version()),
            suite: suite_name(conn.negotiated_cipher_suite()),
            group: group_name(conn.negotiated_key_exchange_group()),
            sni: None,
        }
    }
}

impl fmt::Display for SessionSummary {
    /// One line such as `TLSv1_3 TLS13_AES_256_GCM_SHA384 X25519 sni=localhost`; the
    /// group and SNI parts are left out when unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.suite)?;
        if let Some(group) = &self.group {
            write!(f, " {group}")?;
        }
        if let Some(sni) = &self.sni {
            write!(f, " sni={sni}")?;
        }
        Ok(())
    }
}

// The names are rustls's own (`as_str()`), the spelling the eavesdropper's
// dissector uses too, so the transcript's two views of one handshake agree.

fn version_name(version: Option<ProtocolVersion>) -> String {
    version
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_owned()
}

fn suite_name(suite: Option<rustls::SupportedCipherSuite>) -> String {
    suite
        .and_then(|s| s.suite().as_str())
        .unwrap_or("unknown")
        .to_owned()
}

fn group_name(group: Option<&'static dyn rustls::crypto::SupportedKxGroup>) -> Option<String> {
    group.map(|g| g.name().as_str().unwrap_or("unknown").to_owned())
}

/// The protocol version a lesson writes as "1.2" or "1.3", in the spelling
/// [`SessionSummary::version`] uses.
pub fn version_called(short: &str) -> Option<&'static str> {
    match short {
        "1.2" => ProtocolVersion::TLSv1_2.as_str(),
        "1.3" => ProtocolVersion::TLSv1_3.as_str(),
        _ => None,
    }
}

/// The verifier behind [`Trust::InsecureAcceptAny`].
///
/// It accepts every certificate chain for every name, but it still checks that the
/// handshake was signed by the key in the presented certificate, using the provider's
/// algorithms. Without that check the "TLS" session would not even be bound to the
/// certificate it shows, and the lab would demonstrate something weaker than what a
/// real careless client does.
#[derive(Debug)]
struct AcceptAnyServerCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        tracing::debug!(
            server_name = ?server_name,
            "accepting the server certificate without verification (insecure trust mode)"
        );
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

// ---------------------------------------------------------------------------
// Loading PEM files
// ---------------------------------------------------------------------------

fn io_error(path: &Path, source: io::Error) -> TlsError {
    TlsError::Io {
        path: path.to_owned(),
        source,
    }
}

fn bad_pem(path: &Path, err: pem::Error) -> TlsError {
    match err {
        pem::Error::Io(source) => io_error(path, source),
        other => TlsError::BadPem {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// Read the whole file first so that an unreadable file is reported as an I/O error
/// naming it, separately from a readable file with bad content.
fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| io_error(path, source))
}

/// All certificates in a PEM file, in file order; at least one.
fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let data = read_file(path)?;
    let certs = CertificateDer::pem_slice_iter(&data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_pem(path, e))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// The first private key (PKCS#8, SEC1 or PKCS#1) in a PEM file.
fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let data = read_file(path)?;
    PrivateKeyDer::from_pem_slice(&data).map_err(|err| match err {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_owned(),
        },
        other => bad_pem(path, other),
    })
}

/// A root store holding every certificate in `path`; a certificate that cannot serve
/// as a trust anchor is an error rather than silently skipped, so the user is not left
/// wondering why a CA they listed is ignored.
fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|source| TlsError::BadCertificate {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(roots)
}

/// The checks [`ensure_demo_pki`] applies to existing (and freshly written) files.
fn check_demo_pki(
    ca_cert: &Path,
    ca_key: &Path,
    server_cert: &Path,
    server_key: &Path,
) -> Result<(), TlsError> {
    let roots = Arc::new(load_roots(ca_cert)?);
    let ca_certs = load_certs(ca_cert)?;

    // The CA key is not needed to serve, but a CA key that does not match the CA means
    // the set was mixed up, and that is worth stopping for.
    let key = provider()
        .key_provider
        .load_private_key(load_private_key(ca_key)?)
        .map_err(|source| TlsError::BadPrivateKey {
            path: ca_key.to_owned(),
            source,
        })?;
    match CertifiedKey::new(ca_certs, key).keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            return Err(TlsError::KeyMismatch {
                cert: ca_cert.to_owned(),
                key: ca_key.to_owned(),
            });
        }
        Err(source) => {
            return Err(TlsError::BadCertificate {
                path: ca_cert.to_owned(),
                source,
            });
        }
    }

    server_config(server_cert, server_key)?;

    let chain = load_certs(server_cert)?;
    let (end_entity, intermediates) = chain
        .split_first()
        .expect("load_certs returns at least one certificate");
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(|e| TlsError::BadCertificate {
            path: ca_cert.to_owned(),
            source: rustls::Error::General(e.to_string()),
        })?;
    let now = UnixTime::now();
    for name in DEMO_SERVER_NAMES {
        let name = ServerName::try_from(name).expect("the demo server names are valid");
        verifier
            .verify_server_cert(end_entity, intermediates, &name, &[], now)
            .map_err(|source| TlsError::ChainRejected {
                path: server_cert.to_owned(),
                source,
            })?;
    }
    Ok(())
}

/// Private keys should be readable by their owner only; say so if they are not, but
/// do not refuse to run, since the files belong to the user and it is their call.
fn warn_if_key_readable_by_others(path: &Path) {
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{mode:o}"),
                "private key is readable by other users; consider chmod 600"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Generating the demo PKI
// ---------------------------------------------------------------------------

/// The four PEM documents of a freshly generated demo PKI.
struct DemoMaterial {
    ca_cert: String,
    ca_key: String,
    server_chain: String,
    server_key: String,
    decoy_chain: String,
    decoy_key: String,
}

/// Set `not_before` a day in the past and `not_after` `days` from now.
///
/// rcgen takes `time::OffsetDateTime`, which this crate does not depend on directly;
/// starting from rcgen's own date helper and adding a `std::time::Duration` gets the
/// current time without adding that dependency.
pub(crate) fn set_validity(params: &mut CertificateParams, days: u64) {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let now = rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(since_epoch.as_secs());
    params.not_before = now - BACKDATE;
    params.not_after = now + Duration::from_secs(days * 24 * 60 * 60);
}

fn generate_demo_pki() -> Result<DemoMaterial, TlsError> {
    // The CA. Both the organisation and the common name say that it is a demo, so that
    // anyone who finds it in a trust store knows at once it should not be there.
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params.distinguished_name.push(
        DnType::OrganizationName,
        "popscope teaching lab - NOT FOR REAL USE",
    );
    // A random tag per generated CA. Certificate paths are built by matching names, so
    // two demo CAs with identical subjects (say, from two lab machines) would be
    // mistaken for each other and fail with a confusing "bad signature" instead of
    // "unknown issuer"; the tag keeps every generated CA distinct.
    ca_params.distinguished_name.push(
        DnType::OrganizationalUnitName,
        format!("install {}", random_tag()?),
    );
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "popscope demo CA (not for real use)");
    // Path length 0: this CA signs end-entity certificates only.
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut ca_params, CA_VALIDITY_DAYS);
    let ca_key_pem = ca_key.serialize_pem();
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key)?;
    let ca_pem = ca.pem();

    // The server certificate. The SANs are what clients check; the CN is only there
    // to make the certificate readable in tools that show the subject.
    let server_key = KeyPair::generate()?;
    let mut server_params = CertificateParams::new(
        DEMO_SERVER_NAMES
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>(),
    )?;
    server_params.distinguished_name = rcgen::DistinguishedName::new();
    server_params.distinguished_name.push(
        DnType::OrganizationName,
        "popscope teaching lab - NOT FOR REAL USE",
    );
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.is_ca = IsCa::ExplicitNoCa;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.use_authority_key_identifier_extension = true;
    set_validity(&mut server_params, SERVER_VALIDITY_DAYS);
    let server_cert = server_params.signed_by(&server_key, &ca)?;

    // The decoy: the same CA, the same usage, another name.
    let decoy_key = KeyPair::generate()?;
    let mut decoy_params = CertificateParams::new(vec![DECOY_NAME.to_owned()])?;
    decoy_params.distinguished_name = rcgen::DistinguishedName::new();
    decoy_params
        .distinguished_name
        .push(DnType::CommonName, DECOY_NAME);
    decoy_params.is_ca = IsCa::ExplicitNoCa;
    decoy_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    decoy_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    decoy_params.use_authority_key_identifier_extension = true;
    set_validity(&mut decoy_params, SERVER_VALIDITY_DAYS);
    let decoy_cert = decoy_params.signed_by(&decoy_key, &ca)?;

    Ok(DemoMaterial {
        decoy_chain: format!("{}{}", decoy_cert.pem(), ca_pem),
        decoy_key: decoy_key.serialize_pem(),
        server_chain: format!("{}{}", server_cert.pem(), ca_pem),
        ca_cert: ca_pem,
        ca_key: ca_key_pem,
        server_key: server_key.serialize_pem(),
    })
}

/// Twelve random hex digits from the operating system's generator.
fn random_tag() -> Result<String, TlsError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 6];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| TlsError::Generate(rcgen::Error::RingUnspecified))?;
    Ok(hex::encode(bytes))
}

/// Write all four files via temporary names, then rename them into place.
///
/// Every file is complete and synced before any rename happens, so an interruption
/// leaves either the old set, a partial set (which the next run regenerates) or the
/// new set, never a truncated file under a final name.
fn write_demo_pki(dir: &Path, material: &DemoMaterial) -> Result<(), TlsError> {
    let files: [(&str, &str, u32); 4] = [
        (CA_KEY_FILE, &material.ca_key, 0o600),
        (SERVER_KEY_FILE, &material.server_key, 0o600),
        (CA_CERT_FILE, &material.ca_cert, 0o644),
        (SERVER_CERT_FILE, &material.server_chain, 0o644),
    ];
    let mut staged = Vec::with_capacity(files.len());
    for (name, contents, mode) in files {
        let tmp = dir.join(format!(".{name}.tmp"));
        write_new_file(&tmp, contents.as_bytes(), mode)?;
        staged.push((tmp, dir.join(name)));
    }
    for (tmp, dest) in &staged {
        fs::rename(tmp, dest).map_err(|source| io_error(dest, source))?;
    }
    // Make the renames themselves durable.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| io_error(dir, source))?;
    Ok(())
}

/// Create `path` afresh with `mode` (never following a symlink or reusing a file left
/// behind), write `contents` and sync it.
fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(io_error(path, source)),
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|source| io_error(path, source))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|source| io_error(path, source))
}

/// Create `dir` (and missing parents) with mode 0700 if it does not exist yet. An
/// existing directory is left as it is: its permissions are the user's choice.
fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| io_error(dir, source))
}

/// An exclusive `flock` on `dir/.lock`, released when dropped (the file is closed).
struct DirLock {
    _file: File,
}

impl DirLock {
    fn acquire(dir: &Path) -> Result<Self, TlsError> {
        let path = dir.join(".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|source| io_error(&path, source))?;
        loop {
            // SAFETY: `file` owns a valid open descriptor for the duration of the call.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                return Ok(Self { _file: file });
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(io_error(&path, err));
            }
        }
    }
}

#[cfg(test)]
mod tests;

/// The bytes of one real handshake, as [`handshake_in_memory`] ran it.
#[derive(Debug, Clone)]
pub struct HandshakeBytes {
    /// The client's first flight (the ClientHello record).
    pub client_first: Vec<u8>,
    /// Everything the client sent.
    pub client: Vec<u8>,
    /// Everything the server sent.
    pub server: Vec<u8>,
    /// Each flight in the order it crossed: a transcript across both
    /// directions (TLS 1.2's Finished hashes messages of both sides in
    /// that order) and the order a decryptor must be fed in.
    pub flights: Vec<(crate::wire::Direction, Vec<u8>)>,
    /// The client's key log of this handshake, as rustls's `key_log`
    /// hook handed it over, so tests can open the encrypted records.
    pub keys: crate::wire::decrypt::KeyLog,
}

/// Run one TLS handshake between a rustls client and the lab's server
/// configuration in memory, limited to `version`, with the demo
/// certificates in `dir` (made there if missing): the byte view's tests
/// and benchmark take real messages from it, as a learner's connection
/// would send them.
///
/// # Errors
///
/// A certificate that cannot be made or loaded, or a handshake that does
/// not finish.
pub fn handshake_in_memory(
    dir: &Path,
    version: &'static rustls::SupportedProtocolVersion,
) -> Result<HandshakeBytes, TlsError> {
    fn general(e: impl std::fmt::Display) -> TlsError {
        TlsError::Rustls(rustls::Error::General(e.to_string()))
    }
    let pki = ensure_demo_pki(dir)?;
    let server = server_config(&pki.server_cert, &pki.server_key)?;
    let mut roots = rustls::RootCertStore::empty();
    for c in load_certs(&pki.ca_cert)? {
        roots.add(c).map_err(general)?;
    }
    let mut client = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[version])
        .map_err(general)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let recorder = crate::wire::decrypt::KeyLogRecorder::new();
    client.key_log = Arc::new(recorder.clone());
    let name = rustls::pki_types::ServerName::try_from("localhost").map_err(general)?;
    let fail = |e: rustls::Error| general(e);
    let mut c = rustls::ClientConnection::new(Arc::new(client), name).map_err(fail)?;
    let mut s = rustls::ServerConnection::new(server).map_err(fail)?;
    let mut out = HandshakeBytes {
        client_first: Vec::new(),
        client: Vec::new(),
        server: Vec::new(),
        flights: Vec::new(),
        keys: crate::wire::decrypt::KeyLog::new(),
    };
    // Each round moves one flight each way; a handshake takes at most
    // three, and the rest carry session tickets.
    for round in 0..6 {
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).map_err(general)?;
        }
        if round == 0 {
            out.client_first = buf.clone();
        }
        out.client.extend_from_slice(&buf);
        if !buf.is_empty() {
            out.flights
                .push((crate::wire::Direction::ClientToServer, buf.clone()));
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            s.read_tls(&mut rd).map_err(general)?;
            s.process_new_packets().map_err(fail)?;
        }
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).map_err(general)?;
        }
        out.server.extend_from_slice(&buf);
        if !buf.is_empty() {
            out.flights
                .push((crate::wire::Direction::ServerToClient, buf.clone()));
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            c.read_tls(&mut rd).map_err(general)?;
            c.process_new_packets().map_err(fail)?;
        }
    }
    if c.is_handshaking() || s.is_handshaking() {
        return Err(general("the handshake did not finish"));
    }
    out.keys = recorder.snapshot();
    Ok(out)
}
