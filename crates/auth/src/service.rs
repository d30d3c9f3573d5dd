//! The auth service: token issue and verification, client management.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use crypto::{AppKey, jwe, secret};
use db::Database;
use db::changes::{ChangeFeed, TtlCache};
use serde::{Deserialize, Serialize};

use crate::error::{AuthError, Result};
use crate::model::{AccessToken, ClientCreate, ClientCreated, Principal};
use crate::{repo, scopes};

/// Client-credentials auth: tokens, clients, the root client.
pub trait AuthService: Send + Sync {
    /// Checks a client's credentials and issues an access token.
    fn issue_token(&self, client_id: &str, client_secret: &str) -> Result<AccessToken>;

    /// Checks a bearer token: it must decrypt, be unexpired, and belong to a client that still
    /// exists. The scopes in force are the token's, limited to what the client holds now, so a
    /// deleted client or a revoked scope takes effect at once.
    fn authenticate(&self, token: &str) -> Result<Principal>;

    /// Creates a client holding `request.scopes`, which `caller` must hold too.
    fn create_client(&self, caller: &Principal, request: ClientCreate) -> Result<ClientCreated>;

    /// The scopes a client holds.
    fn client_scopes(&self, client_id: &str) -> Result<Vec<String>>;

    /// Replaces a client's scopes; `caller` must hold every scope granted.
    fn set_client_scopes(&self, caller: &Principal, client_id: &str, scopes: Vec<String>) -> Result<Vec<String>>;

    /// Deletes a client; its tokens stop working at once.
    fn delete_client(&self, client_id: &str) -> Result<()>;

    /// Makes sure the root client exists. With a configured secret, stores its hash; without
    /// one, generates a secret on first start and returns it (the only time it is seen).
    fn ensure_root_client(&self, root: &RootClient) -> Result<Option<String>>;
}

/// The root client as configured.
#[derive(Clone)]
pub struct RootClient {
    /// Its client id.
    pub id: String,
    /// Its secret, when configured; generated on first start otherwise.
    pub secret: Option<String>,
}

impl std::fmt::Debug for RootClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootClient")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Token payload, with Fides' claim names.
#[derive(Serialize, Deserialize)]
struct Claims {
    #[serde(rename = "client-id")]
    client_id: String,
    scopes: Vec<String>,
    /// Issue time, ISO 8601 UTC.
    iat: String,
    /// Expiry, Unix seconds.
    exp: i64,
}

/// Change-feed topic of client changes.
const TOPIC: &str = "auth";
/// How long a client's scopes are cached. Changes made through this process apply at once;
/// other processes on PostgreSQL hear of them through the change feed within ~50 ms; this bounds
/// the rest (processes sharing one SQLite file).
const CLIENT_CACHE_TTL: Duration = Duration::from_secs(2);

/// What authentication needs of a client: the scopes it holds. `None`: no such client.
type CachedClient = Option<BTreeSet<String>>;

/// [`AuthService`] over the database.
pub struct DieselAuthService {
    db: Database,
    key: AppKey,
    token_ttl: TimeDelta,
    /// Verified against when the client id is unknown, so a miss costs as much as a hit.
    decoy_hash: String,
    /// Clients by id, so checking a token needs no database round trip.
    clients: Arc<TtlCache<String, CachedClient>>,
}

impl DieselAuthService {
    /// A service issuing tokens valid for `token_ttl_minutes`, encrypted with `key`.
    pub fn new(db: Database, key: AppKey, token_ttl_minutes: u64) -> DieselAuthService {
        let minutes = i64::try_from(token_ttl_minutes).unwrap_or(i64::MAX);
        DieselAuthService {
            db,
            key,
            token_ttl: TimeDelta::try_minutes(minutes).unwrap_or(TimeDelta::MAX),
            decoy_hash: secret::hash(&crypto::random_hex(16)),
            clients: Arc::new(TtlCache::new(CLIENT_CACHE_TTL)),
        }
    }

    /// Clears the client cache when another process changes clients.
    pub fn with_change_feed(self, feed: &ChangeFeed) -> DieselAuthService {
        let clients = Arc::clone(&self.clients);
        feed.on(TOPIC, move || clients.clear());
        self
    }

