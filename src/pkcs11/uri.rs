//! RFC 7512 PKCS#11 URIs: `pkcs11:token=…;object=…;type=private?module-path=…&pin-source=file:…`.
//!
//! ```text
//! pk11-URI   = "pkcs11:" pk11-path [ "?" pk11-query ]
//! pk11-path  = [ pk11-pattr *(";" pk11-pattr) ]     ; token, manufacturer, serial, model,
//!              library-manufacturer, library-description, library-version, object, type, id,
//!              slot-description, slot-manufacturer, slot-id, or "v-…" (vendor)
//! pk11-query = [ pk11-qattr *("&" pk11-qattr) ]     ; pin-source, pin-value, module-name,
//!              module-path, or "v-…" (vendor)
//! ```
//!
//! Values are percent-encoded UTF-8 (`id` is percent-encoded bytes). A path attribute may appear
//! once (RFC 7512 §2.3); so may each standard query attribute. Refused, with the reason:
//! `pin-value` (a PIN written into a URI ends up in shell histories and process lists: give
//! `pin-source` or another PIN source), unknown standard attributes, vendor path attributes
//! (kyso cannot match them, so the URI could select another object than the one meant), bad
//! percent escapes. Unknown vendor query attributes are ignored, as RFC 7512 §2.3 asks.

use std::fmt;
use std::path::PathBuf;

/// The `type` path attribute: the class of the object meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// `type=private`: a private key.
    Private,
    /// `type=public`: a public key.
    Public,
    /// `type=cert`: a certificate.
    Cert,
    /// `type=secret-key`: a secret key.
    SecretKey,
    /// `type=data`: a data object.
    Data,
}

impl ObjectType {
    /// The name RFC 7512 gives it.
    pub fn name(self) -> &'static str {
        match self {
            ObjectType::Private => "private",
            ObjectType::Public => "public",
            ObjectType::Cert => "cert",
            ObjectType::SecretKey => "secret-key",
            ObjectType::Data => "data",
        }
    }
}

/// Why a text is not a PKCS#11 URI kyso accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// It does not start with `pkcs11:`.
    #[error("a PKCS#11 URI starts with 'pkcs11:'")]
    Scheme,
    /// An attribute without `=`.
    #[error("'{0}' is not an attribute=value pair")]
    NotAPair(String),
    /// An attribute RFC 7512 does not define (and not a vendor `v-` query attribute).
    #[error("unknown attribute '{0}' (RFC 7512 defines token, manufacturer, serial, model, object, type, id, slot-id, slot-description, slot-manufacturer, library-*, and in the query pin-source, module-name, module-path)")]
    UnknownAttribute(String),
    /// A vendor attribute in the path: kyso cannot match it.
    #[error("vendor attribute '{0}' in the path: kyso cannot match it, so the URI might select another object")]
    VendorPathAttribute(String),
    /// An attribute given twice.
    #[error("attribute '{0}' appears twice")]
    Duplicate(String),
    /// A `%` not followed by two hexadecimal digits, or a character a URI cannot hold.
    #[error("bad character or percent escape in the value of '{0}'")]
    BadEncoding(String),
    /// A text attribute whose decoded bytes are not UTF-8.
    #[error("the value of '{0}' is not UTF-8 text")]
    NotUtf8(String),
    /// A value that does not parse (`type`, `slot-id`, `library-version`).
    #[error("bad value '{value}' for '{attribute}'")]
    BadValue {
        /// The attribute.
        attribute: String,
        /// The value as written.
        value: String,
    },
    /// `pin-value` is refused.
    #[error("a PIN inside the URI (pin-value) is refused: command lines are visible to other users and kept in shell histories; use pin-source=file:… or another PIN source")]
    PinValue,
    /// `pin-source` that is not a file (`file:` URI or a path).
    #[error("pin-source '{0}' is not a file (pin-source=file:/path or an absolute path)")]
    PinSource(String),
}

