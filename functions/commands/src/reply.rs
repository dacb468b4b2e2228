//! What the commands function says to users. Kept together so the voice stays consistent.

pub const WORKING: &str = ":hourglass_flowing_sand: Working on it…";

pub const SUSPENDED: &str = "Switchboard is paused for this workspace by its administrator, \
so this request was not run. Please contact your Slack admin.";

pub const REINSTALL: &str = "Switchboard is not installed for this workspace (or was removed). \
Please ask an admin to reinstall it from the Switchboard install page.";

pub const ASK_WHAT: &str = "Ask me something about your recent meetings, for example \
`/followup ask what did Globex say about pricing?`";

pub const AUTO_HOW: &str = "Automatic follow-ups turn each meeting you record with Fathom \
into a follow-up in your DMs, without a command: `/followup auto on` to start, \
`/followup auto off` to stop.";

pub const AUTO_TURNING_ON: &str = ":hourglass_flowing_sand: Turning automatic follow-ups on…";

pub const AUTO_TURNING_OFF: &str = ":hourglass_flowing_sand: Turning automatic follow-ups off…";

pub const MODAL_FAILED: &str = "Slack did not let me open the window in time. \
Please run the command again.";

pub fn rate_limited(retry_in_secs: u64) -> String {
    format!(
        "Your workspace is sending commands faster than its plan allows. \
         Please try again in {retry_in_secs} s."
    )
}

pub fn help(command: &str) -> String {
    format!(
        "*Switchboard* turns meetings into follow-ups.\n\
         • `{command}`: pick a meeting you recorded and get a follow-up draft\n\
         • `{command} connect`: connect your Fathom account\n\
         • `{command} auto on` / `auto off`: a follow-up for every meeting you record, \
         without typing anything\n\
         • `{command} connect google`: connect Google for Gmail drafts and Calendar events\n\
         • `{command} disconnect google` (or `fathom`): remove a connection\n\
         • `{command} ask <question>`: ask about your recent follow-ups\n\
         • `{command} help`: this message\n\
         • `{command} ping`: check that Switchboard can reach you (shows the round-trip time)\n\
         Mention @Switchboard in a channel to ask it something."
    )
}

pub fn unknown(command: &str, word: &str) -> String {
    // `word` is the user's own input, echoed back only to them; keep it short.
    let word: String = word.chars().take(40).collect();
    format!("I don't know `{command} {word}`. Try `{command} help`.")
}

/// Over the month's follow-ups: the limit, when they come back, and who can change it.
pub fn over_quota(limit: u64, resets_at: u64) -> String {
    format!(
        "Your workspace has used all {limit} follow-ups of its plan this month. They come back \
         on {} (UTC); a workspace admin can move to a bigger plan before then.",
        tenant::time::day_label(resets_at)
    )
}
