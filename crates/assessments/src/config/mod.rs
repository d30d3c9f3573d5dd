//! The assessment configuration: the models used for drafting and for the questionnaire, the
//! reassessment schedule (a five-field cron expression checked with `croner`), and the tone
//! prompt questions are rephrased with.

pub(crate) mod model;
pub(crate) mod repo;

use db::Database;

pub use model::{
    Config, ConfigDefaults, ConfigUpdate, CronExpression, DEFAULT_ASSESSMENT_MODEL, DEFAULT_CHAT_MODEL,
    DEFAULT_REASSESSMENT_CRON, DEFAULT_TONE_PROMPT, InvalidCron, MAX_TONE_CHARS, ModelName, Tone, defaults, parse_cron,
};

use crate::error::Result;

/// The assessment configuration.
pub trait ConfigService: Send + Sync {
    /// The configuration (defaults where nothing is set).
    fn get_config(&self) -> Result<Config>;
    /// Changes the fields given (`null` resets one to its default).
    fn update_config(&self, update: ConfigUpdate) -> Result<Config>;
    /// The defaults.
    fn config_defaults(&self) -> ConfigDefaults;
    /// The tone prompt.
    fn get_tone(&self) -> Result<Tone>;
    /// Sets the tone prompt.
    fn set_tone(&self, tone: Tone) -> Result<Tone>;
    /// Resets the tone prompt to the default.
    fn reset_tone(&self) -> Result<Tone>;
}

/// [`ConfigService`] over the database.
#[derive(Clone)]
pub struct DieselConfigService {
    db: Database,
}

impl DieselConfigService {
    /// A service over `db`.
    pub fn new(db: Database) -> DieselConfigService {
        DieselConfigService { db }
    }

    fn store_tone(&self, tone: Option<String>) -> Result<Tone> {
        self.db.conn()?.write_transaction(|conn| {
            let existing = repo::find_config(conn)?;
            let row = model::with_tone(existing.as_ref(), tone);
            repo::save_config(conn, &row, existing.is_some())?;
            Ok(Tone { tone_prompt: model::tone(Some(&row)) })
        })
    }
}

impl ConfigService for DieselConfigService {
    fn get_config(&self) -> Result<Config> {
        Ok(model::view(repo::find_config(&mut *self.db.conn()?)?.as_ref()))
    }

    fn update_config(&self, update: ConfigUpdate) -> Result<Config> {
        self.db.conn()?.write_transaction(|conn| {
            let existing = repo::find_config(conn)?;
            let row = model::apply(existing.as_ref(), update)?;
            repo::save_config(conn, &row, existing.is_some())?;
            Ok(model::view(Some(&row)))
        })
    }

    fn config_defaults(&self) -> ConfigDefaults {
        model::defaults()
    }

    fn get_tone(&self) -> Result<Tone> {
        Ok(Tone { tone_prompt: model::tone(repo::find_config(&mut *self.db.conn()?)?.as_ref()) })
    }

    fn set_tone(&self, tone: Tone) -> Result<Tone> {
        let prompt = model::check_tone(&tone.tone_prompt)?;
        self.store_tone(Some(prompt))
    }

    fn reset_tone(&self) -> Result<Tone> {
        self.store_tone(None)
    }
}
