//! SaaS connections: their `saas_config` (set, read, removed, validated) and instantiation from
//! the templates shipped in the binary, with Fides' routes' rules and messages.

use std::sync::Arc;

use connectors::saas::{self, SaasConfig, templates};
use db::changes::ChangeFeed;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{AccessLevel, Connection, ConnectionType, SaasInstance};
use super::repo::{self, ConnectionId, ConnectionRow};
use super::secrets::{self, Secrets};
use super::{CONNECTIONS_TOPIC, DieselConnectionService};
use crate::dataset::repo::{self as dataset_repo, DatasetId, DatasetRow};
use crate::dataset::{Dataset, DatasetFile, validate};
use crate::error::{DsrError, Result};

/// Answer of `PUT /connection/{key}/validate_saas_config`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaasValidation {
    /// The config as Lethe reads it.
    #[schema(value_type = Object)]
    pub saas_config: SaasConfig,
    /// `{"msg": "Validation successful"}`.
    #[schema(value_type = Object)]
    pub validation_details: serde_json::Value,
}

/// Answer of `POST /connection/instantiate/{saas_connector_type}`: what was created.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Instantiated {
    /// The connection (secrets masked).
    pub connection: Connection,
    /// Its dataset, keyed by the instance key.
    pub dataset: Dataset,
}

/// A config given as JSON, checked; problems are 422s located in the config.
fn checked(config: serde_json::Value) -> Result<SaasConfig> {
    saas::from_value(config).map_err(DsrError::Invalid)
}

fn stored_text(config: &SaasConfig) -> Result<String> {
    serde_json::to_string(config).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))
}

/// The connection `key`, which must be of type `saas`.
fn saas_row(conn: &mut db::DbConn, key: &str) -> Result<ConnectionRow> {
    let row = repo::connection_row(conn, key)?;
    if row.connection_type != ConnectionType::Saas {
        return Err(DsrError::BadRequest(
            "This action is only applicable to connection configs of connection type 'saas'".to_owned(),
        ));
    }
    Ok(row)
}

impl DieselConnectionService {
    pub(super) fn saas_set(&self, key: &str, config: serde_json::Value) -> Result<SaasConfig> {
        let mut row = saas_row(&mut *self.db.conn()?, key)?;
        let config = checked(config)?;
        row.saas_config = Some(stored_text(&config)?);
        self.save_changed(&mut row)?;
        Ok(config)
    }

    pub(super) fn saas_get(&self, key: &str) -> Result<SaasConfig> {
        let row = repo::connection_row(&mut *self.db.conn()?, key)?;
        if row.saas_config.is_none() {
            return Err(DsrError::NotFound(format!("No SaaS config found for connection '{key}'")));
        }
        Ok((*secrets::saas_config(&row)?).clone())
    }