/// A parsed PKCS#11 URI. Absent attributes match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token`: the token label.
    pub token: Option<String>,
    /// `manufacturer`: the token manufacturer.
    pub manufacturer: Option<String>,
    /// `serial`: the token serial number.
    pub serial: Option<String>,
    /// `model`: the token model.
    pub model: Option<String>,
    /// `library-manufacturer`.
    pub library_manufacturer: Option<String>,
    /// `library-description`.
    pub library_description: Option<String>,
    /// `library-version`: major and minor.
    pub library_version: Option<(u8, u8)>,
    /// `slot-description`.
    pub slot_description: Option<String>,
    /// `slot-manufacturer`.
    pub slot_manufacturer: Option<String>,
    /// `slot-id`.
    pub slot_id: Option<u64>,
    /// `object`: the object label (CKA_LABEL).
    pub object: Option<String>,
    /// `type`.
    pub object_type: Option<ObjectType>,
    /// `id`: the object identifier (CKA_ID), bytes.
    pub id: Option<Vec<u8>>,
    /// `pin-source`: the file holding the PIN (a `file:` URI's path, or the path as given).
    pub pin_source: Option<PathBuf>,
    /// `module-name`: a module name searched in the usual module folders.
    pub module_name: Option<String>,
    /// `module-path`: the module file, or a folder holding `module-name`.
    pub module_path: Option<PathBuf>,
}

const PATH_ATTRS: &[&str] = &[
    "token",
    "manufacturer",
    "serial",
    "model",
    "library-manufacturer",
    "library-description",
    "library-version",
    "slot-description",
    "slot-manufacturer",
    "slot-id",
    "object",
    "type",
    "id",
];

