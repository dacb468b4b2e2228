//! The session store's contract on the in-memory adapter (the reference semantics).

use followup::testkit::{MemorySessions, contract};

#[tokio::test]
async fn memory_sessions_keep_the_contract() {
    let store = MemorySessions::default();
    contract::sessions(&store).await;
}

#[tokio::test]
async fn memory_sessions_are_isolated_by_tenant_and_user() {
    let store = MemorySessions::default();
    contract::sessions_isolation(&store).await;
}
