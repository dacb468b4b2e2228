//! "The right account" for a meeting (issue 9, item 4), as pure functions: which domains to
//! search ([`candidate_domains`]) and how to order what the CRM found ([`rank`], [`resolve`]).
//! The per-workspace mapping store, consulted before all this, is not here.

use super::domain::Domain;
use super::types::Account;
use crate::meeting::Invitee;

/// The domains to look up: every external attendee's, free-mail ones
/// ([`super::FREE_MAIL_DOMAINS`]) and unparsable addresses left out, each once, in attendee
/// order.
pub fn candidate_domains(invitees: &[Invitee]) -> Vec<Domain> {
    let mut domains: Vec<Domain> = Vec::new();
    for invitee in invitees.iter().filter(|i| i.is_external) {
        let Some(domain) = invitee
            .email
            .as_deref()
            .and_then(|e| Domain::of_email(e).ok())
        else {
            continue;
        };
        if !domain.is_free_mail() && !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    domains
}

/// How an account matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// Its website domain is exactly one of the attendees' domains.
    Domain,
    /// Its name equals a hint (case, spacing and a legal suffix aside).
    ExactName,
    /// Its name contains a hint or the other way round.
    Fuzzy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub account: Account,
    pub by: MatchKind,
}

/// `found` (accounts from domain and name searches, duplicates allowed) ordered: exact domain
/// matches first, then exact name matches, then fuzzy ones; accounts matching none of these
/// are dropped; each account once, under its best match; ties keep `found`'s order.
pub fn rank(domains: &[Domain], names: &[String], found: Vec<Account>) -> Vec<Ranked> {
    let hints: Vec<String> = names
        .iter()
        .map(|n| normalise_name(n))
        .filter(|n| !n.is_empty())
        .collect();
    let mut ranked: Vec<Ranked> = Vec::new();
    for account in found {
        let Some(by) = match_kind(domains, &hints, &account) else {
            continue;
        };
        match ranked.iter_mut().find(|r| r.account.id == account.id) {
            Some(seen) => seen.by = seen.by.min(by),
            None => ranked.push(Ranked { account, by }),
        }
    }
    // Stable: equal kinds keep the CRM's order.
    ranked.sort_by_key(|r| r.by);
    ranked
}

fn match_kind(domains: &[Domain], hints: &[String], account: &Account) -> Option<MatchKind> {
    let domain = account
        .domain
        .as_deref()
        .and_then(|d| Domain::parse(d).ok());
    if domain.is_some_and(|d| domains.contains(&d)) {
        return Some(MatchKind::Domain);
    }
    let name = normalise_name(&account.name);
    if name.is_empty() {
        return None;
    }
    if hints.contains(&name) {
        return Some(MatchKind::ExactName);
    }
    if hints
        .iter()
        .any(|h| name.contains(h.as_str()) || h.contains(name.as_str()))
    {
        return Some(MatchKind::Fuzzy);
    }
    None
}

/// Lower case, single spaces, punctuation dropped, and a trailing legal form (`Inc`, `Ltd`,
/// `S.p.A.`, `GmbH`…) removed, so "ACME, Inc." equals "Acme".
pub fn normalise_name(name: &str) -> String {
    const LEGAL: &[&str] = &[
        "inc",
        "llc",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "spa",
        "srl",
        "bv",
        "nv",
        "plc",
        "oy",
        "ab",
    ];
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else if c == '.' {
                '\0'
            } else {
                ' '
            }
        })
        .filter(|c| *c != '\0')
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    if words.len() > 1 && words.last().is_some_and(|w| LEGAL.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// What the user is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// One account is clearly it: the only domain match, or (no domain match) the only exact
    /// name match.
    Found(Account),
    /// Several candidates, best first: the user picks.
    Choose(Vec<Ranked>),
    /// Nothing matched: the user searches.
    NoMatch,
}

pub fn resolve(ranked: Vec<Ranked>) -> Resolution {
    let Some(best) = ranked.first().map(|r| r.by) else {
        return Resolution::NoMatch;
    };
    let top = ranked.iter().filter(|r| r.by == best).count();
    if top == 1 && best != MatchKind::Fuzzy {
        return Resolution::Found(ranked[0].account.clone());
    }
    Resolution::Choose(ranked)
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
