//! `switchboard manifest --base-url URL`: the Slack app manifest (YAML) for a deployment, so an
//! app is created or updated from one file instead of clicks that drift between environments.
//!
//! Field names follow Slack's app manifest reference (schema `_metadata` major version 1).

use clap::Args;
use serde::Serialize;

/// The bot scopes the app asks for (and `tenant add` records by default).
pub const BOT_SCOPES: &[&str] = &[
    "app_mentions:read",
    // Reading back the app's own recent messages in a thread, channel or DM, to find the
    // metadata marker of a post whose outcome a crash or timeout left unknown (no double posts;
    // docs/security.md).
    "channels:history",
    "chat:write",
    "commands",
    "groups:history",
    "im:history",
    "im:write",
    "mpim:history",
    "users:read",
];

/// The bot events the app subscribes to.
pub const BOT_EVENTS: &[&str] = &[
    "app_home_opened",
    "app_mention",
    "app_uninstalled",
    "tokens_revoked",
];

/// `switchboard manifest`
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// Where Slack reaches the app, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com or a
    /// tunnel URL; `/slack/...` paths are appended to it.
    #[arg(long)]
    pub base_url: String,
    /// The app's display name (say, "Switchboard (dev)" for a development clone).
    #[arg(long, default_value = "Switchboard")]
    pub name: String,
}

/// Why a base URL is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("the base URL is not a URL")]
    NotAUrl(#[source] url::ParseError),
    #[error("the base URL must be http or https, not {0}")]
    Scheme(String),
    #[error("the base URL must not carry a user name or password")]
    Credentials,
    #[error("the base URL must not have a query or fragment")]
    QueryOrFragment,
    #[error(
        "the base URL path {0:?} looks wrong: give the app's root (`/slack/...` is appended), \
         without empty segments"
    )]
    PathOddity(String),
    #[error("the app name must be 1 to 35 characters")]
    Name,
    #[error("could not render the manifest as YAML")]
    Yaml(#[source] serde_yaml_ng::Error),
}

/// Checks `raw` and returns it without a trailing slash, ready for `{base}/slack/...`.
pub fn base_url(raw: &str) -> Result<String, ManifestError> {
    let url = url::Url::parse(raw.trim()).map_err(ManifestError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ManifestError::Scheme(url.scheme().to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ManifestError::Credentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ManifestError::QueryOrFragment);
    }
    // One trailing slash is fine; `//`, a `slack` segment (someone pasted an endpoint such as
    // `/slack/events`) or dot segments are not.
    let path = url.path().strip_suffix('/').unwrap_or(url.path());
    let odd = path
        .split('/')
        .skip(1)
        .any(|segment| segment.is_empty() || segment == "slack" || segment.starts_with('.'));
    if odd {
        return Err(ManifestError::PathOddity(url.path().to_owned()));
    }
    let mut base = url.as_str().to_owned();
    while base.ends_with('/') {
        base.pop();
    }
    Ok(base)
}

#[derive(Serialize)]
struct Manifest {
    _metadata: Metadata,
    display_information: DisplayInformation,
    features: Features,
    oauth_config: OauthConfig,
    settings: Settings,
}

#[derive(Serialize)]
struct Metadata {
    major_version: u32,
    minor_version: u32,
}

#[derive(Serialize)]
struct DisplayInformation {
    name: String,
    description: &'static str,
    background_color: &'static str,
}

#[derive(Serialize)]
struct Features {
    app_home: AppHome,
    bot_user: BotUser,
    slash_commands: Vec<SlashCommand>,
}

#[derive(Serialize)]
struct AppHome {
    home_tab_enabled: bool,
    messages_tab_enabled: bool,
    messages_tab_read_only_enabled: bool,
}

#[derive(Serialize)]
struct BotUser {
    display_name: String,
    always_online: bool,
}

#[derive(Serialize)]
struct SlashCommand {
    command: &'static str,
    url: String,
    description: &'static str,
    /// Left out when empty: a command without arguments has no hint.
    #[serde(skip_serializing_if = "str::is_empty")]
    usage_hint: &'static str,
    should_escape: bool,
}

