//! `kyso token …`: what a PKCS#11 module sees (slots, tokens, keys, certificates), and storing an
//! issued certificate next to its key on the token.

use crate::keyload::{login, module_for, open_token, token_error, PinArgs};
use crate::util::{read_input, CliError};
use clap::{Args, Subcommand};
use kyso::pkcs11::{slots, ObjectClass, PinTries, Pkcs11Uri, Token, TokenObject};
use std::path::PathBuf;
use std::process::ExitCode;

/// Largest certificate file read (1 MiB).
const MAX_CERT_FILE: u64 = 1 << 20;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// List the slots, tokens, keys and certificates a PKCS#11 module sees
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso token list                                  # the first module of the known locations\n",
        "  kyso token list --module /usr/lib/libcastle.so.1 # a vendor's module (ePass2003)\n",
        "  kyso token list --login --pin-file pin.txt --json\n\n",
        "The module: --module, else $KYSO_PKCS11_MODULE, else the first that exists of p11-kit's\n",
        "proxy, OpenSC, libcastle (ePass2003), libeTPkcs11 (SafeNet) and SoftHSM. Private keys are\n",
        "listed only after a login (--login; PIN from --pin-file, $KYSO_PIN or a prompt). Each key is\n",
        "shown with the pkcs11: URI to give to --key.\n\n",
        "EXIT CODES:\n  0  success\n  1  the module failed\n  2  usage error, no module, wrong or locked PIN"))]
    List(ListArgs),
    /// Store a certificate on the token next to its key (the one `--key` names)
    #[command(name = "import-cert", after_help = concat!(
        "EXAMPLES:\n",
        "  kyso token import-cert --key 'pkcs11:token=kyso;object=syt' --cert syt.pem\n",
        "  # afterwards --cert may be left out: kyso sign --key 'pkcs11:token=kyso;object=syt' doc.pdf\n\n",
        "The certificate must certify the key (same public key); it gets the key's label and id.\n",
        "A certificate already stored for the key is replaced only with --force.\n\n",
        "EXIT CODES:\n  0  stored\n  1  a certificate is already stored (use --force), the token refused\n",
        "  2  usage error, no module/token/key, wrong PIN, the certificate is for another key"))]
    ImportCert(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The PKCS#11 module (.so) to ask (else $KYSO_PKCS11_MODULE, else the known locations)
    #[arg(long, value_name = "PATH")]
    pub module: Option<PathBuf>,
    /// Log in to each token to list its private keys too
    #[arg(long)]
    pub login: bool,
    #[command(flatten)]
    pub pin: PinArgs,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The key the certificate is for (a pkcs11: URI)
    #[arg(long, value_name = "URI")]
    pub key: String,
    /// The certificate (PEM or DER; the first certificate of the file)
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// The PKCS#11 module, when the URI has no module-path
    #[arg(long, value_name = "PATH")]
    pub module: Option<PathBuf>,
    /// Replace a certificate already stored for the key
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pin: PinArgs,
}

pub fn run(cmd: TokenCommand) -> Result<ExitCode, CliError> {
    match cmd {
        TokenCommand::List(a) => list(a),
        TokenCommand::ImportCert(a) => import(a),
    }
}

fn tries_name(t: PinTries) -> &'static str {
    match t {
        PinTries::NotReported => "ok",
        PinTries::Low => "count_low",
        PinTries::FinalTry => "final_try",
        PinTries::Locked => "locked",
    }
}

fn class_name(c: ObjectClass) -> &'static str {
    match c {
        ObjectClass::PrivateKey => "private_key",
        ObjectClass::PublicKey => "public_key",
        ObjectClass::Certificate => "certificate",
        ObjectClass::SecretKey => "secret_key",
        ObjectClass::Data => "data",
        _ => "other",
    }
}

/// Subject and notAfter of a certificate object.
fn cert_facts(o: &TokenObject) -> Option<(String, String)> {
    use x509_parser::prelude::FromDer;
    let der = o.certificate.as_deref()?;
    let (_, c) = x509_parser::certificate::X509Certificate::from_der(der).ok()?;
    let subject = kyso::inspect::cert_subject(der).unwrap_or_default();
    Some((subject, kyso::ca::rfc3339(c.validity().not_after.to_datetime())))
}

