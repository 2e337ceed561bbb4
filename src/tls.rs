//! HTTPS beside HTTP: a local certificate authority made on first start and
//! kept in a data directory (so a client trusts it once), a server
//! certificate it signs for every provider host, `localhost` and loopback,
//! and client certificates for the hosts where the real provider asks for
//! mutual TLS.
//!
//! The CA is name-constrained to the hosts it serves, `localhost` and
//! loopback: trusted system-wide, it still cannot vouch for any other site.
//! The CA's key stays in the data directory, readable by its owner only. The
//! CA is reloaded without parsing its certificate: its name is fixed, so the
//! issuer rebuilt from the same parameters and the saved key signs exactly as
//! the saved certificate says.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType,
};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::Error;
use crate::scenario::Scenario;

/// Where HTTPS listens, and the directory that keeps the CA.
#[derive(Debug, Clone)]
pub(crate) struct TlsOptions {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) data_dir: PathBuf,
    /// Take any client certificate, not only the CA's: for a client that
    /// already has one (a QWAC of its own, say).
    pub(crate) any_client_certificate: bool,
}

/// Takes any client certificate, but still checks the handshake's
/// signature with it, so the client proves it holds the key.
#[derive(Debug)]
struct AnyCertificate(Arc<dyn rustls::server::danger::ClientCertVerifier>);

impl rustls::server::danger::ClientCertVerifier for AnyCertificate {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const CA_NAME: &str = "sca-sandbox local CA";

/// Where the CA lives when no directory is given: `$XDG_DATA_HOME`, else
/// `~/.local/share`, else the working directory.
pub fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("sca-sandbox")
}

/// The CA, and the TLS server configuration it signed.
pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: String,
    ca_key: KeyPair,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "sca-sandbox");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Ten years: a CA a team trusted once should not lapse mid-project.
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    params
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{what}: {e}"))
}

/// The names a new CA may vouch for: `hosts` (and the names under them),
/// `localhost` and the loopback addresses.
fn name_constraints(hosts: &[String]) -> NameConstraints {
    let mut permitted: Vec<GeneralSubtree> = hosts
        .iter()
        .chain(std::iter::once(&"localhost".to_owned()))
        .map(|h| GeneralSubtree::DnsName(h.clone()))
        .collect();
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V4(
        [127, 0, 0, 0],
        [255, 0, 0, 0],
    )));
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V6(
        std::net::Ipv6Addr::LOCALHOST.octets(),
        [0xff; 16],
    )));
    NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: Vec::new(),
    }
}

/// Reads the CA from `dir`, or makes one there for `hosts`.
fn load_or_create_ca(dir: &Path, hosts: &[String]) -> Result<(String, KeyPair), Error> {
    let (cert_path, key_path) = (dir.join(CA_CERT), dir.join(CA_KEY));
    if cert_path.exists() && key_path.exists() {
        let cert =
            std::fs::read_to_string(&cert_path).map_err(|e| tls_error("reading the CA", e))?;
        let key =
            std::fs::read_to_string(&key_path).map_err(|e| tls_error("reading the CA key", e))?;
        let key = KeyPair::from_pem(&key).map_err(|e| tls_error("the CA key", e))?;
        owner_only(&key_path)?;
        warn_if_unconstrained(&cert, hosts, dir);
        return Ok((cert, key));
    }
    std::fs::create_dir_all(dir).map_err(|e| tls_error("making the data directory", e))?;
    let key = KeyPair::generate().map_err(|e| tls_error("making the CA key", e))?;
    let mut params = ca_params();
    params.name_constraints = Some(name_constraints(hosts));
    let cert = params
        .self_signed(&key)
        .map_err(|e| tls_error("signing the CA", e))?
        .pem();
    write_private(&key_path, &key.serialize_pem())?;
    std::fs::write(&cert_path, &cert).map_err(|e| tls_error("writing the CA", e))?;
    Ok((cert, key))
}

/// A CA kept from before name constraints, or made before a host joined
/// `settings.hosts`, vouches for too much or too little: say how to remake
/// it. (Its DER holds each permitted name as plain ASCII.)
fn warn_if_unconstrained(cert: &str, hosts: &[String], dir: &Path) {
    let Ok(der) = der_of(cert) else { return };
    let holds = |bytes: &[u8]| der.windows(bytes.len()).any(|w| w == bytes);
    // id-ce-nameConstraints, 2.5.29.30.
    if !holds(&[0x06, 0x03, 0x55, 0x1d, 0x1e]) {
        tracing::warn!(dir = %dir.display(), "the local CA has no name constraints; delete ca.pem and ca-key.pem there to remake it constrained, then trust the new ca.pem");
        return;
    }
    for host in hosts.iter().filter(|h| !holds(h.as_bytes())) {
        tracing::warn!(%host, dir = %dir.display(), "the local CA was made before this host was served, and clients will refuse its certificate; delete ca.pem and ca-key.pem there to remake it");
    }
}

