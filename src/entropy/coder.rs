//! [`TableSet`] and the range coder: [`encode`], [`decode`], [`ideal_bits`].

use std::convert::Infallible;
use std::fmt;
use std::num::NonZeroU32;

use constriction::stream::model::{
    DecoderModel, DefaultContiguousCategoricalEntropyModel, DefaultUniformModel, EntropyModel,
};
use constriction::stream::queue::{DefaultRangeDecoder, DefaultRangeEncoder};
use constriction::stream::{Decode, Encode};

use super::table::{escape, CdfTable};
use super::{MAX_TABLES, PREC, PRECISION};
use crate::error::{Error, Result};

/// One table, ready for coding.
#[derive(Clone)]
struct Coder {
    offset: i32,
    /// Number of in-range values; the escape symbol is `n`.
    n: u32,
    /// Encoder model (constriction's, from the integer pmf).
    model: DefaultContiguousCategoricalEntropyModel,
    /// Decoder model over the same CDF.
    decoder: IndexedCdf,
}

/// The decoder side of a table: constriction's `DecoderModel` over the same integer CDF as
/// the encoder's `ContiguousCategoricalEntropyModel`, plus a 256-bucket index on the quantile's
/// top 8 bits so that finding the symbol is a lookup and a short scan instead of a binary
/// search over the whole table. (constriction's own `ContiguousLookupDecoderModel` needs
/// `2^PRECISION` entries per table, 64 MiB at 24 bits, so it is no option here.) It returns
/// exactly what `ContiguousCategoricalEntropyModel::quantile_function` returns (tested).
#[derive(Clone)]
struct IndexedCdf {
    /// `cdf[s]` = left cumulative of symbol `s`; `cdf[len] = 1 << PRECISION`.
    cdf: Vec<u32>,
    /// `bucket[b]` = the symbol whose interval contains `b << 16` (`b < 256`);
    /// `bucket[256]` = the last symbol.
    bucket: Vec<u16>,
}

impl IndexedCdf {
    fn new(pmf: &[u32]) -> Self {
        let mut cdf = Vec::with_capacity(pmf.len() + 1);
        let mut acc = 0u32;
        cdf.push(0);
        for &p in pmf {
            acc += p;
            cdf.push(acc);
        }
        let mut bucket = Vec::with_capacity(BUCKETS + 1);
        let mut s = 0usize;
        for b in 0..BUCKETS as u32 {
            let q = b << BUCKET_SHIFT;
            while cdf[s + 1] <= q {
                s += 1;
            }
            bucket.push(s as u16);
        }
        bucket.push((pmf.len() - 1) as u16);
        IndexedCdf { cdf, bucket }
    }
}

const BUCKET_SHIFT: u32 = PRECISION - 8;
const BUCKETS: usize = 1 << (PRECISION - BUCKET_SHIFT);

impl EntropyModel<PREC> for &IndexedCdf {
    type Symbol = usize;
    type Probability = u32;
}

impl DecoderModel<PREC> for &IndexedCdf {
    #[inline(always)]
    fn quantile_function(&self, quantile: u32) -> (usize, u32, NonZeroU32) {
        // The range decoder only passes quantiles < 1 << PRECISION; the `min` keeps any other
        // value in bounds anyway.
        let b = ((quantile >> BUCKET_SHIFT) as usize).min(BUCKETS - 1);
        let (lo, hi) = (self.bucket[b] as usize, self.bucket[b + 1] as usize);
        // The symbol is in lo..=hi: cdf[lo] <= quantile < cdf[hi + 1].
        let s = if hi - lo <= 8 {
            let mut s = lo;
            while s < hi && self.cdf[s + 1] <= quantile {
                s += 1;
            }
            s
        } else {
            lo + self.cdf[lo + 1..=hi].partition_point(|&c| c <= quantile)
        };
        let left = self.cdf[s];
        // Probabilities are >= 1 (validated by CdfTable::new), so MIN is never used.
        let p = NonZeroU32::new(self.cdf[s + 1] - left).unwrap_or(NonZeroU32::MIN);
        (s, left, p)
    }
}

/// A set of tables ready for coding (constriction models prebuilt once).
///
/// # Serialized form ([`write`](Self::write) / [`read`](Self::read))
///
/// Little-endian `count: u32` (at most [`MAX_TABLES`]), then `count` tables in
/// [`CdfTable`]'s serialized form.
#[derive(Clone)]
pub struct TableSet {
    tables: Vec<CdfTable>,
    coders: Vec<Coder>,
}

impl fmt::Debug for TableSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableSet")
            .field("tables", &self.tables)
            .finish()
    }
}

