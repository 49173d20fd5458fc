//! `openssl verify -policy_check -x509_strict` as the oracle for `kyso cert verify` on
//! certificate policies and name constraints (issue 14): hierarchies in the shape of the
//! Vietnamese public-service PKI — a national root → the government CA, a ministry (Bộ Y tế) or a
//! province (UBND tỉnh Bắc Ninh) → document-signing certificates of their units — generated here
//! with the `openssl` CLI (nothing is checked in), with certificatePolicies under the Vietnamese
//! arc 2.16.704, policyMappings, policyConstraints (requireExplicitPolicy, inhibitPolicyMapping),
//! inhibitAnyPolicy and nameConstraints on directoryName (O=…, C=VN), rfc822Name (bacninh.gov.vn),
//! dNSName, URI and iPAddress, with leaves inside and outside them.
//!
//! For every case the test asserts kyso's verdict (and, for a failure, which failure), OpenSSL's
//! verdict (and which error), and that the two agree — except for the cases of
//! [`OPENSSL_DIFFERS`], where OpenSSL 3.0 departs from RFC 5280 for a stated reason: there the
//! test asserts that OpenSSL still gives the other verdict, so an entry that stops differing
//! fails. `kyso cert verify --policy-oid OID` and `--require-explicit-policy` are passed to
//! OpenSSL as `-policy OID` and `-explicit_policy`; both sides check the document-signing purpose
//! (`kyso cert verify`'s default; `-purpose smimesign` for OpenSSL) and no revocation.
//!
//! The OIDs are invented in the Vietnamese arc (2.16.704 is joint-iso-itu-t country VN): no real
//! policy is implied.

use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The national policy (chữ ký số chuyên dùng Chính phủ).
const P_GOV: &str = "2.16.704.1.2.1";
/// A second national policy (high assurance), asserted by some leaves only.
const P_GOV_HIGH: &str = "2.16.704.1.2.2";
/// The health ministry's domain policy.
const P_BYT: &str = "2.16.704.1.10.1";
/// Bắc Ninh province's domain policy.
const P_BN: &str = "2.16.704.1.20.27.1";
/// A policy nobody asserts.
const P_OTHER: &str = "2.16.704.1.2.9";

/// Cases where OpenSSL 3.0 is known to differ from RFC 5280 (kyso follows RFC 5280), with the
/// reason. The test asserts that OpenSSL does give the opposite verdict there.
const OPENSSL_DIFFERS: &[(&str, &str)] = &[
    (
        "pol-require-explicit-0-openssl-default-set",
        "RFC 5280 §6.1.1 (c): the user-initial-policy-set defaults to any-policy. `openssl verify` without \
         -policy takes it as empty: once an explicit policy is required (here by requireExplicitPolicy 0) it \
         prints \"User Policies: <empty>\" and fails with \"no explicit policy\" although every certificate \
         asserts the national policy. Every other case therefore gives OpenSSL `-policy anyPolicy` for \
         kyso's default",
    ),
    (
        "nc-dir-case-folding-vietnamese",
        "RFC 5280 §7.1 compares directory names after RFC 4518 preparation (caseIgnoreMatch over all of \
         Unicode): \"UBND TỈNH BẮC NINH\" equals \"UBND tỉnh Bắc Ninh\". OpenSSL's canonical name encoding \
         (x509_name_canon / asn1_string_canon) folds the case of ASCII letters only, so Ỉ ≠ ỉ and Ắ ≠ ắ and \
         the subject is outside the permitted subtree for it",
    ),
    (
        "nc-dns-hostname-in-cn",
        "RFC 5280 applies dNSName constraints to dNSNames; the common name is not one. OpenSSL 3.0 also \
         checks a leaf's CN that looks like a host name against dNSName constraints when the leaf has no \
         dNSName (x509_vfy.c check_name_constraints → NAME_CONSTRAINTS_check_CN, a TLS rule from RFC 6125)",
    ),
    (
        "nc-email-subject-and-san",
        "RFC 5280 §4.2.1.10 applies rfc822Name constraints to the subject's emailAddress attribute only \
         when there is no subjectAltName; with one (here an e-mail inside the permitted subtree) the \
         attribute is not a constrained name. OpenSSL 3.0 checks every emailAddress attribute of the \
         subject as well (NAME_CONSTRAINTS_check, \"Process any email address attributes in subject \
         name\")",
    ),
];

/// A generated certificate: subject (openssl -subj syntax, UTF-8) and extension lines (openssl
/// config syntax); the first certificate of a case is the trust anchor, the last the leaf.
#[derive(Clone)]
struct Cert {
    subject: String,
    ext: Vec<String>,
    /// Encode ASCII attribute values as PrintableString instead of UTF8String.
    printable: bool,
}

/// Why a case must fail: what kyso reports and which OpenSSL error goes with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    /// No acceptable policy while an explicit policy is required (OpenSSL: "no explicit policy").
    Policy,
    /// A mapping to or from anyPolicy (OpenSSL: "invalid or inconsistent certificate policy extension").
    AnyPolicyMapping,
    /// A name of this type outside the permitted subtrees.
    Permitted(Kind),
    /// A name of this type inside an excluded subtree.
    Excluded(Kind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dir,
    Email,
    Dns,
    Uri,
    Ip,
}

impl Kind {
    /// As kyso's English report names the type.
    fn kyso(self) -> &'static str {
        match self {
            Kind::Dir => "directoryName",
            Kind::Email => "rfc822Name",
            Kind::Dns => "dNSName",
            Kind::Uri => "uniformResourceIdentifier",
            Kind::Ip => "iPAddress",
        }
    }
}

struct Case {
    id: &'static str,
    about: &'static str,
    certs: Vec<Cert>,
    /// user-initial-policy-set (empty = any-policy).
    policies: Vec<&'static str>,
    explicit: bool,
    /// RFC 5280's verdict: None = valid.
    expect: Option<Why>,
    /// Give OpenSSL kyso's default user-initial-policy-set (any-policy, RFC 5280 §6.1.1 (c)) as
    /// `-policy anyPolicy` when the case asks for no policy. Without it OpenSSL 3.0 takes the set
    /// as empty once an explicit policy is required (see OPENSSL_DIFFERS).
    openssl_any_policy: bool,
}

