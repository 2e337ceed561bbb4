//! The `sca-sandbox` binary: flags, logging, bind, serve until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod logbuf;
use sca_sandbox::{Error, Provider, Sandbox, SandboxBuilder, Scenario};

/// A local sandbox for payment providers' Strong Customer Authentication APIs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on. Anything but loopback exposes the control API.
    #[arg(long, env = "SCA_SANDBOX_HOST", default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port to listen on; 0 picks a free one and prints it.
    #[arg(long, env = "SCA_SANDBOX_PORT", default_value_t = 4242)]
    port: u16,
    /// Scenario file, or a folder of them (each joins the library under its
    /// file name; `default.yaml` is active); the embedded default when absent.
    #[arg(long, env = "SCA_SANDBOX_SCENARIO")]
    scenario: Option<PathBuf>,
    /// Read the scenario file or folder again when it changes.
    #[arg(long, env = "SCA_SANDBOX_WATCH", requires = "scenario")]
    watch: bool,
    /// Log format.
    #[arg(long, env = "SCA_SANDBOX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
    /// Token the control API and the dashboard then require (Bearer header,
    /// or `?token=` once in a browser). Required to bind anything but loopback.
    #[arg(long, env = "SCA_SANDBOX_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// A host name the control API and the dashboard answer to besides IP
    /// addresses and localhost (repeat it, or separate names with commas).
    #[arg(
        long = "allowed-host",
        env = "SCA_SANDBOX_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SCA_SANDBOX_BODY_LIMIT", default_value_t = sca_sandbox::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Memory the whole process may give to live objects and uploaded
    /// scenarios across every tenant, such as `512MiB` or `2GiB`; past it,
    /// creates get the provider's rate-limit answer.
    #[arg(long, env = "SCA_SANDBOX_MEMORY_BUDGET", default_value = "1GiB", value_parser = parse_size)]
    memory_budget: usize,
    /// How long a request body may take to arrive, such as `30s`; a slower
    /// one is answered 408 and its connection closed.
    #[arg(long, env = "SCA_SANDBOX_BODY_TIMEOUT", default_value = "30s", value_parser = parse_timeout)]
    body_timeout: std::time::Duration,
    /// Serve HTTPS too, on --tls-port, with certificates for every provider
    /// host signed by a local CA (made on first start in --data-dir).
    #[arg(long, env = "SCA_SANDBOX_TLS")]
    tls: bool,
    /// The HTTPS port; 0 picks a free one and prints it.
    #[arg(long, env = "SCA_SANDBOX_TLS_PORT", default_value_t = 4243)]
    tls_port: u16,
    /// Where the CA is kept, so that it stays trusted across restarts
    /// (default: $XDG_DATA_HOME/sca-sandbox or ~/.local/share/sca-sandbox).
    #[arg(long, env = "SCA_SANDBOX_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Mutual-TLS hosts take any client certificate, not only one the
    /// sandbox's CA signed.
    #[arg(long, env = "SCA_SANDBOX_TLS_ANY_CLIENT_CERTIFICATE", requires = "tls")]
    tls_any_client_certificate: bool,
    /// Writes the integration report here when the sandbox stops: JUnit XML
    /// for `.xml`, Markdown for `.md`, JSON otherwise.
    #[arg(long, env = "SCA_SANDBOX_REPORT", value_name = "FILE")]
    report: Option<PathBuf>,
}

fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let d = sca_sandbox::Dur::parse(text)?.0;
    if d.is_zero() {
        return Err("the body timeout must be longer than zero".to_owned());
    }
    Ok(d)
}

/// A size in bytes: a whole number with an optional unit, KiB, MiB or GiB.
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "KiB" | "K" => 10,
        "MiB" | "M" => 20,
        "GiB" | "G" => 30,
        other => return Err(format!("`{other}` is not a unit: use KiB, MiB or GiB")),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 512MiB or 2GiB"))?;
    n.checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| format!("`{text}` is not a size above zero that fits in memory"))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check scenario files without starting a server: each FILE, and every
    /// `.yaml`/`.yml` file of each DIR. Exit 0 when all are good, else 2 with
    /// `file:line:column: message` for each problem.
    Check {
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
    },
    /// Print the scenario file's JSON Schema (what `scenario.schema.json` holds).
    Schema,
}

