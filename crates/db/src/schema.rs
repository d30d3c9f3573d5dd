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

diesel::table! {
    /// Organisations: groups of spaces.
    orgs (id) {
        /// UUID.
        id -> Text,
        /// Unique slug.
        slug -> Text,
        /// Display name.
        name -> Text,
        /// Creation time.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Spaces: where notices and catalog products live.
    spaces (id) {
        /// UUID.
        id -> Text,
        /// Unique slug.
        slug -> Text,
        /// Display name.
        name -> Text,
        /// Owning organisation.
        org_id -> Text,
        /// Products in the space.
        product_count -> BigInt,
        /// Products mapped to a purpose.
        mapped_count -> BigInt,
        /// Products without a lawful basis.
        missing_basis_count -> BigInt,
        /// Products with a compliance gap.
        gap_count -> BigInt,
        /// Creation time.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Versioned privacy notices of a space.
    privacy_notices (id) {
        /// UUID.
        id -> Text,
        /// Owning space.
        space_id -> Text,
        /// Name.
        name -> Text,
        /// Version label.
        version -> Text,
        /// DRAFT | ACTIVE | ARCHIVED
        status -> Text,
        /// Hosted policy URL.
        content_url -> Nullable<Text>,
        /// Effective from.
        valid_from -> Nullable<Timestamp>,
        /// Superseded at.
        valid_to -> Nullable<Timestamp>,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Processing purposes owned by a notice.
    processing_purposes (id) {
        /// UUID.
        id -> Text,
        /// Owning notice.
        notice_id -> Text,
        /// Name.
        name -> Text,
        /// Lowercase name, for search.
        name_lc -> Text,
        /// Description.
        description -> Nullable<Text>,
        /// Strictly necessary for the core service.
        is_essential -> Bool,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Catalog products with their compliance metadata.
    products (id) {
        /// UUID.
        id -> Text,
        /// Owning space.
        space_id -> Text,
        /// Name.
        name -> Text,
        /// Lowercase name, for search.
        name_lc -> Text,
        /// e.g. table, view, dashboard.
        product_type -> Nullable<Text>,
        /// e.g. dataset, report.
        product_kind -> Nullable<Text>,
        /// Id in the source system.
        source_id -> Nullable<Text>,
        /// Location, e.g. warehouse.analytics.customer_events.
        path -> Nullable<Text>,
        /// e.g. production.
        environment -> Nullable<Text>,
        /// e.g. PII, PHI, Internal.
        sensitivity -> Nullable<Text>,
        /// JSON array of data categories.
        data_categories -> Text,
        /// Owner id.
        owner_id -> Nullable<Text>,
        /// Owner name.
        owner_name -> Nullable<Text>,
        /// The purpose the product is mapped to.
        processing_purpose_id -> Nullable<Text>,
        /// Lawful basis (Art. 6).
        lawful_basis -> Nullable<Text>,
        /// Lowercase lawful basis, for search.
        lawful_basis_lc -> Nullable<Text>,
        /// Retention period.
        retention_period -> Nullable<Text>,
        /// JSON array of data-subject categories.
        data_subject_categories -> Text,
        /// JSON array of recipients.
        recipients -> Text,
        /// Sensitivity indicates PII/PHI and there is no lawful basis.
        has_compliance_gap -> Bool,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Where access packages are written.
    storage_configs (id) {
        /// `sto_<uuid>`.
        id -> Text,
        /// Unique FidesKey.
        key -> Text,
        /// Name.
        name -> Text,
        /// `local`.
        storage_type -> Text,
        /// `json` or `csv`.
        format -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// DSR policies.
    policies (id) {
        /// `pol_<uuid>`.
        id -> Text,
        /// Unique FidesKey.
        key -> Text,
        /// Name.
        name -> Text,
        /// Days a request under this policy has to complete.
        execution_timeframe -> Nullable<Integer>,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Rules of a policy: what to do (access, erasure) and where results go.
    rules (id) {
        /// `rul_<uuid>`.
        id -> Text,
        /// Unique FidesKey (across policies).
        key -> Text,
        /// Owning policy.
        policy_id -> Text,
        /// Name.
        name -> Text,
        /// `access` or `erasure`.
        action_type -> Text,
        /// Storage destination key (access rules).
        storage_destination_key -> Nullable<Text>,
        /// JSON `{strategy, configuration}` (erasure rules).
        masking_strategy -> Nullable<Text>,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Data categories a rule targets.
    rule_targets (id) {
        /// `rul_<uuid>` (Fides names targets' ids after their table too).
        id -> Text,
        /// Key, unique within the rule.
        key -> Text,
        /// Owning rule.
        rule_id -> Text,
        /// Name.
        name -> Text,
        /// A taxonomy data category.
        data_category -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Connections to the subject's data stores.
    connections (id) {
        /// `con_<uuid>`.
        id -> Text,
        /// Unique FidesKey.
        key -> Text,
        /// Name.
        name -> Text,
        /// `postgres`, `mysql`, `mariadb`, `sqlite`, `saas` or `manual_request`.
        connection_type -> Text,
        /// `read` or `write`.
        access -> Text,
        /// Left out of request execution.
        disabled -> Bool,
        /// Description.
        description -> Nullable<Text>,
        /// Secrets JSON sealed with the application key.
        secrets -> Nullable<Binary>,
        /// The `saas_config` of a `saas` connection (JSON).
        saas_config -> Nullable<Text>,
        /// When the connection was last tested.
        last_test_at -> Nullable<Timestamp>,
        /// Whether that test succeeded.
        last_test_succeeded -> Nullable<Bool>,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Fideslang datasets of a connection.
    datasets (id) {
        /// `dat_<uuid>`.
        id -> Text,
        /// Unique dataset key.
        fides_key -> Text,
        /// Owning connection.
        connection_id -> Text,
        /// The dataset as JSON.
        body -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Privacy requests.
    privacy_requests (id) {
        /// `pri_<uuid>`.
        id -> Text,
        /// Caller's own id.
        external_id -> Nullable<Text>,
        /// Status (Fides' names).
        status -> Text,
        /// The policy applied.
        policy_id -> Text,
        /// Identity JSON, sealed.
        identity -> Binary,
        /// Requester's package key, sealed.
        encryption_key -> Nullable<Binary>,
        /// Where the request came from.
        source -> Nullable<Text>,
        /// Client that submitted it (authenticated route).
        submitted_by -> Nullable<Text>,
        /// When the subject asked.
        requested_at -> Timestamp,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
        /// When execution started.
        started_processing_at -> Nullable<Timestamp>,
        /// When execution ended (complete or error).
        finished_processing_at -> Nullable<Timestamp>,
        /// Step a retry resumes from.
        failed_step -> Nullable<Text>,
        /// Collection that failed.
        failed_collection -> Nullable<Text>,
        /// Stored package files (JSON list).
        result_files -> Nullable<Text>,
        /// When a reviewer approved or denied it.
        reviewed_at -> Nullable<Timestamp>,
        /// The reviewing client.
        reviewed_by -> Nullable<Text>,
        /// Why it was denied.
        deny_reason -> Nullable<Text>,
        /// When the subject verified their identity.
        identity_verified_at -> Nullable<Timestamp>,
        /// When it was canceled.
        canceled_at -> Nullable<Timestamp>,
        /// Why it was canceled.
        cancel_reason -> Nullable<Text>,
        /// Masking secrets (JSON), sealed.
        masking_secrets -> Nullable<Binary>,
        /// When a two-way pre-execution webhook halted it.
        paused_at -> Nullable<Timestamp>,
        /// The webhook that halted it (its resume token names it).
        paused_webhook_id -> Nullable<Text>,
        /// Pre-execution webhooks at or before this position have run.
        pre_webhooks_after -> Nullable<Integer>,
        /// Every pre-execution webhook has run.
        pre_webhooks_done -> Bool,
        /// Identities webhooks derived (JSON), sealed.
        derived_identity -> Nullable<Binary>,
        /// When its results and identities were deleted (retention).
        data_purged_at -> Nullable<Timestamp>,
        /// Custom privacy request fields (JSON), sealed.
        custom_fields -> Nullable<Binary>,
    }
}

diesel::table! {
    /// OAuth 2 authorization code flows under way.
    oauth_authorization_requests (state) {
        /// The state sent to the authorize page.
        state -> Text,
        /// The connection being authorised.
        connection_id -> Text,
        /// The page the person came from.
        referer -> Nullable<Text>,
        /// When the flow started.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Webhooks a policy calls before and after a request runs.
    policy_webhooks (id) {
        /// `pwh_<uuid>`.
        id -> Text,
        /// Key, unique per timing.
        key -> Text,
        /// Name.
        name -> Text,
        /// The policy.
        policy_id -> Text,
        /// The `https` connection called.
        connection_id -> Text,
        /// `pre_execution` or `post_execution`.
        timing -> Text,
        /// `one_way` or `two_way`.
        direction -> Text,
        /// Call order, from 0.
        position -> Integer,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Identity verification codes (keyed digests).
    privacy_request_verifications (privacy_request_id) {
        /// The request.
        privacy_request_id -> Text,
        /// Keyed digest of request id and code.
        code_digest -> Text,
        /// When the code expires.
        expires_at -> Timestamp,
        /// Wrong codes given so far.
        failed_attempts -> Integer,
        /// When the code was issued.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Fields of manual_request connections.
    manual_request_fields (connection_id) {
        /// The connection.
        connection_id -> Text,
        /// JSON list of {pii_field, dsr_package_label}.
        fields -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Manual input uploaded for a request and a manual_request connection.
    manual_request_inputs (privacy_request_id, connection_id) {
        /// The request.
        privacy_request_id -> Text,
        /// The connection.
        connection_id -> Text,
        /// Sealed JSON object of label → value.
        data -> Binary,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Keyed digests of identity values.
    privacy_request_identities (privacy_request_id, field_name) {
        /// The request.
        privacy_request_id -> Text,
        /// Identity key (`email`, …).
        field_name -> Text,
        /// HMAC of the value.
        value_digest -> Text,
    }
}

diesel::table! {
    /// Execution logs of privacy requests.
    execution_logs (id) {
        /// `exe_<uuid>`.
        id -> Text,
        /// The request.
        privacy_request_id -> Text,
        /// Order within the request.
        seq -> BigInt,
        /// Dataset key (or a step name such as `Dataset traversal`).
        dataset_name -> Nullable<Text>,
        /// Collection.
        collection_name -> Nullable<Text>,
        /// Connection.
        connection_key -> Nullable<Text>,
        /// `access` or `erasure`.
        action_type -> Text,
        /// `in_processing`, `complete`, `error`, `skipped`, …
        status -> Text,
        /// What happened.
        message -> Nullable<Text>,
        /// Fields affected (JSON list).
        fields_affected -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Access results kept for resuming a failed request.
    privacy_request_checkpoints (privacy_request_id) {
        /// The request.
        privacy_request_id -> Text,
        /// Results JSON, sealed.
        results -> Binary,
        /// Creation time.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Systems inventory: Fides systems with their privacy declarations.
    systems (fides_key) {
        /// Unique system key.
        fides_key -> Text,
        /// Display name.
        name -> Text,
        /// The system as JSON.
        body -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Privacy assessments: one template applied to one system.
    assessments (id) {
        /// `pri_<uuid>`.
        id -> Text,
        /// Template key, e.g. `gdpr_dpia`.
        template_id -> Text,
        /// The system's `fides_key`.
        system_id -> Text,
        /// The system's name when last evaluated.
        system_name -> Text,
        /// `in_progress`, `completed` or `outdated`.
        status -> Text,
        /// `high` or NULL.
        risk_level -> Nullable<Text>,
        /// JSON list of the high-risk criteria met.
        risk_criteria -> Text,
        /// Share of required questions answered completely, 0-100.
        completeness -> Double,
        /// Whether AI pre-fill was asked for.
        ai_enabled -> Bool,
        /// JSON of the facts the last evaluation read.
        snapshot -> Nullable<Text>,
        /// SHA-256 of `snapshot`.
        snapshot_hash -> Nullable<Text>,
        /// When answers were last generated.
        last_evaluated_at -> Nullable<Timestamp>,
        /// Client that created it.
        created_by -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The current answer of each answered question.
    assessment_answers (assessment_id, question_id) {
        /// The assessment.
        assessment_id -> Text,
        /// The template question.
        question_id -> Text,
        /// Answer text.
        answer -> Text,
        /// `system`, `ai_analysis`, `user_input` or `team_input`.
        source -> Text,
        /// `complete`, `partial` or `needs_input`.
        status -> Text,
        /// The version this answer is.
        version_number -> Integer,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Immutable answer history.
    answer_versions (id) {
        /// `ver_<uuid>`.
        id -> Text,
        /// The assessment.
        assessment_id -> Text,
        /// The template question.
        question_id -> Text,
        /// 1, 2, ... per question.
        version_number -> Integer,
        /// Answer text.
        answer -> Text,
        /// Where the answer came from.
        source -> Text,
        /// Answer status at this version.
        status -> Text,
        /// Client id, `system` or `ai_agent`.
        created_by -> Text,
        /// Creation time.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Facts cited by answers.
    assessment_evidence (id) {
        /// `evi_<uuid>`.
        id -> Text,
        /// The assessment.
        assessment_id -> Text,
        /// The question group.
        group_id -> Text,
        /// The question.
        question_id -> Text,
        /// Order within the assessment.
        seq -> Integer,
        /// `system`, `privacy_declaration`, `data_use` or `dataset`.
        kind -> Text,
        /// Display label.
        label -> Text,
        /// The cited value.
        value -> Text,
        /// Key of the record cited.
        source_id -> Text,
        /// Creation time.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Every change to an assessment.
    assessment_audit_log (id) {
        /// `aud_<uuid>`.
        id -> Text,
        /// The assessment.
        assessment_id -> Text,
        /// Order within the assessment.
        seq -> BigInt,
        /// Client id, `system` or `ai_agent`.
        actor -> Text,
        /// e.g. `answer_updated`.
        action -> Text,
        /// The question concerned, if any.
        question_id -> Nullable<Text>,
        /// JSON object with context.
        details -> Text,
        /// When it happened.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Generation and re-evaluation tasks.
    assessment_tasks (id) {
        /// `tsk_<uuid>`.
        id -> Text,
        /// `generate` or `re_evaluate`.
        action_type -> Text,
        /// `pending`, `running`, `complete` or `failed`.
        status -> Text,
        /// 0-100.
        progress -> Double,
        /// Why it failed.
        error -> Nullable<Text>,
        /// The assessment it works on.
        assessment_id -> Text,
        /// The failed task this one retries.
        retry_of -> Nullable<Text>,
        /// Client that asked for it.
        created_by -> Text,
        /// Creation time.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
        /// Reservations of a completed task (AI drafts that failed).
        message -> Nullable<Text>,
    }
}

diesel::table! {
    /// Assessment configuration (one row, id `default`).
    assessment_config (id) {
        /// `default`.
        id -> Text,
        /// Model override for generation.
        assessment_model -> Nullable<Text>,
        /// Model override for questionnaire chat.
        chat_model -> Nullable<Text>,
        /// Periodic re-evaluation on or off.
        reassessment_enabled -> Bool,
        /// Five-field cron expression.
        reassessment_cron -> Text,
        /// Last change.
        updated_at -> Timestamp,
        /// Questionnaire tone; NULL for the default.
        tone_prompt -> Nullable<Text>,
    }
}

diesel::table! {
    /// Slack questionnaires.
    assessment_questionnaires (id) {
        /// `qnr_<uuid>`.
        id -> Text,
        /// The assessment.
        assessment_id -> Text,
        /// Slack channel id.
        channel -> Text,
        /// Polling rounds queued so far.
        poll_round -> Integer,
        /// Client that sent it.
        created_by -> Text,
        /// When it was sent.
        sent_at -> Timestamp,
    }
}

diesel::table! {
    /// Questions posted in a questionnaire.
    questionnaire_questions (questionnaire_id, question_id) {
        /// The questionnaire.
        questionnaire_id -> Text,
        /// The template question.
        question_id -> Text,
        /// Order posted.
        position -> Integer,
        /// Slack `ts` of the posted message (the thread).
        message_ts -> Text,
        /// When it was posted.
        sent_at -> Timestamp,
        /// `ts` of the last human reply taken.
        last_reply_ts -> Nullable<Text>,
        /// When the first human reply was taken.
        response_received_at -> Nullable<Timestamp>,
        /// Reminders posted.
        reminder_count -> Integer,
        /// When the last reminder was posted.
        last_reminder_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Claimed firings of schedules.
    schedule_runs (schedule, fire_at) {
        /// Schedule name.
        schedule -> Text,
        /// The firing time.
        fire_at -> Timestamp,
        /// The process that ran it.
        claimed_by -> Text,
        /// When it was claimed.
        claimed_at -> Timestamp,
    }
}

diesel::joinable!(datasets -> connections (connection_id));
diesel::joinable!(rules -> policies (policy_id));
diesel::joinable!(rule_targets -> rules (rule_id));
diesel::joinable!(spaces -> orgs (org_id));
diesel::joinable!(privacy_notices -> spaces (space_id));
diesel::joinable!(processing_purposes -> privacy_notices (notice_id));
diesel::joinable!(products -> spaces (space_id));
diesel::joinable!(products -> processing_purposes (processing_purpose_id));
diesel::joinable!(privacy_requests -> policies (policy_id));
diesel::joinable!(privacy_request_identities -> privacy_requests (privacy_request_id));
diesel::joinable!(policy_webhooks -> policies (policy_id));
diesel::joinable!(policy_webhooks -> connections (connection_id));
diesel::table! {
    /// Messaging templates: the text of each subject email type.
    messaging_templates (template_type) {
        /// The type (`privacy_request_receipt`, …).
        template_type -> Text,
        /// The subject line.
        subject -> Text,
        /// The body, with `__VAR__` placeholders.
        body -> Text,
        /// When it was last stored.
        updated_at -> Timestamp,
    }
}

diesel::joinable!(oauth_authorization_requests -> connections (connection_id));
diesel::joinable!(execution_logs -> privacy_requests (privacy_request_id));
diesel::joinable!(privacy_request_verifications -> privacy_requests (privacy_request_id));
diesel::joinable!(manual_request_fields -> connections (connection_id));
diesel::joinable!(manual_request_inputs -> privacy_requests (privacy_request_id));
diesel::joinable!(manual_request_inputs -> connections (connection_id));
diesel::joinable!(assessment_answers -> assessments (assessment_id));
diesel::joinable!(answer_versions -> assessments (assessment_id));
diesel::joinable!(assessment_evidence -> assessments (assessment_id));
diesel::joinable!(assessment_audit_log -> assessments (assessment_id));
diesel::joinable!(assessment_tasks -> assessments (assessment_id));
diesel::joinable!(assessment_questionnaires -> assessments (assessment_id));
diesel::joinable!(questionnaire_questions -> assessment_questionnaires (questionnaire_id));

diesel::allow_tables_to_appear_in_same_query!(
    server_settings,
    oauth_clients,
    redaction_patterns,
    jobs,
    orgs,
    spaces,
    privacy_notices,
    processing_purposes,
    products,
    storage_configs,
    policies,
    rules,
    rule_targets,
    connections,
    datasets,
    privacy_requests,
    policy_webhooks,
    oauth_authorization_requests,
    messaging_templates,
    privacy_request_identities,
    execution_logs,
    privacy_request_checkpoints,
    privacy_request_verifications,
    manual_request_fields,
    manual_request_inputs,
    systems,
    assessments,
    assessment_answers,
    answer_versions,
    assessment_evidence,
    assessment_audit_log,
    assessment_tasks,
    assessment_config,
    assessment_questionnaires,
    questionnaire_questions,
    schedule_runs,
);
