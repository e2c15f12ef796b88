//! The cryptographic building blocks: random bytes, key derivation (Argon2id, HKDF), key
//! wrapping (AES-SIV), and the per-domain pseudonymization keys (HMAC-SHA-256 tokens, AES-SIV
//! deterministic encryption, FF1 format-preserving encryption, date-shift offsets).

use crate::error::{invalid, Result, VaultError};
use crate::ff1::Ff1Decimal;
use aes::Aes256;
use aes_siv::{siv::Aes256Siv, KeyInit};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of a token (128 bits: collisions stay negligible beyond a billion values).
const TOKEN_BYTES: usize = 16;

/// A secret passphrase or key file content; zeroized on drop and never shown by `Debug`.
pub struct Passphrase(Zeroizing<Vec<u8>>);

impl Passphrase {
    /// Wraps secret bytes; a trailing newline (from `echo` or an editor) is not part of it.
    pub fn new(mut bytes: Vec<u8>) -> Result<Passphrase> {
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        let p = Passphrase(Zeroizing::new(bytes));
        if p.0.is_empty() {
            return Err(invalid("the secret is empty"));
        }
        Ok(p)
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<secret>)")
    }
}

/// Argon2id cost parameters, stored in the vault (they are not secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

/// OWASP's Argon2id minimums (password storage cheat sheet): memory in KiB and passes, any of
/// which is acceptable, one lane or more.
pub const OWASP_MINIMUMS: [(u32, u32); 5] = [
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

impl KdfParams {
    /// Refuses settings below every OWASP minimum: a weak KDF makes the master key guessable.
    pub fn check(&self) -> Result<()> {
        let ok = self.p >= 1
            && OWASP_MINIMUMS
                .iter()
                .any(|&(m, t)| self.m_kib >= m && self.t >= t);
        if ok {
            return Ok(());
        }
        Err(invalid(format!(
            "Argon2id with {} KiB and {} pass(es) is below OWASP's minimum (46 MiB × 1 pass, 19 MiB × 2, 12 MiB × 3, 9 MiB × 4 or 7 MiB × 5); the default is 64 MiB × 3",
            self.m_kib, self.t
        )))
    }
}

impl Default for KdfParams {
    /// RFC 9106's second recommended setting: 64 MiB, 3 passes, 1 lane.
    fn default() -> Self {
        KdfParams {
            m_kib: 64 * 1024,
            t: 3,
            p: 1,
        }
    }
}

/// Fills a fixed-size secret from the operating system's secure random generator.
pub fn random_secret<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut k = Zeroizing::new([0u8; N]);
    getrandom::fill(&mut k[..]).map_err(|e| VaultError::Crypto(format!("OS random: {e}")))?;
    Ok(k)
}

/// A random identifier with a prefix, e.g. `rl-3f9a2c1b7d04`.
pub fn random_id(prefix: &str) -> Result<String> {
    let b = random_secret::<6>()?;
    Ok(format!("{prefix}-{}", hex(&b[..])))
}

pub use datavisa_table::hex;

/// Bytes of lower- or upper-case hex; None when it is not hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// HMAC-SHA-256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HKDF-SHA-256 expansion of `ikm` for one purpose.
fn hkdf_expand<const N: usize>(ikm: &[u8], info: &str) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new([0u8; N]);
    Hkdf::<Sha256>::new(None, ikm)
        .expand(info.as_bytes(), &mut out[..])
        .expect("HKDF output lengths used here are valid");
    out
}

/// Argon2id of a passphrase (or approver credential) into 32 bytes.
pub fn argon2id(pass: &Passphrase, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|e| invalid(format!("Argon2id parameters: {e}")))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    a.hash_password_into(pass.bytes(), salt, &mut out[..])
        .map_err(|e| VaultError::Crypto(format!("Argon2id: {e}")))?;
    Ok(out)
}

/// The keys derived from the master key: one wraps every stored secret, one proves the master
/// key is right without decrypting anything.
pub struct MasterKeys {
    wrap: Zeroizing<[u8; 64]>,
    check: Zeroizing<[u8; 32]>,
}

/// Master key derivations this process made and a vault accepted, so that a long-running
/// process (the server, which opens its vault for every audited request) pays the Argon2id
/// cost once, not per request. Each entry is a digest of what was derived from (salt,
/// parameters, passphrase) and the 32 derived bytes, both zeroized when dropped; only a
/// derivation whose verifier matched is kept, and every open still checks the verifier.
static DERIVED: std::sync::Mutex<Vec<Remembered>> = std::sync::Mutex::new(Vec::new());

/// A remembered derivation: the digest it is found by, and the derived bytes.
type Remembered = (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>);

