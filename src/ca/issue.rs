//! Issuance: creating a CA (a self-signed root, or an issuing CA certified by its parent) and
//! issuing certificates by profile, each recorded in the registry and the audit log.

use super::error::io_err;
use super::registry::{self, CertRow};
use super::store::sqlite::SqliteStore;
use super::store::Store;
use super::{PgTarget, RegistryLocation, REGISTRY_CONF_FILE};
use super::signer::RcgenSigner;
use super::{ca_facts, csr, pem_encode, profile, sha256_hex, unix, Ca, CaError, Profile, SubjectInfo};
use super::{CA_CERT_FILE, CA_KEY_FILE, CA_KEY_URI_FILE, CHAIN_FILE, CRL_FILE, MAX_CA_FILE, REGISTRY_FILE};
use crate::alg::SignatureAlgorithm;
use zeroize::Zeroizing;
use super::revoke::DEFAULT_CRL_DAYS;
use crate::files::{write_atomic, Overwrite, Secrecy};
use crate::keys::{Kdf, KeyAlgorithm, PrivateKey, Signer};
use crate::objects::serial_hex;
use crate::util::rfc3339;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Default validity of a root CA, in years.
pub const DEFAULT_ROOT_YEARS: u32 = 20;
/// Default validity of an issuing CA, in years.
pub const DEFAULT_ISSUING_YEARS: u32 = 10;
/// Attempts to draw a fresh serial before giving up. With 127 random bits a collision is
/// practically impossible; 8 attempts bound the loop anyway.
const SERIAL_ATTEMPTS: usize = 8;

/// Parameters of `ca init`.
#[derive(Debug, Clone)]
pub struct InitParams {
    /// The CA's common name ("CA Tỉnh Bắc Ninh").
    pub name: String,
    /// Its organisation ("Sở Thông tin và Truyền thông tỉnh Bắc Ninh").
    pub org: Option<String>,
    /// Its province ("Bắc Ninh").
    pub province: Option<String>,
    /// Key algorithm: ECDSA P-256 (default) or P-384.
    pub alg: KeyAlgorithm,
    /// Validity in years (default [`DEFAULT_ROOT_YEARS`] / [`DEFAULT_ISSUING_YEARS`]).
    pub years: Option<u32>,
    /// Where this CA publishes its CRL: written as the CRL distribution point of the
    /// certificates it issues.
    pub crl_url: Option<String>,
    /// This CA's OCSP responder: written as the id-ad-ocsp URL of the authorityInfoAccess
    /// extension of the certificates it issues.
    pub ocsp_url: Option<String>,
    /// Where this CA's certificate is published: the id-ad-caIssuers URL of the same extension.
    pub ca_issuers_url: Option<String>,
    /// Where the registry goes: `None` for the SQLite file in the CA directory, or a
    /// PostgreSQL database (feature `postgres`; the CA gets a schema of its own, recorded with
    /// the URL — never its password — in `ca.conf`).
    pub registry: Option<PgTarget>,
}

impl InitParams {
    /// Defaults for a CA called `name`.
    pub fn new(name: &str) -> InitParams {
        InitParams {
            name: name.to_string(),
            org: None,
            province: None,
            alg: KeyAlgorithm::EcdsaP256,
            years: None,
            crl_url: None,
            ocsp_url: None,
            ca_issuers_url: None,
            registry: None,
        }
    }
}

/// A certificate to issue.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The profile (agency, person, tsa).
    pub profile: Profile,
    /// The subject.
    pub subject: SubjectInfo,
    /// Validity in years (default and maximum [`profile::MAX_LEAF_YEARS`]).
    pub years: Option<u32>,
}

/// An issued certificate.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Serial (lower-case hex).
    pub serial: String,
    /// The certificate (DER).
    pub der: Vec<u8>,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// True when notAfter was shortened to the CA's own notAfter.
    pub shortened: bool,
}

impl Issued {
    /// The certificate as PEM.
    pub fn pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }
}

