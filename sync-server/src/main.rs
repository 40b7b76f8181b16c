//! `fieldgrid-server`: run the sync server, or administer it.
//!
//! ```text
//! fieldgrid-server serve --demo                       # loopback:8080, data in ./fieldgrid-data
//! fieldgrid-server admin create-admin --name 张主任    # prints the new administrator's token
//! fieldgrid-server admin registrations --status pending
//! fieldgrid-server admin approve <REGISTRATION> --staff <STAFF_ID>
//! fieldgrid-server admin reject <REGISTRATION> --reason "…"
//! fieldgrid-server admin revoke <REGISTRATION>
//! fieldgrid-server admin publish-org-tree tree.json
//! fieldgrid-server admin publish-forms forms.json
//! fieldgrid-server admin publish-catalogue 类别目录.xlsx
//! fieldgrid-server admin create-hotline-key 12345-donghai  # prints the hotline's API key
//! fieldgrid-server admin revoke-hotline-key 12345-donghai
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use fieldgrid_core::org::OrgTree;
use fieldgrid_core::sync::token_hash;
#[cfg(feature = "demo")]
use fieldgrid_server::demo;
use fieldgrid_server::storage::DeviceStatus;
use fieldgrid_server::{AppState, Config, admin, app};

#[derive(Parser)]
#[command(
    name = "fieldgrid-server",
    version,
    about = "The Fieldgrid sync server"
)]
struct Cli {
    /// A TOML configuration file (settings: see `Config`).
    #[arg(long, global = true, env = "FIELDGRID_CONFIG")]
    config: Option<PathBuf>,
    /// Folder for the SQLite database and blobs.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite file.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API until SIGINT/SIGTERM; in-flight requests are finished.
    Serve {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// Seed the demo county (东海县安峰镇) if the server has no org tree yet.
        /// On a loopback address it implies `--plain-http`.
        #[arg(long)]
        demo: bool,
        /// Session cookies without `Secure`, for a browser talking plain HTTP to a
        /// loopback address (refused on any other address). Without it cookies are
        /// always `Secure`: put a TLS proxy in front.
        #[arg(long)]
        plain_http: bool,
    },
    /// Administration, directly on the configured storage.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Creates an administrator and prints their token (shown once).
    CreateAdmin {
        /// The administrator's name.
        #[arg(long)]
        name: String,
    },
    /// Lists registrations.
    Registrations {
        /// pending, approved, rejected or revoked.
        #[arg(long)]
        status: Option<String>,
    },
    /// Approves a registration as a person of the org tree.
    Approve {
        /// The registration id.
        id: String,
        /// The person's id in the org tree.
        #[arg(long)]
        staff: String,
    },
    /// Rejects a registration.
    Reject {
        /// The registration id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Revokes an approved device: its next sync is refused and told to wipe.
    Revoke {
        /// The registration id.
        id: String,
    },
    /// Publishes a newer org tree from a JSON file.
    PublishOrgTree {
        /// The file.
        file: PathBuf,
    },
    /// Creates or replaces a login of the supervisor pages; the password is read
    /// from FIELDGRID_WEB_PASSWORD or standard input.
    CreateWebUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// The org-tree person whose area the pages show.
        #[arg(long)]
        staff: String,
        /// `supervisor` or `admin`.
        #[arg(long, default_value = "supervisor")]
        role: String,
    },
    /// Publishes a newer category catalogue from the file a township keeps: JSON,
    /// or a CSV or XLSX sheet with the columns 编码, 名称, 上级编码, 派遣时限(天),
    /// 办结时限(天), 默认等级, 默认处置单位, 停用日期, 英文名称.
    PublishCatalogue {
        /// The file.
        file: PathBuf,
        /// The version a sheet becomes (default: the next after the published one).
        #[arg(long)]
        version: Option<u64>,
    },
    /// Creates an API key for a 12345 hotline system and prints it (shown once).
    CreateHotlineKey {
        /// The key's name (letters, digits, '-', '_' or '.'), e.g. 12345-donghai.
        name: String,
    },
    /// Revokes a hotline system's API key.
    RevokeHotlineKey {
        /// The key's name.
        name: String,
    },
    /// Publishes a newer form pack from a JSON file ({version, forms: [...]}).
    PublishForms {
        /// The file.
        file: PathBuf,
    },
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("fieldgrid-server: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(d) = cli.data_dir {
        config.data_dir = d;
    }
    if let Some(u) = cli.database_url {
        config.database_url = Some(u);
    }
    match cli.command {
        Command::Serve {
            listen,
            demo,
            plain_http,
        } => {
            if let Some(l) = listen {
                config.listen = l;
            }
            if plain_http || demo {
                // The demo runs on this machine, in a browser talking plain HTTP to
                // loopback; `check` refuses this for any other address (and the
                // demo on another address keeps Secure cookies).
                config.plain_http_loopback = true;
                if demo && !plain_http && config.check().is_err() {
                    config.plain_http_loopback = false;
                }
            }
            config.check()?;
            init_logs(&config.log_format);
            serve(config, demo).await
        }
        Command::Admin(cmd) => {
            let state = config.open().await?;
            admin(&state, cmd).await
        }
    }
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config, seed_demo: bool) -> Result<(), Box<dyn std::error::Error>> {
    #[cfg(not(feature = "demo"))]
    if seed_demo {
        return Err(
            "this build has no demo county: build with the `demo` feature (on by default)".into(),
        );
    }
    let state = config.open().await?;
    #[cfg(feature = "demo")]
    let simulation = if seed_demo {
        let simulation = demo::seed(&state, &config.data_dir).await?;
        let (su, sp) = demo::DEMO_SUPERVISOR;
        let (au, ap) = demo::DEMO_ADMIN;
        println!(
            "supervisor pages: http://{}/ui/  (demo logins: supervisor {su} / {sp}, administrator {au} / {ap})",
            config.listen
        );
        for (user, password, _, who) in demo::DEMO_LOOP_LOGINS {
            println!("  {who}: {user} / {password}");
        }
        simulation
    } else {
        None
    };
    if state
        .storage
        .accounts(Some(DeviceStatus::Pending))
        .await?
        .is_empty()
        && state.storage.stats().await?.devices.is_empty()
    {
        tracing::info!(
            "no devices yet: create an administrator with `fieldgrid-server admin create-admin --name NAME`"
        );
    }
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    tracing::info!(
        address = %listener.local_addr()?,
        backend = state.storage.backend(),
        data_dir = %config.data_dir.display(),
        "fieldgrid-server listening"
    );
    #[cfg(feature = "demo")]
    if let Some(pending) = simulation {
        // The demo county's phones sync to this very server, over HTTP.
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(demo::simulate(state.clone(), url, pending));
    }
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    fieldgrid_server::service::backfill::backfill_photo_refs(&state).await?;
    fieldgrid_server::service::backfill::backfill_record_edits(&state).await?;
    // Unfinished uploads past their age, and old news, are removed every hour, by
    // one instance at a time.
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = fieldgrid_server::service::jobs::sweep(&sweeper).await {
                tracing::warn!(error = %e, "the hourly sweep failed");
            }
        }
    });
    let live = state.live.clone();
    let connections = state.metrics.connections.clone();
    let router = app(state).layer(tower_http::trace::TraceLayer::new_for_http());
    let server = fieldgrid_server::http::serve(
        listener,
        router,
        config.http_limits(),
        connections,
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            // Open pages' event streams end now; they reconnect elsewhere.
            live.close();
        },
    );
    // In-flight requests finish; a request that hangs past the grace period does not
    // keep the process alive forever.
    tokio::select! {
        r = server => r?,
        () = async { shutdown_signal().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("grace period over; exiting with requests still open");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn admin(state: &AppState, cmd: AdminCommand) -> Result<(), Box<dyn std::error::Error>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    match cmd {
        AdminCommand::CreateAdmin { name } => {
            let token = format!(
                "adm_{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            state
                .storage
                .create_admin(&name, &token_hash(&token), now)
                .await?;
            println!(
                "administrator {name} created; their token (shown once, keep it safe):\n{token}"
            );
        }
        AdminCommand::Registrations { status } => {
            let status = status.as_deref().map(|s| match s {
                "approved" | "rejected" | "revoked" | "pending" => Ok(s),
                _ => Err(format!("unknown status {s:?}")),
            });
            let status = match status {
                Some(Ok("approved")) => Some(DeviceStatus::Approved),
                Some(Ok("rejected")) => Some(DeviceStatus::Rejected),
                Some(Ok("revoked")) => Some(DeviceStatus::Revoked),
                Some(Ok(_)) => Some(DeviceStatus::Pending),
                Some(Err(e)) => return Err(e.into()),
                None => None,
            };
            for a in state.storage.accounts(status).await? {
                println!(
                    "{}  {:<9} {:<8} ID {}  phone {}  staff {}",
                    a.id,
                    a.status.as_str(),
                    a.name,
                    admin::mask(&a.id_number, 6, 4),
                    admin::mask(&a.phone, 3, 4),
                    a.staff_id.as_deref().unwrap_or("-")
                );
            }
        }
        AdminCommand::Approve { id, staff } => {
            admin::approve(state, &id, &staff).await?;
            println!("registration {id} approved as {staff}");
        }
        AdminCommand::Reject { id, reason } => {
            admin::reject(state, &id, &reason).await?;
            println!("registration {id} rejected");
        }
        AdminCommand::Revoke { id } => {
            admin::revoke(state, &id).await?;
            println!("device {id} revoked; its next sync will be told to wipe");
        }
        AdminCommand::PublishOrgTree { file } => {
            let tree: OrgTree = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
            admin::publish(state, &tree).await?;
            println!("org tree version {} published", tree.version);
        }
        AdminCommand::CreateWebUser {
            username,
            staff,
            role,
        } => {
            let password = match std::env::var("FIELDGRID_WEB_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end().to_owned()
                }
            };
            fieldgrid_server::web::create_web_user(state, &username, &password, &role, &staff)
                .await?;
            println!("web login {username} ({role}) for {staff} created");
        }
        AdminCommand::PublishCatalogue { file, version } => {
            let bytes = std::fs::read(&file)?;
            if bytes.len() > 50 * 1024 * 1024 {
                return Err(format!("{} is larger than 50 MB", file.display()).into());
            }
            let catalogue = admin::publish_catalogue(state, &bytes, version).await?;
            let [first, second, third] = catalogue.counts();
            println!(
                "catalogue version {} published: {first} first-level, {second} second-level, {third} third-level categories",
                catalogue.version
            );
        }
        AdminCommand::CreateHotlineKey { name } => {
            let key = fieldgrid_server::service::intake::create_hotline_key(state, &name).await?;
            println!("hotline key {name} created (shown once, keep it safe):\n{key}");
        }
        AdminCommand::RevokeHotlineKey { name } => {
            if !state.storage.revoke_intake_key(&name, now).await? {
                return Err(format!("no hotline key named {name} is in force").into());
            }
            println!("hotline key {name} revoked");
        }
        AdminCommand::PublishForms { file } => {
            let pack: fieldgrid_core::forms::FormPack =
                serde_json::from_str(&std::fs::read_to_string(&file)?)?;
            admin::publish(state, &pack).await?;
            println!("form pack version {} published", pack.version);
        }
    }
    Ok(())
}