fn list(a: ListArgs) -> Result<ExitCode, CliError> {
    let module = module_for(&Pkcs11Uri::default(), a.module.as_deref())?;
    let entries = slots(&module).map_err(|e| token_error(e, ""))?;
    let mut json_slots = Vec::new();
    if !a.json {
        outln!("module {}", module.display());
        if entries.is_empty() {
            outln!("  no slots");
        }
    }
    for s in &entries {
        let mut jt = serde_json::Value::Null;
        if !a.json {
            outln!("slot {}  {}{}", s.id, s.description, if s.manufacturer.is_empty() { String::new() } else { format!(" ({})", s.manufacturer) });
        }
        if let Some(t) = &s.token {
            let mut objects = Vec::new();
            let mut logged_in = false;
            if t.initialized {
                let uri = Pkcs11Uri { slot_id: Some(s.id), ..Pkcs11Uri::default() };
                let mut token = Token::open(&module, &uri, false).map_err(|e| token_error(e, ""))?;
                if a.login {
                    login(&mut token, &uri, &a.pin)?;
                }
                logged_in = token.logged_in();
                objects = token.objects().map_err(|e| token_error(e, ""))?;
            }
            if a.json {
                let objs: Vec<serde_json::Value> = objects
                    .iter()
                    .map(|o| {
                        let mut v = serde_json::json!({
                            "class": class_name(o.class),
                            "label": o.label,
                            "id": hex::encode(&o.id),
                            "uri": o.uri.to_string(),
                        });
                        if let (Some(alg), Some(m)) = (o.key_algorithm, v.as_object_mut()) {
                            m.insert("algorithm".into(), alg.to_string().into());
                        }
                        if let (Some((subject, not_after)), Some(m)) = (cert_facts(o), v.as_object_mut()) {
                            m.insert("subject".into(), subject.into());
                            m.insert("not_after".into(), not_after.into());
                        }
                        v
                    })
                    .collect();
                jt = serde_json::json!({
                    "label": t.label,
                    "manufacturer": t.manufacturer,
                    "model": t.model,
                    "serial": t.serial,
                    "initialized": t.initialized,
                    "login_required": t.login_required,
                    "pin_pad": t.protected_authentication_path,
                    "pin": tries_name(t.pin_tries),
                    "logged_in": logged_in,
                    "objects": objs,
                });
            } else {
                outln!("  token '{}'  {} {}, serial {}", t.label, t.manufacturer, t.model, t.serial);
                if !t.initialized {
                    outln!("    not initialised");
                    continue;
                }
                let pin = match t.pin_tries {
                    PinTries::NotReported => String::new(),
                    other => format!("; {other}"),
                };
                outln!(
                    "    {}{}{pin}",
                    if t.login_required { "login required" } else { "no login required" },
                    if t.protected_authentication_path { ", PIN pad" } else { "" }
                );
                if objects.is_empty() {
                    outln!("    no objects{}", if t.login_required && !logged_in { " visible without a login (--login)" } else { "" });
                }
                for o in &objects {
                    let what = match (o.class, o.key_algorithm) {
                        (ObjectClass::PrivateKey | ObjectClass::PublicKey, Some(alg)) => format!("{} ({alg})", o.class),
                        _ => o.class.to_string(),
                    };
                    outln!("    {what}  '{}'  id {}", o.label, if o.id.is_empty() { "-".to_string() } else { hex::encode(&o.id) });
                    if let Some((subject, not_after)) = cert_facts(o) {
                        outln!("      {subject}, valid until {not_after}");
                    }
                    outln!("      {}", o.uri);
                }
                if t.login_required && !logged_in && !objects.is_empty() {
                    outln!("    (private keys are listed after a login: --login)");
                }
            }
        } else if !a.json {
            outln!("  no token");
        }
        if a.json {
            json_slots.push(serde_json::json!({
                "id": s.id,
                "description": s.description,
                "manufacturer": s.manufacturer,
                "token": jt,
            }));
        }
    }
    if a.json {
        let v = serde_json::json!({ "module": module.display().to_string(), "slots": json_slots });
        outln!("{}", serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))?);
    }
    Ok(ExitCode::SUCCESS)
}

fn import(a: ImportArgs) -> Result<ExitCode, CliError> {
    let uri = crate::keyload::parse_uri("--key", &a.key)?;
    let bytes = read_input(&a.cert, "the certificate file", MAX_CERT_FILE)?;
    let cert = kyso::objects::certificates(&bytes)
        .map_err(|e| CliError::usage(format!("{}: {e}", a.cert.display())))?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::usage(format!("{} holds no certificate", a.cert.display())))?;
    let writer = open_token(&uri, a.module.as_deref(), true, &a.pin)?;
    // The key is found through a second session of the same (logged-in) token.
    let reader = open_token(&uri, a.module.as_deref(), false, &a.pin)?;
    let key = reader.key(&uri).map_err(|e| token_error(e, &a.key))?;
    writer.import_certificate(&key, &cert, a.force).map_err(|e| token_error(e, &a.key))?;
    let subject = kyso::inspect::cert_subject(&cert).unwrap_or_default();
    outln!("certificate stored on the token '{}' next to the key '{}': {subject}", writer.label(), key.label());
    outln!("  key: {}", key.uri());
    Ok(ExitCode::SUCCESS)
}
