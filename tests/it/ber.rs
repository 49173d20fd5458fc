//! BER and zero padding wherever a signature can stand (issue 15): detached `.p7s`/`.sig` files,
//! a PDF signature's /Contents and a PDF document timestamp's token (the library-level token test
//! is in tsa.rs), in the shapes real signing tools write — indefinite lengths
//! (`openssl cms -sign -stream`, iText, BouncyCastle), constructed OCTET STRINGs, and the zero
//! padding that follows the signature. Oracle: `openssl cms -verify` accepts each BER input
//! kyso is asked to accept. Any byte other than zero after the signature stays an error.

use crate::cli::{kyso, run, summary};
use crate::pki::{self, openssl, openssl_cms_verify, KeyKind, Leaf, Pki};
use crate::robust_mutation::{serialize, tree, Node};
use serde_json::Value;
use std::path::Path;

const DOC: &str = "CÔNG VĂN số 7/UBND-VP\nV/v chữ ký số BER\n";

/// A BER re-encoding of the DER ContentInfo `der` (a SignedData), as streaming encoders write
/// it: constructed elements with indefinite lengths, OCTET STRINGs of two bytes or more split
/// into a constructed, indefinite-length OCTET STRING whose second segment is itself
/// constructed. What RFC 5652 requires to stay DER stays DER: the embedded certificates and
/// CRLs (their signatures cover their DER) and each SignerInfo's signed attributes (§5.3); the
/// unsigned attributes are kept as they are too. Normalising it gives `der` back byte for byte.
pub(crate) fn ber_of(der: &[u8]) -> Vec<u8> {
    /// Everything below `nodes` in BER.
    fn all(nodes: &mut [Node]) {
        for n in nodes {
            match n.kids.as_mut() {
                Some(k) => {
                    all(k);
                    n.form = Some(0);
                }
                None if n.tag == 0x04 && n.prim.len() >= 2 => {
                    let (a, b) = n.prim.split_at(n.prim.len() / 2);
                    let seg = |p: &[u8]| Node { tag: 0x04, form: None, prim: p.to_vec(), kids: None };
                    let inner = Node { tag: 0x24, form: None, prim: Vec::new(), kids: Some(vec![seg(b)]) };
                    *n = Node { tag: 0x24, form: Some(0), prim: Vec::new(), kids: Some(vec![seg(a), inner]) };
                }
                None => {}
            }
        }
    }
    /// Only the container of `n` in BER, its contents as they are.
    fn container(n: &mut Node) -> Option<&mut Vec<Node>> {
        n.form = Some(0);
        n.kids.as_mut()
    }
    let mut nodes = tree(der).expect("DER input");
    let ci = nodes.first_mut().expect("a ContentInfo");
    let ci_kids = container(ci).expect("constructed");
    let explicit = container(ci_kids.get_mut(1).expect("content")).expect("[0]");
    let sd = container(explicit.get_mut(0).expect("SignedData")).expect("SEQUENCE");
    for field in sd.iter_mut() {
        match field.tag {
            0xa0 | 0xa1 => {
                container(field); // certificates, crls: each as received
            }
            0x31 if field.kids.as_ref().is_some_and(|k| k.first().is_some_and(|s| s.tag == 0x30)) => {
                for si in container(field).expect("signerInfos") {
                    for f in container(si).expect("SignerInfo") {
                        if f.tag != 0xa0 && f.tag != 0xa1 {
                            all(std::slice::from_mut(f));
                        }
                    }
                }
            }
            _ => all(std::slice::from_mut(field)),
        }
    }
    let mut out = Vec::new();
    serialize(&nodes, &mut out);
    out
}

fn padded(bytes: &[u8], zeros: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.resize(bytes.len() + zeros, 0);
    v
}

/// `kyso verify doc --sig sig --trust root --json` → (exit code, report).
fn verify_json(pki: &Pki, doc: &str, sig: &str) -> (i32, Value) {
    let (code, out, err) = summary(&run(pki.dir.path(), &["verify", doc, "--sig", sig, "--trust", pki.root.cert.to_str().unwrap(), "--json", "--revocation", "warn", "--offline"]));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v)
}

fn indications(v: &Value) -> (String, String) {
    let s = &v["documents"][0]["signatures"][0];
    (s["indication"].as_str().unwrap_or_default().into(), s["sub_indication"].as_str().unwrap_or_default().into())
}

