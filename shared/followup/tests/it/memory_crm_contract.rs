//! The CRM contract on the in-memory adapter: the suite itself is tested here.

use followup::crm::{Crm, CrmAccess, CrmError};
use followup::testkit::crm::{self, CrmFixture, MemoryCrm};

const A: &str = "memory-token-a";
const B: &str = "memory-token-b";

fn seeded() -> MemoryCrm {
    MemoryCrm::new()
        .with_portal(A, &CrmFixture::standard())
        .with_portal(B, &CrmFixture::other())
}

#[tokio::test]
async fn the_memory_crm_keeps_the_contract() {
    crm::crm(&seeded(), &CrmAccess::bearer(A)).await;
}

#[tokio::test]
async fn one_workspaces_crm_cannot_reach_anothers_records() {
    crm::crm_isolation(&seeded(), &CrmAccess::bearer(A), &CrmAccess::bearer(B)).await;
}

#[tokio::test]
async fn a_revoked_token_is_unauthorized() {
    let memory = seeded();
    memory.revoke(A);
    let result = memory.pipelines(&CrmAccess::bearer(A)).await;
    assert_eq!(result, Err(CrmError::Unauthorized));
    assert!(memory.pipelines(&CrmAccess::bearer(B)).await.is_ok());
}

#[tokio::test]
async fn a_note_is_found_by_its_marker_on_its_account_and_workspace_only() {
    crm::crm_note_markers(&seeded(), &CrmAccess::bearer(A), &CrmAccess::bearer(B)).await;
}
