//! The link over TLS (`rediss://`, feature `redis-tls`): the CA it trusts, given through
//! [`FleetOptions`], read and checked at `connect`, so a file that cannot be read or PEM that
//! holds no certificate is an error there, not a link that never connects; and the clients
//! each URL gets.
//!
//! rustls does the TLS (redis's `tokio-rustls-comp`), with ring's cryptography: no system
//! OpenSSL. Without a CA given, a `rediss://` link trusts the system's roots (as redis reads
//! them, through `rustls-native-certs`), which is what a managed service with a public
//! certificate needs.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use redis::{ConnectionAddr, IntoConnectionInfo};

use super::FleetError;
use super::options::FleetOptions;

/// The most bytes of PEM a CA may take, given or read from a file: 1 MiB (Mozilla's whole
/// bundle of roots is about 220 KB). A file is read no further.
pub(super) const MAX_CA_BYTES: u64 = 1 << 20;

/// The CA as given to [`FleetOptions`]: PEM, or a file to read it from at `connect`.
#[derive(Clone)]
pub(super) enum CaCertificate {
    Pem(Vec<u8>),
    File(PathBuf),
}

impl CaCertificate {
    /// The option's method, for errors.
    fn option(&self) -> &'static str {
        match self {
            CaCertificate::Pem(_) => "ca_certificate",
            CaCertificate::File(_) => "ca_certificate_file",
        }
    }
}

impl fmt::Debug for CaCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaCertificate::Pem(pem) => write!(f, "Pem({} bytes)", pem.len()),
            CaCertificate::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// A CA read and checked at `connect`: its PEM holds one or more certificates rustls takes as
/// trust anchors.
pub(super) struct CheckedCa {
    option: &'static str,
    #[cfg_attr(not(feature = "redis-tls"), allow(dead_code))]
    pem: Vec<u8>,
}

/// Reads and checks the CA given to `options`, if any.
pub(super) fn checked_ca(options: &FleetOptions) -> Result<Option<CheckedCa>, FleetError> {
    let Some(given) = &options.ca_certificate else {
        return Ok(None);
    };
    let option = given.option();
    let invalid = |reason: String| FleetError::InvalidOptions { option, reason };
    if !cfg!(feature = "redis-tls") {
        return Err(invalid(
            "a CA is for `rediss://` links, which need feature `redis-tls` of retry-runtime"
                .to_owned(),
        ));
    }
    let (pem, from) = match given {
        CaCertificate::Pem(pem) => (pem.clone(), "the PEM given".to_owned()),
        CaCertificate::File(path) => (
            read_bounded(path).map_err(invalid)?,
            format!("`{}`", path.display()),
        ),
    };
    if pem.is_empty() || pem.len() as u64 > MAX_CA_BYTES {
        return Err(invalid(format!(
            "{from} holds {} bytes; a CA's PEM is 1 byte to {MAX_CA_BYTES} bytes (1 MiB)",
            pem.len()
        )));
    }
    let certificates = check_pem(&pem).map_err(|why| invalid(format!("{from} {why}")))?;
    tracing::debug!(
        target: crate::TRACING_TARGET,
        certificates,
        "fleet link: `{option}` holds {certificates} CA certificate(s), trusted for `rediss://`"
    );
    Ok(Some(CheckedCa { option, pem }))
}

/// The file's bytes, reading no more than `MAX_CA_BYTES` (and one more, to tell it is larger):
/// only a regular file (a FIFO or a device would block or never end).
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let metadata =
        std::fs::metadata(path).map_err(|error| format!("`{shown}` cannot be read: {error}"))?;
    if !metadata.is_file() {
        return Err(format!(
            "`{shown}` is not a regular file; give the CA's PEM file"
        ));
    }
    if metadata.len() > MAX_CA_BYTES {
        return Err(format!(
            "`{shown}` holds {} bytes; a CA's PEM file is at most {MAX_CA_BYTES} bytes (1 MiB)",
            metadata.len()
        ));
    }
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_BYTES + 1).read_to_end(&mut pem))
        .map_err(|error| format!("`{shown}` cannot be read: {error}"))?;
    Ok(pem)
}

