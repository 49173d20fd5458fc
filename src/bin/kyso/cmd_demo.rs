//! `kyso demo`: the whole story of DESIGN.md §1 in a temporary folder, played with the real
//! `kyso` commands (this same binary as a child process), each printed before it runs so a
//! newcomer can copy it. Exit 0 when every step behaved as expected.

use crate::util::CliError;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

/// Arguments of `kyso demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
EXAMPLES:
  kyso demo                       # play the story in a temporary folder, then remove it
  kyso demo --keep /tmp/kyso-demo # keep the CA, keys, documents and signatures to explore
  kyso demo --lang en             # narrate in English

EXIT CODES:
  0  every step behaved as expected (including the expected failures)
  1  some step did not behave as expected")]
pub struct DemoArgs {
    /// Play the demo in DIR (created, must be empty or absent) and keep it afterwards
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Language of the narration and of the verification reports
    #[arg(long, value_enum, default_value = "vi")]
    pub lang: Lang,
}

/// Narration language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Tiếng Việt
    Vi,
    /// English
    En,
}

/// The demo passphrase of every key the demo creates (example only, never for real keys).
const DEMO_PASSPHRASE: &str = "demo-kyso-bac-ninh";
/// The demo CAs' passphrase: a unit's key never shares the CA's (`ca issue --key-out`).
const DEMO_CA_PASSPHRASE: &str = "demo-kyso-ca-bac-ninh";

/// The passphrase `kyso ARGS` opens keys with in the demo: the CA operator's for `ca …` and
/// `tsa …` (its TSA key), else the units'.
fn demo_pass(args: &[&str]) -> &'static str {
    if matches!(args.first(), Some(&"ca") | Some(&"tsa")) { DEMO_CA_PASSPHRASE } else { DEMO_PASSPHRASE }
}

struct Unit {
    slug: &'static str,
    name: &'static str,
    uid: &'static str,
    head: &'static str,
    title: &'static str,
    cccd: &'static str,
    doc: &'static str,
    text: &'static str,
}

const UNITS: [Unit; 3] = [
    Unit {
        slug: "vp-ubnd",
        name: "Văn phòng UBND tỉnh Bắc Ninh",
        uid: "MNS:1045678",
        head: "Nguyễn Văn An",
        title: "Chánh Văn phòng",
        cccd: "CCCD:027080001234",
        doc: "cong-van-123-VP.txt",
        text: "ỦY BAN NHÂN DÂN TỈNH BẮC NINH\nVĂN PHÒNG\nSố: 123/VP-HCC\nV/v triển khai dịch vụ công trực tuyến tại Trung tâm Phục vụ hành chính công\n\nKính gửi: Các sở, ban, ngành tỉnh.\n\nVăn phòng UBND tỉnh đề nghị các đơn vị rà soát thủ tục hành chính và báo cáo trước ngày 15/12.\n",
    },
    Unit {
        slug: "so-yte",
        name: "Sở Y tế tỉnh Bắc Ninh",
        uid: "MST:2300123456",
        head: "Trần Thị Bình",
        title: "Giám đốc",
        cccd: "CCCD:027185004321",
        doc: "giay-moi-45-SYT.txt",
        text: "SỞ Y TẾ TỈNH BẮC NINH\nSố: 45/GM-SYT\nGIẤY MỜI\nHọp thẩm định hồ sơ cấp phép hoạt động phòng khám tư nhân\n\nThời gian: 8 giờ 00, thứ Hai. Địa điểm: Phòng họp tầng 3, Sở Y tế.\n",
    },
    Unit {
        slug: "so-khdt",
        name: "Sở Kế hoạch và Đầu tư tỉnh Bắc Ninh",
        uid: "MST:2300654321",
        head: "Lê Văn Cường",
        title: "Giám đốc",
        cccd: "CCCD:027079009876",
        doc: "bao-cao-67-SKHDT.txt",
        text: "SỞ KẾ HOẠCH VÀ ĐẦU TƯ TỈNH BẮC NINH\nSố: 67/BC-SKHĐT\nBÁO CÁO\nTình hình đăng ký doanh nghiệp tháng 11\n\nTrong tháng, toàn tỉnh có 412 doanh nghiệp đăng ký thành lập mới.\n",
    },
];

