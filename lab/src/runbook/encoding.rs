//! Reading a runbook's bytes as PowerShell does: Windows tools save scripts with a byte order
//! mark (Windows PowerShell 5.1, the ISE and Notepad write UTF-8 with a BOM; 5.1's `>` writes
//! UTF-16 LE), so the mark chooses the encoding and is never part of the text.

/// Why a runbook's bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    #[error("the runbook is neither UTF-8 nor UTF-16 with a byte order mark: invalid UTF-8 at byte {offset}; save it as UTF-8 (or UTF-16 with a BOM)")]
    NotUtf8 { offset: usize },
    #[error("the runbook starts with a UTF-16 {order} byte order mark but is not valid UTF-16 ({reason})")]
    BadUtf16 { order: &'static str, reason: String },
    /// Saved as UTF-16 by a tool that wrote no byte order mark: read as UTF-8 its every other byte
    /// is a NUL, and each line would run as nonsense, so it is refused before anything runs.
    #[error("the runbook is UTF-16 {order} without a byte order mark (a NUL in every other byte); save it as UTF-8, or as UTF-16 with a BOM (Out-File -Encoding Unicode)")]
    Utf16WithoutBom { order: &'static str },
}

/// The text of `bytes`: UTF-8 (with or without a BOM), or UTF-16 LE/BE with a BOM.
pub fn decode(bytes: &[u8]) -> Result<String, EncodingError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest, 3);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, "LE", u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, "BE", u16::from_be_bytes);
    }
    if let Some(order) = utf16_order(bytes) {
        return Err(EncodingError::Utf16WithoutBom { order });
    }
    utf8(bytes, 0)
}

/// `LE` or `BE` when NULs fill the high bytes of the first characters, as UTF-16 text of Latin
/// script does; a script never holds a NUL of its own.
fn utf16_order(bytes: &[u8]) -> Option<&'static str> {
    let pairs: Vec<&[u8]> = bytes.chunks_exact(2).take(64).collect();
    let half = |i: usize| pairs.iter().filter(|p| p[i] == 0 && p[1 - i] != 0).count() * 2 > pairs.len();
    if pairs.is_empty() {
        None
    } else if half(1) {
        Some("LE")
    } else if half(0) {
        Some("BE")
    } else {
        None
    }
}

/// `text` without a leading BOM (a string pasted from a file read elsewhere may still hold one).
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

fn utf8(bytes: &[u8], skipped: usize) -> Result<String, EncodingError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| EncodingError::NotUtf8 { offset: skipped + e.utf8_error().valid_up_to() })
}

fn utf16(bytes: &[u8], order: &'static str, unit: fn([u8; 2]) -> u16) -> Result<String, EncodingError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(EncodingError::BadUtf16 { order, reason: "an odd number of bytes".into() });
    }
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
    String::from_utf16(&units).map_err(|e| EncodingError::BadUtf16 { order, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null\r\n";

    #[test]
    fn utf8_with_and_without_a_bom() {
        assert_eq!(decode(LINE.as_bytes()).unwrap(), LINE);
        let with_bom = [&[0xEF, 0xBB, 0xBF][..], LINE.as_bytes()].concat();
        assert_eq!(decode(&with_bom).unwrap(), LINE);
    }

    #[test]
    fn utf16_as_windows_powershell_redirection_writes_it() {
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(LINE.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        assert_eq!(decode(&le).unwrap(), LINE);
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(LINE.encode_utf16().flat_map(|u| u.to_be_bytes())).collect();
        assert_eq!(decode(&be).unwrap(), LINE);
    }

    #[test]
    fn other_bytes_are_refused_with_the_place() {
        assert_eq!(decode(b"Get-X \xE9t\xE9").unwrap_err(), EncodingError::NotUtf8 { offset: 6 });
        assert!(matches!(decode(&[0xFF, 0xFE, 0x41]), Err(EncodingError::BadUtf16 { order: "LE", .. })));
        assert_eq!(without_bom("\u{FEFF}Get-X"), "Get-X");
    }

    #[test]
    fn utf16_without_a_bom_is_refused_naming_its_order() {
        let le: Vec<u8> = LINE.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(decode(&le).unwrap_err(), EncodingError::Utf16WithoutBom { order: "LE" });
        let be: Vec<u8> = LINE.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(&be).unwrap_err(), EncodingError::Utf16WithoutBom { order: "BE" });
        assert!(decode(&le).unwrap_err().to_string().contains("save it as UTF-8"));
        assert_eq!(decode(b"x").unwrap(), "x", "one byte is no pair");
    }
}
