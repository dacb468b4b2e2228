//! The [`Crm`] contract, run by every adapter on a backend seeded with
//! [`CrmFixture::standard`] (and, for isolation, a second account seeded with
//! [`CrmFixture::other`]), plus [`MemoryCrm`], the reference adapter.
//!
//! ```ignore
//! #[tokio::test]
//! async fn hubspot_keeps_the_crm_contract() {
//!     let (crm, a, b) = hubspot_on_its_fake().await; // seeded with the fixtures
//!     followup::testkit::crm::crm(&crm, &a).await;
//!     followup::testkit::crm::crm_isolation(&crm, &a, &b).await;
//! }
//! ```
//!
//! An adapter that can look a note up by its marker (`Crm::find_note` other than
//! `Unsupported`) also runs [`crm_note_markers`] (on its own freshly seeded backend, or after
//! the others: its markers are its own).
//!
//! The suites write (notes, tasks, deal updates): run each on a freshly seeded backend.

mod fixture;
mod memory;
mod searches;

pub use fixture::{CrmFixture, FixtureAccount, FixtureContact, FixtureDeal, FixturePipeline};
pub use memory::{MemoryCrm, MemoryNote, MemoryTask};
pub use searches::CountedSearches;

use std::collections::BTreeSet;
use std::fmt::Debug;

use jiff::Timestamp;

use crate::crm::{
    Account, AccountId, Amount, ContactId, Crm, CrmAccess, CrmError, Deal, DealId, DealUpdate,
    Domain, NewNote, NewTask, Pipeline, StageId, TaskKind,
};

fn ok<T>(step: &str, result: Result<T, CrmError>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("contract: {step} failed: {err}"),
    }
}

fn expect_eq<T: PartialEq + Debug>(promise: &str, got: T, want: T) {
    assert!(
        got == want,
        "contract broken: {promise}\n   got: {got:?}\n  want: {want:?}"
    );
}

fn expect_not_found<T: Debug>(promise: &str, result: Result<T, CrmError>) {
    match result {
        Err(CrmError::NotFound) => {}
        other => panic!("contract broken: {promise} must be NotFound, got {other:?}"),
    }
}

fn expect_link(promise: &str, link: &str) {
    assert!(
        link.starts_with("https://") || link.starts_with("http://"),
        "contract broken: {promise}: an \"Open in\" link, got {link:?}"
    );
}

fn domains(list: &[&str]) -> Vec<Domain> {
    list.iter()
        .map(|d| Domain::parse(d).expect("fixture domain"))
        .collect()
}

fn names(accounts: &[Account]) -> BTreeSet<String> {
    accounts.iter().map(|a| a.name.clone()).collect()
}

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// A well-formed id that no backend has handed out (decimal, as most CRMs' are).
fn unknown<I: TryFrom<String>>() -> I
where
    I::Error: Debug,
{
    I::try_from("987654321987".to_owned()).expect("id")
}

fn stage(pipelines: &[Pipeline], pipeline: &str, label: &str) -> StageId {
    pipelines
        .iter()
        .find(|p| p.label == pipeline)
        .and_then(|p| p.stages.iter().find(|s| s.label == label))
        .map(|s| s.id.clone())
        .unwrap_or_else(|| panic!("contract broken: stage {pipeline}/{label} listed"))
}

fn deal<'a>(deals: &'a [Deal], name: &str) -> &'a Deal {
    deals
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("contract broken: open deal {name:?} listed"))
}

async fn acme(crm: &dyn Crm, access: &CrmAccess) -> Account {
    let found = ok(
        "find_accounts_by_domains(acme.example)",
        crm.find_accounts_by_domains(access, &domains(&["acme.example"]))
            .await,
    );
    found
        .into_iter()
        .find(|a| a.name == "Acme")
        .expect("contract broken: Acme found by its domain")
}

/// Every promise of [`Crm`] on a backend seeded with [`CrmFixture::standard`] for `access`.
pub async fn crm(crm: &dyn Crm, access: &CrmAccess) {
    assert!(!crm.name().is_empty());
    accounts_are_found_by_exact_domain(crm, access).await;
    accounts_are_searched_by_name(crm, access).await;
    let pipelines = pipelines_carry_their_stages_and_closed_flags(crm, access).await;
    open_deals_exclude_closed_stages_by_metadata(crm, access, &pipelines).await;
    deals_move_stage_and_change_amount(crm, access, &pipelines).await;
    notes_are_logged_on_an_account(crm, access).await;
    tasks_are_created_for_a_contact(crm, access).await;
}

