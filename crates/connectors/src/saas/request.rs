//! Building calls from a config's requests (placeholders, content types, authentication) and
//! reading records out of responses (`data_path`, postprocessors, pagination), as Fides does.

use base64::Engine;
use serde_json::{Map, Value};

use super::SaasConfig;
use super::client::{Call, CallError, Reply, SaasClient};
use super::config::{
    Authentication, ClientConfig, FilterValue, Limit, LinkSource, Pagination, Postprocessor, SaasRequest, TextOrNumber,
};
use super::placeholder::{self, fill, lookup};

/// Why a request could not be built or its response read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RequestError(pub String);

/// What a request's placeholders see and what its postprocessors filter by.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The connection's secrets (host, authentication, connector params).
    pub secrets: &'a Value,
    /// The subject's identities (`email`, `phone_number`).
    pub identities: &'a Map<String, Value>,
    /// Values of earlier collections, by `dataset.collection.field` (filter `dataset_reference`).
    pub references: &'a Map<String, Value>,
}

/// Sends `call` for `request` of `config`: within the rate limits (the request's, else the
/// config's), retrying busy answers; an error status the request does not ignore is the API's
/// refusal, with the start of its body.
pub fn send(
    client: &SaasClient,
    config: &SaasConfig,
    request: &SaasRequest,
    call: &Call,
) -> Result<Reply, RequestError> {
    let limits = request.rate_limit_config.as_ref().or(config.rate_limit_config.as_ref());
    super::rate::acquire(&config.fides_key, limits).map_err(RequestError)?;
    let reply = client.send_retrying(call, |status| request.ignore_errors.ignores(status)).map_err(|e| match e {
        CallError::Failed(why) => {
            RequestError(format!("Operational Error connecting to '{}': {why}", config.fides_key))
        }
        other => RequestError(other.to_string()),
    })?;
    if reply.status >= 400 && !request.ignore_errors.ignores(reply.status) {
        let text = String::from_utf8_lossy(&reply.body);
        let excerpt: String = text.chars().take(500).collect();
        return Err(RequestError(format!(
            "{} {} answered {}: {excerpt}",
            call.method.as_str(),
            call.path,
            reply.status
        )));
    }
    Ok(reply)
}

/// Adds the names every request's placeholders see: `privacy_request_id`, `privacy_request`
/// (`{id}`), `uuid` (new for each call) and `iso_8601_datetime` (now, UTC, to the second).
pub fn add_reserved(values: &mut Map<String, Value>, privacy_request_id: &str) {
    values.insert("privacy_request_id".to_owned(), privacy_request_id.into());
    values.insert("privacy_request".to_owned(), serde_json::json!({"id": privacy_request_id}));
    values.insert("uuid".to_owned(), uuid::Uuid::new_v4().to_string().into());
    values.insert("iso_8601_datetime".to_owned(), chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string().into());
}

/// A request turned into a call, or left out because a placeholder could not be filled and the
/// request says to skip then.
pub fn build(
    client: &ClientConfig,
    request: &SaasRequest,
    values: &Value,
    secrets: &Value,
) -> Result<Option<Call>, RequestError> {
    let client = request.client_config.as_ref().unwrap_or(client);
    let skip_or =
        |message: String| if request.skip_missing_param_values { Ok(None) } else { Err(RequestError(message)) };
    let host = fill(&client.host, secrets)
        .map_err(|missing| RequestError(format!("the host needs the secrets {}", missing.join(", "))))?;
    let Some(path) = &request.path else { return Err(RequestError("the request has no path".to_owned())) };
    let method = request.method.ok_or_else(|| RequestError("the request has no method".to_owned()))?;
    let path = match fill(path, values) {
        Ok(path) => path,
        Err(missing) => {
            return skip_or(format!(
                "The following param_values reference invalid fields for the request: {missing:?}"
            ));
        }
    };
    let mut headers: Vec<(String, String)> =
        request.headers.iter().filter_map(|h| Some((h.name.clone(), fill(&h.value, values).ok()?))).collect();
    let mut query: Vec<(String, String)> = request
        .query_params
        .iter()
        .filter_map(|q| {
            let value = match &q.value {
                TextOrNumber::Number(n) => n.to_string(),
                TextOrNumber::Text(text) => fill(text, values).ok()?,
            };
            Some((q.name.clone(), value))
        })
        .collect();
    let mut body = match &request.body {
        None => None,
        Some(template) => match fill(template, values) {
            Ok(body) => Some(body),
            Err(missing) => return skip_or(format!("Unable to replace placeholders in body: {missing:?}")),
        },
    };
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    authenticate(client.authentication.as_ref(), secrets, &mut headers, &mut query, &mut body)?;
    let content_type =
        headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.clone());
    if let Some(text) = &body {
        body = Some(match content_type.as_deref() {
            Some("application/json" | "text/plain") => text.clone(),
            Some("application/x-www-form-urlencoded") => form_encode(text)?,
            other => return Err(RequestError(format!("Unsupported Content-Type: {}", other.unwrap_or_default()))),
        });
    }
    Ok(Some(Call { method, base: format!("{}://{host}", client.protocol), path, query, headers, body }))
}

