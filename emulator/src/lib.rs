//! ocisdk-emulator (in progress)
