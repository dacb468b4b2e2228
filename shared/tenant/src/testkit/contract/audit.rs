use std::collections::BTreeSet;

use super::{expect_eq, ok};
use crate::audit::{AuditAction, AuditEntry, AuditEvent, ChainError, GENESIS, verify_chain};
use crate::ports::AuditLog;
use crate::testkit::{join_all, random_tenant};

fn event(action: AuditAction, detail: &str, at: i64) -> AuditEvent {
    AuditEvent {
        actor: "slack:U0AUDITOR".into(),
        action,
        detail: detail.to_owned(),
        at,
    }
}

/// [`AuditLog`]: an empty tenant lists nothing; appends get sequence numbers 1..n, link into a
/// chain that `verify_chain` accepts and come back from `list` exactly as returned by `append`;
/// 20 concurrent appends to one tenant give 20 entries with distinct sequence numbers and a
/// valid chain (no fork); `list` shows only the tenant's own entries. Every entry is sealed:
/// `verify_seal` accepts the stored seal and refuses a missing one or the seal of an entry
/// rewritten with a recomputed hash, so `verify_chain` reports the newest entry rewritten.
pub async fn audit_log(log: &dyn AuditLog) {
    let tenant = random_tenant();
    expect_eq(
        "a tenant without entries lists none",
        ok("list", log.list(&tenant).await),
        vec![],
    );

    let actions = [
        AuditAction::Install,
        AuditAction::Suspend,
        AuditAction::Resume,
        AuditAction::TokensRevoked,
        AuditAction::Uninstall,
    ];
    let mut returned: Vec<AuditEntry> = Vec::new();
    for (i, action) in actions.into_iter().enumerate() {
        // Details with quotes, separators and non-ASCII must survive storage unchanged.
        let detail = format!("step {i}: \"scopes\" a,b#c ✓");
        let entry = ok(
            "append",
            log.append(&tenant, event(action, &detail, 1_700_000_000 + i as i64))
                .await,
        );
        expect_eq("appends are numbered 1..n", entry.seq, i as u64 + 1);
        expect_eq("the entry keeps the event's detail", &entry.detail, &detail);
        returned.push(entry);
    }
    expect_eq(
        "the first entry links to GENESIS",
        returned[0].prev_hash.as_str(),
        GENESIS,
    );
    let listed = ok("list", log.list(&tenant).await);
    expect_eq(
        "list returns the appended entries in order",
        &listed,
        &returned,
    );
    expect_eq(
        "the stored chain verifies",
        verify_chain(log, &tenant, &listed).await,
        Ok(()),
    );
    seals(log, &tenant, &listed).await;

    // Concurrent appends to one tenant never fork the chain.
    let busy = random_tenant();
    let appends = join_all(
        (0..20)
            .map(|i| {
                log.append(
                    &busy,
                    event(AuditAction::TokenRefreshed, &format!("racer {i}"), i),
                )
            })
            .collect(),
    )
    .await;
    let appended: Vec<AuditEntry> = appends.into_iter().map(|a| ok("append", a)).collect();
    let seqs: BTreeSet<u64> = appended.iter().map(|e| e.seq).collect();
    expect_eq(
        "20 concurrent appends get 20 distinct sequence numbers 1..=20",
        seqs,
        (1..=20).collect(),
    );
    let listed = ok("list", log.list(&busy).await);
    expect_eq("20 concurrent appends store 20 entries", listed.len(), 20);
    expect_eq(
        "the chain after concurrent appends verifies (no fork)",
        verify_chain(log, &busy, &listed).await,
        Ok(()),
    );
    let details: BTreeSet<&str> = listed.iter().map(|e| e.detail.as_str()).collect();
    expect_eq("every racer's entry is stored once", details.len(), 20);

    // Each tenant lists only its own.
    assert!(
        ok("list", log.list(&tenant).await)
            .iter()
            .all(|e| e.tenant == tenant),
        "contract broken: list shows another tenant's entries"
    );
    expect_eq(
        "the first tenant still has its 5 entries",
        ok("list", log.list(&tenant).await).len(),
        5,
    );
}

/// The seals of `listed` (an intact chain of `tenant`), through the port.
async fn seals(log: &dyn AuditLog, tenant: &crate::TenantId, listed: &[AuditEntry]) {
    for entry in listed {
        assert!(
            !entry.seal.is_empty() && ok("verify_seal", log.verify_seal(entry).await),
            "contract broken: entry {} is stored without a valid seal",
            entry.seq
        );
    }
    // The newest entry rewritten with a recomputed plain hash, as someone with write access to
    // the table could: the links still hold, the seal does not.
    let mut forged = listed.to_vec();
    let newest = forged.last_mut().expect("entries to forge");
    newest.detail = "rewritten".into();
    newest.hash = newest.compute_hash();
    expect_eq(
        "the seal of a rewritten entry does not verify",
        ok("verify_seal", log.verify_seal(newest).await),
        false,
    );
    let seq = newest.seq;
    expect_eq(
        "a chain whose newest entry was rewritten with a recomputed hash is broken",
        verify_chain(log, tenant, &forged).await,
        Err(ChainError::Unsealed { seq }),
    );
    let newest = forged.last_mut().expect("entries to forge");
    newest.seal = String::new();
    expect_eq(
        "an entry without a seal does not verify",
        ok("verify_seal", log.verify_seal(newest).await),
        false,
    );
    let mut garbled = listed[0].clone();
    garbled.seal = "zz".into();
    expect_eq(
        "a malformed seal is a refusal, not an error",
        ok("verify_seal", log.verify_seal(&garbled).await),
        false,
    );
}
