//! `kyso ca …`: the CA administrator's commands. Argument definitions and output only; the
//! work is done by `kyso::ca`.

use crate::keyload::{load_key, Key, PinArgs};
use crate::util::{read_input, CliError, PassArgs};
use clap::{Args, Subcommand, ValueEnum};
use crate::cmd_db::DbArgs;
use kyso::ca::{Ca, CaError, CaKeyRef, Field, InitParams, IssueRequest, Profile, ProfileError, Reason, SubjectInfo};
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::keys::{Kdf, KeyAlgorithm, KeyError, PrivateKey, Signer};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Largest CSR accepted (64 KiB: a request is a few hundred bytes to a few KB).
const MAX_CSR_FILE: u64 = 64 * 1024;

/// Key algorithm for new keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgArg {
    /// ECDSA P-256 (default)
    P256,
    /// ECDSA P-384
    P384,
}

impl AlgArg {
    pub fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            AlgArg::P256 => KeyAlgorithm::EcdsaP256,
            AlgArg::P384 => KeyAlgorithm::EcdsaP384,
        }
    }
}

/// Certificate profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// An organisation's seal signature (CN/O = the unit, --uid MST:/MNS:)
    Agency,
    /// A competent person (CN = full name, --title and --org required, --uid CCCD:)
    Person,
    /// A timestamping unit (EKU timeStamping, critical)
    Tsa,
    /// A delegated OCSP responder (EKU OCSPSigning, ocsp-nocheck, valid 30 days); `ca serve`
    /// uses DIR/ocsp.pem and DIR/ocsp.key
    Ocsp,
}

/// RFC 5280 revocation reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReasonArg {
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    Unspecified,
    // Lifts a certificate-hold (RFC 5280 removeFromCRL); no doc comment, so that --help keeps
    // the compact list of values (the EXAMPLES section explains it).
    RemoveFromCrl,
}

impl ReasonArg {
    /// The revocation reason; None for remove-from-crl, which lifts a hold instead.
    fn reason(self) -> Option<Reason> {
        match self {
            ReasonArg::KeyCompromise => Some(Reason::KeyCompromise),
            ReasonArg::AffiliationChanged => Some(Reason::AffiliationChanged),
            ReasonArg::Superseded => Some(Reason::Superseded),
            ReasonArg::CessationOfOperation => Some(Reason::CessationOfOperation),
            ReasonArg::CertificateHold => Some(Reason::CertificateHold),
            ReasonArg::Unspecified => Some(Reason::Unspecified),
            ReasonArg::RemoveFromCrl => None,
        }
    }
}

/// Subject fields shared by `ca issue` and `csr new`.
#[derive(Debug, Clone, Args)]
pub struct SubjectArgs {
    /// Common name: the unit's name (agency) or the person's full name
    #[arg(long, value_name = "NAME")]
    pub cn: String,
    /// Organisation: the unit
    #[arg(long, value_name = "O")]
    pub org: Option<String>,
    /// Organisational unit
    #[arg(long, value_name = "OU")]
    pub ou: Option<String>,
    /// The person's title, e.g. "Giám đốc" (a person certificate needs one)
    #[arg(long, value_name = "T")]
    pub title: Option<String>,
    /// Identifier: MST:… or MNS:… for a unit, CCCD:… for a person
    #[arg(long, value_name = "UID")]
    pub uid: Option<String>,
    /// E-mail address (written as a subjectAltName)
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
    /// Province, e.g. "Bắc Ninh"
    #[arg(long, value_name = "ST")]
    pub province: Option<String>,
    /// Locality
    #[arg(long, value_name = "L")]
    pub locality: Option<String>,
}

