//! Arbitrary bytes into the scenario loader: it must refuse with a position
//! or accept, and never panic, whatever the file holds.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = sca_sandbox::Scenario::parse("<fuzz>", text) {
            // Rendering the error is part of loading a bad file.
            let _ = e.to_string();
        }
    }
});
