//! Which text encoding a CSV file uses.

use encoding_rs::{Encoding, GB18030, UTF_8};

use crate::IoError;

/// Maps a user's `--encoding` value to an encoding. GBK is read with the GB18030 decoder,
/// its superset, so characters outside GBK proper are not lost.
pub fn encoding_from_label(label: &str) -> Result<&'static Encoding, IoError> {
    match label.trim().to_ascii_lowercase().as_str() {
        "gbk" | "gb2312" | "cp936" | "gb18030" => Ok(GB18030),
        other => Encoding::for_label(other.as_bytes()).ok_or_else(|| IoError::UnknownEncoding(label.to_string())),
    }
}

/// Guesses the encoding from the first bytes of a file: a BOM wins; valid UTF-8 is UTF-8;
/// otherwise chardetng decides (in practice GBK/GB18030 for files from Chinese Excel).
pub fn detect_encoding(head: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return UTF_8,
        // A multi-byte character cut off by the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => return UTF_8,
        Err(_) => {}
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(head, false);
    let guess = det.guess(None, chardetng::Utf8Detection::Deny);
    if guess == encoding_rs::GBK {
        GB18030
    } else {
        guess
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_encodings() {
        assert_eq!(detect_encoding("企业名称,统一社会信用代码\n".as_bytes()), UTF_8);
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFname\n"), UTF_8);
        let (gbk, _, _) = GB18030.encode("企业名称,统一社会信用代码,所属地区\n营口示例耐火材料有限公司,x,鲅鱼圈区\n");
        assert_eq!(detect_encoding(&gbk), GB18030);
    }

    #[test]
    fn labels() {
        assert_eq!(encoding_from_label("GBK").unwrap(), GB18030);
        assert_eq!(encoding_from_label("utf-8").unwrap(), UTF_8);
        assert!(encoding_from_label("klingon").is_err());
    }
}