impl SubjectArgs {
    pub fn subject(&self) -> SubjectInfo {
        SubjectInfo {
            cn: self.cn.clone(),
            org: self.org.clone(),
            ou: self.ou.clone(),
            title: self.title.clone(),
            uid: self.uid.clone(),
            email: self.email.clone(),
            province: self.province.clone(),
            locality: self.locality.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a root CA, or with --parent an issuing CA under another CA
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso ca init --dir root-ca --name \"Root CA Tỉnh Bắc Ninh\" \\\n      --org \"Sở Thông tin và Truyền thông tỉnh Bắc Ninh\" --province \"Bắc Ninh\" --years 20\n",
        "  kyso ca init --dir ca --name \"CA Tỉnh Bắc Ninh\" --parent root-ca \\\n      --crl-url http://ca.bacninh.example/ca.crl\n",
        "  (the new key's passphrase comes from --pass-file, KYSO_PASSPHRASE or a prompt; with --parent,\n",
        "   the parent key's from --parent-pass-file, else the same source)\n",
        "  kyso ca init --dir ca --name \"CA Tỉnh Bắc Ninh\" --parent root-ca \\\n      --crl-url http://ca.bacninh.example/ca/crl --ocsp-url http://ca.bacninh.example/ocsp \\\n      --ca-issuers-url http://ca.bacninh.example/ca/ca.crt   # what `kyso ca serve` publishes\n",
        "  # the CA key on an HSM or token (made with kyso key new --token): DIR records its URI\n",
        "  kyso ca init --dir root-ca --name \"Root CA Tỉnh Bắc Ninh\" \\\n      --key 'pkcs11:token=ca;object=root' --pin-file pin.txt\n",
        "  # the registry in a PostgreSQL database (several machines issue, several `ca serve`\n",
        "  # answer): DIR/ca.conf records the URL, never the password; later commands follow it.\n",
        "  # No TLS yet: a database on another machine needs sslmode=disable (a protected network)\n",
        "  kyso ca init --dir ca --name \"CA Tỉnh Bắc Ninh\" \\\n      --db 'postgres://kyso@db.bacninh.example/kyso?sslmode=disable' --db-pass-file db-pass.txt\n\n",
        "EXIT CODES:\n  0  success\n  1  the directory already holds a CA, the parent cannot certify a CA, the registry\n     database cannot be reached\n  2  usage error, bad parameter, parent directory missing or not a CA, no or wrong passphrase"))]
    Init(InitArgs),
    /// Issue a certificate (agency, person or tsa profile) for a new key or a CSR
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  # the unit's key under the unit's own passphrase (unit-pass.txt), the CA's from ca-pass.txt\n",
        "  kyso ca issue --dir ca --profile agency --cn \"Sở Y tế tỉnh Bắc Ninh\" --uid MNS:1000002 \\\n      --key-out syt.key --key-pass-file unit-pass.txt --cert-out syt.pem --pass-file ca-pass.txt\n",
        "  kyso ca issue --dir ca --profile person --cn \"Trần Thị Bình\" --title \"Giám đốc\" \\\n      --org \"Sở Y tế tỉnh Bắc Ninh\" --uid CCCD:027185000002 \\\n      --csr binh.csr --cert-out binh.pem\n",
        "  # a .p12/.pfx for the unit (key, certificate, chain), under the unit's own passphrase\n",
        "  kyso ca issue --dir ca --profile agency --cn \"Sở Y tế tỉnh Bắc Ninh\" --uid MNS:1000002 \\\n      --p12-out syt.p12 --key-pass-file unit-pass.txt\n\n",
        "--p12-out writes PBES2 (PBKDF2-SHA-256, AES-256-CBC) and an HMAC-SHA-256, as Windows 10+ and\n",
        "OpenSSL 3 write; friendly name = the CN. The passphrase of --key-out and --p12-out is the\n",
        "unit's, never the CA's: --key-pass-file, else $KYSO_KEY_PASSPHRASE, else a prompt (the CA\n",
        "key's passphrase is refused; a short or guessable one too, unless --weak-passphrase).\n",
        "--cert-out holds the certificate followed by the CA chain up to the root (--chain-out: apart).\n\n",
        "The CA decides every extension; a CSR contributes only its public key (its signature is\n",
        "verified; ECDSA P-256/P-384, RSA 2048-8192 and Ed25519 keys are accepted).\n\n",
        "EXIT CODES:\n  0  success\n  1  refused: bad/tampered/weak CSR, output exists (use --force); the registry database\n     failed or cannot be reached\n  2  usage error, profile rule broken, CA directory or CSR missing, not a CA directory,\n     no or wrong passphrase, the unit's passphrase is the CA's"))]
    Issue(IssueArgs),
    /// Revoke a certificate and publish a new CRL at once
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso ca revoke --dir ca --serial 5a3c…e1 --reason key-compromise\n",
        "  kyso ca revoke --dir ca --serial 5a3c…e1 --reason certificate-hold   # suspend\n",
        "  kyso ca revoke --dir ca --serial 5a3c…e1 --reason remove-from-crl    # lift the hold\n",
        "  kyso ca list --dir ca --json | jq -r '.[] | select(.status==\"valid\") | .serial'\n\n",
        "remove-from-crl lifts a certificate-hold only: the certificate is valid again and leaves\n",
        "the new CRL; any other revocation is final.\n\n",
        "EXIT CODES:\n  0  revoked (or hold lifted), crl.pem rewritten\n  1  unknown serial, already revoked, remove-from-crl of a certificate not on hold; the\n     registry database failed or cannot be reached\n  2  usage error, CA directory missing or not a CA, no or wrong passphrase"))]
    Revoke(RevokeArgs),
    /// Publish a CRL (also written to DIR/crl.pem)
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso ca crl --dir ca                       # DIR/crl.pem, valid 30 days (or the last --days)\n",
        "  kyso ca crl --dir ca --days 7 --out ca.crl  # .der/.crl: DER; otherwise PEM\n",
        "  kyso ca crl --dir ca --out crls.pem --with-parents   # this CA's CRL and its parents': all a\n",
        "                                                       # recipient needs (give it with --crl)\n\n",
        "EXIT CODES:\n  0  success\n  1  output exists (use --force); the registry database failed or cannot be reached\n  2  usage error, bad --days, CA directory missing or not a CA, no or wrong passphrase"))]
    Crl(CrlArgs),
    /// List the certificates this CA issued, with their status
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso ca list --dir ca\n",
        "  kyso ca list --dir ca --json   # [{serial, subject, profile, not_before, not_after, status, revoked_at?, reason?}]\n\n",
        "EXIT CODES:\n  0  success\n  1  the registry cannot be read (or its database reached)\n  2  usage error, CA directory missing or not a CA"))]
    List(ListArgs),
    /// Verify the hash-chained audit log against the registry
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso ca audit --dir ca\n\n",
        "Checks that every log entry chains to the previous one and matches its hash, that every\n",
        "certificate, revocation and CRL in the registry matches a log entry (and the reverse), and\n",
        "that every stored certificate and CRL carries this CA's signature. Keep the printed head\n",
        "hash elsewhere: it also detects a rewritten log or removed newest entries later.\n\n",
        "EXIT CODES:\n  0  the log is intact\n  1  the log or the registry was altered; the registry database cannot be reached\n  2  usage error, CA directory missing or not a CA"))]
    Audit(AuditArgs),
    /// Move a CA's SQLite registry into a PostgreSQL database, audit chain included
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso ca migrate --dir ca --to postgres://kyso@127.0.0.1:5432/kyso --db-pass-file db-pass.txt\n",
        "  # another machine (no TLS yet: only over a protected network, said with sslmode=disable)\n",
        "  kyso ca migrate --dir ca --to 'postgres://kyso@db.bacninh.example/kyso?sslmode=disable' --db-pass-file db-pass.txt\n\n",
        "The SQLite audit must pass first; registry.db is locked throughout. Every row is copied in\n",
        "one transaction into the CA's own schema (which must not exist), read back, compared and\n",
        "audited; the move is recorded in the audit chain. Then DIR/ca.conf names the database (never\n",
        "the password) and registry.db is renamed registry.db.migrated. On failure the schema is\n",
        "dropped and DIR is left as it was.\n\n",
        "EXIT CODES:\n  0  moved and verified\n  1  refused (broken audit, schema exists, copy differs) or the database failed\n  2  usage error, CA directory missing or not a CA, already in a database"))]
    Migrate(MigrateArgs),
    /// Publish CAs over HTTP: CRLs, CA certificates and an OCSP responder
    #[command(after_help = crate::cmd_ca_serve::EXAMPLES)]
    Serve(crate::cmd_ca_serve::ServeArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The CA directory to create
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// The CA's name (CN), e.g. "CA Tỉnh Bắc Ninh"
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The organisation running the CA
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
    /// Province
    #[arg(long, value_name = "ST")]
    pub province: Option<String>,
    /// Key algorithm
    #[arg(long, value_enum, default_value_t = AlgArg::P256)]
    pub alg: AlgArg,
    /// Validity in years (default 20 for a root, 10 for an issuing CA; never past the parent's)
    #[arg(long, value_name = "N")]
    pub years: Option<u32>,
    /// URL where this CA's CRL is published (put in the certificates it issues)
    #[arg(long, value_name = "URL")]
    pub crl_url: Option<String>,
    /// URL of this CA's OCSP responder (authorityInfoAccess of the certificates it issues)
    #[arg(long, value_name = "URL")]
    pub ocsp_url: Option<String>,
    /// URL where this CA's certificate is published (authorityInfoAccess caIssuers)
    #[arg(long, value_name = "URL")]
    pub ca_issuers_url: Option<String>,
    /// Make DIR an issuing CA certified by the CA in this directory
    #[arg(long, value_name = "DIR")]
    pub parent: Option<PathBuf>,
    #[command(flatten)]
    pub pass: PassArgs,
    /// Passphrase file of the parent CA's key (default: the same source as the new key's)
    #[arg(long, value_name = "FILE", requires = "parent")]
    pub parent_pass_file: Option<PathBuf>,
    /// Accept a new passphrase shorter than 8 characters or easy to guess (a warning says so)
    #[arg(long)]
    pub weak_passphrase: bool,
    /// Use this key on a token or HSM (a pkcs11: URI) instead of generating ca.key: DIR/ca-key.uri
    /// records it (--alg is then the key's)
    #[arg(long, value_name = "URI", conflicts_with = "alg")]
    pub key: Option<PathBuf>,
    /// The PIN of a CA key on a token (this CA's or the parent's)
    #[command(flatten)]
    pub pin: PinArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("keysource").required(true).multiple(true).args(["csr", "key_out", "p12_out"]))]
