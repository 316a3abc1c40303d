//! What wraps every route: security headers (and the `Secure` cookie flag when served over
//! TLS), and Chinese answers for whatever axum refuses before a handler runs — unparseable
//! JSON, a missing form field, a wrong `Content-Type`, an oversized body, an unknown route, a
//! wrong method. The API gets the usual `{code, message}`; a browser asking for a page gets
//! an HTML error page in the site's layout with a way back.

use axum::body::Body;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::AppState;

/// Pages are server-rendered: scripts, styles and images come from this origin only (the one
/// script is `/assets/app.js`; charts are inline SVG, which needs no exception), no page may
/// be framed, and forms post back here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// Error bodies read back to be rewritten are small; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

const JS: &str = include_str!("../assets/app.js");

/// `/assets/app.js`: progressive enhancement only (every page works without it).
pub fn router() -> Router<AppState> {
    Router::new().route("/assets/app.js", get(js))
}

async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], JS)
}

/// A request relayed by a trusted reverse proxy is counted under the client the proxy saw:
/// the last address of `X-Forwarded-For`, the one the proxy itself appended (nginx's
/// `$proxy_add_x_forwarded_for`); the ones before it are whatever the client sent. From
/// anyone else the header is ignored.
pub async fn forwarded_client(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if let Some(peer) = peer.filter(|p| state.trusted_proxies.contains(&p.ip())) {
        if let Some(client) = last_forwarded(req.headers()) {
            req.extensions_mut().insert(ConnectInfo(SocketAddr::new(client, peer.port())));
        }
    }
    next.run(req).await
}

fn last_forwarded(headers: &HeaderMap) -> Option<IpAddr> {
    let last_header = headers.get_all("x-forwarded-for").iter().next_back()?;
    last_header.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

/// Adds the security headers to every response, and `Secure` to every cookie when the
/// server sits behind TLS (`AppState::secure_cookies`).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if state.secure_cookies {
        mark_cookies_secure(headers);
    }
    res
}

fn mark_cookies_secure(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        let secure = c.to_str().ok().filter(|s| !s.split(';').any(|a| a.trim().eq_ignore_ascii_case("secure")));
        let value = secure.and_then(|s| HeaderValue::try_from(format!("{s}; Secure")).ok()).unwrap_or(c);
        headers.append(header::SET_COOKIE, value);
    }
}

/// A browser asking for a page (not the API): its errors are shown as HTML.
fn wants_page(path: &str, headers: &HeaderMap) -> bool {
    !path.starts_with("/api/")
        && headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("text/html"))
}

/// Where "返回上一页" leads: the referring page when it is a path on this site, else the
/// current path's parent.
fn previous_page(headers: &HeaderMap, path: &str) -> Option<String> {
    let local = |p: &str| {
        let b = p.as_bytes();
        b.first() == Some(&b'/') && !matches!(b.get(1), Some(b'/' | b'\\'))
    };
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<Uri>().ok())
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()))
        .filter(|p| local(p) && p.split('?').next() != Some(path));
    referer.or_else(|| {
        let parent = path.trim_end_matches('/').rsplit_once('/').map(|(p, _)| p)?;
        (!parent.is_empty() && local(parent)).then(|| parent.to_string())
    })
}

/// Rewrites error responses that are not already ours: axum's English rejections (plain
/// text) and empty 404/405 answers become `{code, message}` in Chinese; for a page request
/// any error (ours too) becomes the HTML error page. Headers such as `Retry-After` and
/// `Allow` are kept.
pub async fn chinese_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let page = wants_page(&path, req.headers());
    let back = previous_page(req.headers(), &path);
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type =
        res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    // A page that renders its own error (a form shown again with its mistakes) stays.
    if content_type.starts_with("text/html") {
        return res;
    }
    let json = content_type.starts_with("application/json");
    if json && !page {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
    let (code, message) = if json {
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let code = v["code"].as_str().unwrap_or("error").to_string();
        let message = v["message"].as_str().map_or_else(|| generic(status).to_string(), str::to_string);
        (code, message)
    } else {
        let text = String::from_utf8_lossy(&bytes);
        let allow = parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
        let (code, message) = translate(status, text.trim(), &method, &path, allow);
        (code.to_string(), message)
    };
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = if page {
        let page = crate::pages::error_page(status, title(status), &message, advice(status), back.as_deref());
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        Body::from(page.into_string())
    } else {
        return (parts, Json(serde_json::json!({ "code": code, "message": message }))).into_response();
    };
    Response::from_parts(parts, body)
}

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "请求有误",
        401 => "需要登录",
        403 => "无权访问",
        404 => "页面不存在",
        405 => "请求方式不对",
        409 => "记录冲突",
        413 => "内容过大",
        415 => "内容格式不对",
        429 => "尝试过于频繁",
        503 => "数据库正忙",
        s if s >= 500 => "服务器出错",
        _ => "请求未完成",
    }
}

