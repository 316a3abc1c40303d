//! Checks a zip-based workbook (xlsx, xlsm, xlsb, ods) before calamine opens it.
//!
//! calamine holds some parts whole (the shared-string table, styles, the workbook) and its
//! XML reader buffers each event (a text run, a tag) whole, so a hostile file of a few
//! hundred kilobytes can decompress to gigabytes held in memory. This pass decompresses
//! every part once, in constant memory, and refuses the file before calamine sees it when:
//! the archive has too many entries; a part decompresses to too much or at too high a ratio;
//! the whole decompresses to too much; the shared-string table is too large or has too many
//! entries; one cell, shared string, text run or tag of an XML part is longer than any field
//! may be; or an XML part uses `<!…>` constructs (DOCTYPE, CDATA, comments), which Excel
//! never writes.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::IoError;

/// Entries in the archive (a workbook has a few dozen; each costs memory in the index).
const MAX_ENTRIES: u64 = 10_000;
/// Size of the zip's central directory.
const MAX_CENTRAL_DIRECTORY: u64 = 8 << 20;
/// All parts together, decompressed.
pub(crate) const MAX_TOTAL_BYTES: u64 = 4 << 30;
/// Decompressed ÷ compressed, for a part past [`RATIO_FREE_BYTES`]. Spreadsheet XML
/// compresses 5–30×; a bomb (one huge cell, whitespace padding) 1000× and more.
pub(crate) const MAX_RATIO: u64 = 200;
const RATIO_FREE_BYTES: u64 = 1 << 20;
/// The shared-string table, held whole by calamine: its XML size and its entries.
pub(crate) const MAX_SHARED_STRINGS_BYTES: u64 = 64 << 20;
pub(crate) const MAX_SHARED_STRINGS: u64 = 1_000_000;
/// Any XML part other than a worksheet (workbook, styles, relationships…), read whole.
const MAX_OTHER_PART_BYTES: u64 = 32 << 20;
/// One cell (`<c>…</c>`), shared string (`<si>…</si>`) or text run, as XML: the longest
/// field (100,000 characters) escaped at up to ~10 bytes a character, with room to spare.
pub(crate) const MAX_CELL_XML_BYTES: usize = 1 << 20;
/// One tag, attributes included.
const MAX_TAG_BYTES: usize = 64 << 10;

fn mib(n: u64) -> u64 {
    n >> 20
}

fn limit(message: String) -> IoError {
    IoError::WorkbookLimit(message)
}

/// Refuses a workbook that would cost unbounded memory or time to open (see the module doc).
pub(crate) fn check_workbook(path: &Path) -> Result<(), IoError> {
    let open_err = |source| IoError::Open { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(open_err)?;
    check_directory(&mut file).map_err(|e| match e {
        Check::Io(source) => open_err(source),
        Check::Limit(e) => e,
    })?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| IoError::Excel(e.to_string()))?;
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| IoError::Excel(e.to_string()))?;
        if part.is_dir() {
            continue;
        }
        let shown = String::from_utf8_lossy(part.name_raw()).chars().take(100).collect::<String>();
        let name = shown.replace('\\', "/").to_ascii_lowercase();
        let compressed = part.compressed_size().max(1);
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        let shared = name.ends_with("sharedstrings.xml");
        let sheet = name.contains("worksheets/") || name.ends_with("content.xml");
        let part_cap = if shared {
            MAX_SHARED_STRINGS_BYTES
        } else if xml && !sheet {
            MAX_OTHER_PART_BYTES
        } else {
            MAX_TOTAL_BYTES
        };
        let mut scan = XmlScan::new(shared);
        let mut size = 0u64;
        loop {
            let n = part.read(&mut buf).map_err(|e| IoError::Excel(e.to_string()))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if size > part_cap {
                return Err(limit(if shared {
                    format!(
                        "共享字符串表（sharedStrings.xml）解压后超过 {} MB 的上限；请把文件另存为 CSV 再导入，或分成几个较小的文件",
                        mib(MAX_SHARED_STRINGS_BYTES)
                    )
                } else {
                    format!("部件「{shown}」解压后超过 {} MB 的上限", mib(part_cap))
                }));
            }
            if total > MAX_TOTAL_BYTES {
                return Err(limit(format!(
                    "文件解压后超过 {} MB 的上限；请分成几个较小的文件导入",
                    mib(MAX_TOTAL_BYTES)
                )));
            }
            if size > RATIO_FREE_BYTES && size / compressed > MAX_RATIO {
                return Err(limit(format!("部件「{name}」的压缩比超过 {MAX_RATIO} 倍（解压炸弹的特征），已拒绝读取")));
            }
            if xml {
                scan.feed(&buf[..n]).map_err(|m| limit(format!("部件「{shown}」{m}")))?;
            }
        }
    }
    Ok(())
}

