//! Legacy OpenSSL encryption (`Proc-Type: 4,ENCRYPTED` with a `DEK-Info` header): the key is
//! derived with OpenSSL's EVP_BytesToKey and the DER encrypted with AES or DES in CBC mode.

use cbc::cipher::{BlockCipher, BlockDecryptMut, KeyInit, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest as _, Md5};
use zeroize::{Zeroize as _, Zeroizing};

use super::KeyErrorKind;
use super::pem::PemBlock;

#[derive(Clone, Copy)]
enum LegacyCipher {
    Aes128,
    Aes192,
    Aes256,
    DesEde3,
    Des,
}

impl LegacyCipher {
    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "AES-128-CBC" => Some(Self::Aes128),
            "AES-192-CBC" => Some(Self::Aes192),
            "AES-256-CBC" => Some(Self::Aes256),
            "DES-EDE3-CBC" => Some(Self::DesEde3),
            "DES-CBC" => Some(Self::Des),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 | Self::DesEde3 => 24,
            Self::Aes256 => 32,
            Self::Des => 8,
        }
    }

    fn block_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Aes192 | Self::Aes256 => 16,
            Self::DesEde3 | Self::Des => 8,
        }
    }
}

pub(super) fn legacy_decrypt(
    block: &PemBlock<'_>,
    ciphertext: &[u8],
    passphrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyErrorKind> {
    let malformed = |reason: String| KeyErrorKind::Malformed { reason };
    let dek_info = block
        .header("DEK-Info")
        .ok_or_else(|| malformed("`Proc-Type: 4,ENCRYPTED` without a `DEK-Info` line".into()))?;
    let (name, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| malformed("`DEK-Info` must read `<cipher>,<hex IV>`".into()))?;
    let name = name.trim();
    let cipher =
        LegacyCipher::from_name(name).ok_or_else(|| KeyErrorKind::UnsupportedEncryption {
            // Only a cipher-like name is quoted: the header could hold anything.
            algorithm: if super::pem::is_label(&name.to_ascii_uppercase()) {
                name.to_owned()
            } else {
                "an unrecognised cipher".to_owned()
            },
        })?;
    let iv = decode_hex(iv_hex.trim())
        .filter(|iv| iv.len() == cipher.block_len())
        .ok_or_else(|| {
            malformed(format!(
                "the `DEK-Info` IV must be {} hex bytes",
                cipher.block_len()
            ))
        })?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(cipher.block_len()) {
        return Err(malformed(
            "the encrypted data is not a whole number of cipher blocks; the file looks truncated"
                .into(),
        ));
    }

    // OpenSSL's EVP_BytesToKey with MD5, one round, salted with the first 8 IV bytes.
    let key = evp_bytes_to_key(passphrase, &iv[..8], cipher.key_len());
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let plain_len = match cipher {
        LegacyCipher::Aes128 => cbc_decrypt::<aes::Aes128>(&key, &iv, &mut buf),
        LegacyCipher::Aes192 => cbc_decrypt::<aes::Aes192>(&key, &iv, &mut buf),
        LegacyCipher::Aes256 => cbc_decrypt::<aes::Aes256>(&key, &iv, &mut buf),
        LegacyCipher::DesEde3 => cbc_decrypt::<des::TdesEde3>(&key, &iv, &mut buf),
        LegacyCipher::Des => cbc_decrypt::<des::Des>(&key, &iv, &mut buf),
    }
    // Bad padding after decryption is how a wrong passphrase usually shows.
    .ok_or(KeyErrorKind::PassphraseWrong)?;
    buf.truncate(plain_len);
    Ok(buf)
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize>
where
    C: BlockCipher + BlockDecryptMut + KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    decryptor
        .decrypt_padded_mut::<Pkcs7>(buf)
        .ok()
        .map(|plain| plain.len())
}

fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(Vec::with_capacity(key_len + 16));
    let mut previous = Zeroizing::new([0u8; 16]);
    let mut first = true;
    while key.len() < key_len {
        let mut md5 = Md5::new();
        if !first {
            md5.update(previous.as_slice());
        }
        md5.update(passphrase);
        md5.update(salt);
        let mut digest = md5.finalize();
        previous.copy_from_slice(&digest);
        digest.as_mut_slice().zeroize();
        key.extend_from_slice(previous.as_slice());
        first = false;
    }
    key.truncate(key_len);
    key
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let nibble = |c: u8| char::from(c).to_digit(16);
            u8::try_from(nibble(pair[0])? << 4 | nibble(pair[1])?).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -P -md md5 -pass pass:secret -S 0001020304050607`
        let key = evp_bytes_to_key(b"secret", &[0, 1, 2, 3, 4, 5, 6, 7], 32);
        let hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, EVP_AES256_KEY);
    }
    const EVP_AES256_KEY: &str = "035FB8145B73CF111570DC936112BE9C375A5D3D8B915BC213BDBEF9DBFB7851";
}
