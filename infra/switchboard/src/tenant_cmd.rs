//! `switchboard tenant …`: operator administration of tenants in the local data directory.
//!
//! `add` installs a tenant from an existing bot token (a developer's own workspace, without the
//! OAuth round trip); `list`, `suspend` and `resume` manage what is there. All of it goes
//! through `tenant::service`, so the CLI follows the same rules as the functions.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use tenant::service::{self, NewInstall, TenantError};
use tenant::{
    AppId, Backend, BotId, BotToken, EnterpriseId, Installation, Secret, TeamId, Tenant, TenantId,
    UserId,
};

use crate::clock;
use crate::manifest::BOT_SCOPES;

/// A boxed cause, for adapter errors whose concrete type this tool does not need to know.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `switchboard tenant …`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Install (or reinstall) a tenant with an existing bot token.
    Add(AddArgs),
    /// List every tenant: id, name, status, plan, creation time.
    List,
    /// Suspend a tenant: its users get a notice and no work is queued.
    Suspend {
        /// The tenant id (`T…` workspace or `E…` org).
        id: TenantId,
    },
    /// Resume a suspended tenant.
    Resume {
        /// The tenant id (`T…` workspace or `E…` org).
        id: TenantId,
    },
}

/// `switchboard tenant add`. `Debug` is safe: the token is a [`Secret`].
#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// The workspace id (`T…`). Optional for an org-wide install.
    #[arg(long, required_unless_present = "org_wide")]
    pub team: Option<TeamId>,
    /// The Enterprise Grid org id (`E…`), when the workspace belongs to one.
    #[arg(long)]
    pub enterprise: Option<EnterpriseId>,
    /// Installed org-wide: the tenant is the enterprise, not the workspace.
    #[arg(long, requires = "enterprise")]
    pub org_wide: bool,
    /// The bot token (`xoxb-…`). Prefer the SLACK_BOT_TOKEN variable, which keeps it out of
    /// shell history.
    #[arg(
        long,
        env = "SLACK_BOT_TOKEN",
        hide_env_values = true,
        // Parsed without validation so that a refused token is never echoed in clap's error;
        // `add` checks it with a message that does not include it.
        value_parser = |raw: &str| Ok::<_, std::convert::Infallible>(Secret::new(raw))
    )]
    pub bot_token: Secret,
    /// The bot's user id (`U…`), so the bot's own messages are ignored without a Slack call.
    #[arg(long)]
    pub bot_user_id: Option<UserId>,
    /// The bot id (`B…`).
    #[arg(long)]
    pub bot_id: Option<BotId>,
    /// The app id (`A…`).
    #[arg(long)]
    pub app_id: Option<AppId>,
    /// A display name for the tenant (default: its id).
    #[arg(long)]
    pub name: Option<String>,
    /// The bot scopes granted, comma separated (default: the manifest's bot scopes).
    #[arg(long, value_delimiter = ',')]
    pub scopes: Vec<String>,
}

/// Why a tenant command failed. No variant carries a token.
#[derive(Debug, thiserror::Error)]
pub enum TenantCmdError {
    #[error(
        "the bot token is not a bot token: expected xoxb-… (or xoxe.xoxb-… with token rotation)"
    )]
    NotABotToken,
    #[error("--org-wide needs --enterprise")]
    OrgWideWithoutEnterprise,
    #[error("--team is required unless the install is --org-wide")]
    MissingTeam,
    #[error("could not open the local data directory {dir}")]
    Open {
        dir: PathBuf,
        #[source]
        source: BoxError,
    },
    #[error("there is no tenant {0}; `switchboard tenant list` shows the known ones")]
    UnknownTenant(TenantId),
    #[error("tenant {0} is uninstalled; install it again with `switchboard tenant add`")]
    Uninstalled(TenantId),
    #[error("the tenant operation failed")]
    Tenant(#[source] TenantError),
    #[error("could not write the output")]
    Output(#[source] std::io::Error),
}

impl From<TenantError> for TenantCmdError {
    fn from(err: TenantError) -> Self {
        match err {
            TenantError::NotFound(id) => Self::UnknownTenant(id),
            other => Self::Tenant(other),
        }
    }
}

impl From<tenant::ports::StoreError> for TenantCmdError {
    fn from(err: tenant::ports::StoreError) -> Self {
        Self::Tenant(TenantError::Store(err))
    }
}

/// Opens the embedded backend in `data_dir`. The backend creates the directory itself, mode
/// 0700 (it holds the key files), and makes an existing one as private or refuses it.
pub fn open_backend(data_dir: &Path) -> Result<Backend, TenantCmdError> {
    let local = local::LocalBackend::open(data_dir).map_err(|e| TenantCmdError::Open {
        dir: data_dir.to_owned(),
        source: e.into(),
    })?;
    Ok(local.backend())
}

/// Runs a tenant command on the local data in `data_dir`, writing its report to `out`.
pub async fn run(
    command: TenantCommand,
    data_dir: &Path,
    out: &mut dyn Write,
) -> Result<(), TenantCmdError> {
    let backend = open_backend(data_dir)?;
    let now = clock::now();
    let message = match command {
        TenantCommand::Add(args) => {
            let tenant = add(&backend, args, now).await?;
            format!(
                "installed tenant {} ({}), status {}; bot token stored in the vault\n",
                tenant.id,
                tenant.name,
                tenant.status.as_str()
            )
        }
        TenantCommand::List => render_table(&list(&backend).await?),
        TenantCommand::Suspend { id } => {
            suspend(&backend, &id, now).await?;
            format!("tenant {id} suspended\n")
        }
        TenantCommand::Resume { id } => {
            resume(&backend, &id, now).await?;
            format!("tenant {id} resumed\n")
        }
    };
    out.write_all(message.as_bytes())
        .map_err(TenantCmdError::Output)
}

/// Whether `token` has the shape of a bot token, plain or rotating.
fn is_bot_token(token: &str) -> bool {
    let rest = token
        .strip_prefix("xoxb-")
        .or_else(|| token.strip_prefix("xoxe.xoxb-"));
    rest.is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_graphic()))
}

