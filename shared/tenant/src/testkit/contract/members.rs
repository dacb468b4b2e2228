use super::{expect_eq, ok};
use crate::ids::{TenantId, UserId};
use crate::ports::{Member, Members, Role};
use crate::testkit::{join_all, random_suffix, random_tenant, user};

fn member(user_id: &UserId, role: Role, added_at: i64) -> Member {
    Member {
        user: user_id.clone(),
        role,
        added_at,
    }
}

fn random_user(prefix: &str) -> UserId {
    user(&format!("U{prefix}{}", random_suffix(8)))
}

/// [`Members`]: put/get round trip, `None` for a stranger, put replaces, list ordered by user
/// id; `add_first_admin` is `true` once per tenant and `false` after (also among 20 concurrent
/// callers, where exactly one wins and only the winner is stored); non-admin members do not
/// block it; an admin put with `put_member` closes it as well (the first admin is a one-time
/// bootstrap: a guard records that the tenant has had an admin, and later demotions do not
/// reopen it).
pub async fn members(members: &dyn Members) {
    let tenant = random_tenant();
    expect_eq(
        "a tenant without members lists none",
        ok("list_members", members.list_members(&tenant).await),
        vec![],
    );
    // Users put out of order come back ordered by id.
    let (a, b, c) = (random_user("A"), random_user("B"), random_user("C"));
    for u in [&c, &a, &b] {
        ok(
            "put_member",
            members
                .put_member(&tenant, &member(u, Role::Member, 10))
                .await,
        );
    }
    expect_eq(
        "get_member returns what was put",
        ok("get_member", members.get_member(&tenant, &b).await),
        Some(member(&b, Role::Member, 10)),
    );
    expect_eq(
        "get_member of a stranger is None",
        ok(
            "get_member",
            members.get_member(&tenant, &random_user("Z")).await,
        ),
        None,
    );
    ok(
        "put_member (replace)",
        members
            .put_member(&tenant, &member(&c, Role::Member, 20))
            .await,
    );
    expect_eq(
        "list_members is ordered by user id, one entry per user",
        ok("list_members", members.list_members(&tenant).await),
        vec![
            member(&a, Role::Member, 10),
            member(&b, Role::Member, 10),
            member(&c, Role::Member, 20),
        ],
    );

    // Plain members do not block the first admin; the first admin is first only once.
    let installer = random_user("I");
    expect_eq(
        "add_first_admin with only non-admin members is true",
        ok(
            "add_first_admin",
            members
                .add_first_admin(&tenant, &member(&installer, Role::Admin, 30))
                .await,
        ),
        true,
    );
    expect_eq(
        "the first admin is stored",
        ok("get_member", members.get_member(&tenant, &installer).await),
        Some(member(&installer, Role::Admin, 30)),
    );
    let second = random_user("S");
    expect_eq(
        "a second add_first_admin is false",
        ok(
            "add_first_admin",
            members
                .add_first_admin(&tenant, &member(&second, Role::Admin, 40))
                .await,
        ),
        false,
    );
    expect_eq(
        "a refused first admin is not stored",
        ok("get_member", members.get_member(&tenant, &second).await),
        None,
    );
    // Demoting the first admin does not reopen the bootstrap.
    ok(
        "put_member (demote)",
        members
            .put_member(&tenant, &member(&installer, Role::Member, 50))
            .await,
    );
    expect_eq(
        "add_first_admin stays false after the first admin is demoted",
        ok(
            "add_first_admin",
            members
                .add_first_admin(&tenant, &member(&second, Role::Admin, 60))
                .await,
        ),
        false,
    );

    admin_put_closes_bootstrap(members).await;
    concurrent_first_admins(members).await;
}

async fn admin_put_closes_bootstrap(members: &dyn Members) {
    let tenant = random_tenant();
    let admin = random_user("A");
    ok(
        "put_member (admin)",
        members
            .put_member(&tenant, &member(&admin, Role::Admin, 1))
            .await,
    );
    expect_eq(
        "add_first_admin is false once an admin was put",
        ok(
            "add_first_admin",
            members
                .add_first_admin(&tenant, &member(&random_user("B"), Role::Admin, 2))
                .await,
        ),
        false,
    );
}

async fn concurrent_first_admins(members: &dyn Members) {
    let tenant: TenantId = random_tenant();
    let racers: Vec<Member> = (0..20)
        .map(|i| member(&random_user(&format!("{i:02}")), Role::Admin, i))
        .collect();
    let answers = join_all(
        racers
            .iter()
            .map(|m| members.add_first_admin(&tenant, m))
            .collect(),
    )
    .await;
    let answers: Vec<bool> = answers
        .into_iter()
        .map(|a| ok("add_first_admin", a))
        .collect();
    expect_eq(
        "exactly one of 20 concurrent add_first_admin calls is true",
        answers.iter().filter(|won| **won).count(),
        1,
    );
    let winner = answers
        .iter()
        .position(|won| *won)
        .map(|i| racers[i].clone());
    expect_eq(
        "only the winner is stored",
        ok("list_members", members.list_members(&tenant).await),
        winner.into_iter().collect::<Vec<_>>(),
    );
}
