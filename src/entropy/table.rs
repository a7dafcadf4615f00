//! [`CdfTable`]: one integer probability table with an escape symbol.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::{MAX_TABLE_LEN, PRECISION, TOTAL};
use crate::error::{Error, Result};

/// A discrete distribution over the integers `offset .. offset + n - 1` (`n = pmf.len() - 1`)
/// plus one final escape symbol for values outside that range. Every probability is `>= 1` and
/// they sum to exactly `1 << PRECISION`.
///
/// # Serialized form ([`write`](Self::write) / [`read`](Self::read))
///
/// All little-endian: `offset: i32`, `len: u16` (= `pmf.len()`, escape included,
/// `2 ..= MAX_TABLE_LEN`), then `len` × `pmf[i]: u32`. Size: `6 + 4 * len` bytes. Reading
/// validates everything [`new`](Self::new) validates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdfTable {
    offset: i32,
    pmf: Vec<u32>,
}

impl CdfTable {
    /// Validates and wraps a table: `pmf.len()` in `2 ..= MAX_TABLE_LEN`, every entry `>= 1`,
    /// sum exactly `1 << PRECISION`, and the last in-range value `offset + len - 2` fits in `i32`.
    /// Errors are [`Error::Model`].
    pub fn new(offset: i32, pmf: Vec<u32>) -> Result<Self> {
        let len = pmf.len();
        if !(2..=MAX_TABLE_LEN).contains(&len) {
            return Err(Error::Model(format!(
                "CDF table has {len} entries; expected 2..={MAX_TABLE_LEN} (escape included)"
            )));
        }
        if let Some(i) = pmf.iter().position(|&p| p == 0) {
            return Err(Error::Model(format!(
                "CDF table has a zero probability at entry {i}"
            )));
        }
        let sum: u64 = pmf.iter().map(|&p| u64::from(p)).sum();
        if sum != u64::from(TOTAL) {
            return Err(Error::Model(format!(
                "CDF table probabilities sum to {sum}, not 2^{PRECISION}"
            )));
        }
        if i64::from(offset) + (len as i64 - 2) > i64::from(i32::MAX) {
            return Err(Error::Model(format!(
                "CDF table range {offset} + {} overflows i32",
                len - 2
            )));
        }
        Ok(CdfTable { offset, pmf })
    }

    /// Quantizes real probabilities into a valid table. `probs` are any non-negative finite
    /// values (not necessarily normalized, at least one positive, `2 ..= MAX_TABLE_LEN` of
    /// them); the last one is the escape mass.
    ///
    /// The result has every entry `>= 1` and sums to exactly `1 << PRECISION`. It starts from
    /// `max(1, round(p_i * 2^PRECISION / sum))` and then removes (or adds) the missing units one
    /// at a time where that costs the least expected code length (`p_i · log(q_i / (q_i ∓ 1))`),
    /// ties broken by lowest index — greedy on a separable convex objective, so the result
    /// minimizes the cross-entropy among tables reachable that way, and it is deterministic
    /// for given inputs on a given platform (it uses `f64` `ln_1p`, so build tables once and
    /// store the integers).
    pub fn from_probabilities(offset: i32, probs: &[f64]) -> Result<Self> {
        let len = probs.len();
        if !(2..=MAX_TABLE_LEN).contains(&len) {
            return Err(Error::Model(format!(
                "{len} probabilities; expected 2..={MAX_TABLE_LEN} (escape included)"
            )));
        }
        if let Some(i) = probs.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
            return Err(Error::Model(format!(
                "probability {i} is {}; expected a finite non-negative value",
                probs[i]
            )));
        }
        let sum: f64 = probs.iter().sum();
        if !(sum > 0.0 && sum.is_finite()) {
            return Err(Error::Model(format!(
                "probabilities sum to {sum}; expected a positive finite sum"
            )));
        }
        let total = f64::from(TOTAL);
        // Targets in units of 2^-PRECISION.
        let target: Vec<f64> = probs.iter().map(|&p| p / sum * total).collect();
        let mut q: Vec<u32> = target.iter().map(|&t| (t.round() as u32).max(1)).collect();
        let have: i64 = q.iter().map(|&x| i64::from(x)).sum();
        let mut diff = have - i64::from(TOTAL);