#[command(group = clap::ArgGroup::new("newkey").multiple(true).args(["key_out", "p12_out"]))]
pub struct IssueArgs {
    /// The CA directory
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Certificate profile
    #[arg(long, value_enum, default_value_t = ProfileArg::Agency)]
    pub profile: ProfileArg,
    /// Validity in years (default and maximum 5; never past the CA's own notAfter)
    #[arg(long, value_name = "N")]
    pub years: Option<u32>,
    /// Certify the public key of this PKCS#10 request (PEM or DER)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key_out", "p12_out"])]
    pub csr: Option<PathBuf>,
    /// Generate a key and write it here (encrypted PKCS#8, mode 0600)
    #[arg(long, value_name = "FILE")]
    pub key_out: Option<PathBuf>,
    /// Generate a key and write it, its certificate and the CA chain here as PKCS#12
    /// (.p12/.pfx, mode 0600), protected by the unit's own passphrase
    #[arg(long, value_name = "FILE")]
    pub p12_out: Option<PathBuf>,
    /// With --p12-out: legacy encryption (3DES, RC2-40, SHA-1 MAC) for software that cannot open
    /// AES (weak)
    #[arg(long, requires = "p12_out")]
    pub p12_legacy: bool,
    /// Algorithm of the generated key
    #[arg(long, value_enum, default_value_t = AlgArg::P256, requires = "newkey")]
    pub alg: AlgArg,
    /// Write the new --key-out key unencrypted (not recommended)
    #[arg(long, requires = "key_out", conflicts_with = "p12_out")]
    pub no_passphrase: bool,
    /// The unit's passphrase for the new key and .p12 (else $KYSO_KEY_PASSPHRASE, else a
    /// prompt; never the CA key's). A tsa or ocsp key without it gets the CA key's passphrase
    #[arg(long, value_name = "FILE", requires = "newkey")]
    pub key_pass_file: Option<PathBuf>,
    /// Where to write the certificate (PEM), followed by its CA chain up to the root (unless
    /// --chain-out); optional with --p12-out, which holds it
    #[arg(long, value_name = "FILE", required_unless_present = "p12_out")]
    pub cert_out: Option<PathBuf>,
    /// Write the CA chain (issuing CA up to the root, PEM) to this file instead of after the
    /// certificate in --cert-out
    #[arg(long, value_name = "FILE", requires = "cert_out")]
    pub chain_out: Option<PathBuf>,
    /// Overwrite --cert-out / --key-out / --p12-out if they exist
    #[arg(long)]
    pub force: bool,
    /// Example provinces only (certs-example, demos): accept the CA key's passphrase as the
    /// unit's, which hands the CA's secret to whoever gets the key
    #[arg(long, hide = true)]
    pub reuse_ca_passphrase: bool,
    /// Accept a new passphrase shorter than 8 characters or easy to guess (a warning says so)
    #[arg(long)]
    pub weak_passphrase: bool,
    #[command(flatten)]
    pub pass: PassArgs,
    #[command(flatten)]
    pub pin: PinArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The CA directory
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Serial number in hex (as `ca list` or `openssl x509 -serial` print it)
    #[arg(long, value_name = "HEX")]
    pub serial: String,
    /// Reason (RFC 5280)
    #[arg(long, value_enum, default_value_t = ReasonArg::Unspecified)]
    pub reason: ReasonArg,
    #[command(flatten)]
    pub pass: PassArgs,
    #[command(flatten)]
    pub pin: PinArgs,
}

