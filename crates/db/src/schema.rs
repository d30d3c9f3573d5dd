//! The portable schema: only types both SQLite and PostgreSQL share (Text for ids and JSON,
//! Integer/BigInt, Bool, Timestamp holding UTC). Kept by hand in step with `migrations/`.

diesel::table! {
    /// Key/value settings the server keeps about itself (e.g. the generated root client marker).
    server_settings (key) {
        /// Setting name.
        key -> Text,
        /// Setting value (JSON or plain text, per key).
        value -> Text,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// OAuth clients that may ask for access tokens (client-credentials grant).
    oauth_clients (id) {
        /// The client id (32 hex characters).
        id -> Text,
        /// A human label.
        name -> Nullable<Text>,
        /// PBKDF2 hash of the client secret; the secret itself is never stored.
        secret_hash -> Text,
        /// JSON array of scope names the client holds.
        scopes -> Text,
        /// The root client holds every scope, including scopes added by later versions.
        is_root -> Bool,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change of secret or scopes.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The global redaction patterns, in the order they were given.
    redaction_patterns (position) {
        /// 0-based position in the list.
        position -> Integer,
        /// The regular expression.
        pattern -> Text,
        /// When this set was stored.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Durable background jobs, claimed by workers with a lease.
    jobs (id) {
        /// `job_<uuid>`.
        id -> Text,
        /// Which handler runs it.
        queue -> Text,
        /// JSON payload for the handler.
        payload -> Text,
        /// queued | running | succeeded | failed
        status -> Text,
        /// How many times it was claimed.
        attempts -> Integer,
        /// Claims allowed before it is marked failed.
        max_attempts -> Integer,
        /// Not to be claimed before this time.
        run_at -> Timestamp,
        /// The worker holding the lease.
        locked_by -> Nullable<Text>,
        /// When the lease ends unless renewed.
        locked_until -> Nullable<Timestamp>,
        /// The last failure.
        last_error -> Nullable<Text>,
        /// Optional de-duplication key: at most one job per key.
        unique_key -> Nullable<Text>,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
        /// When it succeeded or finally failed.
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(server_settings, oauth_clients, redaction_patterns, jobs);
