//! `lethe`: the server binary.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use gateway::{Application, Settings, openapi, telemetry};

const USAGE: &str = "\
Usage: lethe [--config PATH] [COMMAND]

Commands:
  serve     run the server (default)
  demo      set up a sample customer database and a demo client, print the commands of a
            first access request, and run the server
  migrate   apply database migrations and exit
  openapi   print the OpenAPI document and exit

Options:
  --config PATH   TOML configuration file (environment variables LETHE__SECTION__KEY override it)
  -h, --help      show this help
  -V, --version   show the version";

enum Command {
    Serve,
    Demo,
    Migrate,
    OpenApi,
}

fn parse_args() -> Result<(Command, Option<PathBuf>), String> {
    let mut command = None;
    let mut config = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "-V" | "--version" => {
                println!("lethe {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "--config" => config = Some(PathBuf::from(args.next().ok_or("--config needs a path")?)),
            "serve" if command.is_none() => command = Some(Command::Serve),
            "demo" if command.is_none() => command = Some(Command::Demo),
            "migrate" if command.is_none() => command = Some(Command::Migrate),
            "openapi" if command.is_none() => command = Some(Command::OpenApi),
            other => return Err(format!("unexpected argument `{other}`\n\n{USAGE}")),
        }
    }
    Ok((command.unwrap_or(Command::Serve), config))
}

fn run() -> Result<(), String> {
    let (command, config) = parse_args()?;
    if let Command::OpenApi = command {
        print!("{}", openapi::document_json());
        return Ok(());
    }
    let settings = Settings::load(config.as_deref()).map_err(|e| e.to_string())?;
    telemetry::init(&settings.log);
    match command {
        Command::Migrate => {
            let database = db::Database::connect(&settings.database_url(), 1).map_err(|e| e.to_string())?;
            let applied = database.migrate().map_err(|e| e.to_string())?;
            println!("applied {} migration(s){}", applied.len(), if applied.is_empty() { "" } else { ":" });
            for version in applied {
                println!("  {version}");
            }
            Ok(())
        }
        Command::Serve | Command::Demo | Command::OpenApi => {
            let listener = TcpListener::bind(settings.server.bind)
                .map_err(|e| format!("cannot listen on {}: {e}", settings.server.bind))?;
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            let app = Application::build(settings).map_err(|e| e.to_string())?;
            if let Command::Demo = command {
                let demo = gateway::demo::prepare(&app).map_err(|e| e.to_string())?;
                print!("{}", gateway::demo::instructions(&demo, &format!("http://{address}")));
            }
            print!("{}", app.banner(address));
            actix_web::rt::System::new().block_on(app.run(listener)).map_err(|e| e.to_string())
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lethe: {message}");
            ExitCode::FAILURE
        }
    }
}
