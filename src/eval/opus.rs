//! Opus (opus-tools: `opusenc --bitrate B`, `opusdec --rate 24000`) on the same clips, for
//! side-by-side audio curves.

use std::path::Path;

use super::audio::{audio_metrics, AudioMetrics};
use super::classic::{on_path, path, tool};
use crate::media::Audio;
use crate::Result;

/// Display name of the Opus curve.
pub const NAME: &str = "Opus (libopus, opusenc --bitrate)";
/// Debian package with the tools.
pub const PACKAGE: &str = "opus-tools";
/// Target bitrates of the sweep, kbps.
pub const BITRATES: [u32; 6] = [6, 8, 12, 16, 24, 32];

/// Whether opusenc and opusdec are installed.
pub fn available() -> bool {
    on_path(&["opusenc", "opusdec"])
}

/// Codes `audio` (written as 16-bit WAV to the scratch folder `work`) at `kbps` target: the real
/// kbps of the .opus file and the metrics of its decoding at 24 kHz.
pub fn run(audio: &Audio, kbps: u32, work: &Path) -> Result<(f64, AudioMetrics)> {
    let (source, coded, decoded) = (work.join("source.wav"), work.join("coded.opus"), work.join("decoded.wav"));
    std::fs::write(&source, audio.to_wav_bytes()?).map_err(|e| crate::Error::io(&source, e))?;
    tool("opusenc", &["--quiet", "--bitrate", &kbps.to_string(), path(&source), path(&coded)])?;
    tool("opusdec", &["--quiet", "--rate", "24000", path(&coded), path(&decoded)])?;
    let bytes = std::fs::metadata(&coded).map_err(|e| crate::Error::io(&coded, e))?.len();
    let out = Audio::read(&decoded)?;
    // opusdec writes stereo for stereo input and mono otherwise; the metrics need equal counts.
    let out = if out.channel_count() == audio.channel_count() { out } else { Audio::new(out.sample_rate(), vec![out.channels()[0].clone(); audio.channel_count()])? };
    Ok((bytes as f64 * 8.0 / audio.duration() / 1000.0, audio_metrics(audio, &out)?))
}
