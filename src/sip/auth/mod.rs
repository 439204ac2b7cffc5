//! Digest authentication for SIP (RFC 3261 22, RFC 7616 as RFC 8760 brings it to SIP) and
//! registration of the gateway with a registrar (RFC 3261 10.2).
//!
//! Sans-IO: everything here works on header field VALUES and plain parameters, and takes the
//! time as an argument; the transaction user copies the values in and out of messages.
//!
//! - [`header`]: the challenge and credentials grammar (RFC 3261 25.1, RFC 7616 3.3-3.4).
//! - [`digest`]: the algorithms (MD5, SHA-256, SHA-512-256 and `-sess`) and the digest.
//! - [`client`]: answering 401/407 ([`DigestClient`], [`AuthAttempt`]).
//! - [`server`]: challenging and verifying ([`DigestServer`], [`Verdict`]).
//! - [`register`]: the registration client ([`Registration`]).

pub mod client;
pub mod digest;
pub mod header;
pub mod register;
pub mod server;

pub use client::{
    AlgorithmPolicy, AuthAttempt, AuthorizationField, ChallengeKind, ClientError, CnonceSource,
    Credential, DigestClient, RandomCnonce, RequestParts, Secret,
};
pub use digest::{ha1, request_digest, Algorithm, DigestError, DigestInput, HashFunction, Qop};
pub use header::{
    parse_challenge_fields, parse_challenges, parse_credentials, AuthParam, Challenge, Credentials,
    DigestChallenge, DigestResponse, OtherScheme, ParseError,
};
pub use register::{
    RegisterRequest, RegisterResponse, Registration, RegistrationConfig, RegistrationEvent,
    RegistrationState,
};
pub use server::{CredentialStore, DigestServer, Malformed, Rejection, ServerConfig, Verdict};