#[derive(Serialize)]
struct OauthConfig {
    redirect_urls: Vec<String>,
    scopes: Scopes,
}

#[derive(Serialize)]
struct Scopes {
    bot: Vec<&'static str>,
}

#[derive(Serialize)]
struct Settings {
    event_subscriptions: EventSubscriptions,
    interactivity: Interactivity,
    org_deploy_enabled: bool,
    socket_mode_enabled: bool,
    token_rotation_enabled: bool,
}

#[derive(Serialize)]
struct EventSubscriptions {
    request_url: String,
    bot_events: Vec<&'static str>,
}

#[derive(Serialize)]
struct Interactivity {
    is_enabled: bool,
    request_url: String,
    /// The external selects' options (the `options` function; slack-ui.md §4).
    message_menu_options_url: String,
}

/// The manifest YAML for an app named `name` served at `base_url`.
pub fn render(base_url_raw: &str, name: &str) -> Result<String, ManifestError> {
    let base = base_url(base_url_raw)?;
    let name = name.trim();
    // Slack limits app and bot display names to 35 characters.
    if name.is_empty() || name.chars().count() > 35 {
        return Err(ManifestError::Name);
    }
    let manifest = Manifest {
        _metadata: Metadata {
            major_version: 1,
            minor_version: 1,
        },
        display_information: DisplayInformation {
            name: name.to_owned(),
            description: "Meeting follow-ups from Slack: summaries, follow-up emails and CRM notes.",
            background_color: "#1d3557",
        },
        features: Features {
            app_home: AppHome {
                home_tab_enabled: true,
                messages_tab_enabled: true,
                messages_tab_read_only_enabled: false,
            },
            bot_user: BotUser {
                display_name: name.to_owned(),
                always_online: true,
            },
            slash_commands: vec![
                SlashCommand {
                    command: "/followup",
                    url: format!("{base}/slack/commands"),
                    description: "Meeting follow-ups: summaries, emails and CRM notes",
                    usage_hint: "[connect | auto on | auto off | ask | help | ping]",
                    should_escape: false,
                },
                // The meeting picker on its own, as the product's second entry point.
                SlashCommand {
                    command: "/meetings",
                    url: format!("{base}/slack/commands"),
                    description: "Pick a recorded meeting and get its follow-up draft",
                    usage_hint: "",
                    should_escape: false,
                },
            ],
        },
        oauth_config: OauthConfig {
            redirect_urls: vec![format!("{base}/slack/oauth_redirect")],
            scopes: Scopes {
                bot: BOT_SCOPES.to_vec(),
            },
        },
        settings: Settings {
            event_subscriptions: EventSubscriptions {
                request_url: format!("{base}/slack/events"),
                bot_events: BOT_EVENTS.to_vec(),
            },
            interactivity: Interactivity {
                is_enabled: true,
                request_url: format!("{base}/slack/interactions"),
                message_menu_options_url: format!("{base}/slack/options"),
            },
            org_deploy_enabled: true,
            socket_mode_enabled: false,
            token_rotation_enabled: true,
        },
    };
    serde_yaml_ng::to_string(&manifest).map_err(ManifestError::Yaml)
}