/// Makes a key file readable by its owner only, whatever mode it had.
fn owner_only(path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| tls_error("making the CA key private", e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, pem: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| tls_error("writing the CA key", e))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| tls_error("writing the CA key", e))?;
    // The mode above applies to a new file only; one that was there keeps
    // its own unless set.
    owner_only(path)
}

/// A certificate signed by the CA: the server's (for `names`) or a client's.
fn issue(ca_key: &KeyPair, names: &[String], client: bool) -> Result<(String, KeyPair), Error> {
    let key = KeyPair::generate().map_err(|e| tls_error("making a key", e))?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    let common = names.first().map_or("sca-sandbox", String::as_str);
    name.push(DnType::CommonName, common);
    params.distinguished_name = name;
    // A client certificate is known by its common name alone: a DNS name
    // in it would have to fall within the CA's constraints.
    let names = if client { &[][..] } else { names };
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| tls_error("a host name", e))?;
    params.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    let issuer = Issuer::new(ca_params(), ca_key);
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| tls_error("signing a certificate", e))?;
    Ok((cert.pem(), key))
}

fn der_of(pem_text: &str) -> Result<CertificateDer<'static>, Error> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem_text.as_bytes()).map_err(|e| tls_error("a certificate", e))
}

impl Tls {
    /// The CA, and a server certificate for every host the scenario routes
    /// to a provider.
    pub(crate) fn for_scenario(options: &TlsOptions, scenario: &Scenario) -> Result<Self, Error> {
        let hosts: Vec<String> = crate::providers::host_map(&scenario.settings.hosts)
            .into_keys()
            .collect();
        Self::new(&options.data_dir, &hosts, options.any_client_certificate)
    }

    /// Loads or makes the CA in `dir`, and a server certificate for `hosts`
    /// (plus `localhost` and loopback). Clients may present a certificate;
    /// one the CA did not sign is refused in the handshake.
    pub(crate) fn new(dir: &Path, hosts: &[String], any_client: bool) -> Result<Self, Error> {
        let (ca_pem, ca_key) = load_or_create_ca(dir, hosts)?;
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        names.extend(hosts.iter().cloned());
        let (leaf_pem, leaf_key) = issue(&ca_key, &names, false)?;
        let provider = crypto_provider();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(der_of(&ca_pem)?)
            .map_err(|e| tls_error("the CA as a root", e))?;
        let mut verifier: Arc<dyn rustls::server::danger::ClientCertVerifier> =
            rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            )
            .allow_unauthenticated()
            .build()
            .map_err(|e| tls_error("the client verifier", e))?;
        if any_client {
            verifier = Arc::new(AnyCertificate(verifier));
        }
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("TLS versions", e))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![der_of(&leaf_pem)?, der_of(&ca_pem)?], key)
            .map_err(|e| tls_error("the server certificate", e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem,
            ca_key,
        })
    }

    /// A client certificate and its key (PEM), signed by the CA, for a
    /// provider host that asks for mutual TLS.
    pub(crate) fn client_certificate(&self, name: &str) -> Result<(String, String), Error> {
        let (cert, key) = issue(&self.ca_key, &[name.to_owned()], true)?;
        Ok((cert, key.serialize_pem()))
    }
}

/// The *ring* provider. rustls 0.23.48 deprecates it for lacking
/// post-quantum key exchange; a local sandbox's HTTPS needs none, and *ring*
/// builds with a plain C compiler, statically for the image too, so it
/// stays, without the warning in a dependant's fresh build.
#[allow(deprecated)]
pub(crate) fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// What the connection a request came on says about its peer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Peer {
    /// Over TLS.
    pub(crate) tls: bool,
    /// With a client certificate the CA signed (the handshake refuses others).
    pub(crate) client_certificate: bool,
    /// The provider whose mutual-TLS host the handshake named (SNI): every
    /// request on the connection then needs the certificate.
    pub(crate) mutual: Option<crate::providers::Provider>,
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