fn secret(template: &str, secrets: &Value) -> Result<String, RequestError> {
    fill(template, secrets).map_err(|missing| {
        RequestError(format!(
            "Value for API key param '{template}' not found (missing secrets: {})",
            missing.join(", ")
        ))
    })
}

fn set(list: &mut Vec<(String, String)>, name: &str, value: String) {
    list.retain(|(n, _)| n != name);
    list.push((name.to_owned(), value));
}

/// Applies the authentication strategy (OAuth 2 strategies put their bearer token in
/// `secrets.access_token` first).
fn authenticate(
    auth: Option<&Authentication>,
    secrets: &Value,
    headers: &mut Vec<(String, String)>,
    query: &mut Vec<(String, String)>,
    body: &mut Option<String>,
) -> Result<(), RequestError> {
    match auth {
        None => {}
        Some(Authentication::Basic { username, password }) => {
            let user = secret(username, secrets)?;
            let password = password.as_deref().map(|p| secret(p, secrets)).transpose()?.unwrap_or_default();
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            set(headers, "Authorization", format!("Basic {token}"));
        }
        Some(Authentication::Bearer { token }) => {
            set(headers, "Authorization", format!("Bearer {}", secret(token, secrets)?));
        }
        Some(Authentication::ApiKey { headers: keys, query_params, body: extra }) => {
            for header in keys {
                set(headers, &header.name, secret(&header.value, secrets)?);
            }
            for param in query_params {
                set(query, &param.name, secret(&param.value, secrets)?);
            }
            if let Some(extra) = extra {
                let extra: Value = serde_json::from_str(&secret(extra, secrets)?)
                    .map_err(|e| RequestError(format!("the api_key body is not JSON: {e}")))?;
                let mut merged: Value = match body.as_deref() {
                    Some(text) if !text.trim().is_empty() => serde_json::from_str(text)
                        .map_err(|e| RequestError(format!("the body is not JSON, so no api_key can be added: {e}")))?,
                    _ => Value::Object(Map::new()),
                };
                if let (Some(target), Some(extra)) = (merged.as_object_mut(), extra.as_object()) {
                    target.extend(extra.clone());
                }
                *body = Some(merged.to_string());
            }
        }
        Some(Authentication::QueryParam { name, value }) => set(query, name, secret(value, secrets)?),
        Some(Authentication::OAuth2ClientCredentials { .. } | Authentication::OAuth2AuthorizationCode { .. }) => {
            let token = secrets
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or_else(|| RequestError("no OAuth2 access token yet".to_owned()))?;
            set(headers, "Authorization", format!("Bearer {token}"));
        }
    }
    Ok(())
}

/// A JSON object as form fields, nested keys as `a[b]`, nulls as empty values.
fn form_encode(text: &str) -> Result<String, RequestError> {
    fn pairs(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(object) => {
                for (key, inner) in object {
                    let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}[{key}]") };
                    pairs(&name, inner, out);
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    pairs(&format!("{prefix}[{i}]"), inner, out);
                }
            }
            Value::Null => out.push((prefix.to_owned(), String::new())),
            other => out.push((prefix.to_owned(), placeholder::text(other))),
        }
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| RequestError(format!("a form-encoded body must be written as JSON: {e}")))?;
    let mut fields = Vec::new();
    pairs("", &value, &mut fields);
    Ok(form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish())
}