async fn accounts_are_found_by_exact_domain(crm: &dyn Crm, access: &CrmAccess) {
    let found = ok(
        "find_accounts_by_domains",
        crm.find_accounts_by_domains(access, &domains(&["ACME.example", "initech.example"]))
            .await,
    );
    expect_eq(
        "accounts whose domain is exactly one asked for, all that share it, each once",
        names(&found),
        set(&["Acme", "Initech", "Initech Europe"]),
    );
    expect_eq("each account once", found.len(), 3);
    for account in &found {
        expect_link("an account's link", &account.link);
    }
    let acme = found.iter().find(|a| a.name == "Acme").expect("Acme");
    expect_eq(
        "an account carries its domain",
        acme.domain.as_deref().and_then(|d| Domain::parse(d).ok()),
        Some(Domain::parse("acme.example").unwrap()),
    );
    let none = ok(
        "find_accounts_by_domains(unknown)",
        crm.find_accounts_by_domains(access, &domains(&["nowhere.example"]))
            .await,
    );
    expect_eq("an unknown domain finds nothing", none, vec![]);
    let empty = ok(
        "find_accounts_by_domains([])",
        crm.find_accounts_by_domains(access, &[]).await,
    );
    expect_eq("no domains find nothing", empty, vec![]);
}

async fn accounts_are_searched_by_name(crm: &dyn Crm, access: &CrmAccess) {
    let found = ok(
        "search_accounts(Acme)",
        crm.search_accounts(access, "acme").await,
    );
    let found = names(&found);
    assert!(
        found.contains("Acme") && found.contains("Acme Holdings"),
        "contract broken: a name search finds the exact name and longer ones, got {found:?}"
    );
    assert!(
        !found.contains("Globex") && !found.contains("Initech"),
        "contract broken: a name search finds only matching names, got {found:?}"
    );
    let none = ok(
        "search_accounts(unknown)",
        crm.search_accounts(access, "Zyxwvut").await,
    );
    expect_eq("an unknown name finds nothing", none, vec![]);
    let blank = ok(
        "search_accounts(blank)",
        crm.search_accounts(access, "  ").await,
    );
    expect_eq("a blank name finds nothing", blank, vec![]);
}

async fn pipelines_carry_their_stages_and_closed_flags(
    crm: &dyn Crm,
    access: &CrmAccess,
) -> Vec<Pipeline> {
    let pipelines = ok("pipelines", crm.pipelines(access).await);
    let labels: BTreeSet<String> = pipelines.iter().map(|p| p.label.clone()).collect();
    expect_eq("every pipeline listed", labels, set(&["Sales", "Renewals"]));
    let sales = pipelines
        .iter()
        .find(|p| p.label == "Sales")
        .expect("Sales");
    let open: Vec<&str> = sales
        .stages
        .iter()
        .filter(|s| !s.closed)
        .map(|s| s.label.as_str())
        .collect();
    // Closed stages are the CRM's own (the fixture's "Signed" and "Lost" where stages carry
    // the flag, as HubSpot's do; Pipedrive's won/lost statuses): only their presence is
    // promised, not their labels. Closed-ness never comes from a label.
    expect_eq(
        "open stages in display order, an open one called \"Closed won review\" included",
        open,
        vec!["Qualified", "Proposal", "Closed won review"],
    );
    assert!(
        sales.stages.iter().any(|s| s.closed),
        "contract broken: a pipeline lists the stages that close a deal"
    );
    pipelines
}

async fn open_deals_exclude_closed_stages_by_metadata(
    crm: &dyn Crm,
    access: &CrmAccess,
    pipelines: &[Pipeline],
) {
    let acme = acme(crm, access).await;
    let deals = ok("open_deals(Acme)", crm.open_deals(access, &acme.id).await);
    let listed: BTreeSet<String> = deals.iter().map(|d| d.name.clone()).collect();
    expect_eq(
        "open deals only, an open stage called \"Closed won review\" included",
        listed,
        set(&["Acme expansion", "Acme pilot"]),
    );
    let expansion = deal(&deals, "Acme expansion");
    let sales = pipelines
        .iter()
        .find(|p| p.label == "Sales")
        .expect("Sales");
    expect_eq("a deal's pipeline", &expansion.pipeline, &sales.id);
    expect_eq(
        "a deal's stage",
        &expansion.stage,
        &stage(pipelines, "Sales", "Proposal"),
    );
    assert!(
        expansion
            .amount
            .as_ref()
            .is_some_and(|a| a.same_value(&Amount::parse("12000").unwrap())),
        "contract broken: a deal's amount, got {:?}",
        expansion.amount
    );
    expect_eq(
        "a deal's currency",
        expansion.currency.as_deref(),
        Some("EUR"),
    );
    expect_link("a deal's link", &expansion.link);
    let none = crm.open_deals(access, &unknown::<AccountId>()).await;
    match none {
        Ok(deals) if deals.is_empty() => {}
        Err(CrmError::NotFound) => {}
        other => panic!("contract broken: an unknown account has no deals, got {other:?}"),
    }
}

