//! PEM framing: finding the `-----BEGIN <label>-----` … `-----END <label>-----` blocks in a key
//! file, their RFC 1421 headers, and decoding their base64 body.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use super::KeyErrorKind;

/// One `-----BEGIN <label>-----` … `-----END <label>-----` block, borrowed from the input.
pub(super) struct PemBlock<'a> {
    pub(super) label: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    pub(super) body: &'a str,
}

impl PemBlock<'_> {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// The next PEM block in `text` and the text after it; `None` when there is no BEGIN line.
pub(super) fn next_pem_block(text: &str) -> Option<(Result<PemBlock<'_>, KeyErrorKind>, &str)> {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const DASHES: &str = "-----";
    let malformed = |reason: String| Some((Err(KeyErrorKind::Malformed { reason }), ""));

    let after_begin = &text[text.find(BEGIN)? + BEGIN.len()..];
    // The label ends on the BEGIN line: looking further would take the key's base64 for a
    // label, and quote it in an error.
    let line = after_begin.split(['\n', '\r']).next().unwrap_or_default();
    let Some(label_len) = line.find(DASHES) else {
        return malformed("the `-----BEGIN …-----` line does not end with `-----`".into());
    };
    let label = line[..label_len].trim();
    if !is_label(label) {
        return malformed(
            "the `-----BEGIN …-----` line does not name a PEM type (such as `RSA PRIVATE KEY`)"
                .into(),
        );
    }
    let body_and_rest = &after_begin[label_len + DASHES.len()..];
    let Some(end_at) = body_and_rest.find(END) else {
        return malformed(format!(
            "no `-----END {label}-----` line; the file looks truncated"
        ));
    };
    let body = &body_and_rest[..end_at];
    let after_end = &body_and_rest[end_at + END.len()..];
    // The END label ends on its line too: the next line may be another key's base64.
    let end_line = after_end.split(['\n', '\r']).next().unwrap_or_default();
    let Some(end_label_len) = end_line.find(DASHES) else {
        return malformed("the `-----END …-----` line is cut short".into());
    };
    let end_label = after_end[..end_label_len].trim();
    let rest = &after_end[end_label_len + DASHES.len()..];
    if end_label != label {
        let shown = if is_label(end_label) {
            format!("`-----END {end_label}-----`")
        } else {
            "a malformed END line".to_string()
        };
        return malformed(format!("`-----BEGIN {label}-----` is closed by {shown}"));
    }

    // RFC 1421 headers (`Proc-Type`, `DEK-Info`) come first, then a blank line. Base64 never
    // contains `:`, so a line with one is a header.
    let mut headers = Vec::new();
    let mut consumed = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            consumed += line.len();
            if !headers.is_empty() {
                break;
            }
            continue;
        }
        match trimmed.split_once(':') {
            Some((name, value)) => {
                headers.push((name.trim(), value.trim()));
                consumed += line.len();
            }
            None => break,
        }
    }
    let body = &body[consumed..];
    Some((
        Ok(PemBlock {
            label,
            headers,
            body,
        }),
        rest,
    ))
}

/// Whether `label` can be a PEM type: a few words of capitals and digits (`RSA PRIVATE KEY`,
/// `ENCRYPTED PRIVATE KEY`). Only such text is ever quoted in an error; anything else may be
/// key material.
pub(super) fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 40
        && label
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' ' || c == '-')
}

const PEM_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes a PEM body into a buffer that is wiped on drop, without reallocating (which would
/// leave unwiped copies behind).
pub(super) fn decode_body(body: &str) -> Result<Zeroizing<Vec<u8>>, KeyErrorKind> {
    let mut compact = Zeroizing::new(String::with_capacity(body.len()));
    compact.extend(body.chars().filter(|c| !c.is_ascii_whitespace()));
    if compact.is_empty() {
        return Err(KeyErrorKind::Malformed {
            reason: "there is no data between the BEGIN and END lines".into(),
        });
    }
    let mut der = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(compact.len())]);
    // The error's detail would quote a character of the key, so it is left out.
    let len = PEM_BASE64
        .decode_slice(compact.as_bytes(), &mut der)
        .map_err(|_| KeyErrorKind::Malformed {
            reason: "the base64 text between the BEGIN and END lines is damaged".into(),
        })?;
    der.truncate(len);
    Ok(der)
}