/// The records of one response: the body (an empty object for ignored errors and 204), the
/// value at `data_path`, then the postprocessors in order. A single object is one record.
pub fn records(
    request: &SaasRequest,
    body: &Value,
    context: &Context<'_>,
    collection: &str,
) -> Result<Vec<Value>, RequestError> {
    let mut data = match &request.data_path {
        Some(path) => lookup(body, path).cloned().unwrap_or(Value::Null),
        None => body.clone(),
    };
    for processor in &request.postprocessors {
        data = postprocess(processor, data, context).map_err(|e| {
            RequestError(format!(
                "Exception occurred during the '{}' postprocessor on the '{collection}' collection: {e}",
                match processor {
                    Postprocessor::Filter { .. } => "filter",
                    Postprocessor::Unwrap { .. } => "unwrap",
                    Postprocessor::ExtractForExecutionLog { .. } => "extract_for_execution_log",
                }
            ))
        })?;
    }
    match data {
        Value::Null => Ok(Vec::new()),
        Value::Object(object) if object.is_empty() => Ok(Vec::new()),
        object @ Value::Object(_) => Ok(vec![object]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(_) => Ok(item),
                other => Err(RequestError(format!("the '{collection}' records must be objects, not {other}"))),
            })
            .collect(),
        other => Err(RequestError(format!("the '{collection}' response holds {other} where records were expected"))),
    }
}

/// The records pagination looks at: the response's value at `data_path` as the API sent it,
/// before postprocessors (a filtered-out page must not end the paging, as in Fides).
pub fn page_records(request: &SaasRequest, body: &Value) -> Vec<Value> {
    let data = match &request.data_path {
        Some(path) => lookup(body, path),
        None => Some(body),
    };
    match data {
        Some(Value::Array(items)) => items.clone(),
        Some(object @ Value::Object(o)) if !o.is_empty() => vec![object.clone()],
        _ => Vec::new(),
    }
}

/// Every value at dotted `path` of `value`, fanning out through lists.
fn values_at<'a>(value: &'a Value, path: &[&str], out: &mut Vec<&'a Value>) {
    match (value, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|item| values_at(item, path, out)),
        (_, None) => out.push(value),
        (Value::Object(object), Some((head, rest))) => {
            if let Some(inner) = object.get(*head) {
                values_at(inner, rest, out);
            }
        }
        _ => {}
    }
}

fn postprocess(processor: &Postprocessor, data: Value, context: &Context<'_>) -> Result<Value, String> {
    match processor {
        Postprocessor::Unwrap { data_path } => Ok(match data {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .filter_map(|item| lookup(item, data_path).cloned())
                    .flat_map(|v| match v {
                        Value::Array(inner) => inner,
                        other => vec![other],
                    })
                    .collect(),
            ),
            other => lookup(&other, data_path).cloned().unwrap_or(Value::Array(Vec::new())),
        }),
        Postprocessor::ExtractForExecutionLog { .. } => Ok(data),
        Postprocessor::Filter { field, value, exact, case_sensitive } => {
            let wanted: Vec<Value> = match value {
                FilterValue::Literal(TextOrNumber::Text(text)) => vec![Value::String(text.clone())],
                FilterValue::Literal(TextOrNumber::Number(n)) => vec![Value::from(*n)],
                FilterValue::Identity { identity } => match context.identities.get(identity) {
                    Some(v) if !v.is_null() => vec![v.clone()],
                    _ => return Ok(Value::Array(Vec::new())),
                },
                FilterValue::DatasetReference { dataset_reference } => {
                    match context.references.get(dataset_reference) {
                        Some(Value::Array(values)) => values.clone(),
                        Some(v) if !v.is_null() => vec![v.clone()],
                        _ => return Ok(Value::Array(Vec::new())),
                    }
                }
            };
            let path: Vec<&str> = field.split('.').collect();
            let fold = |s: &str| if *case_sensitive { s.to_owned() } else { s.to_lowercase() };
            let matches_one = |target: &Value| {
                wanted.iter().any(|want| match (target, want) {
                    (Value::String(t), Value::String(w)) => {
                        if *exact {
                            fold(t) == fold(w)
                        } else {
                            fold(t).contains(&fold(w))
                        }
                    }
                    (t, w) => t == w,
                })
            };
            let keep = |item: &Value| {
                let mut found = Vec::new();
                values_at(item, &path, &mut found);
                found.into_iter().any(|target| match target {
                    Value::Array(items) => items.iter().any(matches_one),
                    other => matches_one(other),
                })
            };
            Ok(match data {
                Value::Array(items) => Value::Array(items.into_iter().filter(|item| keep(item)).collect()),
                Value::Object(_) if keep(&data) => data,
                _ => Value::Array(Vec::new()),
            })
        }
    }
}

