//! Certificate profiles: the rules for each kind of certificate the provincial CA issues, as
//! data checked before signing (DESIGN.md §1: agency seal certificates, competent persons'
//! certificates, timestamping units, issuing sub-CAs).

use crate::alg::oid;
use rcgen::{DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, KeyUsagePurpose};
use std::fmt;

/// Longest validity of an official-duty certificate (DESIGN.md §1: at most 5 years).
pub const MAX_LEAF_YEARS: u32 = 5;
/// Longest validity of a CA certificate kyso creates. 30 years covers a provincial root's life.
pub const MAX_CA_YEARS: u32 = 30;
/// Longest attribute value kyso puts in a name (RFC 5280 appendix A upper bounds are 64 for
/// CN/O/OU/title and 128 for ST/L; kyso enforces the same to stay interoperable).
const MAX_NAME_CHARS: usize = 64;
const MAX_PLACE_CHARS: usize = 128;

/// What kind of certificate to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// An organisation's seal signature: CN and O are the unit's name, UID `MST:`/`MNS:`.
    Agency,
    /// A competent person: CN is the full name, a title is required, O is the unit, UID `CCCD:`.
    Person,
    /// A timestamping unit (RFC 3161): EKU id-kp-timeStamping, critical and alone.
    Tsa,
    /// An issuing CA under this CA (made by `ca init --parent`).
    SubCa,
    /// A delegated OCSP responder (RFC 6960 §4.2.2.2): EKU id-kp-OCSPSigning alone,
    /// id-pkix-ocsp-nocheck, valid [`OCSP_RESPONDER_DAYS`] days.
    Ocsp,
}

/// Validity of a delegated OCSP responder certificate. With id-pkix-ocsp-nocheck a client never
/// checks its revocation (RFC 6960 §4.2.2.2.1: such a certificate should be short-lived), so a
/// stolen responder key is only good until it expires: 30 days, renewed monthly.
pub const OCSP_RESPONDER_DAYS: i64 = 30;

impl Profile {
    /// The name used on the command line and in the registry.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Agency => "agency",
            Profile::Person => "person",
            Profile::Tsa => "tsa",
            Profile::SubCa => "ca",
            Profile::Ocsp => "ocsp",
        }
    }

    /// Parses a registry / command-line name.
    pub fn from_name(s: &str) -> Option<Profile> {
        [Profile::Agency, Profile::Person, Profile::Tsa, Profile::SubCa, Profile::Ocsp].into_iter().find(|p| p.name() == s)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The subject of a certificate or request, in Vietnamese (UTF-8). Empty optional fields are
/// left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectInfo {
    /// commonName: the unit's or the person's name.
    pub cn: String,
    /// organizationName: the unit.
    pub org: Option<String>,
    /// organizationalUnitName.
    pub ou: Option<String>,
    /// title (X.520): the competent person's position.
    pub title: Option<String>,
    /// UID (RFC 4519) with a prefix: `MST:`, `MNS:` (units), `CCCD:` (persons).
    pub uid: Option<String>,
    /// An e-mail address, written as a subjectAltName rfc822Name.
    pub email: Option<String>,
    /// stateOrProvinceName.
    pub province: Option<String>,
    /// localityName.
    pub locality: Option<String>,
}

/// A field of [`SubjectInfo`], as [`ProfileError`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// [`SubjectInfo::cn`].
    Cn,
    /// [`SubjectInfo::org`].
    Org,
    /// [`SubjectInfo::ou`].
    Ou,
    /// [`SubjectInfo::title`].
    Title,
    /// [`SubjectInfo::uid`].
    Uid,
    /// [`SubjectInfo::email`].
    Email,
    /// [`SubjectInfo::province`].
    Province,
    /// [`SubjectInfo::locality`].
    Locality,
}