/// Builds the installation described by `args` and installs it.
pub async fn add(backend: &Backend, args: AddArgs, now: i64) -> Result<Tenant, TenantCmdError> {
    if !is_bot_token(args.bot_token.expose()) {
        return Err(TenantCmdError::NotABotToken);
    }
    let tenant_id: TenantId = match (&args.team, &args.enterprise, args.org_wide) {
        (_, Some(enterprise), true) => enterprise.clone().into(),
        (_, None, true) => return Err(TenantCmdError::OrgWideWithoutEnterprise),
        (Some(team), _, false) => team.clone().into(),
        (None, _, false) => return Err(TenantCmdError::MissingTeam),
    };
    let scopes = if args.scopes.is_empty() {
        BOT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        args.scopes
    };
    let installation = Installation {
        tenant: tenant_id.clone(),
        team_id: args.team,
        enterprise_id: args.enterprise,
        is_enterprise_install: args.org_wide,
        app_id: args.app_id,
        bot_user_id: args.bot_user_id.clone(),
        bot_id: args.bot_id.clone(),
        bot_scopes: scopes.clone(),
        user_scopes: Vec::new(),
        installer: None,
        installed_at: now,
    };
    let bot = BotToken {
        token: args.bot_token,
        bot_user_id: args.bot_user_id,
        bot_id: args.bot_id,
        scopes,
        refresh_token: None,
        expires_at: None,
    };
    let new = NewInstall {
        installation,
        name: args.name.unwrap_or_else(|| tenant_id.to_string()),
        bot,
    };
    Ok(service::install(backend, new, now).await?)
}

/// Every tenant, ordered by id.
pub async fn list(backend: &Backend) -> Result<Vec<Tenant>, TenantCmdError> {
    Ok(backend.tenants.list().await?)
}

/// The tenant, which must exist and not be uninstalled (suspend and resume do not apply to an
/// uninstalled tenant: it has no tokens, so "active" would be a lie).
async fn installed(backend: &Backend, id: &TenantId) -> Result<Tenant, TenantCmdError> {
    match backend.tenants.get(id).await? {
        None => Err(TenantCmdError::UnknownTenant(id.clone())),
        Some(t) if !t.status.is_installed() => Err(TenantCmdError::Uninstalled(id.clone())),
        Some(t) => Ok(t),
    }
}

/// Suspends an installed tenant.
pub async fn suspend(backend: &Backend, id: &TenantId, now: i64) -> Result<(), TenantCmdError> {
    installed(backend, id).await?;
    Ok(service::suspend(backend, id, service::actor::OPERATOR, now).await?)
}

/// Resumes an installed tenant (a no-op for an active one).
pub async fn resume(backend: &Backend, id: &TenantId, now: i64) -> Result<(), TenantCmdError> {
    installed(backend, id).await?;
    Ok(service::resume(backend, id, service::actor::OPERATOR, now).await?)
}

/// `YYYY-MM-DD HH:MM` in UTC.
fn format_time(unix: i64) -> String {
    let (y, m, d, hh, mm, _) = clock::civil(unix);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}")
}

