//! The finished groups of a video encode, kept in a file beside the output so that an
//! interrupted encode resumes where it stopped (`nmc encode --resume`).
//!
//! File: magic `NMCVCKP1`, the 32-byte SHA-256 key of the input and settings, then each finished
//! group's record as u32 length + bytes. It is rewritten atomically after every group.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::fit::FitOptions;
use super::network::NetConfig;
use crate::media::Video;
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"NMCVCKP1";

/// Finished group records of one encode.
pub struct Checkpoint {
    path: PathBuf,
    key: [u8; 32],
    records: Vec<Vec<u8>>,
}

/// The key of an encode: the frames, the network shape and the fitting settings.
pub fn key(video: &Video, config: &NetConfig, fit: &FitOptions) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(config.to_bytes());
    h.update(format!("{} {} {} {} {}", fit.steps, fit.lambda.to_bits(), fit.frames_per_step, fit.learning_rate.to_bits(), fit.seed));
    h.update(format!("{}x{} {:?} {:?} {}", video.width(), video.height(), video.fps(), video.chroma(), video.frames().len()));
    video.frames().iter().flat_map(|f| &f.planes).for_each(|p| h.update(p));
    h.finalize().into()
}

impl Checkpoint {
    /// Opens the checkpoint at `path` for an encode with `key`: with `resume`, the groups an
    /// earlier run finished (an error if that run had another input or other settings);
    /// otherwise an empty one (an older file there is replaced at the first finished group).
    pub fn open(path: &Path, key: [u8; 32], resume: bool) -> Result<Self> {
        let mut checkpoint = Self { path: path.to_path_buf(), key, records: Vec::new() };
        if !resume || !path.exists() {
            return Ok(checkpoint);
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let bad = |what: &str| Error::InvalidArgument(format!("cannot resume: {what}")).in_file(path);
        if bytes.len() < 40 || &bytes[..8] != MAGIC {
            return Err(bad("not a video encode checkpoint"));
        }
        if bytes[8..40] != key {
            return Err(bad("it belongs to another input or other settings (--quality, --steps)"));
        }
        let mut rest = &bytes[40..];
        while !rest.is_empty() {
            let len = rest.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).ok_or_else(|| bad("truncated"))?;
            let record = rest.get(4..4 + len).ok_or_else(|| bad("truncated"))?;
            checkpoint.records.push(record.to_vec());
            rest = &rest[4 + len..];
        }
        Ok(checkpoint)
    }

    /// The record of group `index`, if an earlier run finished it.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.records.get(index).map(Vec::as_slice)
    }

    /// Adds the next group's record and saves the file.
    pub fn push(&mut self, record: Vec<u8>) -> Result<()> {
        self.records.push(record);
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&self.key);
        for r in &self.records {
            out.extend_from_slice(&(r.len() as u32).to_le_bytes());
            out.extend_from_slice(r);
        }
        crate::fsutil::write_atomic(&self.path, &out, true)
    }
}
