//! ocisdk-hyper (in progress)
