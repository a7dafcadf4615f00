//! The `.nmc` container: header, chunks, CRCs, version rules and limits.
//!
//! `format-spec/FORMAT.md` defines every byte; this module is its reference implementation.
//! Parsing never panics and never allocates more than the input's length justifies.

mod chunk;
mod header;
mod ids;
mod limits;
mod params;
mod reader;
#[cfg(test)]
mod tests;

pub use chunk::{Chunk, ChunkInfo, KnownChunk, CHUNK_OVERHEAD, KNOWN_CHUNKS};
pub use header::Header;
pub use ids::{FourCc, MediaKind, ModelId};
pub use limits::*;
pub use params::{AudioParams, Chroma, ImageParams, MediaParams, VideoParams};

use chunk::{read_chunk, write_chunk, ChunkRules};
pub(crate) use reader::Reader;

use crate::error::{Error, Result};

/// The first four bytes of every `.nmc` file.
pub const MAGIC: [u8; 4] = [0x89, b'N', b'M', b'C'];
/// The format major version this code reads and writes.
pub const MAJOR: u8 = 1;
/// The format minor version this code writes.
pub const MINOR: u8 = 0;

/// A whole `.nmc` file: its header and its chunks in file order, without the final `NEND`.
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    /// The header.
    pub header: Header,
    /// The chunks, in file order; `NEND` is not listed.
    pub chunks: Vec<Chunk>,
}

/// Where the parts of a parsed file lie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Bytes of the header, its CRC included; the first chunk starts here.
    pub header_len: u64,
    /// Every chunk in file order, the final `NEND` included.
    pub chunks: Vec<ChunkInfo>,
}

impl Container {
    /// An empty container of the current version ([`MAJOR`].[`MINOR`]).
    pub fn new(model: ModelId, params: MediaParams) -> Self {
        Container {
            header: Header {
                major: MAJOR,
                minor: MINOR,
                model,
                params,
            },
            chunks: Vec::new(),
        }
    }

    /// Appends a chunk. Nothing is checked here; [`Container::to_bytes`] checks everything.
    pub fn push(&mut self, fourcc: FourCc, required: bool, payload: Vec<u8>) {
        self.chunks.push(Chunk {
            fourcc,
            required,
            payload,
        });
    }

    /// The first chunk of type `fourcc`.
    pub fn chunk(&self, fourcc: FourCc) -> Option<&Chunk> {
        self.chunks.iter().find(|c| c.fourcc == fourcc)
    }

    /// The file bytes, `NEND` appended. Fails on anything a reader would refuse: a version
    /// other than [`MAJOR`].[`MINOR`], parameters out of limits, an invalid chunk list
    /// (see [`Container::parse`]), a `NEND` in `chunks`, or too many or too large chunks.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.chunks.len() > MAX_CHUNKS {
            return Err(Error::LimitExceeded {
                what: "chunk count".into(),
                value: self.chunks.len() as u64,
                limit: MAX_CHUNKS as u64,
            });
        }
        let mut rules = ChunkRules::default();
        for c in &self.chunks {
            if c.fourcc == FourCc::NEND {
                return Err(Error::Malformed(
                    "chunk 'NEND' may only end the file".into(),
                ));
            }
            rules.check(c.fourcc, c.required)?;
        }
        let payload_bytes: usize = self.chunks.iter().map(|c| c.payload.len()).sum();
        let chunk_bytes = (self.chunks.len() + 1) * CHUNK_OVERHEAD as usize;
        let mut out = Vec::with_capacity(64 + chunk_bytes + payload_bytes);
        self.header.write(&mut out)?;
        for c in &self.chunks {
            write_chunk(&mut out, c.fourcc, c.required, &c.payload)?;
        }
        write_chunk(&mut out, FourCc::NEND, true, &[])?;
        Ok(out)
    }

    /// Parses and validates a whole file. Errors (FORMAT.md, "Reading a file", gives the order):
    /// [`Error::BadMagic`], [`Error::UnsupportedVersion`] (any major but [`MAJOR`]),
    /// [`Error::Truncated`], [`Error::CrcMismatch`], [`Error::LimitExceeded`],
    /// [`Error::UnknownRequiredChunk`], [`Error::Malformed`] — see FORMAT.md, "Reading".
    /// Unknown optional chunks are kept.
    pub fn parse(bytes: &[u8]) -> Result<Container> {
        Self::parse_with_layout(bytes).map(|(container, _)| container)
    }

    /// [`Container::parse`], also returning where each part lies in `bytes`.
    pub fn parse_with_layout(bytes: &[u8]) -> Result<(Container, Layout)> {
        let mut r = Reader::new(bytes);
        let header = Header::read(&mut r)?;
        let header_len = r.pos() as u64;
        let mut chunks = Vec::new();
        let mut infos = Vec::new();
        let mut rules = ChunkRules::default();
        loop {
            if r.remaining() == 0 {
                return Err(Error::Truncated(format!(
                    "the file ends without the 'NEND' chunk (after {} chunks)",
                    infos.len()
                )));
            }
            let (info, payload) = read_chunk(&mut r, infos.len() + 1)?;
            rules.check(info.fourcc, info.required)?;
            if info.fourcc == FourCc::NEND {
                if info.length != 0 {
                    return Err(Error::Malformed(format!(
                        "chunk 'NEND' has a {}-byte payload; it must be empty",
                        info.length
                    )));
                }
                if r.remaining() != 0 {
                    return Err(Error::Malformed(format!(
                        "trailing data after the 'NEND' chunk ({} bytes)",
                        r.remaining()
                    )));
                }
                infos.push(info);
                break;
            }
            if chunks.len() == MAX_CHUNKS {
                return Err(Error::LimitExceeded {
                    what: "chunk count".into(),
                    value: MAX_CHUNKS as u64 + 1,
                    limit: MAX_CHUNKS as u64,
                });
            }
            chunks.push(Chunk {
                fourcc: info.fourcc,
                required: info.required,
                payload: payload.to_vec(),
            });
            infos.push(info);
        }
        Ok((
            Container { header, chunks },
            Layout {
                header_len,
                chunks: infos,
            },
        ))
    }
}

/// The payload of the first chunk of type `fourcc`, or a `Malformed` error naming it.
pub fn find_chunk(chunks: &[Chunk], fourcc: FourCc) -> Result<&[u8]> {
    chunks
        .iter()
        .find(|c| c.fourcc == fourcc)
        .map(|c| c.payload.as_slice())
        .ok_or_else(|| Error::Malformed(format!("missing chunk '{fourcc}'")))
}
