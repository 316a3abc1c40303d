//! The JSON API through `oneshot`, on a small demo province.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use periclase_demo::Demo;
use periclase_domain::{registries, ImportItem, ImportOptions, RowLocation};
use periclase_store::{SqliteStore, Store};
use periclase_web::{app, AppState};
use serde_json::Value;
use tower::ServiceExt;

fn state() -> (tempfile::TempDir, AppState, Demo) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let demo = Demo::new(5, 120);
    for spec in registries::ALL {
        let mut rows = Vec::new();
        demo.for_each(spec.id, &mut |r| rows.push(r));
        let mut items = rows.into_iter().enumerate().map(|(i, r)| ImportItem {
            location: RowLocation {
                sheet: None,
                row: i as u64 + 2,
            },
            row: Ok(r),
        });
        store
            .import(
                spec,
                &mut items,
                ImportOptions::default(),
                &mut |i| panic!("{i:?}"),
                &mut |_| {},
            )
            .unwrap();
    }
    (
        dir,
        AppState {
            store: Arc::new(store),
        },
        demo,
    )
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let res = app(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn healthz() {
    let (_d, s, _) = state();
    let (status, body) = get(&s, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["enterprises"], 120);
}

#[tokio::test]
async fn list_filters_by_region_prefix() {
    let (_d, s, demo) = state();
    let expected = (0..120)
        .filter(|&i| demo.enterprise(i).region().starts_with("2103"))
        .count();
    assert!(expected > 0);
    let (status, body) = get(&s, "/api/enterprises?region=2103&limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], expected as u64);
    let records = body["records"].as_array().unwrap();
    assert_eq!(records.len(), expected);
    for r in records {
        assert!(r["region"].as_str().unwrap().starts_with("2103"));
        assert!(r["region_name"]
            .as_str()
            .unwrap()
            .starts_with("辽宁省 鞍山市"));
    }
    // The city's full code means the same prefix.
    let (_, same) = get(&s, "/api/enterprises?region=210300&limit=1000").await;
    assert_eq!(same["total"], body["total"]);
}

#[tokio::test]
async fn paging_and_keyword() {
    let (_d, s, _) = state();
    let (_, first) = get(&s, "/api/enterprises?limit=50").await;
    let next = first["next"].as_i64().unwrap();
    let (_, second) = get(&s, &format!("/api/enterprises?limit=50&after={next}")).await;
    let a: Vec<i64> = first["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let b: Vec<i64> = second["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(a.len(), 50);
    assert!(b.iter().all(|id| *id > *a.last().unwrap()));
    let (_, kw) = get(&s, "/api/enterprises?q=%E7%A4%BA%E4%BE%8B&limit=1").await;
    assert_eq!(kw["total"], 120);
}

#[tokio::test]
async fn detail_includes_children_and_hides_private_fields() {
    let (_d, s, demo) = state();
    let e = demo.enterprise(0);
    let (status, body) = get(&s, &format!("/api/enterprises/{}", e.uscc.to_lowercase())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["uscc"], e.uscc);
    assert!(!body["enterprise-figures"].as_array().unwrap().is_empty());
    let (_, talents) = get(&s, "/api/talents?limit=3").await;
    for t in talents["records"].as_array().unwrap() {
        assert!(t.get("contact").is_none(), "contact details are private");
    }
}

#[tokio::test]
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

#[tokio::test]
async fn policy_record_snapshot() {
    let (_d, s, _) = state();
    let (status, body) = get(&s, "/api/policies/ZC-LN-2024-471").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!("policy_471", body);
}
