//! The privacy center in a real browser: headless Chromium driven over WebDriver (fantoccini,
//! Debian's `chromium` and `chromium-driver`) against the server on a real port. The subject
//! opens the home page, submits the form, reads the code from the test SMTP server, enters it,
//! sees the confirmation, and once the request completes follows the emailed link and downloads
//! the package. A screenshot of each page goes to `LETHE_TEST_OUTPUT_DIR` (default
//! `target/test-output/privacy-center`). Runs when `LETHE_TEST_CHROMEDRIVER` names the driver
//! binary (`LETHE_TEST_CHROMIUM` the browser, default `/usr/bin/chromium`).

#![expect(clippy::unwrap_used, reason = "test helpers")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use lethe_tests::TestApp;
use lethe_tests::shop::{CustomerDb, Kind, register, wait_done};
use lethe_tests::smtp::SmtpServer;

/// Stops the driver with the test.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn output_dir() -> PathBuf {
    let dir = std::env::var("LETHE_TEST_OUTPUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-output/privacy-center"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[actix_web::test]
async fn a_subject_makes_a_request_in_chromium_and_downloads_the_package_from_the_email() {
    let Some(driver) = db::testing::outside_service("LETHE_TEST_CHROMEDRIVER", "a headless Chromium (chromium-driver)")
    else {
        return;
    };
    let chromium = std::env::var("LETHE_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let smtp = SmtpServer::start();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let public_url = base.clone();
    let mailer = smtp.clone();
    let app = TestApp::with(move |s| {
        mailer.configure(s);
        s.execution.subject_identity_verification_required = true;
        s.notifications.send_request_completion_notification = true;
        s.server.public_url = Some(public_url);
    });
    let service = app.service().await;
    let root = app.root_token();
    let db = CustomerDb::create(Kind::Sqlite);
    register(&service, &root, &db, "shop", "shop_db").await;

    // The same application on a real port, in its own runtime.
    let state = app.state();
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || gateway::startup::build_app(state.clone()))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
            handle_tx.send(server.handle()).unwrap();
            server.await.unwrap();
        });
    });
    let server = handle_rx.recv().unwrap();
    let driver_port = free_port();
    let _driver = Driver(
        Command::new(&driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    wait_for_port(driver_port);
    let downloads = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1024,900", "--lang=en-US"],
            "prefs": {"download.default_directory": downloads.path(), "download.prompt_for_download": false}
        }),
    );
    // The build links two rustls providers; the WebDriver client needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let browser = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session");
    let shots = output_dir();
    let shoot = |name: &'static str| {
        let browser = browser.clone();
        let path = shots.join(name);
        async move {
            let png = browser.screenshot().await.unwrap();
            std::fs::write(&path, png).unwrap();
        }
    };
    let started = Instant::now();

    browser.goto(&format!("{base}/privacy-center/")).await.unwrap();
    assert_eq!(browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap(), "Your privacy");
    shoot("1-home.png").await;
    browser.find(Locator::Css("a.button")).await.unwrap().click().await.unwrap();
    browser.find(Locator::Css("#email")).await.unwrap().send_keys("customer-1@example.com").await.unwrap();
    shoot("2-form.png").await;
    browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();

    // The verification page: its label, and the code the subject was emailed.
    let label = match browser.wait().for_element(Locator::Css("label[for=code]")).await {
        Ok(label) => label,
        Err(e) => panic!("no verification page ({e}): {}", browser.source().await.unwrap_or_default()),
    };
    assert_eq!(label.text().await.unwrap(), "Verification code");
    let url = browser.current_url().await.unwrap();
    let id = url.path().strip_prefix("/privacy-center/verify/").unwrap().to_owned();
    let code = smtp.wait_for("customer-1@example.com").code();
    browser.find(Locator::Css("#code")).await.unwrap().send_keys(&code).await.unwrap();
    shoot("3-verify.png").await;
    browser.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    let shown = browser.wait().for_element(Locator::Css(".request-id")).await.unwrap();
    assert_eq!(shown.text().await.unwrap(), id);
    shoot("4-done.png").await;

    // Completion: the emailed link opens the download page, whose button downloads the package.
    assert_eq!(wait_done(&service, &root, &id).await["status"], "complete");
    let mail = smtp.wait_for_subject("customer-1@example.com", "Your data is ready to download");
    let text = mail.part("text/plain");
    let link: String = text[text.find(&base).unwrap()..].chars().take_while(|c| !c.is_whitespace()).collect();
    browser.goto(&link).await.unwrap();
    let button = browser.wait().for_element(Locator::Css("#download")).await.unwrap();
    shoot("5-download.png").await;
    button.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let package = loop {
        let done: Vec<PathBuf> = std::fs::read_dir(downloads.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        if let Some(file) = done.first() {
            break std::fs::read_to_string(file).unwrap();
        }
        assert!(Instant::now() < deadline, "the package was not downloaded");
        std::thread::sleep(Duration::from_millis(100));
    };
    let flow = started.elapsed();
    assert!(package.contains("customer-1@example.com") && !package.contains("customer-2@example.com"), "{package}");
    eprintln!("privacy center flow, home page to downloaded package: {} ms", flow.as_millis());

    browser.close().await.unwrap();
    server.stop(true).await;
}
