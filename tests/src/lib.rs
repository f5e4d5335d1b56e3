//! ocisdk-tests (in progress)