    fn client(&self, client_id: &str) -> Result<CachedClient> {
        if let Some(cached) = self.clients.get(client_id) {
            return Ok(cached);
        }
        let row = {
            let mut conn = self.db.conn()?;
            repo::find(&mut conn, client_id)?
        };
        let client = match row {
            Some(row) if row.is_root => Some(all_scopes().into_iter().collect()),
            Some(row) => Some(parse_scopes(&row.scopes)?.into_iter().collect()),
            None => None,
        };
        self.clients.insert(client_id.to_owned(), client.clone());
        Ok(client)
    }

    /// Runs a change to clients in a write transaction that announces it, then forgets cached
    /// clients (after the commit, so no reader re-caches the old state).
    fn change<T>(&self, f: impl FnOnce(&mut db::DbConn) -> Result<T>) -> Result<T> {
        let mut conn = self.db.conn()?;
        let result = conn.write_transaction(|c| {
            let value = f(c)?;
            ChangeFeed::publish(c, TOPIC)?;
            Ok(value)
        });
        self.clients.clear();
        result
    }
}

fn parse_scopes(stored: &str) -> Result<Vec<String>> {
    serde_json::from_str(stored).map_err(|e| AuthError::Db(db::DbError::Corrupt(format!("client scopes: {e}"))))
}

/// Checks scope names against the registry and what `caller` may grant; returns them sorted and
/// de-duplicated.
/// The scopes `caller` may grant of `requested`, which sits at `loc` in the input.
fn grantable(caller: &Principal, requested: Vec<String>, loc: &[validation::Loc]) -> Result<Vec<String>> {
    let unknown: Vec<validation::Problem> = requested
        .iter()
        .enumerate()
        .filter(|(_, s)| !scopes::is_known(s))
        .map(|(i, s)| validation::Problem::new(validation::loc![i], format!("Invalid scope: {s}")).under(loc))
        .collect();
    if !unknown.is_empty() {
        return Err(AuthError::Invalid(unknown));
    }
    let set: BTreeSet<String> = requested.into_iter().collect();
    let not_held: Vec<String> = set.iter().filter(|s| !caller.has_scope(s)).cloned().collect();
    if !not_held.is_empty() {
        return Err(AuthError::CannotGrant(not_held));
    }
    Ok(set.into_iter().collect())
}

fn all_scopes() -> Vec<String> {
    scopes::ALL.iter().map(|s| (*s).to_owned()).collect()
}

impl AuthService for DieselAuthService {
    fn issue_token(&self, client_id: &str, client_secret: &str) -> Result<AccessToken> {
        let client = {
            let mut conn = self.db.conn()?;
            repo::find(&mut conn, client_id)?
        };
        let Some(client) = client else {
            secret::verify(client_secret, &self.decoy_hash);
            return Err(AuthError::InvalidCredentials);
        };
        if !secret::verify(client_secret, &client.secret_hash) {
            return Err(AuthError::InvalidCredentials);
        }
        let scopes = if client.is_root { all_scopes() } else { parse_scopes(&client.scopes)? };
        let issued = Utc::now();
        let claims = Claims {
            client_id: client.id,
            scopes,
            iat: issued.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            exp: (issued + self.token_ttl).timestamp(),
        };
        let payload = serde_json::to_vec(&claims).map_err(|e| AuthError::Db(db::DbError::Corrupt(e.to_string())))?;
        let access_token =
            jwe::encrypt(&self.key, &payload).map_err(|_| AuthError::InvalidToken("Could not issue a token"))?;
        Ok(AccessToken {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: u64::try_from(self.token_ttl.num_seconds()).unwrap_or(0),
        })
    }

    fn authenticate(&self, token: &str) -> Result<Principal> {
        let payload = jwe::decrypt(&self.key, token).map_err(|_| AuthError::InvalidToken("Invalid access token"))?;
        let claims: Claims =
            serde_json::from_slice(&payload).map_err(|_| AuthError::InvalidToken("Invalid access token"))?;
        if claims.exp <= Utc::now().timestamp() {
            return Err(AuthError::InvalidToken("Access token expired"));
        }
        let Some(held) = self.client(&claims.client_id)? else {
            return Err(AuthError::InvalidToken("The token's client no longer exists"));
        };
        let scopes = claims.scopes.into_iter().filter(|s| held.contains(s)).collect();
        Ok(Principal { client_id: claims.client_id, scopes })
    }