/// Adds `years` calendar years (29 February becomes 28 February).
pub fn add_years(t: OffsetDateTime, years: u32) -> Result<OffsetDateTime, CaError> {
    let y = t.year().checked_add(years as i32).filter(|y| *y <= 9999);
    let y = y.ok_or_else(|| CaError::BadParameter(format!("{years} years is too far in the future")))?;
    t.replace_year(y)
        .or_else(|_| t.replace_day(28).and_then(|t| t.replace_year(y)))
        .map_err(|e| CaError::BadParameter(e.to_string()))
}

/// A random positive serial: 16 bytes, 127 bits of entropy (CA/B and RFC 5280 ask ≥ 64 bits,
/// ≤ 20 bytes), first byte never zero so the encoding is always 16 bytes.
fn random_serial() -> Result<Vec<u8>, CaError> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| CaError::Build { what: "serial number", message: "no randomness".into() })?;
    b[0] &= 0x7f;
    if b[0] == 0 {
        b[0] = 0x01;
    }
    Ok(b.to_vec())
}

/// The key identifier of RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits —
/// what OpenSSL writes for `subjectKeyIdentifier=hash` and what linters recognise. (SHA-1 is
/// harmless here: the identifier only helps path building.)
fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, CaError> {
    use der::Decode;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| CaError::Build { what: "certificate", message: format!("subject public key: {e}") })?;
    Ok(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, spki.subject_public_key.raw_bytes()).as_ref().to_vec())
}

/// The files `init` makes, in the order they are linked into the CA directory. The key comes
/// first: when two `init`s race for one directory, the one whose key link fails gives way.
const INIT_FILES: [&str; 7] = [CA_KEY_FILE, CA_KEY_URI_FILE, CA_CERT_FILE, CHAIN_FILE, REGISTRY_FILE, REGISTRY_CONF_FILE, CRL_FILE];

/// The key of a new CA.
pub enum InitKey<'a> {
    /// Generate a key of [`InitParams::alg`], written to [`CA_KEY_FILE`] encrypted with the
    /// passphrase.
    Generate {
        /// The passphrase of the new key file.
        passphrase: &'a [u8],
        /// The key derivation.
        kdf: Kdf,
    },
    /// A key kept elsewhere (a token, an HSM): it signs; [`CA_KEY_URI_FILE`] records `uri`.
    /// ECDSA P-256/P-384, or RSA ≥ 2048 signing with PKCS#1 v1.5.
    External {
        /// The key.
        signer: &'a dyn Signer,
        /// Where it is (an RFC 7512 URI, without a PIN).
        uri: &'a str,
    },
}

impl std::fmt::Debug for InitKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitKey::Generate { kdf, .. } => f.debug_struct("Generate").field("kdf", kdf).finish_non_exhaustive(),
            InitKey::External { uri, .. } => f.debug_struct("External").field("uri", uri).finish_non_exhaustive(),
        }
    }
}

/// A staging folder (`.kyso-init-*`) inside a new CA's directory. [`Staging::commit`] links its
/// files into the directory, refusing to replace any (except `crl.pem`, which `init` has always
/// replaced), and undoes the links already made if one fails. Dropped without a commit, it
/// removes itself, and the directory too when it created it and it is empty.
struct Staging {
    dir: PathBuf,
    tmp: Option<tempfile::TempDir>,
    created_dir: bool,
    committed: std::cell::Cell<bool>,
}

impl Staging {
    fn new(dir: &Path) -> Result<Staging, CaError> {
        let created_dir = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let mut staging = Staging { dir: dir.to_path_buf(), tmp: None, created_dir, committed: std::cell::Cell::new(false) };
        // On failure `staging` is dropped here, removing the directory it created.
        let tmp = tempfile::Builder::new().prefix(".kyso-init-").tempdir_in(dir).map_err(|e| io_err(dir, e))?;
        staging.tmp = Some(tmp);
        Ok(staging)
    }

    fn path(&self) -> &Path {
        self.tmp.as_ref().map_or(self.dir.as_path(), |t| t.path())
    }

