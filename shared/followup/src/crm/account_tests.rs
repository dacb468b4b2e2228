use super::*;
use crate::crm::AccountId;

fn invitee(email: &str, external: bool) -> Invitee {
    Invitee {
        name: None,
        email: Some(email.into()),
        is_external: external,
    }
}

fn account(id: &str, name: &str, domain: Option<&str>) -> Account {
    Account {
        id: AccountId::parse(id).unwrap(),
        name: name.into(),
        domain: domain.map(str::to_owned),
        link: format!("https://crm.example/{id}"),
    }
}

fn domains(list: &[&str]) -> Vec<Domain> {
    list.iter().map(|d| Domain::parse(d).unwrap()).collect()
}

#[test]
fn external_attendees_domains_are_tried_once_each_without_free_mail() {
    let found = candidate_domains(&[
        invitee("alice@us.example", false),
        invitee("john@Client.example", true),
        invitee("jane@gmail.com", true),
        invitee("carla@client.example", true),
        invitee("not-an-address", true),
        invitee("bob@other.example", true),
        Invitee {
            name: Some("No email".into()),
            email: None,
            is_external: true,
        },
    ]);
    assert_eq!(found, domains(&["client.example", "other.example"]));
}

#[test]
fn an_exact_domain_match_comes_before_name_matches() {
    let ranked = rank(
        &domains(&["acme.com"]),
        &["Acme".into()],
        vec![
            account("1", "Acme", Some("acme-old.com")),
            account("2", "Acme Corporation", Some("https://www.acme.com")),
            account("3", "Acme Holdings", None),
        ],
    );
    let order: Vec<_> = ranked
        .iter()
        .map(|r| (r.account.id.as_str(), r.by))
        .collect();
    assert_eq!(
        order,
        [
            ("2", MatchKind::Domain),
            ("1", MatchKind::ExactName),
            ("3", MatchKind::Fuzzy)
        ]
    );
    assert_eq!(
        resolve(ranked),
        Resolution::Found(account(
            "2",
            "Acme Corporation",
            Some("https://www.acme.com")
        ))
    );
}

#[test]
fn a_domain_is_matched_exactly_never_as_a_substring() {
    let ranked = rank(
        &domains(&["acme.com"]),
        &[],
        vec![
            account("1", "Evil", Some("acme.com.evil.io")),
            account("2", "Not Acme", Some("notacme.com")),
        ],
    );
    assert!(ranked.is_empty(), "{ranked:?}");
    assert_eq!(resolve(ranked), Resolution::NoMatch);
}

#[test]
fn an_exact_name_beats_a_fuzzy_one_whatever_the_crms_order() {
    let ranked = rank(
        &[],
        &["ACME, Inc.".into()],
        vec![
            account("1", "Acme Holdings", None),
            account("2", "acme", None),
        ],
    );
    assert_eq!(ranked[0].account.id.as_str(), "2");
    assert_eq!(ranked[0].by, MatchKind::ExactName);
    assert_eq!(ranked[1].by, MatchKind::Fuzzy);
    assert!(matches!(resolve(ranked), Resolution::Found(a) if a.id.as_str() == "2"));
}

#[test]
fn several_accounts_on_one_domain_or_only_fuzzy_ones_let_the_user_choose() {
    let two = rank(
        &domains(&["acme.com"]),
        &[],
        vec![
            account("1", "Acme EU", Some("acme.com")),
            account("2", "Acme US", Some("acme.com")),
            account("1", "Acme EU", Some("acme.com")),
        ],
    );
    assert_eq!(two.len(), 2, "each account once");
    assert!(matches!(resolve(two), Resolution::Choose(c) if c.len() == 2));
    let fuzzy = rank(
        &[],
        &["acme".into()],
        vec![account("3", "Acme Holdings", None)],
    );
    assert!(matches!(resolve(fuzzy), Resolution::Choose(c) if c.len() == 1));
}

#[test]
fn names_are_compared_without_case_punctuation_or_legal_form() {
    assert_eq!(normalise_name("  ACME,   Inc. "), "acme");
    assert_eq!(normalise_name("Rossi S.p.A."), "rossi");
    assert_eq!(
        normalise_name("Inc"),
        "inc",
        "a name that is only a legal form stays"
    );
    assert_eq!(normalise_name("Müller GmbH"), "müller");
}
