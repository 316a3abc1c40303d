//! One typed configuration: command-line flag, then `PERICLASE_*` environment variable,
//! then the optional TOML file (`--config`), then the default.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

pub const DEFAULT_DB: &str = "periclase.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub db: Option<PathBuf>,
    pub addr: Option<String>,
    pub log: Option<String>,
    /// Served over HTTPS: cookies are marked `Secure` (`serve --secure-cookie` overrides).
    pub secure_cookie: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    /// True when the database path is the default one (not chosen by the user).
    pub db_is_default: bool,
    pub addr: String,
    pub log: String,
    /// The configuration file's `secure_cookie` (false when absent); `serve`'s flag and
    /// `PERICLASE_SECURE_COOKIE` come first.
    pub secure_cookie: bool,
}

impl Config {
    /// The search index's directory: beside the database, `<db>.index`.
    pub fn index_dir(&self) -> PathBuf {
        let mut name = self.db.as_os_str().to_owned();
        name.push(".index");
        PathBuf::from(name)
    }

    pub fn resolve(file: Option<&Path>, db: Option<PathBuf>, addr: Option<String>) -> anyhow::Result<Config> {
        let fc = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("无法读取配置文件 {}", p.display()))?;
                toml::from_str::<FileConfig>(&text).with_context(|| format!("配置文件 {} 格式错误", p.display()))?
            }
            None => FileConfig::default(),
        };
        let chosen_db = db.or(fc.db);
        Ok(Config {
            db_is_default: chosen_db.is_none(),
            db: chosen_db.unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
            addr: addr.or(fc.addr).unwrap_or_else(|| DEFAULT_ADDR.to_string()),
            log: std::env::var("PERICLASE_LOG").ok().or(fc.log).unwrap_or_else(|| "info".to_string()),
            secure_cookie: fc.secure_cookie.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "db = \"from-file.db\"\naddr = \"0.0.0.0:9000\"\n").unwrap();
        let c = Config::resolve(Some(&f), Some("flag.db".into()), None).unwrap();
        assert_eq!(c.db, PathBuf::from("flag.db"));
        assert_eq!(c.addr, "0.0.0.0:9000");
        let c = Config::resolve(None, None, None).unwrap();
        assert_eq!(c.db, PathBuf::from(DEFAULT_DB));
        assert!(c.db_is_default);
        assert!(!c.secure_cookie);
        std::fs::write(&f, "secure_cookie = true\n").unwrap();
        assert!(Config::resolve(Some(&f), None, None).unwrap().secure_cookie);
        std::fs::write(&f, "dbb = 1\n").unwrap();
        assert!(Config::resolve(Some(&f), None, None).is_err());
    }
}
