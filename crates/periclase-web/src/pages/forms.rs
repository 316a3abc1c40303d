//! Create, edit and delete forms. Validation is the domain's, shown beside each field in
//! Chinese; nothing is saved until every field is right.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use periclase_domain::{display_cell, validate_row, ChainSet, FieldError, FieldKind, FieldSpec, RegistrySpec, Row};
use periclase_store::{Actor, Channel, DeclaredChange, Record, SaveMode};

use super::registry::record_path;
use super::{layout, PageSession};
use crate::auth::Change;
use crate::{blocking, registry, ApiError, AppState};

type Fields = HashMap<String, String>;

fn check_csrf(s: &PageSession, form: &Fields) -> Result<(), ApiError> {
    s.0.check_csrf_value(form.get("csrf").map_or("", String::as_str))
}

/// The record `key` of `spec`, if the session may change it.
async fn load_writable(
    state: &AppState,
    s: &PageSession,
    spec: &'static RegistrySpec,
    key: &str,
) -> Result<Record, ApiError> {
    let scope = s.0.may_change(spec)?.scope().clone();
    let store = state.store.clone();
    let k = key.to_string();
    blocking(move || Ok(store.get(spec, &k, Some(&scope))?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{}中没有「{key}」", spec.label)))
}

fn input(f: &FieldSpec, value: &str) -> Markup {
    let name = f.key;
    html! {
        @match f.kind {
            FieldKind::LongText | FieldKind::List => textarea name=(name) rows="3" { (value) },
            FieldKind::Enum(opts) => select name=(name) {
                option value="" { "（未填）" }
                @for o in opts { option value=(o.label) selected[value == o.label] { (o.label) } }
            },
            FieldKind::Bool => select name=(name) {
                option value="" { "（未填）" }
                option value="是" selected[value == "是"] { "是" }
                option value="否" selected[value == "否"] { "否" }
            },
            FieldKind::Date => input type="date" name=(name) value=(value);
            FieldKind::ChainNode => select name=(name) {
                option value="" { "（未填）" }
                @for c in &ChainSet::embedded().chains {
                    optgroup label=(c.name) {
                        @for n in c.leaves() {
                            @let shown = format!("{}/{}", c.name, n.name);
                            option value=(shown) selected[value == shown] { (n.name) }
                        }
                    }
                }
            },
            _ => input name=(name) value=(value);
        }
    }
}

fn form_page(
    s: &PageSession,
    spec: &'static RegistrySpec,
    title: &str,
    action: &str,
    values: &Fields,
    errors: &[FieldError],
) -> Markup {
    let declaring = matches!(s.0.may_change(spec), Ok(Change::Declare(_)));
    let body = html! {
        h1 { (title) }
        @if declaring {
            div.alert.warn { "此项数据由主管部门掌握：提交后作为本企业的申报，经主管部门核验后才写入台账。请在「申报依据」中写明证明材料（如证书编号、文件文号、报表名称）。" }
        }
        @if !errors.is_empty() {
            div.alert.bad role="alert" { "有 " (errors.len()) " 处需要修改，未保存任何内容。" }
        }
        form.panel.record method="post" action=(action) {
            input type="hidden" name="csrf" value=(s.0.csrf);
            table {
                tbody {
                    @for f in spec.fields {
                        @let value = values.get(f.key).map(String::as_str).unwrap_or("");
                        @let err = errors.iter().find(|e| e.field == f.key);
                        tr {
                            th { label { (f.label) @if f.required { span.bad { " *" } } } }
                            td {
                                @if fixed(s, spec, f) {
                                    span.muted { (if value.is_empty() { "（未填）" } else { value }) " · 由主管部门维护" }
                                } @else {
                                    (input(f, value))
                                }
                                @if let Some(e) = err { div.alert.bad.field-error { (e.message) } }
                            }
                        }
                    }
                }
            }
            @if declaring {
                p { label { "申报依据" br; textarea name="evidence" rows="2" cols="60" { (values.get("evidence").map(String::as_str).unwrap_or("")) } } }
                button.primary type="submit" { "提交申报" }
            } @else {
                button.primary type="submit" { "保存" }
            }
        }
    };
    layout::page(title, spec.name, &s.0.principal, &s.0.csrf, body)
}

/// The form's heading: an enterprise declares, others create or edit.
fn title(spec: &RegistrySpec, change: &Change, mode: SaveMode) -> String {
    match (change, mode) {
        (Change::Declare(_), SaveMode::Create) => format!("申报{}", spec.label),
        (Change::Declare(_), SaveMode::Update { .. }) => format!("申报更正{}", spec.label),
        (_, SaveMode::Create) => format!("新建{}记录", spec.label),
        (_, SaveMode::Update { .. }) => format!("修改{}记录", spec.label),
    }
}

/// A field this session may not set (or not see): shown, never taken from the form.
fn fixed(s: &PageSession, spec: &RegistrySpec, f: &FieldSpec) -> bool {
    (f.private && !s.0.principal.sees_private(spec)) || !s.0.principal.may_set(spec, f.key)
}

fn values_of(spec: &RegistrySpec, row: &Row) -> Fields {
    spec.fields.iter().zip(row).map(|(f, v)| (f.key.to_string(), display_cell(f, v))).collect()
}

fn parse(spec: &RegistrySpec, form: &Fields) -> Result<Row, Vec<FieldError>> {
    let cells: Vec<Option<&str>> = spec.fields.iter().map(|f| form.get(f.key).map(String::as_str)).collect();
    validate_row(spec, &cells)
}

pub async fn new_form(s: PageSession, Path(name): Path<String>) -> Result<Markup, ApiError> {
    let spec = registry(&name)?;
    let change = s.0.may_change(spec)?;
    // An enterprise declares for itself: its own credit code is filled in.
    let mut values = Fields::new();
    if let (Change::Declare(periclase_domain::Scope::Enterprise(own)), Some(owner)) = (&change, spec.owner) {
        values.insert(owner.to_string(), own.clone());
    }
    Ok(form_page(&s, spec, &title(spec, &change, SaveMode::Create), &format!("/r/{name}/new"), &values, &[]))
}

pub async fn edit_form(
    State(state): State<AppState>,
    s: PageSession,
    Path((name, key)): Path<(String, String)>,
) -> Result<Markup, ApiError> {
    let spec = registry(&name)?;
    let rec = load_writable(&state, &s, spec, &key).await?;
    let action = format!("{}/edit", record_path(spec, &rec));
    let mut values = values_of(spec, &rec.row);
    for f in spec.fields.iter().filter(|f| f.private && !s.0.principal.sees_private(spec)) {
        values.insert(f.key.to_string(), "（不公开）".into());
    }
    let change = s.0.may_change(spec)?;
    Ok(form_page(&s, spec, &title(spec, &change, SaveMode::Update { id: rec.id }), &action, &values, &[]))
}

/// Saves the form, or shows it again with every problem beside its field.
async fn save(
    state: AppState,
    s: PageSession,
    spec: &'static RegistrySpec,
    form: Fields,
    mode: SaveMode,
    action: String,
) -> Result<Response, ApiError> {
    check_csrf(&s, &form)?;
    let change = s.0.may_change(spec)?;
    let title = title(spec, &change, mode);
    let row = match parse(spec, &form) {
        Ok(row) => row,
        Err(errors) => {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&s, spec, &title, &action, &form, &errors))
                .into_response());
        }
    };
    let actor = Actor::new(s.0.principal.username.clone(), Channel::Ui);
    let r = row.clone();
    let evidence = form.get("evidence").map_or(String::new(), |e| e.trim().to_string());
    let st = state.clone();
    let saved = tokio::task::spawn_blocking(move || match change {
        Change::Direct(scope) => st.store.save(spec, &r, mode, &actor, &scope).map(|_| None),
        Change::Declare(scope) => {
            st.declarations.declare(spec, &r, DeclaredChange::Upsert, &evidence, &actor, &scope).map(Some)
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    match saved.map_err(ApiError::from) {
        Ok(Some(_declared)) => Ok(Redirect::to("/declarations?status=pending").into_response()),
        Ok(None) => {
            let rec = periclase_store::Record { id: 0, row };
            Ok(Redirect::to(&record_path(spec, &rec)).into_response())
        }
        Err(ApiError::Invalid(errors)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&s, spec, &title, &action, &form, &errors)).into_response())
        }
        Err(ApiError::Conflict(m)) | Err(ApiError::Forbidden(m)) => {
            let errors = vec![FieldError { field: "", label: "", value: String::new(), message: m }];
            Ok((StatusCode::CONFLICT, form_page(&s, spec, &title, &action, &form, &errors)).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn create(
    State(state): State<AppState>,
    s: PageSession,
    Path(name): Path<String>,
    Form(form): Form<Fields>,
) -> Result<Response, ApiError> {
    let spec = registry(&name)?;
    save(state, s, spec, form, SaveMode::Create, format!("/r/{name}/new")).await
}

pub async fn update(
    State(state): State<AppState>,
    s: PageSession,
    Path((name, key)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Result<Response, ApiError> {
    let spec = registry(&name)?;
    let rec = load_writable(&state, &s, spec, &key).await?;
    let action = format!("{}/edit", record_path(spec, &rec));
    // What the session may not set keeps its stored value, whatever the form carried.
    let mut form = form;
    for (f, v) in spec.fields.iter().zip(&rec.row).filter(|(f, _)| fixed(&s, spec, f)) {
        form.insert(f.key.to_string(), display_cell(f, v));
    }
    save(state, s, spec, form, SaveMode::Update { id: rec.id }, action).await
}

pub async fn delete_confirm(
    State(state): State<AppState>,
    s: PageSession,
    Path((name, key)): Path<(String, String)>,
) -> Result<Markup, ApiError> {
    let spec = registry(&name)?;
    let rec = load_writable(&state, &s, spec, &key).await?;
    let title = rec.row.get(1).map(|v| v.to_string()).unwrap_or_default();
    let path = record_path(spec, &rec);
    let body = html! {
        h1 { "删除确认" }
        div.alert.warn { "确定要删除" (spec.label) "中的「" (title) "」吗？删除会同时删除挂在它下面的年度指标等记录，并记入审计日志。" }
        form method="post" action={ (path) "/delete" } {
            input type="hidden" name="csrf" value=(s.0.csrf);
            button.primary type="submit" { "确认删除" }
            " "
            a href=(path) { "取消" }
        }
    };
    Ok(layout::page("删除确认", spec.name, &s.0.principal, &s.0.csrf, body))
}

pub async fn delete(
    State(state): State<AppState>,
    s: PageSession,
    Path((name, key)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Result<Response, ApiError> {
    check_csrf(&s, &form)?;
    let spec = registry(&name)?;
    let change = s.0.may_change(spec)?;
    let actor = Actor::new(s.0.principal.username.clone(), Channel::Ui);
    let k = key.clone();
    let st = state.clone();
    let gone = tokio::task::spawn_blocking(move || -> Result<Option<bool>, ApiError> {
        match change {
            Change::Direct(scope) => Ok(Some(st.store.delete(spec, &k, &actor, &scope)?)),
            Change::Declare(scope) => {
                let Some(rec) = st.store.get(spec, &k, Some(&scope))? else { return Ok(Some(false)) };
                st.declarations.declare(spec, &rec.row, DeclaredChange::Delete, "", &actor, &scope)?;
                Ok(None)
            }
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    match gone {
        Some(true) => Ok(Redirect::to(&format!("/r/{name}")).into_response()),
        None => Ok(Redirect::to("/declarations?status=pending").into_response()),
        Some(false) => Err(ApiError::NotFound(format!("{}中没有「{key}」", spec.label))),
    }
}
