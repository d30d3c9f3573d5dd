//! The privacy center's pages (HTML, not part of the API document): home, request form,
//! verification, confirmation and download. See [`crate::privacy_center`].

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use dsr_core::{DsrError, PrivacyRequestCreate, RequestStatus};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::privacy_center::{
    BASE, CONTENT_SECURITY_POLICY, CSRF_COOKIE, FormError, PrivacyCenter, STATIC_FILES, Texts,
};
use crate::state::AppState;

/// Mounts the pages (only when the privacy center is on).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(BASE).route(web::get().to(|| async {
        HttpResponse::PermanentRedirect().insert_header((header::LOCATION, format!("{BASE}/"))).finish()
    })))
    .service(web::resource(format!("{BASE}/")).route(web::get().to(home)))
    .service(web::resource(format!("{BASE}/static/{{name}}")).route(web::get().to(static_file)))
    .service(
        web::resource(format!("{BASE}/request/{{index}}")).route(web::get().to(form)).route(web::post().to(submit)),
    )
    .service(
        web::resource(format!("{BASE}/verify/{{id}}")).route(web::get().to(verify_page)).route(web::post().to(verify)),
    )
    .service(web::resource(format!("{BASE}/verify/{{id}}/resend")).route(web::post().to(resend)))
    .service(web::resource(format!("{BASE}/done/{{id}}")).route(web::get().to(done)))
    .service(web::resource(format!("{BASE}/download/{{id}}")).route(web::get().to(download)));
}

fn center(state: &AppState) -> Result<Arc<PrivacyCenter>, ApiError> {
    state.privacy_center.clone().ok_or_else(|| ApiError::message(StatusCode::NOT_FOUND, "Not Found"))
}

fn texts<'c>(center: &'c PrivacyCenter, req: &HttpRequest) -> &'c Texts {
    center.texts(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn text(texts: &Texts, key: &str) -> String {
    texts.get(key).cloned().unwrap_or_default()
}

/// The CSRF token of this browser: its cookie's, or a new one.
fn csrf_token(req: &HttpRequest) -> (String, bool) {
    match req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned()) {
        Some(token) if token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit()) => (token, false),
        _ => (crypto::random_hex(32), true),
    }
}

/// A same-origin post carrying the cookie's token.
fn csrf_ok(req: &HttpRequest, form: &BTreeMap<String, Vec<String>>) -> bool {
    let Some(cookie) = req.cookie(CSRF_COOKIE) else { return false };
    let given = form.get("csrf").and_then(|v| v.first()).map(String::as_str).unwrap_or_default();
    let same = cookie.value().len() == given.len()
        && cookie.value().bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    let origin_ok = match req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            url::Url::parse(origin).ok().is_some_and(|u| {
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                u.host_str().is_some_and(|h| format!("{h}{port}") == host)
            })
        }
    };
    same && !given.is_empty() && origin_ok
}

/// The public route's rate limit, spent by this post (decided before the form is looked at
/// further).
fn over_limit(state: &AppState, req: &HttpRequest) -> bool {
    state.client_address.of(req).is_some_and(|address| state.public_limiter.check(address).is_err())
}

/// A page with the privacy center's headers (and the CSRF cookie when it is new).
fn page(status: StatusCode, body: String, csrf: Option<(&str, bool)>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // Download links carry their token: never sent on to another site (`no-referrer` would
        // also make browsers send `Origin: null` on the forms' posts).
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some((token, true)) = csrf {
        response.cookie(
            Cookie::build(CSRF_COOKIE, token.to_owned())
                .path(BASE)
                .http_only(true)
                .same_site(SameSite::Strict)
                .finish(),
        );
    }
    response.body(body)
}

fn rendered(center: &PrivacyCenter, template: &str, texts: &Texts, context: Value) -> Result<String, ApiError> {
    center.render(template, texts, context).map_err(|e| {
        tracing::error!(template, error = %e, "privacy center page could not be rendered");
        ApiError::message(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    })
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

fn form_values(body: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        values.entry(key.into_owned()).or_default().push(value.into_owned());
    }
    values
}

/// A request id as the pages take it (`pri_` and a UUID's characters).
fn request_id(text: &str) -> Result<String, ApiError> {
    let ok = text.strip_prefix("pri_").is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 64 && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    });
    if ok { Ok(text.to_owned()) } else { Err(ApiError::message(StatusCode::NOT_FOUND, "Not Found")) }
}

