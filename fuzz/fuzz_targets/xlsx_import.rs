//! Any bytes as an import XLSX: read (zip, XML, shared strings), validate, plan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_tabular::{ImportLimits, read_xlsx};

#[path = "import.rs"]
mod import;

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys aborts in its panic hook, before unwinding; `read_xlsx` deliberately
    // catches panics inside calamine, so panics here must unwind. A panic nobody catches
    // still reaches libfuzzer-sys's own catch and counts as a crash.
    static UNWIND: std::sync::Once = std::sync::Once::new();
    UNWIND.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let limits = ImportLimits::default();
    if let Ok(sheet) = read_xlsx(data, &limits) {
        import::validate_and_plan(&sheet);
    }
});
