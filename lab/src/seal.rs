//! The checksum every record the lab stores and reads back carries, so that a damaged file is
//! refused rather than read as different data (lab choice, docs/design/tenant.md#integrity).
//!
//! A sealed record is `fnv1a64:<16 hex digits><separator><payload>`: the separator is a space
//! (a record on one line: a tenant store value, a DNS journal line) or a newline (a whole file:
//! the LocalStore, so its JSON stays readable below the checksum). The checksum is FNV-1a over
//! `<context> NUL <separator> <payload>`, where the context names what the record is (a table
//! and key, a file's kind): a record copied, or a key changed, under another name does not
//! verify either. FNV-1a changes whenever any one byte changes (each step is a bijection of
//! the state for a given byte and of the byte for a given state), so every single-bit flip is
//! caught, and any other damage is caught but for one chance in 2^64.

use crate::fnv::fnv1a;

/// What every sealed record starts with; it also names the checksum's algorithm.
pub const PREFIX: &str = "fnv1a64:";
const DIGITS: usize = 16;

/// Why a stored record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Written before records carried a checksum, or not a record at all.
    #[error("it carries no checksum (not written by this version of bypass-lab, or damaged at its start)")]
    Unsealed,
    /// The checksum or the separator after it cannot be read.
    #[error("its checksum cannot be read (damaged)")]
    Malformed,
    /// The content is not what was written.
    #[error("its checksum does not match its content (expected {stored:016x}, found {computed:016x}): the data was altered after it was written")]
    Mismatch { stored: u64, computed: u64 },
}

/// How a record's payload follows its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// One line (a store value, a journal line).
    Space,
    /// A whole file, its content from the second line on.
    Newline,
}

impl Separator {
    fn byte(self) -> u8 {
        match self {
            Separator::Space => b' ',
            Separator::Newline => b'\n',
        }
    }
}

/// The checksum of `payload` stored as `context` with `separator`.
pub fn checksum(context: &str, separator: Separator, payload: &[u8]) -> u64 {
    fnv1a(context.bytes().chain([0, separator.byte()]).chain(payload.iter().copied()))
}

/// `payload` with its checksum in front.
pub fn seal(context: &str, separator: Separator, payload: &[u8]) -> Vec<u8> {
    let mut sealed = format!("{PREFIX}{:016x}", checksum(context, separator, payload)).into_bytes();
    sealed.push(separator.byte());
    sealed.extend_from_slice(payload);
    sealed
}

/// The payload of a record sealed as `context` with `separator`, once its checksum verifies.
pub fn unseal<'a>(context: &str, separator: Separator, stored: &'a [u8]) -> Result<&'a [u8], SealError> {
    let (stored_sum, payload) = split(separator, stored)?;
    let computed = checksum(context, separator, payload);
    if computed != stored_sum {
        return Err(SealError::Mismatch { stored: stored_sum, computed });
    }
    Ok(payload)
}

/// The checksum a sealed record carries, not verified (a store keeps a digest of them).
pub fn stored_checksum(separator: Separator, stored: &[u8]) -> Result<u64, SealError> {
    split(separator, stored).map(|(sum, _)| sum)
}

fn split(separator: Separator, stored: &[u8]) -> Result<(u64, &[u8]), SealError> {
    let Some(rest) = stored.strip_prefix(PREFIX.as_bytes()) else { return Err(SealError::Unsealed) };
    if rest.len() <= DIGITS || rest[DIGITS] != separator.byte() {
        return Err(SealError::Malformed);
    }
    // Lower-case digits only: a flipped case bit would otherwise read as the same checksum.
    let digits = &rest[..DIGITS];
    if !digits.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
        return Err(SealError::Malformed);
    }
    let text = std::str::from_utf8(digits).map_err(|_| SealError::Malformed)?;
    let sum = u64::from_str_radix(text, 16).map_err(|_| SealError::Malformed)?;
    Ok((sum, &rest[DIGITS + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_record_unseals_to_its_payload_under_its_own_context_only() {
        let sealed = seal("appliances/sea-cce1", Separator::Space, br#"{"name":"sea-cce1"}"#);
        assert!(sealed.starts_with(b"fnv1a64:"));
        assert_eq!(unseal("appliances/sea-cce1", Separator::Space, &sealed).unwrap(), br#"{"name":"sea-cce1"}"#);
        assert!(matches!(unseal("appliances/sea-cce2", Separator::Space, &sealed), Err(SealError::Mismatch { .. })));
        assert_eq!(unseal("appliances/sea-cce1", Separator::Newline, &sealed), Err(SealError::Malformed));
        assert_eq!(
            stored_checksum(Separator::Space, &sealed).unwrap(),
            checksum("appliances/sea-cce1", Separator::Space, br#"{"name":"sea-cce1"}"#)
        );
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let sealed = seal("localstore", Separator::Newline, b"{\n  \"configuration\": null\n}");
        for bit in 0..sealed.len() * 8 {
            let mut damaged = sealed.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(unseal("localstore", Separator::Newline, &damaged).is_err(), "bit {bit} flipped went unnoticed");
        }
    }

    #[test]
    fn a_record_without_a_checksum_is_told_apart_from_a_damaged_one() {
        assert_eq!(unseal("x", Separator::Space, br#"{"version":1}"#), Err(SealError::Unsealed));
        assert_eq!(unseal("x", Separator::Space, b""), Err(SealError::Unsealed));
        assert_eq!(unseal("x", Separator::Space, b"fnv1a64:0123"), Err(SealError::Malformed));
        assert_eq!(unseal("x", Separator::Space, b"fnv1a64:0123456789ABCDEF {}"), Err(SealError::Malformed));
        let empty = seal("x", Separator::Space, b"");
        assert_eq!(unseal("x", Separator::Space, &empty).unwrap(), b"");
    }
}
