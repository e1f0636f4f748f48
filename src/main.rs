//! The switchboard binary: parses the command line, loads the config, starts tracing, and hands
//! over to the library (`app::run`, `sim::simulate`, `config` checks, `import`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use switchboard::import::{ImportOptions, run_daemonvigil};
use switchboard::reload::ReloadSource;
use switchboard::sim::{Scenario, SimOptions, SimStorage, simulate};
use switchboard::{app, config, defaults};
use tokio_util::sync::CancellationToken;

/// Hosts AI chat personalities on Discord and Telegram for many users at once, fairly.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// The config file (personalities are read from beside it).
    #[arg(
        long,
        short,
        global = true,
        env = "SWITCHBOARD_CONFIG",
        default_value = "config/switchboard.toml"
    )]
    config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RoleArg {
    All,
    Ingress,
    Worker,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the service on the configured platforms. Changes to the config file (and its
    /// personality files) apply as they are saved, or on SIGHUP.
    Run {
        /// What this process does: all, ingress (receive and enqueue), or worker (answer). Split
        /// roles need Redis storage.
        #[arg(long, value_enum, default_value_t = RoleArg::All, env = "SWITCHBOARD_ROLE")]
        role: RoleArg,
    },
    /// Check the config and print what it resolves to (secrets redacted).
    CheckConfig,
    /// Run a scenario through the real pipeline on a simulated platform and AI, on the fair queue
    /// and on a FIFO queue, and report waits, shares and refusals.
    Simulate {
        /// A built-in scenario (flood, weights, outage, load) or a path to a scenario file.
        #[arg(long, short, default_value = "flood")]
        scenario: String,
        /// Where the run keeps its data (always throwaway).
        #[arg(long, value_enum, default_value_t = StorageArg::Embedded)]
        storage: StorageArg,
        /// Redis for `--storage redis`.
        #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
        redis_url: String,
        /// Scale the scenario to about this many users.
        #[arg(long)]
        users: Option<usize>,
        /// Scale the scenario to about this many messages.
        #[arg(long)]
        messages: Option<usize>,
        /// Skip the FIFO comparison run.
        #[arg(long)]
        no_fifo: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import users, history, notes and usage from another bot into the configured storage.
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
}

#[derive(Subcommand, Debug)]
enum ImportFrom {
    /// DaemonVigil's data directory (users.json and users/<id>/, or the single-user
    /// messages.json, scratchpad.json and api_usage.jsonl). Safe to run again: nothing is
    /// imported twice. The directory is only read.
    Daemonvigil {
        /// The directory (DaemonVigil's `data/`).
        dir: PathBuf,
        /// The Telegram user id the data belongs to (required for the single-user layout; in
        /// the multi-user layout, import only this user).
        #[arg(long)]
        user: Option<String>,
        /// The tenant to import into. Default: the tenant the first Telegram bot's private chats
        /// belong to, else "default".
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StorageArg {
    Embedded,
    Redis,
}

fn init_tracing(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The config at `path`; for `simulate`, the built-in default when the file is absent.
fn load_config(path: &Path, allow_default: bool) -> anyhow::Result<config::Config> {
    if allow_default && !path.exists() {
        return defaults::embedded_config()
            .map_err(|e| anyhow::anyhow!("the built-in default config is invalid:\n{e}"));
    }
    config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        t.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
        t.cancel();
    });
    token
}

async fn main_async(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run { role } => {
            init_tracing(cli.log_format, "info");
            let cfg = load_config(&cli.config, false)?;
            let role = match role {
                RoleArg::All => switchboard::live::Role::All,
                RoleArg::Ingress => switchboard::live::Role::Ingress,
                RoleArg::Worker => switchboard::live::Role::Worker,
            };
            let opts = switchboard::live::LiveOptions {
                watch: Some(ReloadSource::process(&cli.config)),
                role,
            };
            app::run(cfg, opts, shutdown_on_signals()).await?;
        }
        Command::CheckConfig => {
            let cfg = load_config(&cli.config, false)?;
            println!("{} is valid", cli.config.display());
            println!("{}", config::summary(&cfg));
        }
        Command::Simulate {
            scenario,
            storage,
            redis_url,
            users,
            messages,
            no_fifo,
            json,
        } => {
            init_tracing(cli.log_format, "error");
            let cfg = load_config(&cli.config, true)?;
            let mut scenario = Scenario::load(&scenario)?;
            scenario.scale(users, messages);
            let storage = match storage {
                StorageArg::Embedded => SimStorage::Embedded,
                StorageArg::Redis => SimStorage::Redis { url: redis_url },
            };
            let opts = SimOptions {
                config: cfg,
                scenario,
                storage,
                fifo: !no_fifo,
                progress: !json,
            };
            let report = simulate(opts).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
        }
        Command::Import {
            from: ImportFrom::Daemonvigil { dir, user, tenant },
        } => {
            init_tracing(cli.log_format, "warn");
            let cfg = load_config(&cli.config, false)?;
            let opts = ImportOptions { dir, user, tenant };
            let summary = run_daemonvigil(&cfg, &opts).await?;
            print!("{}", summary.render());
            if summary.nothing_read() {
                anyhow::bail!(
                    "nothing could be read from {}; see the problems above",
                    opts.dir.display()
                );
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("switchboard: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(main_async(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            ExitCode::FAILURE
        }
    }
}
