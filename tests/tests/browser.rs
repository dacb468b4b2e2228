//! The install flow in a real browser: headless Chromium, driven over WebDriver (chromedriver),
//! from our install page through the fake Slack's consent page back to our success page.
//!
//! Run with `scripts/browser-env.sh -- cargo test -p switchboard-tests --test browser`: the
//! script installs Debian's `chromium` and `chromium-driver` when missing and sets
//! `CHROMEDRIVER`. Without it the test says loudly that it skipped.
//!
//! Everything is on http://127.0.0.1. The state cookie is `Secure`; Chromium treats loopback
//! origins as secure contexts and keeps Secure cookies there, which this test relies on (it
//! fails with the "same browser" page if that ever changes).

#[allow(dead_code)]
#[path = "e2e/helpers.rs"]
mod helpers;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::panic::AssertUnwindSafe;

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use tenant::{TenantId, TenantStatus};

const WAIT: Duration = Duration::from_secs(20);

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver(binary: &str) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Ok(res) = reqwest::get(format!("{}/status", driver.url)).await
            && res.status().is_success()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

async fn headless_chromium(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
    ]
    .map(str::to_owned)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut options = serde_json::json!({ "args": args });
    if let Ok(chrome) = std::env::var("CHROME") {
        options["binary"] = chrome.into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session with headless Chromium")
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots_dir().join(name), png).expect("screenshot written");
}

#[tokio::test]
async fn a_browser_installs_the_app_through_the_consent_page() {
    let Ok(chromedriver) = std::env::var("CHROMEDRIVER") else {
        eprintln!(
            "\n*** SKIPPED a_browser_installs_the_app_through_the_consent_page: CHROMEDRIVER is \
             not set.\n*** Run: scripts/browser-env.sh -- cargo test -p switchboard-tests --test browser\n"
        );
        return;
    };
    let app = helpers::spawn_app_without_worker().await;
    let driver = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().expect("a fresh profile directory");
    let browser = headless_chromium(&driver, profile.path()).await;

    let flow = async {
        browser
            .goto(&format!("{}/slack/install", app.base))
            .await
            .expect("install page loads");
        assert_eq!(
            browser.title().await.unwrap(),
            "Add Switchboard to Slack | Switchboard"
        );
        screenshot(&browser, "install.png").await;

        browser
            .find(Locator::Id("add-to-slack"))
            .await
            .expect("Add to Slack button")
            .click()
            .await
            .unwrap();
        let allow = browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("allow"))
            .await
            .expect("the fake Slack consent page");
        let workspace = browser.find(Locator::Id("workspace")).await.unwrap();
        assert_eq!(workspace.text().await.unwrap(), "Fake Workspace");
        screenshot(&browser, "consent.png").await;
        allow.click().await.unwrap();

        let heading = browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(".status h1"))
            .await
            .expect("our page after the redirect");
        let text = heading.text().await.unwrap();
        screenshot(&browser, "success.png").await;
        assert_eq!(
            text, "Switchboard is installed",
            "the browser landed on: {text}"
        );
        let open = browser.find(Locator::Id("action")).await.unwrap();
        assert_eq!(
            open.attr("href").await.unwrap().as_deref(),
            Some("slack://app?team=T0FAKETEAM&id=A0FAKEAPP")
        );
    };
    let outcome = AssertUnwindSafe(flow).catch_unwind().await;
    // Close the session (and with it Chromium) before the driver is killed, whatever happened.
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }

    let tenant = TenantId::parse("T0FAKETEAM").unwrap();
    let stored = app.backend.tenants.get(&tenant).await.unwrap();
    assert_eq!(stored.map(|t| t.status), Some(TenantStatus::Active));
    assert!(app.backend.vault.get(&tenant).await.unwrap().is_some());
    drop(driver);
    app.stop().await;
}

/// `switchboard demo` on a free port and headless Chromium with a fresh profile; `None` (the
/// test skipped, and says how to run it) when CHROMEDRIVER is not set.
struct DemoInBrowser {
    demo: switchboard_cli::demo::Demo,
    driver: Driver,
    browser: Client,
    _profile: tempfile::TempDir,
}