impl Field {
    /// The field's name in [`SubjectInfo`] (`cn`, `org`, …).
    pub fn name(self) -> &'static str {
        match self {
            Field::Cn => "cn",
            Field::Org => "org",
            Field::Ou => "ou",
            Field::Title => "title",
            Field::Uid => "uid",
            Field::Email => "email",
            Field::Province => "province",
            Field::Locality => "locality",
        }
    }

    /// What the field holds, in words.
    fn described(self) -> &'static str {
        match self {
            Field::Cn => "the name (CN)",
            Field::Org => "the organisation (O)",
            Field::Ou => "the organisational unit (OU)",
            Field::Title => "the title",
            Field::Uid => "the UID",
            Field::Email => "the e-mail address",
            Field::Province => "the province (ST)",
            Field::Locality => "the locality (L)",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.described())
    }
}

/// A subject that breaks a profile rule: which field, which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The field is empty (or only spaces).
    #[error("{0} is empty")]
    Empty(Field),
    /// The field is longer than the profile allows.
    #[error("{field} is {length} characters long (at most {max})")]
    TooLong {
        /// The field.
        field: Field,
        /// Its length in characters.
        length: usize,
        /// The limit (RFC 5280 appendix A upper bounds).
        max: usize,
    },
    /// The field contains control characters.
    #[error("{0} contains control characters")]
    ControlCharacters(Field),
    /// The e-mail address is not an ASCII `local@domain`.
    #[error("'{0}' is not an ASCII e-mail address")]
    BadEmail(String),
    /// The UID is only a prefix.
    #[error("the UID {prefix} has no value after the prefix")]
    UidWithoutValue {
        /// The prefix given.
        prefix: &'static str,
    },
    /// The UID does not start with a prefix this profile accepts.
    #[error("the UID '{value}' of {} certificate must start with {}", article(*.profile), .accepted.join(" or "))]
    UidPrefix {
        /// The UID given.
        value: String,
        /// The profile.
        profile: Profile,
        /// The prefixes it accepts ([`AGENCY_UID_PREFIXES`], [`PERSON_UID_PREFIXES`]).
        accepted: &'static [&'static str],
    },
    /// The profile needs this field.
    #[error("{} certificate needs {field}", article(*.profile))]
    Missing {
        /// The field.
        field: Field,
        /// The profile.
        profile: Profile,
    },
    /// The field does not belong to this profile.
    #[error("{field} does not belong to {} certificate", article(*.profile))]
    NotAllowed {
        /// The field.
        field: Field,
        /// The profile.
        profile: Profile,
    },
    /// The name cannot be encoded.
    #[error("cannot encode the name: {0}")]
    Encoding(String),
}

/// "an agency", "a person", …
fn article(p: Profile) -> String {
    match p {
        Profile::Agency => "an agency".into(),
        other => format!("a {other}"),
    }
}

/// UID prefixes accepted for organisations (tax code, budget-unit code).
pub const AGENCY_UID_PREFIXES: &[&str] = &["MST:", "MNS:"];
/// UID prefixes accepted for persons (citizen identity card, old identity card, passport).
pub const PERSON_UID_PREFIXES: &[&str] = &["CCCD:", "CMND:", "HC:"];

fn check_len(field: Field, v: &str, max: usize) -> Result<(), ProfileError> {
    let length = v.chars().count();
    if v.trim().is_empty() {
        return Err(ProfileError::Empty(field));
    }
    if length > max {
        return Err(ProfileError::TooLong { field, length, max });
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(ProfileError::ControlCharacters(field));
    }
    Ok(())
}

fn check_uid(v: &str, accepted: &'static [&'static str], profile: Profile) -> Result<(), ProfileError> {
    check_len(Field::Uid, v, MAX_NAME_CHARS)?;
    match accepted.iter().find(|p| v.starts_with(**p)) {
        Some(p) if v.len() > p.len() => Ok(()),
        Some(prefix) => Err(ProfileError::UidWithoutValue { prefix }),
        None => Err(ProfileError::UidPrefix { value: v.to_string(), profile, accepted }),
    }
}

