//! The PKCS#12 key-derivation function (RFC 7292 Appendix B.2) and the password encodings it and
//! PBES2 use.
//!
//! The legacy PBEs (`pbeWithSHAAnd3-KeyTripleDES-CBC`, RC2, RC4) and the MAC of every PKCS#12
//! file derive their keys with this function from the password as a BMPString (UTF-16 big
//! endian with a two-byte terminator, Appendix B.1); PBES2 (RFC 8018) takes the password's
//! UTF-8 bytes as they are, as OpenSSL, Windows and .NET do.
//!
//! The RustCrypto `pkcs12` crate has this function (feature `kdf`) but cannot be built beside
//! kyso's `cms` (see the module documentation of [`super`]), so it is written here and checked
//! against OpenSSL 3.0's own PKCS12KDF in the tests.

use sha2::digest::Digest;
use zeroize::Zeroizing;

/// What the derived bytes are for (RFC 7292 B.3, the "ID" byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Key material for a cipher (ID = 1).
    Key = 1,
    /// An initialisation vector (ID = 2).
    Iv = 2,
    /// The MAC key (ID = 3).
    Mac = 3,
}

/// The hash functions the KDF runs with: SHA-1 (legacy PBEs, SHA-1 MACs) and SHA-2 (MACs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// Output size in bytes (u in RFC 7292 B.2).
    pub(crate) fn output_len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha224 => 28,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// Derives `len` bytes for `purpose` from the BMPString password, the salt and the iteration
/// count (RFC 7292 B.2). An iteration count of 0 counts as 1, as OpenSSL reads it. The caller
/// has bounded `iterations` (each one is a hash of `len` bytes at most 64).
pub(crate) fn derive(hash: Hash, purpose: Purpose, bmp_password: &[u8], salt: &[u8], iterations: u32, len: usize) -> Zeroizing<Vec<u8>> {
    match hash {
        Hash::Sha1 => derive_with::<sha1::Sha1>(64, purpose, bmp_password, salt, iterations, len),
        Hash::Sha224 => derive_with::<sha2::Sha224>(64, purpose, bmp_password, salt, iterations, len),
        Hash::Sha256 => derive_with::<sha2::Sha256>(64, purpose, bmp_password, salt, iterations, len),
        Hash::Sha384 => derive_with::<sha2::Sha384>(128, purpose, bmp_password, salt, iterations, len),
        Hash::Sha512 => derive_with::<sha2::Sha512>(128, purpose, bmp_password, salt, iterations, len),
    }
}

/// `input` repeated to fill a multiple of `v` bytes (RFC 7292 B.2 steps 2–3; empty stays empty).
fn fill(input: &[u8], v: usize) -> Vec<u8> {
    let len = v * input.len().div_ceil(v);
    input.iter().copied().cycle().take(len).collect()
}

/// RFC 7292 B.2 with hash `D` of block size `v` bytes.
fn derive_with<D: Digest>(v: usize, purpose: Purpose, bmp_password: &[u8], salt: &[u8], iterations: u32, len: usize) -> Zeroizing<Vec<u8>> {
    let diversifier = vec![purpose as u8; v];
    // I = S || P, each filled to a multiple of v bytes.
    let mut i = Zeroizing::new(fill(salt, v));
    i.extend_from_slice(&fill(bmp_password, v));
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    loop {
        // A = H^r(D || I)
        let mut a = Zeroizing::new(D::new().chain_update(&diversifier).chain_update(i.as_slice()).finalize().to_vec());
        for _ in 1..iterations {
            *a = D::digest(a.as_slice()).to_vec();
        }
        let take = (len - out.len()).min(a.len());
        out.extend(a.iter().take(take));
        if out.len() >= len {
            return out;
        }
        // B = A repeated to v bytes; each v-byte block of I becomes (I_j + B + 1) mod 2^(8v).
        let b: Zeroizing<Vec<u8>> = Zeroizing::new(a.iter().copied().cycle().take(v).collect());
        for block in i.chunks_mut(v) {
            let mut carry = 1u16;
            for (x, y) in block.iter_mut().rev().zip(b.iter().rev()) {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = sum.to_be_bytes()[1];
                carry = sum >> 8;
            }
        }
    }
}