/// Derivations kept at most (one per store and master key a process uses).
const DERIVED_KEPT: usize = 8;

/// What a remembered derivation is looked up by.
fn derivation_digest(pass: &Passphrase, salt: &[u8], params: KdfParams) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(b"datavisa/v1/master/remembered\0");
    h.update((salt.len() as u64).to_le_bytes());
    h.update(salt);
    h.update(params.m_kib.to_le_bytes());
    h.update(params.t.to_le_bytes());
    h.update(params.p.to_le_bytes());
    h.update(pass.bytes());
    Zeroizing::new(h.finalize().into())
}

impl MasterKeys {
    /// Derives the wrapping and check keys from a passphrase.
    pub fn derive(pass: &Passphrase, salt: &[u8], params: KdfParams) -> Result<MasterKeys> {
        let master = argon2id(pass, salt, params)?;
        Ok(MasterKeys::of(&master))
    }

    fn of(master: &[u8; 32]) -> MasterKeys {
        MasterKeys {
            wrap: hkdf_expand(&master[..], "datavisa/v1/master/wrap"),
            check: hkdf_expand(&master[..], "datavisa/v1/master/check"),
        }
    }

    /// The keys of `pass` if `accepted` takes them (the vault's verifier matches), else None:
    /// derived as [`MasterKeys::derive`], or from this process's earlier derivation of the same
    /// passphrase, salt and parameters that was accepted then.
    pub fn derive_accepted(
        pass: &Passphrase,
        salt: &[u8],
        params: KdfParams,
        accepted: impl Fn(&MasterKeys) -> bool,
    ) -> Result<Option<MasterKeys>> {
        let digest = derivation_digest(pass, salt, params);
        let remembered = {
            let kept = DERIVED.lock().unwrap_or_else(|p| p.into_inner());
            kept.iter()
                .find(|(d, _)| ct_eq(&d[..], &digest[..]))
                .map(|(_, m)| MasterKeys::of(m))
        };
        if let Some(keys) = remembered.filter(|k| accepted(k)) {
            return Ok(Some(keys));
        }
        let master = argon2id(pass, salt, params)?;
        let keys = MasterKeys::of(&master);
        if !accepted(&keys) {
            return Ok(None);
        }
        let mut kept = DERIVED.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(d, _)| !ct_eq(&d[..], &digest[..]));
        if kept.len() >= DERIVED_KEPT {
            kept.remove(0);
        }
        kept.push((digest, master));
        Ok(Some(keys))
    }

    /// The value stored in the vault to recognise this master key.
    pub fn verifier(&self, vault_id: &str) -> String {
        hex(&hmac_sha256(&self.check[..], vault_id.as_bytes()))
    }

    /// Encrypts a secret under the master key, bound to `label` (what the secret is for).
    pub fn wrap(&self, label: &str, secret: &[u8]) -> Result<Vec<u8>> {
        siv_seal(&self.wrap, label.as_bytes(), secret)
    }

    /// Decrypts a wrapped secret; fails if it was altered or wrapped for another label.
    pub fn unwrap(&self, label: &str, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        siv_open(&self.wrap, label.as_bytes(), wrapped)
            .map_err(|_| VaultError::Crypto(format!("stored secret {label:?} does not decrypt")))
    }
}

/// AES-256-SIV (RFC 5297) with one associated-data string: deterministic, authenticated.
pub fn siv_seal(key: &[u8; 64], ad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut c = Aes256Siv::new(key.into());
    c.encrypt([ad], plaintext)
        .map_err(|_| VaultError::Crypto("AES-SIV encryption".into()))
}

/// Inverse of [`siv_seal`]; an error when the ciphertext or its associated data was altered.
pub fn siv_open(key: &[u8; 64], ad: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let mut c = Aes256Siv::new(key.into());
    c.decrypt([ad], ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| VaultError::Crypto("AES-SIV authentication failed".into()))
}

/// Where a domain key sits in the vault: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    /// Row id of the key in the vault.
    pub key_id: i64,
    /// The recipient the key belongs to.
    pub recipient: String,
    /// The identifier domain (e.g. `cn_resident_id`, `customer`).
    pub domain: String,
    /// Version, from 1; rotation adds one.
    pub version: u32,
}

/// The working keys of one (recipient, domain, version), derived from its random root key.
pub struct DomainKeys {
    /// Which key this is.
    pub key_ref: KeyRef,
    token: HmacSha256,
    siv: Zeroizing<[u8; 64]>,
    index: Zeroizing<[u8; 64]>,
    ff1: Ff1Decimal<Aes256>,
    shift: HmacSha256,
}

