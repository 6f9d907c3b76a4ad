//! Why a server certificate was refused, as a typed value with one wording.
//!
//! rustls reports a failed check as `Error::InvalidCertificate(..)`; some
//! reasons are its own variants (with dates and names in the `…Context`
//! ones), others arrive from rustls-webpki wrapped in `OtherError`, whose
//! only text is a Debug name such as `CaUsedAsEndEntity`. [`CertProblem`]
//! turns both into what a learner needs: what is wrong, the name or date
//! involved, and what to do. The client, the lab's events, the transcript
//! and the TLS pane all show its words ([`CertProblem::words`], whose
//! English is its [`Display`](std::fmt::Display)).

use std::fmt;

use crate::lang::Lang;

use rustls::CertificateError as E;
use rustls::pki_types::ServerName;

/// What was wrong with the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum CertProblem {
    /// No CA the client trusts signed it (a self-signed certificate, the
    /// lab's demo CA not given with --ca, a private CA).
    UnknownIssuer {
        /// The issuer's name from the certificate, when the caller saw the
        /// certificate (rustls's error does not carry it).
        issuer: Option<String>,
    },
    /// It is not issued for the name the client connected to.
    NameMismatch {
        /// The name the client asked for.
        expected: String,
        /// The names the certificate lists (empty when rustls did not say).
        presented: Vec<String>,
    },
    /// Its validity ended.
    Expired {
        /// When, as Unix seconds, if rustls said.
        not_after: Option<u64>,
    },
    /// Its validity has not begun.
    NotYetValid {
        /// When it begins, as Unix seconds, if rustls said.
        not_before: Option<u64>,
    },
    /// The server presents a CA certificate as its own.
    CaUsedAsEndEntity,
    /// A server certificate was used to sign another certificate.
    EndEntityUsedAsCa,
    /// A signature in the chain does not verify.
    BadSignature,
    /// The signature uses an algorithm the client does not accept.
    UnsupportedAlgorithm,
    /// The CA withdrew it.
    Revoked,
    /// It is not issued for TLS servers (its extended key usage).
    WrongPurpose,
    /// It cannot be parsed.
    BadEncoding,
    /// It breaks a rule its CA set (name constraints, path length).
    ConstraintViolated,
    /// Something else; `kind` names it for a search.
    Other {
        /// rustls's or webpki's name for the reason.
        kind: String,
    },
}

impl CertProblem {
    /// Name the issuer of an unknown-issuer problem, from the certificate
    /// the caller saw; other problems are left as they are.
    pub fn with_issuer(self, issuer: String) -> Self {
        match self {
            Self::UnknownIssuer { .. } => Self::UnknownIssuer {
                issuer: Some(issuer),
            },
            other => other,
        }
    }

    /// The problem behind a rustls error, or `None` when the error is not
    /// about the certificate. `expected` is the name the client dialled.
    pub fn from_rustls(err: &rustls::Error, expected: &ServerName<'_>) -> Option<CertProblem> {
        match err {
            rustls::Error::InvalidCertificate(cert) => Some(Self::from_certificate(cert, expected)),
            _ => None,
        }
    }

    /// The problem behind one certificate error.
    pub fn from_certificate(err: &rustls::CertificateError, expected: &ServerName<'_>) -> Self {
        let expected = expected.to_str().into_owned();
        match err {
            E::UnknownIssuer => Self::UnknownIssuer { issuer: None },
            E::NotValidForName => Self::NameMismatch {
                expected,
                presented: Vec::new(),
            },
            E::NotValidForNameContext { presented, .. } => Self::NameMismatch {
                expected,
                presented: presented.iter().map(|p| tidy_general_name(p)).collect(),
            },
            E::Expired => Self::Expired { not_after: None },
            E::ExpiredContext { not_after, .. } => Self::Expired {
                not_after: Some(not_after.as_secs()),
            },
            E::NotValidYet => Self::NotYetValid { not_before: None },
            E::NotValidYetContext { not_before, .. } => Self::NotYetValid {
                not_before: Some(not_before.as_secs()),
            },
            E::Revoked => Self::Revoked,
            E::BadSignature => Self::BadSignature,
            // The plain variant is deprecated but still what older
            // verifiers return.
            #[allow(deprecated)]
            E::UnsupportedSignatureAlgorithm => Self::UnsupportedAlgorithm,
            E::UnsupportedSignatureAlgorithmContext { .. }
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                Self::UnsupportedAlgorithm
            }
            E::InvalidPurpose | E::InvalidPurposeContext { .. } => Self::WrongPurpose,
            E::BadEncoding => Self::BadEncoding,
            E::Other(other) => Self::from_webpki(other),
            other => Self::Other {
                kind: variant_name(&format!("{other:?}")),
            },
        }
    }

    /// rustls-webpki's reasons that rustls passes on inside `OtherError`.
    fn from_webpki(other: &rustls::OtherError) -> Self {
        use webpki::Error as W;
        let Some(w) = other.0.downcast_ref::<webpki::Error>() else {
            return Self::Other {
                kind: other.to_string(),
            };
        };
        match w {
            W::CaUsedAsEndEntity => Self::CaUsedAsEndEntity,
            W::EndEntityUsedAsCa => Self::EndEntityUsedAsCa,
            W::NameConstraintViolation | W::PathLenConstraintViolated => Self::ConstraintViolated,
            W::UnknownIssuer => Self::UnknownIssuer { issuer: None },
            W::BadDer | W::BadDerTime | W::TrailingData(_) => Self::BadEncoding,
            W::CertRevoked => Self::Revoked,
            other => Self::Other {
                kind: variant_name(&format!("{other:?}")),
            },
        }
    }
}

