//! The file header: magic, version, media kind, model id, media parameters, CRC.

use super::ids::{MediaKind, ModelId};
use super::params::MediaParams;
use super::reader::Reader;
use super::{MAGIC, MAJOR, MINOR};
use crate::error::{Error, Result};

/// The decoded file header.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Header {
    /// Format major version (always [`MAJOR`] in a parsed header).
    pub major: u8,
    /// Format minor version (any value; a reader accepts every minor of its major).
    pub minor: u8,
    /// The model the payload was coded with.
    pub model: ModelId,
    /// Kind-specific parameters; they also give the media kind.
    pub params: MediaParams,
}

impl Header {
    /// Appends the header bytes (through its CRC) to `out`. Only the version this writer
    /// implements ([`MAJOR`].[`MINOR`]) and valid parameters are written.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        if (self.major, self.minor) != (MAJOR, MINOR) {
            return Err(Error::InvalidArgument(format!(
                "cannot write format version {}.{}: this writer writes {MAJOR}.{MINOR}",
                self.major, self.minor
            )));
        }
        self.params.validate()?;
        let params = self.params.encode();
        let start = out.len();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&[self.major, self.minor, self.params.kind().code(), 0]);
        out.extend_from_slice(&self.model.0);
        // At most 21 bytes: always fits in the u16 length field.
        out.extend_from_slice(&(params.len() as u16).to_le_bytes());
        out.extend_from_slice(&params);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(())
    }

    /// Reads and validates the header at the start of `r`, in the order FORMAT.md gives:
    /// magic, major version, CRC, then the fields.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Header> {
        let start = r.pos();
        let rest = r.rest();
        let prefix = rest.len().min(MAGIC.len());
        if rest[..prefix] != MAGIC[..prefix] {
            return Err(Error::BadMagic);
        }
        r.take(MAGIC.len(), "magic")?;
        let major = r.u8("format major version")?;
        let minor = r.u8("format minor version")?;
        if major != MAJOR {
            return Err(Error::UnsupportedVersion {
                major,
                minor,
                supported: MAJOR,
            });
        }
        let kind = r.u8("media kind")?;
        let reserved = r.u8("header reserved byte")?;
        let mut model = [0u8; 16];
        model.copy_from_slice(r.take(16, "model id")?);
        let params_len = r.u16("params length")?;
        let params = r.take(params_len.into(), "media params")?;
        let computed = crc32fast::hash(r.since(start));
        let stored = r.u32("header CRC-32")?;
        if stored != computed {
            return Err(Error::CrcMismatch(format!(
                "header (stored {stored:08x}, computed {computed:08x})"
            )));
        }
        if reserved != 0 {
            return Err(Error::Malformed(format!(
                "header reserved byte is {reserved}, not 0"
            )));
        }
        let kind = MediaKind::from_code(kind)
            .ok_or_else(|| Error::Malformed(format!("unknown media kind {kind}")))?;
        let params = MediaParams::decode(kind, params)?;
        Ok(Header {
            major,
            minor,
            model: ModelId(model),
            params,
        })
    }
}
