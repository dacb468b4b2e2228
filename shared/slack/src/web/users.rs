//! users.info (slack.md §5.3, slack-ui.md §6): the user's time zone and role. `tz`,
//! `tz_offset` and `is_admin` sit on `user`, not on `user.profile`.

use serde::Deserialize;
use tenant::{Secret, UserId};

use super::{SlackApiError, WebApi};

/// What the app needs to know about a workspace member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    /// IANA zone name, e.g. `Europe/Rome`. Absent for some bots and deleted users.
    #[serde(default)]
    pub tz: Option<String>,
    /// Seconds east of UTC at the time of the call (a fallback when `tz` is unknown to us).
    #[serde(default)]
    pub tz_offset: Option<i64>,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default)]
    pub is_owner: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Deserialize)]
struct UsersInfoReply {
    user: UserInfo,
}

impl WebApi {
    /// users.info of `user` (GET, scope `users:read`).
    #[tracing::instrument(skip_all, fields(method = "users.info"))]
    pub async fn user_info(
        &self,
        token: &Secret,
        user: &UserId,
    ) -> Result<UserInfo, SlackApiError> {
        let reply: UsersInfoReply = self
            .call_get("users.info", token, &[("user", user.as_str())])
            .await?;
        Ok(reply.user)
    }
}
