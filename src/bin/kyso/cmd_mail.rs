//! `kyso mail sign` and `kyso mail verify`: signed documents by e-mail (S/MIME, RFC 8551).
//! The clock is read here (the message's date and signing time), never in the library.

use crate::cmd_verify::{lang, verifier, TrustArgs};
use crate::util::{read_input, CliError, PassArgs};
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::mail::{self, Attachment, Mailbox, OutgoingMessage};
use kyso::report::RenderOptions;
use kyso::sign::DocumentSigner;
use kyso::KeyFile;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Size limit for certificate and key files (as `kyso sign`).
const CREDENTIAL_LIMIT: u64 = 1 << 20;

/// Size limit for the body text file: a letter, not a document (documents are attachments).
const BODY_LIMIT: u64 = 1 << 20;

const SIGN_EXAMPLES: &str = "\
EXAMPLES:
  # sign the documents first (the competent person, then the agency), then the message
  kyso sign --cert person.pem --key person.key --chain ca/chain.pem cong-van.pdf
  kyso sign --add --cert agency.pem --key agency.key --chain ca/chain.pem cong-van.pdf
  kyso mail sign --cert agency.pem --key agency.key --chain ca/chain.pem \\
      --from 'Văn thư Sở Y tế <vanthu@soyte.bacninh.gov.vn>' --to ubnd@bacninh.gov.vn \\
      --subject 'Công văn số 123/SYT-VP' --body thu.txt cong-van.pdf --out cong-van.eml
  # hand it to the mail system (kyso does not send mail)
  sendmail -t < cong-van.eml
  # check with OpenSSL
  openssl smime -verify -in cong-van.eml -CAfile root.pem -out /dev/null

Each DOC goes with its own signatures: DOC.p7s beside it is attached too; a PDF signed
inside (kyso sign --pades) is attached alone; a DOC with neither is refused. The message is
signed with --cert (the agency's certificate; `kyso ca issue --email` puts the address mail
clients compare with From into it), at the current time, which is also its Date.

EXIT CODES:
  0  the message was written
  1  writing it failed
  2  usage error, or an input that stops the run (certificate, key, a missing or unsigned document)";

const VERIFY_EXAMPLES: &str = "\
EXAMPLES:
  kyso mail verify cong-van.eml --trust root.pem --crl ca/crl.pem
  kyso mail verify cong-van.eml --trust root.pem --crl crl.pem --extract received/ --lang en
  kyso mail verify cong-van.eml --trust root.pem --revocation require --json > report.json

The message's S/MIME signature (multipart/signed or application/pkcs7-mime signed-data) is
verified with the same core as `kyso verify`, its From address against the signer
certificate's addresses (a warning when they differ), the header fields shown against the
signed copy of them, then every attached document with its own signatures. --extract saves
the attachments (documents and their .p7s) after verification, whatever the result.

EXIT CODES:
  0  the message and every document TOTAL_PASSED
  1  the message or a document TOTAL_FAILED (or saving an attachment failed)
  2  usage error, or an input that stops the run (missing --trust, an unreadable message)
  3  INDETERMINATE (and nothing failed)";

/// `kyso mail …`.
#[derive(Debug, clap::Args)]
pub struct MailArgs {
    #[command(subcommand)]
    pub command: MailCommand,
}

/// E-mail commands.
#[derive(Debug, clap::Subcommand)]
pub enum MailCommand {
    /// Write an S/MIME signed message (.eml) carrying signed documents
    #[command(after_help = SIGN_EXAMPLES)]
    Sign(MailSignArgs),
    /// Verify a received message and every document attached to it
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(MailVerifyArgs),
}

/// `kyso mail sign`.
#[derive(Debug, clap::Args)]
pub struct MailSignArgs {
    /// The certificate that signs the message (the agency's; PEM or DER)
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// Its private key
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The issuing CA certificates (the root is left out of the signature)
    #[arg(long, value_name = "FILE")]
    pub chain: Vec<PathBuf>,
    /// The sender: 'Name <address>' or an address
    #[arg(long, value_name = "ADDRESS")]
    pub from: String,
    /// A recipient (repeatable)
    #[arg(long, value_name = "ADDRESS", required = true)]
    pub to: Vec<String>,
    /// A recipient in copy (repeatable)
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,
    /// The subject (Vietnamese is fine)
    #[arg(long, value_name = "TEXT")]
    pub subject: String,
    /// The body text, UTF-8 (default: none)
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// Where to write the message
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing --out file
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pass: PassArgs,
    /// The documents, each signed beforehand (DOC.p7s beside it, or a PDF signed inside)
    #[arg(value_name = "DOC")]
    pub files: Vec<PathBuf>,
}

