use indicatif::{ProgressBar, ProgressStyle};

/// A bar when the total is known, a counting spinner when not; hidden when stderr is not a
/// terminal (CI logs stay readable).
pub fn bar(total: Option<u64>, what: &str) -> ProgressBar {
    let pb = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} 行 {per_sec} 剩余{eta}")
                .expect("template")
                .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} {msg} {human_pos} 行 {per_sec}").expect("template")),
    };
    pb.set_message(what.to_string());
    pb
}
