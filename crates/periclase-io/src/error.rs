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
    /// A workbook refused before it is opened: it would cost unbounded memory or time.
    #[error("Excel 文件超出安全上限，未导入：{0}")]
    WorkbookLimit(String),
    /// One row (a CSV record, a spreadsheet row) longer than all its columns may be.
    #[error("{place}超过单行长度上限 {limit} 字节（按各列的字数上限计算）；请检查是否缺少换行、引号未闭合，或有单元格内容过长")]
    RowTooLong { place: String, limit: usize },
    /// A spreadsheet cell beyond the last column Excel has.
    #[error("工作表「{sheet}」第{row}行有单元格位于第 {column} 列之后，超出 Excel 的列数上限")]
    TooManyColumns { sheet: String, row: u64, column: usize },
    /// .xls, .ods and .xlsb are read whole, so their size is bounded.
    #[error("{kind} 文件超过 {limit_mb} MB 的上限（这类文件只能整个读入内存）；请另存为 .xlsx 或 .csv 再导入")]
    WholeFileTooLarge { kind: String, limit_mb: u64 },
}
