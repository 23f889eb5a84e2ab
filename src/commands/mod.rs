//! One module per command. Commands are where files are read and written; everything they
//! call is pure.

pub mod check;
pub mod emit;
pub mod graph;
pub mod schema;