async fn deals_move_stage_and_change_amount(
    crm: &dyn Crm,
    access: &CrmAccess,
    pipelines: &[Pipeline],
) {
    let acme = acme(crm, access).await;
    let deals = ok("open_deals(Acme)", crm.open_deals(access, &acme.id).await);
    let expansion = deal(&deals, "Acme expansion").clone();
    let qualified = stage(pipelines, "Sales", "Qualified");
    let update = DealUpdate {
        stage: Some(qualified.clone()),
        amount: Some(Amount::parse("15000.50").unwrap()),
    };
    let written = ok(
        "update_deal",
        crm.update_deal(access, &expansion.id, &update).await,
    );
    expect_eq(
        "update_deal answers the deal's id",
        &written.id,
        &expansion.id,
    );
    expect_link("an updated deal's link", &written.link);
    let after = ok(
        "open_deals after update",
        crm.open_deals(access, &acme.id).await,
    );
    let moved = deal(&after, "Acme expansion");
    expect_eq(
        "the deal moved to the stage asked",
        &moved.stage,
        &qualified,
    );
    assert!(
        moved
            .amount
            .as_ref()
            .is_some_and(|a| a.same_value(&Amount::parse("15000.5").unwrap())),
        "contract broken: the amount was changed, got {:?}",
        moved.amount
    );
    let pilot = deal(&after, "Acme pilot").clone();
    let closing = pipelines
        .iter()
        .find(|p| p.label == "Sales")
        .and_then(|p| p.stages.iter().find(|s| s.closed))
        .map(|s| s.id.clone())
        .expect("a closed stage");
    let signed = DealUpdate {
        stage: Some(closing),
        amount: None,
    };
    ok(
        "update_deal(closed stage)",
        crm.update_deal(access, &pilot.id, &signed).await,
    );
    let after = ok(
        "open_deals after closing",
        crm.open_deals(access, &acme.id).await,
    );
    assert!(
        after.iter().all(|d| d.id != pilot.id),
        "contract broken: a deal moved to a closed stage is no longer open"
    );
    expect_eq(
        "the other open deal is still listed, its amount kept",
        after
            .iter()
            .map(|d| (d.name.as_str(), d.amount.is_some()))
            .collect::<Vec<_>>(),
        vec![("Acme expansion", true)],
    );
    expect_not_found(
        "update_deal of an unknown deal",
        crm.update_deal(access, &unknown::<DealId>(), &update).await,
    );
    match crm
        .update_deal(access, &expansion.id, &DealUpdate::default())
        .await
    {
        Err(CrmError::Invalid(_)) => {}
        other => panic!("contract broken: an empty update must be Invalid, got {other:?}"),
    }
}

fn note() -> NewNote {
    marked(
        NOTE_MARKER,
        "Met <John> & team.\n\nNext: send the proposal.",
    )
}

/// The marker of the suites' ordinary notes (never looked up).
const NOTE_MARKER: &str = "sb-00000000000000aa";

fn marked(marker: &str, body: &str) -> NewNote {
    NewNote {
        body: body.into(),
        at: Timestamp::from_second(1_764_583_200).unwrap(),
        marker: marker.into(),
    }
}

fn task() -> NewTask {
    NewTask {
        subject: "Follow up with John".into(),
        description: "Send the proposal".into(),
        // 09:00 in Rome in winter.
        due: "2026-01-15T08:00:00Z".parse().unwrap(),
        kind: TaskKind::Call,
    }
}

