//! Manual privacy requests (Fides' `manual_request`, formerly `manual_webhook`): a connection
//! whose data a person looks up and uploads per request. Its fields map what the person is asked
//! for (`pii_field`) to the key the subject sees in the package (`dsr_package_label`).

pub(crate) mod model;
pub(crate) mod repo;

use db::Database;

pub use model::{
    LabelText, MAX_LABEL, ManualField, ManualFieldsUpdate, ManualInput, ManualRequest, PiiFieldText, labels, normalise,
};

use crate::connection::repo::manual_connection;
use crate::error::{DsrError, Result};

/// The fields of `manual_request` connections.
pub trait ManualFieldService: Send + Sync {
    /// Sets the fields of a `manual_request` connection (400 for a connection of another type).
    fn set_manual_fields(&self, connection: &str, fields: Vec<ManualField>) -> Result<ManualRequest>;
    /// The fields of a `manual_request` connection (404 when none are set).
    fn get_manual_fields(&self, connection: &str) -> Result<ManualRequest>;
    /// Removes the fields of a `manual_request` connection.
    fn delete_manual_fields(&self, connection: &str) -> Result<()>;
}

/// [`ManualFieldService`] over the database.
pub struct DieselManualFieldService {
    db: Database,
}

impl DieselManualFieldService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselManualFieldService {
        DieselManualFieldService { db }
    }
}

impl ManualFieldService for DieselManualFieldService {
    fn set_manual_fields(&self, connection: &str, fields: Vec<ManualField>) -> Result<ManualRequest> {
        let fields = normalise(fields).map_err(DsrError::Invalid)?;
        let json = serde_json::to_string(&fields).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<ManualRequest> {
            let row = manual_connection(c, connection)?;
            repo::save_manual_fields(c, &row.id, &json, db::now())?;
            Ok(repo::manual_request(c, connection)?.1)
        })
    }

    fn get_manual_fields(&self, connection: &str) -> Result<ManualRequest> {
        Ok(repo::manual_request(&mut *self.db.conn()?, connection)?.1)
    }

    fn delete_manual_fields(&self, connection: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| {
            let row = manual_connection(c, connection)?;
            if repo::delete_manual_fields(c, &row.id)? == 0 {
                return Err(repo::no_fields(connection));
            }
            Ok(())
        })
    }
}