#[test]
fn ber_re_encoding_normalises_back_to_the_same_der() {
    let der = std::fs::read(crate::robust_mutation::fixtures().join("single.p7s")).unwrap();
    let ber = ber_of(&der);
    assert!(ber.len() > der.len() && ber[1] == 0x80);
    assert!(ber.windows(2).any(|w| w == [0x24, 0x80]), "constructed OCTET STRINGs");
    let input = padded(&ber, 100);
    let n = kyso::asn1::normalise(&input).unwrap();
    assert_eq!((&n.der[..], n.was_der, n.padding), (&der[..], false, 100));
}

#[test]
fn detached_ber_and_der_signatures_with_zero_padding_verify() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Văn phòng UBND tỉnh", Leaf::default());
    let d = pki.dir.path();
    pki::write(d, "d.txt", DOC.as_bytes());
    let sub = pki.sub.cert.to_str().unwrap();
    let (cert, key) = (unit.cert.to_str().unwrap(), unit.key.to_str().unwrap());
    openssl(d, &["cms", "-sign", "-binary", "-cades", "-outform", "DER", "-md", "sha256", "-signer", cert, "-inkey", key, "-certfile", sub, "-in", "d.txt", "-out", "der.p7s"]);
    let der = std::fs::read(d.join("der.p7s")).unwrap();
    let ber = ber_of(&der);
    // A detached BER signature padded like a PDF's /Contents, as a `.sig` file; OpenSSL (the
    // oracle) reads one element and accepts it.
    pki::write(d, "ber.sig", &padded(&ber, 4096));
    pki::write(d, "der-padded.p7s", &padded(&der, 7));
    for sig in ["ber.sig", "der-padded.p7s"] {
        let (ok, err) = openssl_cms_verify(d, &d.join(sig), &d.join("d.txt"), &pki.root.cert, &[]);
        assert!(ok, "openssl: {sig}: {err}");
        let (code, v) = verify_json(&pki, "d.txt", sig);
        assert_eq!(code, 0, "{sig}: {v:#}");
        assert_eq!(indications(&v), ("TOTAL_PASSED".into(), "".into()), "{sig}");
    }
    // Anything but zeros after the signature: still refused, and the report says why.
    let mut bad = padded(&ber, 16);
    bad.push(0x01);
    pki::write(d, "trailing.sig", &bad);
    let (code, v) = verify_json(&pki, "d.txt", "trailing.sig");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["documents"][0]["sub_indication"], "FORMAT_FAILURE");
    let detail = v["documents"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("trailing data"), "{detail}");
    // A modified document is still caught through the BER form.
    pki::write(d, "d.txt", DOC.replace('7', "8").as_bytes());
    let (code, v) = verify_json(&pki, "d.txt", "ber.sig");
    assert_eq!((code, indications(&v)), (1, ("TOTAL_FAILED".into(), "HASH_FAILURE".into())), "{v:#}");
}

#[test]
fn openssl_stream_output_with_zero_padding_verifies() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit stream", Leaf::default());
    let d = pki.dir.path();
    pki::write(d, "d.txt", DOC.as_bytes());
    let (cert, key) = (unit.cert.to_str().unwrap(), unit.key.to_str().unwrap());
    openssl(d, &["cms", "-sign", "-binary", "-stream", "-outform", "DER", "-md", "sha256", "-signer", cert, "-inkey", key, "-certfile", pki.sub.cert.to_str().unwrap(), "-in", "d.txt", "-out", "stream.p7s"]);
    let ber = std::fs::read(d.join("stream.p7s")).unwrap();
    // -stream: indefinite lengths, the content in a constructed OCTET STRING
    assert_eq!(&ber[..2], &[0x30, 0x80]);
    assert!(ber.windows(2).any(|w| w == [0x24, 0x80]), "constructed OCTET STRING");
    pki::write(d, "stream-padded.p7s", &padded(&ber, 1000));
    let (ok, err) = openssl_cms_verify(d, &d.join("stream-padded.p7s"), &d.join("d.txt"), &pki.root.cert, &[]);
    assert!(ok, "openssl: {err}");
    let (code, v) = verify_json(&pki, "d.txt", "stream-padded.p7s");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(indications(&v), ("TOTAL_PASSED".into(), "".into()));
}

/// The example province made now (tests/it/example.rs): `kyso sign` needs a current certificate.
fn example(rel: &str) -> String {
    crate::example::fresh_path(rel)
}