        if diff > 0 {
            // Remove `diff` units, each where the expected code length grows least.
            let mut heap: BinaryHeap<Key> = q
                .iter()
                .enumerate()
                .filter(|(_, &qi)| qi > 1)
                .map(|(i, &qi)| Key::min_first(dec_cost(target[i], qi), i))
                .collect();
            while diff > 0 {
                // Always non-empty: sum(q) > 2^24 >= len means some q_i > 1.
                let Some(Key { index: i, .. }) = heap.pop() else {
                    return Err(Error::Model("cannot quantize probabilities".into()));
                };
                q[i] -= 1;
                diff -= 1;
                if q[i] > 1 {
                    heap.push(Key::min_first(dec_cost(target[i], q[i]), i));
                }
            }
        } else if diff < 0 {
            // Add units, each where the expected code length shrinks most.
            let mut heap: BinaryHeap<Key> = q
                .iter()
                .enumerate()
                .map(|(i, &qi)| Key::max_first(inc_gain(target[i], qi), i))
                .collect();
            while diff < 0 {
                let Some(Key { index: i, .. }) = heap.pop() else {
                    return Err(Error::Model("cannot quantize probabilities".into()));
                };
                q[i] += 1;
                diff += 1;
                heap.push(Key::max_first(inc_gain(target[i], q[i]), i));
            }
        }
        CdfTable::new(offset, q)
    }

    /// The first in-range value.
    pub fn offset(&self) -> i32 {
        self.offset
    }

    /// The probabilities (in units of `2^-PRECISION`), escape last.
    pub fn pmf(&self) -> &[u32] {
        &self.pmf
    }

    /// Number of symbols, escape included (so `len() - 1` values are in range).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.pmf.len()
    }

    /// Number of in-range values (`len() - 1`).
    pub(crate) fn in_range(&self) -> u32 {
        (self.pmf.len() - 1) as u32
    }

    /// Ideal code length in bits of `value` under this table (incl. escape bits as coded).
    pub fn cost_bits(&self, value: i32) -> f64 {
        let rel = i64::from(value) - i64::from(self.offset);
        let n = self.in_range();
        if (0..i64::from(n)).contains(&rel) {
            symbol_bits(self.pmf[rel as usize])
        } else {
            symbol_bits(self.pmf[n as usize])
                + escape::cost_bits(escape::zigzag(value, self.offset, n))
        }
    }

    /// Appends the serialized table (see the type's docs) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.reserve(6 + 4 * self.pmf.len());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&(self.pmf.len() as u16).to_le_bytes());
        for &p in &self.pmf {
            out.extend_from_slice(&p.to_le_bytes());
        }
    }

    /// Reads one serialized table from the front of `bytes` and advances `bytes` past it
    /// (`bytes` is left unchanged on error). Truncated or invalid data is [`Error::Model`].
    pub fn read(bytes: &mut &[u8]) -> Result<Self> {
        let b = *bytes;
        if b.len() < 6 {
            return Err(Error::Model("CDF table truncated (header)".into()));
        }
        let offset = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let len = usize::from(u16::from_le_bytes([b[4], b[5]]));
        if !(2..=MAX_TABLE_LEN).contains(&len) {
            return Err(Error::Model(format!(
                "CDF table has {len} entries; expected 2..={MAX_TABLE_LEN}"
            )));
        }
        let end = 6 + 4 * len;
        if b.len() < end {
            return Err(Error::Model(format!(
                "CDF table truncated: needs {end} bytes, {} left",
                b.len()
            )));
        }
        let pmf = b[6..end]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let table = CdfTable::new(offset, pmf)?;
        *bytes = &b[end..];
        Ok(table)
    }
}

/// `-log2(p / 2^PRECISION)`.
pub(crate) fn symbol_bits(p: u32) -> f64 {
    f64::from(PRECISION) - f64::from(p).log2()
}

