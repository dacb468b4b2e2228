//! A user disconnects one of their own providers from App Home: their credential for it is
//! deleted (Fathom's pending key with it), and their Home is published again to show it.
//! Deleting is idempotent, and so is publishing, so a redelivery repeats nothing visible.

use tenant::credential::{CredentialId, Provider};
use tenant::job::Disconnect;
use tenant::{JobEnvelope, Tenant};
use tracing::info;

use crate::Worker;
use crate::error::JobError;

impl Worker {
    pub(crate) async fn disconnect(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        disconnect: &Disconnect,
    ) -> Result<(), JobError> {
        let providers: &[Provider] = match disconnect.provider {
            Provider::Fathom => &[Provider::Fathom, Provider::FathomPending],
            Provider::Google => &[Provider::Google],
            // Ingress refuses these; a job naming one is a producer bug, not retried.
            _ => {
                return Err(JobError::BadPayload(
                    "only a user's own Fathom or Google can be disconnected",
                ));
            }
        };
        // Google's grant is also to be revoked at Google before it is forgotten (the
        // connect flow's part; B.1 of fathom-google.md): added there.
        for &provider in providers {
            // Always the job's tenant and the user who pressed the button: no value in the
            // payload can name anyone else's credential.
            let id = CredentialId::for_user(job.tenant.clone(), provider, disconnect.user.clone());
            self.backend.credentials.delete(&id, None).await?;
        }
        info!(provider = %disconnect.provider, "the user disconnected a provider");
        self.publish_home(job, tenant, &disconnect.user).await
    }
}