/// Prints the manifest for `args` to `out`.
pub fn run(args: &ManifestArgs, out: &mut dyn std::io::Write) -> Result<(), ManifestError> {
    let yaml = render(&args.base_url, &args.name)?;
    // A closed stdout (`| head`) is not worth an error.
    let _ = out.write_all(yaml.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_yaml_ng::Value;

    use super::*;

    fn parsed(base: &str) -> Value {
        serde_yaml_ng::from_str(&render(base, "Switchboard").unwrap()).unwrap()
    }

    fn strings(value: &Value) -> Vec<&str> {
        value
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect()
    }

    #[test]
    fn the_manifest_is_yaml_with_every_endpoint_under_the_base_url() {
        let m = parsed("https://abc123.execute-api.eu-west-1.amazonaws.com/");
        let base = "https://abc123.execute-api.eu-west-1.amazonaws.com";
        let command = &m["features"]["slash_commands"][0];
        assert_eq!(command["command"].as_str(), Some("/followup"));
        assert_eq!(
            command["url"].as_str(),
            Some(format!("{base}/slack/commands").as_str())
        );
        assert!(
            command["usage_hint"]
                .as_str()
                .is_some_and(|h| !h.is_empty())
        );
        assert_eq!(
            m["settings"]["interactivity"]["request_url"].as_str(),
            Some(format!("{base}/slack/interactions").as_str())
        );
        assert_eq!(
            m["settings"]["interactivity"]["is_enabled"].as_bool(),
            Some(true)
        );
        assert_eq!(
            m["settings"]["interactivity"]["message_menu_options_url"].as_str(),
            Some(format!("{base}/slack/options").as_str())
        );
        assert_eq!(
            m["settings"]["event_subscriptions"]["request_url"].as_str(),
            Some(format!("{base}/slack/events").as_str())
        );
        assert_eq!(
            strings(&m["oauth_config"]["redirect_urls"]),
            [format!("{base}/slack/oauth_redirect")]
        );
    }

    #[test]
    fn the_manifest_asks_for_the_scopes_events_and_settings_the_app_needs() {
        let m = parsed("https://example.com/prod");
        assert_eq!(
            strings(&m["oauth_config"]["scopes"]["bot"]),
            [
                "app_mentions:read",
                "channels:history",
                "chat:write",
                "commands",
                "groups:history",
                "im:history",
                "im:write",
                "mpim:history",
                "users:read"
            ]
        );
        let events = strings(&m["settings"]["event_subscriptions"]["bot_events"]);
        for event in [
            "app_mention",
            "app_home_opened",
            "app_uninstalled",
            "tokens_revoked",
        ] {
            assert!(events.contains(&event), "{event}");
        }
        assert_eq!(m["settings"]["org_deploy_enabled"].as_bool(), Some(true));
        assert_eq!(
            m["settings"]["token_rotation_enabled"].as_bool(),
            Some(true)
        );
        assert_eq!(
            m["features"]["app_home"]["home_tab_enabled"].as_bool(),
            Some(true)
        );
        assert_eq!(
            m["features"]["bot_user"]["display_name"].as_str(),
            Some("Switchboard")
        );
        assert_eq!(
            m["display_information"]["name"].as_str(),
            Some("Switchboard")
        );
        // A stage path is kept.
        assert_eq!(
            m["settings"]["event_subscriptions"]["request_url"].as_str(),
            Some("https://example.com/prod/slack/events")
        );
    }

    #[test]
    fn base_urls_that_are_not_an_apps_root_are_refused() {
        assert!(matches!(
            base_url("ftp://example.com"),
            Err(ManifestError::Scheme(_))
        ));
        assert!(matches!(
            base_url("example.com"),
            Err(ManifestError::NotAUrl(_))
        ));
        assert!(matches!(
            base_url("https://u:p@example.com"),
            Err(ManifestError::Credentials)
        ));
        assert!(matches!(
            base_url("https://example.com/?a=1"),
            Err(ManifestError::QueryOrFragment)
        ));
        assert!(matches!(
            base_url("https://example.com/#x"),
            Err(ManifestError::QueryOrFragment)
        ));
        for odd in [
            "https://example.com//",
            "https://example.com/prod//",
            "https://example.com/slack/events",
            "https://example.com/slack",
            "https://example.com/a//b",
        ] {
            assert!(
                matches!(base_url(odd), Err(ManifestError::PathOddity(_))),
                "{odd}"
            );
        }
        assert_eq!(
            base_url("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            base_url(" https://x.example/dev/ ").unwrap(),
            "https://x.example/dev"
        );
    }

    #[test]
    fn app_names_are_bounded() {
        assert!(matches!(
            render("https://e.com", " "),
            Err(ManifestError::Name)
        ));
        assert!(matches!(
            render("https://e.com", &"x".repeat(36)),
            Err(ManifestError::Name)
        ));
        let m: Value =
            serde_yaml_ng::from_str(&render("https://e.com", "Switchboard (dev)").unwrap())
                .unwrap();
        assert_eq!(
            m["display_information"]["name"].as_str(),
            Some("Switchboard (dev)")
        );
    }
}