impl PartialEq for TableSet {
    fn eq(&self, other: &Self) -> bool {
        self.tables == other.tables
    }
}
impl Eq for TableSet {}

impl TableSet {
    /// Builds the coding models of `tables` (at most [`MAX_TABLES`], else [`Error::Model`]).
    pub fn new(tables: Vec<CdfTable>) -> Result<Self> {
        if tables.len() > MAX_TABLES {
            return Err(Error::Model(format!(
                "{} CDF tables; at most {MAX_TABLES} are allowed",
                tables.len()
            )));
        }
        let coders = tables
            .iter()
            .map(|t| {
                let model = DefaultContiguousCategoricalEntropyModel::from_nonzero_fixed_point_probabilities(
                    t.pmf(),
                    false,
                )
                .map_err(|()| Error::Model("CDF table rejected by the range coder".into()))?;
                Ok(Coder { offset: t.offset(), n: t.in_range(), model, decoder: IndexedCdf::new(t.pmf()) })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TableSet { tables, coders })
    }

    /// The tables, in index order.
    pub fn tables(&self) -> &[CdfTable] {
        &self.tables
    }

    /// Number of tables.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Appends the serialized set (see the type's docs) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.tables.len() as u32).to_le_bytes());
        for t in &self.tables {
            t.write(out);
        }
    }

    /// Reads a serialized set from the front of `bytes` and advances `bytes` past it (`bytes`
    /// is left unchanged on error). Truncated or invalid data is [`Error::Model`].
    pub fn read(bytes: &mut &[u8]) -> Result<Self> {
        let mut b = *bytes;
        if b.len() < 4 {
            return Err(Error::Model("CDF table set truncated (count)".into()));
        }
        let count = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        b = &b[4..];
        if count > MAX_TABLES {
            return Err(Error::Model(format!(
                "{count} CDF tables; at most {MAX_TABLES} are allowed"
            )));
        }
        // Smallest table: 6 header bytes + 2 entries.
        if count * 14 > b.len() {
            return Err(Error::Model(format!(
                "CDF table set truncated: {count} tables cannot fit in {} bytes",
                b.len()
            )));
        }
        let mut tables = Vec::with_capacity(count);
        for _ in 0..count {
            tables.push(CdfTable::read(&mut b)?);
        }
        let set = TableSet::new(tables)?;
        *bytes = b;
        Ok(set)
    }

    #[inline]
    fn coder(&self, index: u32) -> Result<&Coder> {
        self.coders.get(index as usize).ok_or_else(|| {
            Error::Model(format!(
                "table index {index} out of range ({} tables)",
                self.coders.len()
            ))
        })
    }
}

fn check_lengths(values: usize, indexes: usize) -> Result<()> {
    if values != indexes {
        return Err(Error::InvalidArgument(format!(
            "{values} values but {indexes} table indexes"
        )));
    }
    Ok(())
}

/// The uniform models of the escape code: `[nbits, 1 bit, 2 bits, ..., 16 bits]`.
/// Number of escape-code models: the bit-length model, then one per chunk width.
const ESCAPE_MODELS: usize = escape::CHUNK_BITS as usize + 1;

fn escape_models() -> [DefaultUniformModel; ESCAPE_MODELS] {
    std::array::from_fn(|k| {
        if k == 0 {
            escape::nbits_model()
        } else {
            DefaultUniformModel::new(1 << k)
        }
    })
}

fn coder_bug<E: fmt::Debug>(e: E) -> Error {
    // Cannot happen with validated tables and an in-memory backend.
    Error::Model(format!("range encoder failed: {e:?}"))
}

/// Range-codes `values[i]` with table `tables[indexes[i]]`. Values outside a table's range are
/// coded as its escape symbol followed by the escape code (module docs). Errors:
/// [`Error::InvalidArgument`] if the slices differ in length, [`Error::Model`] if an index is
/// out of range.
pub fn encode(values: &[i32], indexes: &[u32], tables: &TableSet) -> Result<Vec<u8>> {
    check_lengths(values.len(), indexes.len())?;
    encode_pairs(values.iter().copied().zip(indexes.iter().copied()), tables)
}