/// `kyso mail verify`.
#[derive(Debug, clap::Args)]
pub struct MailVerifyArgs {
    /// The message (.eml, as received or saved by a mail client)
    #[arg(value_name = "MESSAGE")]
    pub message: PathBuf,
    /// Save the attachments into this folder after verification (created if missing)
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
    /// With --extract: replace files that exist
    #[arg(long)]
    pub force: bool,
    /// Human output: also show full names and every check
    #[arg(long, short = 'v')]
    pub verbose: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Runs `kyso mail …`.
pub fn run(a: MailArgs) -> Result<ExitCode, CliError> {
    match a.command {
        MailCommand::Sign(a) => run_sign(a),
        MailCommand::Verify(a) => run_verify(a),
    }
}

fn mailbox(text: &str, flag: &str) -> Result<Mailbox, CliError> {
    Mailbox::parse(text).map_err(|e| CliError::usage(format!("{flag}: {e}")).hint("for example --to 'Văn phòng UBND <vanphong@bacninh.gov.vn>'"))
}

fn file_name(p: &Path) -> Result<String, CliError> {
    p.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| CliError::usage(format!("{} has no usable file name", p.display())))
}

/// The attachments for one document: the document and its `.p7s`, or a signed PDF alone.
fn document_attachments(doc: &Path) -> Result<Vec<Attachment>, CliError> {
    let name = file_name(doc)?;
    let data = read_input(doc, "the document", mail::MAX_MESSAGE_SIZE)?;
    let mut sig = doc.as_os_str().to_owned();
    sig.push(".p7s");
    let sig = PathBuf::from(sig);
    if sig.exists() {
        let p7s = read_input(&sig, "the signature file", kyso::verify::MAX_SIGNATURE_FILE_SIZE)?;
        if kyso::cms::describe(&p7s).is_err() {
            return Err(CliError::usage(format!("{} is not a CMS signature", sig.display())));
        }
        let mut p = Attachment::new(&format!("{name}.p7s"), p7s);
        p.content_type = "application/octet-stream".into();
        return Ok(vec![Attachment::new(&name, data), p]);
    }
    let signed_pdf = data.get(..data.len().min(1024)).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-"))
        && kyso::pdf::signatures(&data).is_ok_and(|s| !s.is_empty());
    if signed_pdf {
        return Ok(vec![Attachment::new(&name, data)]);
    }
    Err(CliError::usage(format!("{} carries no signature: neither {} nor signatures inside a PDF", doc.display(), sig.display()))
        .hint(format!("sign it first: kyso sign --cert … --key … {}", doc.display())))
}