struct Demo {
    dir: PathBuf,
    exe: PathBuf,
    lang: Lang,
    failures: Vec<String>,
}

impl Demo {
    fn t<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    fn chapter(&self, vi: &str, en: &str) {
        println!("\n━━ {} ━━", self.t(vi, en));
    }

    /// Runs `kyso args…` in the demo folder, prints the command, and checks its exit code.
    fn kyso(&mut self, args: &[&str], expect: i32, show_stdout: bool) -> Output {
        println!("$ kyso {}", args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "));
        let out = Command::new(&self.exe)
            .args(args)
            .current_dir(&self.dir)
            .env("KYSO_PASSPHRASE", demo_pass(args))
            .env("KYSO_KEY_PASSPHRASE", DEMO_PASSPHRASE)
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                self.failures.push(format!("kyso {}: cannot run: {e}", args.join(" ")));
                return Output { status: Default::default(), stdout: vec![], stderr: vec![] };
            }
        };
        if show_stdout {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                println!("    {line}");
            }
        }
        let code = out.status.code().unwrap_or(-1);
        if code != expect {
            println!("    ✗ exit {code}, expected {expect}");
            for line in String::from_utf8_lossy(&out.stderr).lines() {
                println!("    {line}");
            }
            self.failures.push(format!("kyso {} exited {code}, expected {expect}", args.join(" ")));
        } else {
            println!("    ✓ exit {code}");
        }
        out
    }

    fn write(&mut self, rel: &str, data: impl AsRef<[u8]>) {
        let path = self.dir.join(rel);
        if let Err(e) = kyso::files::write_atomic(&path, data.as_ref(), kyso::files::Overwrite::Replace, kyso::files::Secrecy::Public) {
            self.failures.push(format!("cannot write {rel}: {e}"));
        }
    }

    /// The serial (hex) of the issuing CA's certificate whose subject contains `name` and whose
    /// profile is `profile`, read with `kyso ca list --json` (run and shown like every step).
    fn serial_of(&mut self, name: &str, profile: &str) -> Option<String> {
        let list = self.kyso(&["ca", "list", "--dir", "ca", "--json"], 0, false);
        let v = serde_json::from_slice::<serde_json::Value>(&list.stdout).ok()?;
        v.as_array()?
            .iter()
            .find(|c| c["subject"].as_str().is_some_and(|s| s.contains(name)) && c["profile"] == profile)
            .and_then(|c| c["serial"].as_str().map(str::to_string))
    }

    /// Checks the indication of each document in a `verify --json` output.
    fn expect_indications(&mut self, out: &Output, expected: &[(&str, &str)]) {
        let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                self.failures.push(format!("verify --json did not print JSON: {e}"));
                return;
            }
        };
        let docs = v["documents"].as_array().cloned().unwrap_or_default();
        for (doc, ind) in expected {
            let found = docs.iter().find(|d| d["path"].as_str().map(|p| p.ends_with(doc)).unwrap_or(false));
            match found {
                Some(d) if d["indication"] == *ind => {
                    match d["sub_indication"].as_str() {
                        Some(sub) => println!("    ✓ {doc}: {ind} {sub}"),
                        None => println!("    ✓ {doc}: {ind}"),
                    }
                }
                Some(d) => {
                    println!("    ✗ {doc}: {} (expected {ind})", d["indication"]);
                    self.failures.push(format!("{doc}: indication {} instead of {ind}", d["indication"]));
                }
                None => self.failures.push(format!("{doc}: missing from the report")),
            }
        }
    }
}

