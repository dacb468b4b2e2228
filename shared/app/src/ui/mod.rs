//! The follow-up flow's Slack surfaces: modals and DM messages as Block Kit JSON, and the ids
//! that tie an interaction back to what it acts on. The commands function renders the modals
//! it opens or replaces inline (within Slack's 3 s); the worker renders the rest. Both read the
//! same ids from here, so a button's `action_id` and its handler cannot drift apart.
//!
//! Slack limits honoured here (slack-ui.md §1.1, §8): modal titles ≤ 24 characters, button
//! and option texts ≤ 75, `private_metadata` ≤ 3000, at most 100 options in a static select.

pub mod calendar;
pub mod crm;
pub mod editor;
pub mod messages;
pub mod modals;

/// `callback_id`s of our modals, and the `block_id`/`action_id`s inside them.
pub mod ids {
    /// The meeting picker (`/followup`, `/meetings`).
    pub const PICKER: &str = "followup_pick";
    /// The picker's select: block id and action id.
    pub const PICKER_MEETING: &str = "meeting";
    /// The picker's "Earlier" button; its value is the day offset to show.
    pub const PICKER_EARLIER: &str = "followup_earlier";
    /// The Fathom connect modal and its key input.
    pub const FATHOM_CONNECT: &str = "fathom_connect";
    pub const FATHOM_KEY: &str = "fathom_key";
    /// A button (App Home, the "no Fathom" modal) that opens the Fathom connect modal.
    pub const FATHOM_CONNECT_OPEN: &str = "fathom_connect_open";
    /// The DM's "View & edit" and "Try again" buttons; their value is the recording id.
    pub const VIEW_EDIT: &str = "followup_view";
    pub const RETRY: &str = "followup_retry";
    /// The edit modal ("View & edit"): its private_metadata is the recording id.
    pub const EDITOR: &str = "followup_edit";
    /// The edit modal's fields (each input's block id and action id).
    pub const EDIT_SUMMARY: &str = "summary";
    pub const EDIT_SUBJECT: &str = "email_subject";
    pub const EDIT_BODY: &str = "email_body";
    pub const EDIT_NOTE: &str = "crm_note";
    /// A link button to a connect page (`/connect/{provider}?link=…`): the browser opens it;
    /// the block action Slack also sends needs no answer.
    pub const CONNECT_LINK: &str = "connect_link";
    /// The edit modal's actions; they act on the text as it is in the modal when pressed.
    pub const ACTION_GMAIL: &str = "followup_gmail";
    pub const ACTION_CALENDAR: &str = "followup_calendar";
    /// The calendar form ("Calendar event"): its private_metadata is the recording id.
    pub const EVENT_FORM: &str = "followup_event";
    pub const EVENT_DATE: &str = "event_date";
    pub const EVENT_TIME: &str = "event_time";
    pub const EVENT_GUESTS: &str = "event_guests";
    pub const EVENT_INVITE: &str = "event_invite";
    /// The invitation choice's values.
    pub const INVITE_NONE: &str = "none";
    pub const INVITE_SEND: &str = "send";
    /// "Back to the follow-up": the edit modal again, from the session.
    pub const EVENT_BACK: &str = "followup_event_back";
    /// App Home's "Connect Fathom": opens the connect modal on the button's trigger (its own
    /// id, not [`FATHOM_CONNECT_OPEN`]: that one replaces the modal it sits in, and a Home
    /// tab is not a modal).
    pub const HOME_FATHOM_CONNECT: &str = "home_fathom_connect";
    /// App Home's "Disconnect" buttons; their value is the provider's stable name (`fathom`,
    /// `google`). Whose credential is always the user who pressed it, never the value.
    pub const HOME_DISCONNECT: &str = "home_disconnect";
    /// App Home's "Connect Google": a link button (Slack opens the URL and still sends a
    /// block_actions, which is acked and does nothing).
    pub const HOME_GOOGLE_CONNECT: &str = "home_google_connect";

    // The CRM (issue 9).
    /// The edit modal's CRM actions (they save the texts first, like the others).
    pub const ACTION_CRM_NOTE: &str = "followup_crm_note";
    pub const ACTION_CRM_DEALS: &str = "followup_crm_deals";
    pub const ACTION_CRM_TASK: &str = "followup_crm_task";
    /// The account chooser: its private_metadata is `<recording>:<note|deals>`.
    pub const CRM_ACCOUNT: &str = "crm_account";
    /// Its static select of the candidates, and its external select searching by name (the
    /// `options` function answers it).
    pub const CRM_ACCOUNT_PICK: &str = "crm_account_pick";
    pub const CRM_ACCOUNT_SEARCH: &str = "crm_account_search";
    /// The deals modal (private_metadata: the recording); each deal's inputs are
    /// `<prefix><deal id>` (block id and action id).
    pub const CRM_DEALS: &str = "crm_deals";
    pub const DEAL_STAGE: &str = "deal_stage:";
    pub const DEAL_AMOUNT: &str = "deal_amount:";
    /// The task modal (private_metadata: the recording, empty from `/followup task`) and its
    /// fields; the contact is an external select the `options` function answers.
    pub const CRM_TASK: &str = "crm_task";
    pub const TASK_CONTACT: &str = "task_contact";
    pub const TASK_TITLE: &str = "task_title";
    pub const TASK_KIND: &str = "task_kind";
    pub const TASK_DATE: &str = "task_date";
    pub const TASK_TIME: &str = "task_time";
    pub const TASK_NOTES: &str = "task_notes";
    /// The CRM connection modal (admins), and its buttons; their value is the CRM's stable
    /// name (`hubspot`).
    pub const CRM_CONNECT: &str = "crm_connect";
    pub const CRM_KEY_OPEN: &str = "crm_key_open";
    pub const CRM_DEFAULT: &str = "crm_default";
    pub const CRM_DISCONNECT: &str = "crm_disconnect";
    /// The key modal (private_metadata: the CRM's name) and its inputs: Pipedrive's token,
    /// Crono's public and private keys.
    pub const CRM_KEY: &str = "crm_key";
    pub const CRM_KEY_TOKEN: &str = "crm_key_token";
    pub const CRM_KEY_PUBLIC: &str = "crm_key_public";
    pub const CRM_KEY_PRIVATE: &str = "crm_key_private";
    /// App Home's "Manage CRM" (admins): opens the connection modal on its trigger.
    pub const HOME_CRM_MANAGE: &str = "home_crm_manage";
}

/// Plain text as Block Kit wants it.
pub(crate) fn plain(text: &str) -> serde_json::Value {
    serde_json::json!({"type": "plain_text", "text": text, "emoji": true})
}

/// Slack's mrkdwn with the three characters it treats as control characters escaped, so a
/// meeting title cannot inject a mention or a link.
pub fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` cut to at most `max` characters (not bytes), with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests;
