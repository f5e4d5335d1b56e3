#![no_main]
use ocisdk_fuzz::targets;
libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::decoders(data));