    fn create_client(&self, caller: &Principal, request: ClientCreate) -> Result<ClientCreated> {
        let granted = grantable(caller, request.scopes, &[validation::Loc::from("scopes")])?;
        let client_id = crypto::random_hex(16);
        let client_secret = crypto::random_hex(16);
        let scopes = serde_json::to_string(&granted).map_err(|e| AuthError::Db(db::DbError::Corrupt(e.to_string())))?;
        let hash = secret::hash(&client_secret);
        let at = db::now();
        let mut conn = self.db.conn()?;
        repo::insert(
            &mut conn,
            &repo::NewClientRow {
                id: &client_id,
                name: request.name.as_deref(),
                secret_hash: &hash,
                scopes: &scopes,
                is_root: false,
                created_at: at,
                updated_at: at,
            },
        )?;
        Ok(ClientCreated { client_id, client_secret })
    }

    fn client_scopes(&self, client_id: &str) -> Result<Vec<String>> {
        let mut conn = self.db.conn()?;
        let client =
            repo::find(&mut conn, client_id)?.ok_or_else(|| AuthError::ClientNotFound(client_id.to_owned()))?;
        if client.is_root { Ok(all_scopes()) } else { parse_scopes(&client.scopes) }
    }

    fn set_client_scopes(&self, caller: &Principal, client_id: &str, scopes: Vec<String>) -> Result<Vec<String>> {
        let granted = grantable(caller, scopes, &[])?;
        let stored = serde_json::to_string(&granted).map_err(|e| AuthError::Db(db::DbError::Corrupt(e.to_string())))?;
        self.change(|c| {
            let client = repo::find(c, client_id)?.ok_or_else(|| AuthError::ClientNotFound(client_id.to_owned()))?;
            if client.is_root {
                return Err(AuthError::RootClientImmutable);
            }
            repo::update_scopes(c, client_id, &stored)?;
            Ok(granted)
        })
    }

    fn delete_client(&self, client_id: &str) -> Result<()> {
        self.change(|c| {
            let client = repo::find(c, client_id)?.ok_or_else(|| AuthError::ClientNotFound(client_id.to_owned()))?;
            if client.is_root {
                return Err(AuthError::RootClientImmutable);
            }
            repo::delete(c, client_id)?;
            Ok(())
        })
    }

    fn ensure_root_client(&self, root: &RootClient) -> Result<Option<String>> {
        let generated = self.change(|c| {
            let removed = repo::delete_other_roots(c, &root.id)?;
            if removed > 0 {
                tracing::warn!(removed, root_client_id = %root.id, "removed root clients with a previous root client id");
            }
            let existing = repo::find(c, &root.id)?;
            match (&root.secret, existing) {
                (Some(configured), Some(row)) => {
                    if !row.is_root {
                        return Err(AuthError::RootClientImmutable);
                    }
                    if !secret::verify(configured, &row.secret_hash) {
                        repo::update_secret(c, &root.id, &secret::hash(configured))?;
                    }
                    Ok(None)
                }
                (None, Some(row)) if row.is_root => Ok(None),
                (None, Some(_)) => Err(AuthError::RootClientImmutable),
                (configured, None) => {
                    let generated = configured.is_none().then(|| crypto::random_hex(16));
                    let Some(secret_text) = configured.as_ref().or(generated.as_ref()) else {
                        return Ok(None);
                    };
                    let at = db::now();
                    repo::insert(
                        c,
                        &repo::NewClientRow {
                            id: &root.id,
                            name: Some("root"),
                            secret_hash: &secret::hash(secret_text),
                            scopes: "[]",
                            is_root: true,
                            created_at: at,
                            updated_at: at,
                        },
                    )?;
                    Ok(generated)
                }
            }
        });
        match generated {
            // Another gateway process created the root client first.
            Err(AuthError::Db(e)) if e.is_unique_violation() => Ok(None),
            other => other,
        }
    }
}
