//! TLS for SIP (RFC 3261 26.2, 26.3.1; RFC 5922 for the names; RFC 8996: TLS 1.2 and 1.3
//! only) over rustls with the ring provider: the server certificate and key from PEM files,
//! the peers' certificates checked against the CAs of a PEM file, SNI from the target's name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use thiserror::Error;

/// Where the TLS material is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate chain this side presents (PEM, leaf first): needed to listen on
    /// `tls:`, and presented to servers that ask for a client certificate (RFC 3261 26.3.2.2:
    /// mutual TLS between SIP entities).
    pub certificate_chain: Option<PathBuf>,
    /// The private key of that certificate (PEM: PKCS#8, PKCS#1 or SEC1).
    pub private_key: Option<PathBuf>,
    /// The CA certificates (PEM) peers' certificates are verified against: needed to connect
    /// out over TLS; with `require_client_certificate`, also the CAs for clients.
    pub ca_file: Option<PathBuf>,
    /// As a server, ask for and verify a client certificate (mutual TLS).
    pub require_client_certificate: bool,
}

/// TLS material that cannot be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("{path}: {source}")]
    Pem {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("{path}: no certificate in the file")]
    NoCertificate { path: PathBuf },
    #[error("a tls listener needs a certificate chain and a private key")]
    NoServerCertificate,
    #[error("a client certificate is required but there is no ca_file to verify it")]
    NoClientCa,
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("TLS client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// The TLS side of the transports: an acceptor when we listen on TLS, a connector when we have
/// CAs to verify servers with.
#[derive(Clone, Default)]
pub(crate) struct TlsContext {
    pub acceptor: Option<tokio_rustls::TlsAcceptor>,
    pub connector: Option<tokio_rustls::TlsConnector>,
}

impl std::fmt::Debug for TlsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsContext")
            .field("acceptor", &self.acceptor.is_some())
            .field("connector", &self.connector.is_some())
            .finish()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = |source| TlsError::Pem {
        path: path.to_path_buf(),
        source,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem)?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|source| TlsError::Pem {
        path: path.to_path_buf(),
        source,
    })
}

fn roots(path: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(path)? {
        roots.add(cert)?;
    }
    Ok(roots)
}

impl TlsContext {
    /// Reads the files. `listen_tls`: a `tls:` entry is configured, so the server side is
    /// required.
    pub fn load(config: &TlsConfig, listen_tls: bool) -> Result<TlsContext, TlsError> {
        let own = match (&config.certificate_chain, &config.private_key) {
            (Some(c), Some(k)) => Some((certificates(c)?, private_key(k)?)),
            _ => None,
        };
        let roots = match &config.ca_file {
            Some(ca) => Some(Arc::new(roots(ca)?)),
            None => None,
        };
        let acceptor = if listen_tls {
            let (chain, key) = own
                .as_ref()
                .map(|(c, k)| (c.clone(), k.clone_key()))
                .ok_or(TlsError::NoServerCertificate)?;
            let builder = rustls::ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()?;
            let builder = if config.require_client_certificate {
                let roots = roots.clone().ok_or(TlsError::NoClientCa)?;
                let verifier =
                    rustls::server::WebPkiClientVerifier::builder_with_provider(roots, provider())
                        .build()?;
                builder.with_client_cert_verifier(verifier)
            } else {
                builder.with_no_client_auth()
            };
            let server = builder.with_single_cert(chain, key)?;
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(server)))
        } else {
            None
        };
        let connector = match roots {
            Some(roots) => {
                let builder = rustls::ClientConfig::builder_with_provider(provider())
                    .with_safe_default_protocol_versions()?
                    .with_root_certificates(roots);
                let client = match own {
                    Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
                    None => builder.with_no_client_auth(),
                };
                Some(tokio_rustls::TlsConnector::from(Arc::new(client)))
            }
            None => None,
        };
        Ok(TlsContext {
            acceptor,
            connector,
        })
    }
}

/// The name a TLS client puts in the SNI and checks the certificate against: the target's
/// name (RFC 5922 4), else its IP address.
pub(crate) fn server_name(
    name: Option<&str>,
    addr: std::net::SocketAddr,
) -> Option<ServerName<'static>> {
    match name {
        Some(n) => ServerName::try_from(n.to_string()).ok(),
        None => Some(ServerName::IpAddress(addr.ip().into())),
    }
}