async fn demo_in_browser(test: &str) -> Option<DemoInBrowser> {
    let Ok(chromedriver) = std::env::var("CHROMEDRIVER") else {
        eprintln!(
            "\n*** SKIPPED {test}: CHROMEDRIVER is not set.\n*** Run: scripts/browser-env.sh -- \
             cargo test -p switchboard-tests --test browser\n"
        );
        return None;
    };
    let demo = switchboard_cli::demo::start(&switchboard_cli::demo::DemoArgs {
        port: 0,
        data_dir: None,
    })
    .await
    .expect("the demo starts");
    let driver = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().expect("a fresh profile directory");
    let browser = headless_chromium(&driver, profile.path()).await;
    Some(DemoInBrowser {
        demo,
        driver,
        browser,
        _profile: profile,
    })
}

/// The newcomer's tour, `switchboard demo` in a real browser: `/followup`, connect Fathom with
/// the sample key the hint box gives, pick a meeting, watch the DM turn "ready" and open the
/// draft with "View & edit", then make it a Gmail draft. Every
/// click reaches the app as a signed Slack request. The last screen is saved as `demo.png`
/// beside the other screenshots (docs/demo.png is a copy of it).
#[tokio::test]
async fn a_newcomer_gets_a_ready_follow_up_in_the_demo_page() {
    let Some(DemoInBrowser {
        demo,
        driver,
        browser,
        _profile,
    }) = demo_in_browser("a_newcomer_gets_a_ready_follow_up_in_the_demo_page").await
    else {
        return;
    };
    let css = |selector: &'static str| Locator::Css(selector);

    let flow = async {
        browser.goto(&demo.url).await.expect("the demo page loads");
        assert_eq!(browser.title().await.unwrap(), "Switchboard demo");
        let hint = browser.find(css("#hint")).await.unwrap();
        assert!(hint.text().await.unwrap().contains("/followup"));

        let composer = browser.find(css("#composer-input")).await.unwrap();
        composer.send_keys("/followup").await.unwrap();
        browser
            .find(css("#composer button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();

        // No Fathom yet: the worker turns the loading modal into "Connect Fathom".
        browser
            .wait()
            .at_most(WAIT)
            .for_element(css("#modal [data-action=fathom_connect_open]"))
            .await
            .expect("the picker asks to connect Fathom")
            .click()
            .await
            .unwrap();
        let key = browser
            .wait()
            .at_most(WAIT)
            .for_element(css("#hint #sample-key"))
            .await
            .expect("the hint names the sample key once the connect modal shows")
            .text()
            .await
            .unwrap();
        assert_eq!(key, fakes::fathom::SAMPLE_KEY_ALICE);
        browser
            .find(css("#modal input[data-action=fathom_key]"))
            .await
            .expect("the key field")
            .send_keys(&key)
            .await
            .unwrap();
        screenshot(&browser, "demo-connect.png").await;
        browser
            .find(css("#modal-submit"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();

        // The key is checked by the worker, then the modal becomes the picker.
        let select = browser
            .wait()
            .at_most(WAIT)
            .for_element(css("#modal select[data-action=meeting]"))
            .await
            .expect("the meeting picker");
        let option = select
            .find(css("option[value='123456789']"))
            .await
            .expect("the sample's Globex meeting is offered");
        assert!(
            option
                .text()
                .await
                .unwrap()
                .contains("Globex discovery call")
        );
        select.select_by_value("123456789").await.unwrap();
        screenshot(&browser, "demo-picker.png").await;
        browser
            .find(css("#modal-submit"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();

        // The DM: posted as "Generating…", then updated in place to ready.
        let view_edit = browser
            .wait()
            .at_most(WAIT)
            .for_element(css("#conversation .bot [data-action=followup_view]"))
            .await
            .expect("the DM turns ready with a View & edit button");
        let dm = browser
            .find(css("#conversation .bot"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            dm.contains("Your follow-up for Globex discovery call is ready"),
            "{dm}"
        );
        assert_eq!(
            browser
                .find_all(css("#conversation .bot"))
                .await
                .unwrap()
                .len(),
            1,
            "one DM, updated in place"
        );
        assert!(
            browser.find(css("#modal")).await.is_err(),
            "the picker closed"
        );
        let panel = browser.find(css("#panel")).await.unwrap();
        let created = panel.text().await.unwrap();
        assert!(created.contains("1 transcript read"), "{created}");
        assert!(created.contains("1 draft request"), "{created}");

        // View & edit opens the edit modal with the draft in editable fields.
        view_edit.click().await.unwrap();
        let subject = browser
            .wait()
            .at_most(WAIT)
            .for_element(css("#modal input[data-action=email_subject]"))
            .await
            .expect("the edit modal");
        let subject = subject.prop("value").await.unwrap().unwrap_or_default();
        assert!(subject.contains("Globex discovery call"), "{subject}");

        // The demo user has Google connected: "Gmail draft" makes one, and the side panel
        // lists it (the panel is re-rendered as the fakes record, so it is looked up again).
        browser
            .find(css("#modal [data-action=followup_gmail]"))
            .await
            .expect("the Gmail draft button")
            .click()
            .await
            .unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let created = match browser.find(css("#panel")).await {
                Ok(panel) => panel.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if created.contains("Gmail draft \u{201c}") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no Gmail draft listed: {created}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        screenshot(&browser, "demo.png").await;
    };
    let outcome = AssertUnwindSafe(flow).catch_unwind().await;
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }

    // What the page showed is what the app did: one transcript read, one AI call, and the
    // signed requests went through verification (the modal was opened by the app itself).
    let fakes = demo.fakes();
    assert_eq!(
        fakes
            .fathom
            .calls_to(fakes::fathom::Endpoint::Transcript)
            .len(),
        1
    );
    assert_eq!(fakes.ai.calls().len(), 1);
    assert_eq!(fakes.google.drafts().len(), 1);
    assert_eq!(
        fakes.slack.calls_to("views.open").len(),
        2,
        "the picker, then the editor"
    );
    assert_eq!(fakes.slack.calls_to("chat.update").len(), 1);
    drop(driver);
    demo.stop().await;
}

/// The demo's external selects in a real browser: in `/followup task`'s modal, typing in the
/// contact's search field asks the app (a signed `block_suggestion` to /slack/options, which
/// searches the demo's HubSpot) and the select then offers and picks what it answered; Enter
/// searches and does not submit the modal.
#[tokio::test]
async fn typing_in_a_demo_search_field_offers_the_crms_contacts() {
    let Some(DemoInBrowser {
        demo,
        driver,
        browser,
        _profile,
    }) = demo_in_browser("typing_in_a_demo_search_field_offers_the_crms_contacts").await
    else {
        return;
    };
    let css = |selector: &'static str| Locator::Css(selector);

    let flow = async {
        browser.goto(&demo.url).await.expect("the demo page loads");
        let composer = browser.find(css("#composer-input")).await.unwrap();
        composer.send_keys("/followup task\n").await.unwrap();
        let search = browser
            .wait()
            .at_most(WAIT)
            .for_element(css("#modal input[data-suggest=task_contact]"))
            .await
            .expect("the task modal's contact search");
        search.send_keys("ada").await.unwrap();
        let option = browser
            .wait()
            .at_most(WAIT)
            .for_element(css(
                "#modal select[data-action=task_contact] option:not([value=''])",
            ))
            .await
            .expect("the app's options in the select");
        assert_eq!(option.text().await.unwrap(), "Ada Wong · ada@umbrella.io");
        let select = browser
            .find(css("#modal select[data-action=task_contact]"))
            .await
            .unwrap();
        let picked = select.prop("value").await.unwrap().unwrap_or_default();
        assert_eq!(picked, option.attr("value").await.unwrap().unwrap());
        screenshot(&browser, "demo-task-search.png").await;

        // Enter searches again (the same words: nothing changes) and keeps the modal open.
        search.send_keys("\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(browser.find(css("#modal")).await.is_ok(), "still open");
        let banner = browser.find(css("#banner")).await.unwrap();
        assert_eq!(banner.text().await.unwrap(), "", "no error shown");
    };
    let outcome = AssertUnwindSafe(flow).catch_unwind().await;
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    // The options came from the CRM, and no task was made (nothing was submitted).
    let hubspot = &demo.fakes().hubspot;
    assert!(
        !hubspot
            .calls_to(fakes::hubspot::Endpoint::Search(
                fakes::hubspot::ObjectType::Contacts
            ))
            .is_empty()
    );
    assert!(
        hubspot
            .objects(fakes::hubspot::ObjectType::Tasks)
            .is_empty()
    );
    drop(driver);
    demo.stop().await;
}