    fn commit(&self) -> Result<(), CaError> {
        let mut linked: Vec<PathBuf> = Vec::new();
        for name in INIT_FILES {
            let (from, to) = (self.path().join(name), self.dir.join(name));
            if !from.exists() {
                continue; // chain.pem of a root CA
            }
            let res = if name == CRL_FILE { std::fs::rename(&from, &to) } else { std::fs::hard_link(&from, &to) };
            if let Err(e) = res {
                for p in linked.iter().rev() {
                    let _ = std::fs::remove_file(p);
                }
                return Err(io_err(&to, e));
            }
            linked.push(to);
        }
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all(); // best effort, as files::write_atomic does
        }
        self.committed.set(true);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        drop(self.tmp.take());
        if !self.committed.get() && self.created_dir {
            let _ = std::fs::remove_dir(&self.dir); // only if empty
        }
    }
}

impl Ca {
    /// Creates a CA in `dir` (created if missing; refused if it already holds a CA): a new key
    /// of `params.alg` encrypted with `passphrase`, a self-signed root certificate, or — with
    /// `parent` — an issuing CA certified by the parent CA (recorded in the parent's
    /// registry, `chain.pem` written), an empty registry and a first CRL.
    ///
    /// The files are made in a staging folder inside `dir` and linked into place only when all
    /// are complete: on failure nothing is left in `dir` (and `dir` itself is removed when this
    /// call created it), so `init` can be run again. Only the parent's record of a certificate
    /// it already issued remains ([`CaError::InitFailedAfterParentIssued`] names it).
    pub fn init(
        dir: &Path,
        params: &InitParams,
        parent: Option<(&mut Ca, &dyn Signer)>,
        passphrase: &[u8],
        kdf: Kdf,
        now: OffsetDateTime,
    ) -> Result<Ca, CaError> {
        Ca::init_with(dir, params, parent, InitKey::Generate { passphrase, kdf }, now)
    }

    /// As [`Ca::init`], with the CA's key kept on a token or HSM: `key` signs the certificate
    /// (or its request to the parent) and the first CRL, and `ca-key.uri` records `uri` for
    /// later commands ([`Ca::key_ref`]). `params.alg` is ignored: the key decides.
    pub fn init_with_key(
        dir: &Path,
        params: &InitParams,
        parent: Option<(&mut Ca, &dyn Signer)>,
        key: &dyn Signer,
        uri: &str,
        now: OffsetDateTime,
    ) -> Result<Ca, CaError> {
        Ca::init_with(dir, params, parent, InitKey::External { signer: key, uri }, now)
    }

