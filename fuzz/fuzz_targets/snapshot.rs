//! The snapshot reader: any bytes give a snapshot or a clean error naming the file. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(err) = kfscale::snapshot::parse_snapshot("fuzz.json", &text) {
        assert!(err.to_string().contains("fuzz.json"), "{err}");
    }
});
