//! Erasing one endpoint's records (Fides' `mask_data`): the endpoint's `update`, else the
//! config's `data_protection_request`, else the endpoint's `delete`, one call per record, with
//! `<masked_object_fields>` (the masked fields only, nested back from their paths) and
//! `<all_object_fields>` (the record's declared, writable fields with the masked values laid
//! over them).

use serde_json::{Map, Value};

use super::client::SaasClient;
use super::config::{Reference, SaasConfig, SaasRequest};
use super::read::Inputs;
use super::request::{self, Context, RequestError};

/// One record to erase and its masked values by dotted field path (`address.city`).
#[derive(Debug, Clone, PartialEq)]
pub struct MaskedRecord {
    /// The record as read: where the call's reference params are found.
    pub record: Value,
    /// What `<all_object_fields>` starts from: the record without its read-only fields and
    /// with only the collection's declared fields (Fides' `all_value_map`); `None`: the record.
    pub object: Option<Value>,
    /// Masked values of the targeted fields.
    pub masked: Vec<(String, Value)>,
}

/// Sets `path` (dotted) of `target` to `value`, creating objects on the way.
fn put(target: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            target.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let slot = target.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                put(inner, rest, value);
            }
        }
    }
}

/// Erases records of endpoints of one config.
pub struct Masker<'a> {
    /// The HTTP client.
    pub client: &'a SaasClient,
    /// The config.
    pub config: &'a SaasConfig,
    /// Secrets and identities.
    pub context: Context<'a>,
    /// The privacy request being run.
    pub privacy_request_id: &'a str,
}

impl Masker<'_> {
    /// The request that erases records of `endpoint`, if any.
    pub fn request(&self, endpoint: &str) -> Option<&SaasRequest> {
        let endpoint = self.config.endpoints.iter().find(|e| e.name == endpoint)?;
        endpoint
            .requests
            .update
            .as_ref()
            .or(self.config.data_protection_request.as_ref())
            .or(endpoint.requests.delete.as_ref())
    }

    /// Sends one erasure call per record of `endpoint`; returns the calls sent (ignored errors
    /// count, as in Fides). `inputs` are the values the endpoint was read with (a param not
    /// found in the record takes the first of them).
    pub fn mask(&self, endpoint: &str, records: &[MaskedRecord], inputs: &Inputs) -> Result<usize, RequestError> {
        let Some(request) = self.request(endpoint) else { return Ok(0) };
        let mut sent = 0;
        for record in records {
            let values = self.values(endpoint, request, record, inputs);
            let Some(call) = request::build(&self.config.client_config, request, &values, self.context.secrets)? else {
                continue;
            };
            request::send(self.client, self.config, request, &call)?;
            sent += 1;
        }
        Ok(sent)
    }

    fn values(&self, endpoint: &str, request: &SaasRequest, record: &MaskedRecord, inputs: &Inputs) -> Value {
        let mut values = Map::new();
        let wrapped = serde_json::json!({ endpoint: record.record });
        for param in &request.param_values {
            let value = if let Some(identity) = &param.identity {
                self.context.identities.get(identity).cloned()
            } else if let Some(name) = &param.connector_param {
                self.context.secrets.get(name).cloned()
            } else {
                let from_record = param.references.iter().flatten().find_map(|r| match r {
                    Reference::Field(field) => super::placeholder::lookup(&wrapped, &field.field).cloned(),
                    Reference::External(_) => None,
                });
                from_record.or_else(|| match inputs.values.get(&param.name) {
                    Some(Value::Array(list)) => list.first().cloned(),
                    other => other.cloned(),
                })
            };
            if let Some(value) = value {
                values.insert(param.name.clone(), value);
            }
        }
        let mut masked = Map::new();
        let mut all = match record.object.as_ref().unwrap_or(&record.record) {
            Value::Object(object) => object.clone(),
            _ => Map::new(),
        };
        for (path, value) in &record.masked {
            put(&mut masked, path, value.clone());
            put(&mut all, path, value.clone());
        }
        values.insert("masked_object_fields".to_owned(), Value::Object(masked));
        values.insert("all_object_fields".to_owned(), Value::Object(all));
        request::add_reserved(&mut values, self.privacy_request_id);
        Value::Object(values)
    }
}