/// How many certificates `pem` holds, each one rustls takes as a trust anchor; why not, else.
#[cfg(feature = "redis-tls")]
fn check_pem(pem: &[u8]) -> Result<usize, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    let mut count = 0_usize;
    for certificate in CertificateDer::pem_slice_iter(pem) {
        count += 1;
        let certificate = certificate
            .map_err(|error| format!("is not valid PEM at certificate {count}: {error}"))?;
        roots.add(certificate).map_err(|error| {
            format!("holds a certificate (number {count}) that is not a valid X.509 CA: {error}")
        })?;
    }
    if count == 0 {
        return Err(
            "holds no certificate (no `-----BEGIN CERTIFICATE-----` block); give the CA's PEM"
                .to_owned(),
        );
    }
    Ok(count)
}

#[cfg(not(feature = "redis-tls"))]
fn check_pem(_pem: &[u8]) -> Result<usize, String> {
    unreachable!("a CA is refused before its PEM is read without feature `redis-tls`")
}

/// The client for one URL: over TLS with the CA given (or the system's roots) for `rediss://`.
/// `shown` is the URL without its password, for errors.
pub(super) fn client(
    url: &str,
    shown: &str,
    ca: Option<&CheckedCa>,
) -> Result<redis::Client, FleetError> {
    let invalid_url = |reason: String| FleetError::InvalidUrl {
        url: shown.to_owned(),
        reason,
    };
    if !cfg!(feature = "redis-tls") && is_tls_url(url) {
        return Err(invalid_url(
            "a TLS URL (`rediss://`) needs feature `redis-tls` of retry-runtime".to_owned(),
        ));
    }
    let info = url
        .into_connection_info()
        .map_err(|error| invalid_url(error.to_string()))?;
    match (info.addr(), ca) {
        (ConnectionAddr::TcpTls { insecure: true, .. }, _) => Err(invalid_url(
            "`#insecure` (no check of the server's certificate) is not supported; give the server's CA with `FleetOptions::ca_certificate` or `ca_certificate_file`".to_owned(),
        )),
        (ConnectionAddr::TcpTls { .. }, ca) => tls_client(info, ca).map_err(|error| {
            invalid_url(format!("its TLS client could not be built: {error}"))
        }),
        (_, Some(ca)) => Err(FleetError::InvalidOptions {
            option: ca.option,
            reason: format!(
                "a CA is given, but `{shown}` is not a TLS URL; use `rediss://` (or give no CA)"
            ),
        }),
        (_, None) => redis::Client::open(info).map_err(|error| invalid_url(error.to_string())),
    }
}

/// Whether `url`'s scheme is one of redis's TLS schemes.
fn is_tls_url(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("rediss") || scheme.eq_ignore_ascii_case("valkeys")
    })
}

#[cfg(feature = "redis-tls")]
fn tls_client(
    info: redis::ConnectionInfo,
    ca: Option<&CheckedCa>,
) -> redis::RedisResult<redis::Client> {
    install_crypto_provider();
    match ca {
        Some(ca) => redis::Client::build_with_tls(info, certificates(ca)),
        None => redis::Client::open(info),
    }
}

#[cfg(not(feature = "redis-tls"))]
fn tls_client(
    _info: redis::ConnectionInfo,
    _ca: Option<&CheckedCa>,
) -> redis::RedisResult<redis::Client> {
    unreachable!("a TLS URL does not parse without feature `redis-tls`")
}

/// What redis's TLS clients are built with.
#[cfg(feature = "redis-tls")]
pub(super) fn certificates(ca: &CheckedCa) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(ca.pem.clone()),
    }
}

