//! The demo's CRM: a FakeHubSpot portal already connected for the demo workspace, holding the
//! companies of the sample meetings' attendees. Globex is found by its domain; two companies
//! share `initech.com`, so "Log to CRM" on the Initech meeting asks which one (and remembers
//! the pick); Globex has an open deal to move and contacts to give tasks to.

use fakes::hubspot::{FakeHubSpot, ObjectType};
use followup::crm::CrmKind;
use followup::ports::{CrmConnection, CrmDirectory, update_settings};
use tenant::credential::{Credential, CredentialId};
use tenant::ports::{Member, Role};
use tenant::{Secret, TenantId, UserId};

use super::DemoError;

/// The demo portal's hub id.
pub const HUB: u64 = 20_261_201;

/// Fills the portal and connects it for `tenant`, with `user` as its admin.
pub async fn connect_crm(
    backend: &tenant::Backend,
    directory: &dyn CrmDirectory,
    hubspot: &FakeHubSpot,
    tenant: &TenantId,
    user: &UserId,
    token: &str,
    now: i64,
) -> Result<(), DemoError> {
    hubspot.add_portal(HUB, token);
    let company = |name: &str, domain: &str| {
        hubspot.add_object(
            HUB,
            ObjectType::Companies,
            &[("name", name), ("domain", domain)],
            &[],
        )
    };
    let globex = company("Globex", "globex.com");
    let initech = company("Initech", "initech.com");
    company("Initech Labs", "initech.com");
    let umbrella = company("Umbrella", "umbrella.io");
    for (first, last, email, at) in [
        ("John", "Smith", "john.smith@globex.com", globex),
        ("Peter", "Gibbons", "peter@initech.com", initech),
        ("Samir", "N.", "samir@initech.com", initech),
        ("Ada", "Wong", "ada@umbrella.io", umbrella),
    ] {
        // contact→company is type 1 (hubspot.md §2).
        hubspot.add_object(
            HUB,
            ObjectType::Contacts,
            &[("firstname", first), ("lastname", last), ("email", email)],
            &[(ObjectType::Companies, at, 1)],
        );
    }
    let sales = hubspot.add_pipeline(
        HUB,
        "Sales",
        &[
            ("Qualified", false),
            ("Proposal", false),
            ("Negotiation", false),
            ("Closed won", true),
            ("Closed lost", true),
        ],
    );
    for (name, stage, amount) in [
        ("Globex platform", 1, "24000"),
        ("Globex pilot (won)", 3, "5000"),
    ] {
        hubspot.add_object(
            HUB,
            ObjectType::Deals,
            &[
                ("dealname", name),
                ("pipeline", sales.id.as_str()),
                ("dealstage", sales.stages[stage].0.as_str()),
                ("amount", amount),
                ("deal_currency_code", "EUR"),
            ],
            &[(ObjectType::Companies, globex, 5)],
        );
    }
    let member = Member {
        user: user.clone(),
        role: Role::Admin,
        added_at: now,
    };
    let failed = |e: &dyn std::fmt::Display| DemoError::Crm(e.to_string());
    backend
        .members
        .put_member(tenant, &member)
        .await
        .map_err(|e| failed(&e))?;
    let id = CredentialId::tenant_wide(tenant.clone(), CrmKind::Hubspot.provider());
    tenant::ports::update_credential(backend.credentials.as_ref(), &id, |slot| {
        let mut credential = Credential::new(Secret::new(token.to_owned()));
        credential.metadata.portal_id = Some(HUB.to_string());
        *slot = Some(credential);
    })
    .await
    .map_err(DemoError::Store)?;
    let connection = CrmConnection {
        kind: CrmKind::Hubspot,
        connected_by: user.clone(),
        connected_at: now,
        label: Some("Demo portal".into()),
        broken_since: None,
    };
    update_settings(directory, tenant, |s| s.connect(connection.clone()))
        .await
        .map_err(|e| failed(&e))?;
    Ok(())
}
