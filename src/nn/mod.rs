//! Neural-network layers generic over the burn backend.

mod gdn;
mod layers;

pub use gdn::Gdn;
pub use layers::{conv_down, conv_up};
mod store;

pub use store::{load_tensors, number_params, read_tensors, save_tensors, write_tensors, StoredTensor};
pub mod fixed;