/// The call for the next page, if there is one.
pub fn next_page(
    pagination: &Pagination,
    call: &Call,
    reply_headers: &reqwest::header::HeaderMap,
    body: &Value,
    records: &[Value],
    secrets: &Value,
) -> Result<Option<Call>, RequestError> {
    let flag_true = |path: &Option<String>, source: &Value| match path {
        None => true,
        Some(path) => lookup(source, path).is_some_and(|v| placeholder::text(v).eq_ignore_ascii_case("true")),
    };
    match pagination {
        Pagination::Offset { incremental_param, increment_by, limit } => {
            if records.is_empty() {
                return Ok(None);
            }
            let current = call
                .query
                .iter()
                .find(|(name, _)| name == incremental_param)
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .ok_or_else(|| RequestError(format!("Query param '{incremental_param}' has no number to increment")))?;
            let next = current + increment_by;
            let limit = match limit {
                None => None,
                Some(Limit::Number(n)) => Some(*n),
                Some(Limit::Param { connector_param }) => Some(
                    secrets
                        .get(connector_param)
                        .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                        .ok_or_else(|| RequestError(format!("the offset limit '{connector_param}' is not a number")))?,
                ),
            };
            if limit.is_some_and(|limit| next > limit) {
                return Ok(None);
            }
            let mut next_call = call.clone();
            set(&mut next_call.query, incremental_param, next.to_string());
            Ok(Some(next_call))
        }
        Pagination::Cursor { cursor_param, field, has_next } => {
            let last = records.last();
            let cursor = last.and_then(|r| lookup(r, field)).or_else(|| lookup(body, field));
            let Some(cursor) = cursor else { return Ok(None) };
            let flag_source =
                last.filter(|r| has_next.as_ref().is_some_and(|p| lookup(r, p).is_some())).unwrap_or(body);
            if !flag_true(has_next, flag_source) {
                return Ok(None);
            }
            let mut next_call = call.clone();
            set(&mut next_call.query, cursor_param, placeholder::text(cursor));
            Ok(Some(next_call))
        }
        Pagination::Link { source, rel, path, has_next } => {
            if records.is_empty() || !flag_true(has_next, body) {
                return Ok(None);
            }
            let link = match source {
                LinkSource::Headers => rel.as_deref().and_then(|rel| link_header(reply_headers, rel)),
                LinkSource::Body => {
                    path.as_deref().and_then(|p| lookup(body, p)).and_then(Value::as_str).map(str::to_owned)
                }
            };
            let Some(link) = link.filter(|l| !l.is_empty()) else { return Ok(None) };
            let base = reqwest::Url::parse(&format!("{}{}", call.base, call.path))
                .map_err(|e| RequestError(format!("the request URL is invalid: {e}")))?;
            let next =
                base.join(&link).map_err(|e| RequestError(format!("the next-page link '{link}' is invalid: {e}")))?;
            // The link's path and query replace the request's; its host is ignored.
            let mut next_call = call.clone();
            next_call.path = next.path().to_owned();
            next_call.query = next.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            Ok(Some(next_call))
        }
    }
}

