//! A SaaS connection behind the [`Connector`] trait, so the request engine runs an API's
//! endpoints as it runs a database's tables: a collection is an endpoint, the input values of
//! a read are its param values, and a masking is one erasure call per record.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::SaasConfig;
use super::client::SaasClient;
use super::connection::{SaasConnection, Subject};
use super::mask::MaskedRecord;
use super::read::Inputs;
use crate::{Collection, Connector, ConnectorError, FieldInput, MaskBatch, MaskFailure, RowSink, RowUpdate, Scope};

/// Records handed to the sink at a time.
const BATCH: usize = 1_000;

/// A SaaS connection as a store of the request engine.
#[derive(Debug)]
pub struct SaasConnector {
    connection: SaasConnection,
}

impl SaasConnector {
    /// A connector calling the API `config` describes with checked `secrets`.
    pub fn new(config: SaasConfig, secrets: Value, client: Arc<SaasClient>) -> SaasConnector {
        SaasConnector { connection: SaasConnection::new(config, secrets, client) }
    }

    /// The connection (its config and token).
    pub fn connection(&self) -> &SaasConnection {
        &self.connection
    }

    /// One collection's updates, a call per record.
    fn mask_collection(
        &self,
        scope: &Scope<'_>,
        collection: &Collection,
        updates: &[RowUpdate],
    ) -> Result<usize, ConnectorError> {
        let mut sent = 0;
        for update in updates {
            let record = update
                .row
                .clone()
                .unwrap_or_else(|| Value::Object(update.filter.iter().map(|(k, v)| (k.clone(), v.clone())).collect()));
            // A param the record does not hold takes the record's own value of that name (the
            // fields a delete-only endpoint was read with).
            let values = record.as_object().cloned().unwrap_or_default();
            let inputs = Inputs { values, groups: Vec::new(), field_list: field_list(collection) };
            // What is sent back whole: the declared fields that may be written.
            let object = (!collection.columns.is_empty()).then(|| {
                let writable = |key: &String| collection.columns.iter().any(|c| &c.name == key && !c.read_only);
                Value::Object(
                    record
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| writable(k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            });
            let masked = MaskedRecord { record, object, masked: update.set.clone() };
            sent += self
                .connection
                .mask(&collection.name, subject(scope), std::slice::from_ref(&masked), &inputs)
                .map_err(|e| ConnectorError(e.0))?;
        }
        Ok(sent)
    }
}

/// `<field_list>`: the collection's top-level fields that have a `data_type`.
fn field_list(collection: &Collection) -> String {
    let typed: Vec<&str> =
        collection.columns.iter().filter(|c| c.data_type.is_some()).map(|c| c.name.as_str()).collect();
    typed.join(",")
}

fn subject<'a>(scope: &Scope<'a>) -> Subject<'a> {
    Subject { identities: scope.identities, references: scope.references, privacy_request_id: scope.request_id }
}

impl Connector for SaasConnector {
    fn test(&self) -> Result<(), ConnectorError> {
        self.connection.test().map_err(|e| ConnectorError(e.0))
    }

    fn read(
        &self,
        scope: &Scope<'_>,
        collection: &Collection,
        inputs: &[FieldInput],
        sink: &mut RowSink<'_>,
    ) -> Result<usize, ConnectorError> {
        let values = inputs.iter().map(|i| (i.field.clone(), Value::Array(i.values.clone()))).collect();
        let inputs = Inputs { values, groups: scope.groups.to_vec(), field_list: field_list(collection) };
        let mut records =
            self.connection.read(&collection.name, subject(scope), &inputs).map_err(|e| ConnectorError(e.0))?;
        let count = records.len();
        while !records.is_empty() {
            let rest = records.split_off(records.len().min(BATCH));
            sink(std::mem::replace(&mut records, rest))?;
        }
        Ok(count)
    }

    fn mask(&self, scope: &Scope<'_>, batches: &[MaskBatch<'_>]) -> Result<Vec<usize>, MaskFailure> {
        batches
            .iter()
            .enumerate()
            .map(|(i, batch)| {
                self.mask_collection(scope, batch.collection, batch.updates)
                    .map_err(|error| MaskFailure { batch: i, error })
            })
            .collect()
    }

    fn referenced_fields(&self, collection: &Collection) -> Vec<String> {
        let Some(endpoint) = self.connection.config().endpoints.iter().find(|e| e.name == collection.name) else {
            return Vec::new();
        };
        let mut fields: Vec<String> = endpoint
            .requests
            .read
            .iter()
            .flat_map(|reads| reads.items())
            .flat_map(|request| &request.postprocessors)
            .filter_map(|p| match p {
                super::config::Postprocessor::Filter {
                    value: super::config::FilterValue::DatasetReference { dataset_reference },
                    ..
                } => Some(dataset_reference.clone()),
                _ => None,
            })
            .collect();
        fields.sort();
        fields.dedup();
        fields
    }

    fn renewed_secrets(&self) -> Option<Map<String, Value>> {
        let token = self.connection.renewed_token()?;
        let mut renewed = Map::new();
        renewed.insert("access_token".to_owned(), token.access_token.into());
        if let Some(refresh) = token.refresh_token {
            renewed.insert("refresh_token".to_owned(), refresh.into());
        }
        renewed.insert("expires_at".to_owned(), token.expires_at.map_or(Value::Null, Value::from));
        Some(renewed)
    }

    fn needs_rows(&self) -> bool {
        true
    }

    fn close(&self) {}
}
