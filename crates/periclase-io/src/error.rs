use std::path::PathBuf;

/// Problems with a file as a whole. Row-level problems are not errors here: they travel as
/// rejected rows to the error report.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("无法读取文件 {path}：{source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("文件 {0} 为空：没有表头，也没有数据")]
    Empty(PathBuf),
    #[error("文件 {0} 只有表头，没有数据行；没有写入任何数据")]
    HeaderOnly(PathBuf),
    #[error("不支持的文件类型「{0}」：请使用 .xlsx、.xls、.ods 或 .csv")]
    UnsupportedKind(String),
    #[error("不认识的编码「{0}」：可用 utf-8、gbk、gb18030")]
    UnknownEncoding(String),
    #[error("工作簿中没有名为「{0}」的工作表")]
    NoSuchSheet(String),
    #[error("无法读取 Excel 文件：{0}")]
    Excel(String),
    #[error("CSV 第{row}行格式错误：{message}")]
    Csv { row: u64, message: String },
    #[error("{registry}不认识这些列：{columns}。可用列名：{allowed}。如确需忽略这些列，请加 --ignore-unknown-columns")]
    UnknownColumns { registry: &'static str, columns: String, allowed: String },
    #[error("{registry}缺少必填列：{0}", .columns)]
    MissingColumns { registry: &'static str, columns: String },
    #[error("第{first}列「{first_header}」和第{second}列「{second_header}」都对应「{field}」，请删去其中一列")]
    DuplicateColumn { field: &'static str, first: usize, first_header: String, second: usize, second_header: String },
    #[error("写文件 {path} 失败：{message}")]
    Write { path: PathBuf, message: String },
    #[error("{0}")]
    CellTooLong(String),
}