/// [`encode`] of `(value, table index)` pairs given by an iterator (no index array needed).
pub fn encode_pairs(pairs: impl IntoIterator<Item = (i32, u32)>, tables: &TableSet) -> Result<Vec<u8>> {
    let pairs = pairs.into_iter();
    let esc = escape_models();
    let mut enc = DefaultRangeEncoder::with_write_backend(Vec::with_capacity(pairs.size_hint().0 / 8 + 4));
    for (value, index) in pairs {
        let c = tables.coder(index)?;
        let rel = i64::from(value) - i64::from(c.offset);
        if (rel as u64) < u64::from(c.n) {
            enc.encode_symbol(rel as usize, c.model.as_view())
                .map_err(coder_bug)?;
        } else {
            enc.encode_symbol(c.n as usize, c.model.as_view())
                .map_err(coder_bug)?;
            let z = escape::zigzag(value, c.offset, c.n);
            let nb = escape::nbits(z);
            enc.encode_symbol(nb as usize, esc[0]).map_err(coder_bug)?;
            let mut rest = nb.saturating_sub(1);
            let mut bits = z;
            while rest > 0 {
                let k = rest.min(escape::CHUNK_BITS);
                let chunk = (bits & ((1u64 << k) - 1)) as usize;
                enc.encode_symbol(chunk, esc[k as usize])
                    .map_err(coder_bug)?;
                bits >>= k;
                rest -= k;
            }
        }
    }
    let words: Vec<u32> = enc.into_compressed().map_err(|e: Infallible| match e {})?;
    let mut out = Vec::with_capacity(words.len() * 4);
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
    Ok(out)
}

fn malformed<E: fmt::Debug>(e: E) -> Error {
    Error::Malformed(format!("range decoder: {e:?}"))
}

/// Inverse of [`encode`]: decodes `indexes.len()` values. Corrupt or truncated data never
/// panics and takes bounded work (at most 4 range-coder steps per value): it gives
/// [`Error::Malformed`] where the data is detectably wrong (length not a multiple of 4, an
/// escaped value outside `i32`, the range coder reports invalid data) and otherwise garbage
/// values (inherent to range coding). An index out of range is [`Error::Model`].
pub fn decode(data: &[u8], indexes: &[u32], tables: &TableSet) -> Result<Vec<i32>> {
    decode_indexes(data, indexes.iter().copied(), tables)
}

/// [`decode`] with the table indexes given by an iterator (one value decoded per index).
pub fn decode_indexes(data: &[u8], indexes: impl IntoIterator<Item = u32>, tables: &TableSet) -> Result<Vec<i32>> {
    let indexes = indexes.into_iter();
    let mut reader = SymbolReader::new(data, tables)?;
    let mut out = Vec::with_capacity(indexes.size_hint().0);
    for index in indexes {
        out.push(reader.read(index)?);
    }
    Ok(out)
}

/// Decodes the output of [`encode`] one value at a time, for models whose next table depends
/// on the values decoded so far (autoregressive context models). Same errors as [`decode`].
pub struct SymbolReader<'a> {
    dec: DefaultRangeDecoder,
    tables: &'a TableSet,
    esc: [DefaultUniformModel; ESCAPE_MODELS],
}

impl<'a> SymbolReader<'a> {
    /// A reader of the range-coded `data`; [`Error::Malformed`] if its length is not a
    /// multiple of 4.
    pub fn new(data: &[u8], tables: &'a TableSet) -> Result<Self> {
        if !data.len().is_multiple_of(4) {
            return Err(Error::Malformed(format!(
                "range-coded data is {} bytes, not a multiple of 4",
                data.len()
            )));
        }
        let words: Vec<u32> = data
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let dec = match DefaultRangeDecoder::from_compressed(words) {
            Ok(d) => d,
            Err(e) => match e {},
        };
        Ok(Self { dec, tables, esc: escape_models() })
    }

    /// The next value, coded with table `index`.
    pub fn read(&mut self, index: u32) -> Result<i32> {
        let c = self.tables.coder(index)?;
        let dec = &mut self.dec;
        let sym = Decode::<PREC>::decode_symbol(dec, &c.decoder).map_err(malformed)? as u32;
        if sym < c.n {
            // offset + sym <= i32::MAX is checked by CdfTable::new.
            return Ok(c.offset.wrapping_add(sym as i32));
        }
        let nb = Decode::<PREC>::decode_symbol(dec, self.esc[0]).map_err(malformed)? as u32;
        let mut z: u64 = if nb == 0 { 0 } else { 1 << (nb - 1) };
        let mut rest = nb.saturating_sub(1);
        let mut shift = 0;
        while rest > 0 {
            let k = rest.min(escape::CHUNK_BITS);
            let chunk = Decode::<PREC>::decode_symbol(dec, self.esc[k as usize]).map_err(malformed)? as u64;
            z |= chunk << shift;
            shift += k;
            rest -= k;
        }
        escape::unzigzag(z, c.offset, c.n)
            .ok_or_else(|| Error::Malformed("range-coded escape value does not fit in i32".into()))
    }
}