    /// [`Ca::init`] or [`Ca::init_with_key`], as `key` says.
    pub fn init_with(
        dir: &Path,
        params: &InitParams,
        parent: Option<(&mut Ca, &dyn Signer)>,
        key: InitKey<'_>,
        now: OffsetDateTime,
    ) -> Result<Ca, CaError> {
        for f in [CA_CERT_FILE, CA_KEY_FILE, CA_KEY_URI_FILE, REGISTRY_FILE, REGISTRY_CONF_FILE] {
            if dir.join(f).exists() {
                return Err(CaError::AlreadyExists { dir: dir.to_path_buf(), found: f });
            }
        }
        match &key {
            InitKey::Generate { .. } if !matches!(params.alg, KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384) => {
                return Err(CaError::BadParameter(format!("a CA key must be ECDSA P-256 or P-384, not {}", params.alg)));
            }
            InitKey::External { signer, .. } => match signer.signature_algorithm() {
                SignatureAlgorithm::EcdsaP256Sha256 | SignatureAlgorithm::EcdsaP384Sha384 | SignatureAlgorithm::RsaPkcs1Sha256 => {}
                other => {
                    return Err(CaError::BadParameter(format!(
                        "a CA key must sign with ECDSA P-256/P-384 or RSA PKCS#1 v1.5, not {}",
                        other.name()
                    )))
                }
            },
            _ => {}
        }
        let subject = SubjectInfo {
            cn: params.name.clone(),
            org: params.org.clone(),
            province: params.province.clone(),
            ..Default::default()
        };
        subject.check(Profile::SubCa)?;
        if let Some(u) = &params.crl_url {
            check_url(u)?;
        }
        for u in [&params.ocsp_url, &params.ca_issuers_url].into_iter().flatten() {
            check_url(u).map_err(|_| CaError::BadAiaUrl(u.clone()))?;
        }
        let generated;
        let (key, key_file): (&dyn Signer, (&str, Zeroizing<String>, Secrecy)) = match key {
            InitKey::Generate { passphrase, kdf } => {
                let k = PrivateKey::generate(params.alg).map_err(|e| CaError::Key { path: dir.join(CA_KEY_FILE), source: e })?;
                let pem = k.to_encrypted_pem(passphrase, kdf).map_err(|e| CaError::Key { path: dir.join(CA_KEY_FILE), source: e })?;
                generated = k;
                (&generated, (CA_KEY_FILE, pem, Secrecy::Secret))
            }
            InitKey::External { signer, uri } => {
                if uri.is_empty() || uri.contains(['\n', '\r']) {
                    return Err(CaError::BadParameter("the key URI is empty or spans several lines".into()));
                }
                (signer, (CA_KEY_URI_FILE, Zeroizing::new(format!("{uri}\n")), Secrecy::Public))
            }
        };
        let now = now.replace_nanosecond(0).unwrap_or(now);
        // Everything is made in a staging folder inside `dir` and linked into place only when
        // complete, so that a failure leaves no CA file behind (and `ca init` can be run again).
        // The key is written first: if it cannot be, no parent is asked to certify it.
        let staging = Staging::new(dir)?;
        let w = |name: &str, bytes: &[u8], s: Secrecy| {
            let p = staging.path().join(name);
            write_atomic(&p, bytes, Overwrite::Refuse, s).map_err(|e| io_err(&dir.join(name), e))
        };
        w(key_file.0, key_file.1.as_bytes(), key_file.2)?;
        let (cert_der, chain, parent_serial) = match parent {
            None => {
                let years = params.years.unwrap_or(DEFAULT_ROOT_YEARS);
                check_years(years, profile::MAX_CA_YEARS)?;
                let mut cp = rcgen::CertificateParams::default();
                cp.distinguished_name = subject.dn(false)?;
                cp.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
                cp.key_usages = profile::key_usages(Profile::SubCa);
                cp.use_authority_key_identifier_extension = true;
                cp.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key_identifier(key.public_key_spki())?);
                cp.serial_number = Some(rcgen::SerialNumber::from_slice(&random_serial()?));
                cp.not_before = now;
                cp.not_after = add_years(now, years)?;
                let signer = RcgenSigner::new(key).map_err(|e| CaError::Key { path: dir.join(key_file.0), source: e })?;
                let cert = cp.self_signed(&signer).map_err(|e| CaError::Build { what: "certificate", message: e.to_string() })?;
                (cert.der().to_vec(), None, None)
            }
            Some((parent, parent_key)) => {
                let years = params.years.unwrap_or(DEFAULT_ISSUING_YEARS);
                check_years(years, profile::MAX_CA_YEARS)?;
                let req = IssueRequest { profile: Profile::SubCa, subject, years: Some(years) };
                let issued = parent.issue_inner(parent_key, &req, key.public_key_spki(), now, profile::MAX_CA_YEARS)?;
                let mut chain = issued.pem();
                let parent_chain = parent.dir.join(CHAIN_FILE);
                let parent_pem = if parent_chain.exists() {
                    crate::files::read_limited(&parent_chain, MAX_CA_FILE)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .map_err(|e| io_err(&parent_chain, e))
                } else {
                    Ok(pem_encode("CERTIFICATE", &parent.cert_der))
                };
                let serial = issued.serial.clone();
                let parent_dir = parent.dir.clone();
                let after_issue = |e: CaError| CaError::InitFailedAfterParentIssued { dir: dir.to_path_buf(), parent: parent_dir.clone(), serial: serial.clone(), source: Box::new(e) };
                chain.push_str(&parent_pem.map_err(after_issue)?);
                (issued.der, Some(chain), Some((serial, parent.dir.clone())))
            }
        };
        // A PostgreSQL schema made by this call (dropped again if the CA cannot be completed).
        let pg_created = std::cell::Cell::new(false);
        let finish = || -> Result<(Box<dyn Store>, RegistryLocation), CaError> {
            w(CA_CERT_FILE, pem_encode("CERTIFICATE", &cert_der).as_bytes(), Secrecy::Public)?;
            if let Some(chain) = &chain {
                w(CHAIN_FILE, chain.as_bytes(), Secrecy::Public)?;
            }
            let mut registry: Box<dyn Store> = match &params.registry {
                None => Box::new(SqliteStore::create(&staging.path().join(REGISTRY_FILE))?),
                Some(t) => {
                    let store = super::create_pg(t, &cert_der, &pg_created)?;
                    w(REGISTRY_CONF_FILE, super::registry_conf_text(t).as_bytes(), Secrecy::Public)?;
                    store
                }
            };
            {
                let mut tx = registry.write()?;
                tx.set_meta("format", "kyso-ca-1")?;
                tx.set_meta("crl_days", &DEFAULT_CRL_DAYS.to_string())?;
                if let Some(u) = &params.crl_url {
                    tx.set_meta("crl_url", u)?;
                }
                if let Some(u) = &params.ocsp_url {
                    tx.set_meta("ocsp_url", u)?;
                }
                if let Some(u) = &params.ca_issuers_url {
                    tx.set_meta("ca_issuers_url", u)?;
                }
                if let Some((_, parent_dir)) = &parent_serial {
                    // `ca crl --with-parents` walks up to the root's CRL from here.
                    let abs = std::fs::canonicalize(parent_dir).unwrap_or_else(|_| parent_dir.clone());
                    tx.set_meta("parent_dir", &abs.to_string_lossy())?;
                }
                let detail = serde_json::json!({
                    "subject": crate::util::cert_subject(&cert_der).unwrap_or_default(),
                    "sha256": sha256_hex(&cert_der),
                    "issuing_ca": chain.is_some(),
                    // the registry settings the audit checks (meta)
                    "crl_url": params.crl_url,
                });
                registry::append_audit(&mut *tx, unix(now), "init", &detail.to_string())?;
                tx.commit()?;
            }
            let staged_location = match &params.registry {
                None => RegistryLocation::Sqlite(staging.path().join(REGISTRY_FILE)),
                Some(t) => RegistryLocation::Postgres(t.clone()),
            };
            let mut staged = Ca { dir: staging.path().to_path_buf(), cert_der: cert_der.clone(), registry, location: staged_location };
            staged.publish_crl(key, None, now)?;
            match &params.registry {
                None => {
                    // The registry is closed before it is linked into place (SQLite names its
                    // journal after the path it was opened with).
                    drop(staged);
                    staging.commit()?;
                    let path = dir.join(REGISTRY_FILE);
                    Ok((Box::new(SqliteStore::open(&path)?), RegistryLocation::Sqlite(path)))
                }
                Some(t) => {
                    staging.commit()?;
                    Ok((staged.registry, RegistryLocation::Postgres(t.clone())))
                }
            }
        };
        let result = finish();
        if result.is_err() && pg_created.get() {
            if let Some(t) = &params.registry {
                super::drop_pg_schema(t, &cert_der);
            }
        }
        match result {
            Ok((registry, location)) => Ok(Ca { dir: dir.to_path_buf(), cert_der, registry, location }),
            Err(e) => Err(match parent_serial {
                Some((serial, parent)) => CaError::InitFailedAfterParentIssued { dir: dir.to_path_buf(), parent, serial, source: Box::new(e) },
                None => e,
            }),
        }
    }

    /// Issues a certificate for the public key `subject_spki` (DER SubjectPublicKeyInfo, from a
    /// generated key or a verified request), records it in the registry and the audit log in
    /// one transaction, and returns it. `ca_key` signs (see [`Ca::open_key`]).
    pub fn issue(
        &mut self,
        ca_key: &dyn Signer,
        req: &IssueRequest,
        subject_spki: &[u8],
        now: OffsetDateTime,
    ) -> Result<Issued, CaError> {
        if req.profile == Profile::SubCa {
            return Err(CaError::CaProfileNotIssued);
        }
        self.issue_inner(ca_key, req, subject_spki, now, profile::MAX_LEAF_YEARS)
    }

    fn issue_inner(
        &mut self,
        ca_key: &dyn Signer,
        req: &IssueRequest,
        subject_spki: &[u8],
        now: OffsetDateTime,
        max_years: u32,
    ) -> Result<Issued, CaError> {
        req.subject.check(req.profile)?;
        csr::check_public_key(subject_spki)?;
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let cert_path = self.dir.join(CA_CERT_FILE);
        let facts = ca_facts(&self.cert_der, &cert_path)?;
        if !spki_equal(ca_key.public_key_spki(), &facts.spki) {
            return Err(CaError::KeyMismatch(self.key_path()));
        }
        if now < facts.not_before || now >= facts.not_after {
            return Err(CaError::CaNotValid {
                now: rfc3339(now),
                not_before: rfc3339(facts.not_before),
                not_after: rfc3339(facts.not_after),
            });
        }
        let mut not_after = if req.profile == Profile::Ocsp {
            if req.years.is_some() {
                return Err(CaError::BadParameter(format!(
                    "an OCSP responder certificate is valid {} days (it is never checked for revocation): issue a new one before it expires",
                    profile::OCSP_RESPONDER_DAYS
                )));
            }
            now + time::Duration::days(profile::OCSP_RESPONDER_DAYS)
        } else {
            let years = req.years.unwrap_or(profile::MAX_LEAF_YEARS);
            check_years(years, max_years)?;
            add_years(now, years)?
        };
        let mut shortened = false;
        if not_after > facts.not_after {
            not_after = facts.not_after;
            shortened = true;
        }
        let mut cp = rcgen::CertificateParams::default();
        cp.distinguished_name = req.subject.dn(req.profile == Profile::Agency)?;
        cp.not_before = now;
        cp.not_after = not_after;
        cp.key_usages = profile::key_usages(req.profile);
        cp.extended_key_usages = profile::extended_key_usages(req.profile);
        cp.use_authority_key_identifier_extension = true;
        cp.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key_identifier(subject_spki)?);
        cp.is_ca = match req.profile {
            Profile::SubCa => match facts.path_len {
                Some(Some(0)) => return Err(CaError::PathLenExhausted(self.dir.clone())),
                Some(Some(n)) => rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(n.saturating_sub(1).min(255) as u8)),
                _ => rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0)),
            },
            _ => rcgen::IsCa::ExplicitNoCa,
        };
        if req.profile == Profile::Tsa {
            cp.custom_extensions.push(profile::tsa_eku_extension());
        }
        if let Some(email) = &req.subject.email {
            let ia5 = rcgen::string::Ia5String::try_from(email.as_str())
                .map_err(|_| CaError::Profile(super::ProfileError::BadEmail(email.clone())))?;
            cp.subject_alt_names.push(rcgen::SanType::Rfc822Name(ia5));
        }
        if req.profile == Profile::Ocsp {
            cp.custom_extensions.push(profile::ocsp_nocheck_extension());
        }
        let publication = self.publication()?;
        if let Some(url) = publication.crl_url.clone().filter(|_| req.profile != Profile::Ocsp) {
            cp.crl_distribution_points.push(rcgen::CrlDistributionPoint { uris: vec![url] });
        }
        // authorityInfoAccess (RFC 5280 §4.2.2.1): where a recipient asks for this certificate's
        // status and finds its issuer. A nocheck responder certificate names no OCSP URL.
        let ocsp_urls: Vec<String> = publication.ocsp_url.iter().filter(|_| req.profile != Profile::Ocsp).cloned().collect();
        let issuers: Vec<String> = publication.ca_issuers_url.iter().cloned().collect();
        if !ocsp_urls.is_empty() || !issuers.is_empty() {
            cp.custom_extensions.push(rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], crate::ocsp::aia_value(&ocsp_urls, &issuers)));
        }
        let subject_key = rcgen::SubjectPublicKeyInfo::from_der(subject_spki)
            .map_err(|e| CaError::Build { what: "certificate", message: format!("subject public key: {e}") })?;
        let signer = RcgenSigner::new(ca_key).map_err(|e| CaError::Key { path: self.key_path(), source: e })?;
        let issuer = rcgen::Issuer::from_ca_cert_der(&self.cert_der.clone().into(), &signer)
            .map_err(|e| CaError::BadCaCert { path: cert_path.clone(), message: e.to_string() })?;

        // One transaction: draw a fresh serial, sign, record, log.
        let mut tx = self.registry.write()?;
        let mut attempt = 0;
        let serial_bytes = loop {
            attempt += 1;
            let s = random_serial()?;
            if !tx.serial_exists(&serial_hex(&s))? {
                break s;
            }
            if attempt >= SERIAL_ATTEMPTS {
                return Err(CaError::Registry("could not draw an unused serial number".into()));
            }
        };
        cp.serial_number = Some(rcgen::SerialNumber::from_slice(&serial_bytes));
        let cert = cp
            .signed_by(&subject_key, &issuer)
            .map_err(|e| CaError::Build { what: "certificate", message: e.to_string() })?;
        let der = cert.der().to_vec();
        let serial = serial_hex(&serial_bytes);
        let subject = crate::util::cert_subject(&der).unwrap_or_default();
        let row = CertRow {
            serial: serial.clone(),
            subject: subject.clone(),
            profile: req.profile.name().to_string(),
            not_before: unix(now),
            not_after: unix(not_after),
            der: der.clone(),
            revoked_at: None,
            reason: None,
        };
        tx.insert_cert(&row, unix(now))?;
        let detail = serde_json::json!({
            "serial": serial,
            "subject": subject,
            "profile": req.profile.name(),
            "not_before": rfc3339(now),
            "not_after": rfc3339(not_after),
            "sha256": sha256_hex(&der),
        });
        registry::append_audit(&mut *tx, unix(now), "issue", &detail.to_string())?;
        tx.commit()?;
        Ok(Issued { serial, der, not_before: now, not_after, shortened })
    }
}

