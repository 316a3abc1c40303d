//! End-to-end tests of the `periclase` binary: real files in, real SQLite database, real
//! error reports out.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{open_workbook, Reader, Xlsx};
use rust_xlsxwriter::Workbook;

const VALID: &str = "91350100M000100Y43";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_periclase"));
    c.env_remove("PERICLASE_DB").env_remove("PERICLASE_CONFIG").env("PERICLASE_LOG", "warn");
    c
}

struct Env {
    dir: tempfile::TempDir,
    /// A PostgreSQL database instead of the SQLite file.
    postgres: Option<periclase_store::testing::PgDatabase>,
}

impl Env {
    fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap(), postgres: None }
    }
    /// Every command on a PostgreSQL database of the test's own.
    fn on_postgres() -> Env {
        Env { dir: tempfile::tempdir().unwrap(), postgres: Some(periclase_store::testing::PgDatabase::new()) }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn db(&self) -> PathBuf {
        match &self.postgres {
            Some(database) => PathBuf::from(&database.params),
            None => self.path("t.db"),
        }
    }
    fn run(&self, args: &[&str]) -> Output {
        bin().arg("--db").arg(self.db()).args(args).current_dir(self.dir.path()).output().unwrap()
    }
    fn import(&self, registry: &str, file: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["import", registry, file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }
    fn count(&self, registry: &str) -> u64 {
        let out = self.run(&["export", registry, "--format", "csv", "-o", "count.csv"]);
        assert!(out.status.success(), "{}", text(&out));
        let csv = std::fs::read_to_string(self.path("count.csv")).unwrap();
        csv.lines().count() as u64 - 1
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn uscc(first17: &str) -> String {
    periclase_domain::Uscc::complete(first17).unwrap().to_string()
}

/// A valid USCC in Haicheng for serial `n`.
fn haicheng(n: u32) -> String {
    uscc(&format!("91210381{n:08}X"))
}

#[test]
fn gbk_csv_with_chinese_headers_imports() {
    let env = Env::new();
    let body = format!(
        "企业名称,统一社会信用代码,所属地区,行业代码,成立日期,主要产品\r\n\
         海城示例镁业有限公司,{},海城市,3089,2001/5/8,电熔镁砂、轻烧氧化镁\r\n\
         营口示例耐火材料有限公司（鲅鱼圈）,{},210804,C3089,2010年3月1日,镁碳砖\r\n",
        haicheng(1),
        uscc("91210804MA0000001")
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&body);
    assert!(!unmappable);
    let file = env.path("企业.csv");
    std::fs::write(&file, &gbk).unwrap();
    let out = env.import("enterprises", &file, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("新增 2"), "{}", text(&out));

    env.run(&["export", "enterprises", "--format", "csv", "-o", "back.csv"]);
    let back = std::fs::read_to_string(env.path("back.csv")).unwrap();
    assert!(back.starts_with('\u{feff}'), "exports carry a BOM for Excel");
    assert!(back.contains("营口示例耐火材料有限公司（鲅鱼圈）"), "{back}");
    assert!(back.contains("210381") && back.contains("2001-05-08") && back.contains("电熔镁砂；轻烧氧化镁"), "{back}");

    // Export follows a sort and a data-quality filter; bad ones are named.
    let sorted = env.run(&["export", "enterprises", "--format", "csv", "--sort", "-name", "-o", "sorted.csv"]);
    assert!(sorted.status.success(), "{}", text(&sorted));
    let sorted = std::fs::read_to_string(env.path("sorted.csv")).unwrap();
    let names: Vec<&str> = sorted.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(names, ["营口示例耐火材料有限公司（鲅鱼圈）", "海城示例镁业有限公司"]);
    let none = env.run(&["export", "enterprises", "--format", "csv", "--issue", "missing_industry", "-o", "q.csv"]);
    assert!(text(&none).contains("导出 0 行"), "{}", text(&none));
    let bad = env.run(&["export", "enterprises", "--sort", "利润"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("利润") && text(&bad).contains("name"), "{}", text(&bad));
    let bad = env.run(&["export", "enterprises", "--issue", "typo"]);
    assert!(text(&bad).contains("「typo」") && text(&bad).contains("missing_industry"), "{}", text(&bad));

    // Re-importing the same file changes nothing.
    let again = env.import("enterprises", &file, &[]);
    assert!(text(&again).contains("新增 0，更新 0，未变 2"), "{}", text(&again));
}

fn write_xlsx(path: &Path, rows: &[Vec<&str>]) {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("企业").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save(path).unwrap();
}

#[test]
fn xlsx_with_a_bad_row_writes_nothing_and_reports_row_and_column() {
    let env = Env::new();
    let (a, b) = (haicheng(11), haicheng(12));
    let bad = format!("{}0", &a[..17]);
    let file = env.path("企业.xlsx");
    write_xlsx(
        &file,
        &[
            vec!["统一社会信用代码", "企业名称", "所属地区"],
            vec![&a, "海城示例一号镁业有限公司", "210381"],
            vec![&bad, "海城示例二号镁业有限公司", "210381"],
            vec![&b, "海城示例三号镁业有限公司", "210381"],
        ],
    );
    let out = env.import("enterprises", &file, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("没有写入任何数据"), "{}", text(&out));
    assert_eq!(env.count("enterprises"), 0);

    let report = env.path("企业.errors.xlsx");
    let mut book: Xlsx<_> = open_workbook(&report).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0], ["工作表", "行号", "列", "值", "原因"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], "企业");
    assert_eq!(rows[1][1], "3", "the row number Excel shows");
    assert_eq!(rows[1][2], "统一社会信用代码");
    assert_eq!(rows[1][3], bad);
    assert!(rows[1][4].contains("校验位错误"), "{}", rows[1][4]);

    // --partial writes the two good rows and still reports the bad one.
    let out = env.import("enterprises", &file, &["--partial"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("新增 2") && text(&out).contains("拒绝 1"), "{}", text(&out));
    assert_eq!(env.count("enterprises"), 2);
    assert!(report.exists());

    // Fixing the file and importing again: a clean run removes the stale report.
    write_xlsx(
        &file,
        &[vec!["统一社会信用代码", "企业名称", "所属地区"], vec![&a, "海城示例一号镁业有限公司", "210381"]],
    );
    let out = env.import("enterprises", &file, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!report.exists());
}

#[test]
fn duplicate_key_inside_a_file_is_an_error_not_last_wins() {
    let env = Env::new();
    let a = haicheng(21);
    let file = env.path("dup.csv");
    std::fs::write(&file, format!("uscc,name,region\n{a},甲示例公司,210381\n{},乙示例公司,210381\n", a.to_lowercase()))
        .unwrap();
    let out = env.import("enterprises", &file, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("与本文件第2行的统一社会信用代码重复"), "{}", text(&out));
    assert_eq!(env.count("enterprises"), 0);
    let report = std::fs::read_to_string(env.path("dup.errors.csv")).unwrap();
    assert!(report.contains(",3,"), "{report}");
}

#[test]
fn empty_and_header_only_files_are_refused_clearly() {
    let env = Env::new();
    let empty = env.path("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let out = env.import("enterprises", &empty, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("为空"), "{}", text(&out));

    let header = env.path("header.csv");
    std::fs::write(&header, "\u{feff}统一社会信用代码,企业名称,所属地区\r\n").unwrap();
    let out = env.import("enterprises", &header, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("只有表头"), "{}", text(&out));
}

#[test]
fn unknown_and_missing_columns_are_reported_before_anything_is_read() {
    let env = Env::new();
    let file = env.path("cols.csv");
    std::fs::write(
        &file,
        format!("统一社会信用代码,企业名称,所属地区,法定代表人\n{},示例公司,210381,张三\n", haicheng(31)),
    )
    .unwrap();
    let out = env.import("enterprises", &file, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("「法定代表人」（第4列）"), "{}", text(&out));
    let out = env.import("enterprises", &file, &["--ignore-unknown-columns"]);
    assert!(out.status.success(), "{}", text(&out));

    std::fs::write(&file, "企业名称\n示例公司\n").unwrap();
    let out = env.import("enterprises", &file, &[]);
    assert!(text(&out).contains("缺少必填列：统一社会信用代码、所属地区"), "{}", text(&out));
}

#[test]
fn children_need_their_parent() {
    let env = Env::new();
    let file = env.path("fig.csv");
    std::fs::write(
        &file,
        format!(
            "统一社会信用代码,年度,指标,数值,数据来源,截至日期\n{},2023,营业收入,1234.5,统计局,2024-04-30\n",
            haicheng(41)
        ),
    )
    .unwrap();
    let out = env.import("enterprise-figures", &file, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("企业库中没有统一社会信用代码为"), "{}", text(&out));
}

#[test]
fn validate_uscc_command() {
    let out = bin().args(["validate-uscc", VALID, "９１３５０１００ｍ０００１００ｙ４３"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = bin().args(["validate-uscc", "91350100M000100Y44"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("第18位应为「3」"));
}

/// Peak resident set of a finished child, in KiB (Linux `wait4` rusage); its output discarded.
fn run_measuring_peak_kib(cmd: Command) -> (std::process::ExitStatus, i64) {
    run_measuring_peak_kib_with(cmd, None)
}

/// Set for a copy of this test binary that runs one command and reports its peak RSS.
const LAUNCH_ENV: &str = "PERICLASE_TEST_LAUNCH";

/// Runs `cmd` (program, arguments and environment; output to `output`'s two files, or
/// discarded) and returns its exit status and peak RSS in KiB.
///
/// A child's `ru_maxrss` includes the RSS of the process it was forked from (the kernel
/// carries the old address space's high-water mark across exec), and this test process
/// grows to hundreds of MB while other tests run. So the command is started by a fresh,
/// small copy of this binary ([`peak_rss_launcher`]), which measures it and reports back.
fn run_measuring_peak_kib_with(cmd: Command, output: Option<(&Path, &Path)>) -> (std::process::ExitStatus, i64) {
    use std::os::unix::process::ExitStatusExt;
    let null = std::path::PathBuf::from("/dev/null");
    let (out, err) = output.unwrap_or((&null, &null));
    let mut spec = vec![cmd.get_program().to_str().unwrap(), out.to_str().unwrap(), err.to_str().unwrap()];
    spec.extend(cmd.get_args().map(|a| a.to_str().unwrap()));
    let mut launcher = Command::new(std::env::current_exe().unwrap());
    launcher.args(["--exact", "peak_rss_launcher", "--nocapture", "--test-threads=1"]);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => launcher.env(k, v),
            None => launcher.env_remove(k),
        };
    }
    let report = launcher.env(LAUNCH_ENV, spec.join("\u{1f}")).output().unwrap();
    let stdout = String::from_utf8_lossy(&report.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("PERICLASE_PEAK ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("{stdout}"));
    let (status, peak) = line.split_once(' ').unwrap();
    (std::process::ExitStatus::from_raw(status.parse().unwrap()), peak.parse().unwrap())
}

/// Not a test of its own: the launcher of [`run_measuring_peak_kib_with`], idle unless
/// [`LAUNCH_ENV`] is set.
#[test]
#[allow(unsafe_code)]
fn peak_rss_launcher() {
    let Ok(spec) = std::env::var(LAUNCH_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('\u{1f}').collect();
    let mut cmd = Command::new(parts[0]);
    cmd.args(&parts[3..]).env_remove(LAUNCH_ENV);
    cmd.stdout(std::fs::File::create(parts[1]).unwrap()).stderr(std::fs::File::create(parts[2]).unwrap());
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it for our own child `pid`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    std::mem::forget(child);
    println!("PERICLASE_PEAK {status} {}", usage.ru_maxrss);
}

#[test]
fn fifty_megabyte_cell_heavy_file_streams_within_the_memory_bound() {
    let env = Env::new();
    let file = env.path("big.csv");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        writeln!(w, "统一社会信用代码,企业名称,所属地区,地址,行业代码,成立日期,主要产品,经营范围").unwrap();
        let scope = "菱镁矿开采、浮选、轻烧氧化镁、重烧镁砂、电熔镁砂生产销售；耐火材料制品制造；".repeat(8);
        let mut n = 0u32;
        let mut written = 0u64;
        while written < 50 * 1024 * 1024 {
            n += 1;
            let line = format!("{},海城示例{n}号镁业有限公司,210381,辽宁省鞍山市海城市示例路{n}号,C3089,2001-05-08,电熔镁砂；轻烧氧化镁,{scope}\n", haicheng(n));
            written += line.len() as u64;
            w.write_all(line.as_bytes()).unwrap();
        }
    }
    let mut cmd = bin();
    cmd.arg("--db").arg(env.db()).args(["import", "enterprises"]).arg(&file);
    let (status, peak_kib) = run_measuring_peak_kib(cmd);
    assert!(status.success());
    assert!(peak_kib < 200 * 1024, "peak RSS {} MiB exceeds 200 MiB", peak_kib / 1024);
    let db_rows = env.count("enterprises");
    assert!(db_rows > 40_000, "{db_rows}");
}

/// Imports `file` into enterprises in a child process; returns its peak RSS (KiB) and
/// what it printed.
fn import_measuring(env: &Env, file: &Path) -> (std::process::ExitStatus, i64, String) {
    let (out, err) = (env.path("import.out"), env.path("import.err"));
    let mut cmd = bin();
    cmd.arg("--db").arg(env.db()).args(["import", "enterprises"]).arg(file);
    let (status, peak) = run_measuring_peak_kib_with(cmd, Some((&out, &err)));
    let printed = std::fs::read_to_string(out).unwrap() + &std::fs::read_to_string(err).unwrap();
    (status, peak, printed)
}

/// An xlsx made by rust_xlsxwriter (header and one row, shared strings), with one part
/// replaced by `part`'s output: a few hundred KB on disk however much `part` writes.
fn hostile_xlsx(path: &Path, replace: &str, part: &dyn Fn(&mut dyn std::io::Write)) {
    use std::io::{Read, Write};
    let plain = path.with_extension("plain.xlsx");
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    for (c, v) in ["统一社会信用代码", "企业名称", "所属地区"].iter().enumerate() {
        ws.write_string(0, c as u16, *v).unwrap();
    }
    for (c, v) in [haicheng(1).as_str(), "海城示例有限公司", "210381"].iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    book.save(&plain).unwrap();
    let mut src = zip::ZipArchive::new(std::fs::File::open(&plain).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    let mut replaced = false;
    for i in 0..src.len() {
        let mut entry = src.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        out.start_file(name.as_str(), opts).unwrap();
        if name == replace {
            replaced = true;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut out);
            part(&mut w);
            w.flush().unwrap();
        } else {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            out.write_all(&bytes).unwrap();
        }
    }
    assert!(replaced, "{replace} not in the workbook");
    out.finish().unwrap();
}

/// `n` bytes of `byte`, written in 1 MiB blocks.
fn repeat(w: &mut dyn std::io::Write, byte: u8, n: usize) {
    let block = vec![byte; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        w.write_all(&block[..k]).unwrap();
        left -= k;
    }
}

/// Shared strings as rust_xlsxwriter writes them for the file above, with `middle` written
/// into the company name.
fn shared_strings(w: &mut dyn std::io::Write, middle: &dyn Fn(&mut dyn std::io::Write)) {
    let head = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">"#;
    w.write_all(head.as_bytes()).unwrap();
    for s in ["统一社会信用代码", "企业名称", "所属地区", &haicheng(1)] {
        write!(w, "<si><t>{s}</t></si>").unwrap();
    }
    w.write_all(r#"<si><t xml:space="preserve">海城示例"#.as_bytes()).unwrap();
    middle(w);
    w.write_all("有限公司</t></si><si><t>210381</t></si></sst>".as_bytes()).unwrap();
}

fn assert_refused_within_memory(env: &Env, file: &Path, message: &str) {
    let started = std::time::Instant::now();
    let (status, peak_kib, printed) = import_measuring(env, file);
    assert!(!status.success(), "{printed}");
    assert!(printed.contains(message), "expected 「{message}」 in: {printed}");
    assert!(peak_kib < 200 * 1024, "peak RSS {} MiB exceeds 200 MiB: {printed}", peak_kib / 1024);
    eprintln!("{}: peak {} MiB in {:?}", file.display(), peak_kib / 1024, started.elapsed());
}

#[test]
fn hostile_xlsx_with_a_huge_shared_string_is_refused_in_bounded_memory() {
    // Finding: a 1.25 MB xlsx holding a 1.2 GB shared string peaked at 9.7 GB.
    let env = Env::new();
    let file = env.path("huge-string.xlsx");
    hostile_xlsx(&file, "xl/sharedStrings.xml", &|w| shared_strings(w, &|w| repeat(w, b'a', 300 << 20)));
    assert!(std::fs::metadata(&file).unwrap().len() < 1 << 20);
    assert_refused_within_memory(&env, &file, "Excel 文件超出安全上限");
}

#[test]
fn hostile_xlsx_padded_with_whitespace_is_refused_in_bounded_memory() {
    // Finding: whitespace padding between a sheet's elements peaked at 2.3 GB.
    let env = Env::new();
    let file = env.path("padding.xlsx");
    hostile_xlsx(&file, "xl/worksheets/sheet1.xml", &|w| {
        w.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#).unwrap();
        repeat(w, b' ', 300 << 20);
        w.write_all(br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#).unwrap();
    });
    assert_refused_within_memory(&env, &file, "Excel 文件超出安全上限");
}

#[test]
fn hostile_xlsx_with_millions_of_shared_strings_is_refused_in_bounded_memory() {
    // Finding: many small shared strings peaked at 3.8 GB.
    let env = Env::new();
    let file = env.path("many-strings.xlsx");
    // 1.5 million short strings (22 MB of XML, well under the table's size limit), each a
    // heap entry in calamine's table.
    hostile_xlsx(&file, "xl/sharedStrings.xml", &|w| {
        w.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#).unwrap();
        for i in 0..1_500_000u32 {
            write!(w, "<si><t>{i}</t></si>").unwrap();
        }
        w.write_all(b"</sst>").unwrap();
    });
    assert_refused_within_memory(&env, &file, "共享字符串超过");
}

#[test]
fn hostile_csv_line_without_a_newline_is_refused_in_bounded_memory() {
    // Finding: a 201 MB CSV line without a newline peaked at 1.0–1.2 GB.
    let env = Env::new();
    for (name, header) in
        [("no-newline-header.csv", ""), ("no-newline-row.csv", "统一社会信用代码,企业名称,所属地区\n")]
    {
        let file = env.path(name);
        {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
            use std::io::Write;
            w.write_all(header.as_bytes()).unwrap();
            write!(w, "{},海城示例", haicheng(1)).unwrap();
            repeat(&mut w, b'a', 201 << 20);
            w.flush().unwrap();
        }
        assert_refused_within_memory(&env, &file, "超过单行长度上限");
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn exported_xlsx_opens_in_libreoffice_with_the_same_data() {
    let env = Env::new();
    let out = env.run(&["demo", "--enterprises", "40"]);
    assert!(out.status.success(), "{}", text(&out));
    // Text, codes, dates and booleans (企业库); decimals, years and enumerations (年度指标).
    for registry in ["enterprises", "enterprise-figures", "projects"] {
        env.run(&["export", registry, "--format", "xlsx", "-o", &format!("{registry}.xlsx")]);
        env.run(&["export", registry, "--format", "csv", "-o", &format!("{registry}.csv")]);
        let soffice = Command::new("soffice")
            // 44,34,76: comma-separated, double-quoted, UTF-8.
            .args(["--headless", "--norestore", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir"])
            .arg(env.path("lo"))
            .arg(env.path(&format!("{registry}.xlsx")))
            .env("HOME", env.path("lo-home"))
            .output()
            .expect("LibreOffice (soffice) must be installed: .ci/run installs libreoffice-calc-nogui");
        assert!(soffice.status.success(), "{}", text(&soffice));
        let lo = std::fs::read_to_string(env.path(&format!("lo/{registry}.csv")))
            .unwrap_or_else(|e| panic!("{e}: {}", text(&soffice)));
        let ours = std::fs::read_to_string(env.path(&format!("{registry}.csv"))).unwrap();
        let parse = |s: &str| -> Vec<Vec<String>> {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(s.trim_start_matches('\u{feff}').as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect()
        };
        let (lo, ours) = (parse(&lo), parse(&ours));
        assert_eq!(lo.len(), ours.len(), "{registry}");
        for (a, b) in lo.iter().zip(&ours) {
            assert_eq!(a, b, "{registry}: LibreOffice's reading of our xlsx differs from our CSV");
        }
    }
}

#[test]
fn demo_writes_files_that_import_back() {
    let env = Env::new();
    let out = env.run(&[
        "demo",
        "--enterprises",
        "30",
        "--out",
        "demo",
        "--only",
        "enterprises",
        "--only",
        "enterprise-honours",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.import("enterprises", &env.path("demo/enterprises.csv"), &[]);
    assert!(text(&out).contains("新增 30"), "{}", text(&out));
    let out = env.import("enterprise-honours", &env.path("demo/enterprise-honours.csv"), &[]);
    assert!(out.status.success(), "{}", text(&out));
}

fn run_with_stdin(env: &Env, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = bin()
        .arg("--db")
        .arg(env.db())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_accounts_from_the_command_line() {
    let env = Env::new();
    let out =
        run_with_stdin(&env, &["user", "add", "root", "--role", "admin", "--name", "省管理员"], "Periclase2024\n");
    assert!(out.status.success(), "{}", text(&out));
    let out = run_with_stdin(&env, &["user", "add", "root", "--role", "admin"], "Periclase2024\n");
    assert!(text(&out).contains("已被使用"), "{}", text(&out));
    let out = run_with_stdin(&env, &["user", "add", "weak", "--role", "admin"], "short\n");
    assert!(text(&out).contains("密码至少8位"), "{}", text(&out));
    let out = run_with_stdin(&env, &["user", "add", "county", "--role", "official"], "Periclase2024\n");
    assert!(text(&out).contains("请加 --region"), "{}", text(&out));
    let out =
        run_with_stdin(&env, &["user", "add", "county", "--role", "official", "--region", "999999"], "Periclase2024\n");
    assert!(text(&out).contains("不在 GB/T 2260"), "{}", text(&out));
    let out = run_with_stdin(
        &env,
        &["user", "add", "county", "--role", "市县工作人员", "--region", "210381"],
        "Periclase2024\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run_with_stdin(
        &env,
        &["user", "add", "firm", "--role", "enterprise", "--enterprise", VALID],
        "Periclase2024\n",
    );
    assert!(text(&out).contains("企业库中没有"), "{}", text(&out));
    assert!(env.run(&["user", "disable", "county"]).status.success());
    let list = text(&env.run(&["user", "list"]));
    assert!(list.contains("root\t省管理员\t省级管理员"), "{list}");
    assert!(list.contains("county\tcounty\t市县工作人员\t210381（已停用）"), "{list}");
    let out = run_with_stdin(&env, &["user", "passwd", "nobody"], "Periclase2025\n");
    assert!(text(&out).contains("没有账号"), "{}", text(&out));
}

/// The platform as an official uses it, in a real headless Chromium driven over WebDriver:
/// log in, search, open an enterprise, try an invalid USCC (shown, not saved), import an
/// xlsx with one bad row (reported, nothing committed), export, log out. Screenshots go to
/// `target/tmp/browser/` as artefacts. `.ci/run` installs chromium and chromium-driver.
mod browser {
    use std::net::TcpListener;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use fantoccini::{ClientBuilder, Locator};

    use super::{bin, haicheng, run_with_stdin, text, Env};

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    fn wait_for_port(port: u16, what: &str) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(30), "{what} did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the child when the test ends, however it ends.
    struct Guard(Child);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Waits for an element, at most 20 s: a step that never happens fails the test rather
    /// than hanging it.
    async fn wait(
        c: &fantoccini::Client,
        search: Locator<'_>,
    ) -> Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
        c.wait().at_most(Duration::from_secs(20)).for_element(search).await
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_official_works_through_the_pages() {
        let env = Env::new();
        let out = env.run(&["demo", "--enterprises", "200"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = run_with_stdin(
            &env,
            &["user", "add", "haicheng", "--role", "official", "--region", "210381", "--name", "海城市工信局"],
            "Periclase2024\n",
        );
        assert!(out.status.success(), "{}", text(&out));
        let demo = periclase_demo::Demo::new(periclase_demo::DEFAULT_SEED, 200);
        let target = (0..200).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
        let out = run_with_stdin(
            &env,
            &["user", "add", "qiye", "--role", "enterprise", "--enterprise", &target.uscc],
            "Periclase2024\n",
        );
        assert!(out.status.success(), "{}", text(&out));

        let port = free_port();
        let server = bin()
            .arg("--db")
            .arg(env.db())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _server = Guard(server);
        wait_for_port(port, "periclase serve");
        let driver_port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (Debian chromium-driver; .ci/run installs it)");
        let _driver = Guard(driver);
        wait_for_port(driver_port, "chromedriver");

        let profile = env.path("chromium-profile");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())]
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .unwrap();
        let shots = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
        std::fs::create_dir_all(&shots).unwrap();
        let shot = |name: &'static str| {
            let c = c.clone();
            let path = shots.join(name);
            async move { std::fs::write(path, c.screenshot().await.unwrap()).unwrap() }
        };
        let base = format!("http://127.0.0.1:{port}");

        // Log in.
        c.goto(&format!("{base}/")).await.unwrap();
        assert!(
            c.current_url().await.unwrap().path().ends_with("/login"),
            "signed-out visitors are sent to the login page"
        );
        c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("haicheng").await.unwrap();
        c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys("Periclase2024").await.unwrap();
        c.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        wait(&c, Locator::Css("div.cards")).await.unwrap();
        assert!(c.source().await.unwrap().contains("海城市工信局"));
        shot("01-home.png").await;

        // Search the enterprise list.
        c.goto(&format!("{base}/r/enterprises")).await.unwrap();
        c.find(Locator::Css("form.filters input[name=q]")).await.unwrap().send_keys(&target.uscc).await.unwrap();
        c.find(Locator::Css("form.filters button")).await.unwrap().click().await.unwrap();
        // The unfiltered list may show the same link: wait for the search's own page.
        let start = Instant::now();
        while !c.current_url().await.unwrap().as_str().contains("q=") {
            assert!(start.elapsed() < Duration::from_secs(20), "the search did not submit");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let link = wait(&c, Locator::LinkText(&target.uscc)).await.unwrap();
        assert_eq!(c.find_all(Locator::Css("table tbody tr")).await.unwrap().len(), 1, "the USCC finds exactly one");
        shot("02-search.png").await;

        // Open it, then edit with an invalid USCC: the error is shown and nothing is saved.
        link.click().await.unwrap();
        wait(&c, Locator::Css("dl.fields")).await.unwrap();
        shot("03-enterprise.png").await;
        c.find(Locator::LinkText("修改")).await.unwrap().click().await.unwrap();
        let uscc = wait(&c, Locator::Css("input[name=uscc]")).await.unwrap();
        uscc.clear().await.unwrap();
        let bad = format!("{}0", &target.uscc[..17]);
        uscc.send_keys(&bad).await.unwrap();
        c.find(Locator::Css("form.record button[type=submit]")).await.unwrap().click().await.unwrap();
        wait(&c, Locator::Css(".field-error")).await.unwrap();
        let page = c.source().await.unwrap();
        assert!(page.contains("校验位错误") && page.contains("未保存任何内容"));
        shot("04-invalid-uscc.png").await;
        c.goto(&format!("{base}/r/enterprises/{}", target.uscc)).await.unwrap();
        assert!(c.source().await.unwrap().contains(&target.name), "the enterprise is unchanged");

        // Import an xlsx with one bad row: the report is shown and nothing is committed.
        let good = haicheng(777);
        let broken = format!("{}0", &good[..17]);
        let xlsx = env.path("上传.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        for (r, row) in [
            ["统一社会信用代码", "企业名称", "所属地区"],
            [good.as_str(), "海城示例浏览器有限公司", "210381"],
            [broken.as_str(), "海城示例坏行有限公司", "210381"],
        ]
        .iter()
        .enumerate()
        {
            for (col, v) in row.iter().enumerate() {
                ws.write_string(r as u32, col as u16, *v).unwrap();
            }
        }
        book.save(&xlsx).unwrap();
        c.goto(&format!("{base}/r/enterprises/import")).await.unwrap();
        c.find(Locator::Css("input[type=file]")).await.unwrap().send_keys(&xlsx.display().to_string()).await.unwrap();
        c.find(Locator::Css("button.primary[type=submit]")).await.unwrap().click().await.unwrap();
        wait(&c, Locator::Css("div.cards")).await.unwrap();
        let preview = c.source().await.unwrap();
        assert!(preview.contains("尚未写入任何数据") && preview.contains("校验位错误") && preview.contains(&broken));
        shot("05-import-report.png").await;
        c.goto(&format!("{base}/r/enterprises/{good}")).await.unwrap();
        assert!(c.source().await.unwrap().contains("没有「"), "nothing was committed");

        // Export the list (fetched from the page, with the page's session).
        c.goto(&format!("{base}/r/enterprises")).await.unwrap();
        let csv = c
            .execute_async(
                "const done = arguments[arguments.length - 1]; fetch('/r/enterprises/export?format=csv').then(r => r.text()).then(done);",
                vec![],
            )
            .await
            .unwrap();
        let csv = csv.as_str().unwrap();
        // The browser's text decoder drops the BOM that Excel needs.
        assert!(csv.trim_start_matches('\u{feff}').starts_with("统一社会信用代码"), "{csv}");
        assert!(csv.lines().skip(1).all(|l| l.contains(",210381,")), "only the official's county");
        assert!(csv.contains(&target.uscc));

        // Log out.
        c.find(Locator::Css("header .who button")).await.unwrap().click().await.unwrap();
        wait(&c, Locator::Css("input[name=username]")).await.unwrap();
        shot("06-logged-out.png").await;
        c.goto(&format!("{base}/")).await.unwrap();
        assert!(c.current_url().await.unwrap().path().ends_with("/login"));

        // The enterprise declares an honour; it waits for the county, which confirms it.
        let sign_in = |user: &'static str| {
            let c = c.clone();
            let base = base.clone();
            async move {
                c.goto(&format!("{base}/login")).await.unwrap();
                c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
                c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys("Periclase2024").await.unwrap();
                c.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
                wait(&c, Locator::Css("header .who")).await.unwrap();
            }
        };
        sign_in("qiye").await;
        c.goto(&format!("{base}/r/enterprise-honours/new")).await.unwrap();
        wait(&c, Locator::Css("textarea[name=evidence]")).await.unwrap();
        let own = c.find(Locator::Css("input[name=uscc]")).await.unwrap().prop("value").await.unwrap();
        assert_eq!(own.as_deref(), Some(target.uscc.as_str()), "the enterprise's own code is filled in");
        c.find(Locator::Css("select[name=honour] option[value=\"专精特新中小企业\"]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.find(Locator::Css("input[name=year]")).await.unwrap().send_keys("2024").await.unwrap();
        c.find(Locator::Css("select[name=level] option[value=\"省级\"]")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("textarea[name=evidence]"))
            .await
            .unwrap()
            .send_keys("辽宁省工信厅公告（示例）")
            .await
            .unwrap();
        shot("07-enterprise-declares.png").await;
        c.find(Locator::Css("form.record button[type=submit]")).await.unwrap().click().await.unwrap();
        wait(&c, Locator::Css("td span.warn")).await.unwrap();
        let mine = c.source().await.unwrap();
        assert!(mine.contains("待核验") && mine.contains("辽宁省工信厅公告（示例）"), "{mine}");
        shot("08-enterprise-declarations.png").await;
        c.find(Locator::Css("header .who button")).await.unwrap().click().await.unwrap();
        wait(&c, Locator::Css("input[name=username]")).await.unwrap();

        sign_in("haicheng").await;
        c.goto(&format!("{base}/declarations?status=pending")).await.unwrap();
        let confirm = wait(&c, Locator::Css("button[value=confirm]")).await.unwrap();
        shot("09-official-inbox.png").await;
        confirm.click().await.unwrap();
        wait(&c, Locator::LinkText("申报核验")).await.unwrap();
        c.goto(&format!("{base}/declarations?status=confirmed")).await.unwrap();
        wait(&c, Locator::Css("td span.ok")).await.unwrap();
        assert!(c.source().await.unwrap().contains("已核验"));
        shot("10-confirmed.png").await;
        c.close().await.unwrap();
        eprintln!("screenshots: {}", shots.display());
    }
}

#[test]
fn chain_commands_analyse_the_demo_province() {
    let env = Env::new();
    let out = env.run(&["demo", "--enterprises", "400"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["chain", "gaps", "--chain", "mg-metal", "--region", "3417", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["benchmark"], "34");
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows.iter().any(|f| f["kind"] == "missing" && f["name"] == "压铸"), "{doc}");
    assert!(rows.iter().all(|f| !f["evidence"].as_array().unwrap().is_empty()));

    let out =
        env.run(&["chain", "targets", "--chain", "mg-metal", "--region", "3417", "--format", "xlsx", "-o", "t.xlsx"]);
    assert!(out.status.success(), "{}", text(&out));
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(env.path("t.xlsx")).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "缺口类型");
    assert!(sheet.height() > 1);

    let out = env.run(&["chain", "leaders", "--chain", "magnesia", "--region", "2103"]);
    assert!(text(&out).contains("链主候选") && text(&out).contains("规模"), "{}", text(&out));

    // Suggestions go in as 待确认 and show in the node metrics.
    let out = env.run(&["chain", "suggest", "--chain", "magnesia", "--apply"]);
    assert!(text(&out).contains("新增待确认"), "{}", text(&out));
    let out = env.run(&["chain", "show", "--chain", "magnesia", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["rows"].as_array().unwrap().iter().any(|n| n["suggested"].as_u64() > Some(0)), "{doc}");

    let bad = env.run(&["chain", "show", "--chain", "铝"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("没有产业链「铝」"), "{}", text(&bad));
}

/// The demo province (at its default size) shows exactly the chain findings its generator
/// planted: one of each kind, each with its evidence.
#[test]
fn the_demo_province_shows_exactly_the_planted_chain_findings() {
    let env = Env::new();
    let out = env.run(&["demo", "--only", "enterprises", "--only", "enterprise-figures", "--only", "chain-members"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut areas: Vec<(&str, &str)> = periclase_demo::places::PLANTED.iter().map(|p| (p.0, p.1)).collect();
    areas.dedup();
    for (chain, region) in areas {
        let out = env.run(&["chain", "gaps", "--chain", chain, "--region", region, "--format", "json"]);
        assert!(out.status.success(), "{}", text(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let found: Vec<(String, String, Option<String>)> = doc["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert!(!f["evidence"].as_array().unwrap().is_empty(), "{f}");
                (
                    f["kind"].as_str().unwrap().into(),
                    f["node"].as_str().unwrap().into(),
                    f["toward"].as_str().map(Into::into),
                )
            })
            .collect();
        let planted: Vec<(String, String, Option<String>)> = periclase_demo::places::PLANTED
            .iter()
            .filter(|p| p.0 == chain && p.1 == region)
            .map(|p| (p.2.into(), p.3.into(), p.4.map(Into::into)))
            .collect();
        assert_eq!(found, planted, "{chain} in {region}");
    }
    let kinds: std::collections::HashSet<&str> = periclase_demo::places::PLANTED.iter().map(|p| p.2).collect();
    assert_eq!(kinds.len(), 4, "one of each kind at least");
}

#[test]
fn policy_commands_check_test_and_explain() {
    let env = Env::new();
    let out = env.run(&["policy", "check"]);
    assert!(out.status.success() && text(&out).contains("全部通过校验"), "{}", text(&out));
    let out = env.run(&["policy", "test"]);
    assert!(out.status.success() && text(&out).contains("个用例通过，0 个失败"), "{}", text(&out));

    // A directory of one's own: every error is listed with file, line and column.
    let dir = env.path("policies");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    let head = "id = \"p\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"d\"\ncategory = \"奖补\"\nsubject = \"enterprise\"\nvalid_from = \"2024-01-01\"\nsource = \"s\"\n[[conditions]]\nid = \"a\"\nlabel = \"规模\"\nclause = \"第一条\"\n";
    std::fs::write(dir.join("a.toml"), format!("{head}when = 'enterprise.revenue >= \"多\"'\n")).unwrap();
    std::fs::write(dir.join("b.toml"), format!("{head}when = 'enterprise.revenue >= 1000'\n")).unwrap();
    std::fs::copy(dir.join("b.toml"), dir.join("c.toml")).unwrap();
    let out = env.run(&["policy", "check", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("a.toml 第13行第31列：条件「规模」：「>=」右边应为数值，这里是文本"), "{}", text(&out));
    assert!(text(&out).contains("c.toml：政策编号「p」与另一文件重复"), "{}", text(&out));
    std::fs::remove_file(dir.join("a.toml")).unwrap();
    std::fs::remove_file(dir.join("c.toml")).unwrap();
    std::fs::write(
        dir.join("tests/p.yaml"),
        "- policy: p\n  date: 2025-01-01\n  cases:\n    - name: 够\n      enterprise: { revenue: 1200 }\n      expect: { result: eligible }\n    - name: 写错\n      enterprise: { revenue: 10 }\n      expect: { result: eligible }\n",
    )
    .unwrap();
    let out = env.run(&["policy", "test", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("✘ p.yaml · p · 写错：结果应为「符合」，实为「不符合」"), "{}", text(&out));
    assert!(text(&out).contains("1 个用例通过，1 个失败"), "{}", text(&out));

    // Explanations for an enterprise and a project of the demo province.
    let out = env.run(&["demo", "--enterprises", "120"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["export", "enterprise-honours", "--format", "csv", "-o", "h.csv"]);
    assert!(out.status.success(), "{}", text(&out));
    let honours = std::fs::read_to_string(env.path("h.csv")).unwrap();
    let giant =
        honours.lines().find(|l| l.contains("little_giant") || l.contains("小巨人")).expect("a 小巨人 in the demo");
    let uscc = giant.trim_start_matches('\u{feff}').split(',').next().unwrap();
    let out = env.run(&["policy", "explain", "--enterprise", uscc, "--date", "2025-06-30", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = doc.as_array().unwrap();
    assert_eq!(list.len(), 5, "every enterprise policy in force");
    let find = |id: &str| list.iter().find(|x| x["policy"] == id).unwrap();
    assert_eq!(find("little-giant-award")["result"], "eligible");
    assert_eq!(find("little-giant-award")["amount"], 100.0);
    assert_eq!(find("specialized-sme-award")["superseded_by"], "专精特新“小巨人”企业一次性奖励");
    assert!(list.iter().all(|x| x["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| !c["clause"].as_str().unwrap().is_empty())));

    let out = env.run(&["export", "projects", "--format", "csv", "-o", "p.csv"]);
    assert!(out.status.success(), "{}", text(&out));
    let projects = std::fs::read_to_string(env.path("p.csv")).unwrap();
    let code = projects.lines().nth(1).unwrap().trim_start_matches('\u{feff}').split(',').next().unwrap().to_string();
    let out = env.run(&[
        "policy",
        "explain",
        "--project",
        &code,
        "--policy",
        "magnesite-project-support",
        "--date",
        "2025-06-30",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&code), "{}", text(&out));
    assert!(text(&out).contains("《菱镁行业项目资金支持》（第1版）："), "{}", text(&out));

    let out = env.run(&["export", "first-sets", "--format", "csv", "-o", "f.csv"]);
    assert!(out.status.success(), "{}", text(&out));
    let sets = std::fs::read_to_string(env.path("f.csv")).unwrap();
    let policy_no = sets.lines().nth(1).expect("the demo insures a first unit").split(',').nth(1).unwrap().to_string();
    let out = env.run(&["policy", "explain", "--first-set", &policy_no, "--date", "2025-06-30"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("《首台（套）重大技术装备、首批次新材料保险补偿》（第1版）："), "{}", text(&out));
    assert!(text(&out).contains("连续投保未超过补贴年限"), "{}", text(&out));

    // Batch runs: archived, an identical preview not stored twice, once-only awards paid once.
    let run = |extra: &[&str]| {
        let mut args = vec!["policy", "run", "--date", "2025-06-30", "--region", "21"];
        args.extend_from_slice(extra);
        let out = env.run(&args);
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };
    let first = run(&["-o", "list.xlsx"]);
    assert!(first.contains("已存档为第 1 次运行") && first.contains("预览"), "{first}");
    assert!(run(&[]).contains("与第 1 次运行的政策、数据和结果完全相同，未重复存档"));
    let granted = run(&["--grant"]);
    assert!(granted.contains("一次性奖补已登记入账"), "{granted}");
    let again = run(&["--grant"]);
    assert!(!again.contains("本次兑现 1") && again.contains("合计兑现 0 万元"), "{again}");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(env.path("list.xlsx")).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "政策");
    assert!(sheet.height() > 1);
    let runs = text(&env.run(&["policy", "runs"]));
    assert_eq!(runs.lines().count(), 3, "{runs}");
    // One chain only: the magnesite chain's enterprises and projects.
    let chain = run(&["--chain", "magnesia"]);
    assert!(chain.contains("已存档为第 4 次运行"), "{chain}");
    let counts = |t: &str| -> Vec<u64> {
        let line = t.lines().next().unwrap();
        line.split(['，', '、'])
            .filter_map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>().parse().ok())
            .collect()
    };
    let (all, only) = (counts(&first), counts(&chain));
    assert!(only[2] < all[2] && only[3] < all[3], "fewer enterprises and projects: {first} / {chain}");
    assert!(text(&env.run(&["policy", "runs"])).contains("产业链 magnesia"));
    let bad = env.run(&["policy", "run", "--chain", "铝"]);
    assert!(text(&bad).contains("没有产业链「铝」"), "{}", text(&bad));

    // The sandbox: a higher rate under a budget, and a refused change.
    let out = env.run(&[
        "policy",
        "simulate",
        "--policy",
        "magnesite-project-support",
        "--set",
        "rate=0.08",
        "--when",
        "investment=project.total_investment >= 1",
        "--budget",
        "100",
        "--date",
        "2025-06-30",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let sim = text(&out);
    assert!(sim.contains("参数「支持比例」：0.05 → 0.08") && sim.contains("按比例分配"), "{sim}");
    assert!(sim.contains("合计\t") && sim.contains("\t100\t"), "the scenario's cost is the budget: {sim}");
    let out = env.run(&["policy", "simulate", "--policy", "magnesite-project-support", "--set", "rat=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("可改的参数：province、rate"), "{}", text(&out));

    let out = env.run(&["policy", "explain", "--enterprise", VALID]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains(&format!("没有找到「{VALID}」")), "{}", text(&out));
}

/// A server killed (SIGKILL) while policy runs are queued and running: started again on the
/// same database, each job's page still answers — done ones lead to their archived run, the
/// others say 已中断 and that nothing of them was saved — the tables hold exactly the runs
/// of the done jobs and no ledger entry of the interrupted grant, and the interrupted run,
/// started again from its page's button with the same parameters, completes.
mod restart {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant};

    use super::{bin, run_with_stdin, text, Env};

    struct Server(Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// `periclase serve` on the test's database, its local files in the test's directory.
    fn serve(env: &Env) -> (Server, u16) {
        serve_with_data(env, "data")
    }

    /// `periclase serve` with its local files (search index, uploads) in `data`: another
    /// instance on the same database.
    fn serve_with_data(env: &Env, data: &str) -> (Server, u16) {
        let db = env.db();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = bin()
            .env("PERICLASE_DATA_DIR", env.dir.path().join(data))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(30), "periclase serve did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        (Server(child), port)
    }

    struct Reply {
        status: u16,
        head: String,
        body: String,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
            })
        }
    }

    fn request(port: u16, method: &str, path: &str, cookie: &str, body: Option<(&str, String)>) -> Reply {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {cookie}\r\n");
        if let Some((kind, body)) = &body {
            req += &format!("Content-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        } else {
            req += "\r\n";
        }
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        Reply { status, head: head.to_string(), body: body.to_string() }
    }

    fn encode(pairs: &[(String, String)]) -> String {
        let enc = |t: &str| {
            t.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
    }

    /// The session cookie and CSRF token of `username`.
    fn login(port: u16, username: &str) -> (String, String) {
        let body = serde_json::json!({ "username": username, "password": "Periclase2024" }).to_string();
        let r = request(port, "POST", "/api/login", "", Some(("application/json", body)));
        assert_eq!(r.status, 200, "{}", r.body);
        let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
        let who: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        (cookie, who["csrf_token"].as_str().unwrap().to_string())
    }

    /// Starts a run through the page's form; the job page it is sent to.
    fn start(port: u16, cookie: &str, fields: &[(String, String)]) -> String {
        let r =
            request(port, "POST", "/policy-runs", cookie, Some(("application/x-www-form-urlencoded", encode(fields))));
        assert_eq!(r.status, 303, "{}", r.body);
        r.header("location").unwrap().to_string()
    }

    /// The (name, value) pairs of the restart form on a job's page.
    fn again_form(page: &str) -> Vec<(String, String)> {
        let form = page.split("action=\"/policy-runs\"").nth(1).expect("a form to start the run again");
        let form = &form[..form.find("</form>").unwrap()];
        form.split("<input")
            .skip(1)
            .map(|input| {
                let attr = |name: &str| {
                    let at = input.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                    input[at..at + input[at..].find('"').unwrap()].to_string()
                };
                (attr("name"), attr("value"))
            })
            .collect()
    }

    fn store_state(env: &Env) -> (Vec<periclase_domain::policy_run::StoredRun>, usize) {
        use periclase_store::prelude::*;
        use periclase_store::SqliteStore;
        let store = SqliteStore::open(env.db()).unwrap();
        (store.policy_runs(100).unwrap(), store.granted_awards().unwrap().len())
    }

    #[test]
    fn a_killed_server_leaves_interrupted_jobs_that_saved_nothing_and_can_start_again() {
        let started = Instant::now();
        let env = Env::new();
        // 20,000 enterprises: a province-wide run takes about 0.1 s (debug build), so the
        // last of five jobs queued on two workers is still waiting or running at the kill.
        let out = env.run(&["demo", "--enterprises", "20000"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = run_with_stdin(
            &env,
            &["user", "add", "liaoning", "--role", "official", "--region", "21", "--name", "省工信厅"],
            "Periclase2024\n",
        );
        assert!(out.status.success(), "{}", text(&out));
        let (runs, ledger) = store_state(&env);
        assert!(runs.is_empty() && ledger == 0);

        let (mut server, port) = serve(&env);
        let (cookie, csrf) = login(port, "liaoning");
        let fields = |date: &str, grant: bool| -> Vec<(String, String)> {
            [("csrf", csrf.as_str()), ("region", "21"), ("date", date), ("policy", ""), ("chain", "")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain([("grant".to_string(), if grant { "1" } else { "" }.to_string())])
                .collect()
        };
        // Four previews on different dates (each a new run), then a grant.
        let mut jobs: Vec<String> = ["2025-06-26", "2025-06-27", "2025-06-28", "2025-06-29"]
            .iter()
            .map(|d| start(port, &cookie, &fields(d, false)))
            .collect();
        jobs.push(start(port, &cookie, &fields("2025-06-30", true)));
        server.0.kill().unwrap(); // SIGKILL: no shutdown of any kind
        server.0.wait().unwrap();
        drop(server);

        let (runs_after_kill, ledger_after_kill) = store_state(&env);
        let (_server, port) = serve(&env);
        let (cookie, _) = login(port, "liaoning");
        let mut done = 0;
        for job in &jobs {
            let r = request(port, "GET", job, &cookie, None);
            match r.status {
                303 => done += 1,
                200 => {
                    assert!(r.body.contains("已中断") && r.body.contains("没有保存任何结果"), "{job}: {}", r.body);
                    assert!(!r.body.contains("http-equiv=\"refresh\""), "an interrupted job is not awaited");
                }
                other => panic!("{job} answered {other}: {}", r.body),
            }
        }
        eprintln!("{done} of {} jobs done at the kill", jobs.len());
        let grant_job = jobs.last().unwrap();
        let page = request(port, "GET", grant_job, &cookie, None);
        assert_eq!(page.status, 200, "the grant job, queued behind four, was still to run at the kill: {}", page.body);
        // Nothing half-written: one archived run per done job, none of the interrupted ones,
        // and no ledger entry of the interrupted grant.
        assert_eq!(runs_after_kill.len(), done, "{runs_after_kill:?}");
        assert!(runs_after_kill.iter().all(|r| !r.granted));
        assert_eq!(ledger_after_kill, 0);

        // Started again from its page with the same parameters, the grant completes.
        let fields = again_form(&page.body);
        assert!(
            fields.iter().any(|(k, v)| k == "grant" && v == "1")
                && fields.iter().any(|(k, v)| k == "date" && v == "2025-06-30"),
            "{fields:?}"
        );
        let job = start(port, &cookie, &fields);
        let run_page = loop {
            let r = request(port, "GET", &job, &cookie, None);
            if r.status == 303 {
                break r.header("location").unwrap().to_string();
            }
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(started.elapsed() < Duration::from_secs(60), "the run did not finish: {}", r.body);
            std::thread::sleep(Duration::from_millis(50));
        };
        let r = request(port, "GET", &run_page, &cookie, None);
        assert!(r.status == 200 && r.body.contains("一次性奖补已登记入账"), "{}", r.body);
        let (runs, ledger) = store_state(&env);
        assert_eq!(runs.len(), done + 1);
        assert!(runs[0].granted && ledger > 0, "{runs:?} {ledger}");
    }

    /// The value of the hidden field `name` in a page.
    fn hidden(page: &str, name: &str) -> String {
        let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name}: {page}"));
        let rest = &page[at + name.len() + 15..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    /// A server killed (SIGKILL) during a web import: started again, the import's page says
    /// 已中断 and that nothing was written, and nothing was (the import is one transaction);
    /// started again from that page with the same upload, it completes.
    #[test]
    fn a_web_import_killed_midway_wrote_nothing_and_starts_again_from_its_page() {
        let env = Env::new();
        let out = env.run(&["demo", "--enterprises", "5000"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = run_with_stdin(
            &env,
            &["user", "add", "shengting", "--role", "admin", "--name", "省工信厅"],
            "Periclase2024\n",
        );
        assert!(out.status.success(), "{}", text(&out));
        // Every yearly figure (about 150,000 rows) with a new 截至日期: an import of some seconds.
        let figures = env.dir.path().join("figures.csv");
        let out = env.run(&["export", "enterprise-figures", "--format", "csv", "-o", figures.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
        const NEW_DATE: &str = "2024-12-30";
        let csv: String = std::fs::read_to_string(&figures)
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, line)| match (i, line.rsplit_once(',')) {
                (0, _) | (_, None) => format!("{line}\n"),
                (_, Some((head, _))) => format!("{head},{NEW_DATE}\n"),
            })
            .collect();
        let rows = csv.lines().count() - 1;
        assert!(rows > 100_000, "{rows}");
        let dated = |env: &Env| -> usize {
            let out = env.run(&["export", "enterprise-figures", "--format", "csv", "-o", figures.to_str().unwrap()]);
            assert!(out.status.success(), "{}", text(&out));
            std::fs::read_to_string(&figures).unwrap().lines().filter(|l| l.ends_with(NEW_DATE)).count()
        };
        assert_eq!(dated(&env), 0);

        let (mut server, port) = serve(&env);
        let (cookie, csrf) = login(port, "shengting");
        let body = format!(
            "--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"figures.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--B--\r\n"
        );
        let preview = request(
            port,
            "POST",
            "/r/enterprise-figures/import",
            &cookie,
            Some(("multipart/form-data; boundary=B", body)),
        );
        assert!(preview.status == 200 && preview.body.contains("确认导入"), "{}", preview.body);
        let confirm = [
            ("csrf", csrf.clone()),
            ("upload", hidden(&preview.body, "upload")),
            ("ext", hidden(&preview.body, "ext")),
            ("file_name", "figures.csv".to_string()),
            ("mode", "all".to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v));
        let r = request(
            port,
            "POST",
            "/r/enterprise-figures/import/confirm",
            &cookie,
            Some(("application/x-www-form-urlencoded", encode(&confirm))),
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let job = r.header("location").unwrap().to_string();
        // Killed as soon as the page reports rows read: well before the import's end.
        let started = Instant::now();
        loop {
            let page = request(port, "GET", &job, &cookie, None);
            assert!(page.body.contains("正在导入"), "the import ended before the kill: {}", page.body);
            if page.body.contains("已读取") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "{}", page.body);
            std::thread::sleep(Duration::from_millis(20));
        }
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        drop(server);
        assert_eq!(dated(&env), 0, "nothing of the killed import was written");

        let (_server, port) = serve(&env);
        let page = request(port, "GET", &job, &cookie, None);
        assert_eq!(page.status, 200, "the session outlives the restart: {}", page.body);
        assert!(page.body.contains("导入已中断") && page.body.contains("没有写入任何数据"), "{}", page.body);
        assert!(!page.body.contains("http-equiv=\"refresh\""), "an interrupted import is not awaited");
        let again = format!("{job}/again");
        assert!(page.body.contains(&format!("action=\"{again}\"")), "{}", page.body);
        let r = request(
            port,
            "POST",
            &again,
            &cookie,
            Some(("application/x-www-form-urlencoded", encode(&[("csrf".to_string(), csrf.clone())]))),
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let job = r.header("location").unwrap().to_string();
        let result = loop {
            let page = request(port, "GET", &job, &cookie, None);
            assert_eq!(page.status, 200, "{}", page.body);
            if !page.body.contains("http-equiv=\"refresh\"") {
                break page.body;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "the import did not finish: {}", page.body);
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(result.contains("导入结果") && result.contains("已写入"), "{result}");
        drop(_server);
        assert_eq!(dated(&env), rows);
    }

    /// The server on PostgreSQL (a province's deployment): the demo province and an account
    /// made through the CLI, then sign-in, a county list, a record written through the API,
    /// and after a restart the record still there. Other commands refuse a server by name.
    #[test]
    fn serve_runs_on_postgres() {
        let env = Env::on_postgres();
        let out = env.run(&["demo", "--enterprises", "200"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = run_with_stdin(
            &env,
            &["user", "add", "shengting", "--role", "admin", "--name", "省工信厅"],
            "Periclase2024\n",
        );
        assert!(out.status.success(), "{}", text(&out));
        let out = env.run(&["export", "enterprises"]);
        assert!(!out.status.success() && text(&out).contains("此命令目前只支持 SQLite"), "{}", text(&out));
        // 免申即享 as a batch from the command line, archived in PostgreSQL.
        let out = env.run(&["policy", "run", "--date", "2025-06-30", "--region", "21"]);
        assert!(out.status.success() && text(&out).contains("已存档为第 1 次运行"), "{}", text(&out));
        let out = env.run(&["policy", "runs"]);
        assert!(out.status.success() && text(&out).starts_with("#1\t"), "{}", text(&out));

        let (mut server, port) = serve(&env);
        let (cookie, csrf) = login(port, "shengting");
        let r = request(port, "GET", "/api/enterprises?region=2103&limit=3", &cookie, None);
        assert_eq!(r.status, 200, "{}", r.body);
        let list: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(list["total"].as_u64().unwrap() > 0, "{list}");
        let page = request(port, "GET", "/r/enterprises?region=2103", &cookie, None);
        assert!(page.status == 200 && page.body.contains("企业库"), "{}", page.body);
        let project =
            serde_json::json!({ "code": "XM-PG-SERVE", "name": "PostgreSQL 上的示例项目", "region": "210381" });
        let r = request(
            port,
            "POST",
            "/api/projects",
            &format!("{cookie}\r\nX-CSRF-Token: {csrf}"),
            Some(("application/json", project.to_string())),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        drop(server);

        let (_server, port) = serve(&env);
        let (cookie, _) = login(port, "shengting");
        let r = request(port, "GET", "/api/projects/XM-PG-SERVE", &cookie, None);
        assert!(r.status == 200 && r.body.contains("PostgreSQL 上的示例项目"), "{}", r.body);
        // Found by search too: the index was fed from the PostgreSQL outbox.
        let started = Instant::now();
        loop {
            let r = request(port, "GET", "/api/search?q=XM-PG-SERVE", &cookie, None);
            if r.body.contains("XM-PG-SERVE") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{}", r.body);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Until `deadline`, `f` until it answers true; how long that took.
    fn within(deadline: Duration, what: &str, mut f: impl FnMut() -> bool) -> Duration {
        let started = Instant::now();
        while !f() {
            assert!(started.elapsed() < deadline, "{what}: not within {deadline:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        started.elapsed()
    }

    /// Two `periclase serve` on one PostgreSQL database, each with its own search index: a
    /// session made on one works on the other; what is written through one is read through
    /// the other at once (record, list), found by its search and drawn on its chain map.
    #[test]
    fn two_instances_on_one_database_stay_consistent() {
        let env = Env::on_postgres();
        let out = env.run(&["demo", "--enterprises", "200"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = run_with_stdin(&env, &["user", "add", "shengting", "--role", "admin"], "Periclase2024\n");
        assert!(out.status.success(), "{}", text(&out));
        let (_a, a) = serve_with_data(&env, "instance-a");
        let (_b, b) = serve_with_data(&env, "instance-b");

        // Signed in on A, working on B.
        let (cookie, csrf) = login(a, "shengting");
        let r = request(b, "GET", "/api/me", &cookie, None);
        assert!(r.status == 200 && r.body.contains("shengting"), "{} {}", r.status, r.body);

        // A project written through A: B reads it at once, then finds it by search.
        let project = serde_json::json!({ "code": "XM-TWO-1", "name": "两实例一致性示例项目", "region": "210381" });
        let with_csrf = format!("{cookie}\r\nX-CSRF-Token: {csrf}");
        let r = request(a, "POST", "/api/projects", &with_csrf, Some(("application/json", project.to_string())));
        assert_eq!(r.status, 201, "{}", r.body);
        let r = request(b, "GET", "/api/projects/XM-TWO-1", &cookie, None);
        assert!(r.status == 200 && r.body.contains("两实例一致性示例项目"), "{}", r.body);
        let r = request(b, "GET", "/api/projects?region=210381&limit=1000", &cookie, None);
        assert!(r.body.contains("XM-TWO-1"), "{}", r.body);
        let page = request(b, "GET", "/r/projects/XM-TWO-1", &cookie, None);
        assert!(page.status == 200 && page.body.contains("两实例一致性示例项目"), "{}", page.body);
        let took = within(Duration::from_secs(20), "found by search on B", || {
            request(b, "GET", "/api/search?q=%E4%B8%A4%E5%AE%9E%E4%BE%8B%E4%B8%80%E8%87%B4%E6%80%A7", &cookie, None)
                .body
                .contains("XM-TWO-1")
        });
        eprintln!("two instances: a write on A found by search on B after {took:?}");
        // And by A's own index: both queues got it.
        within(Duration::from_secs(20), "found by search on A", || {
            request(a, "GET", "/api/search?q=XM-TWO-1", &cookie, None).body.contains("XM-TWO-1")
        });

        // An enterprise on the chain renamed through A: B's map shows the new name after its
        // refresh, as A's does.
        let members = request(a, "GET", "/api/chain-members?limit=1000", &cookie, None);
        let members: serde_json::Value = serde_json::from_str(&members.body).unwrap();
        let uscc = members["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["node"] == "magnesia/refractory")
            .and_then(|m| m["uscc"].as_str())
            .unwrap_or_else(|| panic!("an enterprise on the refractory node: {}", members["records"][0]))
            .to_string();
        let node = "/chains/magnesia/nodes/refractory?region=21";
        let before = request(b, "GET", node, &cookie, None);
        assert_eq!(before.status, 200, "{}", before.body);
        let r = request(a, "GET", &format!("/api/enterprises/{uscc}"), &cookie, None);
        let mut enterprise: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let old_name = enterprise["name"].as_str().unwrap().to_string();
        assert!(before.body.contains(&old_name), "{old_name} on the node page");
        enterprise["name"] = "两实例改名耐材示例有限公司".into();
        // The record as read carries its children; an update names the record's own fields.
        enterprise.as_object_mut().unwrap().retain(|_, v| !v.is_array());
        let r = request(
            a,
            "PUT",
            &format!("/api/enterprises/{uscc}"),
            &with_csrf,
            Some(("application/json", enterprise.to_string())),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        for (port, which) in [(b, "B"), (a, "A")] {
            within(Duration::from_secs(20), &format!("{which}'s chain map refreshed"), || {
                let page = request(port, "GET", node, &cookie, None).body;
                !page.contains("数据刚有更新") && page.contains("两实例改名耐材示例有限公司")
            });
        }

        // Signed out on B: the session is gone on A too.
        let r = request(b, "POST", "/api/logout", &with_csrf, None);
        assert!(r.status < 300, "{} {}", r.status, r.body);
        assert_eq!(request(a, "GET", "/api/me", &cookie, None).status, 401);
    }

    /// A PostgreSQL server of the test's own (it is crashed and restarted, which the shared
    /// one must not be), durable as a deployment runs it; stopped and removed on drop.
    struct OwnServer {
        params: String,
        data: String,
        port: u16,
    }

    impl OwnServer {
        fn script() -> std::path::PathBuf {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/postgres.sh")
        }
        fn start() -> OwnServer {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let out = std::process::Command::new("bash")
                .arg(Self::script())
                .arg("start")
                .env("PERICLASE_TEST_PG_PORT", port.to_string())
                .env("PERICLASE_PG_DURABLE", "1")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out));
            let printed = String::from_utf8_lossy(&out.stdout).into_owned();
            let value = |name: &str| {
                let line = printed.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{printed}"));
                line.split('\'').nth(1).unwrap().to_string()
            };
            OwnServer { params: value("PERICLASE_TEST_PG="), data: value("PERICLASE_TEST_PGDATA="), port }
        }
        /// A crash (immediate stop: no checkpoint) and a start that recovers from the log.
        fn crash_and_restart(&self) {
            let out = std::process::Command::new("bash")
                .arg(Self::script())
                .args(["restart", &self.data])
                .env("PERICLASE_TEST_PG_PORT", self.port.to_string())
                .env("PERICLASE_PG_DURABLE", "1")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out));
        }
    }

    impl Drop for OwnServer {
        fn drop(&mut self) {
            let _ = std::process::Command::new("bash").arg(Self::script()).args(["stop", &self.data]).output();
        }
    }

    /// Faults of a deployment with two instances: one killed (SIGKILL) during a web import
    /// and policy runs — the other keeps serving, marks the dead one's jobs interrupted and
    /// nothing of them was written; then the database crashed and restarted under a loop of
    /// writes — each write either answered 201 and is there, or was refused in Chinese and
    /// is not; the instances serve again on their own.
    #[test]
    fn an_instance_killed_and_the_database_restarted_lose_nothing() {
        let server = OwnServer::start();
        let env = Env::new();
        let db = &server.params;
        let cli = |args: &[&str]| bin().arg("--db").arg(db).args(args).current_dir(env.dir.path()).output().unwrap();
        let out = cli(&["demo", "--enterprises", "300"]);
        assert!(out.status.success(), "{}", text(&out));
        let mut add = bin()
            .arg("--db")
            .arg(db)
            .args(["user", "add", "shengting", "--role", "admin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        add.stdin.take().unwrap().write_all(b"Periclase2024\n").unwrap();
        assert!(add.wait_with_output().unwrap().status.success());
        // Every yearly figure again with a new 截至日期: an import of some seconds.
        let out = cli(&["demo", "--enterprises", "300", "--out", "files", "--only", "enterprise-figures"]);
        assert!(out.status.success(), "{}", text(&out));
        const NEW_DATE: &str = "2024-12-30";
        let csv: String = std::fs::read_to_string(env.path("files/enterprise-figures.csv"))
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, line)| match (i, line.rsplit_once(',')) {
                (0, _) | (_, None) => format!("{line}\n"),
                (_, Some((head, _))) => format!("{head},{NEW_DATE}\n"),
            })
            .collect();
        let mut sql = postgres_client(db);
        let dated = |c: &mut periclase_store::testing::Client| -> i64 {
            c.query_one("SELECT count(*) FROM enterprise_figure WHERE as_of = $1", &[&NEW_DATE]).unwrap().get(0)
        };
        assert_eq!(dated(&mut sql), 0);

        let server_in = |data: &str| {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let child = bin()
                .env("PERICLASE_DATA_DIR", env.dir.path().join(data))
                .arg("--db")
                .arg(db)
                .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            within(Duration::from_secs(30), "serve started", || TcpStream::connect(("127.0.0.1", port)).is_ok());
            (Server(child), port)
        };
        let (mut first, a) = server_in("instance-a");
        let (_second, b) = server_in("instance-b");
        let (cookie, csrf) = login(a, "shengting");

        // On A: the import and two policy runs, then A is killed while the import reads.
        let body = format!(
            "--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"figures.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--B--\r\n"
        );
        let preview = request(
            a,
            "POST",
            "/r/enterprise-figures/import",
            &cookie,
            Some(("multipart/form-data; boundary=B", body)),
        );
        assert!(preview.status == 200 && preview.body.contains("确认导入"), "{}", preview.body);
        let confirm = [
            ("csrf", csrf.clone()),
            ("upload", hidden(&preview.body, "upload")),
            ("ext", hidden(&preview.body, "ext")),
            ("file_name", "figures.csv".to_string()),
            ("mode", "all".to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v));
        let r = request(
            a,
            "POST",
            "/r/enterprise-figures/import/confirm",
            &cookie,
            Some(("application/x-www-form-urlencoded", encode(&confirm))),
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let import_job = r.header("location").unwrap().to_string();
        let run = |date: &str| -> Vec<(String, String)> {
            [("csrf", csrf.as_str()), ("region", "21"), ("date", date), ("policy", ""), ("chain", ""), ("grant", "1")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let run_jobs = [start(a, &cookie, &run("2025-06-29")), start(a, &cookie, &run("2025-06-30"))];
        within(Duration::from_secs(60), "the import reading rows", || {
            let page = request(a, "GET", &import_job, &cookie, None);
            assert!(page.body.contains("正在导入"), "the import ended before the kill: {}", page.body);
            page.body.contains("已读取")
        });
        first.0.kill().unwrap();
        first.0.wait().unwrap();

        // B serves at once, reads and writes, and marks A's jobs interrupted on its own.
        let with_csrf = format!("{cookie}\r\nX-CSRF-Token: {csrf}");
        let project = |code: &str| serde_json::json!({ "code": code, "name": "故障演练示例项目", "region": "210381" });
        let r =
            request(b, "POST", "/api/projects", &with_csrf, Some(("application/json", project("XM-F-B").to_string())));
        assert_eq!(r.status, 201, "{}", r.body);
        let took = within(Duration::from_secs(30), "A's import marked interrupted by B", || {
            let page = request(b, "GET", &import_job, &cookie, None);
            assert_eq!(page.status, 200, "{}", page.body);
            page.body.contains("导入已中断") && page.body.contains("没有写入任何数据")
        });
        eprintln!("a killed instance's jobs marked interrupted after {took:?}");
        assert_eq!(dated(&mut sql), 0, "nothing of the killed import was written");
        let ledger_lines: i64 = sql.query_one("SELECT count(*) FROM award_ledger", &[]).unwrap().get(0);
        let granted_runs: i64 = sql.query_one("SELECT count(*) FROM policy_run WHERE granted = 1", &[]).unwrap().get(0);
        for job in &run_jobs {
            let r = request(b, "GET", job, &cookie, None);
            assert!(
                r.status == 303
                    || (r.status == 200 && r.body.contains("已中断") && r.body.contains("没有保存任何结果")),
                "{job}: {} {}",
                r.status,
                r.body
            );
        }
        assert_eq!(ledger_lines > 0, granted_runs > 0, "a run's ledger lines come with its archived run, or neither");
        let open: i64 =
            sql.query_one("SELECT count(*) FROM job WHERE state IN ('queued', 'running')", &[]).unwrap().get(0);
        assert_eq!(open, 0, "every job of the killed instance is marked");

        // The database crashes and restarts under a loop of writes through B.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (stop, with_csrf) = (stop.clone(), with_csrf.clone());
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let code = format!("XM-F-{n}");
                    let r = request(
                        b,
                        "POST",
                        "/api/projects",
                        &with_csrf,
                        Some(("application/json", project(&code).to_string())),
                    );
                    answers.push((code, r.status, r.body));
                    n += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                answers
            })
        };
        std::thread::sleep(Duration::from_millis(500));
        server.crash_and_restart();
        let mut sql = postgres_client(db);
        within(Duration::from_secs(30), "B writes again after the restart", || {
            let r = request(b, "GET", "/api/projects?limit=1", &cookie, None);
            r.status == 200
        });
        std::thread::sleep(Duration::from_millis(1000));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let answers = writer.join().unwrap();
        let refused: Vec<_> = answers.iter().filter(|(_, status, _)| *status != 201).collect();
        assert!(!refused.is_empty(), "the restart was seen: {} writes, all answered 201", answers.len());
        assert_eq!(answers.last().unwrap().1, 201, "writes succeed again: {:?}", answers.last());
        for (code, status, body) in &answers {
            let stored: i64 = sql.query_one("SELECT count(*) FROM project WHERE code = $1", &[code]).unwrap().get(0);
            if *status == 201 {
                assert_eq!(stored, 1, "{code} was answered 201 and must be there");
            } else if body.contains("无法确认") {
                // The server went down with this write's commit on its way: it may have
                // committed or not (stored once or not at all, never half), and the answer
                // says so rather than "nothing was written". Regression: such a write was
                // answered "本次操作未执行" and yet found in the table after the restart.
                assert_eq!(*status, 503, "{code}: {body}");
                assert!(stored <= 1, "{code}: {stored} rows");
            } else {
                assert_eq!(*status, 503, "{code}: {body}");
                assert!(body.contains("数据库"), "{code}: a refusal says why, in Chinese: {body}");
                assert_eq!(stored, 0, "{code} was refused and must not be there");
            }
        }
        eprintln!(
            "database restart under writes: {} writes, {} refused while it was down",
            answers.len(),
            refused.len()
        );
        // A still-valid session works on the restarted database through B.
        assert_eq!(request(b, "GET", "/api/me", &cookie, None).status, 200);
    }

    fn postgres_client(params: &str) -> periclase_store::testing::Client {
        periclase_store::testing::connect(params)
    }

    /// `periclase migrate`: the demo province (with accounts and an audit trail) from an
    /// SQLite file to PostgreSQL and back to a new file, each copy checked table by table;
    /// a missing source and a target holding data are refused.
    #[test]
    fn migrate_copies_sqlite_to_postgres_and_back() {
        let env = Env::new();
        let out = env.run(&["demo", "--enterprises", "150"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = run_with_stdin(
            &env,
            &["user", "add", "shengting", "--role", "admin", "--name", "省工信厅"],
            "Periclase2024\n",
        );
        assert!(out.status.success(), "{}", text(&out));
        let database = periclase_store::testing::PgDatabase::new();
        let migrate = |from: &str, to: &str| bin().args(["migrate", "--from", from, "--to", to]).output().unwrap();
        let source = env.db().display().to_string();
        let out = migrate(&source, &database.params);
        assert!(out.status.success() && text(&out).contains("核对一致"), "{}", text(&out));
        let back = env.path("back.db").display().to_string();
        let out = migrate(&database.params, &back);
        assert!(out.status.success() && text(&out).contains("核对一致"), "{}", text(&out));
        let out = migrate(&source, &database.params);
        assert!(!out.status.success() && text(&out).contains("只能复制到新建的空数据库"), "{}", text(&out));
        let out = migrate(&env.path("missing.db").display().to_string(), &env.path("x.db").display().to_string());
        assert!(!out.status.success() && text(&out).contains("不存在"), "{}", text(&out));
        // The copy serves: the account signs in on the file copied back.
        let copy = Env { dir: tempfile::tempdir().unwrap(), postgres: None };
        std::fs::copy(&back, copy.db()).unwrap();
        let (_server, port) = serve(&copy);
        login(port, "shengting");
    }
}
