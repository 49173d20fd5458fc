//! Names: X.501 distinguished names compared by RFC 5280 §7.1 (RFC 4518 string preparation),
//! general names, and name-constraint matching (RFC 5280 §4.2.1.10).

use unicode_normalization::UnicodeNormalization;
use x509_parser::prelude::*;

/// One attribute value, prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Value {
    /// A string type, after RFC 4518 preparation (case folded, NFKC, insignificant spaces).
    Text(String),
    /// Another type: compared as received (tag and contents).
    Raw(u8, Vec<u8>),
}

/// One AttributeTypeAndValue, prepared (for multi-valued RDNs, compared as sets).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Ava {
    oid: Vec<u8>,
    value: Value,
}

/// One AttributeTypeAndValue as received: preparation (RFC 4518: case folding, NFKC — the
/// expensive part) happens only when two values of the same type differ in their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawAva {
    oid: Vec<u8>,
    tag: u8,
    data: Vec<u8>,
}

impl RawAva {
    fn prepared(&self) -> Ava {
        Ava { oid: self.oid.clone(), value: prepare(self.tag, &self.data) }
    }
}

/// Two values of one attribute type: equal bytes, or equal after RFC 4518 preparation.
fn value_eq(a: &RawAva, b: &RawAva) -> bool {
    (a.tag == b.tag && a.data == b.data) || prepare(a.tag, &a.data) == prepare(b.tag, &b.data)
}

/// RFC 5280 §7.1 for one RDN: the same set of attributes, each value equal after preparation.
fn rdn_eq(a: &[RawAva], b: &[RawAva]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match (a, b) {
        ([x], [y]) => x.oid == y.oid && value_eq(x, y),
        _ if a == b => true,
        _ => {
            // A multi-valued RDN is a set: compare the sorted prepared attributes.
            let mut pa: Vec<Ava> = a.iter().map(RawAva::prepared).collect();
            let mut pb: Vec<Ava> = b.iter().map(RawAva::prepared).collect();
            pa.sort();
            pb.sort();
            pa == pb
        }
    }
}

/// A distinguished name, kept as received and compared by RFC 5280 §7.1 (RFC 4518 string
/// preparation, done lazily: names whose bytes are equal, or whose RDN structure differs, are
/// decided without it).
#[derive(Debug, Clone)]
pub struct Name {
    der: Vec<u8>,
    /// RDNs in order, each its attributes as received.
    rdns: Vec<Vec<RawAva>>,
    /// RFC 4514-style text, made when first asked for (reports and errors only).
    text: std::sync::OnceLock<String>,
}

impl PartialEq for Name {
    /// RFC 5280 §7.1: same number of RDNs, each RDN the same set of attributes, each value equal
    /// after RFC 4518 preparation.
    fn eq(&self, other: &Name) -> bool {
        if !self.der.is_empty() && self.der == other.der {
            return true;
        }
        self.rdns.len() == other.rdns.len() && self.rdns.iter().zip(other.rdns.iter()).all(|(a, b)| rdn_eq(a, b))
    }
}

impl Eq for Name {}

/// The universal tag number of an attribute value, or [`NOT_UNIVERSAL`] for any other class (a
/// context-specific `[12]` is not a UTF8String: such a value is compared as its bytes only, never
/// prepared as text).
fn value_tag(v: &x509_parser::der_parser::asn1_rs::Any<'_>) -> u8 {
    use x509_parser::der_parser::asn1_rs::Class;
    match (v.class(), u8::try_from(v.tag().0)) {
        (Class::Universal, Ok(t)) if t < 31 => t,
        _ => NOT_UNIVERSAL,
    }
}

/// The tag recorded for an attribute value that is not of a universal type.
const NOT_UNIVERSAL: u8 = 0xff;

/// pkcs-9 emailAddress (1.2.840.113549.1.9.1), for rfc822Name constraints on the subject.
const EMAIL_ADDRESS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];