    pub(super) fn saas_delete(&self, key: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let mut row = repo::connection_row(c, key)?;
            if row.saas_config.is_none() {
                return Err(DsrError::NotFound(format!("No SaaS config found for connection '{key}'")));
            }
            let config = secrets::saas_config(&row)?;
            let mut reasons = Vec::new();
            if dataset_repo::find_dataset(c, &config.fides_key)?.is_some_and(|d| d.connection_id == row.id) {
                reasons.push(format!(
                    "Must delete the dataset with fides_key '{}' before deleting this SaaS config.",
                    config.fides_key
                ));
            }
            if row.secrets.is_some() {
                reasons.push(
                    "Must clear the secrets from this connection config before deleting the SaaS config.".to_owned(),
                );
            }
            if !reasons.is_empty() {
                return Err(DsrError::BadRequest(reasons.join(" ")));
            }
            row.saas_config = None;
            row.updated_at = db::now();
            repo::save_connection(c, &row, true)?;
            ChangeFeed::publish(c, CONNECTIONS_TOPIC)?;
            Ok(())
        })?;
        self.stores.close(key);
        Ok(())
    }

    pub(super) fn saas_validate(config: serde_json::Value) -> Result<SaasValidation> {
        Ok(SaasValidation {
            saas_config: checked(config)?,
            validation_details: serde_json::json!({"msg": "Validation successful"}),
        })
    }

    pub(super) fn saas_instantiate(&self, kind: &str, instance: SaasInstance) -> Result<Instantiated> {
        let prepared = self.saas_prepare(kind, instance, AccessLevel::Write, false)?;
        self.db.conn()?.write_transaction(|c| saas_store(c, &prepared))?;
        let Prepared { row, dataset, .. } = prepared;
        Ok(Instantiated { connection: self.to_connection(row)?, dataset })
    }

    /// A template instance checked and ready to store: the template's config and dataset keyed
    /// by the instance key, the secrets checked against it (problems located under `secrets`).
    pub(super) fn saas_prepare(
        &self,
        kind: &str,
        instance: SaasInstance,
        access: AccessLevel,
        disabled: bool,
    ) -> Result<Prepared> {
        let template = templates::find(kind).ok_or_else(|| {
            DsrError::NotFound(format!(
                "SaaS connector type '{kind}' is not yet available in Lethe. For a list of available SaaS \
                 connectors, refer to /connection_type."
            ))
        })?;
        let (config, dataset_text) = template.instantiate(&instance.instance_key).map_err(DsrError::Invalid)?;
        let file: DatasetFile = serde_norway::from_str(&dataset_text)
            .map_err(|e| DsrError::BadRequest(format!("the {kind} template's dataset cannot be read: {e}")))?;
        let Some(dataset) = file.dataset.into_iter().next() else {
            return Err(DsrError::BadRequest(format!("the {kind} template has no dataset")));
        };
        let problems = validate(&dataset, &self.taxonomy, &|_| None);
        if !problems.is_empty() {
            return Err(DsrError::BadRequest(format!("the {kind} template's dataset: {}", problems.join("; "))));
        }
        let config = Arc::new(config);
        let secrets = Secrets::parse_saas(Arc::clone(&config), serde_json::Value::Object(instance.secrets), &self.saas)
            .map_err(|e| match e {
                DsrError::Invalid(problems) => DsrError::Invalid(
                    problems
                        .into_iter()
                        .map(|mut p| {
                            p.loc.insert(0, validation::Loc::from("secrets"));
                            p
                        })
                        .collect(),
                ),
                other => other,
            })?;
        let key = instance.key.clone().unwrap_or_else(|| instance.instance_key.clone());
        if !crate::keys::is_fides_key(&key) {
            return Err(DsrError::invalid(
                validation::loc!["key"],
                "FidesKeys must only contain alphanumeric characters, '.', '_' or '-'.",
            ));
        }
        let now = db::now();
        let row = ConnectionRow {
            id: ConnectionId::new(),
            key,
            name: instance.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| config.name.clone()),
            connection_type: ConnectionType::Saas,
            access,
            disabled,
            description: instance.description.clone().filter(|d| !d.trim().is_empty()),
            secrets: Some(secrets::seal(&self.key, &secrets)?),
            saas_config: Some(stored_text(&config)?),
            last_test_at: None,
            last_test_succeeded: None,
            created_at: now,
            updated_at: now,
        };
        let dataset_row = DatasetRow {
            id: DatasetId::new(),
            fides_key: dataset.fides_key.clone(),
            connection_id: row.id.clone(),
            body: serde_json::to_string(&dataset).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))?,
            created_at: now,
            updated_at: now,
        };
        Ok(Prepared { row, dataset, dataset_row })
    }
}

/// A checked template instance: the connection and its dataset, not stored yet.
pub(super) struct Prepared {
    pub(super) row: ConnectionRow,
    dataset: Dataset,
    dataset_row: DatasetRow,
}

/// Stores a prepared instance in the caller's transaction; 400 when its key is taken.
pub(super) fn saas_store(c: &mut db::DbConn, prepared: &Prepared) -> Result<()> {
    if repo::find_connection(c, &prepared.row.key)?.is_some()
        || dataset_repo::find_dataset(c, &prepared.dataset.fides_key)?.is_some()
    {
        return Err(DsrError::BadRequest(format!(
            "SaaS connector instance key '{}' already exists.",
            prepared.dataset.fides_key
        )));
    }
    repo::save_connection(c, &prepared.row, false)?;
    dataset_repo::save_dataset(c, &prepared.dataset_row, false)?;
    Ok(())
}
