//! Arbitrary requests to every documented Solaris operation, signed in as the
//! demo user: decoding and validation must answer, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sca_sandbox::Provider;

fuzz_target!(|data: &[u8]| {
    sca_sandbox::fuzzing::provider_request(Provider::Solaris, data);
});
