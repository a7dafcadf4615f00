use clap::Parser;

fn main() {
    // Like other Unix tools, end quietly when the reader of stdout goes away (`nmc info x | head`)
    // instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = nmc::cli::Cli::parse();
    if let Err(error) = nmc::cli::run(cli) {
        eprintln!("nmc: error: {error}");
        std::process::exit(1);
    }
}
