//! Reading one endpoint's records for the subject (Fides' `retrieve_data`): which read
//! requests apply, one call per combination of the param values, every page of each.

use serde_json::{Map, Value};

use super::SaasConfig;
use super::client::SaasClient;
use super::config::{Reference, SaasRequest};
use super::request::{self, Context, RequestError};

/// The input values of an endpoint's read: per param, the values from upstream collections;
/// for grouped inputs, one group per upstream row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    /// Param name → values (deduplicated by the caller).
    pub values: Map<String, Value>,
    /// Grouped params, one map (param → values) per upstream row.
    pub groups: Vec<Map<String, Value>>,
    /// The collection's top-level fields that have a `data_type`, comma-separated: what
    /// `<field_list>` is filled with.
    pub field_list: String,
}

/// Reads records of endpoints of one config.
pub struct Reader<'a> {
    /// The HTTP client.
    pub client: &'a SaasClient,
    /// The config.
    pub config: &'a SaasConfig,
    /// Secrets, identities and earlier values.
    pub context: Context<'a>,
    /// The privacy request being run (`<privacy_request_id>`).
    pub privacy_request_id: &'a str,
}

/// Every combination of one value per param (the cartesian product), in order.
fn product(lists: &[(String, Vec<Value>)]) -> Vec<Map<String, Value>> {
    lists.iter().fold(vec![Map::new()], |maps, (name, values)| {
        maps.iter()
            .flat_map(|map| {
                values.iter().map(move |value| {
                    let mut map = map.clone();
                    map.insert(name.clone(), value.clone());
                    map
                })
            })
            .collect()
    })
}

fn as_list(value: Option<&Value>) -> Vec<Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values.clone(),
        Some(one) => vec![one.clone()],
    }
}