impl Name {
    pub(crate) fn from_x509(n: &X509Name<'_>) -> Name {
        let rdns = n
            .iter()
            .map(|rdn| rdn.iter().map(|a| RawAva { oid: a.attr_type().as_bytes().to_vec(), tag: value_tag(a.attr_value()), data: a.attr_value().data.to_vec() }).collect())
            .collect();
        Name { der: n.as_raw().to_vec(), rdns, text: std::sync::OnceLock::new() }
    }

    /// `self` followed by the RDNs of `tail`.
    pub(crate) fn append(&self, tail: &Name) -> Name {
        let mut rdns = self.rdns.clone();
        rdns.extend(tail.rdns.iter().cloned());
        Name { der: Vec::new(), rdns, text: format!("{},{}", self.text(), tail.text()).into() }
    }

    /// The Name as received (full TLV).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The name as the report shows it (its DN text and the parts a reader looks for).
    pub fn report(&self) -> crate::findings::Name {
        if self.der.is_empty() {
            // A name kyso assembled (a relative distribution point name): text only.
            return crate::findings::Name { dn: self.text().to_string(), parts: crate::findings::NameParts::default() };
        }
        crate::findings::Name::from_der(&self.der)
    }

    /// RFC 4514-style text for display.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| match X509Name::from_der(&self.der) {
            Ok((_, n)) => n.to_string(),
            Err(_) => String::new(),
        })
    }

    /// No RDNs.
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// `self` lies within the subtree rooted at `base` (base's RDNs are a prefix of self's).
    pub(crate) fn within(&self, base: &Name) -> bool {
        base.rdns.len() <= self.rdns.len() && self.rdns.iter().zip(base.rdns.iter()).all(|(a, b)| rdn_eq(a, b))
    }

    /// Values of the emailAddress attributes (prepared, when they are strings).
    pub(crate) fn email_addresses(&self) -> Vec<String> {
        self.rdns
            .iter()
            .flatten()
            .filter(|a| a.oid == EMAIL_ADDRESS)
            .filter_map(|a| match prepare(a.tag, &a.data) {
                Value::Text(t) => Some(t),
                Value::Raw(..) => None,
            })
            .collect()
    }
}

/// RFC 4518 preparation of a value with string tag `tag`; other tags stay raw.
fn prepare(tag: u8, data: &[u8]) -> Value {
    let decoded: Option<String> = match tag {
        // UTF8String, PrintableString, IA5String, VisibleString, NumericString
        0x0c | 0x13 | 0x16 | 0x1a | 0x12 => std::str::from_utf8(data).ok().map(str::to_string),
        // TeletexString: taken as ISO 8859-1, as OpenSSL and most CAs treat it.
        0x14 => Some(data.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16BE.
        0x1e if data.len() % 2 == 0 => {
            let units: Vec<u16> = data.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UTF-32BE.
        0x1c if data.len() % 4 == 0 => data
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect::<Option<String>>(),
        _ => None,
    };
    match decoded {
        Some(s) => Value::Text(prep_string(&s)),
        None => Value::Raw(tag, data.to_vec()),
    }
}

/// RFC 4518 §2: map (characters mapped to nothing, spaces, case fold), NFKC, insignificant
/// space handling (leading and trailing spaces dropped, inner runs collapsed).
pub(crate) fn prep_string(s: &str) -> String {
    if s.is_ascii() {
        return prep_ascii(s);
    }
    let mut mapped = String::with_capacity(s.len());
    for c in s.chars() {
        let cp = c as u32;
        let nothing = matches!(cp, 0x00..=0x08 | 0x0e..=0x1f | 0x7f..=0x84 | 0x86..=0x9f | 0xad | 0x034f | 0x1806 | 0x180b..=0x180d | 0x200b..=0x200d | 0x2060 | 0xfe00..=0xfe0f | 0xfeff | 0xfffc);
        if nothing {
            continue;
        }
        let space = matches!(cp, 0x09..=0x0d | 0x20 | 0x85 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000);
        if space {
            mapped.push(' ');
        } else {
            mapped.extend(c.to_lowercase());
        }
    }
    let normalized: String = mapped.nfkc().collect();
    let mut out = String::with_capacity(normalized.len());
    for word in normalized.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`prep_string`] for ASCII (most attribute values): NFKC leaves ASCII unchanged, so only the
/// mapping (controls to nothing, white space to a space, case folding) and the space handling
/// remain.
fn prep_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for b in s.bytes() {
        match b {
            0x00..=0x08 | 0x0e..=0x1f | 0x7f => {}
            0x09..=0x0d | b' ' => pending_space = !out.is_empty(),
            _ => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(char::from(b.to_ascii_lowercase()));
            }
        }
    }
    out
}

