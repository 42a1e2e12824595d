//! The state-file reader: any bytes give a state or a clean error naming the file (a damaged
//! state must be refused, never half-read). Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(err) = kfscale::state::parse_state("fuzz-state.json", &text) {
        assert!(err.to_string().contains("fuzz-state.json"), "{err}");
    }
});