pub(super) fn spki_equal(a: &[u8], b: &[u8]) -> bool {
    use der::Decode;
    match (spki::SubjectPublicKeyInfoRef::from_der(a), spki::SubjectPublicKeyInfoRef::from_der(b)) {
        (Ok(x), Ok(y)) => x.algorithm.oid == y.algorithm.oid && x.subject_public_key == y.subject_public_key,
        _ => false,
    }
}

fn check_years(years: u32, max: u32) -> Result<(), CaError> {
    if years == 0 || years > max {
        return Err(CaError::BadValidity { years, max });
    }
    Ok(())
}

fn check_url(u: &str) -> Result<(), CaError> {
    let ok = (u.starts_with("http://") || u.starts_with("https://") || u.starts_with("ldap://"))
        && u.is_ascii()
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
        && u.len() <= 512;
    if ok {
        Ok(())
    } else {
        Err(CaError::BadCrlUrl(u.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_add_on_leap_day() {
        let t = time::macros::datetime!(2028-02-29 10:00 UTC);
        assert_eq!(add_years(t, 1).unwrap(), time::macros::datetime!(2029-02-28 10:00 UTC));
        assert_eq!(add_years(t, 4).unwrap(), time::macros::datetime!(2032-02-29 10:00 UTC));
    }

    #[test]
    fn random_serials_are_positive_16_bytes() {
        for _ in 0..100 {
            let s = random_serial().unwrap();
            assert_eq!(s.len(), 16);
            assert!(s[0] != 0 && s[0] & 0x80 == 0);
        }
    }
}