/// The `tenant list` table: a header and one aligned row per tenant.
pub fn render_table(tenants: &[Tenant]) -> String {
    if tenants.is_empty() {
        return "no tenants yet; add one with `switchboard tenant add`\n".to_owned();
    }
    let header = ["ID", "NAME", "STATUS", "PLAN", "CREATED (UTC)"].map(str::to_owned);
    let rows: Vec<[String; 5]> = tenants
        .iter()
        .map(|t| {
            [
                t.id.to_string(),
                // A name comes from Slack or an operator; keep the table one line per tenant.
                t.name.replace(['\n', '\r', '\t'], " "),
                t.status.as_str().to_owned(),
                t.plan.as_str().to_owned(),
                format_time(t.created_at),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        table.push_str(cells.join("  ").trim_end());
        table.push('\n');
    }
    table
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use tenant::TenantStatus;

    use super::*;

    const TOKEN: &str = "xoxb-1111-2222-secretpart";

    /// Parses `tenant …` arguments the way the binary does.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: TenantCommand,
    }

    fn parse(args: &[&str]) -> Result<TenantCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("tenant").chain(args.iter().copied()))
            .map(|c| c.command)
    }

    fn add_args(args: &[&str]) -> AddArgs {
        match parse(&[&["add"], args].concat()) {
            Ok(TenantCommand::Add(add)) => add,
            other => panic!("not an add command: {other:?}"),
        }
    }

    async fn run_to_string(command: TenantCommand, dir: &Path) -> Result<String, TenantCmdError> {
        let mut out = Vec::new();
        run(command, dir, &mut out).await?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[tokio::test]
    async fn add_creates_a_missing_data_directory_private_with_the_umask_in_force() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("fresh/.switchboard");
        let args = add_args(&["--team", "T0ACME", "--bot-token", TOKEN]);
        run_to_string(TenantCommand::Add(args), &dir).await.unwrap();
        for created in [dir.as_path(), dir.parent().unwrap()] {
            let mode = std::fs::metadata(created).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", created.display());
        }
        // A directory others may write is refused, saying how to fix it.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = run_to_string(TenantCommand::List, &dir).await.unwrap_err();
        let text = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        assert!(text.contains("chmod 700"), "{text}");
    }

    #[tokio::test]
    async fn add_installs_an_active_tenant_with_its_bot_token_in_the_vault() {
        let dir = tempfile::tempdir().unwrap();
        let backend = open_backend(dir.path()).unwrap();
        let args = add_args(&[
            "--team",
            "T0ACME",
            "--bot-token",
            TOKEN,
            "--bot-user-id",
            "U0BOT",
            "--name",
            "Acme",
        ]);
        let tenant = add(&backend, args, 1_700_000_000).await.unwrap();

        let id = TenantId::parse("T0ACME").unwrap();
        assert_eq!(tenant.id, id);
        assert_eq!(tenant.status, TenantStatus::Active);
        assert_eq!(
            backend.tenants.get(&id).await.unwrap().unwrap().name,
            "Acme"
        );
        let installation = backend
            .tenants
            .get_installation(&id)
            .await
            .unwrap()
            .unwrap();
        assert!(!installation.is_enterprise_install);
        assert_eq!(
            installation.bot_user_id,
            Some(UserId::parse("U0BOT").unwrap())
        );
        assert_eq!(installation.bot_scopes, BOT_SCOPES);
        let bot = service::bot_token(&backend, &id).await.unwrap().unwrap();
        assert_eq!(bot.token.expose(), TOKEN);
    }

    #[tokio::test]
    async fn an_org_wide_install_makes_the_enterprise_the_tenant() {
        let dir = tempfile::tempdir().unwrap();
        let backend = open_backend(dir.path()).unwrap();
        let args = add_args(&["--enterprise", "E0ORG", "--org-wide", "--bot-token", TOKEN]);
        let tenant = add(&backend, args, 1).await.unwrap();

        assert_eq!(tenant.id, TenantId::parse("E0ORG").unwrap());
        assert_eq!(tenant.name, "E0ORG");
        let installation = backend
            .tenants
            .get_installation(&tenant.id)
            .await
            .unwrap()
            .unwrap();
        assert!(installation.is_enterprise_install);
        assert_eq!(installation.team_id, None);
    }

    #[tokio::test]
    async fn a_token_that_is_not_a_bot_token_is_refused_without_being_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let backend = open_backend(dir.path()).unwrap();
        for bad in ["xoxp-user-token-secret", "xoxb-", "xoxb-has space", ""] {
            let mut args = add_args(&["--team", "T1", "--bot-token", "xoxb-x"]);
            args.bot_token = Secret::new(bad);
            let err = add(&backend, args, 1).await.unwrap_err();
            assert!(matches!(err, TenantCmdError::NotABotToken), "{bad}: {err}");
            assert!(!err.to_string().contains("secret") && !err.to_string().contains("has space"));
        }
        assert!(
            list(&backend).await.unwrap().is_empty(),
            "nothing installed"
        );
        let rotating = add_args(&["--team", "T1", "--bot-token", "xoxe.xoxb-1-abc"]);
        assert!(add(&backend, rotating, 1).await.is_ok());
    }

    #[test]
    fn arguments_are_checked_and_the_token_never_shows_in_debug() {
        assert!(
            parse(&["add", "--org-wide", "--bot-token", TOKEN]).is_err(),
            "org-wide needs an enterprise"
        );
        assert!(
            parse(&["add", "--bot-token", TOKEN]).is_err(),
            "a workspace install needs --team"
        );
        assert!(
            parse(&["add", "--team", "U1", "--bot-token", TOKEN]).is_err(),
            "ids are checked"
        );
        assert!(parse(&["suspend", "nope"]).is_err());
        let args = add_args(&[
            "--team",
            "T1",
            "--bot-token",
            TOKEN,
            "--scopes",
            "chat:write,commands",
        ]);
        assert_eq!(args.scopes, ["chat:write", "commands"]);
        assert!(!format!("{args:?}").contains("secretpart"));
    }

    #[tokio::test]
    async fn list_shows_every_tenant_in_an_aligned_table_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        for (team, name) in [("T0BETA", "Beta Corp"), ("T0ALPHA", "Alpha")] {
            let add =
                parse(&["add", "--team", team, "--bot-token", TOKEN, "--name", name]).unwrap();
            let said = run_to_string(add, dir.path()).await.unwrap();
            assert!(
                said.contains(team) && !said.contains("secretpart"),
                "{said}"
            );
        }
        // Each `run` opened the data directory afresh: what `add` wrote is on disk.
        let table = run_to_string(TenantCommand::List, dir.path())
            .await
            .unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("ID") && lines[0].contains("CREATED"));
        assert!(
            lines[1].starts_with("T0ALPHA  Alpha")
                && lines[1].contains("active")
                && lines[1].contains("free")
        );
        assert!(lines[2].starts_with("T0BETA   Beta Corp"));
        assert_eq!(
            lines[1].find("active"),
            lines[2].find("active"),
            "columns align"
        );
    }

    #[test]
    fn an_empty_list_says_how_to_add_a_tenant() {
        assert!(render_table(&[]).contains("tenant add"));
    }

    #[tokio::test]
    async fn suspend_and_resume_change_the_status_and_unknown_tenants_fail_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let backend = open_backend(dir.path()).unwrap();
        add(
            &backend,
            add_args(&["--team", "T1", "--bot-token", TOKEN]),
            1,
        )
        .await
        .unwrap();
        let id = TenantId::parse("T1").unwrap();

        suspend(&backend, &id, 2).await.unwrap();
        assert_eq!(
            backend.tenants.get(&id).await.unwrap().unwrap().status,
            TenantStatus::Suspended
        );
        resume(&backend, &id, 3).await.unwrap();
        assert_eq!(
            backend.tenants.get(&id).await.unwrap().unwrap().status,
            TenantStatus::Active
        );

        let unknown = TenantId::parse("T404").unwrap();
        let err = run_to_string(
            TenantCommand::Suspend {
                id: unknown.clone(),
            },
            dir.path(),
        )
        .await
        .unwrap_err();
        assert!(matches!(&err, TenantCmdError::UnknownTenant(id) if *id == unknown));
        assert!(err.to_string().contains("no tenant T404"));
        assert!(
            backend.tenants.get(&unknown).await.unwrap().is_none(),
            "nothing was created"
        );
    }

    #[tokio::test]
    async fn an_uninstalled_tenant_cannot_be_resumed_into_activity() {
        let dir = tempfile::tempdir().unwrap();
        let backend = open_backend(dir.path()).unwrap();
        add(
            &backend,
            add_args(&["--team", "T1", "--bot-token", TOKEN]),
            1,
        )
        .await
        .unwrap();
        let id = TenantId::parse("T1").unwrap();
        service::uninstall(&backend, &id, 2).await.unwrap();

        assert!(matches!(
            resume(&backend, &id, 3).await,
            Err(TenantCmdError::Uninstalled(_))
        ));
        assert!(matches!(
            suspend(&backend, &id, 3).await,
            Err(TenantCmdError::Uninstalled(_))
        ));
        assert_eq!(
            backend.tenants.get(&id).await.unwrap().unwrap().status,
            TenantStatus::Uninstalled
        );
    }
}
