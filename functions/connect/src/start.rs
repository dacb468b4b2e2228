//! GET /connect/{provider}?link=…: the signed link in, the provider's consent screen out.

use app::connect_link::{self, LinkKey};
use app::oauth_cookie::{self as state, CONNECT as COOKIE};
use app::{HttpRequest, HttpResponse};
use connectors::oauth2::AuthorizeRequest;
use http::{HeaderValue, StatusCode, header};
use tenant::ports::{OAuthStateRecord, StatePurpose};
use tracing::{Instrument, info, info_span};
use url::Url;

use crate::providers::Flow;
use crate::{ConnectError, ConnectHandler, Query, present};

impl ConnectHandler {
    pub(crate) async fn start(
        &self,
        flow: &Flow,
        key: &LinkKey,
        redirect_uri: &Url,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ConnectError> {
        let token = present(Query::of(req).link).ok_or(ConnectError::MissingLink)?;
        let now = self.clock.unix_secs();
        // The link before anything else: a bad one stores nothing.
        let link = connect_link::verify(key, &token, now).map_err(ConnectError::Link)?;
        if link.provider != flow.provider {
            return Err(ConnectError::LinkForOtherProvider);
        }
        let span = info_span!("connect", tenant = %link.tenant, user = %link.user, provider = %flow.provider);
        async {
            self.check_tenant(&link.tenant).await?;
            if flow.workspace {
                self.check_admin(&link.tenant, &link.user).await?;
            }
            let state = state::new_state();
            let record = OAuthStateRecord {
                cookie_hash: state::cookie_hash(&state),
                purpose: StatePurpose::Connect {
                    tenant: link.tenant.clone(),
                    user: link.user.clone(),
                    provider: flow.provider,
                },
                created_at: now,
                expires_at: now + state::STATE_TTL_SECS,
            };
            self.backend
                .oauth_states
                .issue(&state, &record)
                .await
                .map_err(ConnectError::store)?;
            let authorize = flow.client.authorize_url(&AuthorizeRequest {
                redirect_uri,
                scopes: flow.scopes,
                state: &state,
            });
            info!("connection started");
            Ok(redirect(authorize.as_str(), &COOKIE.set(&state)))
        }
        .instrument(span)
        .await
    }
}

/// 302 to `location`, setting `cookie`; never cached, and no referrer (the link is in this
/// page's URL).
fn redirect(location: &str, cookie: &str) -> HttpResponse {
    let mut res = http::Response::new(String::new());
    *res.status_mut() = StatusCode::FOUND;
    let headers = res.headers_mut();
    if let Ok(location) = HeaderValue::try_from(location) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(cookie) = HeaderValue::try_from(cookie) {
        headers.append(header::SET_COOKIE, cookie);
    }
    res
}