impl SubjectInfo {
    /// Checks the subject against `profile`'s rules.
    pub fn check(&self, profile: Profile) -> Result<(), ProfileError> {
        check_len(Field::Cn, &self.cn, MAX_NAME_CHARS)?;
        for (field, v, max) in [
            (Field::Org, &self.org, MAX_NAME_CHARS),
            (Field::Ou, &self.ou, MAX_NAME_CHARS),
            (Field::Title, &self.title, MAX_NAME_CHARS),
            (Field::Province, &self.province, MAX_PLACE_CHARS),
            (Field::Locality, &self.locality, MAX_PLACE_CHARS),
        ] {
            if let Some(v) = v {
                check_len(field, v, max)?;
            }
        }
        if let Some(e) = &self.email {
            let ok = e.is_ascii() && e.split('@').count() == 2 && !e.starts_with('@') && !e.ends_with('@');
            if !ok || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ProfileError::BadEmail(e.clone()));
            }
        }
        match profile {
            Profile::Agency => {
                if self.title.is_some() {
                    return Err(ProfileError::NotAllowed { field: Field::Title, profile });
                }
                if let Some(u) = &self.uid {
                    check_uid(u, AGENCY_UID_PREFIXES, profile)?;
                }
            }
            Profile::Person => {
                if self.title.is_none() {
                    return Err(ProfileError::Missing { field: Field::Title, profile });
                }
                if self.org.is_none() {
                    return Err(ProfileError::Missing { field: Field::Org, profile });
                }
                if let Some(u) = &self.uid {
                    check_uid(u, PERSON_UID_PREFIXES, profile)?;
                }
            }
            Profile::Tsa | Profile::SubCa | Profile::Ocsp => {
                if self.title.is_some() {
                    return Err(ProfileError::NotAllowed { field: Field::Title, profile });
                }
            }
        }
        Ok(())
    }

    /// The distinguished name: C=VN, ST, L, O, OU, title, CN, UID — all UTF8String but the
    /// country (PrintableString, RFC 5280 appendix A). For an agency without `--org`, O = CN.
    pub(crate) fn dn(&self, org_defaults_to_cn: bool) -> Result<DistinguishedName, ProfileError> {
        let mut dn = DistinguishedName::new();
        let vn = rcgen::string::PrintableString::try_from("VN").map_err(|e| ProfileError::Encoding(e.to_string()))?;
        dn.push(DnType::CountryName, DnValue::PrintableString(vn));
        if let Some(v) = &self.province {
            dn.push(DnType::StateOrProvinceName, v.as_str());
        }
        if let Some(v) = &self.locality {
            dn.push(DnType::LocalityName, v.as_str());
        }
        let org = match &self.org {
            Some(o) => Some(o.clone()),
            None if org_defaults_to_cn => Some(self.cn.clone()),
            None => None,
        };
        if let Some(v) = org {
            dn.push(DnType::OrganizationName, v);
        }
        if let Some(v) = &self.ou {
            dn.push(DnType::OrganizationalUnitName, v.as_str());
        }
        if let Some(v) = &self.title {
            dn.push(DnType::CustomDnType(oid_arcs(&oid::AT_TITLE)), v.as_str());
        }
        dn.push(DnType::CommonName, self.cn.as_str());
        if let Some(v) = &self.uid {
            dn.push(DnType::CustomDnType(oid_arcs(&oid::AT_UID)), v.as_str());
        }
        Ok(dn)
    }
}

/// The arcs of an OID as rcgen wants them.
pub(crate) fn oid_arcs(o: &const_oid::ObjectIdentifier) -> Vec<u64> {
    o.arcs().map(u64::from).collect()
}

/// Key usage of end-entity profiles (critical, written by rcgen).
pub(crate) fn key_usages(profile: Profile) -> Vec<KeyUsagePurpose> {
    match profile {
        Profile::Agency | Profile::Person => {
            vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment]
        }
        Profile::Tsa | Profile::Ocsp => vec![KeyUsagePurpose::DigitalSignature],
        Profile::SubCa => vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
    }
}