async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    Ok(page(StatusCode::OK, rendered(&center, "index.html", texts, json!({}))?, None))
}

async fn static_file(state: web::Data<AppState>, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    center(&state)?;
    let Some((_, content_type, bytes)) = STATIC_FILES.iter().find(|(file, _, _)| *file == name.as_str()) else {
        return Err(ApiError::message(StatusCode::NOT_FOUND, "Not Found"));
    };
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*bytes))
}

/// The request form of action `index`, with what was given and what is wrong.
#[expect(clippy::too_many_arguments, reason = "a page's whole state, each part from the handler")]
fn form_page(
    center: &PrivacyCenter,
    texts: &Texts,
    index: usize,
    values: &BTreeMap<String, Vec<String>>,
    errors: &BTreeMap<String, String>,
    form_error: Option<String>,
    csrf: (&str, bool),
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let Some(action) = center.action(index) else { return Err(ApiError::message(StatusCode::NOT_FOUND, "Not Found")) };
    let fields = center.form_fields(action, texts, values, errors);
    let mut summary: Vec<FormError> = fields
        .iter()
        .filter_map(|f| {
            f.error.clone().map(|message| FormError { field: Some(f.id.clone()), label: f.label.clone(), message })
        })
        .collect();
    if let Some(message) = form_error {
        summary.insert(0, FormError { field: None, label: String::new(), message });
    }
    let context = json!({
        "action": {"title": action.action.title, "description": action.action.description,
            "confirm_text": action.action.confirm_button_text},
        "index": index,
        "fields": fields,
        "errors": summary,
        "csrf": csrf.0,
    });
    Ok(page(status, rendered(center, "request.html", texts, context)?, Some(csrf)))
}

