//! The permission table, walked: every route as every role answers 2xx exactly where
//! `periclase_auth::table` allows it. And the probe's findings, each a regression test named
//! after it.

use axum::http::StatusCode;
use periclase_auth::table::{may_use, reach, Action, Feature, Reach};
use periclase_auth::Role;
use periclase_domain::registries;
use serde_json::{json, Value};

use super::{get, get_as, get_bytes, login, page_as, send, state};

const USERS: [(&str, Role); 5] = [
    ("admin", Role::Admin),
    ("haicheng", Role::Official),
    ("qiye", Role::Enterprise),
    ("gaoxiao", Role::Institute),
    ("zhuanjia", Role::Expert),
];

fn allowed(role: Role, id: periclase_domain::RegistryId, action: Action) -> bool {
    reach(role, id, action) != Reach::Nothing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_as_every_role_follows_the_permission_table() {
    let (_d, s, _) = state();
    let features: [(&str, Feature); 16] = [
        ("/audit", Feature::Audit),
        ("/api/audit", Feature::Audit),
        ("/monitor", Feature::Monitor),
        ("/chains", Feature::ChainMap),
        ("/chains/magnesia", Feature::ChainMap),
        ("/policies", Feature::Policies),
        ("/calculator", Feature::Calculator),
        ("/policy-runs", Feature::PolicyRuns),
        ("/policies/specialized-sme-award/sandbox", Feature::Sandbox),
        ("/search?q=%E9%95%81", Feature::Search),
        ("/api/search?q=%E9%95%81", Feature::Search),
        ("/api/introductions", Feature::Introductions),
        ("/declarations", Feature::Declarations),
        ("/api/declarations", Feature::Declarations),
        ("/api/declarations?status=pending", Feature::Declarations),
        ("/search/index", Feature::SearchIndex),
    ];
    let mut wrong = Vec::new();
    for (user, role) in USERS {
        let (cookie, csrf) = login(&s, user).await;
        let mut check = |what: String, status: StatusCode, expected: bool| {
            if status.is_success() != expected {
                wrong.push(format!(
                    "{user} {what}: {status}, table says {}",
                    if expected { "allowed" } else { "refused" }
                ));
            }
        };
        for (path, feature) in features {
            let (status, _) = page_as(&s, path, &cookie).await;
            check(format!("GET {path}"), status, may_use(role, feature));
        }
        let (status, _) = page_as(&s, "/", &cookie).await;
        check("GET /".into(), status, true);
        for spec in registries::ALL {
            let read = allowed(role, spec.id, Action::Read);
            let write = allowed(role, spec.id, Action::Write);
            let declare = allowed(role, spec.id, Action::Declare);
            for path in [format!("/api/{}", spec.name), format!("/r/{}", spec.name)] {
                let (status, _) = page_as(&s, &path, &cookie).await;
                check(format!("GET {path}"), status, read);
            }
            let (status, _) = get_bytes(&s, &format!("/r/{}/export?format=csv", spec.name), &cookie).await;
            check(format!("export {}", spec.name), status, read);
            let (status, _) = page_as(&s, &format!("/r/{}/import", spec.name), &cookie).await;
            check(format!("import form {}", spec.name), status, write);
            let (status, _) = page_as(&s, &format!("/r/{}/new", spec.name), &cookie).await;
            check(format!("new form {}", spec.name), status, write || declare);
            // An empty record: refused outright (403) where the role may neither write nor
            // declare, otherwise refused for its missing fields (422).
            let (status, body) =
                send(&s, "POST", &format!("/api/{}", spec.name), Some(&json!({})), &cookie, Some(&csrf)).await;
            let expected = if write || declare { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::FORBIDDEN };
            if status != expected {
                check(format!("POST /api/{}: {body}, expected {expected}", spec.name), status, !status.is_success());
            }
        }
    }
    assert!(wrong.is_empty(), "{} routes disagree with the table:\n{}", wrong.len(), wrong.join("\n"));
}

fn honour(uscc: &str) -> Value {
    json!({ "uscc": uscc, "honour": "specialized_sme", "year": 2024, "level": "provincial", "evidence": "辽工信发〔2024〕示例号" })
}

/// Probe, High 1: as `qiye`, `POST /api/enterprise-honours` answered 201 and the calculator
/// then paid 专精特新一次性奖励. Now it is a declaration: 202, not in the registry, the
/// calculator says it waits for the department, and only the county's official confirms it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprise_certifies_itself_and_gets_paid() {
    let (_d, s, demo) = state();
    let uscc = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap().uscc;
    let (qiye, qiye_csrf) = login(&s, "qiye").await;
    let has_honour = |v: &Value| {
        v["records"].as_array().unwrap().iter().any(|r| r["honour"] == "specialized_sme" && r["year"] == 2024)
    };
    let (_, before) = get_as(&s, "/api/enterprise-honours?limit=1000", &qiye).await;
    assert!(!has_honour(&before), "the demo enterprise starts without it");

    let (status, d) = send(&s, "POST", "/api/enterprise-honours", Some(&honour(&uscc)), &qiye, Some(&qiye_csrf)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{d}");
    assert_eq!((d["status"].as_str(), d["status_label"].as_str()), (Some("pending"), Some("待核验")));
    let (_, after) = get_as(&s, "/api/enterprise-honours?limit=1000", &qiye).await;
    assert!(!has_honour(&after), "declared is not fact");
    let (status, page) = page_as(&s, "/calculator", &qiye).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("项申报待主管部门核验"), "the calculator says what waits");

    // Its yearly figures and its region are declarations too.
    let revenue = json!({ "uscc": uscc, "year": 2024, "metric": "revenue", "value": 99_999_999, "source": "企业自报", "as_of": "2025-03-31" });
    let (status, out) = send(&s, "POST", "/api/enterprise-figures", Some(&revenue), &qiye, Some(&qiye_csrf)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{out}");
    let moved = json!({ "name": "示例", "region": "211302" });
    let (status, out) =
        send(&s, "PUT", &format!("/api/enterprises/{uscc}"), Some(&moved), &qiye, Some(&qiye_csrf)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{out}");
    let (official, official_csrf) = login(&s, "haicheng").await;
    let (status, ent) = get_as(&s, &format!("/api/enterprises/{uscc}"), &official).await;
    assert_eq!((status, ent["region"].as_str()), (StatusCode::OK, Some("210381")), "still in the county's sight");

    // Another county's official neither sees nor decides it; the county's confirms it.
    let id = d["id"].as_i64().unwrap();
    let (other, other_csrf) = login(&s, "dashiqiao").await;
    let (_, theirs) = get_as(&s, "/api/declarations", &other).await;
    assert_eq!(theirs, json!([]));
    let confirm = format!("/api/declarations/{id}/confirm");
    let (status, _) = send(&s, "POST", &confirm, Some(&json!({})), &other, Some(&other_csrf)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&s, "POST", &confirm, Some(&json!({})), &qiye, Some(&qiye_csrf)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an enterprise does not confirm its own declaration");
    let (_, mine) = get_as(&s, "/api/declarations?status=pending", &official).await;
    assert_eq!(mine.as_array().unwrap().len(), 3);
    let (status, done) =
        send(&s, "POST", &confirm, Some(&json!({ "note": "与公告核对无误" })), &official, Some(&official_csrf)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "confirmed");
    let (_, confirmed) = get_as(&s, "/api/enterprise-honours?limit=1000", &qiye).await;
    assert!(has_honour(&confirmed), "confirmed, it is the registry's");
    // Rejecting needs a reason the enterprise will read.
    let (_, pending) = get_as(&s, "/api/declarations?status=pending", &official).await;
    let next = pending[0]["id"].as_i64().unwrap();
    let reject = format!("/api/declarations/{next}/reject");
    let (status, _) = send(&s, "POST", &reject, Some(&json!({})), &official, Some(&official_csrf)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        send(&s, "POST", &reject, Some(&json!({ "note": "请附统计报表" })), &official, Some(&official_csrf)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, own) = get_as(&s, "/api/declarations", &qiye).await;
    assert!(own.as_array().unwrap().iter().any(|d| d["status"] == "rejected" && d["decision_note"] == "请附统计报表"));
}

/// Probe: `DELETE /api/talent-links/1` as `zhuanjia` answered 204; conflict-of-interest
/// records are the department's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expert_deletes_own_conflict_links() {
    let (_d, s, _) = state();
    let (cookie, csrf) = login(&s, "zhuanjia").await;
    let (status, links) = get_as(&s, "/api/talent-links", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let id = links["records"][0]["id"].as_i64().expect("the expert has a link");
    let (status, _) = send(&s, "DELETE", &format!("/api/talent-links/{id}"), None, &cookie, Some(&csrf)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, still) = get_as(&s, "/api/talent-links", &cookie).await;
    assert_eq!(still["records"].as_array().unwrap().len(), links["records"].as_array().unwrap().len());
}

/// Probe: `haicheng` `GET /r/talents/export?format=csv` gave 375 phone numbers the API hides.
/// And a GET → PUT round trip must not wipe a field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_fields_leak_through_export() {
    let (_d, s, _) = state();
    let (_, all) = get(&s, "/api/talents?limit=1000").await;
    let contacts: Vec<String> =
        all["records"].as_array().unwrap().iter().filter_map(|t| t["contact"].as_str().map(str::to_string)).collect();
    assert!(!contacts.is_empty(), "administrators see contact details");
    let (official, _) = login(&s, "haicheng").await;
    let (status, csv) = get_bytes(&s, "/r/talents/export?format=csv", &official).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.lines().count() > 1);
    for c in &contacts {
        assert!(!csv.contains(c.as_str()), "{c} leaked through the export");
    }
    let (admin, _) = login(&s, "admin").await;
    let (_, csv) = get_bytes(&s, "/r/talents/export?format=csv", &admin).await;
    assert!(String::from_utf8(csv).unwrap().contains(contacts[0].as_str()));

    // The expert keeps their own profile: GET, then PUT it back, loses nothing.
    let (expert, csrf) = login(&s, "zhuanjia").await;
    let code = super::linked_talent(&super::Demo::new(5, 120));
    let uri = format!("/api/talents/{code}");
    let (status, mine) = get_as(&s, &uri, &expert).await;
    assert_eq!(status, StatusCode::OK);
    let mut body = mine.clone();
    let obj = body.as_object_mut().unwrap();
    obj.retain(|k, _| registries::TALENTS.field(k).is_some());
    let (status, out) = send(&s, "PUT", &uri, Some(&body), &expert, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, again) = get(&s, &uri).await;
    assert_eq!(again["contact"], mine["contact"]);
}

/// Probe: as `haicheng`, matches of an achievement listed a 盖州 demand the official cannot
/// open, `GET /api/introductions` listed every county's records, and `PUT`/`POST` for another
/// county's demand succeeded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introductions_and_matches_across_counties() {
    let (_d, s, _) = state();
    let (admin, admin_csrf) = login(&s, "admin").await;
    let (_, theirs) = get_as(&s, "/api/demands?region=210882&limit=1", &admin).await;
    let demand = theirs["records"][0]["code"].as_str().expect("a 盖州 demand").to_string();
    let (_, achievements) = get_as(&s, "/api/achievements?limit=1", &admin).await;
    let achievement = achievements["records"][0]["code"].as_str().unwrap().to_string();
    let made = json!({ "demand": demand, "achievement": achievement, "note": "省厅引荐，内部备注" });
    let (status, intro) = send(&s, "POST", "/api/introductions", Some(&made), &admin, Some(&admin_csrf)).await;
    assert_eq!(status, StatusCode::OK, "{intro}");

    let (official, csrf) = login(&s, "haicheng").await;
    let (_, listed) = get_as(&s, "/api/introductions", &official).await;
    assert_eq!(listed, json!([]), "another county's 对接 records and notes stay there");
    let id = intro["id"].as_i64().unwrap();
    let outcome = json!({ "outcome": "signed", "note": "" });
    let (status, _) =
        send(&s, "PUT", &format!("/api/introductions/{id}"), Some(&outcome), &official, Some(&csrf)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&s, "POST", "/api/introductions", Some(&made), &official, Some(&csrf)).await;
    assert!(status.is_client_error() && status != StatusCode::OK, "{status}");

    let (status, matched) = get_as(&s, &format!("/api/match/achievements/{achievement}?limit=50"), &official).await;
    assert_eq!(status, StatusCode::OK);
    for m in matched["matches"].as_array().unwrap() {
        let (status, _) = get_as(&s, &format!("/api/demands/{}", m["key"].as_str().unwrap()), &official).await;
        assert_eq!(status, StatusCode::OK, "a match the official cannot open: {m}");
    }
}

/// Probe: an enterprise could `PUT` its own region elsewhere and leave its county's sight; an
/// enterprise's form for a department's fact now declares it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_form_declares_and_the_official_page_confirms() {
    let (_d, s, demo) = state();
    let uscc = (0..120).map(|i| demo.enterprise(i)).find(|e| e.region() == "210381").unwrap().uscc;
    let (qiye, csrf) = login(&s, "qiye").await;
    let (status, form) = page_as(&s, "/r/enterprise-honours/new", &qiye).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("提交申报") && form.contains("申报依据"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("uscc", uscc.as_str()),
        ("honour", "专精特新中小企业"),
        ("year", "2024"),
        ("level", "省级"),
        ("evidence", "辽工信发〔2024〕示例号"),
    ];
    let (status, location, html) = super::post_form(&s, "/r/enterprise-honours/new", &qiye, &fields).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/declarations?status=pending")), "{html}");
    let (_, mine) = page_as(&s, "/declarations?status=pending", &qiye).await;
    assert!(mine.contains("待核验") && mine.contains("辽工信发〔2024〕示例号"));
    assert!(!mine.contains("核验通过"), "an enterprise does not decide");

    let (official, official_csrf) = login(&s, "haicheng").await;
    let (status, inbox) = page_as(&s, "/declarations?status=pending", &official).await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains("核验通过") && inbox.contains("企业梯度与荣誉"));
    let (_, listed) = get_as(&s, "/api/declarations?status=pending", &official).await;
    let id = listed[0]["id"].as_i64().unwrap();
    let decide = [("csrf", official_csrf.as_str()), ("decision", "confirm"), ("note", "")];
    let (status, location, _) = super::post_form(&s, &format!("/declarations/{id}"), &official, &decide).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/declarations?status=pending")));
    let (_, done) = get_as(&s, &format!("/api/declarations/{id}"), &qiye).await;
    assert_eq!(done["status"], "confirmed");
}