/// Percent-decodes `v` (RFC 3986 §2.1). Characters that have no place in a URI value (space,
/// controls, the delimiters of the other component) are refused.
fn decode(attr: &str, v: &str, forbidden: &[char]) -> Result<Vec<u8>, UriError> {
    let bad = || UriError::BadEncoding(attr.to_string());
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
            continue;
        }
        if c.is_ascii_whitespace() || c.is_ascii_control() || forbidden.contains(&char::from(c)) {
            return Err(bad());
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

fn text(attr: &str, v: &str, forbidden: &[char]) -> Result<String, UriError> {
    String::from_utf8(decode(attr, v, forbidden)?).map_err(|_| UriError::NotUtf8(attr.to_string()))
}

impl Pkcs11Uri {
    /// Parses a `pkcs11:` URI (the scheme is case-insensitive).
    pub fn parse(s: &str) -> Result<Pkcs11Uri, UriError> {
        let rest = match s.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case("pkcs11:") => s.get(7..).unwrap_or_default(),
            _ => return Err(UriError::Scheme),
        };
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut uri = Pkcs11Uri::default();
        let mut seen: Vec<String> = Vec::new();
        let mut once = |name: &str| -> Result<(), UriError> {
            if seen.iter().any(|s| s == name) {
                return Err(UriError::Duplicate(name.to_string()));
            }
            seen.push(name.to_string());
            Ok(())
        };
        for part in path.split(';').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| UriError::NotAPair(part.to_string()))?;
            if name.starts_with("v-") {
                return Err(UriError::VendorPathAttribute(name.to_string()));
            }
            if !PATH_ATTRS.contains(&name) {
                return Err(UriError::UnknownAttribute(name.to_string()));
            }
            once(name)?;
            let t = |v: &str| text(name, v, &['/', '?', '#', '[', ']']);
            match name {
                "token" => uri.token = Some(t(value)?),
                "manufacturer" => uri.manufacturer = Some(t(value)?),
                "serial" => uri.serial = Some(t(value)?),
                "model" => uri.model = Some(t(value)?),
                "library-manufacturer" => uri.library_manufacturer = Some(t(value)?),
                "library-description" => uri.library_description = Some(t(value)?),
                "slot-description" => uri.slot_description = Some(t(value)?),
                "slot-manufacturer" => uri.slot_manufacturer = Some(t(value)?),
                "object" => uri.object = Some(t(value)?),
                "id" => uri.id = Some(decode(name, value, &['/', '?', '#', '[', ']'])?),
                "slot-id" => {
                    let v = t(value)?;
                    uri.slot_id = Some(v.parse().map_err(|_| UriError::BadValue { attribute: name.into(), value: v })?);
                }
                "library-version" => {
                    let v = t(value)?;
                    let (maj, min) = v.split_once('.').unwrap_or((v.as_str(), "0"));
                    let parsed = maj.parse::<u8>().ok().zip(min.parse::<u8>().ok());
                    uri.library_version = Some(parsed.ok_or_else(|| UriError::BadValue { attribute: name.into(), value: v.clone() })?);
                }
                "type" => {
                    let v = t(value)?;
                    uri.object_type = Some(match v.as_str() {
                        "private" => ObjectType::Private,
                        "public" => ObjectType::Public,
                        "cert" => ObjectType::Cert,
                        "secret-key" => ObjectType::SecretKey,
                        "data" => ObjectType::Data,
                        _ => return Err(UriError::BadValue { attribute: name.into(), value: v }),
                    });
                }
                _ => return Err(UriError::UnknownAttribute(name.to_string())),
            }
        }
        for part in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| UriError::NotAPair(part.to_string()))?;
            // The query may hold '/' and '?' unescaped (RFC 3986 §3.4).
            let t = |v: &str| text(name, v, &['#', '[', ']']);
            match name {
                "pin-value" => return Err(UriError::PinValue),
                "pin-source" => {
                    once(name)?;
                    let v = t(value)?;
                    let path = match v.strip_prefix("file:") {
                        // file:/abs, file:///abs, file://localhost/abs (RFC 8089)
                        Some(p) => p.strip_prefix("//localhost").or_else(|| p.strip_prefix("//")).unwrap_or(p).to_string(),
                        None if v.starts_with('/') => v.clone(),
                        None => return Err(UriError::PinSource(v)),
                    };
                    if path.is_empty() || path.contains("://") {
                        return Err(UriError::PinSource(v));
                    }
                    uri.pin_source = Some(PathBuf::from(path));
                }
                "module-name" => {
                    once(name)?;
                    uri.module_name = Some(t(value)?);
                }
                "module-path" => {
                    once(name)?;
                    uri.module_path = Some(PathBuf::from(t(value)?));
                }
                _ if name.starts_with("v-") => {}
                _ => return Err(UriError::UnknownAttribute(name.to_string())),
            }
        }
        Ok(uri)
    }

    /// True when the text is meant as a PKCS#11 URI (starts with `pkcs11:`, any case).
    pub fn is_uri(s: &str) -> bool {
        s.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("pkcs11:"))
    }

    /// The path attributes that select a token (for messages): `token=kyso;serial=…`, or
    /// "any token" when none is given.
    pub fn token_part(&self) -> String {
        let mut parts = Vec::new();
        push(&mut parts, "token", self.token.as_deref());
        push(&mut parts, "manufacturer", self.manufacturer.as_deref());
        push(&mut parts, "serial", self.serial.as_deref());
        push(&mut parts, "model", self.model.as_deref());
        push(&mut parts, "slot-description", self.slot_description.as_deref());
        push(&mut parts, "slot-manufacturer", self.slot_manufacturer.as_deref());
        if let Some(id) = self.slot_id {
            parts.push(format!("slot-id={id}"));
        }
        if parts.is_empty() {
            "any token".into()
        } else {
            parts.join(";")
        }
    }

    /// The path attributes that select an object (for messages): `object=unit;id=%01`, or "any
    /// object" when none is given.
    pub fn object_part(&self) -> String {
        let mut parts = Vec::new();
        push(&mut parts, "object", self.object.as_deref());
        if let Some(t) = self.object_type {
            parts.push(format!("type={}", t.name()));
        }
        if let Some(id) = &self.id {
            parts.push(format!("id={}", encode_bytes(id)));
        }
        if parts.is_empty() {
            "any object".into()
        } else {
            parts.join(";")
        }
    }
}

