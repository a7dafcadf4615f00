use clap::Parser;

fn main() {
    let cli = nmc::cli::Cli::parse();
    if let Err(error) = nmc::cli::run(cli) {
        eprintln!("nmc: error: {error}");
        std::process::exit(1);
    }
}
