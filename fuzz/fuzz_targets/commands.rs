//! Random command sequences through an `Engine` over the in-memory store, with the invariant
//! checks of `shared/commands.rs` after every step (see its docs and `fuzz/README.md`).
#![no_main]

#[path = "shared/commands.rs"]
mod harness;

use booking_core::InMemoryRepository;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|ops: Vec<harness::Op>| harness::run(InMemoryRepository::new(), &ops));
