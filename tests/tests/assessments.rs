//! Privacy assessments over HTTP: the systems inventory, templates, generation as durable jobs
//! with evidence-based pre-fill, risk screening, versioned answers, audit log, evidence,
//! outdated detection and re-evaluation, tasks and retries, configuration and scopes.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use lethe_tests::assess::{BASE, question, wait_task};
use lethe_tests::shop::{CustomerDb, Kind, register};
use lethe_tests::{TestApp, bearer, send};
use serde_json::{Value, json};

fn shop_system() -> Value {
    json!({
        "fides_key": "web_shop",
        "name": "Web shop",
        "description": "Online store selling garden furniture",
        "administrating_department": "E-commerce",
        "responsibility": ["Controller"],
        "dpo": "dpo@example.com",
        "data_security_practices": "TLS everywhere, AES-256 at rest, SSO with MFA for staff",
        "dataset_references": ["shop_db"],
        "privacy_declarations": [
            {"name": "Orders", "data_use": "essential.service", "data_categories": ["user.contact.email", "user.name"],
             "data_subjects": ["customer"], "legal_basis_for_processing": "Contract", "retention_period": "6 years",
             "third_parties": "Parcel carriers"},
            {"name": "Newsletter", "data_use": "marketing.communications.email", "data_categories": ["user.contact.email"],
             "data_subjects": ["customer"], "legal_basis_for_processing": "Consent", "retention_period": "Until unsubscribed"}
        ]
    })
}

async fn call<S, B>(service: &S, token: &str, request: TestRequest) -> lethe_tests::Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    send(service, request.insert_header(bearer(token))).await
}

