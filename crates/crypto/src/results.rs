//! Encryption of access packages with a key the requester supplies, in Fides' byte layout:
//! `base64(nonce(12) ‖ AES-GCM ciphertext ‖ tag(16))`, standard alphabet with padding, the
//! nonce also serving as the associated data. A 16-byte key gives AES-128-GCM (what Fides'
//! `encryption_key` always is); a 32-byte key gives AES-256-GCM.
//!
//! [`encrypt`] takes the whole plaintext; [`Encryptor`] writes the same layout as a stream
//! (GCM is a counter mode: the ciphertext comes as the plaintext does, the tag at the end), so a
//! package of any size is encrypted in constant memory.

use std::io::{self, Write};

use aes::cipher::{BlockEncrypt, KeyInit, KeyIvInit, StreamCipher};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::write::EncoderWriter;
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::key::random_nonce;
use crate::{CryptoError, Result};

/// Length of the keys requesters supply (Fides' `aes_encryption_key_length`).
pub const REQUEST_KEY_LEN: usize = 16;

fn aead(key: &[u8]) -> Result<LessSafeKey> {
    let algorithm = match key.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        actual => return Err(CryptoError::KeyLength { expected: REQUEST_KEY_LEN, actual }),
    };
    UnboundKey::new(algorithm, key).map(LessSafeKey::new).map_err(|_| CryptoError::Malformed("key"))
}

/// Encrypts `plaintext` under `key` (the raw bytes of the requester's key) with a fresh nonce.
pub fn encrypt(key: &[u8], plaintext: &[u8]) -> Result<String> {
    let key = aead(key)?;
    let nonce = random_nonce();
    let mut combined = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
    combined.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(nonce), &mut body)
        .map_err(|_| CryptoError::Malformed("plaintext too long"))?;
    combined.append(&mut body);
    Ok(STANDARD.encode(combined))
}

/// Decrypts what [`encrypt`] (or Fides) produced.
pub fn decrypt(key: &[u8], encoded: &str) -> Result<Vec<u8>> {
    let key = aead(key)?;
    let combined = STANDARD.decode(encoded.trim()).map_err(|_| CryptoError::Malformed("not base64"))?;
    if combined.len() < NONCE_LEN + 16 {
        return Err(CryptoError::Malformed("encrypted data is too short"));
    }
    let (nonce_bytes, body) = combined.split_at(NONCE_LEN);
    let mut aad = [0u8; NONCE_LEN];
    aad.copy_from_slice(nonce_bytes);
    let nonce = Nonce::assume_unique_for_key(aad);
    let mut body = body.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut body).map_err(|_| CryptoError::Decrypt)?;
    Ok(plain.to_vec())
}

/// AES in counter mode with GCM's 32-bit big-endian counter, for either key size (one per
/// package, so the size difference of the key schedules does not matter).
#[expect(clippy::large_enum_variant, reason = "one value per package being written")]
enum Keystream {
    Aes128(ctr::Ctr32BE<aes::Aes128>),
    Aes256(ctr::Ctr32BE<aes::Aes256>),
}

/// AES-GCM over a stream: CTR encryption from counter 2 and GHASH over the associated data and
/// the ciphertext (NIST SP 800-38D with a 96-bit IV).
struct GcmStream {
    keystream: Keystream,
    ghash: GHash,
    /// E(K, J0): XORed into the GHASH to give the tag.
    tag_mask: [u8; 16],
    /// Ciphertext not yet hashed (less than one block).
    partial: [u8; 16],
    partial_len: usize,
    aad_len: u64,
    ct_len: u64,
}

fn counter_block(nonce: &[u8; NONCE_LEN], counter: u32) -> [u8; 16] {
    let mut block = [0u8; 16];
    block[..NONCE_LEN].copy_from_slice(nonce);
    block[NONCE_LEN..].copy_from_slice(&counter.to_be_bytes());
    block
}