fn run_sign(a: MailSignArgs) -> Result<ExitCode, CliError> {
    // Inputs and flags first, the key last.
    if a.out.exists() && !a.force {
        return Err(CliError::usage(format!("{} exists", a.out.display())).hint("choose another --out, or add --force to replace it"));
    }
    let from = mailbox(&a.from, "--from")?;
    let to = a.to.iter().map(|t| mailbox(t, "--to")).collect::<Result<Vec<_>, _>>()?;
    let cc = a.cc.iter().map(|t| mailbox(t, "--cc")).collect::<Result<Vec<_>, _>>()?;
    let body = match &a.body {
        Some(p) => {
            let bytes = read_input(p, "the body file", BODY_LIMIT)?;
            String::from_utf8(bytes).map_err(|_| CliError::usage(format!("the body file {} is not UTF-8 text", p.display())))?
        }
        None => String::new(),
    };
    let mut attachments = Vec::new();
    for d in &a.files {
        attachments.extend(document_attachments(d)?);
    }
    let cert_bytes = read_input(&a.cert, "the certificate file", CREDENTIAL_LIMIT)?;
    let mut certs = kyso::objects::certificates(&cert_bytes).map_err(|e| CliError::usage(format!("{}: {e}", a.cert.display())))?.into_iter();
    let cert = certs.next().ok_or_else(|| CliError::usage(format!("{} holds no certificate", a.cert.display())))?;
    let mut chain: Vec<Vec<u8>> = certs.collect();
    for c in &a.chain {
        let bytes = read_input(c, "the chain file", CREDENTIAL_LIMIT)?;
        chain.extend(kyso::objects::certificates(&bytes).map_err(|e| CliError::usage(format!("{}: {e}", c.display())))?);
    }
    let key_bytes = zeroize::Zeroizing::new(read_input(&a.key, "the key file", CREDENTIAL_LIMIT)?);
    let key_file = KeyFile::parse(&key_bytes).map_err(|e| CliError::usage(format!("{}: {e}", a.key.display())))?;
    let key = if key_file.is_encrypted() {
        let pass = a.pass.get(&format!("the key {}", a.key.display()))?;
        key_file.open(Some(&pass))
    } else {
        eprintln!("warning: the key {} is not encrypted; anyone who can read the file can sign in your name", a.key.display());
        key_file.open(None)
    }
    .map_err(|e| CliError::usage(format!("{}: {e}", a.key.display())))?;
    // RSA signs with PKCS#1 v1.5 here, not PSS as documents do: RFC 8551 §2.2 makes v1.5 the
    // algorithm every receiver MUST verify (PSS is SHOULD+), and OpenSSL's S/MIME verifier
    // (`openssl smime`, PKCS#7) and older mail clients verify v1.5 only.
    let mut key = key;
    if matches!(key.algorithm(), kyso::KeyAlgorithm::Rsa(_)) {
        key.set_rsa_padding(kyso::RsaPadding::Pkcs1);
    }
    let signer = DocumentSigner::new(key, &cert, &chain).map_err(|e| CliError::usage(e.to_string()))?;
    // The message's date and signing time: the clock is read once, here; the Date field is
    // written in Vietnam time (+07:00), as the reports show times.
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    let addresses = mail::certificate_addresses(&cert);
    if addresses.is_empty() {
        eprintln!(
            "warning: the certificate {} holds no e-mail address: mail clients and `kyso mail verify` will warn that {} is not the signer's (issue one with `kyso ca issue --email`)",
            a.cert.display(),
            from.address
        );
    } else if !addresses.contains(&from.address.to_ascii_lowercase()) {
        eprintln!("warning: --from {} is not an address of the certificate ({}): readers will be warned", from.address, addresses.join(", "));
    }
    let n = attachments.len();
    let message = OutgoingMessage { from, to, cc, subject: a.subject.clone(), body, attachments, date: now };
    let bytes = mail::sign_message(&signer, &message).map_err(|e| match e {
        mail::MailError::Sign(s) => CliError::usage(s.to_string()),
        mail::MailError::NotCanonical(_) => CliError::failed(e.to_string()),
        other => CliError::usage(other.to_string()),
    })?;
    let overwrite = if a.force { Overwrite::Replace } else { Overwrite::Refuse };
    write_atomic(&a.out, &bytes, overwrite, Secrecy::Public).map_err(|e| CliError::failed(format!("cannot write {}: {e}", a.out.display())))?;
    eprintln!("{}: signed message with {n} attachment(s), signed by {}", a.out.display(), signer.subject());
    Ok(ExitCode::SUCCESS)
}

fn run_verify(a: MailVerifyArgs) -> Result<ExitCode, CliError> {
    if !a.message.exists() {
        return Err(CliError::usage(format!("the message {} does not exist", a.message.display())).hint("check the path"));
    }
    let v = verifier(&a.trust)?;
    let raw = read_input(&a.message, "the message", mail::MAX_MESSAGE_SIZE)?;
    let label = a.message.display().to_string();
    let verified = mail::verify_message(&v, &label, &raw);
    let report = &verified.report;
    let text = if a.trust.json {
        serde_json::to_string_pretty(report).map_err(|e| CliError::failed(format!("cannot encode the report: {e}")))? + "\n"
    } else {
        let opts = RenderOptions::new(lang(a.trust.lang)).verbose(a.verbose).validation_time(v.options().time).legacy_policy_hint("--policy legacy");
        mail::render_mail(report, &opts)
    };
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
    let mut code = report.exit_code();
    if let Some(dir) = &a.extract {
        if let Err(e) = extract(dir, &verified.attachments, a.force) {
            e.print();
            code = 1;
        }
    }
    Ok(ExitCode::from(code))
}

/// Saves the attachments into `dir` under names made safe for a file system.
fn extract(dir: &Path, attachments: &[mail::ReceivedAttachment], force: bool) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::failed(format!("cannot create {}: {e}", dir.display())))?;
    let mut used = std::collections::HashSet::new();
    let overwrite = if force { Overwrite::Replace } else { Overwrite::Refuse };
    for (i, att) in attachments.iter().enumerate() {
        let mut name = mail::safe_file_name(&att.name, &format!("attachment-{}", i + 1));
        if !used.insert(name.to_lowercase()) {
            name = format!("{}-{name}", i + 1);
            used.insert(name.to_lowercase());
        }
        let path = dir.join(&name);
        write_atomic(&path, &att.data, overwrite, Secrecy::Public).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                CliError::failed(format!("{} exists; not replaced", path.display())).hint("add --force to replace files in the --extract folder")
            }
            _ => CliError::failed(format!("cannot write {}: {e}", path.display())),
        })?;
        eprintln!("saved {}", path.display());
    }
    Ok(())
}