/// Sum over `i` of `-log2 p(values[i])` under `tables[indexes[i]]`: the ideal size in bits,
/// escapes included as coded. Same errors as [`encode`].
pub fn ideal_bits(values: &[i32], indexes: &[u32], tables: &TableSet) -> Result<f64> {
    check_lengths(values.len(), indexes.len())?;
    let mut bits = 0.0;
    for (&value, &index) in values.iter().zip(indexes) {
        tables.coder(index)?;
        bits += tables.tables[index as usize].cost_bits(value);
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> TableSet {
        TableSet::new(vec![
            CdfTable::from_probabilities(-2, &[0.1, 0.2, 0.4, 0.2, 0.1, 0.001]).unwrap(),
            CdfTable::from_probabilities(100, &[0.5, 0.5]).unwrap(),
            CdfTable::from_probabilities(i32::MIN, &[0.9, 0.05, 0.05]).unwrap(),
        ])
        .unwrap()
    }

    #[test]
    fn round_trip_with_escapes() {
        let tables = set();
        let values = [
            0,
            1,
            -2,
            2,
            3,
            -3,
            100,
            99,
            101,
            i32::MIN,
            i32::MAX,
            i32::MIN + 1,
            0,
            12345678,
        ];
        let indexes = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 1, 0];
        let data = encode(&values, &indexes, &tables).unwrap();
        assert_eq!(data.len() % 4, 0);
        assert_eq!(decode(&data, &indexes, &tables).unwrap(), values);
        let bits = ideal_bits(&values, &indexes, &tables).unwrap();
        assert!(bits > 0.0 && (data.len() * 8) as f64 >= bits - 1.0);
    }

    /// The decoder model agrees with constriction's categorical model on every quantile.
    #[test]
    fn indexed_cdf_matches_constriction() {
        let mut skewed = vec![1.0; 4096];
        skewed[3000] = 1e9;
        skewed[10] = 1e8;
        let tables = [
            CdfTable::from_probabilities(0, &[1.0, 1.0]).unwrap(),
            CdfTable::from_probabilities(0, &[1.0, 1e-12]).unwrap(),
            CdfTable::from_probabilities(0, &vec![1.0; 4096]).unwrap(),
            CdfTable::from_probabilities(0, &skewed).unwrap(),
            super::super::gaussian::gaussian_table(7.5).unwrap(),
            super::super::gaussian::gaussian_table(3000.0).unwrap(),
        ];
        for t in &tables {
            let set = TableSet::new(vec![t.clone()]).unwrap();
            let c = &set.coders[0];
            let reference = c.model.as_view();
            for q in 0..1u32 << PRECISION {
                let want = DecoderModel::<PREC>::quantile_function(&reference, q);
                let got = (&c.decoder).quantile_function(q);
                assert_eq!(got, want, "quantile {q}");
            }
        }
    }

    #[test]
    fn empty_input() {
        let tables = set();
        let data = encode(&[], &[], &tables).unwrap();
        assert!(data.len() <= 8);
        assert_eq!(decode(&data, &[], &tables).unwrap(), Vec::<i32>::new());
        assert_eq!(ideal_bits(&[], &[], &tables).unwrap(), 0.0);
    }

    #[test]
    fn argument_errors() {
        let tables = set();
        assert!(matches!(encode(&[1], &[3], &tables), Err(Error::Model(_))));
        assert!(matches!(
            encode(&[1, 2], &[0], &tables),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            ideal_bits(&[1], &[3], &tables),
            Err(Error::Model(_))
        ));
        let data = encode(&[1], &[0], &tables).unwrap();
        assert!(matches!(decode(&data, &[3], &tables), Err(Error::Model(_))));
        assert!(matches!(
            decode(&data[..3], &[0], &tables),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn table_set_read_write() {
        let tables = set();
        let mut bytes = Vec::new();
        tables.write(&mut bytes);
        let mut s = &bytes[..];
        let back = TableSet::read(&mut s).unwrap();
        assert!(s.is_empty());
        assert_eq!(back, tables);
        for cut in 0..bytes.len() {
            assert!(TableSet::read(&mut &bytes[..cut]).is_err());
        }
        let mut huge = (MAX_TABLES as u32 + 1).to_le_bytes().to_vec();
        huge.extend_from_slice(&bytes[4..]);
        assert!(TableSet::read(&mut &huge[..]).is_err());
        let empty = TableSet::new(Vec::new()).unwrap();
        let mut b = Vec::new();
        empty.write(&mut b);
        assert_eq!(TableSet::read(&mut &b[..]).unwrap().len(), 0);
    }
}