const ENCRYPT_AD: &[u8] = b"datavisa/v1/encrypt";

impl DomainKeys {
    /// Derives every working key of a domain from its 32-byte root key.
    pub fn from_root(key_ref: KeyRef, root: &[u8]) -> DomainKeys {
        let token: Zeroizing<[u8; 32]> = hkdf_expand(root, "datavisa/v1/token");
        let ff1: Zeroizing<[u8; 32]> = hkdf_expand(root, "datavisa/v1/ff1");
        let shift: Zeroizing<[u8; 32]> = hkdf_expand(root, "datavisa/v1/date-shift");
        DomainKeys {
            key_ref,
            token: <HmacSha256 as KeyInit>::new_from_slice(&token[..]).expect("any length"),
            siv: hkdf_expand(root, "datavisa/v1/siv"),
            index: hkdf_expand(root, "datavisa/v1/index"),
            ff1: Ff1Decimal::new(Aes256::new_from_slice(&ff1[..]).expect("32-byte key")),
            shift: <HmacSha256 as KeyInit>::new_from_slice(&shift[..]).expect("any length"),
        }
    }

    /// The keyed HMAC-SHA-256 pseudonym of a value: 32 hex characters.
    pub fn token(&self, value: &str) -> String {
        hex(&self.token_bytes(value))
    }

    fn token_bytes(&self, value: &str) -> [u8; TOKEN_BYTES] {
        let mut m = self.token.clone();
        m.update(value.as_bytes());
        let full = m.finalize().into_bytes();
        full[..TOKEN_BYTES]
            .try_into()
            .expect("HMAC-SHA-256 is 32 bytes")
    }

    /// A reusable deterministic-encryption context (AES-SIV keeps mutable state per call).
    pub fn sealer(&self) -> Sealer {
        Sealer(Aes256Siv::new((&*self.siv).into()))
    }

    /// FF1 (AES-256, radix 10) of decimal digits (values 0-9), in place, under a tweak.
    pub fn ff1_encrypt(&self, tweak: &[u8], digits: &mut [u8]) -> Result<()> {
        self.ff1
            .encrypt(tweak, digits)
            .map_err(|e| invalid(format!("FF1: {e}")))
    }

    /// Inverse of [`DomainKeys::ff1_encrypt`].
    pub fn ff1_decrypt(&self, tweak: &[u8], digits: &mut [u8]) -> Result<()> {
        self.ff1
            .decrypt(tweak, digits)
            .map_err(|e| invalid(format!("FF1: {e}")))
    }

    /// A per-person date offset in days, never 0, in `-max_days..=max_days`.
    pub fn shift_days(&self, person: &str, max_days: u32) -> i64 {
        let mut m = self.shift.clone();
        m.update(person.as_bytes());
        let h = m.finalize().into_bytes();
        let x = u64::from_le_bytes(h[..8].try_into().expect("32 bytes"));
        let max = max_days.max(1) as u64;
        let magnitude = (x >> 1) % max + 1;
        if x & 1 == 0 {
            magnitude as i64
        } else {
            -(magnitude as i64)
        }
    }

    /// The token index entry of a value: its token and the value (sealed by the vault in
    /// chunks when the twin is registered).
    pub fn index_entry(&self, value: &str) -> IndexEntry {
        IndexEntry {
            token: self.token_bytes(value),
            value: value.to_owned(),
        }
    }

    /// Encrypts one chunk of the token index, bound to where it belongs (`ad`).
    pub(crate) fn seal_chunk(&self, ad: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        siv_seal(&self.index, ad.as_bytes(), plaintext)
    }

    /// Decrypts one chunk of the token index; fails if it was altered or moved.
    pub(crate) fn open_chunk(&self, ad: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        siv_open(&self.index, ad.as_bytes(), sealed)
    }
}

/// One entry of the token index: a token and its value (stored only encrypted, in chunks).
pub struct IndexEntry {
    /// The token's bytes (its hex is what the twin holds).
    pub token: [u8; TOKEN_BYTES],
    /// The value the token stands for.
    pub value: String,
}

/// Token bytes of a 32-hex-character token; None when it is not one.
pub fn token_bytes_of(token: &str) -> Option<[u8; TOKEN_BYTES]> {
    unhex(token.trim())?.try_into().ok()
}

/// Deterministic authenticated encryption of values (AES-256-SIV), text in base64url.
pub struct Sealer(Aes256Siv);