// ---------------------------------------------------------------- DER for nameConstraints
// openssl's config reads the names of a dirName constraint as ASCII (X509V3_NAME_from_section
// with MBSTRING_ASC), so Vietnamese names cannot be written there: the extension is given as DER.

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = body.len();
    if n < 128 {
        v.push(n as u8);
    } else if n < 256 {
        v.extend([0x81, n as u8]);
    } else {
        v.extend([0x82, (n / 256) as u8, (n % 256) as u8]);
    }
    v.extend_from_slice(body);
    v
}

/// A distinguished name from (attribute, value) pairs: C as PrintableString, the others as
/// UTF8String, or PrintableString when `printable` and the value is ASCII.
fn dn(parts: &[(&str, &str)], printable: bool) -> Vec<u8> {
    let mut rdns = Vec::new();
    for (attr, value) in parts {
        let oid: &[u8] = match *attr {
            "C" => &[0x55, 0x04, 0x06],
            "O" => &[0x55, 0x04, 0x0a],
            "OU" => &[0x55, 0x04, 0x0b],
            "CN" => &[0x55, 0x04, 0x03],
            other => panic!("attribute {other}"),
        };
        let tag = if *attr == "C" || (printable && value.is_ascii()) { 0x13 } else { 0x0c };
        let ava = tlv(0x30, &[tlv(0x06, oid), tlv(tag, value.as_bytes())].concat());
        rdns.extend(tlv(0x31, &ava));
    }
    tlv(0x30, &rdns)
}

