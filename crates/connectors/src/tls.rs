//! Certificates a connection trusts: a CA given in the secrets (PEM, checked when the secrets
//! are saved), else the system's bundle, else the Mozilla roots compiled in. Drivers read the
//! CA from a file, so a given PEM is written to a private temporary file (mode 0600) that lives
//! as long as the connector using it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::ConnectorError;

/// Makes ring the process' rustls provider (the build also links aws-lc-rs through other
/// crates, and rustls then cannot choose by itself). Harmless when one is already installed.
pub(crate) fn install_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Why `pem` is not a usable CA: `None` when it holds at least one valid certificate and
/// nothing else.
pub(crate) fn pem_problem(pem: &str) -> Option<String> {
    install_provider();
    let mut store = rustls::RootCertStore::empty();
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        match cert {
            Ok(cert) => {
                if let Err(e) = store.add(cert) {
                    return Some(format!("is not a valid certificate ({e})"));
                }
                count += 1;
            }
            Err(e) => return Some(format!("is not PEM ({e})")),
        }
    }
    (count == 0).then(|| "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned())
}

/// A CA the connector trusts, as a file the driver can read.
pub(crate) enum RootCerts {
    /// The PEM from the secrets, in a private temporary file.
    Given(tempfile::NamedTempFile),
    /// The system's bundle or the compiled-in roots.
    Default(&'static Path),
}

impl RootCerts {
    /// The secrets' PEM when given, else the default roots.
    pub(crate) fn new(pem: Option<&str>) -> Result<RootCerts, ConnectorError> {
        match pem {
            Some(pem) => {
                let mut file = tempfile::Builder::new()
                    .prefix("lethe-ca-")
                    .suffix(".pem")
                    .tempfile()
                    .map_err(|e| ConnectorError(format!("cannot write the CA certificate: {e}")))?;
                file.write_all(pem.as_bytes())
                    .and_then(|()| file.flush())
                    .map_err(|e| ConnectorError(format!("cannot write the CA certificate: {e}")))?;
                Ok(RootCerts::Given(file))
            }
            None => default_roots().map(RootCerts::Default),
        }
    }

    /// The file holding the certificates.
    pub(crate) fn path(&self) -> &Path {
        match self {
            RootCerts::Given(file) => file.path(),
            RootCerts::Default(path) => path,
        }
    }
}

/// The system's CA bundle (as OpenSSL would find it), else the Mozilla roots written once to a
/// temporary file.
fn default_roots() -> Result<&'static Path, ConnectorError> {
    static ROOTS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let roots = ROOTS.get_or_init(|| {
        if let Some(file) = openssl_probe::probe().cert_file {
            return Ok(file);
        }
        let mut pem = String::new();
        for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
            pem.push_str("-----BEGIN CERTIFICATE-----\n");
            let encoded = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
            for line in encoded.as_bytes().chunks(64) {
                pem.push_str(&String::from_utf8_lossy(line));
                pem.push('\n');
            }
            pem.push_str("-----END CERTIFICATE-----\n");
        }
        let file =
            tempfile::Builder::new().prefix("lethe-roots-").suffix(".pem").tempfile().map_err(|e| e.to_string())?;
        std::fs::write(file.path(), pem).map_err(|e| e.to_string())?;
        // Kept for the life of the process.
        file.keep().map(|(_, path)| path).map_err(|e| e.to_string())
    });
    roots.as_deref().map_err(|e| ConnectorError(format!("no CA certificates to verify servers with: {e}")))
}