/// Increase of `-Σ t·ln q` when `q` goes down by one.
fn dec_cost(t: f64, q: u32) -> f64 {
    t * (1.0 / f64::from(q - 1)).ln_1p()
}

/// Decrease of `-Σ t·ln q` when `q` goes up by one.
fn inc_gain(t: f64, q: u32) -> f64 {
    t * (1.0 / f64::from(q)).ln_1p()
}

/// Heap entry: pops the best `key` first (largest after the sign flip), lowest index on ties.
struct Key {
    key: f64,
    index: usize,
}

impl Key {
    fn min_first(cost: f64, index: usize) -> Self {
        Key { key: -cost, index }
    }
    fn max_first(gain: f64, index: usize) -> Self {
        Key { key: gain, index }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key
            .total_cmp(&other.key)
            .then_with(|| other.index.cmp(&self.index))
    }
}

/// The escape code (see the module docs), shared by the coder and `cost_bits`.
pub(crate) mod escape {
    use constriction::stream::model::{DefaultUniformModel, EncoderModel};

    use super::symbol_bits;

    /// Number of possible bit lengths of `z` (`0 ..= 33`).
    pub(crate) const NBITS_SYMBOLS: usize = 34;
    /// Largest chunk of raw bits coded with one uniform model.
    pub(crate) const CHUNK_BITS: u32 = 16;

    /// `z = 2 * d + below` for a value outside `offset .. offset + n`.
    #[inline]
    pub(crate) fn zigzag(value: i32, offset: i32, n: u32) -> u64 {
        let v = i64::from(value);
        let lo = i64::from(offset);
        if v < lo {
            ((lo - 1 - v) as u64) << 1 | 1
        } else {
            ((v - (lo + i64::from(n))) as u64) << 1
        }
    }

    /// Inverse of [`zigzag`]; `None` if the value does not fit in `i32`.
    #[inline]
    pub(crate) fn unzigzag(z: u64, offset: i32, n: u32) -> Option<i32> {
        let d = (z >> 1) as i64; // z < 2^33, so no overflow
        let lo = i64::from(offset);
        let v = if z & 1 == 1 {
            lo - 1 - d
        } else {
            lo + i64::from(n) + d
        };
        i32::try_from(v).ok()
    }

    /// Bit length of `z`.
    #[inline]
    pub(crate) fn nbits(z: u64) -> u32 {
        64 - z.leading_zeros()
    }

    /// The model for `nbits`.
    pub(crate) fn nbits_model() -> DefaultUniformModel {
        DefaultUniformModel::new(NBITS_SYMBOLS)
    }

