use std::process::ExitCode;

use periclase_domain::{RegionTable, Uscc};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 一个或多个统一社会信用代码
    #[arg(required = true)]
    codes: Vec<String>,
    /// 同时校验第9–17位组织机构代码（GB 11714）
    #[arg(long)]
    strict: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    for code in &args.codes {
        let parsed = if args.strict { Uscc::parse_strict(code) } else { Uscc::parse(code) };
        match parsed {
            Ok(u) => {
                let region =
                    RegionTable::embedded().full_name(u.region_code()).unwrap_or_else(|| "（代码表中无此地区）".into());
                println!("有效  {u}  登记机关地区 {} {region}，组织机构代码 {}", u.region_code(), u.org_code());
            }
            Err(e) => {
                all_ok = false;
                println!("无效  {code}  {e}");
            }
        }
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
