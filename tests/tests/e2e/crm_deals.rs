//! "Deals" end to end on each CRM: the account's open deals only (closed ones left out by the
//! CRM's own metadata), a stage and an amount changed once per save (a save with no change
//! writes nothing).

use fakes::pipedrive::Endpoint as Pd;
use serde_json::{Value, json};
use testkit::payloads;

use crate::crm::{PIPEDRIVE_TOKEN, RECORDING, TEAM, USER, open_editor, press_until};
use crate::crm::{seed_crono, seed_pipedrive};
use crate::followup::{fathom_data, has_text, modal_until, ready_followup};
use crate::helpers::spawn_with_fathom;

fn deal_values(deal: u64, stage: u64, amount: &str) -> Value {
    let stage_block = format!("deal_stage:{deal}");
    let amount_block = format!("deal_amount:{deal}");
    json!({
        stage_block.clone(): {stage_block: {"type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": stage.to_string()}}},
        amount_block.clone(): {amount_block: {"type": "plain_text_input", "value": amount}},
    })
}

#[tokio::test]
async fn deals_shows_the_open_ones_and_saves_a_new_stage_and_amount_once() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let company = seed_pipedrive(&app, TEAM, PIPEDRIVE_TOKEN).await;
    let globex = app
        .pipedrive
        .add_organization(company, "Globex", Some("globex.com"));
    let other = app
        .pipedrive
        .add_organization(company, "Initech", Some("initech.com"));
    let sales =
        app.pipedrive
            .add_pipeline(company, "Sales", &["Qualified", "Proposal", "Negotiation"]);
    let (qualified, proposal) = (sales.stages[0].0, sales.stages[1].0);
    let open = app.pipedrive.add_deal(
        company,
        "Globex renewal",
        globex,
        sales.id,
        qualified,
        Some(1500.0),
        "EUR",
        "open",
    );
    app.pipedrive.add_deal(
        company,
        "Globex pilot (won)",
        globex,
        sales.id,
        proposal,
        Some(900.0),
        "EUR",
        "won",
    );
    app.pipedrive.add_deal(
        company,
        "Initech deal",
        other,
        sales.id,
        qualified,
        Some(10.0),
        "EUR",
        "open",
    );

    let view_id = open_editor(&app, TEAM, RECORDING).await;
    let shown = press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_deals", |v| {
        v["callback_id"] == "crm_deals"
    })
    .await;
    assert!(has_text(&shown, "Globex renewal"), "{shown}");
    assert!(!has_text(&shown, "Globex pilot"), "a won deal is not shown");
    assert!(
        !has_text(&shown, "Initech"),
        "another account's deal is not shown"
    );
    assert!(has_text(&shown, "Amount (EUR)"), "in the deal's currency");
    assert!(has_text(&shown, "Proposal"), "the pipeline's own stages");
    assert_eq!(shown["private_metadata"], RECORDING.to_string());

    // Moved to "Proposal", 2500.50.
    let save = |amount: &str| {
        payloads::view_submission(
            TEAM,
            USER,
            &view_id,
            "crm_deals",
            deal_values(open, proposal, amount),
            &RECORDING.to_string(),
        )
    };
    let res = app
        .post_signed("/slack/interactions", &save("2500.50"))
        .await;
    assert_eq!(res.status(), 200);
    let saved = modal_until(&app, &view_id, |v| has_text(v, "Updated in Pipedrive")).await;
    assert!(has_text(&saved, "Globex renewal"));
    let deal = app.pipedrive.deal(open).unwrap();
    assert_eq!(deal.stage_id, proposal);
    assert_eq!(deal.value, Some(2500.5));
    assert_eq!(deal.status, "open");
    assert_eq!(app.pipedrive.calls_to(Pd::UpdateDeal).len(), 1, "one write");

    // The same save again (the values the CRM now has): nothing is written.
    let res = app
        .post_signed("/slack/interactions", &save("2500.5"))
        .await;
    assert_eq!(res.status(), 200);
    modal_until(&app, &view_id, |v| has_text(v, "Nothing changed")).await;
    assert_eq!(
        app.pipedrive.calls_to(Pd::UpdateDeal).len(),
        1,
        "nothing more"
    );

    // An amount that is not one: an inline error, nothing queued or written.
    let res = app.post_signed("/slack/interactions", &save("lots")).await;
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["response_action"], "errors", "{answer}");
    assert!(answer["errors"][format!("deal_amount:{open}")].is_string());
    assert_eq!(app.pipedrive.calls_to(Pd::UpdateDeal).len(), 1);
}

#[tokio::test]
async fn a_stage_moved_back_and_forth_is_written_each_time() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let company = seed_pipedrive(&app, TEAM, PIPEDRIVE_TOKEN).await;
    let globex = app
        .pipedrive
        .add_organization(company, "Globex", Some("globex.com"));
    let sales = app
        .pipedrive
        .add_pipeline(company, "Sales", &["Qualified", "Proposal"]);
    let (qualified, proposal) = (sales.stages[0].0, sales.stages[1].0);
    let deal = app.pipedrive.add_deal(
        company,
        "Globex renewal",
        globex,
        sales.id,
        qualified,
        Some(1500.0),
        "EUR",
        "open",
    );
    let view_id = open_editor(&app, TEAM, RECORDING).await;
    press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_deals", |v| {
        v["callback_id"] == "crm_deals"
    })
    .await;
    // Proposal, back to Qualified, Proposal again: three changes, each one written (the
    // third is the same change as the first, and must not be taken for it).
    for (n, stage) in [proposal, qualified, proposal].into_iter().enumerate() {
        app.fake.replace_modal(&view_id, json!({"blocks": []}));
        let save = payloads::view_submission(
            TEAM,
            USER,
            &view_id,
            "crm_deals",
            deal_values(deal, stage, "1500"),
            &RECORDING.to_string(),
        );
        assert_eq!(
            app.post_signed("/slack/interactions", &save).await.status(),
            200
        );
        modal_until(&app, &view_id, |v| has_text(v, "Updated in Pipedrive")).await;
        assert_eq!(
            app.pipedrive.deal(deal).unwrap().stage_id,
            stage,
            "save {n}"
        );
    }
    assert_eq!(app.pipedrive.calls_to(Pd::UpdateDeal).len(), 3);
}