fn shell_quote(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> Result<ExitCode, CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::failed(format!("cannot find the kyso executable: {e}")))?;
    let (_tmp, dir) = match &args.keep {
        Some(d) => {
            if d.exists() && std::fs::read_dir(d).map(|mut r| r.next().is_some()).unwrap_or(true) {
                return Err(CliError::usage(format!("{} is not an empty folder", d.display()))
                    .hint("give --keep a new or empty folder"));
            }
            std::fs::create_dir_all(d).map_err(|e| CliError::failed(format!("cannot create {}: {e}", d.display())))?;
            (None, d.clone())
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("kyso-demo-")
                .tempdir()
                .map_err(|e| CliError::failed(format!("cannot create a temporary folder: {e}")))?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let mut d = Demo { dir: dir.clone(), exe, lang: args.lang, failures: Vec::new() };
    play(&mut d);
    play_pdf(&mut d);
    play_trusted_time(&mut d);
    println!();
    if d.failures.is_empty() {
        println!("{}", d.t("✓ Mọi bước đều diễn ra như mong đợi.", "✓ Every step behaved as expected."));
        if args.keep.is_some() {
            println!("{} {}", d.t("Các tệp được giữ lại tại", "The files are kept in"), dir.display());
        }
        print_web_command(&d, args.keep.as_deref());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}", d.t("✗ Một số bước không như mong đợi:", "✗ Some steps did not behave as expected:"));
        for f in &d.failures {
            println!("  - {f}");
        }
        Ok(ExitCode::from(1))
    }
}

/// The command that opens the recipients' page (`kyso web`) on the demo's province: its root,
/// with the CRLs the demo published (offline: the demo's publication server has stopped).
/// Without --keep the folder is gone: the command names the folder of a `--keep` run.
fn web_command(dir: &Path) -> String {
    let p = |rel: &str| shell_quote(&dir.join(rel).to_string_lossy());
    format!(
        "kyso web --trust {} --crl {} --crl {} --offline --listen 127.0.0.1:8090",
        p("root-ca/ca.pem"),
        p("ca/crl.pem"),
        p("root-ca/crl.pem")
    )
}

fn print_web_command(d: &Demo, keep: Option<&Path>) {
    println!();
    match keep {
        Some(dir) => {
            println!("{}", d.t("Trang kiểm tra cho nơi nhận, trên tỉnh của demo:", "The recipients' verification page, on the demo's province:"));
            println!("  {}", web_command(dir));
        }
        None => {
            let dir = Path::new("/tmp/kyso-demo");
            println!(
                "{}",
                d.t(
                    "Trang kiểm tra cho nơi nhận, trên tỉnh của demo (thư mục tạm đã được xóa; giữ lại bằng --keep):",
                    "The recipients' verification page, on the demo's province (the temporary folder is gone; keep one with --keep):"
                )
            );
            println!("  kyso demo --keep {}", dir.display());
            println!("  {}", web_command(dir));
        }
    }
    println!("  {} http://127.0.0.1:8090/", d.t("rồi mở", "then open"));
}

