//! Any bytes as an import XLSX: read (zip, XML, shared strings), validate, plan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_tabular::{ImportLimits, read_xlsx};

#[path = "import.rs"]
mod import;

fuzz_target!(|data: &[u8]| {
    let limits = ImportLimits::default();
    if let Ok(sheet) = read_xlsx(data, &limits) {
        import::validate_and_plan(&sheet);
    }
});
