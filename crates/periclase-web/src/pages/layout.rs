use maud::{html, Markup, DOCTYPE};
use periclase_auth::{Feature, Principal};
use periclase_domain::{registries, Scope};

/// The registries in the navigation bar, in the order officials look for them.
const NAV: [&str; 8] =
    ["enterprises", "projects", "talents", "platforms", "achievements", "demands", "policies", "financial-products"];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Periclase 产业大脑" }
            link rel="stylesheet" href="/assets/app.css";
            script src="/assets/app.js" defer {}
        }
    }
}

/// A page for a signed-in user: header with the registries they may open, their name and a
/// logout button (a form carrying the CSRF token).
pub fn page(title: &str, here: &str, who: &Principal, csrf: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head(title))
            body {
                header.top {
                    a.brand href="/" { "Periclase 产业大脑" }
                    nav {
                        a href="/" class=[(here == "home").then_some("here")] { "首页" }
                        a href="/monitor" class=[(here == "monitor").then_some("here")] { "行业监测" }
                        @if who.may(Feature::ChainMap) {
                            a href="/chains" class=[(here == "chains").then_some("here")] { "产业链图谱" }
                        }
                        a href="/policies" class=[(here.starts_with("polic") || here == "calculator").then_some("here")] { "政策计算器" }
                        @for name in NAV {
                            @if let Some(spec) = registries::by_name(name) {
                                @if who.read_scope(spec) != Scope::Nothing {
                                    a href={ "/r/" (name) } class=[(here == name).then_some("here")] { (spec.label) }
                                }
                            }
                        }
                        @if who.may(Feature::Declarations) {
                            a href="/declarations?status=pending" class=[(here == "declarations").then_some("here")] {
                                (if who.confirm_scope(&registries::ENTERPRISES) == Scope::Nothing { "本企业申报" } else { "申报核验" })
                            }
                        }
                        @if who.may(Feature::Audit) {
                            a href="/audit" class=[(here == "audit").then_some("here")] { "审计日志" }
                        }
                    }
                    form.search method="get" action="/search" role="search" {
                        input type="search" name="q" placeholder="检索全部库：企业、成果、需求、政策……" aria-label="全文检索";
                    }
                    div.who {
                        span { (who.display_name) "（" (who.role.label()) "）" }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "退出" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The page a browser sees when a request fails (`layers::chinese_errors`): what happened,
/// what to do, and the way back — to the home page and to the page before.
pub fn error_page(
    status: axum::http::StatusCode,
    title: &str,
    message: &str,
    advice: &str,
    back: Option<&str>,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head(title))
            body {
                header.top { a.brand href="/" { "Periclase 产业大脑" } }
                main {
                    h1 { (title) " " span.muted { "（" (status.as_u16()) "）" } }
                    div.alert.bad role="alert" { (message) }
                    p { (advice) }
                    p {
                        a.button href="/" { "返回首页" }
                        @if let Some(back) = back { " " a.button href=(back) { "返回上一页" } }
                    }
                }
            }
        }
    }
}

/// A page for someone not signed in (the login page).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head(title))
            body { (body) }
        }
    }
}