fn push(parts: &mut Vec<String>, name: &str, v: Option<&str>) {
    if let Some(v) = v {
        parts.push(format!("{name}={}", encode_text(v)));
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes every byte (RFC 7512 writes `id` this way).
fn encode_bytes(v: &[u8]) -> String {
    v.iter().map(|b| format!("%{b:02X}")).collect()
}

/// The URI in RFC 7512 form, path then query; `pin-source` is written, a PIN never is.
impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = Vec::new();
        push(&mut path, "token", self.token.as_deref());
        push(&mut path, "manufacturer", self.manufacturer.as_deref());
        push(&mut path, "serial", self.serial.as_deref());
        push(&mut path, "model", self.model.as_deref());
        push(&mut path, "library-manufacturer", self.library_manufacturer.as_deref());
        push(&mut path, "library-description", self.library_description.as_deref());
        if let Some((a, b)) = self.library_version {
            path.push(format!("library-version={a}.{b}"));
        }
        push(&mut path, "slot-description", self.slot_description.as_deref());
        push(&mut path, "slot-manufacturer", self.slot_manufacturer.as_deref());
        if let Some(id) = self.slot_id {
            path.push(format!("slot-id={id}"));
        }
        push(&mut path, "object", self.object.as_deref());
        if let Some(t) = self.object_type {
            path.push(format!("type={}", t.name()));
        }
        if let Some(id) = &self.id {
            path.push(format!("id={}", encode_bytes(id)));
        }
        let mut query = Vec::new();
        let path_text = |p: &std::path::Path| p.to_string_lossy().split('/').map(encode_text).collect::<Vec<_>>().join("/");
        if let Some(p) = &self.module_path {
            query.push(format!("module-path={}", path_text(p)));
        }
        push(&mut query, "module-name", self.module_name.as_deref());
        if let Some(p) = &self.pin_source {
            query.push(format!("pin-source=file:{}", path_text(p)));
        }
        write!(f, "pkcs11:{}", path.join(";"))?;
        if !query.is_empty() {
            write!(f, "?{}", query.join("&"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7512_examples_parse() {
        // RFC 7512 §3 examples (those without vendor path attributes or pin-value).
        let u = Pkcs11Uri::parse("pkcs11:").unwrap();
        assert_eq!(u, Pkcs11Uri::default());
        let u = Pkcs11Uri::parse("pkcs11:object=my-pubkey;type=public").unwrap();
        assert_eq!((u.object.as_deref(), u.object_type), (Some("my-pubkey"), Some(ObjectType::Public)));
        let u = Pkcs11Uri::parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=").unwrap();
        assert_eq!(u.token.as_deref(), Some("The Software PKCS#11 Softtoken"));
        assert_eq!(u.manufacturer.as_deref(), Some("Snake Oil, Inc."));
        assert_eq!(u.id.as_deref(), Some(&[0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91][..]));
        assert_eq!(u.serial.as_deref(), Some(""));
        let u = Pkcs11Uri::parse("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11").unwrap();
        assert_eq!(u.module_name.as_deref(), Some("mypkcs11"));
        let u = Pkcs11Uri::parse("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1").unwrap();
        assert_eq!(u.module_path, Some(PathBuf::from("/mnt/libmypkcs11.so.1")));
        let u = Pkcs11Uri::parse("pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-source=file:/etc/token").unwrap();
        assert_eq!(u.pin_source, Some(PathBuf::from("/etc/token")));
        let u = Pkcs11Uri::parse("pkcs11:slot-description=Sun%20Metaslot").unwrap();
        assert_eq!(u.slot_description.as_deref(), Some("Sun Metaslot"));
        let u = Pkcs11Uri::parse("pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23").unwrap();
        assert_eq!(u.library_version, Some((1, 23)));
        let u = Pkcs11Uri::parse("pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert").unwrap();
        assert_eq!(u.token.as_deref(), Some("A name with a substring %;"));
        let u = Pkcs11Uri::parse("pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert").unwrap();
        assert_eq!(u.token.as_deref(), Some("Name with a small A with acute: á"));
        // a vendor query attribute is ignored
        assert!(Pkcs11Uri::parse("pkcs11:token=my-token;object=my-certificate;type=cert?v-x=1").is_ok());
        assert_eq!(Pkcs11Uri::parse("PKCS11:slot-id=3").unwrap().slot_id, Some(3));
    }

    #[test]
    fn refusals_are_typed() {
        let e = |s| Pkcs11Uri::parse(s).unwrap_err();
        assert_eq!(e("pkcs12:token=x"), UriError::Scheme);
        assert_eq!(e("pkcs11:token=a;token=b"), UriError::Duplicate("token".into()));
        assert_eq!(e("pkcs11:tokn=a"), UriError::UnknownAttribute("tokn".into()));
        assert_eq!(e("pkcs11:token=a?pin-value=1234"), UriError::PinValue);
        assert_eq!(e("pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a"), UriError::UnknownAttribute("vendor-aaa".into()));
        assert_eq!(e("pkcs11:v-a=1"), UriError::VendorPathAttribute("v-a".into()));
        assert_eq!(e("pkcs11:token=a%2"), UriError::BadEncoding("token".into()));
        assert_eq!(e("pkcs11:token=a%zz"), UriError::BadEncoding("token".into()));
        assert_eq!(e("pkcs11:token=a b"), UriError::BadEncoding("token".into()));
        assert_eq!(e("pkcs11:token=%C3"), UriError::NotUtf8("token".into()));
        assert_eq!(e("pkcs11:type=key"), UriError::BadValue { attribute: "type".into(), value: "key".into() });
        assert_eq!(e("pkcs11:slot-id=-1"), UriError::BadValue { attribute: "slot-id".into(), value: "-1".into() });
        assert_eq!(e("pkcs11:token"), UriError::NotAPair("token".into()));
        assert_eq!(e("pkcs11:?pin-source=pin.txt"), UriError::PinSource("pin.txt".into()));
        assert_eq!(e("pkcs11:?pin-source=https://x/pin"), UriError::PinSource("https://x/pin".into()));
        assert_eq!(e("pkcs11:?module-path=/a&module-path=/b"), UriError::Duplicate("module-path".into()));
        // multi-byte UTF-8 around the scheme boundary never panics
        assert_eq!(e("pkcs1á"), UriError::Scheme);
        assert_eq!(e(""), UriError::Scheme);
    }

    #[test]
    fn pin_source_forms() {
        for (s, want) in [("file:/run/pin", "/run/pin"), ("file:///run/pin", "/run/pin"), ("file://localhost/run/pin", "/run/pin"), ("/run/pin", "/run/pin")] {
            let u = Pkcs11Uri::parse(&format!("pkcs11:token=a?pin-source={s}")).unwrap();
            assert_eq!(u.pin_source, Some(PathBuf::from(want)), "{s}");
        }
    }

    #[test]
    fn display_round_trips() {
        let s = "pkcs11:token=S%E1%BB%9F%20Y%20t%E1%BA%BF;serial=41a6;object=unit%20key;type=private;id=%01%FF?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/tmp/p%20in";
        let u = Pkcs11Uri::parse(s).unwrap();
        assert_eq!(u.token.as_deref(), Some("Sở Y tế"));
        assert_eq!(u.pin_source, Some(PathBuf::from("/tmp/p in")));
        assert_eq!(u.to_string(), s);
        assert_eq!(Pkcs11Uri::parse(&u.to_string()).unwrap(), u);
        assert_eq!(u.token_part(), "token=S%E1%BB%9F%20Y%20t%E1%BA%BF;serial=41a6");
        assert_eq!(u.object_part(), "object=unit%20key;type=private;id=%01%FF");
        assert_eq!(Pkcs11Uri::default().token_part(), "any token");
        assert!(Pkcs11Uri::is_uri("PKCS11:x") && !Pkcs11Uri::is_uri("unit.key") && !Pkcs11Uri::is_uri("pkcs1"));
    }
}
