//! The `sipt-mgc` command line (DESIGN.md, "Command line").

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sipt_mgc::config::{Config, Protocol};
use sipt_mgc::decode::{self, Kind};

#[derive(Parser)]
#[command(
    name = "sipt-mgc",
    version,
    about = "SIP-T PSTN media gateway controller"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode one message of a wire format to JSON (or text with --format text).
    Decode {
        /// What the octets are.
        #[arg(value_enum)]
        kind: Kind,
        /// The octets in hex (spaces, ':' and '-' allowed); '-' reads hex from stdin;
        /// '@FILE' reads raw octets from FILE.
        hex: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// The built-in PSTN switch simulator (ISUP or QSIG) on one link of a configuration;
    /// one JSON object per line on stdout for every event and message.
    Sim {
        /// The configuration file (its [[link]] entries; DESIGN.md schema).
        #[arg(long)]
        config: std::path::PathBuf,
        /// The scenario (TOML): calls to place, how to answer, maintenance actions, load.
        /// Without one the switch answers every call it receives and runs until interrupted.
        #[arg(long)]
        scenario: Option<std::path::PathBuf>,
        /// Which link (default: the first; an ISUP link brings its linkset).
        #[arg(long)]
        link: Option<String>,
    },
    /// Run the gateway: the ISUP links and the SIP side of the configuration, calls routed
    /// between them; one JSON object per line on stdout for every call event.
    Run {
        /// The configuration file (TOML, DESIGN.md schema).
        #[arg(long)]
        config: std::path::PathBuf,
    },
    /// The embedded default: two gateways, the built-in PSTN simulator on PTYs and a SIP
    /// endpoint in this process; calls in the three call models with their progress, then a
    /// summary. Exit status 0 when every call did what was expected.
    Demo {
        /// Keep placing calls, a round at a time at a slow pace, until Ctrl-C.
        #[arg(long)]
        forever: bool,
        /// Answered calls per call model (besides the busy and the unrouted call), 1-20.
        #[arg(long, default_value_t = 3)]
        calls: usize,
        /// JSON lines (progress events and the summary) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Validate a configuration file; print what it configures.
    CheckConfig {
        /// The configuration file (TOML, DESIGN.md schema).
        file: std::path::PathBuf,
    },
    /// Show the routing decision for a called number (exit 1: no route; 2: bad config).
    Route {
        /// The configuration file (its [[route]] and [[link]] entries).
        #[arg(long)]
        config: std::path::PathBuf,
        /// The called number: `+` and the digits when international, else as received.
        number: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode { kind, hex, format } => run_decode(kind, &hex, format),
        Command::CheckConfig { file } => check_config(&file),
        Command::Route { config, number } => run_route(&config, &number),
        Command::Run { config } => run_gateway(&config),
        Command::Demo {
            forever,
            calls,
            json,
        } => run_demo(sipt_mgc::demo::Options {
            calls,
            forever,
            json,
        }),
        Command::Sim {
            config,
            scenario,
            link,
        } => run_sim(&config, scenario.as_deref(), link.as_deref()),
    }
}

fn run_sim(
    config: &std::path::Path,
    scenario: Option<&std::path::Path>,
    link: Option<&str>,
) -> ExitCode {
    let config = match Config::load(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sipt-mgc sim: {e}");
            return ExitCode::from(2);
        }
    };
    let scenario = match scenario.map(sipt_mgc::sim::Scenario::load).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sipt-mgc sim: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sipt-mgc sim: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let out = Box::new(std::io::BufWriter::new(std::io::stdout()));
    match runtime.block_on(sipt_mgc::sim::run(&config, link, scenario, out)) {
        Ok(summary) if summary.ok() => ExitCode::SUCCESS,
        Ok(summary) => {
            for f in &summary.failures {
                eprintln!("sipt-mgc sim: {f}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("sipt-mgc sim: {e}");
            ExitCode::from(2)
        }
    }
}

fn runtime(what: &str) -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("sipt-mgc {what}: cannot start the runtime: {e}");
            None
        }
    }
}

fn run_gateway(config: &std::path::Path) -> ExitCode {
    let config = match Config::load(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sipt-mgc run: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(runtime) = runtime("run") else {
        return ExitCode::from(2);
    };
    // Buffered: the shell flushes the log once per step, not once per line.
    let out = Box::new(std::io::BufWriter::new(std::io::stdout()));
    match runtime.block_on(sipt_mgc::gateway::shell::run(&config, out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sipt-mgc run: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_demo(options: sipt_mgc::demo::Options) -> ExitCode {
    let Some(runtime) = runtime("demo") else {
        return ExitCode::from(2);
    };
    let mut out = std::io::stdout();
    match runtime.block_on(sipt_mgc::demo::run(&options, &mut out)) {
        Ok(report) if report.ok() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sipt-mgc demo: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_decode(kind: Kind, input: &str, format: Format) -> ExitCode {
    let bytes = match read_input(input) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("sipt-mgc decode: {e}");
            return ExitCode::FAILURE;
        }
    };
    match decode::decode(kind, &bytes) {
        Ok(json) => {
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                ),
                Format::Text => print!("{}", decode::to_text(&json)),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sipt-mgc decode: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check_config(file: &std::path::Path) -> ExitCode {
    match Config::load(file) {
        Ok(c) => {
            for l in &c.links {
                let circuits = match l.protocol {
                    Protocol::Isup => format!(
                        "OPC {} DPC {} SLC {} {} CICs",
                        l.opc.unwrap_or(0),
                        l.dpc.unwrap_or(0),
                        l.slc.unwrap_or(0),
                        l.cics.len()
                    ),
                    Protocol::Qsig => format!("{} B-channels", l.channels.len()),
                };
                println!(
                    "link {}: {:?} over {:?} {} ({circuits})",
                    l.name, l.protocol, l.transport, l.path
                );
            }
            println!("{} route(s)", c.routes.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sipt-mgc check-config: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_route(config: &std::path::Path, number: &str) -> ExitCode {
    use sipt_mgc::route::{describe, RouteTable};
    let table = match Config::load(config) {
        Ok(c) => RouteTable::from_config(&c).map_err(|e| format!("{}: {e}", config.display())),
        Err(e) => Err(e.to_string()),
    };
    match table {
        Ok(table) => match table.lookup(number) {
            Some(d) => {
                print!("{}", describe(number, Some(&d)));
                ExitCode::SUCCESS
            }
            None => {
                eprint!("sipt-mgc route: {}", describe(number, None));
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("sipt-mgc route: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_input(input: &str) -> Result<Vec<u8>, String> {
    if let Some(path) = input.strip_prefix('@') {
        return std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    }
    let text = if input == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        s
    } else {
        input.to_string()
    };
    decode::parse_hex(&text).map_err(|e| e.to_string())
}