/// The type of a general name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum GeneralNameKind {
    /// otherName \[0\]
    OtherName,
    /// rfc822Name \[1\]
    Rfc822,
    /// dNSName \[2\]
    Dns,
    /// x400Address \[3\]
    X400,
    /// directoryName \[4\]
    Directory,
    /// ediPartyName \[5\]
    EdiParty,
    /// uniformResourceIdentifier \[6\]
    Uri,
    /// iPAddress \[7\]
    Ip,
    /// registeredID \[8\]
    RegisteredId,
}

/// A general name (owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GenName {
    Directory(Name),
    Rfc822(String),
    Dns(String),
    Uri(String),
    Ip(Vec<u8>),
    /// A type kyso does not match (or a string that is not valid UTF-8).
    Other(GeneralNameKind),
}

impl GenName {
    pub(crate) fn from_x509(g: &GeneralName<'_>) -> GenName {
        match g {
            GeneralName::DirectoryName(n) => GenName::Directory(Name::from_x509(n)),
            GeneralName::RFC822Name(s) => GenName::Rfc822((*s).to_string()),
            GeneralName::DNSName(s) => GenName::Dns((*s).to_string()),
            GeneralName::URI(s) => GenName::Uri((*s).to_string()),
            GeneralName::IPAddress(b) => GenName::Ip(b.to_vec()),
            GeneralName::OtherName(..) => GenName::Other(GeneralNameKind::OtherName),
            GeneralName::X400Address(_) => GenName::Other(GeneralNameKind::X400),
            GeneralName::EDIPartyName(_) => GenName::Other(GeneralNameKind::EdiParty),
            GeneralName::RegisteredID(_) => GenName::Other(GeneralNameKind::RegisteredId),
            GeneralName::Invalid(tag, _) => GenName::Other(match tag.0 {
                1 => GeneralNameKind::Rfc822,
                2 => GeneralNameKind::Dns,
                6 => GeneralNameKind::Uri,
                _ => GeneralNameKind::OtherName,
            }),
        }
    }

    pub(crate) fn kind(&self) -> GeneralNameKind {
        match self {
            GenName::Directory(_) => GeneralNameKind::Directory,
            GenName::Rfc822(_) => GeneralNameKind::Rfc822,
            GenName::Dns(_) => GeneralNameKind::Dns,
            GenName::Uri(_) => GeneralNameKind::Uri,
            GenName::Ip(_) => GeneralNameKind::Ip,
            GenName::Other(k) => *k,
        }
    }

    pub(crate) fn text(&self) -> String {
        match self {
            GenName::Directory(n) => n.text().to_string(),
            GenName::Rfc822(s) | GenName::Dns(s) | GenName::Uri(s) => s.clone(),
            GenName::Ip(b) => ip_text(b),
            GenName::Other(k) => format!("{k:?}"),
        }
    }
}

fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex::encode(b),
    }
}

/// Does `name` fall within the subtree `base` (both the same kind)? `None` when the kind cannot
/// be matched (kyso fails closed on it).
pub(crate) fn matches(name: &GenName, base: &GenName) -> Option<bool> {
    match (name, base) {
        (GenName::Directory(n), GenName::Directory(b)) => Some(n.within(b)),
        (GenName::Rfc822(n), GenName::Rfc822(b)) => Some(rfc822_matches(n, b)),
        (GenName::Dns(n), GenName::Dns(b)) => Some(dns_matches(n, b)),
        (GenName::Uri(n), GenName::Uri(b)) => Some(uri_host(n).is_some_and(|h| host_matches(&h, b))),
        (GenName::Ip(n), GenName::Ip(b)) => Some(ip_matches(n, b)),
        _ => None,
    }
}

