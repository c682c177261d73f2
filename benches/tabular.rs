//! Export of 1,000,000 consumer rows to CSV and XLSX, and import of 100,000 template rows
//! from XLSX, each beside its raw baseline in the same run: the csv writer, rust_xlsxwriter
//! in constant-memory mode, and calamine reading the same file.
//!
//! Run with `cargo bench --bench tabular` (several minutes). A single case, for a peak
//! memory figure: `/usr/bin/time -v cargo bench --bench tabular -- 'xlsx export/tenantry'`.

#![allow(clippy::expect_used)] // bench setup fails loudly: a broken fixture is no measurement

use std::borrow::Cow;
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::{Cursor, sink};
use std::time::Duration;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tenantry_tabular::{
    Choices, Column, ColumnSet, CsvOptions, Headers, ImportLimits, ImportTemplate, Lang, ToRow,
    UserRecord, export_csv, export_xlsx, read_xlsx,
};

const EXPORT_ROWS: usize = 1_000_000;
const IMPORT_ROWS: usize = 100_000;

fn consumer(i: usize) -> UserRecord {
    UserRecord {
        email: format!("consumer{i}@example.com"),
        first_name: format!("First{i}"),
        last_name: format!("Last{i}"),
        groups: vec!["News".into(), "Events".into()],
        receives_digests: Some(!i.is_multiple_of(3)),
        ..UserRecord::default()
    }
}

/// A consumer as a host keeps one: its own type, filled as the raw baseline fills its
/// fields, exported through `ToRow::cell_in` (the group count written into the exporter's
/// buffer, the groups borrowed).
struct HostConsumer {
    email: String,
    first_name: String,
    last_name: String,
    groups: &'static [&'static str],
    receives_digests: bool,
}

impl ToRow for HostConsumer {
    fn cell(&self, column: Column) -> Cow<'_, str> {
        let mut buf = String::new();
        let text = self.cell_in(column, &mut buf).to_owned();
        Cow::Owned(text)
    }

    fn cell_in<'a>(&'a self, column: Column, buf: &'a mut String) -> &'a str {
        match column {
            Column::Email => &self.email,
            Column::FirstName => &self.first_name,
            Column::LastName => &self.last_name,
            Column::GroupCount => {
                let _ = write!(buf, "{}", self.groups.len());
                buf
            }
            Column::ReceivesDigests if self.receives_digests => "yes",
            Column::ReceivesDigests => "no",
            _ => "",
        }
    }
}

fn host_consumer(i: usize) -> HostConsumer {
    HostConsumer {
        email: format!("consumer{i}@example.com"),
        first_name: format!("First{i}"),
        last_name: format!("Last{i}"),
        groups: &["News", "Events"],
        receives_digests: !i.is_multiple_of(3),
    }
}

fn raw_fields(i: usize) -> [String; 5] {
    [
        format!("consumer{i}@example.com"),
        format!("First{i}"),
        format!("Last{i}"),
        "2".into(),
        if !i.is_multiple_of(3) { "yes" } else { "no" }.into(),
    ]
}

fn exports(c: &mut Criterion) {
    let headers = Headers::new(Lang::En);
    let mut g = c.benchmark_group("csv export");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(EXPORT_ROWS as u64));
    g.bench_function("tenantry", |b| {
        b.iter(|| {
            export_csv(
                sink(),
                ColumnSet::CONSUMERS,
                &headers,
                (0..EXPORT_ROWS).map(consumer),
                CsvOptions::default(),
            )
        })
    });
    g.bench_function("tenantry, host row", |b| {
        b.iter(|| {
            export_csv(
                sink(),
                ColumnSet::CONSUMERS,
                &headers,
                (0..EXPORT_ROWS).map(host_consumer),
                CsvOptions::default(),
            )
        })
    });
    g.bench_function("csv writer (raw)", |b| {
        b.iter(|| {
            let mut w = csv::Writer::from_writer(sink());
            w.write_record([
                "Email",
                "First name",
                "Last name",
                "Number of groups",
                "Receives digests",
            ])
            .expect("write");
            for i in 0..EXPORT_ROWS {
                w.write_record(raw_fields(i)).expect("write");
            }
            w.flush().expect("flush");
        })
    });
    g.finish();

    let mut g = c.benchmark_group("xlsx export");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .throughput(Throughput::Elements(EXPORT_ROWS as u64));
    g.bench_function("tenantry", |b| {
        b.iter(|| {
            export_xlsx(
                sink(),
                "Consumers",
                ColumnSet::CONSUMERS,
                &headers,
                (0..EXPORT_ROWS).map(consumer),
            )
            .expect("xlsx")
        })
    });
    g.bench_function("rust_xlsxwriter constant memory (raw)", |b| {
        b.iter(|| {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let sheet = wb.add_worksheet_with_constant_memory().expect("sheet");
            for (c, h) in [
                "Email",
                "First name",
                "Last name",
                "Number of groups",
                "Receives digests",
            ]
            .iter()
            .enumerate()
            {
                sheet.write_string(0, c as u16, *h).expect("write");
            }
            for i in 0..EXPORT_ROWS {
                for (c, v) in raw_fields(i).iter().enumerate() {
                    sheet
                        .write_string(i as u32 + 1, c as u16, v)
                        .expect("write");
                }
            }
            wb.save_to_writer(sink()).expect("save");
        })
    });
    g.finish();
}

fn imports(c: &mut Criterion) {
    let choices = Choices {
        departments: vec!["Sales".into(), "Kitchen".into()],
        job_profiles: vec!["Cook".into(), "Clerk".into()],
        permission_types: vec!["employee".into()],
        languages: vec!["de".into(), "en".into()],
    };
    let template = ImportTemplate::workforce(choices, None);
    let rows = (0..IMPORT_ROWS).map(|i| UserRecord {
        first_name: format!("First{i}"),
        last_name: format!("Last{i}"),
        job_profile: "Cook".into(),
        department: if i % 2 == 0 { "Sales" } else { "Kitchen" }.into(),
        permission_type: "employee".into(),
        email: format!("user{i}@example.com"),
        language: "de".into(),
        ..UserRecord::default()
    });
    let mut file = Vec::new();
    export_xlsx(
        &mut file,
        "Users",
        &template.columns,
        &Headers::new(Lang::En),
        rows,
    )
    .expect("fixture");
    let limits = ImportLimits::default();
    let mut g = c.benchmark_group("xlsx import");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(IMPORT_ROWS as u64));
    g.bench_function("tenantry (read + validate)", |b| {
        b.iter(|| {
            let sheet = read_xlsx(black_box(&file), &limits).expect("read");
            let report = template.validate(&sheet).expect("validate");
            assert_eq!(report.records.len(), IMPORT_ROWS);
        })
    });
    g.bench_function("tenantry (read only)", |b| {
        b.iter(|| read_xlsx(black_box(&file), &limits).expect("read"))
    });
    g.bench_function("calamine (raw)", |b| {
        b.iter(|| {
            let mut wb: Xlsx<_> =
                open_workbook_from_rs(Cursor::new(black_box(&file))).expect("open");
            let range = wb.worksheet_range_at(0).expect("sheet").expect("range");
            let n: usize = range
                .rows()
                .map(|r| r.iter().filter(|d| **d != calamine::Data::Empty).count())
                .sum();
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, exports, imports);
criterion_main!(benches);
