//! Arbitrary public keys, signatures and texts into Solaris' signature
//! decoding and verification: refuse or verify, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sca_sandbox::fuzzing::signature(data);
});
