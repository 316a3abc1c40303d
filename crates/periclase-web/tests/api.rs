//! The JSON API through `oneshot`, on a small demo province.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use periclase_demo::Demo;
use periclase_domain::{registries, ImportItem, ImportOptions, RowLocation};
use periclase_store::prelude::*;
use periclase_store::{Actor, Channel, ImportContext, NewAccount, SqliteStore};
use periclase_web::{app, AppState};
use serde_json::{json, Value};
use tower::ServiceExt;

const PW: &str = "Periclase2024";

/// A test's own directory and, when the suite runs on PostgreSQL, its own database.
struct TestDir {
    dir: tempfile::TempDir,
    _database: Option<periclase_store::testing::PgDatabase>,
}

impl TestDir {
    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// The store the suite runs on: SQLite, or PostgreSQL when `PERICLASE_TEST_STORE=postgres`
/// (`.ci/run` runs the suite both ways).
fn on_postgres() -> bool {
    std::env::var("PERICLASE_TEST_STORE").is_ok_and(|v| v == "postgres")
}

fn state() -> (TestDir, AppState, Demo) {
    let dir = tempfile::tempdir().unwrap();
    if on_postgres() {
        let database = periclase_store::testing::PgDatabase::new();
        let store = periclase_store::PgStore::open(&database.params).unwrap();
        let (state, demo) = loaded(store);
        (TestDir { dir, _database: Some(database) }, state, demo)
    } else {
        let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
        let (state, demo) = loaded(store);
        (TestDir { dir, _database: None }, state, demo)
    }
}

/// The demo province and one account per role, in `store`.
fn loaded<S: Store + Accounts + Declarations + Jobs + 'static>(store: S) -> (AppState, Demo) {
    let demo = Demo::new(5, 120);
    for spec in registries::ALL {
        let mut rows = Vec::new();
        demo.for_each(spec.id, &mut |r| rows.push(r));
        let mut items = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| ImportItem { location: RowLocation { sheet: None, row: i as u64 + 2 }, row: Ok(r) });
        let actor = Actor::new("test", Channel::Cli);
        let ctx = ImportContext { opts: ImportOptions::default(), actor: &actor, scope: None, source: None };
        store.import(spec, &mut items, &ctx, &mut |i| panic!("{i:?}"), &mut |_| {}).unwrap();
    }
    let hash = periclase_auth::password::hash(PW).unwrap();
    let haicheng = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    let accounts = [
        ("admin", "admin", None, None),
        ("haicheng", "official", Some("210381"), None),
        ("dashiqiao", "official", Some("210882"), None),
        ("qiye", "enterprise", None, Some(haicheng.uscc.clone())),
        ("gaoxiao", "institute", None, None),
        ("zhuanjia", "expert", None, None),
    ];
    for (username, role, region, enterprise) in accounts {
        store
            .create_account(
                &NewAccount {
                    username: username.into(),
                    display_name: username.into(),
                    role: role.into(),
                    region: region.map(str::to_string),
                    enterprise,
                    institution: (role == "institute").then(|| periclase_demo::places::INSTITUTES[0].0.to_string()),
                    talent: (role == "expert").then(|| linked_talent(&demo)),
                    password_hash: hash.clone(),
                },
                &Actor::new("test", Channel::Cli),
            )
            .unwrap();
    }
    (AppState::new(store), demo)
}

/// The first talent with a 回避 link (the expert account's own profile).
fn linked_talent(demo: &Demo) -> String {
    let mut code = None;
    demo.for_each(periclase_domain::RegistryId::TalentLinks, &mut |r| {
        code.get_or_insert(r[0].to_string());
    });
    code.expect("the demo has conflict-of-interest links")
}

#[path = "api/permissions.rs"]
mod permissions;

