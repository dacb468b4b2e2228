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