async fn notes_are_logged_on_an_account(crm: &dyn Crm, access: &CrmAccess) {
    let acme = acme(crm, access).await;
    let written = ok(
        "create_note",
        crm.create_note(access, &acme.id, &note()).await,
    );
    expect_link("a note's link", &written.link);
    let again = ok(
        "create_note again",
        crm.create_note(access, &acme.id, &note()).await,
    );
    assert!(
        again.id != written.id,
        "contract broken: each create_note writes its own note"
    );
    expect_not_found(
        "a note on an unknown account",
        crm.create_note(access, &unknown::<AccountId>(), &note())
            .await,
    );
}

async fn tasks_are_created_for_a_contact(crm: &dyn Crm, access: &CrmAccess) {
    let by_email = ok(
        "search_contacts(email)",
        crm.search_contacts(access, "john@acme.example").await,
    );
    let john = by_email
        .iter()
        .find(|c| c.email.as_deref() == Some("john@acme.example"))
        .expect("contract broken: a contact is found by email");
    expect_eq("a contact's name", john.name.as_str(), "John Smith");
    expect_link("a contact's link", &john.link);
    let by_name = ok(
        "search_contacts(name)",
        crm.search_contacts(access, "Smith").await,
    );
    assert!(
        by_name.iter().any(|c| c.id == john.id),
        "contract broken: a contact is found by last name"
    );
    assert!(
        by_name.iter().all(|c| c.name != "Carla Rossi"),
        "contract broken: a contact search finds matching contacts only"
    );
    let blank = ok(
        "search_contacts(blank)",
        crm.search_contacts(access, "").await,
    );
    expect_eq("a blank contact search finds nothing", blank, vec![]);
    let written = ok(
        "create_task",
        crm.create_task(access, &john.id, &task()).await,
    );
    expect_link("a task's link", &written.link);
    expect_not_found(
        "a task for an unknown contact",
        crm.create_task(access, &unknown::<ContactId>(), &task())
            .await,
    );
}

/// Workspace B (`b`, seeded with [`CrmFixture::other`]) cannot see or change workspace A's
/// (`a`, seeded with [`CrmFixture::standard`]) records, and the other way round.
pub async fn crm_isolation(crm: &dyn Crm, a: &CrmAccess, b: &CrmAccess) {
    let acme_a = acme(crm, a).await;
    let deals_a = ok("open_deals(A)", crm.open_deals(a, &acme_a.id).await);
    let john_a = ok(
        "search_contacts(A)",
        crm.search_contacts(a, "john@acme.example").await,
    );
    let john_a = john_a.first().expect("John in A").clone();

    let seen_by_b = ok(
        "find_accounts_by_domains(B)",
        crm.find_accounts_by_domains(b, &domains(&["acme.example"]))
            .await,
    );
    expect_eq(
        "B finds only its own account on a shared domain",
        names(&seen_by_b),
        set(&["Acme Rival"]),
    );
    assert!(
        seen_by_b.iter().all(|x| x.id != acme_a.id),
        "B sees A's account"
    );
    let named = ok("search_accounts(B)", crm.search_accounts(b, "Acme").await);
    expect_eq(
        "B's name search sees only B's accounts",
        names(&named),
        set(&["Acme Rival"]),
    );
    expect_not_found(
        "B logging a note on A's account",
        crm.create_note(b, &acme_a.id, &note()).await,
    );
    match crm.open_deals(b, &acme_a.id).await {
        Ok(deals) if deals.is_empty() => {}
        Err(CrmError::NotFound) => {}
        other => panic!("contract broken: B must not list A's deals, got {other:?}"),
    }
    let expansion = deal(&deals_a, "Acme expansion");
    let rival_stage = ok("pipelines(B)", crm.pipelines(b).await);
    let labels: BTreeSet<String> = rival_stage.iter().map(|p| p.label.clone()).collect();
    expect_eq("B sees only its pipelines", labels, set(&["Partners"]));
    let update = DealUpdate {
        stage: None,
        amount: Some(Amount::parse("1").unwrap()),
    };
    expect_not_found(
        "B updating A's deal",
        crm.update_deal(b, &expansion.id, &update).await,
    );
    let after = ok(
        "open_deals(A) after B's attempt",
        crm.open_deals(a, &acme_a.id).await,
    );
    expect_eq(
        "A's deal is unchanged by B's attempt",
        &deal(&after, "Acme expansion").amount,
        &expansion.amount,
    );
    let contacts_b = ok(
        "search_contacts(B)",
        crm.search_contacts(b, "john@acme.example").await,
    );
    expect_eq("B does not find A's contacts", contacts_b, vec![]);
    expect_not_found(
        "B creating a task for A's contact",
        crm.create_task(b, &john_a.id, &task()).await,
    );
    let rita = ok(
        "search_contacts(B own)",
        crm.search_contacts(b, "Rival").await,
    );
    let rita = rita.first().expect("Rita in B").clone();
    expect_not_found(
        "A creating a task for B's contact",
        crm.create_task(a, &rita.id, &task()).await,
    );
}

