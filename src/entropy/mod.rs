//! Entropy coding: range coding through `constriction` with **integer** CDF tables.
//!
//! Everything that decides which probabilities the range coder uses is an integer here
//! (DESIGN.md, principle 1): a [`CdfTable`] is a list of `u32` probabilities that sum to exactly
//! `1 << PRECISION`, and coding goes through constriction's
//! `ContiguousCategoricalEntropyModel::from_nonzero_fixed_point_probabilities` and integer
//! `UniformModel`s only — never `LeakyQuantizer` nor `from_floating_point_*`. Floats appear
//! only where tables are *built* ([`CdfTable::from_probabilities`], [`gaussian_tables`]), which
//! happens at model-build time; the resulting integers are stored in the model file
//! ([`CdfTable::write`], [`TableSet::write`]) and decoding uses the stored integers only.
//! ([`CdfTable::cost_bits`] and [`ideal_bits`] also use floats, but only to *report* sizes.)
//!
//! # Symbols and escapes
//!
//! A table with `pmf.len() == n + 1` covers the integers `offset .. offset + n` (one symbol
//! each) plus a final *escape* symbol. A value outside that range is coded as the escape
//! symbol followed by an escape code, all with integer uniform models:
//!
//! 1. `d` = distance past the range (`offset - 1 - v` below it, `v - (offset + n)` above it,
//!    so `d >= 0`) and `z = 2 * d + (1 if below else 0)` (`z < 2^33`);
//! 2. `nbits` = bit length of `z` (`0 ..= 33`), uniform over 34 symbols;
//! 3. the `nbits - 1` bits of `z` below its leading one (if any), least significant chunk
//!    first, in chunks of at most 16 bits, each uniform over `2^k` symbols.
//!
//! Any `i32` can therefore be coded with any table.
//!
//! # Byte stream
//!
//! [`encode`] runs one `constriction` range coder (`DefaultRangeEncoder`: `u32` words, `u64`
//! state, 24-bit probabilities) over all symbols in order and writes its words little-endian,
//! so the output length is a multiple of 4 (0 bytes for 0 symbols). [`decode`] is its inverse;
//! the number of symbols and the table of each comes from the caller (`indexes`). The decoder
//! runs constriction's `DefaultRangeDecoder` with a decoder model of our own over the same
//! integer CDF (a 256-bucket index in front of the CDF: ~1.7× faster than constriction's
//! binary search, whose `ContiguousLookupDecoderModel` would need 64 MiB per table at 24-bit
//! precision); a test checks it agrees with constriction's model on every quantile.

mod coder;
mod gaussian;
mod table;

pub use coder::{decode, decode_indexes, encode, encode_pairs, ideal_bits, SymbolReader, TableSet};
pub use gaussian::{gaussian_scales, gaussian_tables, GAUSSIAN_TAIL_MASS};
pub use table::CdfTable;

/// Probability precision of all tables: probabilities are integers summing to `1 << PRECISION`.
pub const PRECISION: u32 = 24;
/// Largest table (number of symbols incl. escape).
pub const MAX_TABLE_LEN: usize = 4096;
/// Largest number of tables in a [`TableSet`].
pub const MAX_TABLES: usize = 65536;

/// `PRECISION` as constriction's const-generic parameter.
pub(crate) const PREC: usize = PRECISION as usize;
/// `1 << PRECISION`.
pub(crate) const TOTAL: u32 = 1 << PRECISION;

/// Table index `offset + c` of every element of channel `c`, in channel-major order.
pub fn channel_indexes(channels: usize, plane: usize, offset: u32) -> Vec<u32> {
    (0..channels as u32).flat_map(|c| std::iter::repeat_n(offset + c, plane)).collect()
}
