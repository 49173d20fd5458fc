//! The document security store (/DSS) of a PDF: validation data kept in the document so that a
//! recipient can verify its signatures offline (PAdES-B-LT, ETSI EN 319 142-1 §5.4; the /DSS
//! dictionary of ISO 32000-2 §12.8.4.3).
//!
//! - [`add_dss`] appends an incremental update that adds certificates and CRLs to the /DSS,
//!   creating it on the first call and keeping everything an existing one holds (its /OCSPs,
//!   /VRI and any other entry), so that every earlier signature stays valid: a /DSS added after
//!   a signature is an allowed change ([`super::Modifications::SignaturesAndFormFilling`]).
//! - [`document_security_store`] reads the /DSS back: the DER of every certificate, CRL and OCSP
//!   response stream, each bounded in size and number, with the entries that could not be read
//!   named in [`Dss::problems`].
//!
//! Not done here: checking the certificates or CRLs (they are evidence for the verifier, which
//! checks each CRL's signature and times as for CRLs given on the command line), per-signature
//! /VRI dictionaries (optional in PAdES-B-LT and not written: the verifier uses the whole store),
//! and OCSP responses (kyso's CA publishes CRLs; /OCSPs entries are read and kept, not used).

use super::font::deflate;
use super::write::{catalog_entry_object, next_object_number, update_trailer, Update, XrefKind};
use super::{deref, load, PdfError};
use crate::findings::DssProblem;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

/// Budget on entries read from each /DSS array (/Certs, /CRLs, /OCSPs). A B-LT document needs
/// one certificate per CA and signer and one CRL per CA: a dozen; a long-archived document
/// with several renewals a few dozen. 256 bounds the decompression work a hostile file causes.
pub const MAX_DSS_ENTRIES: usize = 256;

/// Budget on one /DSS stream once decoded: the verifier accepts CRL files up to 32 MiB
/// (`kyso::verify::MAX_SIGNATURE_FILE_SIZE`), and a certificate is a few kilobytes.
pub const MAX_DSS_STREAM_BYTES: usize = 32 * 1024 * 1024;

/// Budget on all /DSS streams together once decoded: twice a large national CRL.
const MAX_DSS_TOTAL_BYTES: usize = 64 * 1024 * 1024;

/// The validation data of a PDF's /DSS, each item the DER held by one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dss {
    /// /Certs: DER certificates.
    pub certificates: Vec<Vec<u8>>,
    /// /CRLs: DER CertificateLists.
    pub crls: Vec<Vec<u8>>,
    /// /OCSPs: DER OCSPResponses (read, not used by kyso's verifier).
    pub ocsps: Vec<Vec<u8>>,
    /// Entries that were skipped, and why (not a stream, too large, cannot be decoded, over
    /// [`MAX_DSS_ENTRIES`]).
    pub problems: Vec<crate::findings::DssProblem>,
}

impl Dss {
    /// True when the store holds no certificate, CRL or OCSP response.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.crls.is_empty() && self.ocsps.is_empty()
    }
}

/// What [`add_dss`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DssUpdate {
    /// The whole PDF: the input, then the incremental update (the input unchanged when there
    /// was nothing new to add).
    pub bytes: Vec<u8>,
    /// Certificates added (those already in the store are not added twice).
    pub certificates_added: usize,
    /// CRLs added.
    pub crls_added: usize,
    /// OCSP responses added.
    pub ocsps_added: usize,
}

/// Reads the /DSS of `pdf`, if it has one. See [`Dss`] for what is kept.
pub fn document_security_store(pdf: &[u8]) -> Result<Option<Dss>, PdfError> {
    let doc = load(pdf)?;
    Ok(read(&doc))
}