fn play(d: &mut Demo) {
    println!(
        "{} {}",
        d.t("kyso demo — thư mục làm việc:", "kyso demo — working folder:"),
        Path::new(&d.dir).display()
    );
    println!(
        "{}",
        d.t(
            "(khóa của CA và khóa của các đơn vị được mã hóa bằng hai mật khẩu minh họa khác nhau, qua các biến KYSO_PASSPHRASE và KYSO_KEY_PASSPHRASE)",
            "(the CAs' keys and the units' keys are encrypted with two different demo passphrases, passed in KYSO_PASSPHRASE and KYSO_KEY_PASSPHRASE)"
        )
    );
    let org = "Sở Thông tin và Truyền thông tỉnh Bắc Ninh";

    d.chapter(
        "1. Sở TT&TT lập CA gốc và CA cấp phát của tỉnh",
        "1. The Department of Information and Communications sets up the provincial root and issuing CAs",
    );
    // Where the CAs publish (chapter 4): a free loopback port, written in every certificate.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18080);
    let base = format!("http://127.0.0.1:{port}");
    let urls = |dir: &str| [format!("{base}/{dir}/crl"), format!("{base}/{dir}/ca.crt"), format!("{base}/ocsp")];
    let [crl, cert, ocsp] = urls("root-ca");
    d.kyso(&["ca", "init", "--dir", "root-ca", "--name", "Root CA Tỉnh Bắc Ninh", "--org", org, "--province", "Bắc Ninh", "--years", "20", "--crl-url", &crl, "--ca-issuers-url", &cert, "--ocsp-url", &ocsp], 0, false);
    let [crl, cert, ocsp] = urls("ca");
    d.kyso(&["ca", "init", "--dir", "ca", "--name", "CA Tỉnh Bắc Ninh", "--org", org, "--province", "Bắc Ninh", "--years", "10", "--parent", "root-ca", "--crl-url", &crl, "--ca-issuers-url", &cert, "--ocsp-url", &ocsp], 0, false);

    d.chapter(
        "2. CA cấp chứng thư số cho ba đơn vị thí điểm: chữ ký cơ quan và chữ ký người có thẩm quyền",
        "2. The CA issues certificates to the three pilot units: the agency's and the competent person's",
    );
    for u in &UNITS {
        let dir = format!("units/{}", u.slug);
        if let Err(e) = std::fs::create_dir_all(d.dir.join(&dir)) {
            d.failures.push(format!("cannot create {dir}: {e}"));
        }
        let (ak, ac, pk, pc) = (format!("{dir}/agency.key"), format!("{dir}/agency.pem"), format!("{dir}/person.key"), format!("{dir}/person.pem"));
        d.kyso(&["ca", "issue", "--dir", "ca", "--profile", "agency", "--cn", u.name, "--org", u.name, "--uid", u.uid, "--province", "Bắc Ninh", "--key-out", &ak, "--cert-out", &ac], 0, false);
        d.kyso(&["ca", "issue", "--dir", "ca", "--profile", "person", "--cn", u.head, "--title", u.title, "--org", u.name, "--uid", u.cccd, "--province", "Bắc Ninh", "--key-out", &pk, "--cert-out", &pc], 0, false);
    }
    d.kyso(&["ca", "list", "--dir", "ca"], 0, true);

    d.chapter(
        "3. Mỗi đơn vị ký văn bản đi: người có thẩm quyền ký trước, văn thư ký số cơ quan sau",
        "3. Each unit signs an outgoing document: the competent person first, then the clerk adds the agency signature",
    );
    if let Err(e) = std::fs::create_dir_all(d.dir.join("docs")) {
        d.failures.push(format!("cannot create docs: {e}"));
    }
    for u in &UNITS {
        let doc = format!("docs/{}", u.doc);
        d.write(&doc, u.text);
        let dir = format!("units/{}", u.slug);
        d.kyso(&["sign", "--cert", &format!("{dir}/person.pem"), "--key", &format!("{dir}/person.key"), "--chain", "ca/chain.pem", &doc], 0, false);
        d.kyso(&["sign", "--add", "--cert", &format!("{dir}/agency.pem"), "--key", &format!("{dir}/agency.key"), "--chain", "ca/chain.pem", &doc], 0, false);
    }

    d.chapter(
        "4. Sở TT&TT công bố CRL, chứng thư CA và dịch vụ OCSP; nơi nhận chỉ có chứng thư gốc và kiểm tra cả ba văn bản (một báo cáo chung)",
        "4. The CA publishes its CRLs, certificates and OCSP responder; a recipient holding only the root verifies all three documents (one combined report)",
    );
    let listen = format!("127.0.0.1:{port}");
    let Some(server) = Background::start_any(d, &["ca", "serve", "--dir", "root-ca", "--dir", "ca", "--listen", &listen], "kyso ca serve: listening on ") else {
        return;
    };
    let docs: Vec<String> = UNITS.iter().map(|u| format!("docs/{}", u.doc)).collect();
    let mut verify: Vec<&str> = vec!["verify"];
    verify.extend(docs.iter().map(String::as_str));
    // No --crl: kyso asks the OCSP responder named in each certificate (cached in recipient-1/).
    verify.extend(["--trust", "root-ca/ca.pem", "--cache", "recipient-1"]);
    let lang_args: [&str; 2] = ["--lang", if d.lang == Lang::Vi { "vi" } else { "en" }];
    let mut human = verify.clone();
    human.extend(lang_args);
    d.kyso(&human, 0, true);
    let mut json = verify.clone();
    json.push("--json");
    let out = d.kyso(&json, 0, false);
    let expected: Vec<(&str, &str)> = UNITS.iter().map(|u| (u.doc, "TOTAL_PASSED")).collect();
    d.expect_indications(&out, &expected);

    d.chapter(
        "5. Một văn bản bị sửa sau khi ký: chữ ký không còn hợp lệ",
        "5. A document is altered after signing: its signatures fail",
    );
    let altered = format!("docs/{}", UNITS[2].doc);
    d.write(&altered, &UNITS[2].text.replace("412", "512"));
    println!("{}", d.t("(sửa số liệu \"412\" thành \"512\" trong báo cáo)", "(the figure \"412\" changed to \"512\" in the report)"));
    let v = ["verify", altered.as_str(), "--trust", "root-ca/ca.pem", "--cache", "recipient-1", lang_args[0], lang_args[1]];
    d.kyso(&v, 1, true);
    let vj = ["verify", altered.as_str(), "--trust", "root-ca/ca.pem", "--cache", "recipient-1", "--json"];
    let out = d.kyso(&vj, 1, false);
    d.expect_indications(&out, &[(UNITS[2].doc, "TOTAL_FAILED")]);

    d.chapter(
        "6. Sở Y tế báo mất thiết bị ký: CA thu hồi chứng thư số của cơ quan và công bố lại CRL",
        "6. The Health Department reports its signing token lost: the CA revokes its agency certificate and republishes the CRL",
    );
    let Some(serial) = d.serial_of(UNITS[1].name, "agency") else {
        d.failures.push("the Health Department's agency certificate is missing from `ca list --json`".into());
        server.stop(d);
        return;
    };
    d.kyso(&["ca", "revoke", "--dir", "ca", "--serial", &serial, "--reason", "key-compromise"], 0, false);
    let new_doc = "docs/giay-moi-46-SYT.txt";
    d.write(new_doc, &UNITS[1].text.replace("45/GM-SYT", "46/GM-SYT"));
    let dir = format!("units/{}", UNITS[1].slug);
    println!("{}", d.t("(ai đó vẫn dùng khóa đã bị thu hồi để ký một giấy mời mới)", "(someone still signs a new invitation with the revoked key)"));
    d.kyso(&["sign", "--cert", &format!("{dir}/agency.pem"), "--key", &format!("{dir}/agency.key"), "--chain", "ca/chain.pem", new_doc], 0, false);
    // Another recipient (an empty cache): the responder answers "revoked" at once.
    println!("{}", d.t("(một nơi nhận khác hỏi máy chủ OCSP: câu trả lời \"đã thu hồi\" có ngay)", "(another recipient asks the OCSP responder: the answer \"revoked\" is there at once)"));
    let v = ["verify", new_doc, "--trust", "root-ca/ca.pem", "--cache", "recipient-2", lang_args[0], lang_args[1]];
    d.kyso(&v, 1, true);
    let vj = ["verify", new_doc, "--trust", "root-ca/ca.pem", "--cache", "recipient-2", "--json"];
    let out = d.kyso(&vj, 1, false);
    d.expect_indications(&out, &[("giay-moi-46-SYT.txt", "TOTAL_FAILED")]);
    // The server stops: a recipient who cannot reach it gets INDETERMINATE/TRY_LATER, with the
    // URLs kyso tried and what to give instead.
    server.stop(d);
    println!("{}", d.t("(máy chủ công bố dừng: nơi nhận chưa có dữ liệu thu hồi không thể kết luận)", "(the publication server is down: a recipient without revocation data cannot conclude)"));
    let first = format!("docs/{}", UNITS[0].doc);
    let v = ["verify", first.as_str(), "--trust", "root-ca/ca.pem", "--cache", "recipient-3", "--fetch-timeout", "2", lang_args[0], lang_args[1]];
    d.kyso(&v, 3, true);
    let vj = ["verify", first.as_str(), "--trust", "root-ca/ca.pem", "--cache", "recipient-3", "--fetch-timeout", "2", "--json"];
    let out = d.kyso(&vj, 3, false);
    d.expect_indications(&out, &[(UNITS[0].doc, "INDETERMINATE")]);
}