/// `sca-sandbox check`: every problem on stderr, then the exit code.
fn check(paths: &[PathBuf]) -> ExitCode {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            found
                .retain(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut bad = 0;
    for file in &files {
        let problems = match sca_sandbox::read_scenario_file(file) {
            Ok(text) => Scenario::check(&file.display().to_string(), &text),
            Err(e) => vec![e],
        };
        if problems.is_empty() {
            use std::io::Write;
            let _ = writeln!(std::io::stdout().lock(), "{}: ok", file.display());
        }
        for e in &problems {
            eprintln!("{e}");
        }
        bad += usize::from(!problems.is_empty());
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match &args.command {
        Some(Command::Check { paths }) => return check(paths),
        Some(Command::Schema) => {
            use std::io::Write;
            let text =
                serde_json::to_string_pretty(&sca_sandbox::scenario_schema()).unwrap_or_default();
            // A reader that closed the pipe early (`| head`) ends the
            // program quietly, not with a panic.
            let _ = writeln!(std::io::stdout().lock(), "{text}");
            return ExitCode::SUCCESS;
        }
        None => {}
    }
    let log = init_logging(args.log_format);
    // The builder checks the token against the address (none, blank or
    // short off loopback is refused), the same check an embedding gets.
    let mut builder = Sandbox::builder()
        .body_limit(args.body_limit)
        .memory_budget(args.memory_budget)
        .body_timeout(args.body_timeout)
        .bind(SocketAddr::new(args.host, args.port));
    if let Some(token) = &args.admin_token {
        builder = builder.admin_token(token.clone());
    }
    for host in &args.allowed_hosts {
        builder = builder.allowed_host(host.clone());
    }
    if let Some(path) = &args.scenario {
        builder = builder.scenario_file(path);
    }
    if args.tls {
        let dir = args
            .data_dir
            .clone()
            .unwrap_or_else(sca_sandbox::default_data_dir);
        builder = builder
            .tls(SocketAddr::new(args.host, args.tls_port), dir)
            .tls_any_client_certificate(args.tls_any_client_certificate);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(builder.watch(args.watch), args.report));
    // What the log thread has not written yet goes out before the exit.
    log.flush();
    code
}

/// Starts the way an embedding does, then serves until Ctrl-C or SIGTERM.
async fn run(builder: SandboxBuilder, report: Option<PathBuf>) -> ExitCode {
    let running = match builder.start().await {
        Ok(running) => running,
        // A bad scenario or token is the user's mistake, reported as
        // file:line:col or in words; exit 2.
        Err(e @ (Error::Bind { .. } | Error::Io(_))) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let shutdown = shutdown_signal();
    announce(running.addr(), running.tls_addr());
    let sandbox = running.sandbox().clone();
    let code = match running.run_until(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server failed: {e}");
            ExitCode::FAILURE
        }
    };
    if let Some(path) = report {
        if let Err(e) = sandbox.write_report(&path) {
            eprintln!("the report could not be written to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    code
}

/// Prints where everything is. A closed stdout (a supervisor that read the
/// first line and hung up) must not take the server down, so write errors are
/// ignored rather than panicking as `println!` would.
fn announce(addr: SocketAddr, tls: Option<SocketAddr>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let version = env!("CARGO_PKG_VERSION");
    let _ = writeln!(out, "sca-sandbox {version} listening on http://{addr}");
    // Bound to every interface (a container), the links name loopback:
    // `http://0.0.0.0:4242` is no address a browser can open.
    let shown = |a: SocketAddr| {
        if a.ip().is_unspecified() {
            SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, a.port()))
        } else {
            a
        }
    };
    let (addr, tls) = (shown(addr), tls.map(shown));
    for provider in Provider::ALL {
        let name = provider.name();
        let _ = writeln!(out, "  {name:<10} http://{addr}/{name}");
    }
    let _ = writeln!(out, "  {:<10} http://{addr}/__admin", "control");
    let _ = writeln!(out, "  {:<10} http://{addr}/", "dashboard");
    if let Some(tls) = tls {
        let _ = writeln!(
            out,
            "  {:<10} https://{tls} (trust http://{addr}/__admin/ca.pem)",
            "https"
        );
    }
    let _ = out.flush();
}

/// Logs to stderr through a buffer (see [`logbuf`]); the buffer, to flush
/// on the way out.
fn init_logging(format: LogFormat) -> logbuf::LogBuffer {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The template engine logs whole render contexts at debug level, and the
    // pages hold one-time codes; whatever RUST_LOG says, it stays quiet.
    let filter = match "handlebars=warn".parse() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    };
    // Colour codes only for a terminal: a log file or a CI's capture gets
    // plain text.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let log = logbuf::LogBuffer::new();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(log.clone());
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    log
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM. The SIGTERM handler is installed
/// when this is called, not when the future is first polled, so a SIGTERM
/// sent right after the start-up lines are printed still stops cleanly.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let term = async {
            match term {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutting down; letting requests in flight finish");
    }
}
