//! Saving and loading a module's float parameters as a flat list of tensors (in the module's
//! field order), independent of burn's record formats, bounded and checked on load.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::{Error, Result};

/// Most dimensions a stored tensor may have.
const MAX_RANK: usize = 8;
/// Most parameters a stored tensor may have.
const MAX_ELEMENTS: u64 = 1 << 28;

/// Tensors of at least this many values are stored as binary16 by [`StoredTensor::packed`].
pub const HALF_MIN_VALUES: usize = 1 << 14;

/// How a stored tensor's values are written in a model file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// IEEE binary32 (what training writes).
    #[default]
    F32,
    /// IEEE binary16: half the bytes, for shipped models.
    F16,
}

impl Precision {
    /// The type byte of model files from version 2 on.
    fn code(self) -> u8 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
        }
    }

    fn from_code(code: u8) -> Result<Self> {
        match code {
            0 => Ok(Self::F32),
            1 => Ok(Self::F16),
            other => Err(Error::Model(format!("unknown tensor value type {other}"))),
        }
    }

    fn bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
        }
    }
}

/// One parameter tensor: its shape and values.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values in row-major order (for binary16 tensors, exactly the binary16 values).
    pub values: Vec<f32>,
    /// How the values are stored.
    pub precision: Precision,
}

impl StoredTensor {
    /// The tensor as a shipped model stores it: binary16 (rounded to nearest, ties to even) if
    /// it has at least [`HALF_MIN_VALUES`] values — the convolution kernels — else unchanged.
    pub fn packed(&self) -> Self {
        if self.values.len() < HALF_MIN_VALUES {
            return self.clone();
        }
        let values = self.values.iter().map(|&v| half::f16::from_f32(v).to_f32()).collect();
        Self { shape: self.shape.clone(), values, precision: Precision::F16 }
    }
}

/// The float parameters of `module`, in visiting order.
pub fn save_tensors<B: Backend, M: Module<B>>(module: &M) -> Vec<StoredTensor> {
    struct Collect(Vec<StoredTensor>);
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let tensor = param.val();
            let shape = tensor.dims().to_vec();
            let values = tensor.into_data().convert::<f32>().to_vec().unwrap_or_default();
            self.0.push(StoredTensor { shape, values, precision: Precision::F32 });
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}

/// Replaces the float parameters of `module` by `tensors` (same order and shapes as [`save_tensors`]).
pub fn load_tensors<B: Backend, M: Module<B>>(module: M, tensors: &[StoredTensor]) -> Result<M> {
    struct Load<'a> {
        tensors: &'a [StoredTensor],
        next: usize,
        error: Option<String>,
    }
    impl<B: Backend> ModuleMapper<B> for Load<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let index = self.next;
            self.next += 1;
            let (id, tensor, mapper) = param.consume();
            let dims = tensor.dims();
            match self.tensors.get(index) {
                Some(stored) if stored.shape == dims => {
                    let data = TensorData::new(stored.values.clone(), dims);
                    let mut loaded = Tensor::from_data(data, &tensor.device());
                    if tensor.is_require_grad() {
                        loaded = loaded.require_grad();
                    }
                    return Param::from_mapped_value(id, loaded, mapper);
                }
                Some(stored) if self.error.is_none() => {
                    self.error = Some(format!("tensor {index} has shape {:?}, the model expects {dims:?}", stored.shape));
                }
                None if self.error.is_none() => {
                    self.error = Some(format!("the model has more than {} tensors", self.tensors.len()));
                }
                _ => {}
            }
            Param::from_mapped_value(id, tensor, mapper)
        }
    }
    let mut load = Load { tensors, next: 0, error: None };
    let module = module.map(&mut load);
    if let Some(error) = load.error {
        return Err(Error::Model(error));
    }
    if load.next != tensors.len() {
        return Err(Error::Model(format!("the file has {} tensors, the model {}", tensors.len(), load.next)));
    }
    Ok(module)
}

/// Gives the float parameters of `module` the ids 0, 1, 2, … in visiting order, so that state
/// keyed by parameter id (the optimizer's) matches between a run and the run that resumes it.
pub fn number_params<B: Backend, M: Module<B>>(module: M) -> M {
    struct Number(u64);
    impl<B: Backend> ModuleMapper<B> for Number {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (_, tensor, mapper) = param.consume();
            self.0 += 1;
            Param::from_mapped_value(ParamId::from(self.0 - 1), tensor, mapper)
        }
    }
    module.map(&mut Number(0))
}