impl CertProblem {
    /// What is wrong, in `lang`: a short name first (what to search
    /// for), then, in brackets, what it means here and what to do. The
    /// words are the catalogue's (`events.ftl`), the one wording the
    /// client, the lab's events, the transcript and the screen show.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            Self::UnknownIssuer { issuer: None } => {
                crate::tr!(lang, "event-cert-unknown-issuer")
            }
            Self::UnknownIssuer {
                issuer: Some(issuer),
            } => crate::tr!(
                lang,
                "event-cert-unknown-issuer-named",
                issuer = issuer.as_str()
            ),
            Self::NameMismatch {
                expected,
                presented,
            } if presented.is_empty() => crate::tr!(
                lang,
                "event-cert-name-mismatch",
                expected = expected.as_str()
            ),
            Self::NameMismatch {
                expected,
                presented,
            } => crate::tr!(
                lang,
                "event-cert-name-mismatch-listed",
                expected = expected.as_str(),
                names = presented.join(", ")
            ),
            Self::Expired { not_after: Some(t) } => {
                crate::tr!(lang, "event-cert-expired-on", date = utc_date(*t))
            }
            Self::Expired { not_after: None } => crate::tr!(lang, "event-cert-expired"),
            Self::NotYetValid {
                not_before: Some(t),
            } => crate::tr!(lang, "event-cert-not-yet-valid-from", date = utc_date(*t)),
            Self::NotYetValid { not_before: None } => {
                crate::tr!(lang, "event-cert-not-yet-valid")
            }
            Self::CaUsedAsEndEntity => crate::tr!(lang, "event-cert-ca-as-server"),
            Self::EndEntityUsedAsCa => crate::tr!(lang, "event-cert-server-as-ca"),
            Self::BadSignature => crate::tr!(lang, "event-cert-bad-signature"),
            Self::UnsupportedAlgorithm => crate::tr!(lang, "event-cert-unsupported-algorithm"),
            Self::Revoked => crate::tr!(lang, "event-cert-revoked"),
            Self::WrongPurpose => crate::tr!(lang, "event-cert-wrong-purpose"),
            Self::BadEncoding => crate::tr!(lang, "event-cert-bad-encoding"),
            Self::ConstraintViolated => crate::tr!(lang, "event-cert-constraint-violated"),
            Self::Other { kind } => {
                crate::tr!(lang, "event-cert-other", kind = kind.as_str())
            }
        }
    }
}

/// The English words, for error messages (see [`CertProblem::words`]).
impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

/// A client's alert that is about the server's certificate: all the
/// server (or an attacker in its place) learns of why the client refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertAlert {
    /// unknown_ca: it does not trust the CA that signed it.
    UnknownCa,
    /// bad_certificate: most often not issued for the name asked for.
    BadCertificate,
    /// certificate_expired: expired or not valid yet.
    CertificateExpired,
    /// certificate_revoked.
    CertificateRevoked,
    /// unsupported_certificate: not issued for TLS servers.
    UnsupportedCertificate,
    /// certificate_unknown: another reason.
    CertificateUnknown,
}

impl CertAlert {
    /// The alert, if it is one about the certificate.
    pub fn of(alert: rustls::AlertDescription) -> Option<CertAlert> {
        use rustls::AlertDescription as A;
        Some(match alert {
            A::UnknownCA => CertAlert::UnknownCa,
            A::BadCertificate => CertAlert::BadCertificate,
            A::CertificateExpired => CertAlert::CertificateExpired,
            A::CertificateRevoked => CertAlert::CertificateRevoked,
            A::UnsupportedCertificate => CertAlert::UnsupportedCertificate,
            A::CertificateUnknown => CertAlert::CertificateUnknown,
            _ => return None,
        })
    }

    /// The alert's name on the wire, as TLS and Wireshark write it.
    pub fn name(self) -> &'static str {
        match self {
            CertAlert::UnknownCa => "unknown_ca",
            CertAlert::BadCertificate => "bad_certificate",
            CertAlert::CertificateExpired => "certificate_expired",
            CertAlert::CertificateRevoked => "certificate_revoked",
            CertAlert::UnsupportedCertificate => "unsupported_certificate",
            CertAlert::CertificateUnknown => "certificate_unknown",
        }
    }
}

