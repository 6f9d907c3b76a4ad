//! The attacker's certificates: a CA of its own, made fresh for each lab
//! in memory and never written anywhere or installed in any trust store,
//! and a leaf for whatever name a client asks for.
//!
//! A client that checks certificates refuses these ("issued by 'popscope
//! attacker CA', not trusted"); a client that accepts any certificate
//! (`--insecure`, or a user who clicks through a warning) hands the
//! session to whoever holds this CA's key.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{TlsError, VERSIONS, provider, set_validity};

/// The common name of the attacker's CA, as a client's refusal names it.
pub const ATTACKER_CA_NAME: &str = "popscope attacker CA";

/// The attacker's CA and the server configurations it made, one per name.
pub struct Forger {
    ca: CertifiedIssuer<'static, KeyPair>,
    made: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl std::fmt::Debug for Forger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forger").finish_non_exhaustive()
    }
}

impl Forger {
    /// A new CA with a fresh key.
    pub fn new() -> Result<Forger, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            DnType::OrganizationName,
            "popscope teaching lab - the attacker",
        );
        params
            .distinguished_name
            .push(DnType::CommonName, ATTACKER_CA_NAME);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params, 2);
        Ok(Forger {
            ca: CertifiedIssuer::self_signed(params, key)?,
            made: Mutex::default(),
        })
    }

    /// The CA certificate in PEM, for a user who wants to see that it is
    /// only the attacker's.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A server configuration presenting a certificate for `name` (a DNS
    /// name or an IP address) signed by the attacker's CA.
    pub fn config_for(&self, name: &str) -> Result<Arc<ServerConfig>, TlsError> {
        if let Some(c) = crate::sync::lock(&self.made).get(name) {
            return Ok(c.clone());
        }
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.subject_alt_names = vec![match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(name.to_string().try_into()?),
        }];
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        set_validity(&mut params, 2);
        let cert = params.signed_by(&key, &self.ca)?;
        let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone(), self.ca.der().clone()];
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)?;
        let config = Arc::new(config);
        crate::sync::lock(&self.made).insert(name.to_string(), config.clone());
        Ok(config)
    }
}