impl GcmStream {
    fn new(key: &[u8], nonce: &[u8; NONCE_LEN], aad: &[u8]) -> Result<GcmStream> {
        fn parts<C: BlockEncrypt + KeyInit + aes::cipher::BlockSizeUser<BlockSize = aes::cipher::consts::U16>>(
            key: &[u8],
            nonce: &[u8; NONCE_LEN],
        ) -> ([u8; 16], [u8; 16]) {
            let cipher = C::new_from_slice(key).unwrap_or_else(|_| unreachable!("the key length was checked"));
            let mut h = aes::Block::default();
            cipher.encrypt_block(&mut h);
            let mut j0 = aes::Block::from(counter_block(nonce, 1));
            cipher.encrypt_block(&mut j0);
            (h.into(), j0.into())
        }
        let start = counter_block(nonce, 2);
        let ((h, tag_mask), keystream) = match key.len() {
            16 => (parts::<aes::Aes128>(key, nonce), Keystream::Aes128(ctr::Ctr32BE::new(key.into(), (&start).into()))),
            32 => (parts::<aes::Aes256>(key, nonce), Keystream::Aes256(ctr::Ctr32BE::new(key.into(), (&start).into()))),
            actual => return Err(CryptoError::KeyLength { expected: REQUEST_KEY_LEN, actual }),
        };
        let mut ghash = GHash::new(&h.into());
        ghash.update_padded(aad);
        Ok(GcmStream {
            keystream,
            ghash,
            tag_mask,
            partial: [0; 16],
            partial_len: 0,
            aad_len: aad.len() as u64,
            ct_len: 0,
        })
    }

    /// Encrypts `data` in place and hashes the ciphertext.
    fn encrypt(&mut self, data: &mut [u8]) {
        match &mut self.keystream {
            Keystream::Aes128(k) => k.apply_keystream(data),
            Keystream::Aes256(k) => k.apply_keystream(data),
        }
        self.ct_len += data.len() as u64;
        let mut rest: &[u8] = data;
        if self.partial_len > 0 {
            let take = rest.len().min(16 - self.partial_len);
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&rest[..take]);
            self.partial_len += take;
            rest = &rest[take..];
            if self.partial_len < 16 {
                return;
            }
            self.ghash.update(&[self.partial.into()]);
            self.partial_len = 0;
        }
        let whole = rest.len() - rest.len() % 16;
        for block in rest[..whole].chunks_exact(16) {
            self.ghash.update(&[ghash::Block::clone_from_slice(block)]);
        }
        let tail = &rest[whole..];
        self.partial[..tail.len()].copy_from_slice(tail);
        self.partial_len = tail.len();
    }

    /// The authentication tag.
    fn tag(mut self) -> [u8; 16] {
        self.ghash.update_padded(&self.partial[..self.partial_len]);
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(self.aad_len * 8).to_be_bytes());
        lengths[8..].copy_from_slice(&(self.ct_len * 8).to_be_bytes());
        self.ghash.update(&[lengths.into()]);
        let mut tag: [u8; 16] = self.ghash.finalize().into();
        tag.iter_mut().zip(self.tag_mask).for_each(|(t, m)| *t ^= m);
        tag
    }
}

/// Writes what [`encrypt`] returns for everything written to it, as it is written: base64 of
/// the nonce, then of the ciphertext, then of the tag on [`Encryptor::finish`].
pub struct Encryptor<W: Write> {
    gcm: GcmStream,
    out: EncoderWriter<'static, base64::engine::GeneralPurpose, W>,
    buffer: Vec<u8>,
}

impl<W: Write> Encryptor<W> {
    /// Starts a package encrypted under `key` (16 or 32 bytes) with a fresh nonce.
    pub fn new(key: &[u8], out: W) -> Result<Encryptor<W>> {
        Encryptor::with_nonce(key, random_nonce(), out)
    }

    fn with_nonce(key: &[u8], nonce: [u8; NONCE_LEN], out: W) -> Result<Encryptor<W>> {
        let gcm = GcmStream::new(key, &nonce, &nonce)?;
        let mut out = EncoderWriter::new(out, &STANDARD);
        out.write_all(&nonce).map_err(|_| CryptoError::Malformed("the output cannot be written"))?;
        Ok(Encryptor { gcm, out, buffer: Vec::new() })
    }