/// Review: an expert keeps their profile but does not decide whether they sit in the expert
/// pool; the field keeps its stored value, through the API and the form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expert_does_not_put_themselves_in_the_pool() {
    let (_d, s, demo) = state();
    let code = super::linked_talent(&demo);
    let uri = format!("/api/talents/{code}");
    let (_, before) = get(&s, &uri).await;
    let (expert, csrf) = login(&s, "zhuanjia").await;
    let flipped = before["is_expert"].as_i64() != Some(1);
    let body = json!({ "name": before["name"], "title": "正高级工程师", "is_expert": flipped });
    let (status, out) = send(&s, "PUT", &uri, Some(&body), &expert, Some(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, after) = get(&s, &uri).await;
    assert_eq!((after["title"].as_str(), &after["is_expert"]), (Some("正高级工程师"), &before["is_expert"]));
    let (_, form) = page_as(&s, &format!("/r/talents/{code}/edit"), &expert).await;
    assert!(form.contains("由主管部门维护"));
}

/// The tier lookup had drifted: the CLI took aliases and 专家, the web did not. Both now read
/// a search through one use case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_reads_tiers_as_the_cli_does() {
    let (_d, s, _) = state();
    for tier in ["expert", "%E4%B8%93%E5%AE%B6"] {
        let (status, body) = get(&s, &format!("/api/search?q=%E9%95%81&tier={tier}")).await;
        assert_eq!(status, StatusCode::OK, "{tier}: {body}");
    }
    let (status, body) = get(&s, "/api/search?q=%E9%95%81&tier=nothing").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("没有名为「nothing」的梯度或荣誉"));
}