/// The sample dispatch and the drawn signature and seal images of certs-example/pdf, embedded so
/// that the demo runs from any folder.
const SAMPLE_PDF: &[u8] = include_bytes!("../../../certs-example/pdf/cong-van.pdf");
const SIGNATURE_PNG: &[u8] = include_bytes!("../../../certs-example/pdf/signature.png");
const SEAL_PNG: &[u8] = include_bytes!("../../../certs-example/pdf/seal.png");

/// Chapter 7: a PDF signed in place (PAdES) by the competent person (signature image) and the
/// agency (seal), verified by a recipient; then a copy changed after signing.
fn play_pdf(d: &mut Demo) {
    d.chapter(
        "7. Văn bản PDF: người có thẩm quyền ký (hình chữ ký), văn thư đóng dấu số của cơ quan, nơi nhận kiểm tra",
        "7. A PDF document: the competent person signs (signature image), the clerk adds the agency's seal, the recipient verifies",
    );
    for (rel, bytes) in [("docs/cong-van-124-VP.pdf", SAMPLE_PDF), ("chu-ky.png", SIGNATURE_PNG), ("con-dau.png", SEAL_PNG)] {
        d.write(rel, bytes);
    }
    let dir = format!("units/{}", UNITS[0].slug);
    let (signed, signed_name) = ("docs/cong-van-124-VP-da-ky.pdf", "cong-van-124-VP-da-ky.pdf");
    d.kyso(
        &[
            "sign", "--pades", "--cert", &format!("{dir}/person.pem"), "--key", &format!("{dir}/person.key"), "--chain", "ca/chain.pem",
            "--appearance", "signature", "--image", "chu-ky.png", "--page", "1", "--rect", "115,205,65,25", "--out", signed, "docs/cong-van-124-VP.pdf",
        ],
        0,
        false,
    );
    d.kyso(
        &[
            "sign", "--pades", "--cert", &format!("{dir}/agency.pem"), "--key", &format!("{dir}/agency.key"), "--chain", "ca/chain.pem",
            "--appearance", "seal", "--image", "con-dau.png", "--in-place", signed,
        ],
        0,
        false,
    );
    let lang = if d.lang == Lang::Vi { "vi" } else { "en" };
    let trust = ["--trust", "root-ca/ca.pem", "--crl", "ca/crl.pem", "--crl", "root-ca/crl.pem"];
    let mut human = vec!["verify", signed];
    human.extend(trust);
    human.extend(["--lang", lang]);
    d.kyso(&human, 0, true);
    let mut json = vec!["verify", signed];
    json.extend(trust);
    json.push("--json");
    let out = d.kyso(&json, 0, false);
    d.expect_indications(&out, &[(signed_name, "TOTAL_PASSED")]);

    println!(
        "{}",
        d.t(
            "(một bản sao bị ghi thêm dữ liệu vào cuối tệp sau khi ký)",
            "(a copy gets data appended to the end of the file after signing)"
        )
    );
    let (changed, changed_name) = ("docs/cong-van-124-VP-bi-sua.pdf", "cong-van-124-VP-bi-sua.pdf");
    match std::fs::read(d.dir.join(signed)) {
        Ok(mut bytes) => {
            bytes.extend_from_slice(b"\n% added after signing\n");
            d.write(changed, bytes);
        }
        Err(e) => d.failures.push(format!("cannot read {signed}: {e}")),
    }
    let mut human = vec!["verify", changed];
    human.extend(trust);
    human.extend(["--lang", lang]);
    d.kyso(&human, 3, true);
    let mut json = vec!["verify", changed];
    json.extend(trust);
    json.push("--json");
    let out = d.kyso(&json, 3, false);
    d.expect_indications(&out, &[(changed_name, "INDETERMINATE")]);
}