fn advice(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 | 415 => "请检查填写的内容后重新提交；若是从页面上的按钮进入的，请刷新该页后再试。",
        401 => "请先登录，再打开这个页面。",
        403 => "如确需办理，请联系管理员开通相应权限。",
        404 => "请检查网址是否完整，或从首页重新进入。",
        405 => "请通过页面上的链接或按钮操作，不要直接修改网址。",
        409 => "该记录已存在，请改为修改已有的记录。",
        413 => "请缩小文件（例如拆成几个文件）后重新上传。",
        429 => "请稍等片刻再试。",
        503 => "数据库正在处理另一项写入（例如大批量导入），本次操作没有执行。请稍候几秒后重试。",
        s if s >= 500 => "请稍后重试；如果一再出现，请联系管理员并告知出错的时间和网址。",
        _ => "请返回上一页重试。",
    }
}

fn generic(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求格式有误",
        401 => "请先登录（会话不存在或已过期）",
        403 => "无权访问",
        404 => "没有这个页面或接口",
        408 => "请求超时，请重试",
        411 => "请求缺少 Content-Length",
        413 => "请求内容超过服务器允许的大小",
        414 => "网址过长",
        415 => "请求内容的格式（Content-Type）不受支持",
        422 => "请求内容无法处理",
        429 => "请求过于频繁，请稍后再试",
        431 => "请求头过大",
        503 => "服务暂时不可用，请稍后重试",
        s if s >= 500 => "服务器内部错误，请稍后重试或联系管理员",
        _ => "请求未能完成",
    }
}

fn code_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

/// axum's rejection text (or an empty body) in Chinese: what was wrong, and where.
fn translate(status: StatusCode, text: &str, method: &Method, path: &str, allow: &str) -> (&'static str, String) {
    let code = code_of(status);
    if status.is_server_error() {
        if !text.is_empty() {
            tracing::error!(%status, detail = %text, %path, "request refused by the framework");
        }
        return (code, generic(status).to_string());
    }
    match status.as_u16() {
        404 => return (code, format!("没有这个页面或接口：{path}")),
        405 => {
            let methods: Vec<&str> = allow.split(',').map(str::trim).filter(|m| !m.is_empty()).collect();
            let allowed =
                if methods.is_empty() { String::new() } else { format!("（可用：{}）", methods.join("、")) };
            return (code, format!("{path} 不接受 {method} 请求{allowed}"));
        }
        413 => {
            return (code, "请求内容超过服务器允许的大小，未被接收".to_string());
        }
        _ => {}
    }
    if let Some(expected) = between(text, "`Content-Type: ", "`") {
        return (code, format!("请求的 Content-Type 应为 {expected}"));
    }
    if text.contains("`boundary`") {
        return (code, "上传请求格式有误：缺少或错误的 multipart 分隔标记（boundary）".to_string());
    }
    const PREFIXES: [(&str, &str); 7] = [
        ("Failed to parse the request body as JSON", "请求体不是有效的 JSON"),
        ("Failed to deserialize the JSON body into the target type", "JSON 内容不符合要求"),
        ("Failed to deserialize form body", "表单内容有误"),
        ("Failed to deserialize form", "请求参数有误"),
        ("Failed to deserialize query string", "网址中的查询参数有误"),
        ("Failed to buffer the request body", "请求内容读取失败"),
        ("Request body didn't contain valid UTF-8", "请求内容不是有效的 UTF-8 文本"),
    ];
    for (english, chinese) in PREFIXES {
        if let Some(rest) = text.strip_prefix(english) {
            let detail = rest.trim_start_matches(':').trim();
            return (
                code,
                if detail.is_empty() { chinese.to_string() } else { format!("{chinese}：{}", detail_zh(detail)) },
            );
        }
    }
    if let Some(rest) = text.strip_prefix("Invalid URL:") {
        return (code, format!("网址有误：{}", path_detail_zh(rest.trim())));
    }
    if text.is_empty() {
        return (code, generic(status).to_string());
    }
    tracing::info!(%status, detail = %text, %path, "untranslated rejection");
    (code, generic(status).to_string())
}

