//! The App Home's buttons (block_actions from the `home` view). A Home tab is not a modal:
//! there is no view to update in place, so "Connect Fathom" opens the connect modal on the
//! button's fresh trigger (inline, within Slack's 3 s), and "Disconnect" queues a
//! [`JobKind::Disconnect`] for the user who pressed it. Slack asks for a confirmation before
//! it sends a Disconnect at all (the button's `confirm`).
//!
//! Whose credential: always `user.id` of the signed payload. The button's value names only
//! the provider, and a value that is not one a user may disconnect is a 400 with nothing
//! queued, so a forged value can neither reach another user nor a workspace credential.

use app::IngressError;
use app::http_io::{self, HttpResponse};
use app::ui::{ids, modals};
use slack::{Interaction, InteractionKind};
use tenant::credential::Provider;
use tenant::job::Disconnect;
use tenant::{JobKind, TenantId};

use crate::CommandsHandler;
use crate::followup::interaction_answer;

/// What a Home button asks for.
pub(crate) enum HomeAction {
    ConnectFathom,
    /// The value as sent; checked in [`CommandsHandler::on_home_interaction`].
    Disconnect(Option<String>),
    /// "Connect Google" is a link: Slack opens it and sends the click as well.
    ConnectGoogleLink,
}

impl HomeAction {
    pub(crate) fn of(interaction: &Interaction) -> Option<Self> {
        if interaction.kind != InteractionKind::BlockActions {
            return None;
        }
        match interaction.action_id.as_deref()? {
            ids::HOME_FATHOM_CONNECT => Some(Self::ConnectFathom),
            ids::HOME_DISCONNECT => Some(Self::Disconnect(interaction.action_value.clone())),
            ids::HOME_GOOGLE_CONNECT => Some(Self::ConnectGoogleLink),
            _ => None,
        }
    }
}

/// The provider a Disconnect button's value names, if a user may disconnect it.
fn disconnectable(value: Option<&str>) -> Option<Provider> {
    Provider::parse(value?)
        .ok()
        .filter(|&provider| Disconnect::allows(provider))
}

impl CommandsHandler {
    pub(crate) async fn on_home_interaction(
        &self,
        tenant: TenantId,
        interaction: &Interaction,
        action: HomeAction,
        raw: &[u8],
    ) -> Result<HttpResponse, IngressError> {
        let Some(user) = interaction.user_id.clone() else {
            return Err(IngressError::Malformed("interaction without a user".into()));
        };
        let trigger = interaction.trigger_id.as_deref();
        match action {
            // The link opened in the user's browser; nothing to do here but ack.
            HomeAction::ConnectGoogleLink => Ok(http_io::ack()),
            HomeAction::ConnectFathom => {
                let Some(trigger) = trigger else {
                    return Err(IngressError::Malformed("button without a trigger".into()));
                };
                // The submission goes the way of `/followup connect`'s (SubmitKey), and the
                // worker republishes the Home once the key is connected.
                Ok(
                    match self
                        .open_modal(&tenant, trigger, &modals::connect_fathom(None))
                        .await?
                    {
                        Ok(_) => http_io::ack(),
                        Err(refused) => refused,
                    },
                )
            }
            HomeAction::Disconnect(value) => {
                let Some(provider) = disconnectable(value.as_deref()) else {
                    return Err(IngressError::Malformed(
                        "not a provider a user can disconnect".into(),
                    ));
                };
                let kind = JobKind::Disconnect(Disconnect {
                    user: user.clone(),
                    provider,
                });
                let outcome = self.queue_for(tenant, trigger, raw, kind, &user).await?;
                Ok(interaction_answer(outcome))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_users_own_recorder_and_google_can_be_disconnected() {
        assert_eq!(disconnectable(Some("fathom")), Some(Provider::Fathom));
        assert_eq!(disconnectable(Some("google")), Some(Provider::Google));
        for forged in [
            None,
            Some(""),
            Some("slack"),
            Some("hubspot"),
            Some("fathom_pending"),
            Some("fathom:U0OTHER01"),
            Some("U0OTHER01"),
        ] {
            assert_eq!(disconnectable(forged), None, "{forged:?}");
        }
    }
}
