use super::*;

const NOW: i64 = 1_800_000_000;

fn key() -> LinkKey {
    LinkKey::new(Secret::new("connect-link-key-0123456789abcdefXYZ")).unwrap()
}

fn tenant(raw: &str) -> TenantId {
    TenantId::parse(raw).unwrap()
}

fn user(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

fn link_for(user_id: &str) -> ConnectLink {
    ConnectLink::new(tenant("T0ACME"), user(user_id), Provider::Google, NOW)
}

/// `token` with its payload replaced by `payload`, the MAC kept.
fn with_payload(token: &str, payload: &str) -> String {
    let (_, tag) = token.split_once('.').unwrap();
    format!("{}.{tag}", URL_SAFE_NO_PAD.encode(payload))
}

#[test]
fn a_link_verifies_until_it_expires_with_what_it_was_signed_for() {
    let link = link_for("U0ALICE");
    let token = sign(&key(), &link);
    assert_eq!(verify(&key(), &token, NOW), Ok(link.clone()));
    assert_eq!(
        verify(&key(), &token, NOW + LINK_TTL_SECS - 1),
        Ok(link.clone())
    );
    assert_eq!(
        verify(&key(), &token, NOW + LINK_TTL_SECS),
        Err(LinkError::Expired)
    );
    assert_eq!(link.expires_at, NOW + 15 * 60);
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    );
}

#[test]
fn a_link_edited_for_another_user_tenant_or_provider_is_forged() {
    let token = sign(&key(), &link_for("U0ALICE"));
    let expires = NOW + LINK_TTL_SECS;
    for edited in [
        format!("v1.T0ACME.U0BOB.google.{expires}"),
        format!("v1.T0OTHER.U0ALICE.google.{expires}"),
        format!("v1.T0ACME.U0ALICE.fathom.{expires}"),
        format!("v1.T0ACME.U0ALICE.google.{}", expires + 3600),
    ] {
        assert_eq!(
            verify(&key(), &with_payload(&token, &edited), NOW),
            Err(LinkError::Forged),
            "{edited}"
        );
    }
    // Bob's own link is not Alice's.
    let bob = sign(&key(), &link_for("U0BOB"));
    assert_eq!(verify(&key(), &bob, NOW).unwrap().user, user("U0BOB"));
}

#[test]
fn a_link_signed_with_another_key_is_forged() {
    let other = LinkKey::new(Secret::new("another-connect-key-9876543210fedcbaQRS")).unwrap();
    let token = sign(&other, &link_for("U0ALICE"));
    assert_eq!(verify(&key(), &token, NOW), Err(LinkError::Forged));
    // A MAC over the same payload without the label (a MAC of this key for something else).
    let payload = link_for("U0ALICE").payload();
    let mut bare = <Hmac<Sha256> as Mac>::new_from_slice(key().0.expose().as_bytes()).unwrap();
    bare.update(payload.as_bytes());
    let token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(bare.finalize().into_bytes())
    );
    assert_eq!(verify(&key(), &token, NOW), Err(LinkError::Forged));
}

#[test]
fn garbage_is_malformed_and_never_panics() {
    let token = sign(&key(), &link_for("U0ALICE"));
    for bad in [
        "",
        ".",
        "abc",
        "!!!.???",
        &token[..token.len() / 2],
        &format!("{token}.extra"),
        &"A".repeat(MAX_TOKEN_LEN + 1),
    ] {
        assert!(
            matches!(
                verify(&key(), bad, NOW),
                Err(LinkError::Malformed | LinkError::Forged)
            ),
            "{bad}"
        );
    }
    assert_eq!(verify(&key(), "abc", NOW), Err(LinkError::Malformed));
}

#[test]
fn a_signed_payload_we_would_never_issue_is_malformed() {
    // Signed with our key (so only a bug of ours could make one), but not a link.
    let sign_raw = |payload: &str| {
        let tag = key().mac(payload.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    };
    for payload in [
        "v2.T0ACME.U0ALICE.google.1800000900".to_owned(),
        "v1.T0ACME.U0ALICE.dropbox.1800000900".to_owned(),
        "v1.not-a-team.U0ALICE.google.1800000900".to_owned(),
        "v1.T0ACME.U0ALICE.google.soon".to_owned(),
        // Expires a day from now: longer than any link lives.
        format!("v1.T0ACME.U0ALICE.google.{}", NOW + 86_400),
    ] {
        assert_eq!(
            verify(&key(), &sign_raw(&payload), NOW),
            Err(LinkError::Malformed),
            "{payload}"
        );
    }
}

#[test]
fn urls_name_the_provider_and_carry_the_link_and_keys_must_be_strong() {
    let url = connect_url(
        "https://sb.example/",
        &key(),
        &tenant("T0ACME"),
        &user("U0ALICE"),
        Provider::Google,
        NOW,
    );
    let token = url
        .strip_prefix("https://sb.example/connect/google?link=")
        .unwrap();
    assert_eq!(verify(&key(), token, NOW).unwrap().user, user("U0ALICE"));
    let links = ConnectLinks::new("https://sb.example", key());
    assert!(
        links
            .url(&tenant("E0ORG"), &user("W0ALICE"), Provider::Fathom, NOW)
            .starts_with("https://sb.example/connect/fathom?link=")
    );
    assert!(LinkKey::new(Secret::new("short")).is_err());
    assert!(LinkKey::new(Secret::new("replace-me-replace-me-replace-me-0000")).is_err());
    assert!(!format!("{:?} {links:?}", key()).contains("0123456789"));
}
