//! Nothing of its own: this crate exists for its tests and examples, which use ocisdk from
//! outside its workspace exactly as the README and rustdoc show.