/// The /DSS of a loaded document (`None` when the catalog has none).
pub(crate) fn read(doc: &Document) -> Option<Dss> {
    let catalog = catalog(doc).ok()?.1;
    let dss = match catalog.get(b"DSS").ok().map(|o| deref(doc, o)) {
        Some(Object::Dictionary(d)) => d,
        _ => return None,
    };
    let mut out = Dss::default();
    let mut total = 0usize;
    for (key, list) in [("Certs", &mut out.certificates), ("CRLs", &mut out.crls), ("OCSPs", &mut out.ocsps)] {
        let entries = match dss.get(key.as_bytes()).ok().map(|o| deref(doc, o)) {
            None | Some(Object::Null) => continue,
            Some(Object::Array(a)) => a,
            Some(_) => {
                out.problems.push(DssProblem::NotAnArray { key });
                continue;
            }
        };
        if entries.len() > MAX_DSS_ENTRIES {
            out.problems.push(DssProblem::TooManyEntries { key, ignored: entries.len() - MAX_DSS_ENTRIES, limit: MAX_DSS_ENTRIES });
        }
        for (i, e) in entries.iter().take(MAX_DSS_ENTRIES).enumerate() {
            let Object::Stream(s) = deref(doc, e) else {
                out.problems.push(DssProblem::NotAStream { key, index: i + 1 });
                continue;
            };
            let left = MAX_DSS_TOTAL_BYTES.saturating_sub(total).min(MAX_DSS_STREAM_BYTES);
            match s.get_plain_content_with_limit(left) {
                Ok(bytes) if is_one_der_sequence(&bytes) => {
                    total += bytes.len();
                    list.push(bytes);
                }
                // lopdf yields what it could inflate from a damaged stream: often nothing.
                Ok(_) => out.problems.push(DssProblem::NotOneDerObject { key, index: i + 1 }),
                Err(e) => out.problems.push(DssProblem::Undecodable { key, index: i + 1, message: e.to_string() }),
            }
        }
    }
    Some(out)
}

/// Appends to `pdf` an incremental update whose /DSS holds `certificates` and `crls` (DER) in
/// addition to what an existing /DSS holds; items already present (same bytes) are not added
/// again. Each item is a FlateDecode stream. Nothing is written when nothing is new.
///
/// Checks done here: each item is one DER SEQUENCE (a PEM or garbage input is refused, not
/// stored). Not checked: what the items are (the caller gives the signer's chain and CRLs).
pub fn add_dss(pdf: &[u8], certificates: &[Vec<u8>], crls: &[Vec<u8>]) -> Result<DssUpdate, PdfError> {
    add_dss_with(pdf, &DssItems { certificates, crls, ocsps: &[], vri: None })
}

/// What [`add_dss_with`] adds to the /DSS.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct DssItems<'a> {
    /// DER certificates.
    pub certificates: &'a [Vec<u8>],
    /// DER CRLs.
    pub crls: &'a [Vec<u8>],
    /// DER OCSPResponses (/OCSPs).
    pub ocsps: &'a [Vec<u8>],
    /// The signature (its CMS, as put in /Contents without padding) whose /VRI entry lists the
    /// items added (ETSI EN 319 142-1 §5.4.2.2: keyed by the upper-case hex SHA-1 of it).
    pub vri: Option<&'a [u8]>,
}

impl<'a> DssItems<'a> {
    /// Certificates, CRLs and OCSP responses, with a /VRI entry for `signature` when given.
    pub fn new(certificates: &'a [Vec<u8>], crls: &'a [Vec<u8>], ocsps: &'a [Vec<u8>], vri: Option<&'a [u8]>) -> DssItems<'a> {
        DssItems { certificates, crls, ocsps, vri }
    }
}