/// [`Crm::find_note`], for an adapter that supports it, with workspace A (`a`, seeded with
/// [`CrmFixture::standard`]) and B (`b`, seeded with [`CrmFixture::other`]): a note is found
/// by its marker on its account only, never by another workspace, never by a marker its text
/// merely mentions; a marker never written is `None`.
pub async fn crm_note_markers(crm: &dyn Crm, a: &CrmAccess, b: &CrmAccess) {
    const WRITTEN: &str = "sb-1111111111111111";
    const MENTIONED: &str = "sb-2222222222222222";
    const NEVER: &str = "sb-3333333333333333";
    const ON_B: &str = "sb-4444444444444444";
    let acme_a = acme(crm, a).await;
    let globex_a = ok(
        "find_accounts_by_domains(globex.example)",
        crm.find_accounts_by_domains(a, &domains(&["globex.example"]))
            .await,
    );
    let globex_a = globex_a.first().expect("Globex in A").clone();
    let rival_b = ok(
        "find_accounts_by_domains(B)",
        crm.find_accounts_by_domains(b, &domains(&["acme.example"]))
            .await,
    );
    let rival_b = rival_b.first().expect("Acme Rival in B").clone();

    expect_eq(
        "a marker never written is found nowhere",
        ok(
            "find_note(never)",
            crm.find_note(a, &acme_a.id, NEVER).await,
        ),
        None,
    );
    let written = ok(
        "create_note(marked)",
        crm.create_note(
            a,
            &acme_a.id,
            &marked(WRITTEN, "Marked note.\n\nSecond paragraph."),
        )
        .await,
    );
    // A note whose text (the user's words) names another marker, in the form an adapter
    // might embed it, and ends with it: text is never a marker.
    let mention = format!("<!-- {MENTIONED} -->\n\nref: {MENTIONED}");
    ok(
        "create_note(mentioning)",
        crm.create_note(a, &acme_a.id, &marked(NOTE_MARKER, &mention))
            .await,
    );
    let found = ok(
        "find_note(written)",
        crm.find_note(a, &acme_a.id, WRITTEN).await,
    );
    let found = found.unwrap_or_else(|| {
        panic!("contract broken: a note written with a marker is found by it on its account")
    });
    expect_eq("the note found is the one written", &found.id, &written.id);
    expect_link("a found note's link", &found.link);
    expect_eq(
        "a note is found on its own account only",
        ok(
            "find_note(other account)",
            crm.find_note(a, &globex_a.id, WRITTEN).await,
        ),
        None,
    );
    expect_eq(
        "a marker the note's text mentions is not the note's marker",
        ok(
            "find_note(mentioned)",
            crm.find_note(a, &acme_a.id, MENTIONED).await,
        ),
        None,
    );
    match crm.find_note(b, &acme_a.id, WRITTEN).await {
        Ok(None) | Err(CrmError::NotFound) => {}
        other => panic!("contract broken: B must not find A's note, got {other:?}"),
    }
    expect_eq(
        "B does not find A's note on its own account",
        ok(
            "find_note(B own account)",
            crm.find_note(b, &rival_b.id, WRITTEN).await,
        ),
        None,
    );
    ok(
        "create_note(B)",
        crm.create_note(b, &rival_b.id, &marked(ON_B, "B's note."))
            .await,
    );
    match crm.find_note(a, &rival_b.id, ON_B).await {
        Ok(None) | Err(CrmError::NotFound) => {}
        other => panic!("contract broken: A must not find B's note, got {other:?}"),
    }
    match crm.find_note(a, &acme_a.id, "sb-../../x").await {
        Err(CrmError::Invalid(_)) => {}
        other => panic!("contract broken: a malformed marker must be Invalid, got {other:?}"),
    }
    match crm
        .create_note(a, &acme_a.id, &marked("sb--->", "bad marker"))
        .await
    {
        Err(CrmError::Invalid(_)) => {}
        other => {
            panic!("contract broken: a note with a malformed marker must be Invalid, got {other:?}")
        }
    }
}