    /// Writes the tag and the base64 padding; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let tag = self.gcm.tag();
        self.out.write_all(&tag)?;
        self.out.finish()
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.clear();
        self.buffer.extend_from_slice(data);
        self.gcm.encrypt(&mut self.buffer);
        self.out.write_all(&self.buffer)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// Test cases 2 and 4 of McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)",
    /// and AES-256 test case 16 of the same paper.
    #[test]
    fn the_stream_matches_the_gcm_specification_vectors() {
        let cases = [
            (
                "00000000000000000000000000000000",
                "000000000000000000000000",
                "",
                "00000000000000000000000000000000",
                "0388dace60b6a392f328c2b971b2fe78",
                "ab6e47d42cec13bdf53a67b21257bddf",
            ),
            (
                "feffe9928665731c6d6a8f9467308308",
                "cafebabefacedbaddecaf888",
                "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                "5bc94fbc3221a5db94fae95ae7121a47",
            ),
            (
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "cafebabefacedbaddecaf888",
                "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b",
            ),
        ];
        for (key, iv, aad, plain, cipher, tag) in cases {
            let nonce: [u8; NONCE_LEN] = hex(iv).try_into().unwrap();
            // Fed in uneven pieces, so partial blocks are carried between writes.
            for piece in [1, 7, 16, 17, 64] {
                let mut gcm = GcmStream::new(&hex(key), &nonce, &hex(aad)).unwrap();
                let mut data = hex(plain);
                data.chunks_mut(piece).for_each(|chunk| gcm.encrypt(chunk));
                assert_eq!(data, hex(cipher), "ciphertext, key {key}, pieces of {piece}");
                assert_eq!(gcm.tag().to_vec(), hex(tag), "tag, key {key}, pieces of {piece}");
            }
        }
    }

    #[test]
    fn the_stream_writes_what_encrypt_writes_and_decrypt_opens() {
        let plain: Vec<u8> = (0..70_001u32).map(|i| (i * 31 % 251) as u8).collect();
        for key in [&b"test--encryption"[..], &[7u8; 32][..]] {
            let nonce = random_nonce();
            let mut stream = Encryptor::with_nonce(key, nonce, Vec::new()).unwrap();
            for chunk in plain.chunks(4_097) {
                stream.write_all(chunk).unwrap();
            }
            let text = String::from_utf8(stream.finish().unwrap()).unwrap();
            // ring, sealing the whole plaintext at once with the same nonce, gives the same bytes.
            let mut sealed = plain.clone();
            aead(key)
                .unwrap()
                .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(nonce), &mut sealed)
                .unwrap();
            let mut expected = nonce.to_vec();
            expected.extend(sealed);
            assert_eq!(text, STANDARD.encode(expected));
            assert_eq!(decrypt(key, &text).unwrap(), plain);
        }
        assert!(matches!(Encryptor::new(b"short", Vec::new()), Err(CryptoError::KeyLength { actual: 5, .. })));
    }

    #[test]
    fn decrypts_the_sample_from_the_fides_documentation() {
        let sample = "GPUiK9tq5k/HfBnSN+J+OvLXZ+GCisapdI2KGP7A1WK+dz1XHef+hWb/SjszdqdNVGvziyY6GF5KIrvrXgxjZuaAvgU=";
        let plain = decrypt(b"test--encryption", sample).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), r#"{"street": "test street", "state": "NY"}"#);
    }

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let a = encrypt(b"test--encryption", b"{\"a\": 1}").unwrap();
        let b = encrypt(b"test--encryption", b"{\"a\": 1}").unwrap();
        assert_ne!(a, b);
        assert_eq!(decrypt(b"test--encryption", &a).unwrap(), b"{\"a\": 1}");
        assert_eq!(decrypt(b"wrong--encryptio", &a), Err(CryptoError::Decrypt));
    }

    #[test]
    fn tampering_with_the_nonce_is_detected() {
        let encoded = encrypt(b"0123456789abcdef", b"secret").unwrap();
        let mut raw = STANDARD.decode(&encoded).unwrap();
        raw[0] ^= 1;
        assert_eq!(decrypt(b"0123456789abcdef", &STANDARD.encode(raw)), Err(CryptoError::Decrypt));
    }

    #[test]
    fn keys_must_be_16_or_32_bytes() {
        assert_eq!(encrypt(b"short", b"x"), Err(CryptoError::KeyLength { expected: 16, actual: 5 }));
        assert!(encrypt(&[7u8; 32], b"x").is_ok());
    }
}
