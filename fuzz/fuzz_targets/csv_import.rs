//! Any bytes as an import CSV: read, validate against the workforce template, plan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_tabular::{ImportLimits, read_csv};

#[path = "import.rs"]
mod import;

fuzz_target!(|data: &[u8]| {
    let limits = ImportLimits::default();
    if let Ok(sheet) = read_csv(data, &limits) {
        import::validate_and_plan(&sheet);
    }
});
