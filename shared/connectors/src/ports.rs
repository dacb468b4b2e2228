//! The `followup` ports implemented by this crate's clients: [`followup::Recorder`] for
//! `fathom::FathomClient`, [`followup::Drafter`] for `anthropic::AnthropicClient`,
//! [`followup::Mailer`] for `google::GmailClient` and [`followup::Calendar`] for
//! `google::CalendarClient`, with [`ConnectorError`] mapped to [`followup::ProviderError`].

use followup::ProviderError;

use crate::http::ConnectorError;

impl From<ConnectorError> for ProviderError {
    /// The classes match one to one; `Unavailable` loses its cause and its wait (the port has
    /// neither: the worker backs off), `Invalid` keeps its description (written by this crate,
    /// so free of customer data).
    fn from(err: ConnectorError) -> Self {
        match err {
            ConnectorError::Unauthorized { .. } => Self::Unauthorized,
            ConnectorError::NotFound { .. } => Self::NotFound,
            ConnectorError::RateLimited { retry_after, .. } => Self::RateLimited { retry_after },
            ConnectorError::Unavailable { .. } => Self::Unavailable,
            ConnectorError::Invalid { what, .. } => Self::Invalid(what),
        }
    }
}

#[cfg(feature = "fathom")]
mod recorder {
    use async_trait::async_trait;
    use followup::{
        Invitee, Meeting, MeetingPage, MeetingQuery, ProviderError, Recorder, RecorderAuth,
        RecordingId, Transcript, TranscriptLine,
    };

    use crate::fathom::{self, FathomAuth, FathomClient};

    fn auth(auth: &RecorderAuth) -> FathomAuth {
        match auth {
            RecorderAuth::ApiKey(key) => FathomAuth::ApiKey(key.clone()),
            RecorderAuth::Bearer(token) => FathomAuth::OAuth(token.clone()),
        }
    }

    pub(crate) fn meeting(wire: fathom::Meeting) -> Meeting {
        Meeting {
            recording_id: RecordingId::new(wire.recording_id.0),
            title: wire
                .meeting_title
                .filter(|t| !t.trim().is_empty())
                .unwrap_or(wire.title),
            created_at: wire.created_at,
            started_at: wire.recording_start_time,
            ended_at: wire.recording_end_time,
            scheduled_start: wire.scheduled_start_time,
            share_url: wire.share_url.unwrap_or_else(|| wire.url.clone()),
            url: wire.url,
            language: Some(wire.transcript_language).filter(|l| !l.trim().is_empty()),
            invitees: wire
                .calendar_invitees
                .into_iter()
                .map(|i| Invitee {
                    name: i.name,
                    email: i.email,
                    is_external: i.is_external,
                })
                .collect(),
            recorded_by_email: wire.recorded_by.email,
        }
    }

    #[async_trait]
    impl Recorder for FathomClient {
        async fn list_meetings(
            &self,
            recorder_auth: &RecorderAuth,
            query: &MeetingQuery,
        ) -> Result<MeetingPage, ProviderError> {
            let wire_query = fathom::MeetingQuery {
                created_after: query.created_after,
                created_before: query.created_before,
            };
            let page = self
                .meetings_page(&auth(recorder_auth), &wire_query, query.cursor.as_deref())
                .await?;
            Ok(MeetingPage {
                meetings: page.items.into_iter().map(meeting).collect(),
                next_cursor: page.next_cursor.filter(|c| !c.is_empty()),
            })
        }

        async fn transcript(
            &self,
            recorder_auth: &RecorderAuth,
            recording: &RecordingId,
        ) -> Result<Transcript, ProviderError> {
            let items = FathomClient::transcript(
                self,
                &auth(recorder_auth),
                fathom::RecordingId(recording.get()),
            )
            .await?;
            Ok(Transcript {
                lines: items
                    .into_iter()
                    .map(|item| TranscriptLine {
                        speaker: item.speaker.display_name,
                        text: item.text,
                        timestamp: item.at,
                    })
                    .collect(),
            })
        }

