//! ANY /admin/{proxy+}: the operator JSON API for the team running Switchboard (not for Slack
//! users). In order: key configured (else 503), `Authorization: Bearer <key>` (else 401), route
//! and method (404, 405), tenant id (400), then the tenant service; errors map to HTTP once, in
//! [`AdminError::into_response`].
//!
//! Routes: `GET /admin/tenants`, `GET /admin/tenants/{id}`, `POST /admin/tenants/{id}/suspend`,
//! `POST /admin/tenants/{id}/resume`, `GET /admin/tenants/{id}/audit`.

pub mod auth;
pub mod error;
pub mod routes;
pub mod views;

use app::Clock;
use app::http_io::{self, HttpRequest, HttpResponse};
use http::header::CACHE_CONTROL;
use http::{HeaderValue, StatusCode};
use serde::Serialize;
use tenant::audit::verify_chain;
use tenant::service;
use tenant::{Backend, Secret, TenantId, TenantStatus};
use tracing::{Instrument, info, info_span, warn};

pub use auth::ApiKey;
pub use error::AdminError;
pub use routes::Route;

use views::{AuditView, MemberView, StatusChanged, TenantDetail, TenantList, TenantView};

/// The actor recorded in the audit log for changes made through this API.
pub const ACTOR: &str = "admin";

/// The admin function's state, built once per cold start.
pub struct AdminHandler {
    backend: Backend,
    key: Option<ApiKey>,
    clock: Clock,
}

impl AdminHandler {
    /// `key` is the admin API key (`ADMIN_API_KEY`, or the app secret's `admin_api_key` on
    /// AWS); without one (or with a blank one) every request answers 503.
    pub fn new(backend: Backend, key: Option<&Secret>, clock: Clock) -> Self {
        let key = key.and_then(|k| {
            if ApiKey::is_weak(k) {
                warn!(
                    recommended_bytes = auth::RECOMMENDED_KEY_BYTES,
                    "the admin API key is short; use a long random one"
                );
            }
            ApiKey::new(k)
        });
        if key.is_none() {
            info!("no admin API key configured: the admin API answers 503");
        }
        Self {
            backend,
            key,
            clock,
        }
    }

    /// Handles one request. Never panics on input; every outcome is an HTTP answer.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        let span = info_span!("admin", method = %req.method(), route = tracing::field::Empty, tenant = tracing::field::Empty);
        async {
            match self.try_handle(&req).await {
                Ok(res) => res,
                Err(err) => err.into_response(),
            }
        }
        .instrument(span)
        .await
    }

    async fn try_handle(&self, req: &HttpRequest) -> Result<HttpResponse, AdminError> {
        // Body size is not checked: no route reads the body, and the server or API Gateway
        // bounds it.
        let key = self.key.as_ref().ok_or(AdminError::Disabled)?;
        key.check(req.headers()).map_err(AdminError::Unauthorized)?;
        let route = Route::parse(req.method(), req.uri().path())?;
        let span = tracing::Span::current();
        span.record("route", route.name());
        match &route {
            Route::ListTenants => self.list().await,
            Route::GetTenant(id) => {
                span.record("tenant", id.as_str());
                self.get(id).await
            }
            Route::Suspend(id) => {
                span.record("tenant", id.as_str());
                self.set_status(id, TenantStatus::Suspended).await
            }
            Route::Resume(id) => {
                span.record("tenant", id.as_str());
                self.set_status(id, TenantStatus::Active).await
            }
            Route::Audit(id) => {
                span.record("tenant", id.as_str());
                self.audit(id).await
            }
        }
    }

    async fn list(&self) -> Result<HttpResponse, AdminError> {
        let tenants = self
            .backend
            .tenants
            .list()
            .await
            .map_err(AdminError::storage)?;
        Ok(ok(&TenantList {
            tenants: tenants.iter().map(TenantView::from).collect(),
        }))
    }

    async fn get(&self, id: &TenantId) -> Result<HttpResponse, AdminError> {
        let b = &self.backend;
        let tenant = b
            .tenants
            .get(id)
            .await
            .map_err(AdminError::storage)?
            .ok_or_else(|| AdminError::UnknownTenant(id.clone()))?;
        let installation = b
            .tenants
            .get_installation(id)
            .await
            .map_err(AdminError::storage)?;
        // Whether tokens exist, asked without decrypting them: the admin role cannot decrypt.
        let has_tokens = b.vault.exists(id).await.map_err(AdminError::storage)?;
        let members = b
            .members
            .list_members(id)
            .await
            .map_err(AdminError::storage)?;
        Ok(ok(&TenantDetail {
            tenant: TenantView::from(&tenant),
            installation: installation.as_ref().map(Into::into),
            has_tokens,
            members: members.iter().map(MemberView::from).collect(),
        }))
    }

    async fn set_status(
        &self,
        id: &TenantId,
        to: TenantStatus,
    ) -> Result<HttpResponse, AdminError> {
        let now = self.clock.unix_secs();
        let changed = match to {
            TenantStatus::Suspended => service::suspend(&self.backend, id, ACTOR, now).await,
            _ => service::resume(&self.backend, id, ACTOR, now).await,
        };
        changed.map_err(AdminError::from_tenant)?;
        info!(status = to.as_str(), "tenant status set by an operator");
        Ok(ok(&StatusChanged::new(id, to)))
    }

    async fn audit(&self, id: &TenantId) -> Result<HttpResponse, AdminError> {
        let b = &self.backend;
        // A tenant never stored has no log; say so rather than answer an empty, valid chain.
        if b.tenants
            .get(id)
            .await
            .map_err(AdminError::storage)?
            .is_none()
        {
            return Err(AdminError::UnknownTenant(id.clone()));
        }
        let entries = b.audit.list(id).await.map_err(AdminError::storage)?;
        let chain = match verify_chain(b.audit.as_ref(), id, &entries).await {
            Ok(()) => "ok".to_owned(),
            Err(broken) => {
                warn!(error = %broken, "audit chain does not verify");
                broken.to_string()
            }
        };
        Ok(ok(&AuditView {
            id,
            entries: &entries,
            chain,
        }))
    }
}

/// A 200 JSON answer that no cache keeps.
fn ok(body: &impl Serialize) -> HttpResponse {
    let value = match serde_json::to_value(body) {
        Ok(value) => value,
        // The views hold strings and numbers only; should that ever fail, say so, no detail.
        Err(err) => return AdminError::Encode(err).into_response(),
    };
    let mut res = http_io::json(StatusCode::OK, &value);
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

impl app::lambda::HttpHandler for AdminHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        AdminHandler::handle(self, req).await
    }
}

#[cfg(test)]
mod tests;
