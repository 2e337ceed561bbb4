use std::time::SystemTime;

use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{ServerName, UnixTime};

use super::*;

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sca-tls-unit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Whether a client trusting only the CA takes `cert` for `name`.
fn accepted(ca_pem: &str, cert: &str, name: &str) -> Result<(), rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der_of(ca_pem).unwrap()).unwrap();
    let provider = crypto_provider();
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
    let now = UnixTime::since_unix_epoch(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap(),
    );
    verifier
        .verify_server_cert(
            &der_of(cert).unwrap(),
            &[],
            &ServerName::try_from(name.to_owned()).unwrap(),
            &[],
            now,
        )
        .map(drop)
}

#[test]
fn the_ca_vouches_for_its_hosts_localhost_and_loopback_only() {
    let dir = dir("constraints");
    let hosts = vec!["api.shine.fr".to_owned(), "sandbox.weavr.io".to_owned()];
    let tls = Tls::new(&dir, &hosts, false).unwrap();
    for name in ["api.shine.fr", "sandbox.weavr.io", "localhost", "127.0.0.1"] {
        let (cert, _) = issue(&tls.ca_key, &[name.to_owned()], false).unwrap();
        assert_eq!(accepted(&tls.ca_pem, &cert, name), Ok(()), "{name}");
    }
    // Its key signs anything asked, but no client takes it for another site.
    for name in ["bank.example", "evil.example", "10.0.0.1"] {
        let (cert, _) = issue(&tls.ca_key, &[name.to_owned()], false).unwrap();
        assert!(accepted(&tls.ca_pem, &cert, name).is_err(), "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn the_ca_key_is_private_whatever_mode_its_file_had() {
    use std::os::unix::fs::PermissionsExt;
    let dir = dir("mode");
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = dir.join(CA_KEY);
    // An old key file, readable by all, and no certificate beside it: a
    // new key is written into it.
    std::fs::write(&key_path, "old").unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Tls::new(&dir, &[], false).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key_path), 0o600);
    // A kept CA whose key file was opened up is closed again on start.
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Tls::new(&dir, &[], false).unwrap();
    assert_eq!(mode(&key_path), 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}