/// redis builds its TLS configurations with rustls's process-wide default provider. With none
/// installed, rustls installs the one built in when it is the only one (ring, here), and panics
/// when a tree builds two (another crate asking for aws-lc-rs): ring is installed then, before
/// the link's thread needs it. A provider the application installed stays.
///
/// rustls 0.23.48 deprecates ring's provider for lacking post-quantum key exchange; it is kept
/// for building with `cc` alone (aws-lc-rs is a far larger C build), and a link to Redis
/// gains little from it. An application that wants it installs aws-lc-rs's provider first.
#[cfg(feature = "redis-tls")]
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may install one meanwhile: that one stays.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Why a session could not start, when the server refused this link rather than failing: its
/// certificate is not trusted, the TLS handshake failed otherwise, or it refused the user and
/// password. Named in the link's WARN with what to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    Certificate,
    Handshake,
    Authentication,
}

impl Refusal {
    /// What an operator checks.
    pub(super) fn hint(self) -> &'static str {
        match self {
            Refusal::Certificate => {
                "the server's certificate is not trusted: is it signed by the CA given (`FleetOptions::ca_certificate` or `ca_certificate_file`; the system's roots without one), and for the host in the URL?"
            }
            Refusal::Handshake => {
                "the TLS handshake failed: do the server and rustls share a TLS version (1.2, 1.3) and a cipher suite, and is it the server's TLS port?"
            }
            Refusal::Authentication => {
                "Redis refused the user and password in the URL (`rediss://user:password@host`)"
            }
        }
    }

    /// The refusal `error` says, if any.
    pub(super) fn of(error: &redis::RedisError) -> Option<Refusal> {
        if error.kind() == redis::ErrorKind::AuthenticationFailed
            || matches!(error.code(), Some("WRONGPASS" | "NOAUTH"))
        {
            return Some(Refusal::Authentication);
        }
        handshake_refusal(error)
    }
}

/// The refusal a rustls error in `error`'s chain says (redis wraps the `io::Error` that
/// tokio-rustls wraps the rustls error in; `io::Error::source` skips the error it wraps, so
/// each layer is opened by hand).
#[cfg(feature = "redis-tls")]
fn handshake_refusal(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    use std::error::Error;
    use std::sync::Arc;

    fn find(error: &(dyn Error + 'static), depth: usize) -> Option<Refusal> {
        if depth > 8 {
            return None;
        }
        if let Some(error) = error.downcast_ref::<rustls::Error>() {
            return Some(match error {
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
                    Refusal::Certificate
                }
                _ => Refusal::Handshake,
            });
        }
        let inner: Option<&(dyn Error + 'static)> =
            if let Some(io) = error.downcast_ref::<std::io::Error>() {
                io.get_ref().map(|inner| inner as &(dyn Error + 'static))
            } else if let Some(shared) = error.downcast_ref::<Arc<dyn Error + Send + Sync>>() {
                Some(&**shared as &(dyn Error + 'static))
            } else {
                None
            };
        inner
            .and_then(|inner| find(inner, depth + 1))
            .or_else(|| error.source().and_then(|source| find(source, depth + 1)))
    }
    find(error, 0)
}

#[cfg(not(feature = "redis-tls"))]
fn handshake_refusal(_error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_schemes_are_told_apart() {
        assert!(is_tls_url("rediss://h:6380/"));
        assert!(is_tls_url("REDISS://h/"));
        assert!(is_tls_url("valkeys://h/"));
        assert!(!is_tls_url("redis://h/"));
        assert!(!is_tls_url("redis+unix:///run/redis.sock"));
        assert!(!is_tls_url("rediss"));
    }

    #[test]
    fn a_ca_shows_its_size_or_path_not_its_bytes() {
        let pem = CaCertificate::Pem(b"-----BEGIN CERTIFICATE-----".to_vec());
        assert_eq!(format!("{pem:?}"), "Pem(27 bytes)");
        let file = CaCertificate::File(PathBuf::from("/etc/redis/ca.pem"));
        assert_eq!(format!("{file:?}"), "File(\"/etc/redis/ca.pem\")");
    }
}
