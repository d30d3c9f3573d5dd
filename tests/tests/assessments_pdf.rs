//! PDF export read back with `pdf-extract`: questions, answers, non-Latin text,
//! internal versus external content, and size.

#![expect(clippy::unwrap_used, reason = "test helpers")]

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use lethe_tests::assess::{BASE, wait_task};
use lethe_tests::{bearer, send};
use serde_json::json;

/// The PDF's text read back in Rust, with single spaces (lines wrap on the page).
fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[actix_web::test]
async fn the_pdf_holds_questions_answers_and_any_script_and_stays_small() {
    let (_app, service, root) = lethe_tests::ready().await;
    let system = json!({"fides_key": "sklep", "name": "Sklep internetowy", "description": "Sprzedaż mebli ogrodowych",
        "privacy_declarations": [{"name": "Zamówienia", "data_use": "essential.service",
            "data_categories": ["user.contact.email"], "data_subjects": ["customer"],
            "legal_basis_for_processing": "Contract", "retention_period": "6 lat"}]});
    assert_eq!(
        send(&service, TestRequest::post().uri("/api/v1/system").insert_header(bearer(&root)).set_json(system))
            .await
            .status,
        StatusCode::CREATED
    );
    let created = send(
        &service,
        TestRequest::post()
            .uri(&format!("{BASE}/"))
            .insert_header(bearer(&root))
            .set_json(json!({"template_ids": ["gdpr_dpia"]})),
    )
    .await;
    let (id, task) =
        (created.body[0]["id"].as_str().unwrap().to_owned(), created.body[0]["task_id"].as_str().unwrap().to_owned());
    wait_task(&service, &root, &task, &["complete"]).await;
    let answer = "Zażółć gęślą jaźń. Ελληνικά: προστασία δεδομένων. Русский: защита данных. Crème brûlée.";
    for text in ["First draft, replaced later.", answer] {
        let put = send(
            &service,
            TestRequest::put()
                .uri(&format!("{BASE}/{id}/questions/dpia_2_4"))
                .insert_header(bearer(&root))
                .set_json(json!({"answer": text})),
        )
        .await;
        assert_eq!(put.status, StatusCode::OK);
    }

    let internal =
        send(&service, TestRequest::get().uri(&format!("{BASE}/{id}/pdf")).insert_header(bearer(&root))).await;
    assert_eq!(internal.status, StatusCode::OK);
    assert_eq!(internal.header("content-type"), Some("application/pdf"));
    let disposition = internal.header("content-disposition").unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"gdpr_dpia-sklep-") && disposition.ends_with("-internal.pdf\""),
        "{disposition}"
    );
    // `send` reads bodies as text; the PDF is fetched again as bytes.
    let raw = test::call_and_read_body(
        &service,
        TestRequest::get().uri(&format!("{BASE}/{id}/pdf")).insert_header(bearer(&root)).to_request(),
    )
    .await;
    assert!(raw.starts_with(b"%PDF"));
    assert!(raw.len() < 500 * 1024, "{} bytes", raw.len());
    let bad =
        send(&service, TestRequest::get().uri(&format!("{BASE}/{id}/pdf?mode=public")).insert_header(bearer(&root)))
            .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["detail"][0]["loc"], json!(["query", "mode"]));
    let missing =
        send(&service, TestRequest::get().uri(&format!("{BASE}/pri_nope/pdf")).insert_header(bearer(&root))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let text = pdf_text(&raw);
    assert!(text.contains("GDPR Data Protection Impact Assessment: Sklep internetowy"), "{text}");
    assert!(text.contains("Completeness:"));
    assert!(text.contains("Is the data adequate, relevant and limited to what the purposes need?"));
    assert!(text.contains(answer), "non-Latin text survives: {text}");
    assert!(text.contains("- Zamówienia: 6 lat"), "system answers are in the report");
    assert!(text.contains("source: manual input"), "internal mode shows sources");
    assert!(text.contains("Earlier version 1 by root"), "internal mode shows versions");
    assert!(text.contains("Evidence [privacy_declaration]"), "internal mode shows evidence");

    let external = test::call_and_read_body(
        &service,
        TestRequest::get().uri(&format!("{BASE}/{id}/pdf?mode=external")).insert_header(bearer(&root)).to_request(),
    )
    .await;
    let text = pdf_text(&external);
    assert!(text.contains(answer));
    assert!(!text.contains("source:") && !text.contains("Evidence") && !text.contains("Earlier version"), "clean Q&A");
    assert!(!text.contains("First draft"));
}