/// [`add_dss`] with OCSP responses (/OCSPs) and a per-signature /VRI entry.
pub fn add_dss_with(pdf: &[u8], items_in: &DssItems<'_>) -> Result<DssUpdate, PdfError> {
    let (certificates, crls, ocsps) = (items_in.certificates, items_in.crls, items_in.ocsps);
    for (what, items) in [("certificate", certificates), ("CRL", crls), ("OCSP response", ocsps)] {
        for item in items {
            if !is_one_der_sequence(item) {
                return Err(PdfError::Structure(format!("a {what} for the /DSS is not one DER SEQUENCE")));
            }
        }
    }
    let doc = load(pdf)?;
    if doc.xref_recovery.is_some() {
        return Err(PdfError::DamagedXref);
    }
    let kind = match doc.reference_table.cross_reference_type {
        lopdf::xref::XrefType::CrossReferenceStream => XrefKind::Stream,
        lopdf::xref::XrefType::CrossReferenceTable => XrefKind::Table,
    };
    let (root_id, catalog) = catalog(&doc)?;
    let existing = read(&doc).unwrap_or_default();
    if existing.certificates.len() + certificates.len() > MAX_DSS_ENTRIES
        || existing.crls.len() + crls.len() > MAX_DSS_ENTRIES
        || existing.ocsps.len() + ocsps.len() > MAX_DSS_ENTRIES
    {
        return Err(PdfError::TooComplex(format!("more than {MAX_DSS_ENTRIES} certificates or CRLs in the /DSS")));
    }
    let mut next = next_object_number(&doc)?;
    let mut alloc = || {
        let id: ObjectId = (next, 0);
        next += 1;
        id
    };
    // The store as it is: its dictionary (kept whole) and where it lives.
    let (dss_id, mut dss, rewrite_catalog) = catalog_entry_object(&doc, catalog, b"DSS", &mut alloc);
    let mut objects: Vec<(ObjectId, Object)> = Vec::new();
    let mut added = [0usize; 3];
    // References of the items of this call, for the /VRI entry (new streams and those already
    // in the store).
    let mut refs: [Vec<Object>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (n, (key, items, present)) in
        [("Certs", certificates, &existing.certificates), ("CRLs", crls, &existing.crls), ("OCSPs", ocsps, &existing.ocsps)].into_iter().enumerate()
    {
        // Items already present: found by content for /VRI.
        if let Some(Object::Array(a)) = dss.get(key.as_bytes()).ok().map(|o| deref(&doc, o)) {
            for r in a {
                if let (Object::Reference(_), Object::Stream(st)) = (r, deref(&doc, r)) {
                    if st.get_plain_content_with_limit(MAX_DSS_STREAM_BYTES).ok().is_some_and(|b| items.contains(&b)) {
                        refs[n].push(r.clone());
                    }
                }
            }
        }
        let mut fresh: Vec<&Vec<u8>> = Vec::new();
        for item in items {
            if !present.contains(item) && !fresh.contains(&item) {
                fresh.push(item);
            }
        }
        if fresh.is_empty() {
            continue;
        }
        let mut array = match dss.get(key.as_bytes()).ok().map(|o| deref(&doc, o)) {
            Some(Object::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        for item in fresh {
            let id = alloc();
            let mut dict = Dictionary::new();
            dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
            objects.push((id, Object::Stream(Stream::new(dict, deflate(item)))));
            array.push(Object::Reference(id));
            refs[n].push(Object::Reference(id));
            added[n] += 1;
        }
        // The array is written inline in the (rewritten) /DSS dictionary; an array that was its
        // own object stays in the file, unreferenced by the new revision.
        dss.set(key, Object::Array(array));
    }
    if let Some(sig) = items_in.vri {
        let key = hex::encode_upper(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, sig).as_ref());
        let mut vri = match dss.get(b"VRI").ok().map(|o| deref(&doc, o)) {
            Some(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        let mut entry = Dictionary::new();
        for (k, r) in [("Cert", &refs[0]), ("CRL", &refs[1]), ("OCSP", &refs[2])] {
            if !r.is_empty() {
                entry.set(k, Object::Array(r.clone()));
            }
        }
        if !entry.is_empty() && vri.get(key.as_bytes()).is_err() {
            vri.set(key.into_bytes(), Object::Dictionary(entry));
            dss.set("VRI", Object::Dictionary(vri));
        }
    }
    if added == [0, 0, 0] && items_in.vri.is_none() {
        return Ok(DssUpdate { bytes: pdf.to_vec(), certificates_added: 0, crls_added: 0, ocsps_added: 0 });
    }
    dss.remove(b"Type");
    dss.set("Type", Object::Name(b"DSS".to_vec()));
    let mut up = Update::new(pdf);
    for (id, obj) in &objects {
        up.object(*id, obj);
    }
    up.object(dss_id, &Object::Dictionary(dss));
    if rewrite_catalog {
        let mut c = catalog.clone();
        c.set("DSS", Object::Reference(dss_id));
        up.object(root_id, &Object::Dictionary(c));
    }
    let trailer = update_trailer(&doc, pdf, root_id);
    let bytes = up.finish(kind, trailer, next, doc.xref_start);
    Ok(DssUpdate { bytes, certificates_added: added[0], crls_added: added[1], ocsps_added: added[2] })
}

/// The catalog's id and dictionary.
fn catalog(doc: &Document) -> Result<(ObjectId, &Dictionary), PdfError> {
    let root_id = match doc.trailer.get(b"Root") {
        Ok(Object::Reference(id)) => *id,
        _ => return Err(PdfError::Structure("the trailer has no /Root reference".into())),
    };
    match doc.objects.get(&root_id) {
        Some(Object::Dictionary(d)) => Ok((root_id, d)),
        _ => Err(PdfError::Structure("the catalog is not a dictionary".into())),
    }
}

/// One DER SEQUENCE and nothing after it.
fn is_one_der_sequence(b: &[u8]) -> bool {
    crate::asn1::read_all(b).is_ok_and(|t| t.tag == 0x30)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF with a classic xref table, written by hand.
    fn minimal_pdf() -> Vec<u8> {
        let objs = [
            "<</Type/Catalog/Pages 2 0 R>>",
            "<</Type/Pages/Kids[3 0 R]/Count 1>>",
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
        ];
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objs.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f\r\n");
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
        out.extend_from_slice(format!("trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
        out
    }

    fn seq(fill: u8, len: usize) -> Vec<u8> {
        crate::asn1::tlv(0x30, &[&vec![fill; len]])
    }

    #[test]
    fn added_items_are_read_back_and_merged_without_duplicates() {
        let pdf = minimal_pdf();
        assert_eq!(document_security_store(&pdf).unwrap(), None);
        let (c1, c2, crl) = (seq(1, 300), seq(2, 40), seq(3, 1000));
        let one = add_dss(&pdf, &[c1.clone()], &[crl.clone()]).unwrap();
        assert_eq!((one.certificates_added, one.crls_added), (1, 1));
        assert!(one.bytes.starts_with(&pdf), "an incremental update keeps the original bytes");
        let dss = document_security_store(&one.bytes).unwrap().unwrap();
        assert_eq!((dss.certificates, dss.crls.clone(), dss.problems), (vec![c1.clone()], vec![crl.clone()], vec![]));
        // A second update adds only what is new and keeps the first items.
        let two = add_dss(&one.bytes, &[c1.clone(), c2.clone(), c2.clone()], &[crl.clone()]).unwrap();
        assert_eq!((two.certificates_added, two.crls_added), (1, 0));
        let dss = document_security_store(&two.bytes).unwrap().unwrap();
        assert_eq!((dss.certificates, dss.crls), (vec![c1.clone(), c2.clone()], vec![crl.clone()]));
        // Nothing new: the input is returned as it is.
        let three = add_dss(&two.bytes, &[c2], &[crl]).unwrap();
        assert_eq!((three.certificates_added, three.crls_added, three.bytes == two.bytes), (0, 0, true));
    }

    #[test]
    fn items_that_are_not_one_der_sequence_are_refused() {
        let pdf = minimal_pdf();
        for bad in [b"-----BEGIN X509 CRL-----".to_vec(), vec![0x30, 0x05, 1], vec![0x30, 0x01, 1, 2], vec![0x31, 0x00], vec![]] {
            let err = add_dss(&pdf, &[], &[bad.clone()]).unwrap_err();
            assert!(matches!(&err, PdfError::Structure(m) if m.contains("CRL for the /DSS is not one DER SEQUENCE")), "{bad:?}: {err}");
        }
        assert!(is_one_der_sequence(&[0x30, 0x00]));
        assert!(is_one_der_sequence(&seq(0, 200)));
        // BER lengths (non-minimal, indefinite) are not DER
        assert!(!is_one_der_sequence(&[0x30, 0x81, 0x01, 0x05]));
        assert!(!is_one_der_sequence(&[0x30, 0x80, 0x05, 0x00, 0x00, 0x00]));
    }

    #[test]
    fn hostile_stores_are_bounded_and_named() {
        // /Certs not an array, /CRLs with a non-stream entry and a stream that is not Flate data.
        let mut pdf = minimal_pdf();
        let tail = b"4 0 obj\n<</Certs 7/CRLs[5 0 R (x)]/OCSPs null>>\nendobj\n5 0 obj\n<</Filter/FlateDecode/Length 3>>\nstream\nabc\nendstream\nendobj\n6 0 obj\n<</Type/Catalog/Pages 2 0 R/DSS 4 0 R>>\nendobj\n";
        let start = pdf.len();
        pdf.extend_from_slice(tail);
        let find = |n: &str| start + pdf[start..].windows(n.len()).position(|w| w == n.as_bytes()).unwrap();
        let (o4, o5, o6) = (find("4 0 obj"), find("5 0 obj"), find("6 0 obj"));
        let xref = pdf.len();
        let prev = {
            let t = String::from_utf8_lossy(&pdf[..start]).into_owned();
            let i = t.rfind("startxref\n").unwrap() + 10;
            t[i..].lines().next().unwrap().to_string()
        };
        pdf.extend_from_slice(
            format!("xref\n4 3\n{o4:010} 00000 n\r\n{o5:010} 00000 n\r\n{o6:010} 00000 n\r\ntrailer\n<</Size 7/Root 6 0 R/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        let dss = document_security_store(&pdf).unwrap().unwrap();
        assert!(dss.is_empty(), "{dss:?}");
        assert_eq!(dss.problems.len(), 3, "{:?}", dss.problems);
        assert_eq!(dss.problems[0], DssProblem::NotAnArray { key: "Certs" });
        assert_eq!(dss.problems[1], DssProblem::NotOneDerObject { key: "CRLs", index: 1 });
        assert_eq!(dss.problems[2], DssProblem::NotAStream { key: "CRLs", index: 2 });
        // Adding to it keeps the store usable: the new CRL is read back beside the problems.
        let up = add_dss(&pdf, &[], &[seq(9, 10)]).unwrap();
        let dss = document_security_store(&up.bytes).unwrap().unwrap();
        assert_eq!(dss.crls, vec![seq(9, 10)]);
    }
}