        async fn verify(&self, recorder_auth: &RecorderAuth) -> Result<(), ProviderError> {
            Ok(FathomClient::verify(self, &auth(recorder_auth)).await?)
        }
    }

    #[async_trait]
    impl followup::RecorderWebhooks for FathomClient {
        async fn register(
            &self,
            recorder_auth: &RecorderAuth,
            destination: &str,
        ) -> Result<followup::WebhookRegistration, ProviderError> {
            let request = fathom::NewWebhook::for_followups(destination);
            let hook = self.create_webhook(&auth(recorder_auth), &request).await?;
            Ok(followup::WebhookRegistration {
                id: hook.id.0,
                secret: hook.secret,
            })
        }

        async fn unregister(
            &self,
            recorder_auth: &RecorderAuth,
            id: &str,
        ) -> Result<(), ProviderError> {
            let id = fathom::WebhookId(id.to_owned());
            Ok(self.delete_webhook(&auth(recorder_auth), &id).await?)
        }
    }
}

#[cfg(feature = "anthropic")]
mod drafter {
    use async_trait::async_trait;
    use followup::{Answer, Draft, DraftRequest, Drafter, ProviderError, SessionDigest};

    use crate::anthropic::AnthropicClient;

    #[async_trait]
    impl Drafter for AnthropicClient {
        async fn draft(&self, request: &DraftRequest) -> Result<Draft, ProviderError> {
            Ok(AnthropicClient::draft(self, request).await?)
        }

        /// The port's answer is text only; which digests were used is dropped here
        /// ([`AnthropicClient::ask`] has it).
        async fn answer(
            &self,
            question: &str,
            context: &[SessionDigest],
        ) -> Result<Answer, ProviderError> {
            let answer = self.ask(question, context).await?;
            Ok(Answer {
                text: answer.text,
                used: answer.used,
            })
        }
    }
}

#[cfg(feature = "google")]
mod google {
    use async_trait::async_trait;
    use followup::{Calendar, Created, EmailDraft, EventRequest, Mailer, ProviderError};
    use tenant::Secret;

    use crate::google::{CalendarClient, GmailClient};

    #[async_trait]
    impl Mailer for GmailClient {
        async fn create_draft(
            &self,
            token: &Secret,
            email: &EmailDraft,
        ) -> Result<Created, ProviderError> {
            let draft = GmailClient::create_draft(self, token, email).await?;
            Ok(Created {
                link: draft.link(),
                id: draft.id,
            })
        }
    }

    #[async_trait]
    impl Calendar for CalendarClient {
        /// The port's answer has no Meet link (it is in the event, which `link` opens);
        /// [`CalendarClient::insert_event`] has it.
        async fn create_event(
            &self,
            token: &Secret,
            event: &EventRequest,
        ) -> Result<Created, ProviderError> {
            let created = self.insert_event(token, event).await?;
            Ok(Created {
                id: created.id,
                link: created.html_link,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::http::Unavailable;

    #[test]
    fn every_class_maps_to_its_port_error() {
        let p = "Fathom";
        let cases = [
            (
                ConnectorError::Unauthorized {
                    provider: p,
                    status: 403,
                },
                ProviderError::Unauthorized,
            ),
            (
                ConnectorError::NotFound { provider: p },
                ProviderError::NotFound,
            ),
            (
                ConnectorError::RateLimited {
                    provider: p,
                    retry_after: Some(Duration::from_secs(2)),
                },
                ProviderError::RateLimited {
                    retry_after: Some(Duration::from_secs(2)),
                },
            ),
            (
                ConnectorError::Unavailable {
                    provider: p,
                    cause: Unavailable::Timeout,
                    retry_after: None,
                },
                ProviderError::Unavailable,
            ),
            (
                ConnectorError::invalid(p, "missing field `items`"),
                ProviderError::Invalid("missing field `items`".into()),
            ),
        ];
        for (from, to) in cases {
            assert_eq!(ProviderError::from(from), to);
        }
    }
}
