//! The plan-file reader: any bytes give a plan or a clean error naming the file. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(err) = kfscale::planfile::parse_plan_file("fuzz.plan", &text) {
        assert!(err.to_string().contains("fuzz.plan"), "{err}");
    }
});
