//! OAuth 2 authorization code for SaaS connections (Fides' `/connection/{key}/authorize` and
//! `/oauth/callback`): the authorize page's URL with a fresh `state`, remembered with the
//! connection and the page the person came from; the callback exchanges the code for tokens,
//! stores them in the sealed secrets, and tests the connection. Unlike Fides, a state is used
//! once and expires after ten minutes, and the code itself is not stored.
//!
//! Tokens a request run renews (an expiring token refreshed with `refresh_request`, or a client
//! credentials token) are stored too ([`save_renewed`]), so a rotated refresh token is not lost
//! when the process restarts.

use chrono::NaiveDateTime;
use db::schema::oauth_authorization_requests;
use db::{Database, DbConn};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{ConnectionType, TestResult};
use super::repo::{self, ConnectionId};
use super::secrets::{self, Secrets};
use super::{CONNECTIONS_TOPIC, DieselConnectionService};
use crate::error::{DsrError, Result};

/// How long an authorize page's state stays valid.
const STATE_TTL_SECONDS: i64 = 600;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_authorization_requests)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct StateRow {
    state: String,
    connection_id: ConnectionId,
    referer: Option<String>,
    created_at: NaiveDateTime,
}

/// What an OAuth callback did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OAuthCallback {
    /// The connection authorised.
    pub connection_key: String,
    /// The page the person started from (the authorize call's `Referer`), if known.
    #[serde(skip)]
    pub referer: Option<String>,
    /// The connection test run with the new tokens.
    pub test: TestResult,
}

/// Takes (deletes) the state `state`: its connection and referer, if it is known and fresh.
fn take_state(conn: &mut DbConn, state: &str) -> Result<StateRow> {
    let found: Option<StateRow> =
        oauth_authorization_requests::table.find(state).select(StateRow::as_select()).first(conn).optional()?;
    let row =
        found.ok_or_else(|| DsrError::NotFound("No authentication request found for the given state.".to_owned()))?;
    diesel::delete(oauth_authorization_requests::table.find(state)).execute(conn)?;
    if (db::now() - row.created_at).num_seconds() > STATE_TTL_SECONDS {
        return Err(DsrError::BadRequest(
            "The authentication request for this state has expired; authorize the connection again.".to_owned(),
        ));
    }
    Ok(row)
}

impl DieselConnectionService {
    /// The secrets of SaaS connection `row`, which must be there.
    fn oauth_secrets(&self, row: &repo::ConnectionRow) -> Result<Secrets> {
        let key = &row.key;
        if row.connection_type != ConnectionType::Saas {
            return Err(DsrError::BadRequest(format!(
                "Connection config '{key}' is of type {}: only saas connections authorise through OAuth",
                row.connection_type
            )));
        }
        secrets::open(&self.key, row)?.ok_or_else(|| {
            DsrError::BadRequest(format!(
                "Connection config '{key}' has no secrets yet: set client_id, client_secret and redirect_uri first"
            ))
        })
    }

    pub(super) fn oauth_authorize(&self, key: &str, referer: Option<String>) -> Result<String> {
        let row = repo::connection_row(&mut *self.db.conn()?, key)?;
        let secrets = self.oauth_secrets(&row)?;
        let connection = secrets.saas_connection(&self.saas).map_err(|e| DsrError::BadRequest(e.0))?;
        let state = uuid::Uuid::new_v4().to_string();
        let url = connection.authorize_url(&state).map_err(|e| DsrError::BadRequest(e.0))?;
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            // States nobody came back with are dropped as new ones are made.
            let stale = db::now() - chrono::Duration::seconds(STATE_TTL_SECONDS);
            diesel::delete(
                oauth_authorization_requests::table.filter(oauth_authorization_requests::created_at.lt(stale)),
            )
            .execute(c)?;
            let row = StateRow { state, connection_id: row.id.clone(), referer, created_at: db::now() };
            diesel::insert_into(oauth_authorization_requests::table).values(&row).execute(c)?;
            Ok(())
        })?;
        Ok(url)
    }

    pub(super) fn oauth_callback_with(&self, code: &str, state: &str) -> Result<OAuthCallback> {
        let taken = self.db.conn()?.write_transaction(|c| take_state(c, state))?;
        let mut row = repo::find_connection_by_id(&mut *self.db.conn()?, &taken.connection_id)?;
        let secrets = self.oauth_secrets(&row)?;
        let connection = secrets.saas_connection(&self.saas).map_err(|e| DsrError::BadRequest(e.0))?;
        let token = connection.exchange_code(code).map_err(|e| DsrError::BadRequest(e.0))?;
        let mut renewed = serde_json::Map::new();
        renewed.insert("access_token".to_owned(), token.access_token.into());
        renewed.insert("refresh_token".to_owned(), token.refresh_token.map_or(serde_json::Value::Null, Into::into));
        renewed.insert("expires_at".to_owned(), token.expires_at.map_or(serde_json::Value::Null, Into::into));
        let secrets = secrets.renewed(renewed);
        row.secrets = Some(secrets::seal(&self.key, &secrets)?);
        self.save_changed(&mut row)?;
        let msg = format!("Authorized ConnectionConfig with key: {}.", row.key);
        let test = self.run_test(&row, &secrets, msg)?;
        Ok(OAuthCallback { connection_key: row.key, referer: taken.referer, test })
    }
}

/// Stores the secrets a run renewed for connection `key` (tokens), keeping the rest as stored.
pub(crate) fn save_renewed(
    db: &Database,
    app_key: &crypto::AppKey,
    key: &str,
    renewed: serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let mut conn = db.conn()?;
    conn.write_transaction(|c| -> Result<()> {
        let Some(mut row) = repo::find_connection(c, key)? else { return Ok(()) };
        let Some(secrets) = secrets::open(app_key, &row)? else { return Ok(()) };
        row.secrets = Some(secrets::seal(app_key, &secrets.renewed(renewed))?);
        row.updated_at = db::now();
        repo::save_connection(c, &row, true)?;
        db::changes::ChangeFeed::publish(c, CONNECTIONS_TOPIC)?;
        Ok(())
    })
}
