//! Local HTTPS servers for SaaS tests (feature `test-support`): a wiremock server (which
//! speaks plain HTTP) behind a TLS front that terminates TLS with a certificate from a CA made
//! for the test and passes the bytes through unchanged. Clients trust the CA through the extra
//! root certificates setting, as deployments trust a private CA with
//! `LETHE__SAAS__EXTRA_ROOT_CERTS`.

#![expect(clippy::unwrap_used, clippy::missing_panics_doc, reason = "test helpers fail the test on error")]

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
pub use wiremock;
use wiremock::MockServer;

use crate::saas::client::{ClientSettings, SaasClient};

/// A runtime for the servers; the blocking client is used from the test's own thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A wiremock server reachable over HTTPS at `localhost:<port>`.
pub struct HttpsServer {
    /// The server the mocks are mounted on.
    pub mock: MockServer,
    /// The HTTPS port on 127.0.0.1.
    pub port: u16,
    /// The CA that signed the server's certificate, PEM.
    pub ca_pem: String,
}

impl HttpsServer {
    /// Starts the mock server and its TLS front on `rt`.
    pub fn start(rt: &tokio::runtime::Runtime) -> HttpsServer {
        let mock = rt.block_on(MockServer::start());
        let upstream = *mock.address();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, "Lethe test CA");
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
        let certs = vec![CertificateDer::from_pem_slice(cert.pem().as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else { return };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(upstream).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        HttpsServer { mock, port, ca_pem }
    }

    /// A client trusting this server's CA and allowed to reach `localhost`.
    pub fn client(&self) -> SaasClient {
        SaasClient::new(ClientSettings {
            allowed_hosts: vec!["localhost".to_owned()],
            extra_root_certs: Some(self.ca_pem.clone().into_bytes()),
            backoff: std::time::Duration::from_millis(50),
            ..ClientSettings::default()
        })
        .unwrap()
    }

    /// The requests the server received.
    pub fn received(&self, rt: &tokio::runtime::Runtime) -> Vec<wiremock::Request> {
        rt.block_on(self.mock.received_requests()).unwrap()
    }
}