/// Extended key usage written by rcgen (non-critical). The TSA profile writes its own critical
/// extension instead (see [`tsa_eku_extension`]).
pub(crate) fn extended_key_usages(profile: Profile) -> Vec<ExtendedKeyUsagePurpose> {
    match profile {
        Profile::Agency | Profile::Person => vec![
            ExtendedKeyUsagePurpose::EmailProtection,
            ExtendedKeyUsagePurpose::Other(oid_arcs(&oid::KP_DOCUMENT_SIGNING)),
        ],
        Profile::Ocsp => vec![ExtendedKeyUsagePurpose::OcspSigning],
        Profile::Tsa | Profile::SubCa => Vec::new(),
    }
}

/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): NULL, non-critical.
pub(crate) fn ocsp_nocheck_extension() -> rcgen::CustomExtension {
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 48, 1, 5], vec![0x05, 0x00])
}

/// RFC 3161 §2.3: the TSA certificate's EKU is id-kp-timeStamping alone, marked critical.
pub(crate) fn tsa_eku_extension() -> rcgen::CustomExtension {
    // SEQUENCE { OID 1.3.6.1.5.5.7.3.8 }
    let content = vec![0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
    let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], content);
    ext.set_criticality(true);
    ext
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> SubjectInfo {
        SubjectInfo {
            cn: "Nguyễn Văn An".into(),
            org: Some("Văn phòng UBND tỉnh Bắc Ninh".into()),
            title: Some("Chánh Văn phòng".into()),
            uid: Some("CCCD:027080000001".into()),
            ..Default::default()
        }
    }

    #[test]
    fn person_rules() {
        assert_eq!(person().check(Profile::Person), Ok(()));
        let mut p = person();
        p.title = None;
        assert_eq!(p.check(Profile::Person), Err(ProfileError::Missing { field: Field::Title, profile: Profile::Person }));
        let mut p = person();
        p.uid = Some("MST:0101".into());
        let e = p.check(Profile::Person).unwrap_err();
        assert!(matches!(&e, ProfileError::UidPrefix { value, accepted, .. } if value == "MST:0101" && accepted.contains(&"CCCD:")), "{e}");
        assert_eq!(e.to_string(), "the UID 'MST:0101' of a person certificate must start with CCCD: or CMND: or HC:");
        let mut p = person();
        p.org = None;
        let e = p.check(Profile::Person).unwrap_err();
        assert_eq!(e, ProfileError::Missing { field: Field::Org, profile: Profile::Person });
        assert_eq!(e.to_string(), "a person certificate needs the organisation (O)");
    }

    #[test]
    fn agency_rules() {
        let a = SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), uid: Some("MNS:1000001".into()), ..Default::default() };
        assert_eq!(a.check(Profile::Agency), Ok(()));
        let mut b = a.clone();
        b.title = Some("Giám đốc".into());
        let e = b.check(Profile::Agency).unwrap_err();
        assert_eq!(e, ProfileError::NotAllowed { field: Field::Title, profile: Profile::Agency });
        assert_eq!(e.to_string(), "the title does not belong to an agency certificate");
        let mut b = a.clone();
        b.uid = Some("MST:".into());
        assert_eq!(b.check(Profile::Agency), Err(ProfileError::UidWithoutValue { prefix: "MST:" }));
        let mut b = a;
        b.cn = "x".repeat(65);
        assert_eq!(b.check(Profile::Agency), Err(ProfileError::TooLong { field: Field::Cn, length: 65, max: 64 }));
    }

    #[test]
    fn tsa_eku_is_id_kp_timestamping() {
        let ext = tsa_eku_extension();
        assert!(ext.criticality());
        let seq: Vec<const_oid::ObjectIdentifier> = der::Decode::from_der(ext.content()).unwrap();
        assert_eq!(seq, vec![oid::KP_TIME_STAMPING]);
    }
}