/// rfc822Name constraints (RFC 5280 §4.2.1.10): "user@host" is one mailbox, "host" all mailboxes
/// on that host, ".domain" all mailboxes on hosts in that domain. Hosts compare without case.
/// "@host" is not RFC 5280 syntax (no mailbox has an empty local part), but CAs write it for
/// "every mailbox on host": it is read as the host form, as OpenSSL does — read literally it
/// would match nothing, and an excluded "@host" would exclude nothing.
fn rfc822_matches(name: &str, base: &str) -> bool {
    let Some((local, host)) = name.rsplit_once('@') else { return false };
    if let Some((blocal, bhost)) = base.rsplit_once('@') {
        if blocal.is_empty() {
            return host.eq_ignore_ascii_case(bhost);
        }
        return local == blocal && host.eq_ignore_ascii_case(bhost);
    }
    if let Some(domain) = base.strip_prefix('.') {
        return host.len() > domain.len() + 1
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.';
    }
    host.eq_ignore_ascii_case(base)
}

/// dNSName constraints: the name equals the base or ends with "." + base (a leading period in the
/// base is taken as "subdomains only"); an empty base matches every name.
fn dns_matches(name: &str, base: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if base.is_empty() {
        return true;
    }
    if let Some(domain) = base.strip_prefix('.') {
        return name.len() > domain.len() && ends_with_label(name, domain, true);
    }
    name.eq_ignore_ascii_case(base) || ends_with_label(name, base, false)
}

fn ends_with_label(name: &str, domain: &str, strict: bool) -> bool {
    if name.len() <= domain.len() {
        return !strict && name.eq_ignore_ascii_case(domain);
    }
    let cut = name.len() - domain.len();
    name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(domain) && name.as_bytes()[cut - 1] == b'.'
}

/// URI constraints apply to the host part: "host" exactly, ".domain" hosts within the domain.
fn host_matches(host: &str, base: &str) -> bool {
    if let Some(domain) = base.strip_prefix('.') {
        return ends_with_label(host, domain, true);
    }
    host.eq_ignore_ascii_case(base)
}

/// The host of a URI with an authority (`scheme://[userinfo@]host[:port]/...`); None for URIs
/// without one (e.g. "urn:..."), which cannot be within a URI constraint.
fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        hostport.split(':').next()?
    };
    if host.is_empty() {
        None
    } else {
        Some(host.to_string())
    }
}

/// iPAddress constraints: address and mask of the same family.
fn ip_matches(name: &[u8], base: &[u8]) -> bool {
    let n = name.len();
    if base.len() != 2 * n || !(n == 4 || n == 16) {
        return false;
    }
    let (addr, mask) = base.split_at(n);
    name.iter().zip(addr).zip(mask).all(|((a, b), m)| a & m == b & m)
}

/// Could `name` (a dNSName with a wildcard label, "*.domain") stand for a name inside the
/// excluded subtree `base`? A wildcard covers any one label under its domain, so "*.example.com"
/// meets an exclusion of "bar.example.com" (x509-limbo, CVE-2025-61727).
pub(crate) fn wildcard_meets(name: &GenName, base: &GenName) -> bool {
    match (name, base) {
        (GenName::Dns(n), GenName::Dns(b)) => match n.strip_prefix("*.") {
            Some(domain) => {
                let b = b.strip_prefix('.').unwrap_or(b);
                dns_matches(b, domain)
            }
            None => false,
        },
        _ => false,
    }
}

/// Is a name that a constraint of its type applies to well formed? A malformed name cannot be
/// shown to lie inside the permitted namespace (x509-limbo rfc5280::nc::*-invalid-*-san).
pub(crate) fn well_formed(name: &GenName) -> bool {
    match name {
        GenName::Dns(n) => {
            let n = n.strip_prefix("*.").unwrap_or(n);
            let n = n.strip_suffix('.').unwrap_or(n);
            !n.is_empty()
                && n.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        }
        GenName::Rfc822(m) => match m.rsplit_once('@') {
            Some((local, host)) => !local.is_empty() && !host.is_empty() && (local.starts_with('"') || !local.contains('@')),
            None => false,
        },
        _ => true,
    }
}