/// A PAdES signature whose /Contents is rewritten as BER (indefinite lengths, constructed
/// OCTET STRINGs) followed by the zero padding of the reserved space: the byte ranges are
/// unchanged, so the signature must still verify — for OpenSSL over the ranges, and for kyso.
#[test]
fn pdf_contents_in_ber_with_zero_padding_verify() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let who = "units/van-phong-ubnd/agency";
    let input = crate::pdf::samples().join("cong-van.pdf");
    let o = kyso()
        .args(["sign", "--pades", "--cert", &example(&format!("{who}.pem")), "--key", &example(&format!("{who}.key"))])
        .args(["--chain", &example("chain.pem"), "--pass-file", &example("passphrase.txt"), "--out", "ky.pdf", input.to_str().unwrap()])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(summary(&o).0, 0, "{:?}", summary(&o));
    let mut pdf = std::fs::read(dir.join("ky.pdf")).unwrap();
    let ber = rewrite_contents_as_ber(&mut pdf, "Signature1");
    let end = kyso::pdf::signatures(&pdf).unwrap()[0].byte_range[1] as usize - 1;
    std::fs::write(dir.join("ber.pdf"), &pdf).unwrap();
    let contents = &kyso::pdf::signatures(&pdf).unwrap()[0].contents;
    assert_eq!(contents, &ber, "the padding is cut after an indefinite length too");
    crate::pdf::openssl_verifies_all(dir, Path::new(&example("root.pem")), &pdf, 1);
    let verify = |file: &str| {
        let o = kyso().args(["verify", file, "--trust", &example("root.pem"), "--crl", &example("crl.pem"), "--json"]).current_dir(dir).output().unwrap();
        let (code, out, err) = summary(&o);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}\n{err}"));
        (code, v)
    };
    let (code, v) = verify("ber.pdf");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(indications(&v), ("TOTAL_PASSED".into(), "".into()), "{v:#}");
    // a non-zero byte in the padding: the /Contents is no longer one signature plus padding
    pdf[end - 1] = b'1';
    std::fs::write(dir.join("bad.pdf"), &pdf).unwrap();
    let (code, v) = verify("bad.pdf");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(indications(&v), ("TOTAL_FAILED".into(), "FORMAT_FAILURE".into()), "{v:#}");
}

/// The /Contents of `field` in `pdf` rewritten as the BER form of its CMS, zero-padded to the
/// reserved size; the byte ranges are untouched.
fn rewrite_contents_as_ber(pdf: &mut [u8], field: &str) -> Vec<u8> {
    let sig = kyso::pdf::signatures(pdf).unwrap().into_iter().find(|s| s.field_name == field).unwrap();
    let [_, a, b, _] = sig.byte_range.map(|x| x as usize);
    let (start, end) = (a + 1, b - 1);
    let ber = ber_of(&sig.contents);
    let hex = hex::encode(&ber);
    assert!(hex.len() < end - start, "the reserved space holds the BER form");
    pdf[start..end].fill(b'0');
    pdf[start..start + hex.len()].copy_from_slice(hex.as_bytes());
    ber
}

/// A document timestamp (PAdES /SubFilter ETSI.RFC3161) whose token is BER plus zero padding:
/// still a valid timestamp over the same byte ranges, and still proof of existence.
#[test]
fn pdf_document_timestamp_in_ber_with_zero_padding_verifies() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = crate::tsa::tsa_leaf(&pki, "TSA BER");
    crate::doc_ts::signed_and_timestamped(&pki, &tsa);
    let mut pdf = std::fs::read(d.join("ts.pdf")).unwrap();
    let ber = rewrite_contents_as_ber(&mut pdf, "Timestamp1");
    assert_eq!(ber[1], 0x80);
    std::fs::write(d.join("ber-ts.pdf"), &pdf).unwrap();
    assert_eq!(kyso::pdf::signatures(&pdf).unwrap().iter().find(|s| s.field_name == "Timestamp1").unwrap().contents, ber);
    let (code, sigs) = crate::doc_ts::verify(d, "ber-ts.pdf", &pki.root.cert, &[]);
    assert_eq!(code, 0, "{sigs:#?}");
    let t = crate::doc_ts::doc_ts(&sigs);
    assert_eq!(t["indication"], "TOTAL_PASSED", "{t:#}");
    assert!(t["signer"]["subject"].as_str().unwrap().contains("TSA BER"), "{t:#}");
    // the same token with a non-zero byte in its padding is no longer a token
    let sig = kyso::pdf::signatures(&pdf).unwrap().into_iter().find(|s| s.field_name == "Timestamp1").unwrap();
    pdf[sig.byte_range[1] as usize - 3] = b'7';
    std::fs::write(d.join("bad-ts.pdf"), &pdf).unwrap();
    let (code, sigs) = crate::doc_ts::verify(d, "bad-ts.pdf", &pki.root.cert, &[]);
    assert_eq!(code, 1, "{sigs:#?}");
    assert_eq!(crate::doc_ts::doc_ts(&sigs)["indication"], "TOTAL_FAILED", "{sigs:#?}");
}
