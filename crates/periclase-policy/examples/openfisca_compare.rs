//! The Periclase side of `bench/policy/run.sh`: the ten benchmark policies (the shipped
//! enterprise policies and `bench/policy/policies/*.toml`) evaluated over the enterprises of
//! a CSV, the results written in the layout `openfisca_bench.py` writes, and the
//! compute-only time printed.
//! Usage: `openfisca_compare <policy dir>… <enterprises.csv> <results.csv>`.

use std::io::Write;
use std::time::Instant;

// The allocator the periclase binary uses: it keeps freed pages, so a column computed
// after another does not fault in fresh memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use periclase_policy::eval::{Column, Frame};
use periclase_policy::{date, evaluate_all, Eligibility, PolicySet, Schema};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dirs @ .., csv, out] = args.as_slice() else {
        return Err("usage: openfisca_compare <policy dir>… <enterprises.csv> <results.csv>".into());
    };
    let mut files: Vec<(String, String)> = Vec::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                files.push((path.display().to_string(), std::fs::read_to_string(&path)?));
            }
        }
    }
    files.sort();
    let order = [
        "specialized-sme-award",
        "little-giant-award",
        "high-tech-self-check",
        "tech-sme-self-check",
        "specialized-sme-self-check",
        "rd-reward",
        "energy-award",
        "export-award",
        "jobs-subsidy",
        "high-tech-relief",
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let schema = Schema::standard();
    let set = PolicySet::load(&borrowed, &schema).map_err(|e| format!("{e:?}"))?;

    let mut reader = csv::Reader::from_path(csv)?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let mut ids: Vec<String> = Vec::new();
    let mut numbers: Vec<Vec<Option<f64>>> = vec![Vec::new(); header.len()];
    let (mut regions, mut founded, mut honours) = (Vec::new(), Vec::new(), Vec::new());
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        for (k, field) in record.iter().enumerate() {
            match header[k].as_str() {
                "id" => ids.push(field.to_string()),
                "region" => regions.push(Some(field.to_string())),
                "founded" => founded.push(date::parse(field)),
                "honours" => {
                    honours.push(Some(field.split(';').filter(|s| !s.is_empty()).map(str::to_string).collect()))
                }
                _ => numbers[k].push(field.parse::<f64>().ok()),
            }
        }
    }
    let mut frame = Frame::new(ids.len())
        .with("enterprise.region", Column::Text(regions))
        .with("enterprise.founded", Column::Date(founded))
        .with("enterprise.honours", Column::List(honours));
    for (k, name) in header.iter().enumerate() {
        if !numbers[k].is_empty() {
            frame = frame.with(&format!("enterprise.{name}"), Column::Num(std::mem::take(&mut numbers[k])));
        }
    }

    let day = date::parse("2025-06-30").ok_or("date")?;
    let t = Instant::now();
    let chosen: Vec<_> = order
        .iter()
        .map(|id| set.get(id).ok_or_else(|| format!("no policy {id} in {dirs:?}")))
        .collect::<Result<_, _>>()?;
    let batches = evaluate_all(&chosen, &frame, day);
    let compute = t.elapsed().as_secs_f64();

    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    write!(w, "id")?;
    for id in order {
        write!(w, ",{id}:eligible,{id}:amount")?;
    }
    writeln!(w)?;
    for (row, id) in ids.iter().enumerate() {
        write!(w, "{id}")?;
        for b in &batches {
            let (flag, amount) = match b.eligibility(row) {
                Eligibility::Eligible => ("1", b.amount[row].unwrap_or(0.0)),
                Eligibility::NotEligible => ("0", 0.0),
                Eligibility::Unknown => ("?", 0.0),
            };
            write!(w, ",{flag},{amount}")?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    println!("periclase\t{}\tcompute {compute:.3} s", ids.len());
    Ok(())
}