/// The text between `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

/// A serde message (serde_json, serde_urlencoded, behind a serde_path_to_error path) in
/// Chinese, keeping the field, the value and the line/column.
fn detail_zh(detail: &str) -> String {
    // " at line 1 column 9" (serde_json) → "（第 1 行第 9 列）".
    let (body, place) = match detail.rfind(" at line ") {
        Some(at) => {
            let pos = &detail[at + " at line ".len()..];
            match pos.split_once(" column ") {
                Some((l, c)) if l.bytes().all(|b| b.is_ascii_digit()) && c.bytes().all(|b| b.is_ascii_digit()) => {
                    (&detail[..at], format!("（第 {l} 行第 {c} 列）"))
                }
                _ => (detail, String::new()),
            }
        }
        None => (detail, String::new()),
    };
    // "records[0].name: invalid type…" → the field, then the message.
    let (field, message) = match body.split_once(": ") {
        Some((f, m)) if !f.is_empty() && !f.contains(' ') && !f.contains('`') => (Some(f), m),
        _ => (None, body),
    };
    let said = serde_message_zh(message);
    match field {
        Some(f) => format!("字段「{f}」{said}{place}"),
        None => format!("{said}{place}"),
    }
}

fn serde_message_zh(m: &str) -> String {
    if let Some(f) = between(m, "missing field `", "`") {
        return format!("缺少字段「{f}」");
    }
    if let Some(f) = between(m, "unknown field `", "`") {
        return format!("不认识的字段「{f}」");
    }
    if let Some(rest) = m.strip_prefix("invalid type: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("类型不对：收到{}，应为{}", kind_zh(got), kind_zh(want));
    }
    if let Some(rest) = m.strip_prefix("invalid value: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("值不对：收到{}，应为{}", kind_zh(got), kind_zh(want));
    }
    if let Some(rest) = m.strip_prefix("invalid length ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("长度不对：收到 {got} 项，应为{}", kind_zh(want));
    }
    const KNOWN: [(&str, &str); 22] = [
        ("EOF while parsing", "内容在中途结束，不完整"),
        ("expected value", "此处应为一个值"),
        ("expected ident", "此处应为 true、false 或 null"),
        ("expected `:`", "此处应为冒号「:」"),
        ("expected `,` or `}`", "此处应为逗号「,」或「}」"),
        ("expected `,` or `]`", "此处应为逗号「,」或「]」"),
        ("expected `\"`", "此处应为引号「\"」"),
        ("key must be a string", "对象的键必须是带引号的字符串"),
        ("trailing characters", "末尾有多余的字符"),
        ("trailing comma", "末尾有多余的逗号"),
        ("invalid number", "数字格式不对"),
        ("number out of range", "数字超出范围"),
        ("invalid escape", "转义字符不对"),
        ("invalid unicode code point", "Unicode 码点无效"),
        ("control character", "字符串中有控制字符"),
        ("lone leading surrogate", "Unicode 代理对不完整"),
        ("recursion limit exceeded", "嵌套层数过多"),
        ("invalid digit found in string", "不是有效的整数"),
        ("cannot parse integer from empty string", "不能为空，应为整数"),
        ("number too large to fit in target type", "数字过大"),
        ("number too small to fit in target type", "数字过小"),
        ("invalid float literal", "不是有效的数字"),
    ];
    for (english, chinese) in KNOWN {
        if m.starts_with(english) {
            return chinese.to_string();
        }
    }
    if m.contains("`true` or `false`") {
        return "应为 true 或 false".to_string();
    }
    "格式不对".to_string()
}