/// A GeneralName for a subtree base.
enum Gn<'a> {
    Dir(&'a [(&'a str, &'a str)], bool),
    Email(&'a str),
    Dns(&'a str),
    Uri(&'a str),
    /// Address and mask.
    Ip(&'a [u8]),
}

/// The nameConstraints extension line (critical, as RFC 5280 §4.2.1.10 requires).
fn name_constraints(permitted: &[Gn<'_>], excluded: &[Gn<'_>]) -> String {
    let subtrees = |list: &[Gn<'_>]| -> Vec<u8> {
        list.iter()
            .flat_map(|g| {
                let name = match g {
                    Gn::Dir(parts, printable) => tlv(0xa4, &dn(parts, *printable)),
                    Gn::Email(s) => tlv(0x81, s.as_bytes()),
                    Gn::Dns(s) => tlv(0x82, s.as_bytes()),
                    Gn::Uri(s) => tlv(0x86, s.as_bytes()),
                    Gn::Ip(b) => tlv(0x87, b),
                };
                tlv(0x30, &name)
            })
            .collect()
    };
    let mut body = Vec::new();
    if !permitted.is_empty() {
        body.extend(tlv(0xa0, &subtrees(permitted)));
    }
    if !excluded.is_empty() {
        body.extend(tlv(0xa1, &subtrees(excluded)));
    }
    format!("nameConstraints=critical,DER:{}", hex::encode_upper(tlv(0x30, &body)))
}

// ---------------------------------------------------------------- the hierarchy's parts

const ROOT_SUBJECT: &str = "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Root CA Chuyên dùng Chính phủ";
const GOV_SUBJECT: &str = "/C=VN/O=Ban Cơ yếu Chính phủ/CN=CA Chính phủ";
const BYT_SUBJECT: &str = "/C=VN/O=Bộ Y tế/CN=CA Bộ Y tế";
const BN_SUBJECT: &str = "/C=VN/O=UBND tỉnh Bắc Ninh/CN=CA tỉnh Bắc Ninh";
const BN_O: &[(&str, &str)] = &[("C", "VN"), ("O", "UBND tỉnh Bắc Ninh")];

fn ca_ext(extra: &[String]) -> Vec<String> {
    let mut v: Vec<String> = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(extra.iter().cloned());
    v
}

fn root(extra: &[String]) -> Cert {
    Cert { subject: ROOT_SUBJECT.into(), ext: ca_ext(extra), printable: false }
}

fn ca(subject: &str, extra: &[String]) -> Cert {
    let mut ext = ca_ext(extra);
    ext.push("authorityKeyIdentifier=keyid:always".into());
    Cert { subject: subject.into(), ext, printable: false }
}

/// A document-signing certificate (digitalSignature + nonRepudiation, emailProtection).
fn leaf(subject: &str, extra: &[String]) -> Cert {
    let mut ext: Vec<String> = [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,nonRepudiation",
        "extendedKeyUsage=emailProtection",
        "subjectKeyIdentifier=hash",
        "authorityKeyIdentifier=keyid:always",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ext.extend(extra.iter().cloned());
    Cert { subject: subject.into(), ext, printable: false }
}

const LEAF_BN: &str = "/C=VN/O=UBND tỉnh Bắc Ninh/OU=Sở Y tế/CN=Nguyễn Văn An";
const LEAF_BYT: &str = "/C=VN/O=Bộ Y tế/OU=Vụ Pháp chế/CN=Trần Thị Bình";

fn pols(list: &[&str]) -> String {
    format!("certificatePolicies=critical,{}", list.join(","))
}

fn s(x: &str) -> String {
    x.to_string()
}

fn case(id: &'static str, about: &'static str, certs: Vec<Cert>, policies: &[&'static str], explicit: bool, expect: Option<Why>) -> Case {
    Case { id, about, certs, policies: policies.to_vec(), explicit, expect, openssl_any_policy: true }
}

/// Root → province CA carrying `nc` → a Bắc Ninh leaf with `subject` and `san`.
fn nc_case(id: &'static str, about: &'static str, nc: String, subject: &str, san: Option<&str>, expect: Option<Why>) -> Case {
    let mut leaf_ext = Vec::new();
    if let Some(san) = san {
        leaf_ext.push(format!("subjectAltName={san}"));
    }
    case(id, about, vec![root(&[]), ca(BN_SUBJECT, &[nc]), leaf(subject, &leaf_ext)], &[], false, expect)
}

fn cases() -> Vec<Case> {
    use Kind::*;
    use Why::*;
    let gov_chain = |leaf_pols: Option<&[&str]>| {
        let mut l = Vec::new();
        if let Some(p) = leaf_pols {
            l.push(pols(p));
        }
        vec![root(&[]), ca(BN_SUBJECT, &[pols(&[P_GOV])]), leaf(LEAF_BN, &l)]
    };
    let mut v = vec![
        // ------------------------------------------------ certificate policies
        case("pol-same-policy-default", "every certificate asserts the national policy (critical); default inputs", gov_chain(Some(&[P_GOV])), &[], false, None),
        case("pol-same-policy-explicit", "the same, --policy-oid national --require-explicit-policy", gov_chain(Some(&[P_GOV])), &[P_GOV], true, None),
        case("pol-other-policy-explicit", "the same, asking explicitly for a policy nobody asserts", gov_chain(Some(&[P_GOV])), &[P_OTHER], true, Some(Policy)),
        case(
            "pol-other-policy-not-explicit",
            "asking for a policy nobody asserts without requiring an explicit policy: RFC 5280 §6.1.5 (g) succeeds (explicit_policy > 0), the valid set is empty",
            gov_chain(Some(&[P_GOV])),
            &[P_OTHER],
            false,
            None,
        ),
        case("pol-leaf-without-policies-default", "the leaf asserts no policy; default inputs", gov_chain(None), &[], false, None),
        case("pol-leaf-without-policies-explicit", "the leaf asserts no policy; --require-explicit-policy", gov_chain(None), &[], true, Some(Policy)),
        case(
            "pol-leaf-other-policy",
            "the province CA asserts the national policy, the leaf only the high-assurance one; explicit",
            gov_chain(Some(&[P_GOV_HIGH])),
            &[],
            true,
            Some(Policy),
        ),
        case(
            "pol-leaf-two-policies",
            "the leaf asserts the national and the high-assurance policy, the CA only the national one; asking for national",
            gov_chain(Some(&[P_GOV_HIGH, P_GOV])),
            &[P_GOV],
            true,
            None,
        ),
        case(
            "pol-any-policy-cas",
            "the CAs assert anyPolicy, the leaf Bắc Ninh's policy; asking for it explicitly",
            vec![root(&[pols(&["anyPolicy"])]), ca(BN_SUBJECT, &[pols(&["anyPolicy"])]), leaf(LEAF_BN, &[pols(&[P_BN])])],
            &[P_BN],
            true,
            None,
        ),
        // policy mapping: the ministry CA maps the national policy to its own domain policy.
        case(
            "pol-mapping-national-to-ministry",
            "the ministry CA asserts the national policy and maps it to Bộ Y tế's policy, which the leaf asserts; asking for the national policy",
            vec![root(&[]), ca(BYT_SUBJECT, &[pols(&[P_GOV]), format!("policyMappings=critical,{P_GOV}:{P_BYT}")]), leaf(LEAF_BYT, &[pols(&[P_BYT])])],
            &[P_GOV],
            true,
            None,
        ),
        case(
            "pol-mapping-ask-subject-domain",
            "the same, asking for the ministry's own policy: the user's set is in the trust anchor's domain",
            vec![root(&[]), ca(BYT_SUBJECT, &[pols(&[P_GOV]), format!("policyMappings=critical,{P_GOV}:{P_BYT}")]), leaf(LEAF_BYT, &[pols(&[P_BYT])])],
            &[P_BYT],
            true,
            Some(Policy),
        ),
        case(
            "pol-mapping-unmapped-leaf-policy",
            "the ministry CA maps the national policy away; a leaf asserting the national policy itself has no valid policy",
            vec![root(&[]), ca(BYT_SUBJECT, &[pols(&[P_GOV]), format!("policyMappings=critical,{P_GOV}:{P_BYT}")]), leaf(LEAF_BYT, &[pols(&[P_GOV])])],
            &[],
            true,
            Some(Policy),
        ),
        case(
            "pol-mapping-to-any-policy",
            "a CA maps the national policy to anyPolicy (RFC 5280 §6.1.4 (a): the path is invalid)",
            vec![root(&[]), ca(BYT_SUBJECT, &[pols(&[P_GOV]), format!("policyMappings=critical,{P_GOV}:anyPolicy")]), leaf(LEAF_BYT, &[pols(&[P_GOV])])],
            &[],
            false,
            Some(AnyPolicyMapping),
        ),
        // inhibitPolicyMapping set by the government CA above the ministry.
        case(
            "pol-inhibit-mapping-0",
            "the government CA sets inhibitPolicyMapping 0; the ministry CA below maps national → ministry; explicit",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,inhibitPolicyMapping:0")]),
                ca(BYT_SUBJECT, &[pols(&[P_GOV]), format!("policyMappings=critical,{P_GOV}:{P_BYT}")]),
                leaf(LEAF_BYT, &[pols(&[P_BYT])]),
            ],
            &[],
            true,
            Some(Policy),
        ),
        case(
            "pol-inhibit-mapping-1",
            "the same with inhibitPolicyMapping 1: the ministry CA's mapping is still allowed",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,inhibitPolicyMapping:1")]),
                ca(BYT_SUBJECT, &[pols(&[P_GOV]), format!("policyMappings=critical,{P_GOV}:{P_BYT}")]),
                leaf(LEAF_BYT, &[pols(&[P_BYT])]),
            ],
            &[P_GOV],
            true,
            None,
        ),
        // requireExplicitPolicy from the government CA, counted down by the certificates below it.
        case(
            "pol-require-explicit-0",
            "the government CA sets requireExplicitPolicy 0; the leaf asserts no policy; default inputs",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,requireExplicitPolicy:0")]),
                ca(BN_SUBJECT, &[pols(&[P_GOV])]),
                leaf(LEAF_BN, &[]),
            ],
            &[],
            false,
            Some(Policy),
        ),
        case(
            "pol-require-explicit-2",
            "requireExplicitPolicy 2 at the government CA: the leaf is the second certificate below it, so it must assert a policy",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,requireExplicitPolicy:2")]),
                ca(BN_SUBJECT, &[pols(&[P_GOV])]),
                leaf(LEAF_BN, &[]),
            ],
            &[],
            false,
            Some(Policy),
        ),
        case(
            "pol-require-explicit-3",
            "requireExplicitPolicy 3 at the government CA: the path ends before it takes effect",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,requireExplicitPolicy:3")]),
                ca(BN_SUBJECT, &[pols(&[P_GOV])]),
                leaf(LEAF_BN, &[]),
            ],
            &[],
            false,
            None,
        ),
        case(
            "pol-require-explicit-0-satisfied",
            "requireExplicitPolicy 0 at the government CA and every certificate below asserts the national policy",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,requireExplicitPolicy:0,inhibitPolicyMapping:0")]),
                ca(BN_SUBJECT, &[pols(&[P_GOV])]),
                leaf(LEAF_BN, &[pols(&[P_GOV])]),
            ],
            &[],
            false,
            None,
        ),
        {
            let mut c = case(
                "pol-require-explicit-0-openssl-default-set",
                "pol-require-explicit-0-satisfied with OpenSSL given no -policy at all",
                vec![
                    root(&[]),
                    ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,requireExplicitPolicy:0,inhibitPolicyMapping:0")]),
                    ca(BN_SUBJECT, &[pols(&[P_GOV])]),
                    leaf(LEAF_BN, &[pols(&[P_GOV])]),
                ],
                &[],
                false,
                None,
            );
            c.openssl_any_policy = false;
            c
        },
        // inhibitAnyPolicy.
        case(
            "pol-inhibit-any-0",
            "the government CA asserts anyPolicy with inhibitAnyPolicy 0; the province CA's anyPolicy no longer counts; explicit",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&["anyPolicy"]), s("inhibitAnyPolicy=critical,0")]),
                ca(BN_SUBJECT, &[pols(&["anyPolicy"])]),
                leaf(LEAF_BN, &[pols(&[P_BN])]),
            ],
            &[],
            true,
            Some(Policy),
        ),
        case(
            "pol-inhibit-any-1",
            "the same with inhibitAnyPolicy 1: the province CA's anyPolicy still counts",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&["anyPolicy"]), s("inhibitAnyPolicy=critical,1")]),
                ca(BN_SUBJECT, &[pols(&["anyPolicy"])]),
                leaf(LEAF_BN, &[pols(&[P_BN])]),
            ],
            &[P_BN],
            true,
            None,
        ),
        case(
            "pol-inhibit-any-explicit-policies",
            "inhibitAnyPolicy 0 does not matter when every CA names the policy",
            vec![
                root(&[]),
                ca(GOV_SUBJECT, &[pols(&[P_BN]), s("inhibitAnyPolicy=critical,0")]),
                ca(BN_SUBJECT, &[pols(&[P_BN])]),
                leaf(LEAF_BN, &[pols(&[P_BN])]),
            ],
            &[P_BN],
            true,
            None,
        ),
    ];

    // ------------------------------------------------ name constraints
    let bn_permitted = name_constraints(&[Gn::Dir(BN_O, false)], &[]);
    v.extend([
        nc_case("nc-dir-permitted-inside", "directoryName permitted C=VN, O=UBND tỉnh Bắc Ninh; a unit of the province", bn_permitted.clone(), LEAF_BN, None, None),
        nc_case(
            "nc-dir-permitted-outside",
            "the same constraint; a leaf of another province",
            bn_permitted.clone(),
            "/C=VN/O=UBND tỉnh Hà Nam/OU=Sở Y tế/CN=Lê Văn Cường",
            None,
            Some(Permitted(Dir)),
        ),
        nc_case(
            "nc-dir-permitted-prefix-only",
            "the same constraint; a leaf whose O only starts like the province's",
            bn_permitted.clone(),
            "/C=VN/O=UBND tỉnh Bắc Ninh mới/CN=Lê Văn Cường",
            None,
            Some(Permitted(Dir)),
        ),
        nc_case(
            "nc-dir-excluded",
            "directoryName excluded C=VN, O=UBND tỉnh Bắc Ninh, OU=Công an tỉnh; a leaf of that unit",
            name_constraints(&[Gn::Dir(BN_O, false)], &[Gn::Dir(&[("C", "VN"), ("O", "UBND tỉnh Bắc Ninh"), ("OU", "Công an tỉnh")], false)]),
            "/C=VN/O=UBND tỉnh Bắc Ninh/OU=Công an tỉnh/CN=Phạm Văn Dũng",
            None,
            Some(Excluded(Dir)),
        ),
        nc_case(
            "nc-dir-excluded-other-unit",
            "the same constraints; a leaf of another unit of the province",
            name_constraints(&[Gn::Dir(BN_O, false)], &[Gn::Dir(&[("C", "VN"), ("O", "UBND tỉnh Bắc Ninh"), ("OU", "Công an tỉnh")], false)]),
            LEAF_BN,
            None,
            None,
        ),
        nc_case(
            "nc-dir-printable-vs-utf8",
            "the constraint's O in PrintableString (ASCII spelling), the leaf's in UTF8String, different case and spaces (RFC 5280 §7.1)",
            name_constraints(&[Gn::Dir(&[("C", "VN"), ("O", "UBND Tinh Bac Ninh")], true)], &[]),
            "/C=VN/O=ubnd  tinh bac ninh/CN=Nguyen Van An",
            None,
            None,
        ),
        {
            let mut c = nc_case(
                "nc-dir-utf8-vs-printable",
                "the constraint's O in UTF8String, the leaf's in PrintableString, different case and spaces",
                name_constraints(&[Gn::Dir(&[("C", "VN"), ("O", "UBND Tinh Bac Ninh")], false)], &[]),
                "/C=VN/O=ubnd  tinh bac ninh/CN=Nguyen Van An",
                None,
                None,
            );
            c.certs[2].printable = true;
            c
        },
        nc_case(
            "nc-dir-case-folding-vietnamese",
            "the constraint's O in capitals with diacritics (UBND TỈNH BẮC NINH), the leaf's in lower case (RFC 4518 case folding)",
            name_constraints(&[Gn::Dir(&[("C", "VN"), ("O", "UBND TỈNH BẮC NINH")], false)], &[]),
            LEAF_BN,
            None,
            None,
        ),
        // rfc822Name: "host" = every mailbox on the host, ".domain" = mailboxes on hosts below it.
        nc_case(
            "nc-email-host-inside",
            "rfc822Name permitted bacninh.gov.vn; the leaf's e-mail syt@bacninh.gov.vn",
            name_constraints(&[Gn::Email("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("email:syt@bacninh.gov.vn"),
            None,
        ),
        nc_case(
            "nc-email-host-outside",
            "the same constraint; the leaf's e-mail at hanam.gov.vn",
            name_constraints(&[Gn::Email("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("email:syt@hanam.gov.vn"),
            Some(Permitted(Email)),
        ),
        nc_case(
            "nc-email-host-not-subdomain",
            "the same constraint; an e-mail on a host below bacninh.gov.vn (the host form does not cover subdomains)",
            name_constraints(&[Gn::Email("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("email:vanthu@syt.bacninh.gov.vn"),
            Some(Permitted(Email)),
        ),
        nc_case(
            "nc-email-domain-inside",
            "rfc822Name permitted .bacninh.gov.vn; an e-mail at syt.bacninh.gov.vn",
            name_constraints(&[Gn::Email(".bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("email:vanthu@syt.bacninh.gov.vn"),
            None,
        ),
        nc_case(
            "nc-email-domain-not-host",
            "rfc822Name permitted .bacninh.gov.vn; an e-mail at bacninh.gov.vn itself",
            name_constraints(&[Gn::Email(".bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("email:syt@bacninh.gov.vn"),
            Some(Permitted(Email)),
        ),
        nc_case(
            "nc-email-at-host-inside",
            "rfc822Name permitted @bacninh.gov.vn (the common non-RFC spelling of the host form); syt@bacninh.gov.vn",
            name_constraints(&[Gn::Email("@bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("email:syt@bacninh.gov.vn"),
            None,
        ),
        nc_case(
            "nc-email-at-host-excluded",
            "rfc822Name excluded @hanam.gov.vn; an e-mail at hanam.gov.vn",
            name_constraints(&[], &[Gn::Email("@hanam.gov.vn")]),
            LEAF_BN,
            Some("email:syt@hanam.gov.vn"),
            Some(Excluded(Email)),
        ),
        nc_case(
            "nc-email-mailbox",
            "rfc822Name permitted vanthu@bacninh.gov.vn (one mailbox); another mailbox on the host",
            name_constraints(&[Gn::Email("vanthu@bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("email:syt@bacninh.gov.vn"),
            Some(Permitted(Email)),
        ),
        nc_case(
            "nc-email-excluded",
            "rfc822Name excluded hanam.gov.vn; an e-mail there",
            name_constraints(&[], &[Gn::Email("hanam.gov.vn")]),
            LEAF_BN,
            Some("email:syt@hanam.gov.vn"),
            Some(Excluded(Email)),
        ),
        nc_case(
            "nc-email-subject-only",
            "rfc822Name permitted bacninh.gov.vn; no subjectAltName, the subject's emailAddress is at hanam.gov.vn (RFC 5280 §4.2.1.10: the constraint applies to it)",
            name_constraints(&[Gn::Email("bacninh.gov.vn")], &[]),
            "/C=VN/O=UBND tỉnh Bắc Ninh/CN=Nguyễn Văn An/emailAddress=an@hanam.gov.vn",
            None,
            Some(Permitted(Email)),
        ),
        nc_case(
            "nc-email-subject-only-inside",
            "the same constraint; the subject's emailAddress is at bacninh.gov.vn",
            name_constraints(&[Gn::Email("bacninh.gov.vn")], &[]),
            "/C=VN/O=UBND tỉnh Bắc Ninh/CN=Nguyễn Văn An/emailAddress=an@bacninh.gov.vn",
            None,
            None,
        ),
        nc_case(
            "nc-email-subject-and-san",
            "the same constraint; the subjectAltName e-mail is at bacninh.gov.vn, the subject's emailAddress at hanam.gov.vn",
            name_constraints(&[Gn::Email("bacninh.gov.vn")], &[]),
            "/C=VN/O=UBND tỉnh Bắc Ninh/CN=Nguyễn Văn An/emailAddress=an@hanam.gov.vn",
            Some("email:syt@bacninh.gov.vn"),
            None,
        ),
        // dNSName.
        nc_case(
            "nc-dns-inside",
            "dNSName permitted bacninh.gov.vn; dichvucong.bacninh.gov.vn",
            name_constraints(&[Gn::Dns("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("DNS:dichvucong.bacninh.gov.vn"),
            None,
        ),
        nc_case(
            "nc-dns-suffix-trick",
            "the same constraint; bacninh.gov.vn.example.com",
            name_constraints(&[Gn::Dns("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("DNS:bacninh.gov.vn.example.com"),
            Some(Permitted(Dns)),
        ),
        nc_case(
            "nc-dns-label-trick",
            "the same constraint; xbacninh.gov.vn (not a label boundary)",
            name_constraints(&[Gn::Dns("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("DNS:xbacninh.gov.vn"),
            Some(Permitted(Dns)),
        ),
        nc_case(
            "nc-dns-excluded",
            "dNSName excluded hanam.gov.vn; syt.hanam.gov.vn",
            name_constraints(&[], &[Gn::Dns("hanam.gov.vn")]),
            LEAF_BN,
            Some("DNS:syt.hanam.gov.vn"),
            Some(Excluded(Dns)),
        ),
        nc_case(
            "nc-dns-hostname-in-cn",
            "dNSName permitted bacninh.gov.vn; no dNSName, the CN is a host name at hanam.gov.vn",
            name_constraints(&[Gn::Dns("bacninh.gov.vn")], &[]),
            "/C=VN/O=UBND tỉnh Bắc Ninh/CN=dichvucong.hanam.gov.vn",
            None,
            None,
        ),
        // URI: the host of the URI.
        nc_case(
            "nc-uri-inside",
            "URI permitted .bacninh.gov.vn; https://dichvucong.bacninh.gov.vn/hoso",
            name_constraints(&[Gn::Uri(".bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("URI:https://dichvucong.bacninh.gov.vn/hoso"),
            None,
        ),
        nc_case(
            "nc-uri-outside",
            "the same constraint; https://bacninh.gov.vn.example.com/",
            name_constraints(&[Gn::Uri(".bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("URI:https://bacninh.gov.vn.example.com/"),
            Some(Permitted(Uri)),
        ),
        nc_case(
            "nc-uri-host-exact",
            "URI permitted bacninh.gov.vn (one host); https://bacninh.gov.vn:8443/ky-so",
            name_constraints(&[Gn::Uri("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("URI:https://bacninh.gov.vn:8443/ky-so"),
            None,
        ),
        nc_case(
            "nc-uri-host-not-subdomain",
            "URI permitted bacninh.gov.vn (one host); https://dichvucong.bacninh.gov.vn/",
            name_constraints(&[Gn::Uri("bacninh.gov.vn")], &[]),
            LEAF_BN,
            Some("URI:https://dichvucong.bacninh.gov.vn/"),
            Some(Permitted(Uri)),
        ),
        // iPAddress.
        nc_case(
            "nc-ip-inside",
            "iPAddress permitted 10.27.0.0/16; 10.27.3.4",
            name_constraints(&[Gn::Ip(&[10, 27, 0, 0, 255, 255, 0, 0])], &[]),
            LEAF_BN,
            Some("IP:10.27.3.4"),
            None,
        ),
        nc_case(
            "nc-ip-outside",
            "the same constraint; 10.28.0.1",
            name_constraints(&[Gn::Ip(&[10, 27, 0, 0, 255, 255, 0, 0])], &[]),
            LEAF_BN,
            Some("IP:10.28.0.1"),
            Some(Permitted(Ip)),
        ),
        nc_case(
            "nc-ip-v6-under-v4-only",
            "the same constraint (IPv4 only); an IPv6 address",
            name_constraints(&[Gn::Ip(&[10, 27, 0, 0, 255, 255, 0, 0])], &[]),
            LEAF_BN,
            Some("IP:2001:db8:27::1"),
            Some(Permitted(Ip)),
        ),
        nc_case(
            "nc-ip-v6-inside",
            "iPAddress permitted 2001:db8:27::/48; 2001:db8:27::1",
            name_constraints(&[Gn::Ip(&[0x20, 0x01, 0x0d, 0xb8, 0, 0x27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])], &[]),
            LEAF_BN,
            Some("IP:2001:db8:27::1"),
            None,
        ),
        nc_case(
            "nc-ip-excluded",
            "iPAddress excluded 10.27.99.0/24; 10.27.99.7",
            name_constraints(&[], &[Gn::Ip(&[10, 27, 99, 0, 255, 255, 255, 0])]),
            LEAF_BN,
            Some("IP:10.27.99.7"),
            Some(Excluded(Ip)),
        ),
        nc_case(
            "nc-mixed-types",
            "permitted directoryName, rfc822Name, dNSName, URI and iPAddress of the province; a leaf with one name of each inside",
            name_constraints(
                &[Gn::Dir(BN_O, false), Gn::Email("bacninh.gov.vn"), Gn::Dns("bacninh.gov.vn"), Gn::Uri(".bacninh.gov.vn"), Gn::Ip(&[10, 27, 0, 0, 255, 255, 0, 0])],
                &[],
            ),
            LEAF_BN,
            Some("email:syt@bacninh.gov.vn,DNS:syt.bacninh.gov.vn,URI:https://dichvucong.bacninh.gov.vn/,IP:10.27.3.4"),
            None,
        ),
        nc_case(
            "nc-mixed-types-one-outside",
            "the same constraints; every name inside but the URI",
            name_constraints(
                &[Gn::Dir(BN_O, false), Gn::Email("bacninh.gov.vn"), Gn::Dns("bacninh.gov.vn"), Gn::Uri(".bacninh.gov.vn"), Gn::Ip(&[10, 27, 0, 0, 255, 255, 0, 0])],
                &[],
            ),
            LEAF_BN,
            Some("email:syt@bacninh.gov.vn,DNS:syt.bacninh.gov.vn,URI:https://dichvucong.hanam.gov.vn/,IP:10.27.3.4"),
            Some(Permitted(Uri)),
        ),
    ]);

    // ------------------------------------------------ constraints on several levels
    let root_vn = name_constraints(&[Gn::Dir(&[("C", "VN")], false)], &[]);
    let byt_o: &[(&str, &str)] = &[("C", "VN"), ("O", "Bộ Y tế")];
    v.extend([
        case(
            "nc-anchor-constraint-inside",
            "the national root itself carries permitted directoryName C=VN (kyso and OpenSSL both apply an anchor's constraints)",
            vec![root(&[root_vn.clone()]), ca(BN_SUBJECT, &[]), leaf(LEAF_BN, &[])],
            &[],
            false,
            None,
        ),
        case(
            "nc-anchor-constraint-outside",
            "the same root; a leaf with C=LA",
            vec![root(&[root_vn.clone()]), ca(BN_SUBJECT, &[]), leaf("/C=LA/O=UBND tỉnh Bắc Ninh/CN=Nguyễn Văn An", &[])],
            &[],
            false,
            Some(Permitted(Dir)),
        ),
        case(
            "nc-two-levels-excluded-below",
            "the ministry CA is limited to O=Bộ Y tế, its issuing CA excludes OU=Thanh tra; a leaf of Thanh tra",
            vec![
                root(&[]),
                ca(BYT_SUBJECT, &[name_constraints(&[Gn::Dir(byt_o, false)], &[])]),
                ca("/C=VN/O=Bộ Y tế/CN=CA cấp 2 Bộ Y tế", &[name_constraints(&[], &[Gn::Dir(&[("C", "VN"), ("O", "Bộ Y tế"), ("OU", "Thanh tra")], false)])]),
                leaf("/C=VN/O=Bộ Y tế/OU=Thanh tra/CN=Đỗ Thị Hoa", &[]),
            ],
            &[],
            false,
            Some(Excluded(Dir)),
        ),
        case(
            "nc-two-levels-permitted-above",
            "the same CAs; a leaf outside the ministry (the upper CA's constraint still binds)",
            vec![
                root(&[]),
                ca(BYT_SUBJECT, &[name_constraints(&[Gn::Dir(byt_o, false)], &[])]),
                ca("/C=VN/O=Bộ Y tế/CN=CA cấp 2 Bộ Y tế", &[name_constraints(&[], &[Gn::Dir(&[("C", "VN"), ("O", "Bộ Y tế"), ("OU", "Thanh tra")], false)])]),
                leaf(LEAF_BN, &[]),
            ],
            &[],
            false,
            Some(Permitted(Dir)),
        ),
        case(
            "nc-two-levels-inside",
            "the same CAs; a leaf of Vụ Pháp chế",
            vec![
                root(&[]),
                ca(BYT_SUBJECT, &[name_constraints(&[Gn::Dir(byt_o, false)], &[])]),
                ca("/C=VN/O=Bộ Y tế/CN=CA cấp 2 Bộ Y tế", &[name_constraints(&[], &[Gn::Dir(&[("C", "VN"), ("O", "Bộ Y tế"), ("OU", "Thanh tra")], false)])]),
                leaf(LEAF_BYT, &[]),
            ],
            &[],
            false,
            None,
        ),
        case(
            "nc-and-policy-together",
            "a national hierarchy with both: the ministry CA maps national → ministry policy and is limited to O=Bộ Y tế; explicit policy asked",
            vec![
                root(&[root_vn]),
                ca(GOV_SUBJECT, &[pols(&[P_GOV]), s("policyConstraints=critical,requireExplicitPolicy:0")]),
                ca(BYT_SUBJECT, &[pols(&[P_GOV]), format!("policyMappings=critical,{P_GOV}:{P_BYT}"), name_constraints(&[Gn::Dir(byt_o, false)], &[])]),
                leaf(LEAF_BYT, &[pols(&[P_BYT]), s("subjectAltName=email:phapche@moh.gov.vn")]),
            ],
            &[P_GOV],
            true,
            None,
        ),
    ]);
    v
}

// ---------------------------------------------------------------- running both

/// P-256 keys by position in a path (0 = root), made once in `dir` and reused by every case.
fn keys(dir: &Path) -> Vec<PathBuf> {
    (0..4)
        .map(|i| {
            let p = dir.join(format!("key{i}.pem"));
            super::pki::genkey(dir, super::pki::KeyKind::P256, p.to_str().unwrap());
            p
        })
        .collect()
}

/// Makes the case's certificates in `dir`: cert0.pem (anchor) … certN.pem (leaf).
fn generate(dir: &Path, c: &Case, keys: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for (i, cert) in c.certs.iter().enumerate() {
        let mut cfg = String::from("[req]\ndistinguished_name=dn\nprompt=no\n");
        cfg.push_str(if cert.printable { "string_mask=default\n" } else { "string_mask=utf8only\n" });
        cfg.push_str("[dn]\nCN=unused\n[ext]\n");
        for e in &cert.ext {
            let _ = writeln!(cfg, "{e}");
        }
        let cfg_path = dir.join(format!("cert{i}.cnf"));
        std::fs::write(&cfg_path, cfg).unwrap();
        let pem = dir.join(format!("cert{i}.pem"));
        let serial = (i + 1).to_string();
        let days = if i + 1 == c.certs.len() { "365" } else { "3650" };
        let mut args: Vec<String> = ["req", "-x509", "-new", "-utf8", "-sha256", "-key"].iter().map(|s| s.to_string()).collect();
        args.push(keys[i].display().to_string());
        args.extend(["-subj".into(), cert.subject.clone(), "-config".into(), cfg_path.display().to_string()]);
        args.extend(["-extensions".into(), "ext".into(), "-set_serial".into(), serial, "-days".into(), days.into()]);
        if i > 0 {
            args.extend(["-CA".into(), out[i - 1].display().to_string(), "-CAkey".into(), keys[i - 1].display().to_string()]);
        }
        args.extend(["-out".into(), pem.display().to_string()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        super::pki::openssl(dir, &refs);
        out.push(pem);
    }
    out
}

/// A verdict: valid, or invalid with the text that says why.
#[derive(Debug)]
struct Verdict {
    valid: bool,
    why: String,
}

fn run_kyso(dir: &Path, c: &Case, files: &[PathBuf]) -> Verdict {
    let n = files.len();
    let chain: String = files[1..n - 1].iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    std::fs::write(dir.join("chain.pem"), chain).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kyso"));
    cmd.args(["cert", "verify"]).arg(&files[n - 1]).arg("--trust").arg(&files[0]);
    if n > 2 {
        cmd.arg("--chain").arg(dir.join("chain.pem"));
    }
    cmd.args(["--revocation", "off", "--lang", "en", "--json"]);
    for p in &c.policies {
        cmd.args(["--policy-oid", p]);
    }
    if c.explicit {
        cmd.arg("--require-explicit-policy");
    }
    let out = cmd.output().expect("kyso runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{}: kyso JSON: {e}: {}", c.id, String::from_utf8_lossy(&out.stderr)));
    let code = out.status.code();
    let indication = report["indication"].as_str().unwrap_or_default().to_string();
    assert!(
        (code == Some(0) && indication == "TOTAL_PASSED") || (code == Some(3) && indication == "INDETERMINATE"),
        "{}: kyso exit {code:?} with indication {indication}",
        c.id
    );
    let failed: Vec<String> = report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|ch| ch["status"] == "failed")
        .map(|ch| format!("{}: {}", ch["code"].as_str().unwrap_or_default(), ch["detail"].as_str().unwrap_or_default()))
        .collect();
    Verdict { valid: code == Some(0), why: failed.join(" | ") }
}

fn run_openssl(dir: &Path, c: &Case, files: &[PathBuf]) -> Verdict {
    let n = files.len();
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir).args(["verify", "-x509_strict", "-policy_check", "-purpose", "smimesign", "-CAfile"]).arg(&files[0]);
    if n > 2 {
        cmd.arg("-untrusted").arg(dir.join("chain.pem"));
    }
    for p in &c.policies {
        cmd.args(["-policy", p]);
    }
    if c.policies.is_empty() && c.openssl_any_policy {
        cmd.args(["-policy", "anyPolicy"]);
    }
    if c.explicit {
        cmd.arg("-explicit_policy");
    }
    cmd.arg(&files[n - 1]);
    let out = cmd.output().expect("openssl runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let why = text.lines().filter(|l| l.starts_with("error ")).collect::<Vec<_>>().join(" | ");
    let valid = out.status.success() && text.contains(": OK");
    Verdict { valid, why }
}

/// Does kyso's failure say `why`?
fn kyso_says(v: &Verdict, why: Why) -> bool {
    match why {
        Why::Policy => v.why.contains("path_failed: no acceptable certificate policy"),
        Why::AnyPolicyMapping => v.why.contains("path_failed: ") && v.why.contains("maps a policy to or from anyPolicy"),
        Why::Permitted(k) | Why::Excluded(k) => v.why.contains("path_failed: the ") && v.why.contains(&format!("the {} ", k.kyso())) && v.why.contains("violates a CA's name constraints"),
    }
}

/// Does OpenSSL's failure say `why`?
fn openssl_says(v: &Verdict, why: Why) -> bool {
    match why {
        Why::Policy => v.why.contains("no explicit policy"),
        Why::AnyPolicyMapping => v.why.contains("invalid or inconsistent certificate policy extension"),
        Why::Permitted(_) => v.why.contains("permitted subtree violation"),
        Why::Excluded(_) => v.why.contains("excluded subtree violation"),
    }
}

#[test]
fn openssl_agrees_on_policies_and_name_constraints() {
    let cases = cases();
    let ids: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), cases.len(), "case ids are unique");
    for (id, _) in OPENSSL_DIFFERS {
        assert!(ids.contains(id), "OPENSSL_DIFFERS names an unknown case {id}");
    }
    let tmp = tempfile::tempdir().unwrap();
    // KYSO_KEEP_GENERATED=1 keeps the hierarchies for a look with `openssl x509 -text`.
    let (_guard, work) = if std::env::var_os("KYSO_KEEP_GENERATED").is_some() {
        let p = tmp.keep();
        println!("generated hierarchies kept in {}", p.display());
        (None, p)
    } else {
        let p = tmp.path().to_path_buf();
        (Some(tmp), p)
    };
    let keys = keys(&work);
    let results: Vec<(usize, Verdict, Verdict)> = cases
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let dir = work.join(c.id);
            std::fs::create_dir_all(&dir).unwrap();
            let files = generate(&dir, c, &keys);
            let k = run_kyso(&dir, c, &files);
            let o = run_openssl(&dir, c, &files);
            (i, k, o)
        })
        .collect();
    let mut problems = Vec::new();
    let mut table = String::from("case\texpected\tkyso\topenssl\n");
    let (mut agree, mut differ) = (0, 0);
    for (i, k, o) in &results {
        let c = &cases[*i];
        let verdict = |v: bool| if v { "valid" } else { "invalid" };
        let _ = writeln!(table, "{}\t{}\t{}\t{}", c.id, verdict(c.expect.is_none()), verdict(k.valid), verdict(o.valid));
        // kyso: RFC 5280's verdict, for the stated reason.
        match c.expect {
            None if !k.valid => problems.push(format!("{} ({}): kyso says invalid: {}", c.id, c.about, k.why)),
            Some(why) if k.valid => problems.push(format!("{} ({}): kyso says valid, expected {why:?}", c.id, c.about)),
            Some(why) if !kyso_says(k, why) => problems.push(format!("{} ({}): kyso fails for another reason than {why:?}: {}", c.id, c.about, k.why)),
            _ => {}
        }
        let differs = OPENSSL_DIFFERS.iter().find(|(id, _)| *id == c.id);
        match differs {
            None => {
                // OpenSSL: the same verdict, for the same reason.
                match c.expect {
                    None if !o.valid => problems.push(format!("{} ({}): openssl says invalid: {}", c.id, c.about, o.why)),
                    Some(why) if o.valid => problems.push(format!("{} ({}): openssl says valid, expected {why:?}", c.id, c.about)),
                    Some(why) if !openssl_says(o, why) => problems.push(format!("{} ({}): openssl fails for another reason than {why:?}: {}", c.id, c.about, o.why)),
                    _ => {}
                }
                if k.valid == o.valid {
                    agree += 1;
                } else {
                    problems.push(format!("{}: kyso and openssl disagree (kyso {}, openssl {}: {})", c.id, verdict(k.valid), verdict(o.valid), o.why));
                }
            }
            Some((_, reason)) => {
                differ += 1;
                if o.valid == c.expect.is_none() {
                    problems.push(format!("{}: listed in OPENSSL_DIFFERS ({reason}) but openssl now agrees with RFC 5280: remove the entry", c.id));
                }
            }
        }
    }
    println!("{table}");
    println!("policies and name constraints: {} cases, kyso and openssl agree on {agree}, {differ} known OpenSSL 3.0 differences", cases.len());
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}