enum Check {
    Io(std::io::Error),
    Limit(IoError),
}

/// Reads the end-of-central-directory record: how many entries, how large the directory.
fn check_directory(file: &mut File) -> Result<(), Check> {
    let len = file.seek(SeekFrom::End(0)).map_err(Check::Io)?;
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len)).map_err(Check::Io)?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).map_err(Check::Io)?;
    file.seek(SeekFrom::Start(0)).map_err(Check::Io)?;
    let Some(at) = (0..tail.len().saturating_sub(21)).rev().find(|&i| tail[i..].starts_with(b"PK\x05\x06")) else {
        // Not a zip: calamine says so in its own words.
        return Ok(());
    };
    let entries = u64::from(u16::from_le_bytes([tail[at + 10], tail[at + 11]]));
    let directory = u64::from(u32::from_le_bytes([tail[at + 12], tail[at + 13], tail[at + 14], tail[at + 15]]));
    if entries > MAX_ENTRIES || directory > MAX_CENTRAL_DIRECTORY {
        return Err(Check::Limit(limit(format!(
            "压缩包目录过大（{entries} 个部件，目录 {} KB；上限 {MAX_ENTRIES} 个部件、{} MB），不像是正常的工作簿",
            directory >> 10,
            mib(MAX_CENTRAL_DIRECTORY)
        ))));
    }
    Ok(())
}

/// A byte-level pass over XML that tracks only lengths: of the current text run, tag, and
/// cell or shared-string element. Constant memory (a tag is kept only while it is short).
#[derive(Debug)]
struct XmlScan {
    shared: bool,
    in_tag: bool,
    tag: Vec<u8>,
    tag_len: usize,
    tag_last: u8,
    text_len: usize,
    /// Bytes since the start tag of the current `<c>` or `<si>`, if inside one.
    element: Option<usize>,
    strings: u64,
}

