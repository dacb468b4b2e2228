//! The admin routes, parsed from the method and the full request path.
//!
//! The path is matched by segments, so a route is found before its tenant id is checked: an
//! unknown route answers 404 and a known one with a bad id answers 400.

use http::Method;
use tenant::TenantId;

use crate::error::AdminError;

/// Where every admin route lives (API Gateway passes the full path, `/admin/{proxy+}`).
pub const PREFIX: &str = "/admin";

/// A parsed admin request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /admin/tenants`
    ListTenants,
    /// `GET /admin/tenants/{id}`
    GetTenant(TenantId),
    /// `POST /admin/tenants/{id}/suspend`
    Suspend(TenantId),
    /// `POST /admin/tenants/{id}/resume`
    Resume(TenantId),
    /// `GET /admin/tenants/{id}/audit`
    Audit(TenantId),
}

/// What a path names before the method is looked at.
enum Shape<'a> {
    Tenants,
    Tenant(&'a str),
    Action(&'a str, Action),
}

#[derive(Clone, Copy)]
enum Action {
    Suspend,
    Resume,
    Audit,
}

impl Route {
    /// The route for `method` and `path` (the path only, without the query string).
    pub fn parse(method: &Method, path: &str) -> Result<Self, AdminError> {
        let shape = shape(path).ok_or(AdminError::UnknownRoute)?;
        let allowed = match shape {
            Shape::Tenants | Shape::Tenant(_) | Shape::Action(_, Action::Audit) => "GET",
            Shape::Action(_, Action::Suspend | Action::Resume) => "POST",
        };
        // HEAD is not offered: every answer here is a JSON body.
        if method.as_str() != allowed {
            return Err(AdminError::MethodNotAllowed { allow: allowed });
        }
        Ok(match shape {
            Shape::Tenants => Self::ListTenants,
            Shape::Tenant(raw) => Self::GetTenant(tenant_id(raw)?),
            Shape::Action(raw, action) => {
                let id = tenant_id(raw)?;
                match action {
                    Action::Suspend => Self::Suspend(id),
                    Action::Resume => Self::Resume(id),
                    Action::Audit => Self::Audit(id),
                }
            }
        })
    }

    /// A short name for logs (no id in it; the span carries the tenant).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListTenants => "list_tenants",
            Self::GetTenant(_) => "get_tenant",
            Self::Suspend(_) => "suspend",
            Self::Resume(_) => "resume",
            Self::Audit(_) => "audit",
        }
    }
}

fn shape(path: &str) -> Option<Shape<'_>> {
    let rest = path.strip_prefix(PREFIX)?.strip_prefix('/')?;
    // One trailing slash is tolerated (`/admin/tenants/`); empty segments elsewhere are not.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["tenants"] => Some(Shape::Tenants),
        ["tenants", id] => Some(Shape::Tenant(id)),
        ["tenants", id, "suspend"] => Some(Shape::Action(id, Action::Suspend)),
        ["tenants", id, "resume"] => Some(Shape::Action(id, Action::Resume)),
        ["tenants", id, "audit"] => Some(Shape::Action(id, Action::Audit)),
        _ => None,
    }
}

fn tenant_id(raw: &str) -> Result<TenantId, AdminError> {
    TenantId::parse(raw).map_err(AdminError::InvalidTenantId)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> TenantId {
        TenantId::parse(raw).unwrap()
    }

    #[test]
    fn every_route_parses_with_its_method() {
        let cases = [
            (Method::GET, "/admin/tenants", Route::ListTenants),
            (Method::GET, "/admin/tenants/", Route::ListTenants),
            (
                Method::GET,
                "/admin/tenants/T0ACME001",
                Route::GetTenant(id("T0ACME001")),
            ),
            (
                Method::GET,
                "/admin/tenants/E0GRID001",
                Route::GetTenant(id("E0GRID001")),
            ),
            (
                Method::POST,
                "/admin/tenants/T0ACME001/suspend",
                Route::Suspend(id("T0ACME001")),
            ),
            (
                Method::POST,
                "/admin/tenants/T0ACME001/resume",
                Route::Resume(id("T0ACME001")),
            ),
            (
                Method::GET,
                "/admin/tenants/T0ACME001/audit",
                Route::Audit(id("T0ACME001")),
            ),
        ];
        for (method, path, want) in cases {
            assert_eq!(
                Route::parse(&method, path).unwrap(),
                want,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in [
            "/admin",
            "/admin/",
            "/admin/tenant",
            "/admin/tenants/T0ACME001/delete",
            "/admin/tenants/T0ACME001/suspend/now",
            "/admin//tenants",
            "/administrator/tenants",
            "/slack/tenants",
        ] {
            assert!(
                matches!(
                    Route::parse(&Method::GET, path),
                    Err(AdminError::UnknownRoute)
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn a_known_route_with_the_wrong_method_names_the_right_one() {
        let cases = [
            (Method::POST, "/admin/tenants", "GET"),
            (Method::DELETE, "/admin/tenants/T0ACME001", "GET"),
            (Method::GET, "/admin/tenants/T0ACME001/suspend", "POST"),
            (Method::PUT, "/admin/tenants/T0ACME001/resume", "POST"),
            (Method::POST, "/admin/tenants/T0ACME001/audit", "GET"),
        ];
        for (method, path, want) in cases {
            match Route::parse(&method, path) {
                Err(AdminError::MethodNotAllowed { allow }) => assert_eq!(allow, want),
                other => panic!("{method} {path}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_tenant_id_on_a_known_route_is_invalid() {
        for path in [
            "/admin/tenants/acme",
            "/admin/tenants/U0USER001",
            "/admin/tenants/t0acme001/audit",
            "/admin/tenants/%54%30ACME/suspend",
        ] {
            let method = if path.ends_with("suspend") {
                Method::POST
            } else {
                Method::GET
            };
            assert!(
                matches!(
                    Route::parse(&method, path),
                    Err(AdminError::InvalidTenantId(_))
                ),
                "{path}"
            );
        }
    }
}