/// The URL of the `Link` header entry with `rel` (RFC 8288: `<url>; rel="next", …`).
fn link_header(headers: &reqwest::header::HeaderMap, rel: &str) -> Option<String> {
    headers.get_all(reqwest::header::LINK).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).find_map(
        |entry| {
            let (url, params) = entry.trim().split_once(';')?;
            let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
            params
                .split(';')
                .filter_map(|p| p.trim().split_once('='))
                .any(|(k, v)| k.trim() == "rel" && v.trim().trim_matches('"').split_whitespace().any(|r| r == rel))
                .then(|| url.to_owned())
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::saas::config::Method;

    fn call(query: &[(&str, &str)]) -> Call {
        Call {
            method: Method::Get,
            base: "https://api.example.com".to_owned(),
            path: "/v1/items".to_owned(),
            query: query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            headers: Vec::new(),
            body: None,
        }
    }

    #[test]
    fn form_bodies_nest_keys_in_brackets() {
        let encoded =
            form_encode(r#"{"name": "Jane Doe", "address": {"city": "Köln"}, "phone": null, "tags": ["a"]}"#).unwrap();
        // application/x-www-form-urlencoded as the WHATWG URL standard encodes it.
        assert_eq!(encoded, "name=Jane+Doe&address%5Bcity%5D=K%C3%B6ln&phone=&tags%5B0%5D=a");
        assert!(form_encode("not json").is_err());
    }

    #[test]
    fn calls_fill_placeholders_drop_unfilled_headers_and_authenticate() {
        let config: ClientConfig = serde_json::from_value(json!({"protocol": "https", "host": "<domain>",
            "authentication": {"strategy": "api_key", "configuration": {"headers": [{"name": "Authorization", "value": "Bearer <api_key>"}],
                                                                         "body": "{\"key\": \"<api_key>\"}"}}})).unwrap();
        let request: SaasRequest = serde_json::from_value(json!({"method": "POST", "path": "/v1/<id>",
            "headers": [{"name": "X-Trace", "value": "<trace>"}], "query_params": [{"name": "limit", "value": 10}, {"name": "q", "value": "<missing>"}],
            "body": "{\"email\": \"<email>\"}"})).unwrap();
        let secrets = json!({"domain": "api.example.com:8443", "api_key": "sk_1"});
        let built = build(&config, &request, &json!({"id": 7, "email": "j@x.io"}), &secrets).unwrap().unwrap();
        assert_eq!(built.base, "https://api.example.com:8443");
        assert_eq!(built.path, "/v1/7");
        assert_eq!(built.query, [("limit".to_owned(), "10".to_owned())]);
        assert_eq!(
            built.headers,
            [
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Authorization".to_owned(), "Bearer sk_1".to_owned())
            ]
        );
        let body: Value = serde_json::from_str(built.body.as_deref().unwrap()).unwrap();
        assert_eq!(body, json!({"email": "j@x.io", "key": "sk_1"}));
        let error = build(&config, &request, &json!({"email": "j@x.io"}), &secrets).unwrap_err();
        assert!(error.0.contains("invalid fields") && error.0.contains("id"), "{error}");
        let mut skipping = request.clone();
        skipping.skip_missing_param_values = true;
        assert_eq!(build(&config, &skipping, &json!({}), &secrets).unwrap(), None);
        let mut odd = request;
        odd.headers =
            vec![super::super::config::Header { name: "content-type".to_owned(), value: "application/xml".to_owned() }];
        assert!(
            build(&config, &odd, &json!({"id": 1, "email": "e"}), &secrets)
                .unwrap_err()
                .0
                .contains("Unsupported Content-Type")
        );
    }

    #[test]
    fn pages_follow_offsets_cursors_and_links() {
        let none = reqwest::header::HeaderMap::new();
        let offset = Pagination::Offset {
            incremental_param: "offset".into(),
            increment_by: 100,
            limit: Some(Limit::Number(150)),
        };
        let next = next_page(&offset, &call(&[("offset", "0")]), &none, &json!({}), &[json!({})], &json!({}))
            .unwrap()
            .unwrap();
        assert_eq!(next.query, [("offset".to_owned(), "100".to_owned())]);
        assert_eq!(
            next_page(&offset, &next, &none, &json!({}), &[json!({})], &json!({})).unwrap(),
            None,
            "200 > limit"
        );
        assert_eq!(next_page(&offset, &call(&[("offset", "0")]), &none, &json!({}), &[], &json!({})).unwrap(), None);

        let cursor = Pagination::Cursor {
            cursor_param: "starting_after".into(),
            field: "id".into(),
            has_next: Some("has_more".into()),
        };
        let body = json!({"has_more": true});
        let next = next_page(
            &cursor,
            &call(&[("limit", "100")]),
            &none,
            &body,
            &[json!({"id": "a"}), json!({"id": "b"})],
            &json!({}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(next.query[1], ("starting_after".to_owned(), "b".to_owned()));
        assert_eq!(
            next_page(&cursor, &call(&[]), &none, &json!({"has_more": false}), &[json!({"id": "b"})], &json!({}))
                .unwrap(),
            None
        );
        let root =
            Pagination::Cursor { cursor_param: "cursor".into(), field: "meta.next_cursor".into(), has_next: None };
        let next = next_page(
            &root,
            &call(&[]),
            &none,
            &json!({"meta": {"next_cursor": "xyz"}}),
            &[json!({"id": 1})],
            &json!({}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(next.query, [("cursor".to_owned(), "xyz".to_owned())]);

        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::LINK, "<https://shop.example.com/admin/orders.json?page_info=p2&limit=50>; rel=\"next\", <https://shop.example.com/admin/orders.json?page_info=p0>; rel=\"previous\"".parse().unwrap());
        let link =
            Pagination::Link { source: LinkSource::Headers, rel: Some("next".into()), path: None, has_next: None };
        let next = next_page(&link, &call(&[("status", "any")]), &headers, &json!({}), &[json!({})], &json!({}))
            .unwrap()
            .unwrap();
        assert_eq!(
            (next.base.as_str(), next.path.as_str()),
            ("https://api.example.com", "/admin/orders.json"),
            "the link's host is ignored"
        );
        assert_eq!(next.query, [("page_info".to_owned(), "p2".to_owned()), ("limit".to_owned(), "50".to_owned())]);
        let body_link = Pagination::Link {
            source: LinkSource::Body,
            rel: None,
            path: Some("paging.next.link".into()),
            has_next: None,
        };
        let body = json!({"paging": {"next": {"link": "/crm/v3/objects/contacts?after=20"}}});
        let next = next_page(&body_link, &call(&[]), &none, &body, &[json!({})], &json!({})).unwrap().unwrap();
        assert_eq!(
            (next.path.as_str(), next.query.clone()),
            ("/crm/v3/objects/contacts", vec![("after".to_owned(), "20".to_owned())])
        );
        assert_eq!(next_page(&body_link, &call(&[]), &none, &json!({}), &[json!({})], &json!({})).unwrap(), None);
    }

    #[test]
    fn records_come_from_the_data_path_through_unwrap_and_filter() {
        let request: SaasRequest = serde_json::from_value(json!({"method": "POST", "path": "/graphql", "data_path": "data.search.customers.edges",
            "postprocessors": [{"strategy": "unwrap", "configuration": {"data_path": "node"}},
                               {"strategy": "filter", "configuration": {"field": "email", "value": {"identity": "email"}, "case_sensitive": false}}]})).unwrap();
        let body = json!({"data": {"search": {"customers": {"edges": [
            {"node": {"id": "1", "email": "Jane@Example.com"}}, {"node": {"id": "2", "email": "bob@example.com"}}, {"cursor": "x"}]}}}});
        let identities = json!({"email": "jane@example.com"}).as_object().unwrap().clone();
        let context = Context { secrets: &Value::Null, identities: &identities, references: &Map::new() };
        assert_eq!(
            records(&request, &body, &context, "customer").unwrap(),
            [json!({"id": "1", "email": "Jane@Example.com"})]
        );
        let scalar: SaasRequest =
            serde_json::from_value(json!({"method": "GET", "path": "/x", "data_path": "count"})).unwrap();
        assert!(records(&scalar, &json!({"count": 3}), &context, "c").is_err());
        assert!(records(&scalar, &json!({}), &context, "c").unwrap().is_empty());
    }
}