async fn add_system<S, B>(service: &S, token: &str, system: Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let created = call(service, token, TestRequest::post().uri("/api/v1/system").set_json(&system)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
}

/// Creates assessments and waits for every generation task to complete.
async fn generate<S, B>(service: &S, token: &str, body: Value) -> Vec<Value>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let created = call(service, token, TestRequest::post().uri(&format!("{BASE}/")).set_json(&body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let list = created.body.as_array().unwrap().clone();
    for item in &list {
        let task = wait_task(service, token, item["task_id"].as_str().unwrap(), &["complete", "failed"]).await;
        assert_eq!(task["status"], "complete", "{task:?}");
    }
    list
}

async fn get_assessment<S, B>(service: &S, token: &str, id: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let got = call(service, token, TestRequest::get().uri(&format!("{BASE}/{id}"))).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    got.body
}

/// Completeness as the spec defines it, recomputed from the questions.
fn expected_completeness(assessment: &Value) -> f64 {
    let questions: Vec<&Value> = assessment["question_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["questions"].as_array().unwrap())
        .collect();
    let required: Vec<&&Value> = questions.iter().filter(|q| q["required"] == true).collect();
    let complete = required.iter().filter(|q| q["answer_status"] == "complete").count();
    ((complete as f64) * 1000.0 / (required.len() as f64)).round() / 10.0
}

#[actix_web::test]
async fn systems_are_validated_against_the_taxonomy_and_kept_by_key() {
    let (_app, service, root) = lethe_tests::ready().await;

    add_system(&service, &root, shop_system()).await;
    let again = call(&service, &root, TestRequest::post().uri("/api/v1/system").set_json(shop_system())).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["detail"], "A system with fides_key 'web_shop' already exists");

    let mut bad = shop_system();
    bad["fides_key"] = json!("other");
    bad["privacy_declarations"][0]["data_categories"][1] = json!("user.shoe_size");
    bad["privacy_declarations"][1]["data_use"] = json!("spamming");
    bad["privacy_declarations"][1]["legal_basis_for_processing"] = json!("Because");
    let refused = call(&service, &root, TestRequest::post().uri("/api/v1/system").set_json(&bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<&Value> = refused.body["detail"].as_array().unwrap().iter().map(|d| &d["loc"]).collect();
    assert_eq!(
        locs,
        [
            &json!(["body", "privacy_declarations", 0, "data_categories", 1]),
            &json!(["body", "privacy_declarations", 1, "data_use"]),
            &json!(["body", "privacy_declarations", 1, "legal_basis_for_processing"]),
        ]
    );
    assert_eq!(refused.body["detail"][0]["msg"], "Invalid data category: user.shoe_size");
    let unknown_field = call(
        &service,
        &root,
        TestRequest::post().uri("/api/v1/system").set_json(json!({"fides_key": "x", "owner": "me"})),
    )
    .await;
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", unknown_field.body);

    let listed = call(&service, &root, TestRequest::get().uri("/api/v1/system/")).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "the refused system was not stored");
    let got = call(&service, &root, TestRequest::get().uri("/api/v1/system/web_shop")).await;
    assert_eq!(got.body["privacy_declarations"][1]["name"], "Newsletter");
    assert_eq!(got.body["uses_profiling"], false);

    let mut changed = shop_system();
    changed["description"] = json!("Garden furniture and barbecues");
    let updated = call(&service, &root, TestRequest::put().uri("/api/v1/system").set_json(&changed)).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    let mut missing = shop_system();
    missing["fides_key"] = json!("nope");
    let not_there = call(&service, &root, TestRequest::put().uri("/api/v1/system").set_json(&missing)).await;
    assert_eq!(not_there.status, StatusCode::NOT_FOUND);

    let deleted = call(&service, &root, TestRequest::delete().uri("/api/v1/system/web_shop")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["message"], "resource deleted");
    assert_eq!(deleted.body["resource"]["description"], "Garden furniture and barbecues");
    let gone = call(&service, &root, TestRequest::get().uri("/api/v1/system/web_shop")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["detail"], "No system found with fides_key 'web_shop'");
}

#[actix_web::test]
async fn templates_have_stable_ids_and_questions_that_know_their_sources() {
    let (_app, service, root) = lethe_tests::ready().await;

    let listed = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/templates"))).await;
    assert_eq!(listed.status, StatusCode::OK);
    let ids: Vec<&str> = listed.body.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["gdpr_dpia", "uk_gdpr_dpia", "us_ca_cpra_risk_assessment", "eu_ai_act_fria"]);

    let one = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/templates/gdpr_dpia/"))).await;
    assert_eq!(one.status, StatusCode::OK, "trailing slash accepted");
    let categories = one.body["question_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["questions"].as_array().unwrap())
        .find(|q| q["id"] == "dpia_1_2")
        .unwrap()
        .clone();
    assert_eq!(categories["required"], true);
    assert_eq!(categories["coverage"], "full");
    assert_eq!(categories["sources"], json!(["privacy_declarations.data_categories"]));
    assert!(!categories["guidance"].as_str().unwrap().is_empty());

    let unknown = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/templates/iso_27001"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["detail"], "No assessment template found with id 'iso_27001'");
}

#[actix_web::test]
async fn generation_prefills_answers_from_the_inventory_with_evidence_and_an_audit_trail() {
    let (_app, service, root) = lethe_tests::ready().await;
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop_store", "shop_db").await;
    add_system(&service, &root, shop_system()).await;

    let created = call(
        &service,
        &root,
        TestRequest::post().uri(BASE).set_json(json!({"template_ids": ["gdpr_dpia"], "system_ids": ["web_shop"]})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let item = &created.body[0];
    let id = item["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pri_"));
    assert_eq!(item["template_id"], "gdpr_dpia");
    assert_eq!(item["system_id"], "web_shop");
    let task = wait_task(&service, &root, item["task_id"].as_str().unwrap(), &["complete", "failed"]).await;
    assert_eq!(task["status"], "complete", "{task:?}");
    assert_eq!(task["progress"], 100.0);
    assert_eq!(task["assessment_id"], id.as_str());
    assert_eq!(task["error"], Value::Null);

    let a = get_assessment(&service, &root, &id).await;
    assert_eq!(a["status"], "in_progress");
    assert_eq!(a["risk_level"], Value::Null, "one ordinary shop: no WP248 criterion");
    assert_eq!(a["completeness"].as_f64().unwrap(), expected_completeness(&a));
    assert!(a["completeness"].as_f64().unwrap() > 0.0);

    let categories = question(&a, "dpia_1_2");
    assert_eq!(categories["answer_source"], "system");
    assert_eq!(categories["answer_status"], "complete");
    let text = categories["answer"].as_str().unwrap();
    assert!(text.contains("- Orders: User Contact Email (user.contact.email), Name (user.name)"), "{text}");
    let flows = question(&a, "dpia_1_6");
    assert_eq!(flows["answer_status"], "partial");
    assert!(flows["answer"].as_str().unwrap().contains("on connection shop_store: collections address"), "{flows:?}");
    let interest = question(&a, "dpia_1_7");
    assert_eq!(interest["answer_status"], "complete");
    assert!(
        interest["answer"]
            .as_str()
            .unwrap()
            .starts_with("Not applicable: no processing activity relies on legitimate interests")
    );
    assert_eq!(question(&a, "dpia_3_2")["answer_status"], "needs_input", "the newsletter relies on consent");
    let minimisation = question(&a, "dpia_2_4");
    assert_eq!(minimisation["answer_status"], "needs_input");
    assert_eq!(minimisation["answer"], Value::Null);
    assert_eq!(minimisation["answer_source"], Value::Null);
    assert!(question(&a, "dpia_6_1")["answer"].as_str().unwrap().contains("AES-256 at rest"));

    let evidence = call(
        &service,
        &root,
        TestRequest::get().uri(&format!("{BASE}/{id}/question-groups/systematic_description/evidence")),
    )
    .await;
    assert_eq!(evidence.status, StatusCode::OK);
    let declarations = evidence.body["privacy_declaration"].as_array().unwrap();
    assert!(declarations.iter().any(|e| e["source_id"] == "web_shop/Orders"
        && e["label"] == "Retention period (Orders)"
        && e["value"] == "6 years"
        && e["type"] == "privacy_declaration"));
    let datasets = evidence.body["dataset"].as_array().unwrap();
    assert_eq!(datasets[0]["source_id"], "shop_db");
    assert!(evidence.body["system"].as_array().unwrap().iter().any(|e| e["value"] == "Web shop"));
    assert!(evidence.body["data_use"].as_array().is_some());
    let no_group =
        call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/question-groups/nope/evidence"))).await;
    assert_eq!(no_group.status, StatusCode::NOT_FOUND);

    let history =
        call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/questions/dpia_1_2/history"))).await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
    assert_eq!(history.body[0]["created_by"], "system");
    assert_eq!(history.body[0]["source"], "system");
    assert_eq!(history.body[0]["answer"], categories["answer"]);

    let audit = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/audit-log"))).await;
    let entries = audit.body.as_array().unwrap();
    assert_eq!(entries[0]["action"], "generated", "newest first");
    assert_eq!(entries.last().unwrap()["action"], "assessment_created");
    assert_eq!(entries.last().unwrap()["actor"], "root");
    assert!(entries.iter().any(|e| e["action"] == "answer_generated"
        && e["question_id"] == "dpia_1_2"
        && e["actor"] == "system"
        && e["details"]["version_number"] == 1));

    let listed = call(&service, &root, TestRequest::get().uri(BASE)).await;
    assert_eq!(listed.status, StatusCode::OK, "the base path without a slash is accepted");
    assert_eq!(listed.body[0]["id"], id.as_str());
    assert!(listed.body[0].get("question_groups").is_none());
}

#[actix_web::test]
async fn unknown_templates_and_systems_are_named_in_the_422() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;

    let refused = call(
        &service,
        &root,
        TestRequest::post()
            .uri(&format!("{BASE}/"))
            .set_json(json!({"template_ids": ["gdpr_dpia", "iso_27001"], "system_ids": ["crm", "web_shop"]})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["detail"][0]["loc"], json!(["body", "template_ids", 1]));
    assert!(refused.body["detail"][0]["msg"].as_str().unwrap().starts_with("Unknown template 'iso_27001'"));
    assert_eq!(refused.body["detail"][1]["loc"], json!(["body", "system_ids", 0]));
    assert_eq!(refused.body["detail"][1]["msg"], "Unknown system 'crm'");

    for body in [
        json!({"template_ids": []}),
        json!({"system_ids": ["web_shop"]}),
        json!({"template_ids": ["gdpr_dpia"], "system_ids": []}),
    ] {
        let bad = call(&service, &root, TestRequest::post().uri(&format!("{BASE}/")).set_json(&body)).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let none = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/"))).await;
    assert_eq!(none.body, json!([]), "nothing was created");
}

#[actix_web::test]
async fn risk_level_and_high_risk_only_follow_the_wp248_rules() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;
    add_system(
        &service,
        &root,
        json!({"fides_key": "hr_portal", "name": "HR portal", "privacy_declarations": [
            {"name": "Sick leave", "data_use": "employment", "data_categories": ["user.health_and_medical"],
             "data_subjects": ["employee"], "legal_basis_for_processing": "Legal obligations",
             "processes_special_category_data": true}
        ]}),
    )
    .await;
    add_system(&service, &root, json!({"fides_key": "flagged", "requires_data_protection_assessments": true})).await;

    let created =
        generate(&service, &root, json!({"template_ids": ["gdpr_dpia"], "high_risk_only": true, "ai_enabled": false}))
            .await;
    let mut systems: Vec<&str> = created.iter().map(|a| a["system_id"].as_str().unwrap()).collect();
    systems.sort_unstable();
    assert_eq!(systems, ["flagged", "hr_portal"], "the plain shop is not high-risk");

    let hr = created.iter().find(|a| a["system_id"] == "hr_portal").unwrap();
    let hr = get_assessment(&service, &root, hr["id"].as_str().unwrap()).await;
    assert_eq!(hr["risk_level"], "high");
    let criteria: Vec<&str> =
        hr["risk_criteria"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(criteria, ["wp248_4", "wp248_7"]);
    let screening = question(&hr, "dpia_0_1");
    assert!(screening["answer"].as_str().unwrap().contains("a DPIA is required"), "{screening:?}");
    assert_eq!(question(&hr, "dpia_2_2")["answer_status"], "needs_input", "health data needs its Art. 9 condition");

    let all = generate(&service, &root, json!({"template_ids": ["gdpr_dpia"], "system_ids": ["web_shop"]})).await;
    let shop = get_assessment(&service, &root, all[0]["id"].as_str().unwrap()).await;
    assert_eq!(shop["risk_level"], Value::Null);
    assert_eq!(shop["risk_criteria"], json!([]));
}

#[actix_web::test]
async fn answers_are_versioned_reverted_and_audited_with_the_client_as_author() {
    let (app, service, root) = lethe_tests::ready().await;
    let (client, token) = app.client_with(&["privacy-assessment:read", "privacy-assessment:update"]);
    add_system(&service, &root, shop_system()).await;
    let created = generate(&service, &root, json!({"template_ids": ["gdpr_dpia"], "system_ids": ["web_shop"]})).await;
    let id = created[0]["id"].as_str().unwrap();
    let before = get_assessment(&service, &root, id).await["completeness"].as_f64().unwrap();
    let path = format!("{BASE}/{id}/questions/dpia_2_4");

    let first = call(
        &service,
        &token,
        TestRequest::put().uri(&path).set_json(json!({"answer": "  Only what shipping needs.  "})),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["question"]["answer"], "Only what shipping needs.");
    assert_eq!(first.body["question"]["answer_source"], "user_input");
    assert_eq!(first.body["question"]["answer_status"], "complete");
    assert!(first.body["completeness"].as_f64().unwrap() > before);
    let v1 = first.body["version_id"].as_str().unwrap().to_owned();
    let second =
        call(&service, &token, TestRequest::put().uri(&path).set_json(json!({"answer": "Email and name only."}))).await;
    assert_eq!(second.status, StatusCode::OK);

    let reverted =
        call(&service, &token, TestRequest::post().uri(&format!("{path}/revert")).set_json(json!({"version_id": v1})))
            .await;
    assert_eq!(reverted.status, StatusCode::OK, "{:?}", reverted.body);
    assert_eq!(reverted.body["question"]["answer"], "Only what shipping needs.");

    let history = call(&service, &token, TestRequest::get().uri(&format!("{path}/history"))).await;
    let versions: Vec<(&str, i64, &str)> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (v["answer"].as_str().unwrap(), v["version_number"].as_i64().unwrap(), v["created_by"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        versions,
        [
            ("Only what shipping needs.", 3, client.as_str()),
            ("Email and name only.", 2, client.as_str()),
            ("Only what shipping needs.", 1, client.as_str()),
        ]
    );
    let audit = call(&service, &token, TestRequest::get().uri(&format!("{BASE}/{id}/audit-log"))).await;
    let top = &audit.body[0];
    assert_eq!(top["action"], "answer_reverted");
    assert_eq!(top["actor"], client.as_str());
    assert_eq!(top["question_id"], "dpia_2_4");
    assert_eq!(top["details"]["restored_version_id"], v1.as_str());
    assert_eq!(audit.body[1]["action"], "answer_updated");

    let other_version = call(
        &service,
        &token,
        TestRequest::post().uri(&format!("{BASE}/{id}/questions/dpia_2_5/revert")).set_json(json!({"version_id": v1})),
    )
    .await;
    assert_eq!(other_version.status, StatusCode::NOT_FOUND, "a version of another question");
    let unknown_question = call(
        &service,
        &token,
        TestRequest::put().uri(&format!("{BASE}/{id}/questions/dpia_99")).set_json(json!({"answer": "x"})),
    )
    .await;
    assert_eq!(unknown_question.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_question.body["detail"], "Question 'dpia_99' is not part of template 'gdpr_dpia'");
    let empty = call(&service, &token, TestRequest::put().uri(&path).set_json(json!({"answer": "   "}))).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["detail"][0]["loc"], json!(["body", "answer"]));
    let no_assessment = call(
        &service,
        &token,
        TestRequest::put().uri(&format!("{BASE}/pri_nope/questions/dpia_2_4")).set_json(json!({"answer": "x"})),
    )
    .await;
    assert_eq!(no_assessment.status, StatusCode::NOT_FOUND);
    let history_after = call(&service, &token, TestRequest::get().uri(&format!("{path}/history"))).await;
    assert_eq!(history_after.body.as_array().unwrap().len(), 3, "refused changes wrote nothing");
}

#[actix_web::test]
async fn answering_every_required_question_completes_the_assessment() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;
    let created =
        generate(&service, &root, json!({"template_ids": ["eu_ai_act_fria"], "system_ids": ["web_shop"]})).await;
    let id = created[0]["id"].as_str().unwrap();
    let a = get_assessment(&service, &root, id).await;
    let open: Vec<String> = a["question_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["questions"].as_array().unwrap())
        .filter(|q| q["required"] == true && q["answer_status"] != "complete")
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!open.is_empty());
    let mut last = Value::Null;
    for q in &open {
        last = call(
            &service,
            &root,
            TestRequest::put().uri(&format!("{BASE}/{id}/questions/{q}")).set_json(json!({"answer": "Reviewed."})),
        )
        .await
        .body;
    }
    assert_eq!(last["status"], "completed");
    assert_eq!(last["completeness"], 100.0);
    let a = get_assessment(&service, &root, id).await;
    assert_eq!(a["status"], "completed");
    let audit = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/audit-log"))).await;
    let change = audit.body.as_array().unwrap().iter().find(|e| e["action"] == "status_changed").unwrap();
    assert_eq!(change["details"]["from"], "in_progress");
    assert_eq!(change["details"]["to"], "completed");
    let completed = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/?status=completed"))).await;
    assert_eq!(completed.body.as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_changed_system_outdates_its_assessments_and_re_evaluation_keeps_human_answers() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;
    let created = generate(&service, &root, json!({"template_ids": ["gdpr_dpia"], "system_ids": ["web_shop"]})).await;
    let id = created[0]["id"].as_str().unwrap();
    let human = call(
        &service,
        &root,
        TestRequest::put()
            .uri(&format!("{BASE}/{id}/questions/dpia_1_2"))
            .set_json(json!({"answer": "Emails and names; nothing else."})),
    )
    .await;
    assert_eq!(human.status, StatusCode::OK);

    // Saving the same facts changes nothing.
    let same = call(&service, &root, TestRequest::put().uri("/api/v1/system").set_json(shop_system())).await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(get_assessment(&service, &root, id).await["status"], "in_progress");

    let mut changed = shop_system();
    changed["privacy_declarations"][0]["retention_period"] = json!("10 years");
    changed["privacy_declarations"][0]["data_categories"] =
        json!(["user.contact.email", "user.name", "user.contact.address"]);
    let saved = call(&service, &root, TestRequest::put().uri("/api/v1/system").set_json(&changed)).await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(get_assessment(&service, &root, id).await["status"], "outdated");
    let audit = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/audit-log"))).await;
    assert_eq!(audit.body[0]["action"], "status_changed");
    assert_eq!(audit.body[0]["details"]["to"], "outdated");
    assert_eq!(audit.body[0]["details"]["changed_facts"], json!(["system.privacy_declarations"]));
    let outdated = call(&service, &root, TestRequest::get().uri(&format!("{BASE}?status=outdated"))).await;
    assert_eq!(outdated.body.as_array().unwrap().len(), 1);

    let queued = call(&service, &root, TestRequest::post().uri(&format!("{BASE}/re-evaluate"))).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{:?}", queued.body);
    let tasks = queued.body.as_array().unwrap();
    assert_eq!(tasks.len(), 1, "every outdated assessment");
    assert_eq!(tasks[0]["action_type"], "re_evaluate");
    assert_eq!(tasks[0]["assessment_id"], id);
    let done = wait_task(&service, &root, tasks[0]["id"].as_str().unwrap(), &["complete", "failed"]).await;
    assert_eq!(done["status"], "complete", "{done:?}");

    let a = get_assessment(&service, &root, id).await;
    assert_eq!(a["status"], "in_progress");
    assert_eq!(a["task_id"], tasks[0]["id"]);
    let kept = question(&a, "dpia_1_2");
    assert_eq!(kept["answer"], "Emails and names; nothing else.");
    assert_eq!(kept["answer_source"], "user_input");
    let retention = question(&a, "dpia_1_5");
    assert!(retention["answer"].as_str().unwrap().contains("- Orders: 10 years"));
    let history =
        call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/questions/dpia_1_5/history"))).await;
    assert_eq!(history.body.as_array().unwrap().len(), 2);
    assert!(history.body[1]["answer"].as_str().unwrap().contains("6 years"));
    let evidence = call(
        &service,
        &root,
        TestRequest::get().uri(&format!("{BASE}/{id}/question-groups/systematic_description/evidence")),
    )
    .await;
    assert!(
        evidence.body["privacy_declaration"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["value"].as_str().unwrap().contains("user.contact.address"))
    );
    let after = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{id}/audit-log"))).await;
    assert_eq!(after.body[0]["action"], "re_evaluated");
    assert!(
        after
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "status_changed" && e["details"]["from"] == "outdated")
    );

    let unknown = call(
        &service,
        &root,
        TestRequest::post().uri(&format!("{BASE}/re-evaluate")).set_json(json!({"assessment_ids": [id, "pri_nope"]})),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["detail"][0]["loc"], json!(["body", "assessment_ids", 1]));
}

#[actix_web::test]
async fn a_failed_task_names_the_cause_and_its_retry_succeeds_once_the_cause_is_fixed() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;
    let created =
        generate(&service, &root, json!({"template_ids": ["uk_gdpr_dpia"], "system_ids": ["web_shop"]})).await;
    let id = created[0]["id"].as_str().unwrap();
    let first_task = created[0]["task_id"].as_str().unwrap();

    let not_failed = call(&service, &root, TestRequest::post().uri(&format!("{BASE}/tasks/{first_task}/retry"))).await;
    assert_eq!(not_failed.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_failed.body["detail"], format!("Only failed tasks can be retried; task '{first_task}' is complete"));

    let deleted = call(&service, &root, TestRequest::delete().uri("/api/v1/system/web_shop")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(get_assessment(&service, &root, id).await["status"], "outdated");

    let queued = call(
        &service,
        &root,
        TestRequest::post().uri(&format!("{BASE}/re-evaluate/")).set_json(json!({"assessment_ids": [id]})),
    )
    .await;
    let task = queued.body[0]["id"].as_str().unwrap().to_owned();
    let failed = wait_task(&service, &root, &task, &["complete", "failed"]).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["error"],
        "System 'web_shop' no longer exists; add it back to the inventory, then retry this task"
    );
    assert_eq!(get_assessment(&service, &root, id).await["status"], "outdated", "nothing half-written");

    add_system(&service, &root, shop_system()).await;
    let retried = call(&service, &root, TestRequest::post().uri(&format!("{BASE}/tasks/{task}/retry"))).await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{:?}", retried.body);
    assert_eq!(retried.body["retry_of"], task.as_str());
    assert_ne!(retried.body["id"], task.as_str());
    let done = wait_task(&service, &root, retried.body["id"].as_str().unwrap(), &["complete", "failed"]).await;
    assert_eq!(done["status"], "complete");
    assert_eq!(get_assessment(&service, &root, id).await["status"], "in_progress");

    let tasks = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/tasks"))).await;
    let ids: Vec<&str> = tasks.body.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], retried.body["id"].as_str().unwrap(), "newest first");
    let missing = call(&service, &root, TestRequest::post().uri(&format!("{BASE}/tasks/tsk_nope/retry"))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn deleting_an_assessment_removes_its_answers_versions_evidence_and_tasks() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;
    let created = generate(
        &service,
        &root,
        json!({"template_ids": ["gdpr_dpia", "us_ca_cpra_risk_assessment"], "system_ids": ["web_shop"]}),
    )
    .await;
    let (id, task) = (created[0]["id"].as_str().unwrap(), created[0]["task_id"].as_str().unwrap());
    let kept = created[1]["id"].as_str().unwrap();

    let deleted = call(&service, &root, TestRequest::delete().uri(&format!("{BASE}/{id}"))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    for path in [
        format!("{BASE}/{id}"),
        format!("{BASE}/{id}/questions/dpia_1_2/history"),
        format!("{BASE}/{id}/audit-log"),
        format!("{BASE}/{id}/question-groups/systematic_description/evidence"),
        format!("{BASE}/tasks/{task}"),
    ] {
        let got = call(&service, &root, TestRequest::get().uri(&path)).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}");
    }
    let again = call(&service, &root, TestRequest::delete().uri(&format!("{BASE}/{id}"))).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.body["detail"], format!("No privacy assessment found with id '{id}'"));

    let cpra = get_assessment(&service, &root, kept).await;
    assert_eq!(question(&cpra, "cpra_t_1")["answer"].as_str().unwrap().split('.').next(), Some("No"));
    assert!(question(&cpra, "cpra_t_2")["answer"].as_str().unwrap().starts_with("No sensitive personal information"));
    let history =
        call(&service, &root, TestRequest::get().uri(&format!("{BASE}/{kept}/questions/cpra_2_1/history"))).await;
    assert_eq!(history.body.as_array().unwrap().len(), 1, "the other assessment is untouched");
}

#[actix_web::test]
async fn the_list_filters_by_status_template_and_system() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;
    let mut crm = shop_system();
    crm["fides_key"] = json!("crm");
    add_system(&service, &root, crm).await;
    generate(&service, &root, json!({"template_ids": ["gdpr_dpia", "eu_ai_act_fria"]})).await;

    let count = |query: &str| {
        let uri = format!("{BASE}/?{query}");
        let service = &service;
        let root = &root;
        async move {
            let got = call(service, root, TestRequest::get().uri(&uri)).await;
            assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
            got.body.as_array().unwrap().len()
        }
    };
    assert_eq!(count("").await, 4);
    assert_eq!(count("template_id=eu_ai_act_fria").await, 2);
    assert_eq!(count("system_id=crm").await, 2);
    assert_eq!(count("system_id=crm&template_id=gdpr_dpia").await, 1);
    assert_eq!(count("status=in_progress").await, 4);
    assert_eq!(count("status=outdated").await, 0);
    let bad = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/?status=done"))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["detail"][0]["loc"], json!(["query", "status"]));
}