#[derive(Debug, Args)]
pub struct CrlArgs {
    /// The CA directory
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Also write the CRL here (.der or .crl: DER; otherwise PEM)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Validity in days (nextUpdate); default 30, or the last value used
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Write to --out the parents' current CRLs too (up to the root): every CRL a recipient
    /// needs to check a certificate of this CA
    #[arg(long, requires = "out")]
    pub with_parents: bool,
    /// Overwrite --out if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pass: PassArgs,
    #[command(flatten)]
    pub pin: PinArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The CA directory
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print a JSON array
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The CA directory (its registry is registry.db)
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The PostgreSQL database to move the registry into (postgres://USER@HOST:PORT/DBNAME)
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The schema name in the database (default: kyso_ and 16 hex digits of the CA
    /// certificate's SHA-256, the same on every machine); recorded in DIR/ca.conf
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
    /// File whose first line is the database password (else $KYSO_DB_PASSWORD, else the URL's)
    #[arg(long, value_name = "FILE")]
    pub db_pass_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The CA directory
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Opens the CA in `dir`, its registry where `db`, `DIR/ca.conf` or `DIR/registry.db` say.
pub fn open_ca(dir: &Path, db: &DbArgs) -> Result<Ca, CliError> {
    Ca::open_with(dir, &db.options()?).map_err(ca_error)
}

/// Maps a library error to an exit code: 2 when the command could not start (missing or
/// non-CA directory, bad parameter, no or wrong passphrase — as `kyso sign` does), 1 when the
/// operation was refused or failed.
pub fn ca_error(e: CaError) -> CliError {
    let e = match crate::cmd_db::db_error(e) {
        Ok(cli) => return cli,
        Err(e) => e,
    };
    match e {
        CaError::NoSuchDir(_) => CliError::usage(e.to_string()).hint("check --dir, or create the CA with `kyso ca init`"),
        CaError::NotACa { .. } => CliError::usage(e.to_string()).hint("a CA directory holds ca.pem, ca.key and registry.db made by `kyso ca init`"),
        CaError::Key { source: KeyError::WrongPassphrase, .. } => {
            CliError::usage(e.to_string()).hint("check --pass-file / KYSO_PASSPHRASE")
        }
        CaError::KeyMismatch(_) | CaError::BadKeyUri { .. } => CliError::usage(e.to_string()),
        CaError::Key { source: KeyError::PassphraseRequired, .. } => CliError::usage(e.to_string())
            .hint("use --pass-file FILE or set KYSO_PASSPHRASE (passphrases are never taken on the command line)"),
        CaError::AlreadyRevoked { .. } | CaError::UnknownSerial(_) | CaError::NotOnHold { .. } => {
            CliError::failed(e.to_string()).hint("`kyso ca list --dir DIR` shows the serials and their status")
        }
        CaError::Profile(p) => CliError::usage(profile_message(&p)),
        CaError::BadValidity { years, max } => CliError::usage(format!("--years {years}: between 1 and {max}")),
        CaError::BadCrlDays { days, max } => CliError::usage(format!("--days {days}: between 1 and {max}")),
        CaError::BadCrlUrl(u) => CliError::usage(format!("--crl-url '{u}' must be an ASCII http://, https:// or ldap:// URL")),
        CaError::BadAiaUrl(u) => CliError::usage(format!("--ocsp-url / --ca-issuers-url '{u}' must be an ASCII http://, https:// or ldap:// URL")),
        CaError::CaProfileNotIssued => CliError::usage("CA certificates are made with `ca init --parent`"),
        CaError::BadParameter(_) | CaError::BadSerial(_) => CliError::usage(e.to_string()),
        CaError::InitFailedAfterParentIssued { dir, parent, serial, source } => CliError::failed(format!(
            "{source}; nothing was kept in {}, but the parent CA had already issued certificate {serial} for the discarded key: revoke it there (kyso ca revoke --dir {} --serial {serial} --reason cessation-of-operation)",
            dir.display(),
            parent.display()
        )),
        _ => CliError::failed(e.to_string()),
    }
}

/// A subject that breaks a profile rule, in the words of the flags that set it.
pub fn profile_message(e: &ProfileError) -> String {
    let flag = |f: Field| format!("--{}", f.name());
    let named = |f: Field| if f == Field::Cn { "the name (--cn)".to_string() } else { flag(f) };
    match e {
        ProfileError::Empty(f) => format!("{} is empty", named(*f)),
        ProfileError::TooLong { field, length, max } => format!("{} is {length} characters long (at most {max})", named(*field)),
        ProfileError::ControlCharacters(f) => format!("{} contains control characters", named(*f)),
        ProfileError::BadEmail(a) => format!("--email '{a}' is not an ASCII e-mail address"),
        ProfileError::UidWithoutValue { prefix } => format!("--uid {prefix} has no value after the prefix"),
        ProfileError::UidNumber { value, expected } => format!("--uid '{value}' is not {expected}"),
        ProfileError::UidPrefix { value, profile, accepted } => {
            let who = if *profile == Profile::Agency { "an agency".to_string() } else { format!("a {profile}") };
            format!("--uid '{value}' for {who} must start with {}", accepted.join(" or "))
        }
        ProfileError::Missing { field: Field::Title, profile: Profile::Person } => {
            "a person certificate needs the person's title (--title, e.g. \"Giám đốc\")".into()
        }
        ProfileError::Missing { field: Field::Org, profile: Profile::Person } => "a person certificate needs the person's unit (--org)".into(),
        ProfileError::Missing { field, profile } => format!("a {profile} certificate needs {}", flag(*field)),
        ProfileError::NotAllowed { field: Field::Title, profile: Profile::Agency } => {
            "--title belongs to a person certificate (--profile person), not to an agency".into()
        }
        ProfileError::NotAllowed { field, profile } => format!("{} does not belong to a {profile} certificate", flag(*field)),
        other => other.to_string(),
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Opens the CA key: the key file (its passphrase asked only when it is encrypted), or the key
/// on a token that `ca-key.uri` names (its PIN from `pin`); either way checked against the CA
/// certificate.
fn open_ca_key(ca: &Ca, pass: &PassArgs, pin: &PinArgs) -> Result<Key, CliError> {
    open_ca_key_with_passphrase(ca, pass, pin).map(|(k, _)| k)
}

/// Opens the CA key; also returns the passphrase that opened a key file (to refuse it for a
/// unit).
fn open_ca_key_with_passphrase(ca: &Ca, pass: &PassArgs, pin: &PinArgs) -> Result<(Key, Option<zeroize::Zeroizing<Vec<u8>>>), CliError> {
    if let CaKeyRef::Uri(uri) = ca.key_ref().map_err(ca_error)? {
        let mut key = load_key(std::path::Path::new(&uri), pass, pin, None).map_err(|e| CliError {
            message: format!("the key of the CA {} ({}): {}", ca.dir().display(), ca.key_path().display(), e.message),
            ..e
        })?;
        // Certificates and CRLs are signed with PKCS#1 v1.5 by an RSA CA key.
        key.set_rsa_padding(kyso::RsaPadding::Pkcs1);
        ca.check_key(&key).map_err(ca_error)?;
        return Ok((key, None));
    }
    let what = format!("the CA key {}", ca.dir().join(kyso::ca::CA_KEY_FILE).display());
    if ca.key_is_encrypted().map_err(ca_error)? {
        // from a prompt: three tries
        let opened = pass.open_with(
            &what,
            |p| ca.open_key(Some(p)).map(|k| (Key::File(k), Some(zeroize::Zeroizing::new(p.to_vec())))),
            |e| matches!(e, CaError::Key { source: KeyError::WrongPassphrase, .. }),
        )?;
        opened.map_err(ca_error)
    } else {
        eprintln!("warning: {what} is not encrypted");
        ca.open_key(None).map(|k| (Key::File(k), None)).map_err(ca_error)
    }
}

/// The certificates a unit's .p12 carries after its own: the CA's chain file (an issuing CA's
/// certificate and its parents up to the root), or the CA's own certificate for a root.
fn ca_chain(ca: &Ca) -> Result<Vec<Vec<u8>>, CliError> {
    let path = ca.dir().join(kyso::ca::CHAIN_FILE);
    if path.exists() {
        let bytes = read_input(&path, "the CA chain", 1 << 20)?;
        return kyso::objects::certificates(&bytes).map_err(|e| CliError::failed(format!("{}: {e}", path.display())));
    }
    Ok(vec![ca.certificate().to_vec()])
}

fn pass_from_file(file: &Option<PathBuf>, fallback: &PassArgs) -> PassArgs {
    match file {
        Some(f) => PassArgs { pass_file: Some(f.clone()) },
        None => fallback.clone(),
    }
}

fn check_output(path: &Path, force: bool, what: &str) -> Result<(), CliError> {
    if path.exists() && !force {
        return Err(CliError::failed(format!("{what} {} already exists", path.display())).hint("use --force to overwrite it"));
    }
    Ok(())
}

fn write_out(path: &Path, bytes: &[u8], force: bool, secrecy: Secrecy) -> Result<(), CliError> {
    let ow = if force { Overwrite::Replace } else { Overwrite::Refuse };
    write_atomic(path, bytes, ow, secrecy).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CliError::failed(format!("{} already exists", path.display())).hint("use --force to overwrite it"),
        _ => CliError::failed(format!("cannot write {}: {e}", path.display())),
    })
}

pub fn run(cmd: CaCommand) -> Result<ExitCode, CliError> {
    match cmd {
        CaCommand::Init(a) => init(a),
        CaCommand::Issue(a) => issue(a),
        CaCommand::Revoke(a) => revoke(a),
        CaCommand::Crl(a) => crl(a),
        CaCommand::List(a) => list(a),
        CaCommand::Audit(a) => audit(a),
        CaCommand::Migrate(a) => migrate(a),
        CaCommand::Serve(a) => crate::cmd_ca_serve::run(a),
    }
}

fn init(a: InitArgs) -> Result<ExitCode, CliError> {
    for f in [kyso::ca::CA_CERT_FILE, kyso::ca::CA_KEY_FILE, kyso::ca::CA_KEY_URI_FILE, kyso::ca::REGISTRY_FILE, kyso::ca::REGISTRY_CONF_FILE] {
        if a.dir.join(f).exists() {
            return Err(ca_error(CaError::AlreadyExists { dir: a.dir.clone(), found: f }));
        }
    }
    let mut parent = match &a.parent {
        Some(p) => Some(Ca::open_with(p, &a.db.password_only()?).map_err(ca_error)?),
        None => None,
    };
    let parent_key = match &parent {
        Some(p) => Some(open_ca_key(p, &pass_from_file(&a.parent_pass_file, &a.pass), &a.pin)?),
        None => None,
    };
    // The new CA's key: on a token (its URI recorded), or generated into ca.key.
    let token_key = match &a.key {
        Some(k) if crate::keyload::is_token_uri(k) => {
            let mut key = load_key(k, &a.pass, &a.pin, None)?;
            key.set_rsa_padding(kyso::RsaPadding::Pkcs1);
            let uri = match &key {
                Key::Token(t) => t.uri().to_string(),
                Key::File(_) => String::new(),
            };
            Some((key, uri))
        }
        Some(k) => {
            return Err(CliError::usage(format!("--key {}: not a pkcs11: URI", k.display()))
                .hint("ca init generates a CA key file itself; --key names a key on a token ('pkcs11:token=…;object=…')"))
        }
        None => None,
    };
    let pass = match &token_key {
        Some(_) => None,
        None => Some(a.pass.get_new(&format!("the new CA key {}", a.dir.join(kyso::ca::CA_KEY_FILE).display()), a.weak_passphrase)?),
    };
    let params = InitParams {
        name: a.name.clone(),
        org: a.org.clone(),
        province: a.province.clone(),
        alg: a.alg.key_algorithm(),
        years: a.years,
        crl_url: a.crl_url.clone(),
        ocsp_url: a.ocsp_url.clone(),
        ca_issuers_url: a.ca_issuers_url.clone(),
        registry: a.db.target()?,
        ..InitParams::new(&a.name)
    };
    let par = match (&mut parent, &parent_key) {
        (Some(p), Some(k)) => Some((p, k as &dyn Signer)),
        _ => None,
    };
    let ca = match (&token_key, &pass) {
        (Some((key, uri)), _) => Ca::init_with_key(&a.dir, &params, par, key, uri, now()),
        (None, Some(pass)) => Ca::init(&a.dir, &params, par, pass, Kdf::default(), now()),
        (None, None) => return Err(CliError::usage("no key for the new CA")),
    }
    .map_err(ca_error)?;
    if let Some((_, uri)) = &token_key {
        println!("the CA key stays on the token: {uri}");
    }
    let subject = kyso::inspect::cert_subject(ca.certificate()).unwrap_or_default();
    match &a.parent {
        Some(p) => outln!("issuing CA created in {} under {}: {subject}", a.dir.display(), p.display()),
        None => outln!("root CA created in {}: {subject}", a.dir.display()),
    }
    Ok(ExitCode::SUCCESS)
}

fn issue(a: IssueArgs) -> Result<ExitCode, CliError> {
    // Cheap checks first: outputs, request, profile rules — before any passphrase is asked.
    // (Checked again under the outputs' locks. An interrupted earlier run's journal beside the
    // first output means the library repairs what it left first: not checked here then.)
    let first_output = a.cert_out.as_ref().or(a.p12_out.as_ref()).or(a.key_out.as_ref());
    let interrupted = first_output.is_some_and(|p| std::fs::metadata(kyso::files::lock_path(p)).is_ok_and(|m| m.len() > 0));
    if !interrupted {
        for (path, flag) in [(&a.cert_out, "--cert-out"), (&a.key_out, "--key-out"), (&a.p12_out, "--p12-out"), (&a.chain_out, "--chain-out")] {
            if let Some(p) = path {
                check_output(p, a.force, flag)?;
            }
        }
    }
    let mut ca = open_ca(&a.dir, &a.db)?;
    let profile = match a.profile {
        ProfileArg::Agency => Profile::Agency,
        ProfileArg::Person => Profile::Person,
        ProfileArg::Tsa => Profile::Tsa,
        ProfileArg::Ocsp => Profile::Ocsp,
    };
    let req = IssueRequest { profile, subject: a.subject.subject(), years: a.years };
    req.subject.check(profile).map_err(|e| CliError::usage(profile_message(&e)))?;
    if profile == Profile::Agency && req.subject.uid.is_none() {
        eprintln!("warning: an agency certificate without --uid: recipients cannot tell the unit by its code (--uid MNS:… budget-unit code, or MST:… tax code)");
    }
    let (spki, new_key) = match (&a.csr, a.key_out.is_some() || a.p12_out.is_some()) {
        (Some(csr), _) => {
            let bytes = read_input(csr, "the request", MAX_CSR_FILE)?;
            let v = kyso::csr::verify_csr(&bytes)
                .map_err(|e| CliError::failed(format!("{}: {e}", csr.display())))?;
            if v.ignored_extensions > 0 {
                eprintln!("note: the request asks for {} extension(s); the CA ignores them and sets its own", v.ignored_extensions);
            }
            (v.spki, None)
        }
        (None, true) => {
            let k = PrivateKey::generate(a.alg.key_algorithm()).map_err(|e| CliError::failed(e.to_string()))?;
            (k.public_key_spki().to_vec(), Some(k))
        }
        (None, false) => return Err(CliError::usage("give --csr FILE, --key-out FILE or --p12-out FILE")),
    };
    // The chain goes into the .p12, after the certificate in --cert-out (or into --chain-out):
    // a signer given only its certificate file still sends recipients the whole path.
    let chain = ca_chain(&ca)?;
    let (ca_key, ca_pass) = open_ca_key_with_passphrase(&ca, &a.pass, &a.pin)?;
    // The unit's passphrase before issuing, so a missing one does not leave a recorded
    // certificate without its key. For a key handed to a unit (--p12-out, or --key-out of an
    // agency or person certificate) it is the unit's own (--key-pass-file, KYSO_KEY_PASSPHRASE
    // or a prompt), never the CA's: handing the unit its key must not hand over the CA's
    // secret. The keys of the CA operator's own services (tsa, ocsp profiles) stay with the
    // operator: --key-pass-file if given, else the CA key's source (`ca serve` and `tsa serve`
    // open them with it).
    let unit_source = crate::util::PassSource { file: a.key_pass_file.as_deref(), env: "KYSO_KEY_PASSPHRASE", flag: "--key-pass-file" };
    let handed_over = a.p12_out.is_some() || matches!(profile, Profile::Agency | Profile::Person);
    let unit_file = a.p12_out.as_ref().or(a.key_out.as_ref()).filter(|_| a.p12_out.is_some() || !a.no_passphrase);
    let unit_pass = match unit_file {
        Some(file) if !handed_over => Some(match a.key_pass_file.as_ref().map(|_| unit_source.given()).transpose()?.flatten() {
            Some(p) => p,
            None => a.pass.get_new(&format!("the new key {}", file.display()), a.weak_passphrase)?,
        }),
        Some(file) => {
            let p = unit_source.obtain_new(&format!("the unit's new file {}", file.display()), a.weak_passphrase)?;
            if ca_pass.as_ref().is_some_and(|c| **c == *p) && !a.reuse_ca_passphrase {
                let flag = if a.p12_out.is_some() { "--p12-out" } else { "--key-out" };
                return Err(CliError::usage(format!("the unit's passphrase for {flag} is the CA key's passphrase"))
                    .hint("give the unit its own passphrase with --key-pass-file FILE or KYSO_KEY_PASSPHRASE: it travels with the file"));
            }
            Some(p)
        }
        None => None,
    };
    let key_pem = match (&new_key, &a.key_out) {
        (Some(k), Some(_)) => Some(match &unit_pass {
            Some(p) if !a.no_passphrase => k.to_encrypted_pem(p, Kdf::default()).map_err(|e| CliError::failed(e.to_string()))?,
            _ => k.to_unencrypted_pem().map_err(|e| CliError::failed(e.to_string()))?,
        }),
        _ => None,
    };
    for out in [&a.cert_out, &a.p12_out].into_iter().flatten() {
        if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(CliError::usage(format!("the folder {} of {} does not exist", dir.display(), out.display())));
            }
        }
    }
    // The .p12 needs the certificate: the library builds it right after issuance.
    if a.p12_out.is_some() && a.p12_legacy {
        eprintln!("{}", crate::p12::LEGACY_WARNING);
    }
    let p12_opts = if a.p12_legacy { kyso::pkcs12::WriteOptions::legacy() } else { kyso::pkcs12::WriteOptions::new() };
    let build_p12 = |issued: &kyso::ca::Issued| -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        match (&new_key, &unit_pass) {
            (Some(k), Some(p)) => Ok(kyso::pkcs12::write(k, &issued.der, &chain, p, &p12_opts)?),
            _ => Err("no key or passphrase for the .p12".into()),
        }
    };
    // The outputs are reserved (locked, checked) before the CA signs; a file holding the key
    // appears only with (or after) the certificate; a failure after issuance revokes the
    // certificate (kyso::ca, issue_to_files).
    let outputs = kyso::ca::IssueOutputs {
        cert_out: a.cert_out.as_deref(),
        // the certificate file carries the chain after the certificate (unless --chain-out)
        cert_chain: if a.chain_out.is_none() { &chain } else { &[] },
        key: match (&key_pem, &a.key_out) {
            (Some(pem), Some(path)) => Some((path.as_path(), pem.as_bytes())),
            _ => None,
        },
        bundle: a.p12_out.as_deref().map(|p| (p, &build_p12 as kyso::ca::BuildBundle<'_>)),
        overwrite: if a.force { Overwrite::Replace } else { Overwrite::Refuse },
    };
    let done = ca.issue_to_files(&ca_key, &req, &spki, &outputs, now()).map_err(|e| issue_output_error(&a.dir, e))?;
    let shown = first_output.map(|p| p.display().to_string()).unwrap_or_default();
    for r in &done.recovered {
        match r {
            kyso::ca::Recovered::Revoked { serial } => eprintln!(
                "note: an earlier run writing {shown} was interrupted after the CA had issued certificate {serial}; it was never delivered and is now revoked (superseded)"
            ),
            kyso::ca::Recovered::RemovedFile { path } => {
                eprintln!("note: removed {}, written by that interrupted run without the rest of its files", path.display())
            }
            kyso::ca::Recovered::OtherCa { ca, spki_sha256 } => eprintln!(
                "note: an earlier run writing {shown} for the CA {} was interrupted; check that CA's registry (kyso ca list --dir {}) for a certificate of the key with SPKI SHA-256 {spki_sha256}",
                ca.display(),
                ca.display()
            ),
            _ => {}
        }
    }
    if let Some(path) = &a.chain_out {
        let chain_pem: String = chain.iter().map(|c| pem::encode_config(&pem::Pem::new("CERTIFICATE", c.clone()), pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))).collect();
        write_out(path, chain_pem.as_bytes(), a.force, Secrecy::Public)
            .map_err(|e| CliError { message: format!("{} (the certificate {} is issued and written to its --cert-out)", e.message, done.issued.serial), ..e })?;
    }
    let issued = done.issued;
    let subject = kyso::inspect::cert_subject(&issued.der).unwrap_or_default();
    outln!("issued {} certificate, serial {}", profile, issued.serial);
    outln!("  subject:     {subject}");
    outln!("  valid until: {}", kyso::ca::rfc3339(issued.not_after));
    if issued.shortened {
        outln!("  (shortened to the CA certificate's own notAfter)");
    }
    if let Some(c) = &a.cert_out {
        match &a.chain_out {
            Some(ch) => {
                outln!("  certificate: {}", c.display());
                outln!("  chain:       {} ({} CA certificate(s), up to the root)", ch.display(), chain.len());
            }
            None => outln!("  certificate: {} (followed by {} CA certificate(s), up to the root)", c.display(), chain.len()),
        }
    }
    if let Some(k) = &a.key_out {
        outln!(
            "  key:         {}{}",
            k.display(),
            match (a.no_passphrase, handed_over) {
                (true, _) => " (NOT encrypted)",
                (false, true) => " (encrypted with the unit's own passphrase, not the CA's)",
                (false, false) => " (encrypted)",
            }
        );
    }
    if let Some(p) = &a.p12_out {
        outln!(
            "  PKCS#12:     {} (key, certificate and {} CA certificate(s); {}; the unit's passphrase)",
            p.display(),
            chain.len(),
            if a.p12_legacy { "legacy 3DES/RC2-40" } else { "AES-256" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `ca issue`'s output errors in the CLI's words.
fn issue_output_error(dir: &Path, e: CaError) -> CliError {
    match e {
        CaError::OutputExists(p) => CliError::failed(format!("{} already exists", p.display())).hint("use --force to overwrite it"),
        e @ CaError::Output { .. } => CliError::failed(e.to_string()),
        CaError::OutputFailed { path, serial, source, revoked: Err(why) } => CliError::failed(format!(
            "cannot write {}: {source}; certificate {serial} had been issued and could not be revoked ({why})",
            path.display()
        ))
        .hint(format!("revoke it: kyso ca revoke --dir {} --serial {serial} --reason superseded", dir.display())),
        e @ CaError::OutputFailed { .. } => CliError::failed(e.to_string()),
        e => ca_error(e),
    }
}

/// A CRL is never dated before the newest one (kyso::ca's make_crl): say so when this machine's
/// clock is behind it, which the administrator should fix.
fn warn_if_dated_ahead(crl: &kyso::ca::Crl, now: time::OffsetDateTime) {
    if crl.this_update > now {
        eprintln!(
            "warning: this machine's clock ({}) is behind the newest CRL's thisUpdate: CRL number {} is dated {} so that CRL dates never go back; check the clock (NTP)",
            kyso::ca::rfc3339(now),
            crl.number,
            kyso::ca::rfc3339(crl.this_update)
        );
    }
}

fn revoke(a: RevokeArgs) -> Result<ExitCode, CliError> {
    let serial = kyso::ca::normalize_serial(&a.serial).map_err(|e| CliError::usage(e.to_string()))?;
    let mut ca = open_ca(&a.dir, &a.db)?;
    let key = open_ca_key(&ca, &a.pass, &a.pin)?;
    let now = now();
    let Some(reason) = a.reason.reason() else {
        let crl = ca.remove_from_crl(&key, &serial, now).map_err(ca_error)?;
        warn_if_dated_ahead(&crl, now);
        outln!("hold lifted on {serial} (remove-from-crl); CRL number {} written to {}", crl.number, a.dir.join(kyso::ca::CRL_FILE).display());
        return Ok(ExitCode::SUCCESS);
    };
    let crl = ca.revoke(&key, &serial, reason, now).map_err(ca_error)?;
    warn_if_dated_ahead(&crl, now);
    outln!("revoked {serial} ({reason}); CRL number {} written to {}", crl.number, a.dir.join(kyso::ca::CRL_FILE).display());
    Ok(ExitCode::SUCCESS)
}

/// True when `out` holds CRLs and the first is this CA's: an earlier `ca crl --out` of the
/// same CA, which a new CRL replaces without --force (publishing is repeated by nature).
fn holds_this_cas_crl(out: &Path, ca: &Ca) -> bool {
    use x509_parser::prelude::FromDer;
    let Ok(bytes) = kyso::files::read_limited(out, 64 << 20) else { return false };
    let Ok(crls) = kyso::objects::crls(&bytes) else { return false };
    let Some(first) = crls.first() else { return false };
    let Ok((_, crl)) = x509_parser::revocation_list::CertificateRevocationList::from_der(first) else { return false };
    let Ok((_, cert)) = x509_parser::certificate::X509Certificate::from_der(ca.certificate()) else { return false };
    crl.issuer().as_raw() == cert.subject().as_raw()
}

fn crl(a: CrlArgs) -> Result<ExitCode, CliError> {
    let mut ca = open_ca(&a.dir, &a.db)?;
    let mut a = a;
    if let Some(out) = &a.out {
        if !a.force && out.exists() && holds_this_cas_crl(out, &ca) {
            a.force = true;
        }
        check_output(out, a.force, "--out")?;
    }
    let key = open_ca_key(&ca, &a.pass, &a.pin)?;
    let at = now();
    let crl = ca.publish_crl(&key, a.days, at).map_err(ca_error)?;
    warn_if_dated_ahead(&crl, at);
    let mut parents = Vec::new();
    if a.with_parents {
        let mut dir = ca.parent_dir().map_err(ca_error)?;
        while let Some(d) = dir {
            if parents.len() >= 8 {
                return Err(CliError::failed("more than 8 parent CAs: the parent_dir records form a loop?"));
            }
            let mut parent = Ca::open_with(&d, &a.db.password_only()?).map_err(ca_error)?;
            let path = d.join(kyso::ca::CRL_FILE);
            let bytes = read_input(&path, "the parent's CRL", 64 << 20)?;
            let der = kyso::objects::crls(&bytes).map_err(|e| CliError::failed(format!("{}: {e}", path.display())))?;
            for c in &der {
                if let Ok((_, x)) = <x509_parser::revocation_list::CertificateRevocationList as x509_parser::prelude::FromDer<_>>::from_der(c) {
                    if x.next_update().is_some_and(|n| n.timestamp() < now().unix_timestamp()) {
                        eprintln!("warning: the CRL of {} is past its nextUpdate: publish a new one with `kyso ca crl --dir {}`", d.display(), d.display());
                    }
                }
            }
            parents.extend(der);
            dir = parent.parent_dir().map_err(ca_error)?;
        }
        if parents.is_empty() {
            eprintln!("note: {} is a root CA (or was made before kyso recorded parents): only its own CRL is written", a.dir.display());
        }
    }
    if let Some(out) = &a.out {
        let der = matches!(out.extension().and_then(|e| e.to_str()), Some("der" | "crl"));
        if der && !parents.is_empty() {
            return Err(CliError::usage("--with-parents writes several CRLs: use a PEM --out (e.g. crls.pem)"));
        }
        let mut bytes = if der { crl.der.clone() } else { crl.pem().into_bytes() };
        for p in &parents {
            bytes.extend_from_slice(pem::encode(&pem::Pem::new("X509 CRL", p.clone())).as_bytes());
        }
        write_out(out, &bytes, a.force, Secrecy::Public)?;
    }
    outln!(
        "CRL number {} ({} revoked), next update {}, written to {}{}",
        crl.number,
        crl.revoked,
        kyso::ca::rfc3339(crl.next_update),
        a.dir.join(kyso::ca::CRL_FILE).display(),
        a.out.as_ref().map(|o| format!(" and {}", o.display())).unwrap_or_default()
    );
    if !parents.is_empty() {
        println!("{} parent CRL(s) added to {}", parents.len(), a.out.as_ref().map(|o| o.display().to_string()).unwrap_or_default());
    }
    Ok(ExitCode::SUCCESS)
}

fn list(a: ListArgs) -> Result<ExitCode, CliError> {
    let mut ca = open_ca(&a.dir, &a.db)?;
    let records = ca.list(now()).map_err(ca_error)?;
    if a.json {
        let arr: Vec<serde_json::Value> = records
            .iter()
            .map(|r| {
                let mut o = serde_json::json!({
                    "serial": r.serial,
                    "subject": r.subject,
                    "profile": r.profile,
                    "not_before": kyso::ca::rfc3339(r.not_before),
                    "not_after": kyso::ca::rfc3339(r.not_after),
                    "status": r.status.name(),
                });
                if let (Some((at, reason)), Some(m)) = (&r.revoked, o.as_object_mut()) {
                    m.insert("revoked_at".into(), kyso::ca::rfc3339(*at).into());
                    m.insert("reason".into(), reason.clone().into());
                }
                o
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&arr).map_err(|e| CliError::failed(e.to_string()))?);
        return Ok(ExitCode::SUCCESS);
    }
    if records.is_empty() {
        outln!("no certificates issued by {} yet", a.dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{:<32}  {:<7}  {:<7}  {:<10}  SUBJECT", "SERIAL", "STATUS", "PROFILE", "NOT AFTER");
    for r in &records {
        let date = kyso::ca::rfc3339(r.not_after);
        outln!(
            "{:<32}  {:<7}  {:<7}  {:<10}  {}",
            r.serial,
            r.status.name(),
            r.profile,
            date.get(..10).unwrap_or(&date),
            r.subject
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn audit(a: AuditArgs) -> Result<ExitCode, CliError> {
    let mut ca = open_ca(&a.dir, &a.db)?;
    match ca.audit() {
        Ok(r) => {
            outln!(
                "audit log intact: {} entries, {} certificates and {} CRLs accounted for",
                r.entries, r.certificates, r.crls
            );
            outln!("head {}", r.head);
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ CaError::AuditBroken { .. }) => Err(CliError::failed(e.to_string())
            .hint("the registry was modified outside kyso; restore it from a backup and investigate")),
        Err(e) => Err(ca_error(e)),
    }
}

fn migrate(a: MigrateArgs) -> Result<ExitCode, CliError> {
    let db = DbArgs { db: Some(a.to.clone()), db_pass_file: a.db_pass_file.clone() };
    let mut target = db.target()?.ok_or_else(|| CliError::usage("--to: no database"))?;
    if let Some(s) = &a.schema {
        target = target.with_schema(s).map_err(|e| CliError::usage(format!("--schema: {e}")))?;
    }
    let mut ca = open_ca(&a.dir, &DbArgs::default())?;
    if !matches!(ca.location(), kyso::ca::RegistryLocation::Sqlite(_)) {
        return Err(CliError::usage(format!("the registry of {} is already in a database ({})", a.dir.display(), ca.location())));
    }
    let r = match ca.migrate_to(&target, now()) {
        Ok(r) => r,
        Err(e @ CaError::AuditBroken { .. }) => {
            return Err(CliError::failed(e.to_string()).hint("the SQLite registry fails its audit: nothing was moved; restore it from a backup first"))
        }
        Err(e @ CaError::BadParameter(_)) => return Err(CliError::failed(e.to_string()).hint("nothing was changed; the schema belongs to another copy of this CA?")),
        Err(e) => return Err(ca_error(e)),
    };
    outln!(
        "registry of {} moved to {} (schema {}): {} certificates, {} CRLs, {} audit entries, verified",
        a.dir.display(),
        r.location,
        r.schema,
        r.certificates,
        r.crls,
        r.entries
    );
    outln!("head {}", r.head);
    outln!("{} now names the database; the old file is {}", a.dir.join(kyso::ca::REGISTRY_CONF_FILE).display(), r.old_registry.display());
    Ok(ExitCode::SUCCESS)
}
