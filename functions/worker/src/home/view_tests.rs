use followup::{FailureReason, RecordingId, Session, SessionStatus};
use jiff::Timestamp;
use serde_json::Value;
use tenant::{Plan, Tenant, TenantId, TenantStatus, UserId};

use super::*;

/// 2026-12-01T00:00:00Z: when November's count starts again.
const DECEMBER: i64 = 1_796_083_200;

fn tenant() -> Tenant {
    Tenant::new(TenantId::parse("T0HOME001").unwrap(), "Acme <Sales>", 0)
}

fn month(used: u64, limit: Option<u64>) -> MonthUse {
    MonthUse {
        used,
        limit,
        resets_at: Timestamp::from_second(DECEMBER).unwrap(),
    }
}

fn session(recording: u64, title: &str, status: SessionStatus) -> Session {
    // 2026-11-20T23:30:00Z: already the 21st in Rome.
    let started = Timestamp::from_second(1_795_217_400).unwrap();
    Session {
        tenant: TenantId::parse("T0HOME001").unwrap(),
        user: UserId::parse("U0USER001").unwrap(),
        recording: RecordingId::new(recording),
        meeting_title: title.into(),
        meeting_started_at: started,
        recipients: Vec::new(),
        status,
        draft: None,
        edited: None,
        artifacts: Vec::new(),
        dm: None,
        created_at: started,
        updated_at: started,
        expires_at: Timestamp::MAX,
    }
}

struct Page {
    tenant: Tenant,
    zone: UserZone,
    fathom: FathomLink,
    google: GoogleLink,
    google_connect_url: Option<String>,
    auto_followups: Option<bool>,
    crm: Option<CrmLine>,
    month: MonthUse,
    recent: Vec<Session>,
}

impl Page {
    /// A user of a free workspace who has connected nothing and made nothing yet.
    fn new() -> Self {
        Self {
            tenant: tenant(),
            zone: UserZone::resolve(Some("Europe/Rome")),
            fathom: FathomLink::NotConnected,
            google: GoogleLink::NotConnected,
            google_connect_url: None,
            auto_followups: None,
            crm: None,
            month: month(0, Some(10)),
            recent: Vec::new(),
        }
    }

    fn view(&self) -> Value {
        home_view(&HomePage {
            tenant: &self.tenant,
            zone: &self.zone,
            fathom: self.fathom,
            google: self.google.clone(),
            google_connect_url: self.google_connect_url.clone(),
            auto_followups: self.auto_followups,
            crm: self.crm.clone(),
            month: self.month,
            recent: &self.recent,
        })
    }
}

/// The block with `block_id`.
fn block<'a>(view: &'a Value, block_id: &str) -> &'a Value {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == block_id)
        .unwrap_or_else(|| panic!("no block {block_id} in {view}"))
}

fn text(block: &Value) -> &str {
    block["text"]["text"].as_str().unwrap()
}

fn buttons(view: &Value) -> Vec<&Value> {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b.get("accessory"))
        .filter(|a| a["type"] == "button")
        .collect()
}

#[test]
fn a_new_user_sees_the_workspace_and_how_to_connect_fathom() {
    let view = Page::new().view();
    assert_eq!(view["type"], "home");
    let all = view.to_string();
    assert!(all.contains("Acme &lt;Sales&gt;"), "the name is escaped");
    assert!(all.contains("Active") && all.contains("Free"));
    let fathom = block(&view, "home_fathom");
    assert!(text(fathom).contains("not connected"));
    assert_eq!(fathom["accessory"]["action_id"], ids::HOME_FATHOM_CONNECT);
    assert!(fathom["accessory"].get("url").is_none());
    // Google without a connect link yet: it says so, and offers no button.
    let google = block(&view, "home_google");
    assert!(text(google).contains("not enabled"), "{google}");
    assert!(google.get("accessory").is_none());
    assert!(
        !all.contains("Automatic follow-ups"),
        "not offered: left out"
    );
    assert!(text(block(&view, "home_month")).contains("*0* of 10 follow-ups used"));
    assert!(all.contains("No follow-ups yet"));
}