    /// Bits of the escape code of `z` as coded (excluding the escape symbol itself).
    pub(crate) fn cost_bits(z: u64) -> f64 {
        let nb = nbits(z);
        let (_, p) = nbits_model()
            .left_cumulative_and_probability(nb as usize)
            .expect("nbits <= 33");
        symbol_bits(p.get()) + f64::from(nb.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(t: &CdfTable) -> u64 {
        t.pmf().iter().map(|&p| u64::from(p)).sum()
    }

    #[test]
    fn new_validates() {
        let ok = CdfTable::new(-3, vec![TOTAL - 1, 1]).unwrap();
        assert_eq!((ok.offset(), ok.len()), (-3, 2));
        assert!(CdfTable::new(0, vec![TOTAL]).is_err()); // too short
        assert!(CdfTable::new(0, vec![TOTAL, 0]).is_err()); // zero
        assert!(CdfTable::new(0, vec![TOTAL - 2, 1]).is_err()); // sum
        assert!(CdfTable::new(0, vec![TOTAL, 1]).is_err()); // sum
        assert!(CdfTable::new(0, vec![1; MAX_TABLE_LEN + 1]).is_err()); // length
        assert!(CdfTable::new(i32::MAX, vec![TOTAL - 2, 1, 1]).is_err()); // offset + 1 overflows
        assert!(CdfTable::new(i32::MAX, vec![TOTAL - 1, 1]).is_ok());
    }

    #[test]
    fn from_probabilities_basic() {
        let t = CdfTable::from_probabilities(5, &[1.0, 1.0, 2.0, 0.0]).unwrap();
        assert_eq!(sum(&t), u64::from(TOTAL));
        assert_eq!(t.pmf()[3], 1);
        assert!(t.pmf().iter().all(|&p| p >= 1));
        // Zeros everywhere but one entry.
        let mut probs = vec![0.0; MAX_TABLE_LEN];
        probs[17] = 3.0;
        let t = CdfTable::from_probabilities(0, &probs).unwrap();
        assert_eq!(t.pmf()[17], TOTAL - (MAX_TABLE_LEN as u32 - 1));
        assert_eq!(sum(&t), u64::from(TOTAL));
        // Invalid inputs.
        assert!(CdfTable::from_probabilities(0, &[1.0]).is_err());
        assert!(CdfTable::from_probabilities(0, &[0.0, 0.0]).is_err());
        assert!(CdfTable::from_probabilities(0, &[1.0, -1.0]).is_err());
        assert!(CdfTable::from_probabilities(0, &[1.0, f64::NAN]).is_err());
        assert!(CdfTable::from_probabilities(0, &[1.0, f64::INFINITY]).is_err());
        assert!(CdfTable::from_probabilities(0, &[f64::MAX, f64::MAX]).is_err());
    }

    #[test]
    fn cost_bits_values() {
        let t = CdfTable::new(0, vec![TOTAL / 2, TOTAL / 4, TOTAL / 4]).unwrap();
        assert_eq!(t.cost_bits(0), 1.0);
        assert_eq!(t.cost_bits(1), 2.0);
        // Escape of 2: z = 0, nbits = 0 -> 2 + log2(34)-ish bits.
        let e = t.cost_bits(2);
        assert!((e - (2.0 + 34f64.log2())).abs() < 1e-3, "{e}");
        // Escape of -1: z = 1, nbits = 1.
        assert!((t.cost_bits(-1) - e).abs() < 1e-3);
        // Escape of i32::MIN: d = 2^31 - 1, z = 2^32 - 1, nbits = 32 -> 31 raw bits.
        assert!((t.cost_bits(i32::MIN) - (e + 31.0)).abs() < 1e-3);
        // Escape of i32::MAX from a table at i32::MIN: d = 2^32 - 2 - n, nbits = 33.
        let low = CdfTable::new(i32::MIN, vec![TOTAL / 2, TOTAL / 4, TOTAL / 4]).unwrap();
        assert!((low.cost_bits(i32::MAX) - (e + 32.0)).abs() < 1e-3);
    }

    #[test]
    fn zigzag_round_trip() {
        for &(offset, n) in &[
            (0, 1u32),
            (-5, 11),
            (i32::MIN, 4095),
            (i32::MAX - 4094, 4095),
            (i32::MAX, 1),
        ] {
            for &v in &[
                i32::MIN,
                i32::MIN + 1,
                -1,
                0,
                1,
                i32::MAX - 1,
                i32::MAX,
                offset.wrapping_sub(1),
            ] {
                let rel = i64::from(v) - i64::from(offset);
                if (0..i64::from(n)).contains(&rel) {
                    continue;
                }
                let z = escape::zigzag(v, offset, n);
                assert!(escape::nbits(z) <= 33);
                assert_eq!(escape::unzigzag(z, offset, n), Some(v));
            }
        }
    }

    #[test]
    fn read_write_round_trip_and_errors() {
        let t = CdfTable::from_probabilities(-7, &[0.1, 0.5, 0.3, 0.1, 1e-6]).unwrap();
        let mut bytes = Vec::new();
        t.write(&mut bytes);
        bytes.push(0xAB);
        let mut s = &bytes[..];
        assert_eq!(CdfTable::read(&mut s).unwrap(), t);
        assert_eq!(s, &[0xAB]);
        for cut in 0..bytes.len() - 1 {
            let mut s = &bytes[..cut];
            assert!(CdfTable::read(&mut s).is_err());
            assert_eq!(s.len(), cut);
        }
        let mut bad = bytes.clone();
        bad[8] ^= 1; // change a probability -> wrong sum
        assert!(CdfTable::read(&mut &bad[..]).is_err());
    }
}
