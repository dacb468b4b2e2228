//! The CRM jobs: the edit modal's "Log to CRM", "Deals" and "Create task", the account
//! chooser, `/followup task`, and the admins' connection modal. Every CRM call uses the
//! workspace's own connection (`connectors::crms::Crms::default_connection`), never another's.

use app::ui::modals;
use followup::Session;
use tenant::job::{CrmJob, EditorAction};
use tenant::{JobEnvelope, Secret};

use crate::Worker;
use crate::error::JobError;

impl Worker {
    pub(crate) async fn crm_job(&self, job: &JobEnvelope, crm: &CrmJob) -> Result<(), JobError> {
        let _ = (job, crm);
        Err(JobError::BadPayload("CRM jobs are not built yet"))
    }

    pub(crate) async fn crm_editor_action(
        &self,
        _job: &JobEnvelope,
        token: &Secret,
        action: &EditorAction,
        _session: &Session,
    ) -> Result<(), JobError> {
        self.web
            .update_view(
                token,
                &action.view_id,
                None,
                &modals::notice("Follow-up", "The CRM actions are not built yet."),
            )
            .await?;
        Ok(())
    }
}