/// The password as a BMPString with its two-byte terminator (RFC 7292 B.1): UTF-16 big endian
/// when it is UTF-8 text, otherwise each byte as one character (ISO 8859-1), which is what
/// OpenSSL falls back to for such passwords. The empty password gives just the terminator.
pub(crate) fn bmp_password(password: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(2 * password.len() + 2));
    match std::str::from_utf8(password) {
        Ok(text) => {
            for unit in text.encode_utf16() {
                out.extend_from_slice(&unit.to_be_bytes());
            }
        }
        Err(_) => {
            for &b in password {
                out.extend_from_slice(&[0, b]);
            }
        }
    }
    out.extend_from_slice(&[0, 0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value was computed by OpenSSL 3.0's own PKCS12KDF, e.g.
    /// `openssl kdf -keylen 24 -kdfopt digest:SHA1 -kdfopt hexpass:0073006d006500670000
    /// -kdfopt hexsalt:0A58CF64530D823F -kdfopt iter:1 -kdfopt id:1 PKCS12KDF` (the password
    /// given as its BMPString: the provider takes the bytes as they are). The first five are
    /// also the BouncyCastle / OpenSSL test-suite vectors; the last two need several output
    /// blocks, so they exercise step 6 (the carry through I).
    #[test]
    fn openssl_pkcs12kdf_vectors() {
        let cases: [(Hash, Purpose, &str, &str, u32, &str); 7] = [
            (Hash::Sha1, Purpose::Key, "smeg", "0A58CF64530D823F", 1, "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3"),
            (Hash::Sha1, Purpose::Iv, "smeg", "0A58CF64530D823F", 1, "79993DFE048D3B76"),
            (Hash::Sha1, Purpose::Key, "queeg", "05DEC959ACFF72F7", 1000, "ED2034E36328830FF09DF1E1A07DD357185DAC0D4F9EB3D4"),
            (Hash::Sha1, Purpose::Iv, "queeg", "05DEC959ACFF72F7", 1000, "11DEDAD7758D4860"),
            (Hash::Sha1, Purpose::Mac, "smeg", "3D83C0E4546AC140", 1, "8D967D88F6CAA9D714800AB3D48051D63F73A312"),
            (Hash::Sha512, Purpose::Mac, "Ắb", "01020304", 7, "7C7731F7355556C873C5DA20BA61EA0CF8AD4ACB3D951242BE53DCB02A53C68DFC292EDE04ACEE8A0B8D74EFC0F0C255EB28C6B5EBAD6E27EE5CD5A95A31B5A529E652FDA0E2DEE9B633E7BF8EAC35E4E6D86952FB6610B9B584415EC65A7CD23C6D7B1E"),
            (Hash::Sha256, Purpose::Key, "x", "01", 2, "EE3224654338FA6AF101804F798072ACDAB9B3BC439F3E875E3A1C154062102F3083DCF5E338D0407DF1FAAA76621F6EBAE9ED659223FD1986EE9E9334E54147C5CC3C544018"),
        ];
        for (hash, purpose, pw, salt, iterations, want) in cases {
            let got = derive(hash, purpose, &bmp_password(pw.as_bytes()), &hex::decode(salt).unwrap(), iterations, want.len() / 2);
            assert_eq!(hex::encode_upper(got.as_slice()), want, "{hash:?} {purpose:?} {pw}");
        }
    }

    #[test]
    fn bmp_encoding() {
        assert_eq!(bmp_password(b"").as_slice(), &[0, 0]);
        assert_eq!(bmp_password(b"ab").as_slice(), &[0, 0x61, 0, 0x62, 0, 0]);
        // Vietnamese: "Ắ" is U+1EAE
        assert_eq!(bmp_password("Ắ".as_bytes()).as_slice(), &[0x1e, 0xae, 0, 0]);
        // not UTF-8: byte by byte
        assert_eq!(bmp_password(&[0xff]).as_slice(), &[0, 0xff, 0, 0]);
    }

    #[test]
    fn long_outputs_and_wide_hashes_do_not_panic() {
        let pw = bmp_password(b"x");
        for h in [Hash::Sha1, Hash::Sha224, Hash::Sha256, Hash::Sha384, Hash::Sha512] {
            for len in [0, 1, 8, 20, 64, 65, 200] {
                assert_eq!(derive(h, Purpose::Key, &pw, b"salt", 3, len).len(), len);
            }
            // empty salt and empty password (no terminator) are legal inputs
            assert_eq!(derive(h, Purpose::Mac, &[], &[], 0, 40).len(), 40);
        }
    }
}