impl XmlScan {
    fn new(shared: bool) -> XmlScan {
        XmlScan {
            shared,
            in_tag: false,
            tag: Vec::with_capacity(256),
            tag_len: 0,
            tag_last: 0,
            text_len: 0,
            element: None,
            strings: 0,
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), String> {
        while !bytes.is_empty() {
            let stop = if self.in_tag { b'>' } else { b'<' };
            let run = bytes.iter().position(|&b| b == stop).unwrap_or(bytes.len());
            let (chunk, rest) = bytes.split_at(run);
            if let Some(e) = &mut self.element {
                *e += chunk.len();
                if *e > MAX_CELL_XML_BYTES {
                    let what = if self.shared { "有一个共享字符串" } else { "有一个单元格" };
                    return Err(format!(
                        "{what}超过 {} KB，远超任何一列的字数上限，已拒绝读取",
                        MAX_CELL_XML_BYTES >> 10
                    ));
                }
            }
            if self.in_tag {
                self.tag_len += chunk.len();
                if self.tag_len > MAX_TAG_BYTES {
                    return Err(format!("有一个 XML 标签超过 {} KB，已拒绝读取", MAX_TAG_BYTES >> 10));
                }
                if let Some(&b) = chunk.last() {
                    self.tag_last = b;
                }
                if self.tag.len() < 256 {
                    let keep = chunk.len().min(256 - self.tag.len());
                    self.tag.extend_from_slice(&chunk[..keep]);
                }
            } else {
                self.text_len += chunk.len();
                if self.text_len > MAX_CELL_XML_BYTES {
                    return Err(format!(
                        "有一段文字超过 {} KB，远超任何一列的字数上限，已拒绝读取",
                        MAX_CELL_XML_BYTES >> 10
                    ));
                }
            }
            if rest.is_empty() {
                break;
            }
            // At the delimiter.
            if self.in_tag {
                self.end_tag()?;
                self.in_tag = false;
                self.text_len = 0;
            } else {
                self.in_tag = true;
                self.tag.clear();
                self.tag_len = 0;
                self.tag_last = 0;
            }
            if let Some(e) = &mut self.element {
                *e += 1;
            }
            bytes = &rest[1..];
        }
        Ok(())
    }

    /// A whole tag is in `self.tag` (its first 256 bytes, without `<` and `>`).
    fn end_tag(&mut self) -> Result<(), String> {
        let tag = &self.tag[..];
        if tag.first() == Some(&b'!') {
            return Err("含有 <!…> 结构（DOCTYPE、CDATA 或注释），Excel 不会写出这种内容，已拒绝读取".to_string());
        }
        let closing = tag.first() == Some(&b'/');
        let self_closing = self.tag_last == b'/';
        let body = if closing { &tag[1..] } else { tag };
        let name_end = body.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(body.len());
        let name = &body[..name_end];
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        match (local, closing) {
            (b"c", false) | (b"si", false) => {
                self.element = if self_closing { None } else { Some(0) };
                if local == b"si" && self.shared {
                    self.strings += 1;
                    if self.strings > MAX_SHARED_STRINGS {
                        return Err(format!(
                            "共享字符串超过 {MAX_SHARED_STRINGS} 个的上限；请把文件另存为 CSV 再导入，或分成几个较小的文件"
                        ));
                    }
                }
            }
            (b"c", true) | (b"si", true) => self.element = None,
            (b"sst", false) => {
                // calamine reserves room for `uniqueCount` strings up front.
                if let Some(n) = attribute_number(tag, b"uniqueCount") {
                    if n > MAX_SHARED_STRINGS {
                        return Err(format!(
                            "声明了 {n} 个共享字符串，超过 {MAX_SHARED_STRINGS} 个的上限；请把文件另存为 CSV 再导入"
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The value of `name="123"` in a tag, saturating; None when absent or not a number.
fn attribute_number(tag: &[u8], name: &[u8]) -> Option<u64> {
    let mut i = 0;
    while let Some(at) = tag[i..].windows(name.len()).position(|w| w == name) {
        let start = i + at;
        i = start + name.len();
        let preceded = start > 0 && tag[start - 1].is_ascii_whitespace();
        let rest = &tag[i..];
        let rest = rest.strip_prefix(b"=").and_then(|r| r.strip_prefix(b"\"").or_else(|| r.strip_prefix(b"'")));
        if let (true, Some(digits)) = (preceded, rest) {
            let mut n = 0u64;
            let mut any = false;
            for d in digits.iter().take_while(|b| b.is_ascii_digit()) {
                n = n.saturating_mul(10).saturating_add(u64::from(d - b'0'));
                any = true;
            }
            return any.then_some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(shared: bool, xml: &[u8], chunk: usize) -> Result<XmlScan, String> {
        let mut s = XmlScan::new(shared);
        for c in xml.chunks(chunk) {
            s.feed(c)?;
        }
        Ok(s)
    }

    #[test]
    fn ordinary_xml_passes_in_any_chunking() {
        let xml = br#"<?xml version="1.0"?><sst xmlns="x" count="3" uniqueCount="2"><si><t>a</t></si><si><r><t>b</t></r></si></sst>"#;
        for chunk in [1, 2, 7, 4096] {
            let s = scan(true, xml, chunk).unwrap();
            assert_eq!(s.strings, 2);
            assert_eq!(s.element, None);
        }
    }

    #[test]
    fn long_cells_text_runs_tags_and_doctype_are_refused() {
        let mut cell = b"<row><c r=\"A1\" t=\"inlineStr\"><is>".to_vec();
        for _ in 0..(MAX_CELL_XML_BYTES / 8 + 1) {
            cell.extend_from_slice(b"<t>ab</t>");
        }
        let e = scan(false, &cell, 4096).err().unwrap();
        assert!(e.contains("单元格超过"), "{e}");
        let run = [b"<c>".as_slice(), &vec![b' '; MAX_CELL_XML_BYTES + 1]].concat();
        assert!(scan(false, &run, 65536).err().unwrap().contains("超过"));
        let padding = vec![b' '; MAX_CELL_XML_BYTES + 1];
        assert!(scan(false, &padding, 65536).err().unwrap().contains("一段文字"));
        let tag = [b"<row ".as_slice(), &vec![b'a'; MAX_TAG_BYTES + 1]].concat();
        assert!(scan(false, &tag, 65536).err().unwrap().contains("标签"));
        assert!(scan(false, b"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", 3).err().unwrap().contains("DOCTYPE"));
        // A self-closed cell does not open an element.
        let mut after = b"<c r=\"A1\"/>".to_vec();
        for _ in 0..(MAX_CELL_XML_BYTES / 10 + 1) {
            after.extend_from_slice(b"<x a=\"1\"/>");
        }
        assert!(scan(false, &after, 4096).is_ok());
    }

    #[test]
    fn too_many_shared_strings_are_refused() {
        let e = scan(true, br#"<sst uniqueCount="4000000000">"#, 5).err().unwrap();
        assert!(e.contains("4000000000"), "{e}");
        assert_eq!(attribute_number(br#"sst count="5" uniqueCount='7'"#, b"uniqueCount"), Some(7));
        assert_eq!(attribute_number(br#"sst xuniqueCount="9""#, b"uniqueCount"), None);
        let mut s = XmlScan::new(true);
        s.strings = MAX_SHARED_STRINGS;
        assert!(s.feed(b"<si>").err().unwrap().contains("共享字符串超过"));
    }
}
