//! The records every CRM backend is seeded with before the contract runs: accounts, two
//! pipelines, deals in open and closed stages, contacts. Names only; ids are the backend's.
//!
//! Traps for wrong implementations: `notacme.example` and `acme-holdings.example` (a domain
//! search by substring or prefix finds them for `acme.example`), two accounts on
//! `initech.example` (domains are not unique), an open stage labelled "Closed won review"
//! and closed stages labelled "Signed" and "Renewed" (closed-ness from labels gets both
//! wrong).

/// One backend's seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmFixture {
    pub accounts: Vec<FixtureAccount>,
    pub pipelines: Vec<FixturePipeline>,
    pub deals: Vec<FixtureDeal>,
    pub contacts: Vec<FixtureContact>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureAccount {
    pub name: String,
    pub domain: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixturePipeline {
    pub label: String,
    /// In display order: (label, closed).
    pub stages: Vec<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureDeal {
    pub name: String,
    /// The account's name.
    pub account: String,
    pub pipeline: String,
    pub stage: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureContact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The account's name.
    pub account: String,
}

fn account(name: &str, domain: &str) -> FixtureAccount {
    FixtureAccount {
        name: name.into(),
        domain: Some(domain.into()),
    }
}

fn pipeline(label: &str, stages: &[(&str, bool)]) -> FixturePipeline {
    FixturePipeline {
        label: label.into(),
        stages: stages.iter().map(|(l, c)| ((*l).into(), *c)).collect(),
    }
}

fn deal(
    name: &str,
    account: &str,
    pipeline: &str,
    stage: &str,
    amount: &str,
    cur: &str,
) -> FixtureDeal {
    FixtureDeal {
        name: name.into(),
        account: account.into(),
        pipeline: pipeline.into(),
        stage: stage.into(),
        amount: Some(amount.into()),
        currency: Some(cur.into()),
    }
}

fn contact(first: &str, last: &str, email: &str, account: &str) -> FixtureContact {
    FixtureContact {
        first_name: first.into(),
        last_name: last.into(),
        email: email.into(),
        account: account.into(),
    }
}

impl CrmFixture {
    /// Workspace A's CRM: what [`super::crm`] expects.
    pub fn standard() -> Self {
        Self {
            accounts: vec![
                account("Acme", "acme.example"),
                account("Acme Holdings", "acme-holdings.example"),
                account("Notacme", "notacme.example"),
                account("Initech", "initech.example"),
                account("Initech Europe", "initech.example"),
                account("Globex", "globex.example"),
            ],
            pipelines: vec![
                pipeline(
                    "Sales",
                    &[
                        ("Qualified", false),
                        ("Proposal", false),
                        ("Closed won review", false),
                        ("Signed", true),
                        ("Lost", true),
                    ],
                ),
                pipeline("Renewals", &[("Upcoming", false), ("Renewed", true)]),
            ],
            deals: vec![
                deal(
                    "Acme expansion",
                    "Acme",
                    "Sales",
                    "Proposal",
                    "12000.00",
                    "EUR",
                ),
                deal(
                    "Acme pilot",
                    "Acme",
                    "Sales",
                    "Closed won review",
                    "500",
                    "EUR",
                ),
                deal(
                    "Acme 2025 renewal",
                    "Acme",
                    "Renewals",
                    "Renewed",
                    "9000",
                    "EUR",
                ),
                deal("Acme lost bid", "Acme", "Sales", "Lost", "300", "EUR"),
                deal("Globex deal", "Globex", "Sales", "Qualified", "100", "USD"),
            ],
            contacts: vec![
                contact("John", "Smith", "john@acme.example", "Acme"),
                contact("Johanna", "Berg", "johanna@globex.example", "Globex"),
                contact("Carla", "Rossi", "carla@initech.example", "Initech"),
            ],
        }
    }

    /// Workspace B's CRM, for [`super::crm_isolation`]: its own account on `acme.example`, its
    /// own pipeline and contact.
    pub fn other() -> Self {
        Self {
            accounts: vec![account("Acme Rival", "acme.example")],
            pipelines: vec![pipeline("Partners", &[("Talking", false), ("Done", true)])],
            deals: vec![deal(
                "Rival deal",
                "Acme Rival",
                "Partners",
                "Talking",
                "1",
                "GBP",
            )],
            contacts: vec![contact("Rita", "Rival", "rita@acme.example", "Acme Rival")],
        }
    }
}