/// The deals modal's save of one deal (ids as strings: HubSpot's and Crono's).
fn save_one(view_id: &str, deal: &str, stage: &str, amount: &str) -> String {
    let stage_block = format!("deal_stage:{deal}");
    let amount_block = format!("deal_amount:{deal}");
    payloads::view_submission(
        TEAM,
        USER,
        view_id,
        "crm_deals",
        json!({
            stage_block.clone(): {stage_block: {"type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": stage}}},
            amount_block.clone(): {amount_block: {"type": "plain_text_input", "value": amount}},
        }),
        &RECORDING.to_string(),
    )
}

#[tokio::test]
async fn hubspot_deals_leave_out_closed_stages_by_the_pipelines_metadata() {
    use fakes::hubspot::ObjectType;
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    crate::crm::seed_hubspot(&app, TEAM, crate::crm::HUB_A, crate::crm::HUB_A_TOKEN).await;
    let hub = crate::crm::HUB_A;
    let globex = app.hubspot.add_object(
        hub,
        ObjectType::Companies,
        &[("name", "Globex"), ("domain", "globex.com")],
        &[],
    );
    // Stage names that say nothing: only the metadata says which one is closed.
    let pipeline = app.hubspot.add_pipeline(
        hub,
        "Enterprise",
        &[("Step one", false), ("Step two", false), ("Signed", true)],
    );
    let stage = |n: usize| pipeline.stages[n].0.clone();
    let deal = |name: &str, st: &str| {
        app.hubspot.add_object(
            hub,
            ObjectType::Deals,
            &[
                ("dealname", name),
                ("pipeline", &pipeline.id),
                ("dealstage", st),
                ("amount", "1500"),
                // UNCONFIRMED (hubspot.md): the currency property's name.
                ("deal_currency_code", "USD"),
            ],
            &[(ObjectType::Companies, globex, 341)],
        )
    };
    let open = deal("Globex expansion", &stage(0));
    deal("Globex signed last year", &stage(2));

    let view_id = open_editor(&app, TEAM, RECORDING).await;
    let shown = press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_deals", |v| {
        v["callback_id"] == "crm_deals"
    })
    .await;
    assert!(has_text(&shown, "Globex expansion"), "{shown}");
    assert!(!has_text(&shown, "Globex signed last year"), "{shown}");
    assert!(has_text(&shown, "Amount (USD)"), "{shown}");

    let res = app
        .post_signed(
            "/slack/interactions",
            &save_one(&view_id, &open.to_string(), &stage(1), "2500.50"),
        )
        .await;
    assert_eq!(res.status(), 200);
    modal_until(&app, &view_id, |v| has_text(v, "Updated in HubSpot")).await;
    let stored = app.hubspot.object(open).unwrap();
    assert_eq!(stored.properties["dealstage"], stage(1));
    let amount: f64 = stored.properties["amount"].parse().unwrap();
    assert_eq!(amount, 2500.5);
}

#[tokio::test]
async fn crono_opportunities_move_stage_and_amount() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let workspace = seed_crono(&app, TEAM).await;
    let globex = app
        .crono
        .add_account(workspace, "Globex", Some("globex.com"));
    let pipeline = app.crono.add_pipeline(
        workspace,
        "Sales",
        &[
            ("Discovery", false, false),
            ("Demo", false, false),
            ("Won", true, true),
        ],
    );
    let open = app.crono.add_opportunity(
        workspace,
        "Globex 2027",
        &globex,
        &pipeline,
        &pipeline.stages[0].id,
        Some(1000.0),
        Some("EUR"),
    );
    app.crono.add_opportunity(
        workspace,
        "Globex 2025 (won)",
        &globex,
        &pipeline,
        &pipeline.stages[2].id,
        Some(500.0),
        Some("EUR"),
    );

    let view_id = open_editor(&app, TEAM, RECORDING).await;
    let shown = press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_deals", |v| {
        v["callback_id"] == "crm_deals"
    })
    .await;
    assert!(has_text(&shown, "Globex 2027"), "{shown}");
    assert!(!has_text(&shown, "Globex 2025"), "{shown}");

    let res = app
        .post_signed(
            "/slack/interactions",
            &save_one(&view_id, &open, &pipeline.stages[1].id, "1200"),
        )
        .await;
    assert_eq!(res.status(), 200);
    modal_until(&app, &view_id, |v| has_text(v, "Updated in Crono")).await;
    let stored = app.crono.opportunity(&open).unwrap();
    assert_eq!(stored.stage, pipeline.stages[1].id);
    assert_eq!(stored.amount, Some(1200.0));
}