/// Logs in; returns the session cookie and the CSRF token.
async fn login(state: &AppState, username: &str) -> (String, String) {
    let (status, cookie, body) =
        post_json(state, "/api/login", &json!({ "username": username, "password": PW }), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = cookie.expect("login sets the session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    (session, body["csrf_token"].as_str().unwrap().to_string())
}

async fn post_json(
    state: &AppState,
    uri: &str,
    body: &Value,
    auth: Option<(&str, Option<&str>)>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::post(uri).header("content-type", "application/json");
    if let Some((cookie, csrf)) = auth {
        req = req.header("cookie", cookie);
        if let Some(csrf) = csrf {
            req = req.header("x-csrf-token", csrf);
        }
    }
    let res = app(state.clone()).oneshot(req.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = res.status();
    let cookie = res.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, cookie, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// GET as the administrator.
async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let (cookie, _) = login(state, "admin").await;
    get_as(state, uri, &cookie).await
}

async fn get_as(state: &AppState, uri: &str, cookie: &str) -> (StatusCode, Value) {
    let res = app(state.clone())
        .oneshot(Request::get(uri).header("cookie", cookie).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz() {
    let (_d, s, _) = state();
    let (status, body) = get(&s, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["enterprises"], 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_by_region_prefix() {
    let (_d, s, demo) = state();
    let expected = (0..120).filter(|&i| demo.enterprise(i).region().starts_with("2103")).count();
    assert!(expected > 0);
    let (status, body) = get(&s, "/api/enterprises?region=2103&limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], expected as u64);
    let records = body["records"].as_array().unwrap();
    assert_eq!(records.len(), expected);
    for r in records {
        assert!(r["region"].as_str().unwrap().starts_with("2103"));
        assert!(r["region_name"].as_str().unwrap().starts_with("辽宁省 鞍山市"));
    }
    // The city's full code means the same prefix.
    let (_, same) = get(&s, "/api/enterprises?region=210300&limit=1000").await;
    assert_eq!(same["total"], body["total"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_keyword() {
    let (_d, s, _) = state();
    let (_, first) = get(&s, "/api/enterprises?limit=50").await;
    let next = first["next"].as_str().unwrap();
    let (_, second) = get(&s, &format!("/api/enterprises?limit=50&after={next}")).await;
    let a: Vec<i64> = first["records"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let b: Vec<i64> = second["records"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(a.len(), 50);
    assert!(b.iter().all(|id| *id > *a.last().unwrap()));
    let (_, kw) = get(&s, "/api/enterprises?q=%E7%A4%BA%E4%BE%8B&limit=1").await;
    assert_eq!(kw["total"], 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sorted_paging_follows_the_cursor_and_bad_sorts_are_named() {
    let (_d, s, _) = state();
    let mut names = Vec::new();
    let mut path = "/api/enterprises?sort=-name&limit=45".to_string();
    loop {
        let (status, page) = get(&s, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        names.extend(page["records"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(next) => {
                path = format!("/api/enterprises?sort=-name&limit=45&after={}", periclase_web::params::encode(next))
            }
            None => break,
        }
    }
    assert_eq!(names.len(), 120);
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "descending by name");

    let (status, body) = get(&s, "/api/enterprises?sort=business_scope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "bad_request");
    assert!(body["message"].as_str().unwrap().contains("不能按「business_scope」排序"), "{body}");
    let (status, body) = get(&s, "/api/enterprises?sort=name&after=17").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an id cursor does not fit a sorted list: {body}");
    let (status, body) = get(&s, "/api/enterprises?issue=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("issue"), "{body}");
    let (status, stale) = get(&s, "/api/enterprises?issue=stale_figures").await;
    assert_eq!(status, StatusCode::OK);
    assert!(stale["total"].as_u64().unwrap() > 0);
    let uscc = stale["records"][0]["uscc"].as_str().unwrap();
    let (_, detail) = get(&s, &format!("/api/enterprises/{uscc}")).await;
    let years: Vec<i64> =
        detail["enterprise-figures"].as_array().unwrap().iter().map(|f| f["year"].as_i64().unwrap()).collect();
    assert!(!years.contains(&2024), "no figures for the latest year (2024): {years:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_includes_children_and_hides_private_fields() {
    let (_d, s, demo) = state();
    let e = demo.enterprise(0);
    let (status, body) = get(&s, &format!("/api/enterprises/{}", e.uscc.to_lowercase())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["uscc"], e.uscc);
    assert!(!body["enterprise-figures"].as_array().unwrap().is_empty());
    let (official, _) = login(&s, "haicheng").await;
    let (_, talents) = get_as(&s, "/api/talents?limit=3", &official).await;
    for t in talents["records"].as_array().unwrap() {
        assert!(t.get("contact").is_none(), "contact details are private");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_code_and_message() {
    let (_d, s, _) = state();
    let (status, body) = get(&s, "/api/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!("unknown_registry", body);
    let (status, body) = get(&s, "/api/enterprises?region=鞍山").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "bad_request");
    let (status, body) = get(&s, "/api/enterprises?limit=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!("bad_limit", body);
    let (status, _) = get(&s, "/api/enterprises/91350100M000100Y43").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_record_snapshot() {
    let (_d, s, _) = state();
    let (status, body) = get(&s, "/api/policies/ZC-LN-2024-471").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!("policy_471", body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_requests_are_refused() {
    let (_d, s, _) = state();
    let res = app(s.clone()).oneshot(Request::get("/api/enterprises").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["code"], "unauthenticated");
    let (status, _) = get_as(&s, "/api/enterprises", "periclase_session=forged").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_county_official_sees_only_their_county() {
    let (_d, s, demo) = state();
    let (cookie, _) = login(&s, "haicheng").await;
    let (status, body) = get_as(&s, "/api/enterprises?limit=1000", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let records = body["records"].as_array().unwrap();
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r["region"] == "210381"));
    // Asking for a wider region does not widen the scope.
    let (_, wider) = get_as(&s, "/api/enterprises?limit=1000&region=21", &cookie).await;
    assert_eq!(wider["total"], body["total"]);
    // Another county's enterprise: not found, as if it did not exist.
    let other = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();
    let (status, body) = get_as(&s, &format!("/api/enterprises/{}", other.uscc), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Child rows follow their enterprise's region.
    let (_, figures) = get_as(&s, "/api/enterprise-figures?limit=1000", &cookie).await;
    let mine: std::collections::HashSet<String> =
        records.iter().map(|r| r["uscc"].as_str().unwrap().to_string()).collect();
    assert!(figures["records"].as_array().unwrap().iter().all(|f| mine.contains(f["uscc"].as_str().unwrap())));
    // Published policy is readable by everyone signed in.
    let (status, _) = get_as(&s, "/api/policies", &cookie).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_user_sees_only_its_own_enterprise() {
    let (_d, s, demo) = state();
    let (cookie, _) = login(&s, "qiye").await;
    let (_, me) = get_as(&s, "/api/me", &cookie).await;
    let own = me["enterprise"].as_str().unwrap().to_string();
    let (_, list) = get_as(&s, "/api/enterprises", &cookie).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["records"][0]["uscc"], own);
    let other = (0..120).map(|i| demo.enterprise(i)).find(|e| e.uscc != own).unwrap();
    let (status, _) = get_as(&s, &format!("/api/enterprises/{}", other.uscc), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get_as(&s, "/api/talents", &cookie).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_needs_the_csrf_token_and_ends_the_session() {
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;
    let (status, _, body) = post_json(&s, "/api/logout", &json!({}), Some((&cookie, None))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"].as_str().unwrap().contains("CSRF"));
    let (status, _, _) = post_json(&s, "/api/logout", &json!({}), Some((&cookie, Some("wrong")))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, cleared, _) = post_json(&s, "/api/logout", &json!({}), Some((&cookie, Some(&csrf)))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cleared.unwrap().contains("Max-Age=0"));
    let (status, _) = get_as(&s, "/api/me", &cookie).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_refused_and_then_throttled() {
    let (_d, s, _) = state();
    for _ in 0..5 {
        let (status, cookie, body) =
            post_json(&s, "/api/login", &json!({ "username": "haicheng", "password": "Wrong12345" }), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(cookie.is_none());
        assert_eq!(body["message"], "用户名或密码错误");
    }
    // Even the right password is refused while this address backs off (30 s after the 5th).
    let (status, retry, body) = login_from(&s, None, "haicheng", PW).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_attempts");
    assert!(body["message"].as_str().unwrap().starts_with("登录尝试过于频繁，请"), "{body}");
    assert!((1..=30).contains(&retry.unwrap()));
    // Unknown users get the same answer as wrong passwords.
    let (status, _, body) = post_json(&s, "/api/login", &json!({ "username": "nobody", "password": PW }), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["message"], "用户名或密码错误");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_accounts_lose_their_sessions() {
    let (_d, s, _) = state();
    let (cookie, _) = login(&s, "dashiqiao").await;
    assert!(s.accounts.set_disabled("dashiqiao", true, &Actor::new("test", Channel::Cli)).unwrap());
    let (status, _) = get_as(&s, "/api/me", &cookie).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) =
        post_json(&s, "/api/login", &json!({ "username": "dashiqiao", "password": PW }), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({ "code": "forbidden", "message": "用户名或密码错误" }));
}

/// POST /api/login as a client at `ip` (the peer address `serve` passes as `ConnectInfo`;
/// `None` sends none, like every other `oneshot` here): status, `Retry-After`, body.
async fn login_from(
    state: &AppState,
    ip: Option<&str>,
    username: &str,
    password: &str,
) -> (StatusCode, Option<u64>, Value) {
    login_forwarded(state, ip, None, username, password).await
}

/// [`login_from`] with an `X-Forwarded-For` header, as a reverse proxy sends.
async fn login_forwarded(
    state: &AppState,
    ip: Option<&str>,
    forwarded_for: Option<&str>,
    username: &str,
    password: &str,
) -> (StatusCode, Option<u64>, Value) {
    let body = json!({ "username": username, "password": password }).to_string();
    let mut req = Request::post("/api/login").header("content-type", "application/json");
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    let mut req = req.body(Body::from(body)).unwrap();
    if let Some(ip) = ip {
        let peer = std::net::SocketAddr::new(ip.parse().unwrap(), 40_000);
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    }
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, retry, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// `n` wrong passwords for `username` from `ip`, all at once: how many were checked (403)
/// and how many refused unchecked (429).
async fn wrong_password_burst(state: &AppState, ip: &'static str, username: &'static str, n: usize) -> (usize, usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let s = state.clone();
        tasks.spawn(async move { login_from(&s, Some(ip), username, "Wrong12345").await.0 });
    }
    let (mut checked, mut refused) = (0, 0);
    while let Some(status) = tasks.join_next().await {
        match status.unwrap() {
            StatusCode::FORBIDDEN => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    (checked, refused)
}

const ATTACKER: &str = "203.0.113.9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_throttle_parallel_burst_is_atomic() {
    let (_d, s, _) = state();
    // Finding: 50 parallel wrong passwords were 47 checked, 3 throttled. Now the check and the
    // record are one transaction: exactly the 5 free attempts are checked.
    let (checked, refused) = wrong_password_burst(&s, ATTACKER, "haicheng", 50).await;
    assert_eq!((checked, refused), (5, 45));
    // The right password from the attacker's address is refused unchecked, in Chinese, with
    // how long to wait.
    let (status, retry, body) = login_from(&s, Some(ATTACKER), "haicheng", PW).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_attempts");
    assert!(body["message"].as_str().unwrap().contains("秒后再试"), "{body}");
    assert!((1..=30).contains(&retry.expect("Retry-After")), "{retry:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_lockout_is_not_a_dos_against_the_owner() {
    let (_d, s, _) = state();
    // Finding: 5 failures locked the real user out for 15 minutes even with the right password.
    let (checked, _) = wrong_password_burst(&s, ATTACKER, "haicheng", 50).await;
    assert_eq!(checked, 5);
    // The owner, elsewhere, right after: signed in.
    let (status, retry, body) = login_from(&s, Some("198.51.100.20"), "haicheng", PW).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(retry, None);
    // …and an IPv6 owner counted apart from the attacker too.
    let (status, _, _) = login_from(&s, Some("2001:db8::20"), "haicheng", PW).await;
    assert_eq!(status, StatusCode::OK);
    // The attacker is still waiting.
    let (status, _, _) = login_from(&s, Some(ATTACKER), "haicheng", PW).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

/// Behind a trusted reverse proxy every request comes from the proxy's address: the throttle
/// counts the client the proxy appended to `X-Forwarded-For` instead, so an attacker does
/// not lock everyone out; from anyone else the header is ignored, so it cannot be forged to
/// escape the throttle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_throttle_counts_the_forwarded_client() {
    let (_d, s, _) = state();
    let s = s.with_trusted_proxies(vec!["10.0.0.5".parse().unwrap()]);
    const PROXY: Option<&str> = Some("10.0.0.5");
    for i in 0..30 {
        // What the client sent first is its own claim; the proxy appends the address it saw.
        let xff = format!("198.51.100.{i}, {ATTACKER}");
        let (status, _, body) = login_forwarded(&s, PROXY, Some(&xff), &format!("guess{i}"), "Wrong12345").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{i}: {body}");
    }
    let (status, _, _) = login_forwarded(&s, PROXY, Some(ATTACKER), "admin", PW).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the attacker is throttled through the proxy");
    let (status, _, body) = login_forwarded(&s, PROXY, Some("198.51.100.20"), "admin", PW).await;
    assert_eq!(status, StatusCode::OK, "another client through the same proxy signs in: {body}");
    // Not from the proxy: a forged header changes nothing.
    let (status, _, _) = login_forwarded(&s, Some(ATTACKER), Some("198.51.100.21"), "admin", PW).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a forged X-Forwarded-For is ignored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_other_usernames_from_one_address_are_throttled() {
    let (_d, s, _) = state();
    // Finding: other usernames from one address were never slowed. 30 failures per address.
    for i in 0..30 {
        let (status, _, body) = login_from(&s, Some(ATTACKER), &format!("guess{i}"), "Wrong12345").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{i}: {body}");
    }
    let (status, retry, _) = login_from(&s, Some(ATTACKER), "admin", PW).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.unwrap() > 60, "until the oldest failure leaves the 15-minute window: {retry:?}");
    let (status, _, _) = login_from(&s, Some("198.51.100.20"), "admin", PW).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_disabled_account_answers_like_a_wrong_password() {
    let (_d, s, _) = state();
    assert!(s.accounts.set_disabled("dashiqiao", true, &Actor::new("test", Channel::Cli)).unwrap());
    let disabled = login_from(&s, None, "dashiqiao", PW).await;
    let wrong = login_from(&s, None, "haicheng", "Wrong12345").await;
    let unknown = login_from(&s, None, "nobody", PW).await;
    assert_eq!(disabled, wrong);
    assert_eq!(disabled, unknown);
    assert_eq!(disabled.0, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_huge_username_grows_nothing() {
    let (dir, s, _) = state();
    let size = || -> u64 { std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum() };
    let before = size();
    // Finding: 20 logins with 2 MB usernames grew the database by 76 MB. A username over 64
    // characters (or a password over 1024 bytes) is refused before anything is written.
    let huge = "用".repeat(600_000);
    for i in 0..20 {
        let (status, _, body) = login_from(&s, Some(ATTACKER), &format!("{i}{huge}"), "Wrong12345").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["message"], "用户名过长：最多 64 个字符");
    }
    let (status, _, body) = login_from(&s, Some(ATTACKER), "haicheng", &"x".repeat(1025)).await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::BAD_REQUEST, Some("密码过长：最多 1024 字节")));
    // A body over the 2 MB limit is refused by the framework, still in Chinese.
    let (status, _, body) = login_from(&s, Some(ATTACKER), &"a".repeat(3 << 20), "x").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "bad_request");
    assert_eq!(size(), before, "nothing stored");
    // None of it counted against the address: the owner there still signs in.
    let (status, _, _) = login_from(&s, Some(ATTACKER), "haicheng", PW).await;
    assert_eq!(status, StatusCode::OK);
    // Bodies axum cannot read answer {code, message} in Chinese too.
    for (body, expected) in [
        ("{\"username\": \"haicheng\"", "登录请求不是合法的 JSON"),
        ("{\"username\": \"haicheng\"}", "登录请求须含字符串字段 username 和 password"),
    ] {
        let req =
            Request::post("/api/login").header("content-type", "application/json").body(Body::from(body)).unwrap();
        let res = app(s.clone()).oneshot(req).await.unwrap();
        let json: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(json["message"], expected);
    }
}

async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    body: Option<&Value>,
    cookie: &str,
    csrf: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("cookie", cookie);
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officials_edit_their_county_with_csrf_and_every_write_is_audited() {
    let (_d, s, demo) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;
    let mine = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    let theirs = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();
    let uri = format!("/api/enterprises/{}", mine.uscc);

    // Without the CSRF token nothing is written.
    let body = json!({ "name": "海城示例改名镁业有限公司", "region": "210381" });
    let (status, _) = send(&s, "PUT", &uri, Some(&body), &cookie, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, out) = send(&s, "PUT", &uri, Some(&body), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["name"], "海城示例改名镁业有限公司");
    assert_eq!(out["outcome"], "updated");

    // Invalid input: 422 with the field, the value and the reason, in Chinese.
    let bad = json!({ "name": "示例", "region": "210381", "founded": "2024-02-30" });
    let (status, out) = send(&s, "PUT", &uri, Some(&bad), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(out["code"], "invalid");
    assert_eq!(out["errors"][0]["field"], "founded");
    assert!(out["message"].as_str().unwrap().contains("不是有效日期"), "{out}");

    // The key in the URL cannot be changed through the body.
    let rename = json!({ "uscc": theirs.uscc, "name": "示例", "region": "210381" });
    let (status, _) = send(&s, "PUT", &uri, Some(&rename), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Another county: not found; moving one's own enterprise there: forbidden.
    let (status, _) =
        send(&s, "PUT", &format!("/api/enterprises/{}", theirs.uscc), Some(&body), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let away = json!({ "name": "示例", "region": "210882" });
    let (status, _) = send(&s, "PUT", &uri, Some(&away), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Create inside the county, with an invalid USCC first.
    let new = json!({ "uscc": "91210381MA0000001X", "name": "海城示例新设有限公司", "region": "海城市" });
    let (status, out) = send(&s, "POST", "/api/enterprises", Some(&new), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(out["message"].as_str().unwrap().contains("校验位错误"), "{out}");
    let good = periclase_domain::Uscc::complete("91210381MA0000001").unwrap().to_string();
    let new = json!({ "uscc": good, "name": "海城示例新设有限公司", "region": "海城市", "external": false });
    let (status, out) = send(&s, "POST", "/api/enterprises", Some(&new), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["region"], "210381");
    let (status, _) = send(&s, "POST", "/api/enterprises", Some(&new), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Delete, then it is gone.
    let (status, _) = send(&s, "DELETE", &format!("/api/enterprises/{good}"), None, &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get_as(&s, &format!("/api/enterprises/{good}"), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Officials may not read the audit trail; the administrator sees every write above.
    let (status, _) = get_as(&s, "/api/audit", &cookie).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, trail) = get(&s, "/api/audit?actor=haicheng").await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> =
        trail["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "insert", "update"]);
    assert_eq!(trail["entries"][2]["channel"], "api");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_without_write_rights_are_refused() {
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "qiye").await;
    let body = json!({ "code": "ZC-X", "title": "示例", "issuer": "示例" });
    let (status, out) = send(&s, "POST", "/api/policies", Some(&body), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(out["code"], "forbidden");
}

/// Pages, with random tokens masked so snapshots are stable.
async fn page_as(state: &AppState, uri: &str, cookie: &str) -> (StatusCode, String) {
    let res = app(state.clone())
        .oneshot(Request::get(uri).header("cookie", cookie).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, mask_tokens(&body))
}

fn mask_tokens(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut run = String::new();
    for c in html.chars() {
        if c.is_ascii_hexdigit() && c.is_ascii_lowercase() || c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 64 { "[token]" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() == 64 { "[token]" } else { &run });
    // One tag per line, so a snapshot diff shows what changed.
    out.replace("><", ">\n<")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_login_and_the_login_form_is_guarded() {
    let (_d, s, _) = state();
    let res = app(s.clone()).oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");

    let res = app(s.clone()).oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    let guard_cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    insta::assert_snapshot!("login_page", mask_tokens(&html));
    let guard = guard_cookie.split_once('=').unwrap().1.to_string();

    let form = |cookie: Option<&str>| {
        let mut req = Request::post("/login").header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.body(Body::from(format!("guard={guard}&username=haicheng&password={PW}"))).unwrap()
    };
    // A form posted from elsewhere (no guard cookie) is refused.
    let res = app(s.clone()).oneshot(form(None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app(s.clone()).oneshot(form(Some(&guard_cookie))).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("periclase_session=") && c.contains("HttpOnly")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_list_and_detail_pages() {
    let (_d, s, demo) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;
    let (status, home) = page_as(&s, "/", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("<svg class=\"chart\""), "charts are drawn on the server");
    insta::assert_snapshot!("home_official", home);

    let (status, list) = page_as(&s, "/r/enterprises?tier=high_tech", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("list_enterprises_high_tech", list);

    let mine = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    let (status, detail) = page_as(&s, &format!("/r/enterprises/{}", mine.uscc), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("年度指标") && detail.contains("来源："));
    insta::assert_snapshot!("detail_enterprise", detail);

    let theirs = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();
    let (status, _) = page_as(&s, &format!("/r/enterprises/{}", theirs.uscc), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Logging out by form needs the CSRF field.
    let post = |body: String| {
        Request::post("/logout")
            .header("cookie", cookie.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let res = app(s.clone()).oneshot(post("csrf=wrong".into())).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app(s.clone()).oneshot(post(format!("csrf={csrf}"))).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = page_as(&s, "/", &cookie).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn post_form(
    state: &AppState,
    uri: &str,
    cookie: &str,
    body: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let encoded: Vec<String> = body.iter().map(|(k, v)| format!("{k}={}", periclase_web::params::encode(v))).collect();
    let req = Request::post(uri)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(encoded.join("&")))
        .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, location, html)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_validate_inline_save_and_delete() {
    let (_d, s, demo) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;
    let mine = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    let path = format!("/r/enterprises/{}", mine.uscc);
    let (status, form) = page_as(&s, &format!("{path}/edit"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&mine.uscc) && form.contains("name=\"csrf\""));

    // An invalid USCC: the form comes back with the reason beside the field; nothing saved.
    let bad_uscc = format!("{}0", &mine.uscc[..17]);
    let bad = [("csrf", csrf.as_str()), ("uscc", &bad_uscc), ("name", "海城示例改名有限公司"), ("region", "210381")];
    let (status, _, html) = post_form(&s, &format!("{path}/edit"), &cookie, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("校验位错误") && html.contains("未保存任何内容"), "{html}");
    let (_, api) = get_as(&s, &format!("/api/enterprises/{}", mine.uscc), &cookie).await;
    assert_eq!(api["name"], mine.name, "nothing was saved");

    // Without the CSRF field: refused.
    let (status, _, _) = post_form(&s, &format!("{path}/edit"), &cookie, &[("name", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let good = [("csrf", csrf.as_str()), ("uscc", &mine.uscc), ("name", "海城示例改名有限公司"), ("region", "210381")];
    let (status, location, _) = post_form(&s, &format!("{path}/edit"), &cookie, &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(path.as_str()));
    let (_, api) = get_as(&s, &format!("/api/enterprises/{}", mine.uscc), &cookie).await;
    assert_eq!(api["name"], "海城示例改名有限公司");

    let (status, confirm) = page_as(&s, &format!("{path}/delete"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("确认删除"));
    let (status, location, _) = post_form(&s, &format!("{path}/delete"), &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/r/enterprises"));
    let (status, _) = page_as(&s, &path, &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn get_bytes(state: &AppState, uri: &str, cookie: &str) -> (StatusCode, Vec<u8>) {
    let res = app(state.clone())
        .oneshot(Request::get(uri).header("cookie", cookie).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

fn multipart(csrf: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "periclase-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_is_scoped_and_import_previews_before_committing() {
    let (d, s, demo) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;

    let (status, csv) = get_bytes(&s, "/r/enterprises/export?format=csv", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("\u{feff}统一社会信用代码,企业名称,所属地区"));
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    let mine = (0..120).filter(|&i| demo.enterprise(i).region() == "210381").count();
    assert_eq!(rows.len(), mine);
    assert!(rows.iter().all(|r| r.contains(",210381,")));
    let (status, xlsx) = get_bytes(&s, "/r/enterprises/export?format=xlsx&tier=high_tech", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&xlsx[..2], b"PK", "an xlsx is a zip");

    // An xlsx with one good and one bad row.
    let good = periclase_domain::Uscc::complete("91210381MA0000009").unwrap().to_string();
    let bad = format!("{}0", &good[..17]);
    let path = d.path().join("upload.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, row) in [
        ["统一社会信用代码", "企业名称", "所属地区"],
        [&good, "海城示例上传有限公司", "海城市"],
        [&bad, "海城示例错误有限公司", "210381"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save(&path).unwrap();
    let (ctype, body) = multipart(&csrf, "upload.xlsx", &std::fs::read(&path).unwrap());
    let upload = |csrf_ok: bool| {
        let (ctype, body) = if csrf_ok {
            (ctype.clone(), body.clone())
        } else {
            multipart("wrong", "upload.xlsx", &std::fs::read(&path).unwrap())
        };
        Request::post("/r/enterprises/import")
            .header("cookie", cookie.as_str())
            .header("content-type", ctype)
            .body(Body::from(body))
            .unwrap()
    };
    let res = app(s.clone()).oneshot(upload(false)).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app(s.clone()).oneshot(upload(true)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let preview = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(preview.contains("校验位错误") && preview.contains("尚未写入任何数据"), "{preview}");
    let (_, api) = get_as(&s, &format!("/api/enterprises/{good}"), &cookie).await;
    assert_eq!(api["code"], "not_found", "the preview wrote nothing");

    // Confirm, importing only the good row.
    let field = |name: &str| {
        let start = preview.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
        preview[start..].split('"').next().unwrap().to_string()
    };
    let (upload_id, ext) = (field("upload"), field("ext"));
    let confirm = [
        ("csrf", csrf.as_str()),
        ("upload", &upload_id),
        ("ext", &ext),
        ("file_name", "upload.xlsx"),
        ("mode", "partial"),
    ];
    // Confirming queues a background job; its page shows progress, then the result.
    let (status, job, _) = post_form(&s, "/r/enterprises/import/confirm", &cookie, &confirm).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let job = job.unwrap();
    assert!(job.starts_with("/r/enterprises/import/jobs/"), "{job}");
    let result = finished_job_page(&s, &job, &cookie).await;
    assert!(result.contains("导入结果") && result.contains("已写入"), "{result}");
    let (status, api) = get_as(&s, &format!("/api/enterprises/{good}"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api["name"], "海城示例上传有限公司");
    // The upload is gone: confirming twice does nothing.
    let (status, _, _) = post_form(&s, "/r/enterprises/import/confirm", &cookie, &confirm).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The job is this account's: another official, the enterprise user (who may not import
    // enterprises) and a wrong registry in the path are all refused.
    let (other, _) = login(&s, "dashiqiao").await;
    let (status, _) = page_as(&s, &job, &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (qiye, qiye_csrf) = login(&s, "qiye").await;
    let (status, _) = page_as(&s, &job, &qiye).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post_form(&s, &format!("{job}/again"), &qiye, &[("csrf", &qiye_csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = page_as(&s, &job.replace("/enterprises/", "/projects/"), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A done job is not started again.
    let (status, to, _) = post_form(&s, &format!("{job}/again"), &cookie, &[("csrf", &csrf)]).await;
    assert_eq!((status, to.as_deref()), (StatusCode::SEE_OTHER, Some(job.as_str())));
}

/// The page of an import job once it has ended (it refreshes itself until then).
async fn finished_job_page(s: &AppState, job: &str, cookie: &str) -> String {
    for _ in 0..200 {
        let (status, html) = page_as(s, job, cookie).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        if !html.contains("http-equiv=\"refresh\"") {
            return html;
        }
        assert!(html.contains("正在导入"), "{html}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let (_, html) = page_as(s, job, cookie).await;
    panic!("the import job {job} did not end: {html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_page_is_for_administrators() {
    let (_d, s, demo) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;
    let mine = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    let body = json!({ "name": "海城示例审计有限公司", "region": "210381" });
    let (status, _) =
        send(&s, "PUT", &format!("/api/enterprises/{}", mine.uscc), Some(&body), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = page_as(&s, "/audit", &cookie).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (admin, _) = login(&s, "admin").await;
    let (status, html) = page_as(&s, &format!("/audit?registry=enterprises&key={}", mine.uscc), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("海城示例审计有限公司") && html.contains(&mine.name) && html.contains("haicheng"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_dashboard() {
    let (_d, s, _) = state();
    let (cookie, _) = login(&s, "haicheng").await;
    let (status, html) = page_as(&s, "/monitor?region=34", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("镁基材料产业总体规模") && html.contains("500"), "{html}");
    assert!(html.contains("种子文件001"));
    assert!(html.contains("<path"), "a pie chart");
    insta::assert_snapshot!("monitor_34", html);
    let (_, ln) = page_as(&s, "/monitor?region=21", &cookie).await;
    assert!(ln.contains("关键工序数控化率") && ln.contains("63"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_covers_every_registry() {
    let (_d, s, _) = state();
    let res = app(s.clone()).oneshot(Request::get("/api/openapi.json").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for spec in registries::ALL {
        let p = &doc["paths"][format!("/api/{}", spec.name)];
        assert!(p["get"].is_object() && p["post"].is_object(), "{}", spec.name);
        let one = &doc["paths"][format!("/api/{}/{{key}}", spec.name)];
        assert!(one["get"].is_object() && one["put"].is_object() && one["delete"].is_object(), "{}", spec.name);
        let schema = &doc["components"]["schemas"][spec.name.replace('-', "_")]["properties"];
        for f in spec.fields {
            assert_eq!(schema.get(f.key).is_some(), !f.private, "{}.{}", spec.name, f.key);
        }
    }
    insta::assert_json_snapshot!("openapi_enterprises", doc["components"]["schemas"]["enterprises"]);
}

/// Every route the routers declare is in the OpenAPI document, and every documented route is
/// routed: the non-registry operations are exactly `API_ROUTES`, each answers through `app()`
/// (not the unknown-path 404 nor 405), and every `.route("…")` in the route modules is listed
/// or is a registry template.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_every_route() {
    use periclase_web::routes::openapi::API_ROUTES;
    use std::collections::BTreeSet;
    let (_d, s, _) = state();
    let (status, doc) = get(&s, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let registry_paths: BTreeSet<String> =
        registries::ALL.iter().flat_map(|r| [format!("/api/{}", r.name), format!("/api/{}/{{key}}", r.name)]).collect();
    let methods = ["get", "post", "put", "delete", "patch"];
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| !registry_paths.contains(*p))
        .flat_map(|(p, ops)| {
            ops.as_object().unwrap().keys().filter(|m| methods.contains(&m.as_str())).map(|m| (m.clone(), p.clone()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = API_ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, listed, "documented operations vs API_ROUTES");
    // Every operation answers errors as the Error schema and has a Chinese summary.
    for (m, p) in &listed {
        let op = &doc["paths"][p][m];
        assert!(op["summary"].as_str().is_some_and(|t| !t.is_ascii()), "{m} {p}: {op}");
        assert!(op["responses"]["200"].is_object(), "{m} {p}");
    }
    assert_eq!(doc["components"]["securitySchemes"]["session"]["in"], "cookie");
    assert_eq!(doc["paths"]["/api/logout"]["post"]["parameters"][0]["name"], "X-CSRF-Token");

    // Every route the route modules declare is listed (or is a registry's template).
    let sources = [
        include_str!("../src/routes/audit.rs"),
        include_str!("../src/routes/declarations.rs"),
        include_str!("../src/routes/health.rs"),
        include_str!("../src/routes/openapi.rs"),
        include_str!("../src/routes/registries.rs"),
        include_str!("../src/routes/search.rs"),
        include_str!("../src/routes/session.rs"),
    ];
    let listed_paths: BTreeSet<&str> = API_ROUTES.iter().map(|(_, p)| *p).collect();
    let mut declared = 0;
    for src in sources {
        for chunk in src.split(".route(\"").skip(1) {
            let path = &chunk[..chunk.find('"').unwrap()];
            declared += 1;
            assert!(
                listed_paths.contains(path) || ["/api/{registry}", "/api/{registry}/{key}"].contains(&path),
                "{path} is routed but not in API_ROUTES (and so not in the OpenAPI document)"
            );
        }
    }
    assert!(declared >= listed_paths.len(), "{declared}");

    // Every listed route is routed: signed in as the administrator, it answers with something
    // other than the unknown-path 404 or 405 (writes without a CSRF token are refused, 403).
    let (admin, _) = login(&s, "admin").await;
    let (_, d) = get_as(&s, "/api/demands?limit=1", &admin).await;
    let demand = d["records"][0]["code"].as_str().unwrap().to_string();
    for (method, path) in API_ROUTES {
        let uri = path
            .replace("{registry}", "demands")
            .replace("{key}", &demand)
            .replace("{id}", "999999")
            .replace("{action}", "confirm");
        let body = (*method != "get").then(|| json!({}));
        let (status, answer) = send(&s, &method.to_uppercase(), &uri, body.as_ref(), &admin, None).await;
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED
                && !(status == StatusCode::NOT_FOUND
                    && (message == "没有这个页面或接口" || message.starts_with("没有名为「"))),
            "{method} {uri}: {status} {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn region_cascade_create_form_registries_and_assets() {
    let (_d, s, demo) = state();
    let (admin, csrf) = login(&s, "admin").await;
    // 省 → 市 → 县: each level lists what is inside the one chosen above it.
    let (status, html) = page_as(&s, "/r/enterprises?province=21", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"city\"") && html.contains("鞍山市") && !html.contains("name=\"county\""), "{html}");
    let (_, html) = page_as(&s, "/r/enterprises?province=21&city=2103&county=210381", &admin).await;
    let in_county = (0..120).filter(|&i| demo.enterprise(i).region() == "210381").count();
    assert!(html.contains(&format!("共 {in_county} 条")), "{html}");
    // A city left over from another province is ignored: the province alone filters.
    let in_34 = (0..120).filter(|&i| demo.enterprise(i).region().starts_with("34")).count();
    let (_, html) = page_as(&s, "/r/enterprises?province=34&city=2103", &admin).await;
    assert!(html.contains(&format!("共 {in_34} 条")), "{html}");

    // The create form, and creating through it.
    let (status, form) = page_as(&s, "/r/policies/new", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"doc_number\""));
    let fields = [
        ("csrf", csrf.as_str()),
        ("code", "ZC-TEST-1"),
        ("title", "示例测试政策"),
        ("issuer", "示例省工信厅"),
        ("category", "奖补"),
    ];
    let (status, location, _) = post_form(&s, "/r/policies/new", &admin, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/r/policies/ZC-TEST-1"));
    let (_, policy) = get_as(&s, "/api/policies/ZC-TEST-1", &admin).await;
    assert_eq!(policy["category"], "award");

    let (status, list) = get_as(&s, "/api/registries", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), registries::ALL.len());
    assert!(list[0]["fields"].as_array().unwrap().iter().any(|f| f["label"] == "统一社会信用代码"));

    let res = app(s.clone()).oneshot(Request::get("/assets/app.css").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_map_pages_draw_the_chain_and_respect_scopes() {
    let (_d, s, _) = state();
    let (admin, _) = login(&s, "admin").await;
    let (status, index) = page_as(&s, "/chains", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains("菱镁产业链") && index.contains("/chains/mg-metal"), "{index}");

    let (status, map) = page_as(&s, "/chains/magnesia?region=2108", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let svg_start = map.find("<svg").expect("the chain is drawn");
    let svg = &map[svg_start..map[svg_start..].find("</svg>").unwrap() + svg_start + 6];
    insta::assert_snapshot!("chain_map_magnesia_2108", svg);
    assert!(map.contains("链主候选") && map.contains("缺口分析"), "{map}");

    let (status, node) = page_as(&s, "/chains/magnesia/nodes/refractory?region=2108", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(node.contains("镁质耐火材料") && node.contains("本地企业") && node.contains("创新平台（"), "{node}");
    let (status, _) = page_as(&s, "/chains/magnesia/nodes/nope?region=2108", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page_as(&s, "/chains/aluminium", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, bad) = page_as(&s, "/chains/magnesia?region=99", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    // Another region as the benchmark, kept in the node links.
    let (status, versus) = page_as(&s, "/chains/magnesia?region=2103&benchmark=2108", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        versus.contains("对比地区：辽宁省 营口市") && versus.contains("region=2103&amp;benchmark=2108"),
        "{versus}"
    );
    let (status, _) = page_as(&s, "/chains/magnesia?region=2103&benchmark=9x", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // After a write the map shows the previous facts, says so, and catches up on its own.
    let actor = periclase_store::Actor::new("test", periclase_store::Channel::Api);
    let first = s.store.list(&periclase_domain::registries::CHAIN_MEMBERS, &Default::default()).unwrap().records[0].id;
    assert!(s
        .store
        .delete(&periclase_domain::registries::CHAIN_MEMBERS, &first.to_string(), &actor, &periclase_domain::Scope::All)
        .unwrap());
    let (_, stale) = page_as(&s, "/chains/magnesia?region=2108", &admin).await;
    assert!(stale.contains("数据刚有更新"), "the stale page says so");
    let mut caught_up = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (_, page) = page_as(&s, "/chains/magnesia?region=2108", &admin).await;
        if !page.contains("数据刚有更新") {
            caught_up = true;
            break;
        }
    }
    assert!(caught_up, "the refresh finished within 5 s");

    let (status, xlsx) = get_bytes(&s, "/chains/mg-metal/targets.xlsx?region=3417", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"), "an xlsx (zip) file");

    // A county official sees their county whatever they ask for; an enterprise user none.
    let (county, _) = login(&s, "haicheng").await;
    let (status, own) = page_as(&s, "/chains/magnesia?region=2108", &county).await;
    assert_eq!(status, StatusCode::OK);
    let h1 = &own[own.find("<h1>").unwrap()..own.find("</h1>").unwrap()];
    assert!(h1.contains("海城市"), "forced to the official's county: {h1}");
    let (firm, _) = login(&s, "qiye").await;
    let (status, _) = page_as(&s, "/chains/magnesia", &firm).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officials_confirm_or_reject_suggested_enterprises_on_a_node() {
    use periclase_domain::registries::CHAIN_MEMBERS;
    let (_d, s, demo) = state();
    // Two enterprises the demo left off the chain (every tenth), suggested for 镁质耐火材料.
    let unassigned: Vec<_> = (0..120).map(|i| demo.enterprise(i)).filter(|e| e.index % 10 == 3).collect();
    let mine = unassigned.iter().find(|e| e.region() == "210381").expect("a 海城 one");
    let theirs = unassigned.iter().find(|e| !e.region().starts_with("210381")).expect("another county's");
    let actor = periclase_store::Actor::new("test", periclase_store::Channel::Cli);
    let ctx = periclase_store::ImportContext {
        opts: periclase_domain::ImportOptions::default(),
        actor: &actor,
        scope: None,
        source: None,
    };
    let items = [&mine.uscc, &theirs.uscc].map(|u| periclase_domain::ImportItem {
        location: periclase_domain::RowLocation { sheet: None, row: 1 },
        row: Ok(vec![
            periclase_domain::Value::Text(u.clone()),
            periclase_domain::Value::Text("magnesia/refractory".into()),
            periclase_domain::Value::Text("suggested".into()),
            periclase_domain::Value::Text("主要产品含「镁碳砖」".into()),
        ]),
    });
    let out =
        s.store.import(&CHAIN_MEMBERS, &mut items.into_iter(), &ctx, &mut |i| panic!("{i:?}"), &mut |_| {}).unwrap();
    assert!(out.committed);

    let (cookie, csrf) = login(&s, "haicheng").await;
    let node = "/chains/magnesia/nodes/refractory?region=210381";
    let (status, page) = page_as(&s, node, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("待确认（1）") && page.contains("主要产品含「镁碳砖」"), "{page}");
    let review = "/chains/magnesia/nodes/refractory/review?region=210381";
    let (status, _, _) = post_form(&s, review, &cookie, &[("uscc", &mine.uscc), ("decision", "confirmed")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token, no write");
    let (status, location, _) = post_form(
        &s,
        review,
        &cookie,
        &[("csrf", &csrf), ("uscc", &mine.uscc), ("decision", "confirmed"), ("basis", "主要产品含「镁碳砖」")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(node));
    // Another county's suggestion is outside this official's scope: refused, nothing written.
    let (status, _, _) =
        post_form(&s, review, &cookie, &[("csrf", &csrf), ("uscc", &theirs.uscc), ("decision", "rejected")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let status_of = |uscc: &str| {
        let all = s
            .store
            .list(&CHAIN_MEMBERS, &periclase_store::ListQuery { limit: Some(1000), ..Default::default() })
            .unwrap();
        all.records
            .into_iter()
            .find(|r| r.row[0].to_string() == uscc && r.row[1].to_string() == "magnesia/refractory")
            .map(|r| (r.row[2].to_string(), r.row[3].to_string()))
    };
    assert_eq!(status_of(&mine.uscc), Some(("confirmed".into(), "主要产品含「镁碳砖」".into())));
    assert_eq!(status_of(&theirs.uscc).map(|s| s.0), Some("suggested".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_pages_calculator_runs_and_sandbox() {
    let (_d, s, demo) = state();
    let (admin, admin_csrf) = login(&s, "admin").await;
    let (status, library) = page_as(&s, "/policies", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        library.contains("菱镁行业项目资金支持") && library.contains("资质自测") == library.contains("自测"),
        "{library}"
    );
    let (status, detail) = page_as(&s, "/policies/magnesite-project-support", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("支持比例") && detail.contains("0.05") && detail.contains("总投资额的 5%"), "{detail}");

    // The enterprise user sees its own calculator, whatever it asks for.
    let (qiye, _) = login(&s, "qiye").await;
    let (status, calc) = page_as(&s, "/calculator?uscc=91350100M000100Y43&date=2025-06-30", &qiye).await;
    assert_eq!(status, StatusCode::OK, "{calc}");
    let own = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    assert!(calc.contains(&own.uscc), "{calc}");
    let first = calc.find("<div class=\"panel\">").expect("an explanation panel");
    let end = calc[first..].find("</table>").unwrap() + first + 8;
    insta::assert_snapshot!("calculator_first_panel", &calc[first..end]);
    // A county official may not look outside the county.
    let (haicheng, _) = login(&s, "haicheng").await;
    let other = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210882").unwrap();
    let (status, _) = page_as(&s, &format!("/calculator?uscc={}", other.uscc), &haicheng).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page_as(&s, "/policy-runs", &qiye).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A batch run from the page: a progress page, then the archived run with its chart.
    let (status, location, _) =
        post_form(&s, "/policy-runs", &admin, &[("csrf", &admin_csrf), ("region", "21"), ("date", "2025-06-30")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let job = location.unwrap();
    let mut run_page = None;
    for _ in 0..100 {
        let res = app(s.clone())
            .oneshot(Request::get(job.as_str()).header("cookie", &admin).body(Body::empty()).unwrap())
            .await
            .unwrap();
        if let Some(to) = res.headers().get("location") {
            run_page = Some(to.to_str().unwrap().to_string());
            break;
        }
        let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(html.contains("http-equiv=\"refresh\"") && html.contains("正在计算"), "{html}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let run_page = run_page.expect("the run finishes");
    let (status, run) = page_as(&s, &run_page, &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(run.contains("<svg") && run.contains("各项政策兑现金额") && run.contains("预览，未入账"), "{run}");
    let (status, xlsx) = get_bytes(&s, &format!("{run_page}/list.xlsx"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"), "an xlsx file");
    // Another county's official does not see it (run for the whole province).
    let (status, _) = page_as(&s, &run_page, &haicheng).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The sandbox compares a changed rate with the policy as written.
    let (status, sandbox) =
        page_as(&s, "/policies/magnesite-project-support/sandbox?go=1&p.rate=0.08&date=2025-06-30&budget=1", &admin)
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        sandbox.contains("测算结果") && sandbox.contains("按比例分配") && sandbox.contains("按地区（市）"),
        "{sandbox}"
    );
    let (status, refused) =
        page_as(&s, "/policies/magnesite-project-support/sandbox?go=1&c.investment=project.total_investment", &admin)
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(refused.contains("结果应为是/否"), "{refused}");
}

/// Every searched record of the store, as (registry, row id), sorted.
fn stored_ids(store: &dyn Store) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for spec in registries::ALL.iter().filter(|s| periclase_search::searched(s)) {
        store
            .search_rows(spec, None, &mut |r| {
                out.push((spec.name.to_string(), r.id));
                Ok(())
            })
            .unwrap();
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_index_follows_imports_and_edits() {
    let (_dir, state, _) = state();
    let store = state.store.clone();
    let synced = state.search.catch_up(store.as_ref(), &mut |_, _| {}).unwrap();
    assert!(synced.rebuilt && synced.indexed > 500, "{synced:?}");
    assert_eq!(state.search.index().all_ids().unwrap(), stored_ids(store.as_ref()), "after the bulk import");
    let reader = state.search.reader();
    assert_eq!(store.search_pending(reader, 10).unwrap().unwrap().upto, 0, "the queue is emptied once applied");

    // Edit one achievement, add a demand, delete a platform: each reaches the index.
    let (cookie, csrf) = login(&state, "admin").await;
    let (_, a) = get_as(&state, "/api/achievements?limit=1", &cookie).await;
    let code = a["records"][0]["code"].as_str().unwrap().to_string();
    let mut edited = a["records"][0].clone();
    edited["title"] = json!("钛镁复合板爆炸焊接新工艺");
    let (status, body) =
        send(&state, "PUT", &format!("/api/achievements/{code}"), Some(&edited), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let demand = json!({ "code": "XQ-T1", "title": "钛镁复合板分层", "enterprise": "示例复合材料有限公司",
                         "description": "爆炸焊接后的钛镁复合板有分层，希望找到改进工艺。", "region": "210381" });
    let (status, body) = send(&state, "POST", "/api/demands", Some(&demand), &cookie, Some(&csrf)).await;
    assert!(status.is_success(), "{body}");
    let (_, p) = get_as(&state, "/api/platforms?limit=1", &cookie).await;
    let platform = p["records"][0]["code"].as_str().unwrap().to_string();
    let (status, _) = send(&state, "DELETE", &format!("/api/platforms/{platform}"), None, &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let synced = state.search.catch_up(store.as_ref(), &mut |_, _| {}).unwrap();
    assert_eq!((synced.rebuilt, synced.indexed, synced.removed), (false, 2, 1), "{synced:?}");
    assert_eq!(state.search.index().all_ids().unwrap(), stored_ids(store.as_ref()), "after the edits");

    let (status, found) = get_as(&state, "/api/search?q=钛镁复合板", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let keys: Vec<&str> = found["hits"].as_array().unwrap().iter().map(|h| h["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&code.as_str()) && keys.contains(&"XQ-T1"), "{keys:?}");
    let (_, old) = get_as(
        &state,
        &format!("/api/search?q={}&registry=platforms", periclase_web::params::encode(&platform)),
        &cookie,
    )
    .await;
    assert_eq!(old["total"], 0, "the deleted platform is gone: {old}");

    // The new demand's matches put the edited achievement first, with why.
    let (status, m) = get_as(&state, "/api/match/demands/XQ-T1", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["matches"][0]["key"], json!(code), "{m}");
    let why = m["matches"][0]["explanation"].to_string();
    assert!(why.contains("复合板"), "{why}");
    let (status, _) = get_as(&state, "/api/match/projects/x", &cookie).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "projects have nothing to be matched with");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_respects_scopes_and_officials_record_introductions() {
    let (_dir, state, _) = state();
    state.search.catch_up(state.store.as_ref(), &mut |_, _| {}).unwrap();
    let (admin, _) = login(&state, "admin").await;
    let (official, csrf) = login(&state, "haicheng").await;
    let (all, _) = (get_as(&state, "/api/search?q=镁&registry=enterprises", &admin).await.1, ());
    let (_, mine) = get_as(&state, "/api/search?q=镁&registry=enterprises", &official).await;
    let all_total = all["total"].as_u64().unwrap();
    let my_total = mine["total"].as_u64().unwrap();
    assert!(my_total > 0 && my_total < all_total, "{my_total} of {all_total}");
    for h in mine["hits"].as_array().unwrap() {
        assert!(h["region"].as_str().unwrap().starts_with("210381"), "{h}");
    }
    let (status, page) = page_as(&state, "/search?q=%E7%94%B5%E7%86%94%E9%95%81%E7%A0%82", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<mark>") && page.contains("共 "), "{page}");
    assert!(page.contains("action=\"/search\""), "the header carries the search box");

    // A demand's page lists matches; an official records a 对接 and its outcome.
    let (_, d) = get_as(&state, "/api/demands?limit=1&region=210381", &official).await;
    let demand = d["records"][0]["code"].as_str().unwrap().to_string();
    let (status, html) = page_as(&state, &format!("/r/demands/{demand}"), &official).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("匹配的成果") && html.contains("记录对接"), "{html}");
    let (_, m) = get_as(&state, &format!("/api/match/demands/{demand}"), &official).await;
    let achievement = m["matches"][0]["key"].as_str().unwrap().to_string();
    let back = format!("/r/demands/{demand}");
    let form = [
        ("csrf", csrf.as_str()),
        ("demand", &demand),
        ("achievement", &achievement),
        ("note", "已电话联系"),
        ("back", &back),
    ];
    let (status, location, _) = post_form(&state, "/introductions", &official, &form).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some(back.as_str())));
    let (_, list) = get_as(&state, &format!("/api/introductions?demand={demand}"), &official).await;
    assert_eq!(list[0]["outcome_label"], "已引荐", "{list}");
    let id = list[0]["id"].as_i64().unwrap();
    let (status, done) = send(
        &state,
        "PUT",
        &format!("/api/introductions/{id}"),
        Some(&json!({ "outcome": "signed", "note": "签约50万元" })),
        &official,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (_, html) = page_as(&state, &format!("/r/achievements/{achievement}"), &official).await;
    assert!(html.contains("签约50万元") && html.contains("已签约"), "the achievement's page shows it too");
    let (status, bad) = send(
        &state,
        "PUT",
        &format!("/api/introductions/{id}"),
        Some(&json!({ "outcome": "won" })),
        &official,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(bad["message"].as_str().unwrap().contains("对接结果「won」无效"), "{bad}");
    let (qiye, qcsrf) = login(&state, "qiye").await;
    let (status, _) = send(
        &state,
        "POST",
        "/api/introductions",
        Some(&json!({ "demand": demand, "achievement": achievement })),
        &qiye,
        Some(&qcsrf),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "enterprises do not record introductions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_sees_the_financial_products_that_fit_it() {
    let (_dir, state, _) = state();
    let (qiye, _) = login(&state, "qiye").await;
    let (_, me) = get_as(&state, "/api/me", &qiye).await;
    let uscc = me["enterprise"].as_str().expect("the enterprise account has its USCC").to_string();
    let (status, found) = get_as(&state, &format!("/api/match/enterprises/{uscc}"), &qiye).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let matches = found["matches"].as_array().unwrap();
    assert!(!matches.is_empty(), "{found}");
    for m in matches {
        assert!(
            m["code"].is_string()
                && (m["reasons"].as_array().unwrap().len() + m["to_confirm"].as_array().unwrap().len()) > 0,
            "{m}"
        );
    }
    let (status, html) = page_as(&state, &format!("/r/enterprises/{uscc}"), &qiye).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("适合的金融产品"), "{html}");
    // Another enterprise is not theirs to look at.
    let (_, all) = get(&state, "/api/enterprises?limit=5").await;
    let other = all["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uscc"].as_str().unwrap())
        .find(|u| *u != uscc)
        .unwrap()
        .to_string();
    let (status, _) = get_as(&state, &format!("/api/match/enterprises/{other}"), &qiye).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Sends `req` through the app; the status, headers and body text.
async fn raw(state: &AppState, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// Regression (probe): an achievement saved with an empty region made `/r/achievements` answer
/// 500 for every role ("Invalid column type Null" in the region breakdown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_record_without_a_region_does_not_break_a_list_for_anyone() {
    let (_d, s, _) = state();
    let (admin, csrf) = login(&s, "admin").await;
    let body = json!({ "code": "CG-NOREGION", "title": "无地区的成果", "institution": "示例大学",
                       "summary": "一条没有填写地区的成果。", "region": "" });
    let (status, created) = send(&s, "POST", "/api/achievements", Some(&body), &admin, Some(&csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["region"], Value::Null);
    for who in ["admin", "haicheng", "qiye"] {
        let (cookie, _) = login(&s, who).await;
        for uri in ["/r/achievements", "/r/achievements?sort=region", "/r/achievements?province=21", "/"] {
            let (status, page) = page_as(&s, uri, &cookie).await;
            assert!(status == StatusCode::OK || status == StatusCode::FORBIDDEN, "{who} {uri}: {status} {page}");
        }
        let (status, list) = get_as(&s, "/api/achievements?limit=1000", &cookie).await;
        assert!(status == StatusCode::OK || status == StatusCode::FORBIDDEN, "{who}: {status} {list}");
    }
    let (_, list) = get_as(&s, "/api/achievements?limit=1000", &admin).await;
    assert!(list["records"].as_array().unwrap().iter().any(|r| r["code"] == "CG-NOREGION"), "{list}");
    // Search, its page and matching read the record too.
    s.search.catch_up(s.store.as_ref(), &mut |_, _| {}).unwrap();
    let (status, found) = get_as(&s, "/api/search?q=%E6%97%A0%E5%9C%B0%E5%8C%BA", &admin).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(found.to_string().contains("CG-NOREGION"), "{found}");
    for uri in ["/search?q=%E6%97%A0%E5%9C%B0%E5%8C%BA", "/r/achievements/CG-NOREGION"] {
        let (status, page) = page_as(&s, uri, &admin).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
    }
    let (status, m) = get_as(&s, "/api/match/achievements/CG-NOREGION", &admin).await;
    assert_eq!(status, StatusCode::OK, "{m}");
}

/// The rest of a CLI import: yields its rows, then holds its transaction open (with the
/// write lock) until released.
struct HeldImport {
    rows: Vec<periclase_domain::Row>,
    started: std::sync::mpsc::Sender<()>,
    release: std::sync::mpsc::Receiver<()>,
}

impl Iterator for HeldImport {
    type Item = ImportItem;
    fn next(&mut self) -> Option<ImportItem> {
        if let Some(row) = self.rows.pop() {
            return Some(ImportItem { location: RowLocation { sheet: None, row: 2 }, row: Ok(row) });
        }
        let _ = self.started.send(());
        let _ = self.release.recv();
        None
    }
}

/// Regression (probe): during a long CLI import, API writes failed with "database is locked"
/// after the busy timeout and answered 500, and the search updater gave up. Now a write that
/// cannot get the lock answers 503 with Retry-After and a Chinese message (an HTML page for a
/// browser), an import preview runs beside the import, and the search updater catches up
/// once the import commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_during_a_long_import_answer_503_previews_run_and_the_search_updater_retries() {
    use periclase_domain::registries::ACHIEVEMENTS;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store = SqliteStore::open(&db).unwrap().with_busy_timeout(std::time::Duration::from_millis(200)).unwrap();
    let demo = Demo::new(5, 40);
    let mut rows = Vec::new();
    demo.for_each(ACHIEVEMENTS.id, &mut |r| rows.push(r));
    let actor = Actor::new("test", Channel::Cli);
    let ctx = ImportContext { opts: ImportOptions::default(), actor: &actor, scope: None, source: None };
    let mut items = rows
        .clone()
        .into_iter()
        .enumerate()
        .map(|(i, r)| ImportItem { location: RowLocation { sheet: None, row: i as u64 + 2 }, row: Ok(r) });
    store.import(&ACHIEVEMENTS, &mut items, &ctx, &mut |i| panic!("{i:?}"), &mut |_| {}).unwrap();
    store
        .create_account(
            &NewAccount {
                username: "admin".into(),
                display_name: "admin".into(),
                role: "admin".into(),
                region: None,
                enterprise: None,
                institution: None,
                talent: None,
                password_hash: periclase_auth::password::hash(PW).unwrap(),
            },
            &actor,
        )
        .unwrap();
    let s = AppState::new(store);
    let (cookie, csrf) = login(&s, "admin").await;

    // The CLI's import, on its own connection to the same file, holding its transaction.
    let (started, started_rx) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel();
    let mut cli_row = rows[0].clone();
    cli_row[0] = periclase_domain::Value::Text("CG-CLI-1".into());
    cli_row[1] = periclase_domain::Value::Text("导入中写入的镁钙砖成果".into());
    let cli_db = db.clone();
    let cli = std::thread::spawn(move || {
        let cli = SqliteStore::open(&cli_db).unwrap();
        let actor = Actor::new("cli", Channel::Cli);
        let ctx = ImportContext { opts: ImportOptions::default(), actor: &actor, scope: None, source: None };
        let mut held = HeldImport { rows: vec![cli_row], started, release: release_rx };
        cli.import(&ACHIEVEMENTS, &mut held, &ctx, &mut |i| panic!("{i:?}"), &mut |_| {}).unwrap()
    });
    started_rx.recv().unwrap();
    s.start_search_indexer();

    let new = json!({ "code": "CG-API-1", "title": "接口写入的成果", "institution": "示例大学", "summary": "导入进行中写入。" });
    let req = |accept: &str| {
        Request::post("/api/achievements")
            .header("cookie", cookie.as_str())
            .header("x-csrf-token", csrf.as_str())
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(Body::from(new.to_string()))
            .unwrap()
    };
    let (status, headers, body) = raw(&s, req("application/json")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "busy");
    assert!(body["message"].as_str().unwrap().contains("数据库正忙"), "{body}");
    // A browser's form submission gets the same answer as a page.
    let form = format!(
        "csrf={}&code=CG-FORM-1&title=%E8%A1%A8%E5%8D%95&institution=%E5%A4%A7%E5%AD%A6&summary=%E7%AE%80%E4%BB%8B",
        csrf
    );
    let page = Request::post("/r/achievements/new")
        .header("cookie", cookie.as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .body(Body::from(form))
        .unwrap();
    let (status, headers, html) = raw(&s, page).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
    assert!(headers.get("retry-after").is_some());
    assert!(html.contains("数据库正忙") && html.contains("返回首页") && html.contains("<html"), "{html}");
    // The upload preview is a dry run: it reads, and runs beside the import.
    let csv = "成果编号,成果名称,完成单位,成果简介\nCG-UP-1,预览成果,示例大学,预览时导入仍在进行。\n";
    let (ctype, body) = multipart(&csrf, "up.csv", csv.as_bytes());
    let upload = Request::post("/r/achievements/import")
        .header("cookie", cookie.as_str())
        .header("content-type", ctype)
        .body(Body::from(body))
        .unwrap();
    let (status, _, preview) = raw(&s, upload).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview.contains("导入预览"), "{preview}");
    // The search updater waits instead of failing.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(s.search.progress().error, None);

    release.send(()).unwrap();
    assert!(tokio::task::spawn_blocking(move || cli.join().unwrap()).await.unwrap().committed);
    let (status, body) = send(&s, "POST", "/api/achievements", Some(&new), &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Within a few back-offs the index holds everything, the import's record included.
    let store = s.store.clone();
    let mut caught_up = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let pending = store.search_pending(s.search.reader(), 10).unwrap().map_or(1, |p| p.upto);
        if pending == 0 && s.search.index().all_ids().unwrap() == stored_ids(store.as_ref()) {
            caught_up = true;
            break;
        }
    }
    assert!(caught_up && s.search.progress().error.is_none(), "{:?}", s.search.progress());
    let (status, found) = get_as(&s, "/api/search?q=%E9%95%81%E9%92%99%E7%A0%96", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(found.to_string().contains("CG-CLI-1"), "{found}");
}

/// Regression (probe): `region=中` panicked the list handler (byte slicing of the parameter).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_region_parameters_are_refused_in_chinese_not_a_panic() {
    let (_d, s, demo) = state();
    let (cookie, _) = login(&s, "admin").await;
    for uri in [
        "/r/enterprises?region=%E4%B8%AD",
        "/r/enterprises?region=2%E4%B8%AD",
        "/r/enterprises?province=%E4%B8%AD",
        "/r/enterprises?province=21&city=21%E4%B8%AD",
        "/r/achievements?region=%E4%B8%AD%E5%9B%BD",
    ] {
        let (status, page) = page_as(&s, uri, &cookie).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {page}");
        assert!(page.contains("行政区划代码"), "{uri}: {page}");
    }
    let (status, body) = get_as(&s, "/api/enterprises?region=%E4%B8%AD", &cookie).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("地区「中」"), "{body}");
    let (status, body) = get_as(&s, "/api/achievements?region=%E4%B8%AD", &cookie).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // The chain review's redirect carries the region back encoded (a raw one is not a valid
    // Location header).
    let (cookie, csrf) = login(&s, "admin").await;
    let uscc = demo.enterprise(0).uscc;
    let review = "/chains/magnesia/nodes/refractory/review?region=%E4%B8%AD";
    let form = [("csrf", csrf.as_str()), ("uscc", uscc.as_str()), ("decision", "rejected")];
    let (status, location, body) = post_form(&s, review, &cookie, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location.as_deref(), Some("/chains/magnesia/nodes/refractory?region=%E4%B8%AD"));
}

/// Regression (probe): re-creating an existing figure or talent link answered 500 (the key
/// lookup compared a USCC with the parent's row id) instead of 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recreating_an_existing_figure_or_talent_link_answers_409() {
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "admin").await;
    for registry in ["enterprise-figures", "talent-links", "enterprise-honours"] {
        let (status, list) = get_as(&s, &format!("/api/{registry}?limit=1"), &cookie).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let existing = list["records"][0].clone();
        assert!(existing.is_object(), "{registry}: {list}");
        let (status, body) = send(&s, "POST", &format!("/api/{registry}"), Some(&existing), &cookie, Some(&csrf)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{registry}: {body}");
        assert_eq!(body["code"], "conflict");
        assert!(body["message"].as_str().unwrap().contains("已有"), "{body}");
    }
}

/// Regression (probe): what axum itself refuses (bad JSON, wrong Content-Type, oversized
/// bodies, missing form fields, unknown routes, wrong methods) answered in English. The API
/// answers `{code, message}` in Chinese; a browser gets a Chinese error page with a way back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_rejections_answer_in_chinese_json_for_the_api_and_html_for_pages() {
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "admin").await;
    let api = |body: Body, ctype: Option<&str>| {
        let mut r =
            Request::post("/api/achievements").header("cookie", cookie.as_str()).header("x-csrf-token", csrf.as_str());
        if let Some(c) = ctype {
            r = r.header("content-type", c);
        }
        r.body(body).unwrap()
    };
    let cases = [
        (
            api(Body::from("{\"code\": "), Some("application/json")),
            StatusCode::BAD_REQUEST,
            "内容在中途结束，不完整（第 1 行第 9 列）",
        ),
        (
            api(Body::from("{code: 1}"), Some("application/json")),
            StatusCode::BAD_REQUEST,
            "对象的键必须是带引号的字符串（第 1 行第 2 列）",
        ),
        (api(Body::from("{}"), None), StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type 应为 application/json"),
        (
            api(Body::from(vec![b' '; 3 * 1024 * 1024]), Some("application/json")),
            StatusCode::PAYLOAD_TOO_LARGE,
            "超过服务器允许的大小",
        ),
        (
            Request::get("/api/no/such/route").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "没有这个页面或接口：/api/no/such/route",
        ),
        (
            Request::delete("/api/registries").header("cookie", cookie.as_str()).body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "/api/registries 不接受 DELETE 请求",
        ),
    ];
    for (req, status, message) in cases {
        let (got, headers, body) = raw(&s, req).await;
        assert_eq!(got, status, "{body}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"), "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert!(body["code"].is_string() && body["message"].as_str().unwrap().contains(message), "{body}");
    }

    // Pages: HTML in the site's look, what happened, what to do, and the way back.
    let page = |method: &str, uri: &str, form: Option<&str>| {
        let r = Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", cookie.as_str())
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .header("referer", "http://localhost/r/achievements?region=21");
        match form {
            Some(f) => r.header("content-type", "application/x-www-form-urlencoded").body(Body::from(f.to_string())),
            None => r.body(Body::empty()),
        }
        .unwrap()
    };
    let cases = [
        (
            page("POST", "/r/achievements/import/confirm", Some("upload=x")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "表单内容有误：缺少字段「csrf」",
        ),
        (page("GET", "/no-such-page", None), StatusCode::NOT_FOUND, "没有这个页面或接口：/no-such-page"),
        (page("GET", "/policy-runs/abc", None), StatusCode::BAD_REQUEST, "「abc」应为整数"),
        (page("GET", "/r/no-such-registry", None), StatusCode::NOT_FOUND, "没有名为「no-such-registry」的库"),
        (page("DELETE", "/login", None), StatusCode::METHOD_NOT_ALLOWED, "/login 不接受 DELETE 请求"),
    ];
    for (req, status, message) in cases {
        let (got, headers, html) = raw(&s, req).await;
        assert_eq!(got, status, "{html}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{html}");
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("<html lang=\"zh-CN\"") && html.contains("/assets/app.css"), "{html}");
        assert!(html.contains("href=\"/\"") && html.contains("返回首页"), "{html}");
        assert!(html.contains("href=\"/r/achievements?region=21\"") && html.contains("返回上一页"), "{html}");
        assert!(!html.contains("Failed") && !html.contains("missing field"), "{html}");
    }
}

/// Regression (probe): no security headers, and the session cookie never `Secure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_security_headers_pages_need_no_inline_script_and_cookies_can_be_secure() {
    let (_d, s, demo) = state();
    let (cookie, _) = login(&s, "admin").await;
    let e = demo.enterprise(0);
    for uri in [
        "/login".to_string(),
        "/".to_string(),
        "/r/enterprises".to_string(),
        "/r/enterprises?province=21".to_string(),
        format!("/r/enterprises/{}", e.uscc),
        "/monitor".to_string(),
        "/chains/magnesia".to_string(),
        "/policies".to_string(),
        "/search?q=%E9%95%81".to_string(),
        "/api/enterprises?limit=1".to_string(),
        "/no-such-page".to_string(),
    ] {
        let req = Request::get(uri.as_str()).header("cookie", cookie.as_str()).body(Body::empty()).unwrap();
        let (status, headers, body) = raw(&s, req).await;
        assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{uri}: {body}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "script-src 'self'",
            "style-src 'self'",
        ] {
            assert!(csp.contains(part), "{uri}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["x-frame-options"], "DENY");
        // Nothing the policy would block: no inline scripts, handlers or style attributes.
        let lower = body.to_ascii_lowercase();
        assert!(!lower.contains(" style=\"") && !lower.contains("<style"), "{uri}: inline style");
        assert!(!lower.contains("<script>") && !lower.contains("javascript:"), "{uri}: inline script");
        for handler in [" onchange=", " onclick=", " onsubmit=", " onload=", " oninput="] {
            assert!(!lower.contains(handler), "{uri}: {handler}");
        }
    }
    let (status, headers, js) = raw(&s, Request::get("/assets/app.js").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/javascript") && js.contains("data-autosubmit"));
    let (_, list) = page_as(&s, "/r/enterprises", &cookie).await;
    assert!(list.contains("data-autosubmit") && list.contains("src=\"/assets/app.js\""), "{list}");

    // The session cookie: not Secure by default (plain-HTTP intranets), Secure when configured.
    let (_, plain, _) = post_json(&s, "/api/login", &json!({ "username": "admin", "password": PW }), None).await;
    assert!(!plain.unwrap().contains("Secure"));
    let tls = s.clone().with_secure_cookies(true);
    let (status, secure, body) =
        post_json(&tls, "/api/login", &json!({ "username": "admin", "password": PW }), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secure = secure.unwrap();
    assert!(
        secure.contains("; Secure") && secure.contains("HttpOnly") && secure.contains("SameSite=Strict"),
        "{secure}"
    );
}

/// Posts `file_name` with `bytes` to the enterprise import page as the owner of `cookie`;
/// returns the status and the body as text.
async fn upload_file(s: &AppState, cookie: &str, csrf: &str, file_name: &str, bytes: &[u8]) -> (StatusCode, String) {
    upload_to(s, "enterprises", cookie, csrf, file_name, bytes).await
}

async fn upload_to(
    s: &AppState,
    registry: &str,
    cookie: &str,
    csrf: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, String) {
    let (ctype, body) = multipart(csrf, file_name, bytes);
    let req = Request::post(format!("/r/{registry}/import"))
        .header("cookie", cookie)
        .header("content-type", ctype)
        .body(Body::from(body))
        .unwrap();
    let res = app(s.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    (status, String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned())
}

/// A minimal xlsx whose shared string for the company name holds `filler` bytes of `a`:
/// ~300 KB on disk for 300 MB of text.
fn xlsx_with_a_huge_cell(filler: usize, uscc: &str) -> Vec<u8> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts: [(&str, String); 5] = [
        ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#.to_string()),
        ("_rels/.rels", format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)),
        ("xl/workbook.xml", format!(r#"<?xml version="1.0"?><workbook xmlns="{ns}" xmlns:r="{rel}"><sheets><sheet name="企业库" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
        ("xl/_rels/workbook.xml.rels", format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#)),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="{ns}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row><row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>5</v></c></row></sheetData></worksheet>"#)),
    ];
    for (name, text) in &parts {
        out.start_file(*name, opts).unwrap();
        out.write_all(text.as_bytes()).unwrap();
    }
    out.start_file("xl/sharedStrings.xml", opts).unwrap();
    write!(out, r#"<?xml version="1.0"?><sst xmlns="{ns}" count="6" uniqueCount="6"><si><t>统一社会信用代码</t></si><si><t>企业名称</t></si><si><t>所属地区</t></si><si><t>{uscc}</t></si><si><t>海城示例"#).unwrap();
    let block = vec![b'a'; 1 << 20];
    let mut left = filler;
    while left > 0 {
        let n = left.min(block.len());
        out.write_all(&block[..n]).unwrap();
        left -= n;
    }
    out.write_all("有限公司</t></si><si><t>210381</t></si></sst>".as_bytes()).unwrap();
    out.finish().unwrap().into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_xlsx_upload_is_refused_in_chinese_without_echoing_the_cell() {
    // Finding: a 300 KB xlsx holding one 300 MB cell took the server from 113 MB to 2,267 MB
    // and answered with a 314,575,406-byte preview page echoing the cell (sent by an
    // enterprise user then; any user who may import enterprises now).
    let (d, s, demo) = state();
    let s = s.with_upload_dir(d.path().join("uploads"));
    let (cookie, csrf) = login(&s, "haicheng").await;
    let own = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap();
    let hostile = xlsx_with_a_huge_cell(300 << 20, &own.uscc);
    assert!(hostile.len() < 1 << 20, "{} bytes", hostile.len());
    let (status, body) = upload_file(&s, &cookie, &csrf, "hostile.xlsx", &hostile).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("Excel 文件超出安全上限"), "{body}");
    assert!(body.len() < 4096, "{} bytes", body.len());
    assert!(!body.contains(&d.path().display().to_string()), "no server path: {body}");
    // Nothing is left behind.
    assert_eq!(std::fs::read_dir(d.path().join("uploads")).unwrap().count(), 0);

    // A long cell that the file check lets through (300,000 characters: over the name's own
    // limit) is rejected with its reason and echoed only as a prefix.
    let long = xlsx_with_a_huge_cell(300_000, &own.uscc);
    let (status, body) = upload_file(&s, &cookie, &csrf, "long.xlsx", &long).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("超过该列上限"), "{body}");
    assert!(body.contains("仅显示前200字"), "{body}");
    assert!(body.len() < 64 * 1024, "{} bytes", body.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_preview_applies_the_write_scope_that_confirm_applies() {
    // Finding: the import preview ignores the scope check that confirm applies.
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;
    let inside = periclase_domain::Uscc::complete("91210381MA0000017").unwrap().to_string();
    let outside = periclase_domain::Uscc::complete("91210882MA0000025").unwrap().to_string();
    let csv = format!("统一社会信用代码,企业名称,所属地区\n{inside},海城示例范围内有限公司,210381\n{outside},大石桥示例范围外有限公司,210882\n");
    let (status, preview) = upload_file(&s, &cookie, &csrf, "scope.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview.contains("不在本账号可修改的范围内"), "{preview}");
    assert!(preview.contains(&outside), "{preview}");
    assert!(preview.contains("有 1 行无法导入"), "{preview}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_upload_is_refused_in_chinese() {
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "haicheng").await;
    let big = vec![b'a'; periclase_auth::MAX_UPLOAD_BYTES + 1];
    let (status, body) = upload_file(&s, &cookie, &csrf, "big.csv", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("上传上限"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_below_administrator_upload_a_bounded_number_of_rows() {
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "qiye").await;
    let limit = periclase_auth::upload_row_limit(periclase_auth::Role::Enterprise).unwrap();
    let mut csv = String::from("需求编号,需求名称,需求企业,需求描述\n");
    for i in 0..=limit {
        csv.push_str(&format!("XQ-T{i},示例需求,海城示例有限公司,示例\n"));
    }
    let (status, body) = upload_to(&s, "demands", &cookie, &csrf, "many.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(limit, 2000);
    assert!(body.contains("超过每次上传 2,000 行数据的上限"), "{body}");
    // The administrator has no such limit.
    let (admin, admin_csrf) = login(&s, "admin").await;
    let (status, body) = upload_to(&s, "demands", &admin, &admin_csrf, "many.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_kept_private_beside_the_database_and_expire() {
    // Finding: unconfirmed uploads stayed forever in a world-readable folder under the system
    // temp directory, shared by every instance, and errors showed its path.
    use std::os::unix::fs::PermissionsExt;
    let (d, s, _) = state();
    let dir = d.path().join("t.db.uploads");
    let s = s.with_upload_dir(dir.clone());
    let (cookie, csrf) = login(&s, "haicheng").await;
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join("old-upload.csv");
    std::fs::write(&stale, "x").unwrap();
    let two_days = std::time::Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - two_days)
        .unwrap();

    let good = periclase_domain::Uscc::complete("91210381MA0000033").unwrap().to_string();
    let csv = format!("统一社会信用代码,企业名称,所属地区\n{good},海城示例私有有限公司,210381\n");
    let (status, preview) = upload_file(&s, &cookie, &csrf, "good.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(!stale.exists(), "an upload older than a day is removed");
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    let staged: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(staged.len(), 1, "{staged:?}");
    assert_eq!(std::fs::metadata(&staged[0]).unwrap().permissions().mode() & 0o777, 0o600);

    // A file-level error names the file the user chose, never a server path.
    let (status, body) = upload_file(&s, &cookie, &csrf, "empty.csv", b"").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("「empty.csv」"), "{body}");
    assert!(!body.contains(&dir.display().to_string()) && !body.contains("/tmp"), "{body}");
}

/// An administrator rebuilds the search index as a background job from its page; the page
/// follows the job to its end. Officials may neither see the page nor start a rebuild.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_index_is_rebuilt_as_a_job_by_administrators_only() {
    let (_d, s, _) = state();
    let (official, official_csrf) = login(&s, "haicheng").await;
    let (status, _) = page_as(&s, "/search/index", &official).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post_form(&s, "/search/index", &official, &[("csrf", &official_csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (admin, csrf) = login(&s, "admin").await;
    let (status, _, _) = post_form(&s, "/search/index", &admin, &[("csrf", "wrong")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, to, _) = post_form(&s, "/search/index", &admin, &[("csrf", &csrf)]).await;
    assert_eq!((status, to.as_deref()), (StatusCode::SEE_OTHER, Some("/search/index")));
    let mut page = String::new();
    for _ in 0..200 {
        let (status, html) = page_as(&s, "/search/index", &admin).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        page = html;
        if !page.contains("http-equiv=\"refresh\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(page.contains("重建记录") && page.contains("已完成") && page.contains("已重建，共 "), "{page}");
    let indexed = s.search.index().doc_count();
    assert!(indexed > 100 && page.contains(&periclase_domain::numbers::grouped(indexed)), "{indexed}: {page}");
    // The indexes following this database (one per instance), this one marked, with no backlog.
    let listed = &page[page.find("各服务实例的检索索引").expect("the indexes are listed")..];
    let host = periclase_app::search_sync::host_of(s.search.reader());
    assert!(listed.contains(&format!("{host}（本实例）")), "{listed}");
    assert!(!listed.contains(s.search.reader()), "the random part of a reader's name is not shown: {listed}");
    // Searching still finds what it found.
    let (status, found) = get_as(&s, "/api/search?q=%E9%95%81", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(found["total"].as_u64().unwrap_or(0) > 0, "{found}");
}