#[test]
fn a_connected_fathom_says_how_and_offers_a_confirmed_disconnect() {
    let mut page = Page::new();
    page.fathom = FathomLink::ApiKey;
    let view = page.view();
    let fathom = block(&view, "home_fathom");
    assert!(text(fathom).contains("connected with an API key"));
    let button = &fathom["accessory"];
    assert_eq!(button["action_id"], ids::HOME_DISCONNECT);
    assert_eq!(button["value"], "fathom");
    assert_eq!(button["style"], "danger");
    assert_eq!(button["confirm"]["title"]["text"], "Disconnect Fathom?");
    assert_eq!(button["confirm"]["confirm"]["text"], "Disconnect");
    assert_eq!(button["confirm"]["deny"]["text"], "Cancel");
    assert!(button["confirm"]["text"]["text"].as_str().unwrap().len() <= 300);

    page.fathom = FathomLink::OAuth;
    let view = page.view();
    assert!(text(block(&view, "home_fathom")).contains("with your Fathom account"));
}

#[test]
fn google_shows_the_account_and_disconnect_or_the_signed_connect_link() {
    let mut page = Page::new();
    page.google = GoogleLink::Connected {
        email: Some("alice@acme.com".into()),
    };
    let view = page.view();
    let google = block(&view, "home_google");
    assert!(text(google).contains("connected as alice@acme.com"));
    assert_eq!(google["accessory"]["action_id"], ids::HOME_DISCONNECT);
    assert_eq!(google["accessory"]["value"], "google");
    assert_eq!(
        google["accessory"]["confirm"]["title"]["text"],
        "Disconnect Google?"
    );

    page.google = GoogleLink::Connected { email: None };
    let view = page.view();
    assert!(text(block(&view, "home_google")).contains("connected\n"));

    page.google = GoogleLink::NotConnected;
    page.google_connect_url = Some("https://sb.example/connect/google?link=signed".into());
    let view = page.view();
    let google = block(&view, "home_google");
    assert!(text(google).contains("not connected"));
    assert_eq!(google["accessory"]["action_id"], ids::HOME_GOOGLE_CONNECT);
    assert_eq!(
        google["accessory"]["url"],
        "https://sb.example/connect/google?link=signed"
    );
}

#[test]
fn the_months_use_names_the_limit_and_the_reset_in_the_users_own_time() {
    let mut page = Page::new();
    page.month = month(3, Some(10));
    let rome = text(block(&page.view(), "home_month")).to_owned();
    assert!(rome.contains("*3* of 10 follow-ups used"), "{rome}");
    assert!(rome.contains("1 December 2026 at 01:00"), "{rome}");

    page.zone = UserZone::resolve(Some("America/Los_Angeles"));
    let la = text(block(&page.view(), "home_month")).to_owned();
    assert!(la.contains("30 November 2026 at 16:00"), "{la}");

    page.zone = UserZone::resolve(None);
    let unknown = text(block(&page.view(), "home_month")).to_owned();
    assert!(
        unknown.contains("1 December 2026 at 00:00 (UTC)"),
        "{unknown}"
    );
}

#[test]
fn an_unlimited_plan_says_so_and_still_counts() {
    let mut page = Page::new();
    page.tenant.plan = Plan::Enterprise;
    page.month = month(42, None);
    let text = text(block(&page.view(), "home_month")).to_owned();
    assert!(text.contains("*42* follow-ups this month"), "{text}");
    assert!(
        text.contains("Enterprise plan has no monthly limit"),
        "{text}"
    );
    page.month = month(1, None);
    assert!(text_of_month(&page).contains("*1* follow-up this month"));
}

fn text_of_month(page: &Page) -> String {
    text(block(&page.view(), "home_month")).to_owned()
}