async fn form(req: HttpRequest, state: web::Data<AppState>, index: web::Path<usize>) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    let (token, new) = csrf_token(&req);
    let none = BTreeMap::new();
    form_page(&center, texts, *index, &none, &BTreeMap::new(), None, (&token, new), StatusCode::OK)
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    index: web::Path<usize>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    let index = *index;
    let Some(action) = center.action(index) else { return Err(ApiError::message(StatusCode::NOT_FOUND, "Not Found")) };
    let (token, new) = csrf_token(&req);
    let values = form_values(&body);
    let no_errors = BTreeMap::new();
    if !csrf_ok(&req, &values) {
        let message = Some(text(texts, "error_form"));
        return form_page(&center, texts, index, &values, &no_errors, message, (&token, new), StatusCode::FORBIDDEN);
    }
    // The public route's limit, decided before the form is looked at further.
    if over_limit(&state, &req) {
        let message = Some(text(texts, "error_limit"));
        return form_page(
            &center,
            texts,
            index,
            &values,
            &no_errors,
            message,
            (&token, new),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let submitted = match crate::privacy_center::check_form(action, texts, &values) {
        Ok(submitted) => submitted,
        Err(errors) => {
            return form_page(
                &center,
                texts,
                index,
                &values,
                &errors,
                None,
                (&token, new),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let item = PrivacyRequestCreate {
        identity: submitted.identity,
        policy_key: action.action.policy_key.clone(),
        external_id: None,
        requested_at: None,
        encryption_key: None,
        source: Some("Privacy Center".to_owned()),
        custom_privacy_request_fields: (!submitted.custom_fields.is_empty()).then_some(submitted.custom_fields),
    };
    let created = match crate::routes::blocking(&state.requests, move |s| s.create(vec![item], None)).await {
        Ok(created) => created,
        Err(e) => {
            tracing::warn!(error = %e, "privacy center request not created");
            let message = Some(text(texts, "error_unavailable"));
            return form_page(
                &center,
                texts,
                index,
                &values,
                &no_errors,
                message,
                (&token, new),
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    };
    if let Some(failure) = created.failed.first() {
        let message = Some(failure.message.clone());
        return form_page(
            &center,
            texts,
            index,
            &values,
            &no_errors,
            message,
            (&token, new),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let Some(request) = created.succeeded.first() else {
        let message = Some(text(texts, "error_unavailable"));
        return form_page(
            &center,
            texts,
            index,
            &values,
            &no_errors,
            message,
            (&token, new),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    };
    let unverified = request.status == RequestStatus::IdentityUnverified
        || (request.status == RequestStatus::Duplicate
            && request.identity_verified_at.is_none()
            && state.verification_required);
    Ok(see_other(match unverified {
        true => format!("{BASE}/verify/{}", request.id),
        false => format!("{BASE}/done/{}", request.id),
    }))
}

fn verify_view(
    center: &PrivacyCenter,
    texts: &Texts,
    id: &str,
    code_error: Option<String>,
    resent: bool,
    csrf: (&str, bool),
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let errors: Vec<FormError> = code_error
        .iter()
        .map(|message| FormError {
            field: Some("code".into()),
            label: text(texts, "verify_code"),
            message: message.clone(),
        })
        .collect();
    let context = json!({"id": id, "code_error": code_error, "errors": errors, "resent": resent, "csrf": csrf.0});
    Ok(page(status, rendered(center, "verify.html", texts, context)?, Some(csrf)))
}

async fn verify_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    let id = request_id(&id)?;
    let (token, new) = csrf_token(&req);
    let resent = req.query_string() == "resent=1";
    verify_view(&center, texts, &id, None, resent, (&token, new), StatusCode::OK)
}

/// The message a subject sees for a refused code or resend (the service's, which names no one
/// else's data).
fn refusal(e: &ApiError) -> Option<String> {
    match e {
        ApiError::Dsr(DsrError::BadRequest(m) | DsrError::Forbidden(m) | DsrError::NotFound(m)) => Some(m.clone()),
        _ => None,
    }
}

async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    let id = request_id(&id)?;
    let (token, new) = csrf_token(&req);
    let values = form_values(&body);
    if !csrf_ok(&req, &values) {
        return verify_view(
            &center,
            texts,
            &id,
            Some(text(texts, "error_form")),
            false,
            (&token, new),
            StatusCode::FORBIDDEN,
        );
    }
    let code: String = values.get("code").and_then(|v| v.first()).map(|c| c.trim().to_owned()).unwrap_or_default();
    if code.is_empty() {
        return verify_view(
            &center,
            texts,
            &id,
            Some(text(texts, "error_required")),
            false,
            (&token, new),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let lookup = id.clone();
    match crate::routes::blocking(&state.requests, move |s| s.verify(&lookup, &code)).await {
        Ok(_) => Ok(see_other(format!("{BASE}/done/{id}"))),
        Err(e) => match refusal(&e) {
            Some(message) => {
                verify_view(&center, texts, &id, Some(message), false, (&token, new), StatusCode::UNPROCESSABLE_ENTITY)
            }
            None => Err(e),
        },
    }
}

async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    let id = request_id(&id)?;
    let (token, new) = csrf_token(&req);
    if !csrf_ok(&req, &form_values(&body)) {
        return verify_view(
            &center,
            texts,
            &id,
            Some(text(texts, "error_form")),
            false,
            (&token, new),
            StatusCode::FORBIDDEN,
        );
    }
    if over_limit(&state, &req) {
        return verify_view(
            &center,
            texts,
            &id,
            Some(text(texts, "error_limit")),
            false,
            (&token, new),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let lookup = id.clone();
    match crate::routes::blocking(&state.requests, move |s| s.resend_code(&lookup)).await {
        Ok(()) => Ok(see_other(format!("{BASE}/verify/{id}?resent=1"))),
        Err(e) => match refusal(&e) {
            Some(message) => {
                verify_view(&center, texts, &id, Some(message), false, (&token, new), StatusCode::UNPROCESSABLE_ENTITY)
            }
            None => Err(e),
        },
    }
}

async fn done(req: HttpRequest, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    let id = request_id(&id)?;
    Ok(page(StatusCode::OK, rendered(&center, "done.html", texts, json!({"id": id}))?, None))
}

/// The page the completion email links to: a download button when the token is still good.
async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let center = center(&state)?;
    let texts = texts(&center, &req);
    let id = request_id(&id)?;
    let token = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (lookup, check) = (id.clone(), token.clone());
    let valid = match crate::routes::blocking(&state.requests, move |s| s.open_package(&lookup, &check)).await {
        Ok(_) => true,
        Err(e) if refusal(&e).is_some() || matches!(e, ApiError::Dsr(DsrError::Gone(_))) => false,
        Err(e) => return Err(e),
    };
    let link = valid.then(|| {
        let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("token", &token).finish();
        format!("/api/v1/privacy-request/{id}/access-package?{query}")
    });
    let status = if valid { StatusCode::OK } else { StatusCode::GONE };
    Ok(page(status, rendered(&center, "download.html", texts, json!({"link": link}))?, None))
}
