//! Support for the test suites of this crate and the crates above it: a PostgreSQL database
//! of its own for each test, on the server `.ci/run` starts (`PERICLASE_TEST_PG`).

use std::sync::atomic::{AtomicUsize, Ordering};

pub use postgres::Client;

/// A client of the server or database `params` names (tests that look under the store).
pub fn connect(params: &str) -> Client {
    blocking(|| postgres::Client::connect(params, postgres::NoTls).expect("connect to the test server"))
}

/// A fresh database on the test server, dropped when this is.
#[derive(Debug)]
pub struct PgDatabase {
    server: String,
    name: String,
    pub params: String,
}

impl PgDatabase {
    #[allow(clippy::new_without_default)]
    pub fn new() -> PgDatabase {
        let server = std::env::var("PERICLASE_TEST_PG").expect(
            "PERICLASE_TEST_PG is not set: the PostgreSQL tests need a server. Start one with \
             `eval \"$(bash .ci/postgres.sh start)\"` (as .ci/run does) and run the tests again",
        );
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!("periclase_t{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        blocking(|| {
            let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("connect to PERICLASE_TEST_PG");
            // One statement each: several in one batch would run as one transaction, which
            // CREATE DATABASE refuses.
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
            admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        });
        let params = format!("{server} dbname={name}");
        PgDatabase { server, name, params }
    }

    pub fn client(&self) -> postgres::Client {
        blocking(|| postgres::Client::connect(&self.params, postgres::NoTls).unwrap())
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        blocking(|| {
            if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
            }
        });
    }
}

/// Runs `f` (a blocking client call) outside any async runtime's worker.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    let mut out = None;
    crate::pg::escape_runtime(|| {
        out = Some(f());
        Ok(())
    })
    .expect("the PostgreSQL tests run on a multi-threaded runtime");
    out.expect("ran")
}