/// Is a name-constraint base well formed (an iPAddress base must be address + mask)?
pub(crate) fn base_is_valid(base: &GenName) -> bool {
    match base {
        GenName::Ip(b) => b.len() == 8 || b.len() == 32,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Name with one CN whose value has the tag byte `tag` and contents `cn`.
    fn cn_name(tag: u8, cn: &[u8]) -> Name {
        let mut atv = vec![0x06, 0x03, 0x55, 0x04, 0x03, tag, cn.len() as u8];
        atv.extend_from_slice(cn);
        let mut seq = vec![0x30, atv.len() as u8];
        seq.extend(atv);
        let mut set = vec![0x31, seq.len() as u8];
        set.extend(seq);
        let mut name = vec![0x30, set.len() as u8];
        name.extend(set);
        let (_, n) = X509Name::from_der(&name).expect("a Name");
        Name::from_x509(&n)
    }

    #[test]
    fn only_universal_string_types_are_prepared() {
        // PrintableString and UTF8String spellings of one name are equal (RFC 5280 §7.1)…
        assert_eq!(cn_name(0x13, b"CA Tinh"), cn_name(0x0c, b"ca  tinh"));
        // …but a context-specific [12] with the same bytes is not a UTF8String.
        assert_ne!(cn_name(0x8c, b"CA Tinh"), cn_name(0x0c, b"CA Tinh"));
        assert_eq!(cn_name(0x8c, b"CA Tinh"), cn_name(0x8c, b"CA Tinh"));
    }

    #[test]
    fn string_preparation() {
        assert_eq!(prep_string("  Good   CA "), "good ca");
        assert_eq!(prep_string("Sở Y tế"), prep_string("SỞ Y TẾ"));
        // NFD and NFC forms of "ế" compare equal.
        assert_eq!(prep_string("te\u{0302}\u{0301}"), prep_string("t\u{1ebf}"));
        assert_eq!(prep_string("a\u{00ad}b"), "ab");
    }

    /// The ASCII fast path gives what the general preparation gives.
    #[test]
    fn ascii_preparation_is_the_general_one() {
        let general = |s: &str| {
            // The general path, forced by a non-ASCII character that maps to nothing (U+00AD).
            let with = format!("{s}\u{ad}");
            prep_string(&with)
        };
        for s in ["", " ", "  Good   CA ", "A\tB\r\nC", "x\u{0}y\u{7f}z", "UBND Tinh  Bac Ninh ", "\u{8}  lead", "MiXeD-Case_1.2"] {
            assert_eq!(prep_ascii(s), general(s), "{s:?}");
        }
    }

    fn name(der: &[u8]) -> Name {
        let (_, n) = X509Name::from_der(der).unwrap();
        Name::from_x509(&n)
    }

    /// SEQUENCE OF RDN from (oid bytes, tag, value) per RDN (several AVAs = multi-valued).
    fn dn(rdns: &[&[(&[u8], u8, &str)]]) -> Vec<u8> {
        let tlv = |tag: u8, body: &[u8]| {
            let mut v = vec![tag, u8::try_from(body.len()).unwrap()];
            v.extend_from_slice(body);
            v
        };
        let mut seq = Vec::new();
        for rdn in rdns {
            let mut set = Vec::new();
            for (oid, tag, value) in *rdn {
                set.extend(tlv(0x30, &[tlv(0x06, oid), tlv(*tag, value.as_bytes())].concat()));
            }
            seq.extend(tlv(0x31, &set));
        }
        tlv(0x30, &seq)
    }

    const C: &[u8] = &[0x55, 4, 6];
    const O: &[u8] = &[0x55, 4, 10];
    const CN: &[u8] = &[0x55, 4, 3];

    #[test]
    fn names_compare_by_rfc_5280_7_1() {
        let a = name(&dn(&[&[(C, 0x13, "VN")], &[(O, 0x0c, "UBND tỉnh Bắc Ninh")], &[(CN, 0x13, "CA  Bac Ninh")]]));
        // PrintableString ↔ UTF8String, case, spaces, NFD vs NFC.
        let b = name(&dn(&[&[(C, 0x0c, "vn")], &[(O, 0x0c, "UBND TỈNH BA\u{306}\u{301}C NINH ")], &[(CN, 0x0c, "ca bac ninh")]]));
        assert_eq!(a, b);
        assert_ne!(a.der(), b.der());
        // A different value, a missing RDN, RDNs in another order, another attribute type.
        assert_ne!(a, name(&dn(&[&[(C, 0x13, "VN")], &[(O, 0x0c, "UBND tỉnh Hà Nam")], &[(CN, 0x13, "CA Bac Ninh")]])));
        assert_ne!(a, name(&dn(&[&[(C, 0x13, "VN")], &[(O, 0x0c, "UBND tỉnh Bắc Ninh")]])));
        assert_ne!(a, name(&dn(&[&[(O, 0x0c, "UBND tỉnh Bắc Ninh")], &[(C, 0x13, "VN")], &[(CN, 0x13, "CA Bac Ninh")]])));
        assert_ne!(a, name(&dn(&[&[(C, 0x13, "VN")], &[(CN, 0x0c, "UBND tỉnh Bắc Ninh")], &[(CN, 0x13, "CA Bac Ninh")]])));
        // Multi-valued RDNs are sets.
        let m1 = name(&dn(&[&[(O, 0x0c, "Sở Y tế"), (CN, 0x13, "Van Thu")]]));
        let m2 = name(&dn(&[&[(CN, 0x0c, "van thu"), (O, 0x0c, "SỞ Y TẾ")]]));
        assert_eq!(m1, m2);
        assert_ne!(m1, name(&dn(&[&[(CN, 0x0c, "van thu"), (O, 0x0c, "Sở Tư pháp")]])));
        // Subtrees: a prefix of RDNs, compared the same way.
        let base = name(&dn(&[&[(C, 0x13, "vn")], &[(O, 0x13, "UBND TINH BAC NINH")]]));
        let inside = name(&dn(&[&[(C, 0x13, "VN")], &[(O, 0x0c, "ubnd tinh bac ninh")], &[(CN, 0x0c, "Nguyễn Văn An")]]));
        assert!(inside.within(&base));
        assert!(!base.within(&inside));
        assert_eq!(inside.text(), "C=VN, O=ubnd tinh bac ninh, CN=Nguyễn Văn An");
    }

    #[test]
    fn dns_and_email_constraints() {
        assert!(dns_matches("a.example.com", "example.com"));
        assert!(dns_matches("example.com", "example.com"));
        assert!(!dns_matches("badexample.com", "example.com"));
        assert!(!dns_matches("example.com", ".example.com"));
        assert!(dns_matches("x.example.com", ".example.com"));
        assert!(rfc822_matches("a@mail.example.com", ".example.com"));
        assert!(!rfc822_matches("a@example.com", ".example.com"));
        assert!(rfc822_matches("a@Example.com", "example.com"));
        assert!(rfc822_matches("a@example.com", "a@EXAMPLE.com"));
        assert!(!rfc822_matches("b@example.com", "a@example.com"));
        assert!(rfc822_matches("syt@BacNinh.gov.vn", "@bacninh.gov.vn"));
        assert!(!rfc822_matches("syt@x.bacninh.gov.vn", "@bacninh.gov.vn"));
        assert!(!rfc822_matches("syt@hanam.gov.vn", "@bacninh.gov.vn"));
        assert_eq!(uri_host("http://user@host.example:80/x").as_deref(), Some("host.example"));
        assert_eq!(uri_host("urn:x"), None);
        assert!(ip_matches(&[10, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
        assert!(!ip_matches(&[11, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
    }
}
