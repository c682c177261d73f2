// Shared by the CSV and XLSX targets: validate and plan a sheet as the directory does.
use tenantry_identity::PhoneRegion;
use tenantry_tabular::{Choices, ImportTemplate, Sheet, plan};

pub fn validate_and_plan(sheet: &Sheet) {
    let choices = Choices {
        departments: vec!["Kitchen".into(), "Küche".into()],
        job_profiles: vec!["Cook".into()],
        permission_types: vec!["admin".into(), "member".into()],
        languages: vec!["de".into(), "en".into()],
    };
    let template = ImportTemplate::workforce(choices, PhoneRegion::from_iso("DE").ok());
    if let Ok(report) = template.validate(sheet) {
        let planned = plan(report, |key| format!("{key:?}").len() % 3 == 0);
        for row in &planned.rejected {
            let _ = row.to_string();
        }
    }
}