#[test]
fn recent_follow_ups_show_title_local_day_and_status_and_ready_ones_open() {
    let mut page = Page::new();
    page.recent = vec![
        session(11, "Globex <@U0EVIL> *demo*", SessionStatus::Ready),
        session(12, "Initech intro", SessionStatus::Generating),
        session(
            13,
            "Hooli renewal",
            SessionStatus::Failed {
                reason: FailureReason::ProviderUnavailable,
            },
        ),
    ];
    let view = page.view();
    let all = view.to_string();
    assert!(
        all.contains("Globex &lt;@U0EVIL&gt;"),
        "a title cannot mention anyone"
    );
    assert!(all.contains("Sat 21 Nov 2026"), "the day in Rome: {all}");
    assert!(all.contains(":hourglass_flowing_sand: generating"));
    assert!(all.contains("failed"));
    let opens: Vec<_> = buttons(&view)
        .into_iter()
        .filter(|b| b["action_id"] == ids::VIEW_EDIT)
        .collect();
    assert_eq!(opens.len(), 1, "only the ready one opens");
    assert_eq!(opens[0]["value"], "11");
}

#[test]
fn at_most_five_recent_follow_ups_are_listed() {
    let mut page = Page::new();
    page.recent = (0..8)
        .map(|n| session(n, &format!("Meeting number {n}"), SessionStatus::Ready))
        .collect();
    let all = page.view().to_string();
    assert!(all.contains("Meeting number 4"));
    assert!(!all.contains("Meeting number 5"));
}

#[test]
fn automatic_follow_ups_show_when_offered() {
    let mut page = Page::new();
    page.auto_followups = Some(true);
    assert!(text(block(&page.view(), "home_auto")).contains("on"));
    page.auto_followups = Some(false);
    assert!(text(block(&page.view(), "home_auto")).contains("off"));
}

#[test]
fn the_view_keeps_slacks_limits() {
    let mut page = Page::new();
    page.fathom = FathomLink::OAuth;
    page.google = GoogleLink::Connected {
        email: Some("a@b.c".into()),
    };
    page.auto_followups = Some(true);
    page.recent = (0..5)
        .map(|n| session(n, &"long title ".repeat(50), SessionStatus::Ready))
        .collect();
    let view = page.view();
    let blocks = view["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 100);
    for block in blocks {
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(!text.is_empty() && text.chars().count() <= 3000);
        }
        if let Some(button) = block.get("accessory") {
            assert!(button["text"]["text"].as_str().unwrap().chars().count() <= 75);
        }
    }
    // Block ids are unique within the view.
    let mut ids: Vec<&str> = blocks
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[test]
fn a_paused_workspace_says_so() {
    let mut page = Page::new();
    page.tenant.status = TenantStatus::Suspended;
    assert!(page.view().to_string().contains("Paused"));
}

#[test]
fn the_welcome_names_the_workspace_and_the_first_admin() {
    let tenant = tenant();
    let text = welcome_text(&tenant, false, true);
    assert!(text.contains("Thanks for installing") && text.contains("first admin"));
    assert!(welcome_text(&tenant, true, false).contains("reinstalled"));
}

#[test]
fn the_crm_line_is_the_workspaces_and_only_admins_get_to_manage_it() {
    let mut page = Page::new();
    assert!(page.view().to_string().find("home_crm").is_none());
    page.crm = Some(CrmLine {
        default: Some(("HubSpot", false)),
        admin: false,
    });
    let member = page.view();
    let line = block(&member, "home_crm");
    assert!(line.to_string().contains("HubSpot"));
    assert!(line.get("accessory").is_none());
    page.crm = Some(CrmLine {
        default: Some(("HubSpot", true)),
        admin: true,
    });
    let admin = page.view();
    let line = block(&admin, "home_crm");
    assert!(line.to_string().contains("connect it again"));
    assert_eq!(line["accessory"]["action_id"], ids::HOME_CRM_MANAGE);
    page.crm = Some(CrmLine {
        default: None,
        admin: false,
    });
    assert!(
        block(&page.view(), "home_crm")
            .to_string()
            .contains("Ask a workspace admin")
    );
}