/// Why a client ended a TLS handshake, as the server's side hears it: the
/// certificate alert in words of the learner's language, or rustls's or
/// the system's own text for anything else.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// The client's alert is about the certificate.
    Certificate {
        /// Which alert.
        alert: CertAlert,
    },
    /// Something else.
    Other {
        /// rustls's or the system's words.
        message: String,
    },
}

impl Refusal {
    /// The refusal in a handshake error from tokio-rustls.
    pub fn of(e: &std::io::Error) -> Refusal {
        if let Some(rustls::Error::AlertReceived(alert)) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            && let Some(alert) = CertAlert::of(*alert)
        {
            return Refusal::Certificate { alert };
        }
        Refusal::Other {
            message: e.to_string(),
        }
    }

    /// The refusal in words of `lang`: for a certificate alert, what it
    /// usually means, since the alert is all the server learns.
    pub fn words(&self, lang: Lang) -> String {
        let alert = match self {
            Refusal::Certificate { alert } => alert,
            Refusal::Other { message } => return crate::sanitize::visible(message).into_owned(),
        };
        let why = match alert {
            CertAlert::UnknownCa => crate::tr!(lang, "event-refused-unknown-ca"),
            CertAlert::BadCertificate => crate::tr!(lang, "event-refused-bad-certificate"),
            CertAlert::CertificateExpired => crate::tr!(lang, "event-refused-expired"),
            CertAlert::CertificateRevoked => crate::tr!(lang, "event-refused-revoked"),
            CertAlert::UnsupportedCertificate => crate::tr!(lang, "event-refused-unsupported"),
            CertAlert::CertificateUnknown => crate::tr!(lang, "event-refused-unknown"),
        };
        crate::tr!(
            lang,
            "event-refused-certificate",
            why = why,
            alert = alert.name()
        )
    }
}

/// The bare name of an enum variant from its Debug text
/// (`UnknownRevocationStatus`, `ExpiredRevocationListContext { .. }` →
/// `ExpiredRevocationListContext`), for [`CertProblem::Other`], where the
/// name is what the user can search for.
fn variant_name(debug: &str) -> String {
    debug
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("unknown")
        .to_owned()
}

/// webpki reports the names in a certificate in Debug form, such as
/// `DnsName("localhost")` or `IpAddress(127.0.0.1)`; a user wants just the
/// name.
fn tidy_general_name(presented: &str) -> String {
    if let Some(inner) = presented
        .strip_prefix("DnsName(\"")
        .and_then(|r| r.strip_suffix("\")"))
    {
        return inner.to_owned();
    }
    if let Some(inner) = presented
        .strip_prefix("IpAddress(")
        .and_then(|r| r.strip_suffix(')'))
    {
        // webpki writes IPv6 without compressing the first group ("0::1");
        // going through IpAddr gives the usual spelling ("::1").
        return inner
            .parse::<std::net::IpAddr>()
            .map_or_else(|_| inner.to_owned(), |ip| ip.to_string());
    }
    presented.to_owned()
}

/// A Unix time as `YYYY-MM-DD HH:MM UTC`, for certificate dates.
fn utc_date(secs: u64) -> String {
    let t = crate::utc::from_unix(secs);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn name() -> ServerName<'static> {
        ServerName::try_from("pop.example.com").unwrap()
    }

    #[test]
    fn webpki_reasons_inside_other_error_get_words() {
        let err = rustls::Error::InvalidCertificate(E::Other(rustls::OtherError(Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        ))));
        let p = CertProblem::from_rustls(&err, &name()).unwrap();
        assert_eq!(p, CertProblem::CaUsedAsEndEntity);
        let text = p.to_string();
        assert!(text.starts_with("CA certificate used as a server certificate"));
        assert!(!text.contains("Other"), "{text}");
    }

    #[test]
    fn reasons_without_words_are_named_not_debugged() {
        let p = CertProblem::from_certificate(&E::UnknownRevocationStatus, &name());
        assert_eq!(
            p,
            CertProblem::Other {
                kind: "UnknownRevocationStatus".into()
            }
        );
        let other = rustls::OtherError(Arc::new(webpki::Error::MaximumPathDepthExceeded));
        let p = CertProblem::from_certificate(&E::Other(other), &name());
        assert_eq!(p.to_string().matches('(').count(), 1, "{p}");
    }

    #[test]
    fn dates_and_names_are_spelled_for_people() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date(951_825_600), "2000-02-29 12:00 UTC");
        assert_eq!(tidy_general_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(tidy_general_name("IpAddress(0::1)"), "::1");
        let p = CertProblem::Expired {
            not_after: Some(951_825_600),
        };
        assert!(p.to_string().contains("valid until 2000-02-29 12:00 UTC"));
    }
}
