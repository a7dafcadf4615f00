//! Classic image codecs run as external tools on the same images, for side-by-side curves:
//! libjpeg-turbo (`cjpeg -optimize`), libwebp (`cwebp -m 6`), libavif (`avifenc`, 4:4:4).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::media::Image;
use crate::{Error, Result};

/// Which tool family a classic codec is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Jpeg,
    Webp,
    Avif,
}

/// A classic codec and the quality settings of its sweep.
#[derive(Clone, Copy, Debug)]
pub struct Classic {
    /// Display name.
    pub name: &'static str,
    kind: Kind,
    /// The encoder and decoder programs (Debian package in `package`).
    encoder: &'static str,
    decoder: &'static str,
    /// Debian package providing the tools.
    pub package: &'static str,
    /// Settings swept from low to high rate.
    pub settings: &'static [u32],
}

/// The classic codecs `nmc eval image --classic` runs.
pub const CLASSICS: [Classic; 3] = [
    Classic {
        name: "JPEG (libjpeg-turbo, cjpeg -optimize)",
        kind: Kind::Jpeg,
        encoder: "cjpeg",
        decoder: "djpeg",
        package: "libjpeg-turbo-progs",
        settings: &[10, 20, 30, 40, 50, 60, 70, 80, 90, 95],
    },
    Classic {
        name: "WebP (libwebp, cwebp -m 6)",
        kind: Kind::Webp,
        encoder: "cwebp",
        decoder: "dwebp",
        package: "webp",
        settings: &[5, 15, 30, 45, 60, 75, 85, 95],
    },
    Classic {
        name: "AVIF (libavif/aom, avifenc 4:4:4 -s 6)",
        kind: Kind::Avif,
        encoder: "avifenc",
        decoder: "avifdec",
        package: "libavif-bin",
        // Quantizers (0–63, lower is better), swept from low to high rate.
        settings: &[56, 48, 42, 36, 30, 24, 18, 12],
    },
];

/// Rate and decoded image of one image at one setting.
pub struct ClassicResult {
    /// Size of the compressed file in bytes.
    pub bytes: u64,
    /// The decoded image.
    pub decoded: Image,
}

impl Classic {
    /// Whether the encoder and decoder are on the PATH.
    pub fn available(&self) -> bool {
        on_path(&[self.encoder, self.decoder])
    }

    /// Encodes the source image (written by the caller as RGB PNG and BMP) at `setting`, decodes it.
    pub fn run(&self, source_png: &Path, source_bmp: &Path, setting: u32, work: &Path) -> Result<ClassicResult> {
        let coded = work.join(format!("coded.{}", self.encoder));
        // avifdec writes PNG, JPEG or y4m only; the others write PPM.
        let decoded = work.join(if self.kind == Kind::Avif { "decoded.png" } else { "decoded.ppm" });
        let q = setting.to_string();
        let (encode, decode): (Vec<&str>, Vec<&str>) = match self.kind {
            Kind::Jpeg => (
                vec!["-optimize", "-quality", &q, "-outfile", path(&coded), path(source_bmp)],
                vec!["-ppm", "-outfile", path(&decoded), path(&coded)],
            ),
            Kind::Webp => (
                vec!["-quiet", "-m", "6", "-q", &q, path(source_png), "-o", path(&coded)],
                vec!["-quiet", "-ppm", path(&coded), "-o", path(&decoded)],
            ),
            Kind::Avif => (
                vec!["--min", &q, "--max", &q, "-y", "444", "-s", "6", "-j", "2", path(source_png), path(&coded)],
                vec![path(&coded), path(&decoded)],
            ),
        };
        tool(self.encoder, &encode)?;
        tool(self.decoder, &decode)?;
        let bytes = std::fs::metadata(&coded).map_err(|e| Error::io(&coded, e))?.len();
        Ok(ClassicResult { bytes, decoded: Image::read(&decoded)? })
    }
}

/// Whether every program is on the PATH.
pub(crate) fn on_path(programs: &[&str]) -> bool {
    programs.iter().all(|tool| {
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
    })
}

pub(crate) fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// Runs a program; a failure is an error quoting its stderr.
pub(crate) fn tool(program: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(program).args(args).output().map_err(|e| Error::io(PathBuf::from(program), e))?;
    if !out.status.success() {
        return Err(Error::InvalidArgument(format!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}
