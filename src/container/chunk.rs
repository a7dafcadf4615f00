//! Chunks: type, flags, length, payload, CRC; the chunk types v1 defines and the rules
//! that every chunk list must follow.

use super::ids::FourCc;
use super::limits::MAX_CHUNK_PAYLOAD;
use super::reader::Reader;
use crate::error::{Error, Result};

/// A chunk type defined by this version of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownChunk {
    /// Its type.
    pub fourcc: FourCc,
    /// The value its required bit must have.
    pub required: bool,
    /// What it holds, for people.
    pub description: &'static str,
}

/// The chunk types of format v1.0. Each may appear at most once in a file.
pub const KNOWN_CHUNKS: [KnownChunk; 7] = [
    KnownChunk {
        fourcc: FourCc::NEND,
        required: true,
        description: "end of file",
    },
    KnownChunk {
        fourcc: FourCc::YLAT,
        required: true,
        description: "image latent (range-coded)",
    },
    KnownChunk {
        fourcc: FourCc::ZLAT,
        required: true,
        description: "image hyper-latent (range-coded)",
    },
    KnownChunk {
        fourcc: FourCc::QLTY,
        required: true,
        description: "quality of a variable-rate image",
    },
    KnownChunk {
        fourcc: FourCc::VNET,
        required: true,
        description: "video network shape",
    },
    KnownChunk {
        fourcc: FourCc::VGOP,
        required: true,
        description: "video groups of frames (range-coded latents and weights)",
    },
    KnownChunk {
        fourcc: FourCc::META,
        required: false,
        description: "metadata (UTF-8 JSON)",
    },
];

/// Bytes a chunk takes on disk besides its payload: type 4, flags 1, length 4, CRC 4.
pub const CHUNK_OVERHEAD: u64 = 13;

impl FourCc {
    /// The definition of this type, if v1.0 defines it.
    pub fn known(self) -> Option<KnownChunk> {
        KNOWN_CHUNKS.into_iter().find(|k| k.fourcc == self)
    }
}

/// One chunk of a container (never `NEND`, which the container adds and strips itself).
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// Its type.
    pub fourcc: FourCc,
    /// Whether a decoder that does not know the type must refuse the file.
    pub required: bool,
    /// Its payload bytes.
    pub payload: Vec<u8>,
}

/// Where a chunk lies in a file, for `nmc info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Its type.
    pub fourcc: FourCc,
    /// Its required bit.
    pub required: bool,
    /// Offset of its first byte (the type) from the start of the file.
    pub offset: u64,
    /// Its payload length.
    pub length: u32,
}

impl ChunkInfo {
    /// Bytes the chunk takes in the file, overhead included.
    pub fn size_on_disk(&self) -> u64 {
        CHUNK_OVERHEAD + u64::from(self.length)
    }
}

/// The rules every chunk of a list must follow: a printable type; known types at most once
/// and with their defined required bit; no unknown required type.
#[derive(Default)]
pub(crate) struct ChunkRules {
    seen: Vec<FourCc>,
}

impl ChunkRules {
    /// Checks the next chunk of the list.
    pub fn check(&mut self, fourcc: FourCc, required: bool) -> Result<()> {
        if !fourcc.is_valid() {
            return Err(Error::Malformed(format!(
                "chunk type '{fourcc}' is not printable ASCII"
            )));
        }
        match fourcc.known() {
            Some(known) => {
                if known.required != required {
                    return Err(Error::Malformed(format!(
                        "chunk '{fourcc}' must have its required bit {}",
                        if known.required { "set" } else { "clear" }
                    )));
                }
                if self.seen.contains(&fourcc) {
                    return Err(Error::Malformed(format!("chunk '{fourcc}' appears twice")));
                }
                self.seen.push(fourcc);
            }
            None if required => return Err(Error::UnknownRequiredChunk(fourcc.to_string())),
            None => {}
        }
        Ok(())
    }
}

/// Appends a chunk's bytes to `out`.
pub(crate) fn write_chunk(
    out: &mut Vec<u8>,
    fourcc: FourCc,
    required: bool,
    payload: &[u8],
) -> Result<()> {
    let length = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n <= MAX_CHUNK_PAYLOAD)
        .ok_or_else(|| Error::LimitExceeded {
            what: format!("chunk '{fourcc}' payload length"),
            value: payload.len() as u64,
            limit: MAX_CHUNK_PAYLOAD.into(),
        })?;
    let start = out.len();
    out.extend_from_slice(&fourcc.0);
    out.push(u8::from(required));
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Reads the chunk at the cursor (the `number`-th of the file, from 1) and checks its length
/// limit, CRC, type bytes and flags. Returns where it lies and its payload.
pub(crate) fn read_chunk<'a>(r: &mut Reader<'a>, number: usize) -> Result<(ChunkInfo, &'a [u8])> {
    let start = r.pos();
    let mut type_bytes = [0u8; 4];
    type_bytes.copy_from_slice(r.take(4, &format!("chunk #{number} type"))?);
    let fourcc = FourCc(type_bytes);
    let name = format!("chunk #{number} '{fourcc}' at offset {start}");
    let flags = r.u8(&format!("{name}: flags"))?;
    let length = r.u32(&format!("{name}: length"))?;
    if length > MAX_CHUNK_PAYLOAD {
        return Err(Error::LimitExceeded {
            what: format!("{name}: payload length"),
            value: length.into(),
            limit: MAX_CHUNK_PAYLOAD.into(),
        });
    }
    let payload = r.take(length as usize, &format!("{name}: payload"))?;
    let computed = crc32fast::hash(r.since(start));
    let stored = r.u32(&format!("{name}: CRC-32"))?;
    if stored != computed {
        return Err(Error::CrcMismatch(format!(
            "{name} (stored {stored:08x}, computed {computed:08x})"
        )));
    }
    if flags & !1 != 0 {
        return Err(Error::Malformed(format!(
            "{name}: flags are 0x{flags:02x}; only bit 0 is defined"
        )));
    }
    let info = ChunkInfo {
        fourcc,
        required: flags & 1 == 1,
        offset: start as u64,
        length,
    };
    Ok((info, payload))
}