#[actix_web::test]
async fn the_fria_cites_the_dpia_of_the_same_system() {
    let (_app, service, root) = lethe_tests::ready().await;
    add_system(&service, &root, shop_system()).await;
    let dpia = generate(&service, &root, json!({"template_ids": ["gdpr_dpia"], "system_ids": ["web_shop"]})).await;
    let fria = generate(&service, &root, json!({"template_ids": ["eu_ai_act_fria"], "system_ids": ["web_shop"]})).await;
    let fria = get_assessment(&service, &root, fria[0]["id"].as_str().unwrap()).await;
    let link = question(&fria, "fria_1_3");
    assert_eq!(link["answer_status"], "complete");
    assert!(link["answer"].as_str().unwrap().contains(dpia[0]["id"].as_str().unwrap()), "{link:?}");
}

#[actix_web::test]
async fn configuration_checks_the_cron_expression_and_restores_defaults() {
    let (_app, service, root) = lethe_tests::ready().await;
    let defaults = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/config/defaults"))).await;
    assert_eq!(defaults.status, StatusCode::OK);
    assert_eq!(defaults.body["reassessment_cron"], "0 9 * * *");
    assert_eq!(defaults.body["reassessment_enabled"], false);
    let config = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/config"))).await;
    assert_eq!(config.body, defaults.body, "nothing stored yet: the defaults are in force");

    let bad = call(
        &service,
        &root,
        TestRequest::put()
            .uri(&format!("{BASE}/config"))
            .set_json(json!({"reassessment_cron": "0 9 * *", "chat_model": ""})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<&Value> = bad.body["detail"].as_array().unwrap().iter().map(|d| &d["loc"]).collect();
    assert_eq!(locs, [&json!(["body", "chat_model"]), &json!(["body", "reassessment_cron"])]);
    let out_of_range = call(
        &service,
        &root,
        TestRequest::put().uri(&format!("{BASE}/config")).set_json(json!({"reassessment_cron": "0 25 * * *"})),
    )
    .await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        call(&service, &root, TestRequest::get().uri(&format!("{BASE}/config"))).await.body,
        defaults.body,
        "refused updates store nothing"
    );

    let set = call(
        &service,
        &root,
        TestRequest::put().uri(&format!("{BASE}/config")).set_json(json!({
            "reassessment_enabled": true, "reassessment_cron": "30 6 * * MON", "assessment_model": "llama3.1:70b"
        })),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let stored = call(&service, &root, TestRequest::get().uri(&format!("{BASE}/config/"))).await;
    assert_eq!(stored.body["assessment_model"], "llama3.1:70b");
    assert_eq!(stored.body["chat_model"], defaults.body["chat_model"]);
    assert_eq!(stored.body["reassessment_cron"], "30 6 * * MON");
    assert_eq!(stored.body["reassessment_enabled"], true);
    let reset = call(
        &service,
        &root,
        TestRequest::put().uri(&format!("{BASE}/config")).set_json(json!({"assessment_model": null})),
    )
    .await;
    assert_eq!(reset.body["assessment_model"], defaults.body["assessment_model"]);
    assert_eq!(reset.body["reassessment_enabled"], true, "fields left out keep their value");
    let unknown =
        call(&service, &root, TestRequest::put().uri(&format!("{BASE}/config")).set_json(json!({"cron": "x"}))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn every_route_asks_for_its_scope() {
    let app = TestApp::new();
    let service = app.service().await;
    let reader = app.token_with(&["privacy-assessment:read", "system:read"]);
    let checks = [
        (TestRequest::get().uri(&format!("{BASE}/")), StatusCode::OK),
        (TestRequest::get().uri(&format!("{BASE}/templates")), StatusCode::OK),
        (TestRequest::get().uri("/api/v1/system"), StatusCode::OK),
        (
            TestRequest::post().uri(&format!("{BASE}/")).set_json(json!({"template_ids": ["gdpr_dpia"]})),
            StatusCode::FORBIDDEN,
        ),
        (TestRequest::post().uri(&format!("{BASE}/re-evaluate")), StatusCode::FORBIDDEN),
        (TestRequest::delete().uri(&format!("{BASE}/pri_x")), StatusCode::FORBIDDEN),
        (TestRequest::get().uri(&format!("{BASE}/config")), StatusCode::FORBIDDEN),
        (TestRequest::put().uri(&format!("{BASE}/config")).set_json(json!({})), StatusCode::FORBIDDEN),
        (TestRequest::post().uri("/api/v1/system").set_json(shop_system()), StatusCode::FORBIDDEN),
        (TestRequest::delete().uri("/api/v1/system/web_shop"), StatusCode::FORBIDDEN),
        (
            TestRequest::put().uri(&format!("{BASE}/pri_x/questions/q")).set_json(json!({"answer": "a"})),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (request, expected) in checks {
        let got = call(&service, &reader, request).await;
        assert_eq!(got.status, expected, "{:?}", got.body);
    }
    let anonymous = send(&service, TestRequest::get().uri(&format!("{BASE}/templates"))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_questionnaire_tone_can_be_set_checked_and_reset() {
    let (app, service, root) = lethe_tests::ready().await;
    let uri = format!("{BASE}/questionnaire/tone");
    let default = call(&service, &root, TestRequest::get().uri(&uri)).await;
    assert_eq!(default.status, StatusCode::OK);
    assert!(default.body["tone_prompt"].as_str().unwrap().contains("plain words"));

    let set =
        call(&service, &root, TestRequest::put().uri(&uri).set_json(json!({"tone_prompt": "Formal, in German."})))
            .await;
    assert_eq!(set.body["tone_prompt"], "Formal, in German.");
    assert_eq!(call(&service, &root, TestRequest::get().uri(&uri)).await.body["tone_prompt"], "Formal, in German.");
    for bad in [json!({"tone_prompt": "  "}), json!({"tone_prompt": "x".repeat(2001)}), json!({})] {
        let refused = call(&service, &root, TestRequest::put().uri(&uri).set_json(&bad)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.body["detail"][0]["loc"], json!(["body", "tone_prompt"]));
    }
    let reset = call(&service, &root, TestRequest::post().uri(&format!("{uri}/reset"))).await;
    assert_eq!(reset.body, default.body);
    let reader = app.token_with(&["privacy-assessment:read"]);
    assert_eq!(call(&service, &reader, TestRequest::get().uri(&uri)).await.status, StatusCode::FORBIDDEN);
}

/// Asserts `got` holds everything in `given`, recursively (defaults may be added around it).
fn assert_holds(got: &Value, given: &Value, at: &str) {
    match (got, given) {
        (Value::Object(got), Value::Object(given)) => {
            for (key, value) in given {
                assert_holds(got.get(key).unwrap_or(&Value::Null), value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(got), Value::Array(given)) => {
            assert_eq!(got.len(), given.len(), "{at}");
            for (i, (got, given)) in got.iter().zip(given).enumerate() {
                assert_holds(got, given, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(got, given, "{at}"),
    }
}

/// A system with every field of fideslang's `System` and `PrivacyDeclaration`.
fn full_fides_system() -> Value {
    json!({
        "fides_key": "loyalty",
        "organization_fides_key": "default_organization",
        "tags": ["tier-1"],
        "name": "Loyalty programme",
        "description": "Points and rewards for returning customers",
        "meta": {"owner_team": "crm", "nested": {"x": [1, 2]}},
        "fidesctl_meta": {"resource_id": "arn:aws:rds:eu-west-1:1:db/loyalty", "endpoint_address": "db.internal", "endpoint_port": 5432},
        "system_type": "Service",
        "egress": [{"fides_key": "mailer", "type": "system", "data_categories": ["user.contact.email"]}],
        "ingress": [{"fides_key": "user", "type": "user"}],
        "privacy_declarations": [{
            "name": "Rewards",
            "data_use": "marketing.advertising.first_party.targeted",
            "data_categories": ["user.contact.email", "user.behavior.purchase_history"],
            "data_subjects": ["customer"],
            "dataset_references": ["loyalty_db"],
            "egress": ["mailer"],
            "ingress": ["user"],
            "features": ["Match and combine data from other data sources"],
            "flexible_legal_basis_for_processing": false,
            "legal_basis_for_processing": "Legitimate interests",
            "impact_assessment_location": "Confluence: LIA-2024-07",
            "retention_period": "3 years after the last purchase",
            "processes_special_category_data": false,
            "special_category_legal_basis": null,
            "data_shared_with_third_parties": true,
            "third_parties": "Mailing house",
            "shared_categories": ["user.contact.email"],
            "cookies": [{"name": "_ga", "path": "/"}]
        }],
        "administrating_department": "CRM",
        "vendor_id": "gvl.755",
        "previous_vendor_id": null,
        "vendor_deleted_date": null,
        "dataset_references": ["loyalty_db"],
        "processes_personal_data": true,
        "exempt_from_privacy_regulations": false,
        "reason_for_exemption": null,
        "uses_profiling": false,
        "legal_basis_for_profiling": ["Explicit consent"],
        "does_international_transfers": false,
        "legal_basis_for_transfers": [],
        "requires_data_protection_assessments": false,
        "dpa_location": "https://wiki.example.com/dpa/loyalty",
        "dpa_progress": "complete",
        "privacy_policy": "https://example.com/privacy",
        "legal_name": "Acme Retail Ltd",
        "legal_address": "1 High Street, London",
        "responsibility": ["Controller"],
        "dpo": "dpo@example.com",
        "joint_controller_info": "Acme Group plc for the shared customer database",
        "data_security_practices": "Encryption at rest",
        "cookie_max_age_seconds": 31536000.0,
        "uses_cookies": true,
        "cookie_refresh": false,
        "uses_non_cookie_access": false,
        "legitimate_interest_disclosure_url": "https://example.com/li",
        "cookies": []
    })
}

#[actix_web::test]
async fn fides_system_documents_load_unchanged_and_answer_questions() {
    let (_app, service, root) = lethe_tests::ready().await;

    // Fides' own sample systems, as its sample project ships them.
    let samples: Value = serde_json::from_str(include_str!("../fixtures/fides_sample_systems.json")).unwrap();
    for system in samples["system"].as_array().unwrap() {
        add_system(&service, &root, system.clone()).await;
        let key = system["fides_key"].as_str().unwrap();
        let got = call(&service, &root, TestRequest::get().uri(&format!("/api/v1/system/{key}"))).await;
        assert_holds(&got.body, system, key);
        assert_eq!(got.body["processes_personal_data"], true, "fideslang's default");
        assert_eq!(got.body["organization_fides_key"], "default_organization");
    }

    // Every field of the model comes back as given (the port as text, the float as an integer).
    let full = full_fides_system();
    add_system(&service, &root, full.clone()).await;
    let got = call(&service, &root, TestRequest::get().uri("/api/v1/system/loyalty")).await;
    let mut expected = full.clone();
    expected["fidesctl_meta"]["endpoint_port"] = json!("5432");
    expected["cookie_max_age_seconds"] = json!(31536000);
    assert_holds(&got.body, &expected, "loyalty");

    // Keys outside the models are refused, naming them.
    for (body, loc) in [
        (json!({"fides_key": "x", "colour": "red"}), json!(["body", "colour"])),
        (
            json!({"fides_key": "x", "privacy_declarations": [{"data_use": "essential", "purpose_of_life": 42}]}),
            json!(["body", "privacy_declarations", 0, "purpose_of_life"]),
        ),
    ] {
        let refused = call(&service, &root, TestRequest::post().uri("/api/v1/system").set_json(&body)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.body["detail"][0]["loc"], loc, "{}", refused.body);
        let msg = refused.body["detail"][0]["msg"].as_str().unwrap();
        assert!(msg.contains("colour") || msg.contains("purpose_of_life"), "{msg}");
    }
    // fideslang's own rules: flows named by a declaration must be the system's, `user` pairs with `user`.
    let mut bad = full_fides_system();
    bad["fides_key"] = json!("loyalty2");
    bad["privacy_declarations"][0]["egress"] = json!(["nowhere"]);
    bad["ingress"] = json!([{"fides_key": "user", "type": "system"}]);
    let refused = call(&service, &root, TestRequest::post().uri("/api/v1/system").set_json(&bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<&Value> = refused.body["detail"].as_array().unwrap().iter().map(|d| &d["loc"]).collect();
    assert!(locs.contains(&&json!(["body", "ingress", 0, "type"])), "{locs:?}");
    assert!(locs.contains(&&json!(["body", "privacy_declarations", 0, "egress", 0])), "{locs:?}");

    // The new fields answer questions: the controller and joint controller (accountability),
    // what is shared with whom (recipients).
    let created = generate(&service, &root, json!({"template_ids": ["gdpr_dpia"], "system_ids": ["loyalty"]})).await;
    let assessment = get_assessment(&service, &root, created[0]["id"].as_str().unwrap()).await;
    let accountability = question(&assessment, "dpia_6_2")["answer"].as_str().unwrap().to_owned();
    assert!(accountability.contains("Controller: Acme Retail Ltd, 1 High Street, London."), "{accountability}");
    assert!(accountability.contains("Joint controllers (Art. 26): Acme Group plc"), "{accountability}");
    let recipients = question(&assessment, "dpia_1_4")["answer"].as_str().unwrap().to_owned();
    assert!(recipients.contains("Mailing house (shared: "), "{recipients}");
    assert!(recipients.contains("Email"), "shared categories by name: {recipients}");
}

#[actix_web::test]
async fn bodies_documented_as_optional_may_be_absent_empty_or_null() {
    let (_app, service, root) = lethe_tests::ready().await;
    for body in ["", "  ", "null", "{}"] {
        let reply = call(
            &service,
            &root,
            TestRequest::post()
                .uri(&format!("{BASE}/re-evaluate"))
                .insert_header(("content-type", "application/json"))
                .set_payload(body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{body:?}: {}", reply.body);
    }
    let refused =
        call(&service, &root, TestRequest::post().uri(&format!("{BASE}/re-evaluate")).set_payload("[]")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}