/// serde's words for kinds of values, and Rust type names, in Chinese; a quoted value stays.
fn kind_zh(k: &str) -> String {
    let k = k.trim();
    let quoted = between(k, "\"", "\"").or_else(|| between(k, "`", "`"));
    let word = k.split([' ', '`', '"']).find(|w| !w.is_empty() && *w != "a" && *w != "an").unwrap_or(k);
    let kind = match word {
        "string" | "str" | "char" => "文本",
        "integer" | "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => "整数",
        "floating" | "f32" | "f64" => "数字",
        "boolean" | "bool" => "布尔值（true/false）",
        "null" | "unit" | "option" => "空值（null）",
        "map" | "struct" | "object" => "对象",
        "sequence" | "tuple" | "array" => "数组",
        "" => "",
        other => return format!("「{other}」"),
    };
    match quoted {
        Some(v) => format!("{kind}「{v}」"),
        None => kind.to_string(),
    }
}

/// axum's path errors ("Cannot parse `id` with value `abc` to a `i64`") in Chinese.
fn path_detail_zh(d: &str) -> String {
    let ty = between(d, "to a `", "`").map(kind_zh);
    let value = between(d, "with value `", "`").or_else(|| between(d, "Cannot parse `", "` to"));
    match (value, ty) {
        (Some(v), Some(t)) => format!("「{v}」应为{t}"),
        _ if d.starts_with("Invalid UTF-8") => "网址中有无效的 UTF-8 字符".to_string(),
        _ => "网址中的参数格式不对".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh(status: u16, text: &str) -> String {
        translate(StatusCode::from_u16(status).unwrap(), text, &Method::POST, "/api/x", "GET,HEAD").1
    }

    /// Regression (probe): framework rejections answered in English.
    #[test]
    fn framework_rejections_are_translated_with_field_and_position() {
        assert_eq!(
            zh(400, "Failed to parse the request body as JSON: key must be a string at line 1 column 2"),
            "请求体不是有效的 JSON：对象的键必须是带引号的字符串（第 1 行第 2 列）"
        );
        assert_eq!(
            zh(422, "Failed to deserialize the JSON body into the target type: username: invalid type: integer `5`, expected a string at line 1 column 14"),
            "JSON 内容不符合要求：字段「username」类型不对：收到整数「5」，应为文本（第 1 行第 14 列）"
        );
        assert_eq!(zh(422, "Failed to deserialize form body: missing field `csrf`"), "表单内容有误：缺少字段「csrf」");
        assert_eq!(
            zh(400, "Failed to deserialize query string: limit: invalid digit found in string"),
            "网址中的查询参数有误：字段「limit」不是有效的整数"
        );
        assert_eq!(
            zh(415, "Expected request with `Content-Type: application/json`"),
            "请求的 Content-Type 应为 application/json"
        );
        assert_eq!(
            zh(413, "Failed to buffer the request body: length limit exceeded"),
            "请求内容超过服务器允许的大小，未被接收"
        );
        assert_eq!(zh(400, "Invalid URL: Cannot parse `abc` to a `i64`"), "网址有误：「abc」应为整数");
        assert_eq!(zh(404, ""), "没有这个页面或接口：/api/x");
        assert_eq!(zh(405, ""), "/api/x 不接受 POST 请求（可用：GET、HEAD）");
        assert!(
            zh(500, "Wrong number of path arguments for `Path`. Expected 1 but got 2").starts_with("服务器内部错误")
        );
        for s in [400, 413, 415, 422, 404, 405, 500] {
            assert!(!zh(s, "Some English text").is_ascii(), "{s}");
        }
    }

    #[test]
    fn the_way_back_stays_on_this_site() {
        let with = |r: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::REFERER, HeaderValue::from_str(r).unwrap());
            previous_page(&h, "/r/enterprises/123")
        };
        assert_eq!(with("http://example.org/r/enterprises?region=21").as_deref(), Some("/r/enterprises?region=21"));
        assert_eq!(with("http://example.org//evil.example/x").as_deref(), Some("/r/enterprises"));
        assert_eq!(previous_page(&HeaderMap::new(), "/r/enterprises/123").as_deref(), Some("/r/enterprises"));
        assert_eq!(previous_page(&HeaderMap::new(), "/nowhere"), None);
    }

    #[test]
    fn cookies_get_secure_once() {
        let mut h = HeaderMap::new();
        h.append(header::SET_COOKIE, HeaderValue::from_static("a=1; HttpOnly"));
        h.append(header::SET_COOKIE, HeaderValue::from_static("b=2; Secure; HttpOnly"));
        mark_cookies_secure(&mut h);
        let all: Vec<&str> = h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(all, ["a=1; HttpOnly; Secure", "b=2; Secure; HttpOnly"]);
    }
}
