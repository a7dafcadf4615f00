//! Small identifiers stored in the file: media kind, chunk type (FourCC), model id.

use std::fmt;

use sha2::{Digest, Sha256};

/// What a file holds; byte 6 of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum MediaKind {
    /// A still image (code 1).
    Image,
    /// An audio clip (code 2).
    Audio,
    /// A video (code 3).
    Video,
}

impl MediaKind {
    /// The byte that stores this kind.
    pub fn code(self) -> u8 {
        match self {
            MediaKind::Image => 1,
            MediaKind::Audio => 2,
            MediaKind::Video => 3,
        }
    }

    /// The kind stored as `code`, if v1 defines one.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(MediaKind::Image),
            2 => Some(MediaKind::Audio),
            3 => Some(MediaKind::Video),
            _ => None,
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        })
    }
}

/// A chunk type: four bytes, each printable ASCII (0x20..=0x7E) in a valid file.
///
/// Displays as its four characters; a byte outside printable ASCII (only possible in a value
/// that failed validation) displays as `\xNN`. Serializes as that same string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// `NEND`: the required, empty chunk that ends every file.
    pub const NEND: FourCc = FourCc(*b"NEND");
    /// `YLAT`: the image latent, range-coded (see FORMAT.md, "Image codec payload").
    pub const YLAT: FourCc = FourCc(*b"YLAT");
    /// `ZLAT`: the image hyper-latent of hyperprior models, range-coded (FORMAT.md).
    pub const ZLAT: FourCc = FourCc(*b"ZLAT");
    /// `QLTY`: the quality of a variable-rate image, `round(q · 256)` as u16 (FORMAT.md).
    pub const QLTY: FourCc = FourCc(*b"QLTY");
    /// `VNET`: the shape of a video's fitted networks (FORMAT.md, "Video codec payload").
    pub const VNET: FourCc = FourCc(*b"VNET");
    /// `VGOP`: a video's groups of frames: quantized latents and weights, range-coded (FORMAT.md).
    pub const VGOP: FourCc = FourCc(*b"VGOP");
    /// `META`: optional UTF-8 JSON metadata; decoders ignore it.
    pub const META: FourCc = FourCc(*b"META");

    /// Whether all four bytes are printable ASCII, as the format requires.
    pub fn is_valid(self) -> bool {
        self.0.iter().all(|b| (0x20..=0x7E).contains(b))
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if (0x20..=0x7E).contains(&b) {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl serde::Serialize for FourCc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The model a file was coded with: the first 16 bytes of the SHA-256 of the model file.
/// All zero ([`ModelId::NONE`]) means the file needs no model.
///
/// Displays and serializes as 32 lowercase hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModelId(pub [u8; 16]);

impl ModelId {
    /// The all-zero id: no model.
    pub const NONE: ModelId = ModelId([0; 16]);

    /// The id of the model file whose bytes are `model_file`.
    pub fn of_model_file(model_file: &[u8]) -> Self {
        let digest = Sha256::digest(model_file);
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        ModelId(id)
    }

    /// Parses 32 hex digits (either case); `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let digits = hex.as_bytes();
        if digits.len() != 32 {
            return None;
        }
        let mut id = [0u8; 16];
        for (byte, pair) in id.iter_mut().zip(digits.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).ok()?;
            if !text.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            *byte = u8::from_str_radix(text, 16).ok()?;
        }
        Some(ModelId(id))
    }

    /// Whether this is the all-zero "no model" id.
    pub fn is_none(&self) -> bool {
        *self == ModelId::NONE
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl serde::Serialize for ModelId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