/// Serializes tensors: count u32, then per tensor rank u8, dims u32 each, with `typed` a value
/// type u8 ([`Precision`]; model files from version 2 on), then the values (all little-endian).
/// Without `typed` every tensor must be binary32.
pub fn write_tensors(tensors: &[StoredTensor], typed: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
    for t in tensors {
        out.push(t.shape.len() as u8);
        for &d in &t.shape {
            out.extend_from_slice(&(d as u32).to_le_bytes());
        }
        if typed {
            out.push(t.precision.code());
        }
        for &v in &t.values {
            match t.precision {
                Precision::F32 => out.extend_from_slice(&v.to_le_bytes()),
                Precision::F16 => out.extend_from_slice(&half::f16::from_f32(v).to_le_bytes()),
            }
        }
    }
}

/// Parses what [`write_tensors`] wrote (with the same `typed`), checking every length against
/// the remaining bytes.
pub fn read_tensors(bytes: &mut &[u8], typed: bool) -> Result<Vec<StoredTensor>> {
    let count = take_u32(bytes)? as usize;
    if count > bytes.len() {
        return Err(Error::Model(format!("tensor count {count} exceeds the file size")));
    }
    let mut tensors = Vec::with_capacity(count);
    for _ in 0..count {
        let rank = take(bytes, 1)?[0] as usize;
        if rank > MAX_RANK {
            return Err(Error::Model(format!("tensor rank {rank} over {MAX_RANK}")));
        }
        let mut shape = Vec::with_capacity(rank);
        let mut elements: u64 = 1;
        for _ in 0..rank {
            let d = take_u32(bytes)?;
            elements = elements.saturating_mul(u64::from(d));
            shape.push(d as usize);
        }
        let precision = if typed { Precision::from_code(take(bytes, 1)?[0])? } else { Precision::F32 };
        let size = precision.bytes() as u64;
        if elements > MAX_ELEMENTS || elements * size > bytes.len() as u64 {
            return Err(Error::Model(format!("tensor of {elements} values exceeds the file")));
        }
        let raw = take(bytes, elements as usize * size as usize)?;
        let values = match precision {
            Precision::F32 => raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            Precision::F16 => raw.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
        };
        tensors.push(StoredTensor { shape, values, precision });
    }
    Ok(tensors)
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if bytes.len() < n {
        return Err(Error::Model("model file is truncated".into()));
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

fn take_u32(bytes: &mut &[u8]) -> Result<u32> {
    let b = take(bytes, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(len: usize) -> StoredTensor {
        let values = (0..len).map(|i| (i as f32 * 0.37).sin() * 0.1 + 1e-3).collect();
        StoredTensor { shape: vec![len / 4, 4], values, precision: Precision::F32 }
    }

    #[test]
    fn packing_rounds_large_tensors_to_binary16_and_keeps_small_ones() {
        let (small, large) = (tensor(64), tensor(HALF_MIN_VALUES));
        assert_eq!(small.packed(), small);
        let packed = large.packed();
        assert_eq!(packed.precision, Precision::F16);
        for (&p, &v) in packed.values.iter().zip(&large.values) {
            // Half an ulp: 2^-11 relative for normal values, 2^-25 absolute for subnormal ones.
            assert!((p - v).abs() <= (v.abs() / 2048.0).max(2f32.powi(-25)), "{v} → {p}");
            assert_eq!(half::f16::from_f32(p).to_f32(), p, "values are exactly binary16");
        }
        assert_eq!(packed.packed(), packed, "packing is idempotent");
    }

    #[test]
    fn typed_tensors_round_trip_and_half_takes_half_the_bytes() {
        let tensors = vec![tensor(64), tensor(HALF_MIN_VALUES).packed()];
        let mut bytes = Vec::new();
        write_tensors(&tensors, true, &mut bytes);
        let header = 4 + 2 * (1 + 2 * 4 + 1);
        assert_eq!(bytes.len(), header + 64 * 4 + HALF_MIN_VALUES * 2);
        assert_eq!(read_tensors(&mut bytes.as_slice(), true).unwrap(), tensors);
        let mut untyped = Vec::new();
        write_tensors(&tensors[..1], false, &mut untyped);
        assert_eq!(read_tensors(&mut untyped.as_slice(), false).unwrap(), tensors[..1]);
    }

    #[test]
    fn binary16_bytes_decode_exactly() {
        // One rank-1 tensor of three binary16 values: 1.0, -2.0, 2^-24 (the smallest subnormal).
        let bytes = [1, 0, 0, 0, 1, 3, 0, 0, 0, 1, 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00];
        let t = read_tensors(&mut &bytes[..], true).unwrap();
        assert_eq!(t[0].values, [1.0, -2.0, 2f32.powi(-24)]);
        assert_eq!(t[0].precision, Precision::F16);
        let mut bad = bytes;
        bad[9] = 7;
        assert!(read_tensors(&mut &bad[..], true).unwrap_err().to_string().contains("value type 7"));
        assert!(read_tensors(&mut &bytes[..15], true).is_err(), "truncated");
    }
}
