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

/// One parameter tensor: its shape and values.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values in row-major order.
    pub values: Vec<f32>,
}

/// The float parameters of `module`, in visiting order.
pub fn save_tensors<B: Backend, M: Module<B>>(module: &M) -> Vec<StoredTensor> {
    struct Collect(Vec<StoredTensor>);
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let tensor = param.val();
            let shape = tensor.dims().to_vec();
            let values = tensor.into_data().convert::<f32>().to_vec().unwrap_or_default();
            self.0.push(StoredTensor { shape, values });
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

/// Serializes tensors: count u32, then per tensor rank u8, dims u32 each, values f32 (all little-endian).
pub fn write_tensors(tensors: &[StoredTensor], out: &mut Vec<u8>) {
    out.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
    for t in tensors {
        out.push(t.shape.len() as u8);
        for &d in &t.shape {
            out.extend_from_slice(&(d as u32).to_le_bytes());
        }
        for v in &t.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// Parses what [`write_tensors`] wrote, checking every length against the remaining bytes.
pub fn read_tensors(bytes: &mut &[u8]) -> Result<Vec<StoredTensor>> {
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
        if elements > MAX_ELEMENTS || elements * 4 > bytes.len() as u64 {
            return Err(Error::Model(format!("tensor of {elements} values exceeds the file")));
        }
        let raw = take(bytes, elements as usize * 4)?;
        let values = raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        tensors.push(StoredTensor { shape, values });
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
