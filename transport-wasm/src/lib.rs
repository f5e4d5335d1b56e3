//! ocisdk-wasm (in progress)