/// `kyso tsa serve` started in the background for chapter 8 (this binary as a child process).
struct TsaProcess {
    child: std::process::Child,
    url: String,
}

impl TsaProcess {
    /// Starts the server on a free loopback port and waits for its "listening on URL" line.
    fn start(d: &mut Demo, args: &[&str]) -> Option<TsaProcess> {
        Self::start_any(d, args, "kyso tsa: listening on ")
    }
}

/// A kyso server started in the background (chapter 4: `ca serve`; chapter 8: `tsa serve`).
type Background = TsaProcess;

impl Background {
    /// Starts `kyso ARGS` and waits for its `ready` line ("… listening on URL").
    fn start_any(d: &mut Demo, args: &[&str], ready: &str) -> Option<Background> {
        use std::io::{BufRead, BufReader};
        println!("$ kyso {} &", args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "));
        let spawned = Command::new(&d.exe)
            .args(args)
            .current_dir(&d.dir)
            .env("KYSO_PASSPHRASE", demo_pass(args))
            .env("KYSO_KEY_PASSPHRASE", DEMO_PASSPHRASE)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                d.failures.push(format!("kyso {}: cannot run: {e}", args.first().copied().unwrap_or("")));
                return None;
            }
        };
        let Some(stderr) = child.stderr.take() else {
            d.failures.push("kyso tsa serve: no stderr".into());
            let _ = child.kill();
            return None;
        };
        let mut lines = BufReader::new(stderr).lines();
        let mut url = None;
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(ready) {
                url = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
        // Keep reading its log (one line per token) so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        match url {
            Some(url) => {
                println!("    ✓ {} {url}", d.t("máy chủ đang chạy tại", "the server listens on"));
                Some(TsaProcess { child, url })
            }
            None => {
                d.failures.push(format!("kyso {} did not start", args.iter().take(2).copied().collect::<Vec<_>>().join(" ")));
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        }
    }

