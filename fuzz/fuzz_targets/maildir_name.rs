#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| popscope::fuzzing::maildir_name(data));
