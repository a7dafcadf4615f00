//! The one error type of nmc.

use std::path::PathBuf;

/// Every failure nmc can report. Library functions work on bytes and media; the CLI wraps
/// errors with [`Error::File`] so that messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Any other error that happened while handling a named file.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },
    /// The bytes do not start with the `.nmc` magic.
    #[error("not an .nmc file (bad magic bytes)")]
    BadMagic,
    /// The file needs a newer decoder.
    #[error("unsupported format version {major}.{minor} (this decoder reads {supported}.x)")]
    UnsupportedVersion { major: u8, minor: u8, supported: u8 },
    /// The data ends before a structure it announces.
    #[error("truncated file: {0}")]
    Truncated(String),
    /// A CRC-32 check failed.
    #[error("CRC mismatch in {0}")]
    CrcMismatch(String),
    /// A value is over a limit of the format spec.
    #[error("{what} is {value}, over the limit of {limit}")]
    LimitExceeded { what: String, value: u64, limit: u64 },
    /// A chunk flagged as required has a type this decoder does not know.
    #[error("unknown required chunk '{0}'; a newer decoder is needed")]
    UnknownRequiredChunk(String),
    /// The bytes are structurally invalid in some other way.
    #[error("malformed data: {0}")]
    Malformed(String),
    /// The file names a model this decoder does not have.
    #[error("model {0} is not available (pass it with --model FILE)")]
    ModelNotFound(String),
    /// A model file is invalid or does not fit its use.
    #[error("invalid model: {0}")]
    Model(String),
    /// The input media cannot be coded (format, size, channel layout...).
    #[error("unsupported media: {0}")]
    UnsupportedMedia(String),
    /// Invalid arguments or options.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Training diverged: the loss stopped being finite.
    #[error("training diverged at step {step} (loss {loss}); {checkpoint}")]
    Diverged { step: u64, loss: f64, checkpoint: String },
}

impl Error {
    /// Attaches a file path to this error (keeps I/O errors flat).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            Error::Io { .. } | Error::File { .. } => self,
            other => Error::File { path: path.into(), source: Box::new(other) },
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}

/// nmc's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