    /// Stops the server the way an operator would: SIGTERM (clean shutdown), bounded wait.
    fn stop(mut self, d: &mut Demo) {
        println!("$ kill -TERM {}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return println!("    ✓ exit 0"),
                Ok(Some(status)) => return d.failures.push(format!("the server exited with {status}")),
                Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(50)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return d.failures.push("the server did not stop on SIGTERM".into());
                }
            }
        }
    }
}

/// Chapter 8: trusted time. The CA issues a timestamping certificate, a TSA runs on loopback, the
/// Planning and Investment Department's director signs a report and a PDF with a signature
/// timestamp and the revocation evidence embedded (CAdES-B-T, PAdES-B-LT); a recipient verifies
/// them offline; then the director moves to another post (certificate revoked, reason
/// affiliationChanged): the timestamped signatures still pass, an untimestamped one does not.
fn play_trusted_time(d: &mut Demo) {
    d.chapter(
        "8. Thời gian tin cậy: máy chủ cấp dấu thời gian, chữ ký kèm dấu thời gian và chứng cứ thu hồi để kiểm tra ngoại tuyến",
        "8. Trusted time: a timestamp server, signatures with a timestamp and revocation evidence, verified offline",
    );
    let org = "Sở Thông tin và Truyền thông tỉnh Bắc Ninh";
    if let Err(e) = std::fs::create_dir_all(d.dir.join("tsa")) {
        d.failures.push(format!("cannot create tsa: {e}"));
    }
    d.kyso(&["ca", "issue", "--dir", "ca", "--profile", "tsa", "--cn", "TSA Tỉnh Bắc Ninh", "--org", org, "--province", "Bắc Ninh", "--key-out", "tsa/tsa.key", "--cert-out", "tsa/tsa.pem"], 0, false);
    let Some(tsa) = TsaProcess::start(d, &["tsa", "serve", "--cert", "tsa/tsa.pem", "--key", "tsa/tsa.key", "--chain", "ca/chain.pem", "--listen", "127.0.0.1:0"]) else {
        return;
    };
    let u = &UNITS[2];
    let dir = format!("units/{}", u.slug);
    let (cert, key) = (format!("{dir}/person.pem"), format!("{dir}/person.key"));
    let (bt, bb, pdf_in, pdf) = ("docs/bao-cao-68-SKHDT.txt", "docs/bao-cao-69-SKHDT.txt", "docs/cong-van-125-SKHDT.pdf", "docs/cong-van-125-SKHDT-da-ky.pdf");
    d.write(bt, u.text.replace("67/BC", "68/BC"));
    d.write(bb, u.text.replace("67/BC", "69/BC"));
    d.write(pdf_in, SAMPLE_PDF);
    let url = tsa.url.clone();
    let evidence = ["--tsa", url.as_str(), "--tsa-trust", "root-ca/ca.pem", "--embed-revocation", "--crl", "ca/crl.pem", "--crl", "root-ca/crl.pem"];
    let base = ["sign", "--cert", cert.as_str(), "--key", key.as_str(), "--chain", "ca/chain.pem"];
    d.kyso(&[&base[..], &evidence[..], &[bt]].concat(), 0, false);
    d.kyso(&[&base[..], &["--pades"], &evidence[..], &["--out", pdf, pdf_in]].concat(), 0, false);
    println!("{}", d.t("(một báo cáo khác được ký không kèm dấu thời gian)", "(another report is signed without a timestamp)"));
    d.kyso(&[&base[..], &[bb]].concat(), 0, false);
    tsa.stop(d);

    println!(
        "{}",
        d.t(
            "(nơi nhận chỉ có chứng thư CA gốc, không có CRL: dùng CRL đã nhúng trong chữ ký và trong /DSS của PDF)",
            "(the recipient has only the root certificate, no CRL: the CRLs embedded in the signature and in the PDF's /DSS are used)"
        )
    );
    let lang = if d.lang == Lang::Vi { "vi" } else { "en" };
    d.kyso(&["verify", bt, pdf, "--trust", "root-ca/ca.pem", "--revocation", "require", "--lang", lang], 0, true);
    let out = d.kyso(&["verify", bt, pdf, "--trust", "root-ca/ca.pem", "--revocation", "require", "--json"], 0, false);
    d.expect_indications(&out, &[("bao-cao-68-SKHDT.txt", "TOTAL_PASSED"), ("cong-van-125-SKHDT-da-ky.pdf", "TOTAL_PASSED")]);

    println!(
        "{}",
        d.t(
            "(Giám đốc Sở chuyển công tác: CA thu hồi chứng thư số của ông với lý do affiliation-changed)",
            "(the director moves to another post: the CA revokes his certificate, reason affiliation-changed)"
        )
    );
    // The revocation must be dated strictly after the timestamps (whole seconds).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let Some(serial) = d.serial_of(u.head, "person") else {
        d.failures.push(format!("{}'s certificate is missing from `ca list --json`", u.head));
        return;
    };
    d.kyso(&["ca", "revoke", "--dir", "ca", "--serial", &serial, "--reason", "affiliation-changed"], 0, false);
    println!(
        "{}",
        d.t(
            "(chữ ký có dấu thời gian trước thời điểm thu hồi vẫn hợp lệ; chữ ký không có dấu thời gian thì không)",
            "(the signatures timestamped before the revocation still pass; the one without a timestamp does not)"
        )
    );
    let v = ["verify", bt, pdf, bb, "--trust", "root-ca/ca.pem", "--crl", "ca/crl.pem", "--crl", "root-ca/crl.pem"];
    d.kyso(&[&v[..], &["--lang", lang]].concat(), 1, true);
    let out = d.kyso(&[&v[..], &["--json"]].concat(), 1, false);
    d.expect_indications(
        &out,
        &[("bao-cao-68-SKHDT.txt", "TOTAL_PASSED"), ("cong-van-125-SKHDT-da-ky.pdf", "TOTAL_PASSED"), ("bao-cao-69-SKHDT.txt", "TOTAL_FAILED")],
    );
}
