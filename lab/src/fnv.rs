//! FNV-1a (64-bit): a hash that gives the same value in every run, on every platform and in every
//! release, which std's hasher does not promise. The lab derives choices that must replay from it
//! (which answer a user picks, when an appliance syncs) and labels its container image with it.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`; parts chained together hash as their concatenation.
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(OFFSET_BASIS, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn gives_the_published_fnv_1a_values() {
        assert_eq!(fnv1a(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(*b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn parts_hash_as_their_concatenation() {
        assert_eq!(fnv1a(b"foo".iter().chain(b"bar").copied()), fnv1a(*b"foobar"));
        assert_ne!(fnv1a(*b"foobar"), fnv1a(*b"barfoo"));
    }
}
