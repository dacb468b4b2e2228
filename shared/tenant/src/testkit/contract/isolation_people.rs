//! The audit-log and members half of the isolation suite (see [`super::isolation`]).

use super::{expect_eq, ok};
use crate::audit::{AuditAction, AuditEntry, AuditEvent, verify_chain};
use crate::ids::{TenantId, UserId};
use crate::ports::{Backend, Member, Role};
use crate::testkit::{random_suffix, user};

/// What tenant A stored, to check afterwards that the others changed none of it.
pub(super) struct Stored {
    audit: Vec<AuditEntry>,
    members: Vec<Member>,
    admin: UserId,
}

fn event(detail: &str) -> AuditEvent {
    AuditEvent {
        actor: "operator".into(),
        action: AuditAction::Suspend,
        detail: detail.to_owned(),
        at: 1_700_000_000,
    }
}

/// Stores an audit chain, a member and a first admin for `a`.
pub(super) async fn store_for(backend: &Backend, a: &TenantId) -> Stored {
    let mut audit = Vec::new();
    for detail in ["A one", "A two"] {
        audit.push(ok(
            "audit append A",
            backend.audit.append(a, event(detail)).await,
        ));
    }
    let admin = user(&format!("U{}", random_suffix(9)));
    let plain = user(&format!("U{}", random_suffix(9)));
    let plain_member = Member {
        user: plain,
        role: Role::Member,
        added_at: 100,
    };
    ok(
        "put_member A",
        backend.members.put_member(a, &plain_member).await,
    );
    let admin_member = Member {
        user: admin.clone(),
        role: Role::Admin,
        added_at: 100,
    };
    expect_eq(
        "A's first admin is added",
        ok(
            "add_first_admin A",
            backend.members.add_first_admin(a, &admin_member).await,
        ),
        true,
    );
    let mut members = vec![plain_member, admin_member];
    members.sort_by(|x, y| x.user.as_str().cmp(y.user.as_str()));
    Stored {
        audit,
        members,
        admin,
    }
}

/// Tenant `b` sees none of A's entries or members, and its own writes stay its own.
pub(super) async fn check_other(backend: &Backend, b: &TenantId, a_data: &Stored) {
    expect_eq(
        &format!("{b} does not see A's audit entries"),
        ok("audit list", backend.audit.list(b).await),
        vec![],
    );
    expect_eq(
        &format!("{b} does not see A's admin"),
        ok(
            "get_member",
            backend.members.get_member(b, &a_data.admin).await,
        ),
        None,
    );
    expect_eq(
        &format!("{b} does not see A's members"),
        ok("list_members", backend.members.list_members(b).await),
        vec![],
    );
    // A's first admin does not close B's, and B's chain starts at 1.
    let b_admin = Member {
        user: a_data.admin.clone(),
        role: Role::Admin,
        added_at: 200,
    };
    expect_eq(
        &format!("A's admin guard does not block {b}'s first admin"),
        ok(
            "add_first_admin",
            backend.members.add_first_admin(b, &b_admin).await,
        ),
        true,
    );
    let b_entry = ok("audit append", backend.audit.append(b, event("B")).await);
    expect_eq(
        &format!("{b}'s first audit entry is number 1"),
        b_entry.seq,
        1,
    );
}

/// A's audit chain and members are exactly as A left them.
pub(super) async fn check_unchanged(backend: &Backend, a: &TenantId, a_data: &Stored) {
    let audit = ok("audit list A", backend.audit.list(a).await);
    expect_eq("A's audit entries are unchanged", &audit, &a_data.audit);
    expect_eq(
        "A's chain verifies",
        verify_chain(backend.audit.as_ref(), a, &audit).await,
        Ok(()),
    );
    expect_eq(
        "A's members are unchanged",
        ok("list_members A", backend.members.list_members(a).await),
        a_data.members.clone(),
    );
}