impl Reader<'_> {
    /// The records of `endpoint` for `inputs`, in the order the API returned them.
    pub fn read(&self, endpoint: &str, inputs: &Inputs) -> Result<Vec<Value>, RequestError> {
        let found = self.config.endpoints.iter().find(|e| e.name == endpoint);
        let endpoint =
            found.ok_or_else(|| RequestError(format!("no endpoint '{endpoint}' in {}", self.config.fides_key)))?;
        let Some(reads) = &endpoint.requests.read else {
            if endpoint.requests.delete.is_some() {
                // A delete-only endpoint: one empty row, so that erasure runs.
                return Ok(vec![Value::Object(Map::new())]);
            }
            return Err(RequestError(format!(
                "The 'read' action is not defined for the '{}' endpoint in {}",
                endpoint.name, self.config.fides_key
            )));
        };
        let reads = reads.items();
        let has_identity = |request: &&&SaasRequest| {
            request.param_values.iter().any(|p| {
                p.identity
                    .as_ref()
                    .is_some_and(|i| self.context.identities.get(i).is_some_and(|v| !v.is_null() && v != ""))
            })
        };
        let chosen: Vec<&SaasRequest> = if reads.iter().any(|r| has_identity(&r)) {
            reads.iter().filter(|r| has_identity(r)).copied().collect()
        } else {
            reads
        };
        // Any chosen read missing a reference input: the collection has nothing for the subject.
        for request in &chosen {
            for param in request.param_values.iter().filter(|p| p.references.is_some()) {
                let grouped = request.grouped_inputs.contains(&param.name);
                let given = if grouped {
                    inputs.groups.iter().any(|g| !as_list(g.get(&param.name)).is_empty())
                } else {
                    !as_list(inputs.values.get(&param.name)).is_empty()
                        || self.external(param.references.as_deref()).is_some()
                };
                if !given {
                    return Ok(Vec::new());
                }
            }
        }
        let mut rows = Vec::new();
        for request in chosen {
            for values in self.value_maps(request, inputs) {
                self.read_pages(request, values, &endpoint.name, &mut rows)?;
            }
        }
        Ok(rows)
    }

    /// An external reference's values given in the inputs under its secret's name.
    fn external<'r>(&self, references: Option<&'r [Reference]>) -> Option<&'r str> {
        references?.iter().find_map(|r| match r {
            Reference::External(name) => Some(name.as_str()),
            Reference::Field(_) => None,
        })
    }

    /// One value map per call: each param's values (identity, upstream values, secret),
    /// unpacked if asked, combined; grouped params combined within each upstream row.
    fn value_maps(&self, request: &SaasRequest, inputs: &Inputs) -> Vec<Map<String, Value>> {
        let mut lists = Vec::new();
        let mut grouped = Vec::new();
        for param in &request.param_values {
            let mut values = if let Some(identity) = &param.identity {
                as_list(self.context.identities.get(identity))
            } else if let Some(name) = &param.connector_param {
                as_list(self.context.secrets.get(name))
            } else {
                as_list(inputs.values.get(&param.name))
            };
            if param.unpack {
                values = values.into_iter().flat_map(|v| as_list(Some(&v))).collect();
            }
            if request.grouped_inputs.contains(&param.name) && param.references.is_some() {
                grouped.push(param.name.clone());
            } else {
                lists.push((param.name.clone(), values));
            }
        }
        let mut maps = if grouped.is_empty() {
            product(&lists)
        } else {
            inputs
                .groups
                .iter()
                .flat_map(|group| {
                    let mut lists = lists.clone();
                    lists.extend(grouped.iter().map(|name| (name.clone(), as_list(group.get(name)))));
                    product(&lists)
                })
                .collect()
        };
        for map in &mut maps {
            request::add_reserved(map, self.privacy_request_id);
            map.insert("field_list".to_owned(), inputs.field_list.clone().into());
        }
        maps
    }

    /// One row from a read's `output` template (with `row`, a response record, as
    /// `<all_object_fields>`).
    fn output(
        &self,
        template: &str,
        values: &Value,
        row: Option<Value>,
        collection: &str,
    ) -> Result<Value, RequestError> {
        let mut values = values.clone();
        if let (Some(object), Some(row)) = (values.as_object_mut(), row) {
            object.insert("all_object_fields".to_owned(), row);
        }
        let text = super::placeholder::fill(template, &values).map_err(|missing| {
            RequestError(format!(
                "The output template of the '{collection}' endpoint needs values it was not given: {missing:?}"
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            RequestError(format!("The output template of the '{collection}' endpoint did not give JSON: {e}"))
        })
    }

    fn read_pages(
        &self,
        request: &SaasRequest,
        values: Map<String, Value>,
        collection: &str,
        rows: &mut Vec<Value>,
    ) -> Result<(), RequestError> {
        let values = Value::Object(values);
        if request.path.is_none() {
            // An output-only read: no call, one row per value map (ids a delete can use).
            if let Some(template) = &request.output {
                rows.push(self.output(template, &values, None, collection)?);
            }
            return Ok(());
        }
        let Some(mut call) = request::build(&self.config.client_config, request, &values, self.context.secrets)? else {
            return Ok(());
        };
        loop {
            let reply = request::send(self.client, self.config, request, &call)?;
            let body = if reply.status >= 400 {
                // An error the request ignores: no data.
                Value::Object(Map::new())
            } else if reply.status == 204 || reply.body.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else {
                serde_json::from_slice(&reply.body)
                    .map_err(|_| RequestError(format!("Unable to parse JSON response from {}", call.path)))?
            };
            let records = request::records(request, &body, &self.context, collection)?;
            let next = match &request.pagination {
                Some(pagination) => {
                    let page = request::page_records(request, &body);
                    request::next_page(pagination, &call, &reply.headers, &body, &page, self.context.secrets)?
                }
                None => None,
            };
            match &request.output {
                Some(template) => {
                    for record in records {
                        rows.push(self.output(template, &values, Some(record), collection)?);
                    }
                }
                None => rows.extend(records),
            }
            match next {
                Some(next) => call = next,
                None => return Ok(()),
            }
        }
    }
}