impl Sealer {
    /// Encrypts a value: equal values give equal ciphertexts under one key, nothing else leaks.
    pub fn seal(&mut self, value: &str) -> Result<String> {
        let ct = self
            .0
            .encrypt([ENCRYPT_AD], value.as_bytes())
            .map_err(|_| VaultError::Crypto("AES-SIV encryption".into()))?;
        Ok(URL_SAFE_NO_PAD.encode(ct))
    }

    /// Decrypts a value; an error when it is not a ciphertext of this key.
    pub fn open(&mut self, text: &str) -> Result<Zeroizing<String>> {
        let ct = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| invalid(format!("{text:?} is not an encrypted value")))?;
        let pt = self
            .0
            .decrypt([ENCRYPT_AD], &ct)
            .map_err(|_| invalid(format!("{text:?} was not encrypted with this key")))?;
        String::from_utf8(pt)
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Crypto("decrypted value is not UTF-8".into()))
    }
}

/// Whether `signature` (hex) is an Ed25519 signature of `message` by `public_key` (hex); any
/// malformed key or signature is simply "no". Approvals, anchors and attestations use it.
pub fn ed25519_verifies(public_key: &str, signature: &str, message: &[u8]) -> bool {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let key: Option<[u8; 32]> = unhex(public_key).and_then(|b| b.try_into().ok());
    let sig: Option<[u8; 64]> = unhex(signature).and_then(|b| b.try_into().ok());
    let (Some(key), Some(sig)) = (key, sig) else {
        return false;
    };
    VerifyingKey::from_bytes(&key)
        .is_ok_and(|k| k.verify(message, &Signature::from_bytes(&sig)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_siv::siv::Aes128Siv;
    use fpe::ff1::{FlexibleNumeralString, FF1};

    fn h(s: &str) -> Vec<u8> {
        unhex(&s.replace([' ', '\n'], "")).unwrap()
    }

    fn remembered(digest: &[u8; 32]) -> usize {
        DERIVED
            .lock()
            .unwrap()
            .iter()
            .filter(|(d, _)| d[..] == digest[..])
            .count()
    }

    /// An accepted derivation is kept once and gives the same keys; a refused one is not kept;
    /// a kept one the vault no longer accepts (its master key was changed) is derived again.
    #[test]
    fn accepted_derivations_are_remembered_and_refused_ones_are_not() {
        let params = KdfParams {
            m_kib: 8,
            t: 1,
            p: 1,
        };
        let pass = Passphrase::new(b"remembered passphrase".to_vec()).unwrap();
        let salt = b"salt-of-the-remembering-test";
        let digest = derivation_digest(&pass, salt, params);
        let want = MasterKeys::derive(&pass, salt, params)
            .unwrap()
            .verifier("v");
        let is_right = |m: &MasterKeys| m.verifier("v") == want;
        for _ in 0..2 {
            let k = MasterKeys::derive_accepted(&pass, salt, params, is_right).unwrap();
            assert_eq!(k.unwrap().verifier("v"), want);
            assert_eq!(remembered(&digest), 1);
        }
        let wrong = Passphrase::new(b"another passphrase".to_vec()).unwrap();
        let got = MasterKeys::derive_accepted(&wrong, salt, params, is_right).unwrap();
        assert!(got.is_none());
        assert_eq!(remembered(&derivation_digest(&wrong, salt, params)), 0);
        // The same passphrase refused now (another verifier): not accepted from memory.
        let got = MasterKeys::derive_accepted(&pass, salt, params, |_| false).unwrap();
        assert!(got.is_none());
        // Another salt or cost is another derivation.
        assert_ne!(
            &derivation_digest(&pass, b"other salt", params)[..],
            &digest[..]
        );
        let cheaper = KdfParams {
            m_kib: 16,
            ..params
        };
        assert_ne!(&derivation_digest(&pass, salt, cheaper)[..], &digest[..]);
    }

    /// RFC 4231 test cases 1, 2, 3, 4 and 6 (HMAC-SHA-256).
    #[test]
    fn hmac_rfc4231() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 5] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                h("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &data)), want);
        }
    }

    /// RFC 5297 appendix A.1 (deterministic) and A.2 (nonce as a second header).
    #[test]
    fn aes_siv_rfc5297() {
        let key = h("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff");
        let ad = h("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627");
        let pt = h("11223344 55667788 99aabbcc ddee");
        let mut c = Aes128Siv::new_from_slice(&key).unwrap();
        let ct = c.encrypt([&ad], &pt).unwrap();
        assert_eq!(
            hex(&ct),
            "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c"
        );
        assert_eq!(c.decrypt([&ad], &ct).unwrap(), pt);

        let key = h("7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f");
        let ad1 = h("00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 77665544 33221100");
        let ad2 = h("10203040 50607080 90a0");
        let nonce = h("09f91102 9d74e35b d84156c5 635688c0");
        let pt = h("74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 74207573 696e6720 5349562d 414553");
        let mut c = Aes128Siv::new_from_slice(&key).unwrap();
        let ct = c.encrypt([&ad1, &ad2, &nonce], &pt).unwrap();
        assert_eq!(
            hex(&ct),
            "7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d"
        );
    }

    fn digits(s: &str) -> Vec<u16> {
        s.chars().map(|c| c.to_digit(36).unwrap() as u16).collect()
    }

    /// NIST SP 800-38G FF1 samples 1-3 (AES-128) and 7-9 (AES-256) on the `fpe` crate, the
    /// reference our radix-10 FF1 (`crate::ff1`) is checked against.
    #[test]
    fn ff1_nist_samples() {
        use aes::Aes128;
        let k128 = h("2B7E151628AED2A6ABF7158809CF4F3C");
        let k256 = h("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94");
        let t = h("39383736353433323130");
        let t36 = h("3737373770717273373737");
        let show = |v: Vec<u16>| -> String {
            v.iter()
                .map(|&d| char::from_digit(d as u32, 36).unwrap())
                .collect()
        };
        let ff = FF1::<Aes128>::new(&k128, 10).unwrap();
        let run = |f: &FF1<Aes128>, tw: &[u8], x: &str| {
            show(
                f.encrypt(tw, &FlexibleNumeralString::from(digits(x)))
                    .unwrap()
                    .into(),
            )
        };
        assert_eq!(run(&ff, &[], "0123456789"), "2433477484");
        assert_eq!(run(&ff, &t, "0123456789"), "6124200773");
        let ff36 = FF1::<Aes128>::new(&k128, 36).unwrap();
        assert_eq!(
            run(&ff36, &t36, "0123456789abcdefghi"),
            "a9tv40mll9kdu509eum"
        );

        let ff = FF1::<Aes256>::new(&k256, 10).unwrap();
        let run = |f: &FF1<Aes256>, tw: &[u8], x: &str| {
            show(
                f.encrypt(tw, &FlexibleNumeralString::from(digits(x)))
                    .unwrap()
                    .into(),
            )
        };
        assert_eq!(run(&ff, &[], "0123456789"), "6657667009");
        assert_eq!(run(&ff, &t, "0123456789"), "1001623463");
        let ff36 = FF1::<Aes256>::new(&k256, 36).unwrap();
        assert_eq!(
            run(&ff36, &t36, "0123456789abcdefghi"),
            "xs8a0azh2avyalyzuwd"
        );
    }

    fn keys(root: u8, domain: &str) -> DomainKeys {
        let r = KeyRef {
            key_id: 1,
            recipient: "r".into(),
            domain: domain.into(),
            version: 1,
        };
        DomainKeys::from_root(r, &[root; 32])
    }

    #[test]
    fn domain_keys_round_trip_and_separate() {
        let a = keys(1, "d");
        let b = keys(2, "d");
        assert_eq!(a.token("x"), a.token("x"));
        assert_ne!(a.token("x"), b.token("x"));
        assert_eq!(a.token("x").len(), 32);
        let mut s = a.sealer();
        let ct = s.seal("张三").unwrap();
        assert_eq!(ct, a.sealer().seal("张三").unwrap());
        assert_eq!(&*s.open(&ct).unwrap(), "张三");
        assert!(b.sealer().open(&ct).is_err());
        let d: Vec<u8> = b"11010519491231002".iter().map(|c| c - b'0').collect();
        let mut e = d.clone();
        a.ff1_encrypt(b"", &mut e).unwrap();
        assert_ne!(e, d);
        a.ff1_decrypt(b"", &mut e).unwrap();
        assert_eq!(e, d);
        for p in ["a", "b", "c"] {
            let s = a.shift_days(p, 30);
            assert!(s != 0 && s.abs() <= 30);
            assert_eq!(s, a.shift_days(p, 30));
        }
        let e = a.index_entry("v");
        assert_eq!(hex(&e.token), a.token("v"));
        let sealed = a.seal_chunk("here", b"chunk").unwrap();
        assert_eq!(&a.open_chunk("here", &sealed).unwrap()[..], b"chunk");
        assert!(a.open_chunk("elsewhere", &sealed).is_err());
    }

    #[test]
    fn passphrase_hides_itself() {
        let p = Passphrase::new(b"hunter2\n".to_vec()).unwrap();
        assert_eq!(format!("{p:?}"), "Passphrase(<secret>)");
        assert_eq!(p.bytes(), b"hunter2");
        assert!(Passphrase::new(b"\n".to_vec()).is_err());
    }
}
