//! A workforce platform: users created by an integration (with an activation
//! link), SSO first login just in time, self sign-up through a department's link, the Excel
//! template import (the template with its drop-down lists, filled in and imported), a
//! one-time password that only lets the user set their own, an activation code by SMS, and
//! signing in with a username instead of an email. Run with `cargo run --example workforce`.

mod support;

use std::fs::File;

use support::{App, Result, SYSTEM, detail, out_dir, person, step, user_with_email};
use tenantry::{Caller, ImportFormat, NewDepartment, NewUser, SignUpForm, SsoLogin, UserUpdate};
use tenantry_access::{Area, Catalog, CatalogBuilder};
use tenantry_credentials::{CodeChannel, Password};
use tenantry_identity::{
    Email, LoginIdentifiers, Name, OrgSettings, Phone, Profile, UserKind, Username,
};
use tenantry_lifecycle::{LifecyclePolicy, QrCode, WayIn};
use tenantry_tabular::{Headers, Lang};

fn catalog() -> Result<Catalog> {
    let mut b = CatalogBuilder::new();
    b.permission("hr.admin", Area::Admin, "manage the workforce", &[])?;
    b.permission("shifts.view", Area::Network, "see the shift plan", &[])?;
    b.role("admin", "Admin", &["hr.admin", "shifts.view"])?;
    b.role("employee", "Employee", &["shifts.view"])?;
    b.admin_permission("hr.admin");
    Ok(b.build()?)
}

/// The last run of digits in an SMS: the code.
fn code_in(text: &str) -> String {
    let digits: Vec<char> = text.chars().collect();
    let end = digits
        .iter()
        .rposition(char::is_ascii_digit)
        .map_or(0, |i| i + 1);
    let start = digits[..end]
        .iter()
        .rposition(|c| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    digits[start..end].iter().collect()
}

#[tokio::main]
async fn main() -> Result {
    let app = App::start("workforce", catalog()?).await?;
    let dir = &app.dir;
    let (company, hana) = app
        .root(
            "Küchenwerk GmbH",
            ("Hana", "HR"),
            "hana@kuechenwerk.example",
            "admin",
        )
        .await?;
    let hr = Caller::User(hana);
    let mut settings = OrgSettings::default();
    settings.communication.activation_on_create = true;
    settings.communication.sms = true;
    settings.phone_region = Some("DE".into());
    let mut lifecycle = LifecyclePolicy::default();
    lifecycle.sign_up.enabled = true;
    lifecycle.sso_just_in_time = true;
    dir.configure_organization(hr, company, settings, lifecycle)
        .await?;
    let kitchen = dir
        .create_department(
            hr,
            company,
            NewDepartment {
                name: Name::parse("Kitchen")?,
                sign_up_link: true,
            },
        )
        .await?;
    dir.create_job_profile(hr, company, Name::parse("Cook")?)
        .await?;
    step("Küchenwerk GmbH: activation on creation, SMS on, sign-up and SSO just in time");
    let code = kitchen
        .sign_up_code
        .as_ref()
        .ok_or("the Kitchen has no sign-up link")?;
    let url = dir.sign_up_url(code);
    let qr = QrCode::encode(&url)?;
    let out = out_dir()?;
    std::fs::write(out.join("kitchen-signup.svg"), qr.to_svg())?;
    std::fs::write(out.join("kitchen-signup.png"), qr.to_png(8)?)?;
    detail(format!(
        "the Kitchen's sign-up link {url}, as a poster's QR code in \
         tenantry-out/kitchen-signup.svg and .png"
    ));

    // 1. The HR integration creates a user; the activation link goes out.
    let new = user_with_email(
        UserKind::Standard,
        "Ines",
        "Integration",
        "ines@kuechenwerk.example",
        WayIn::Activation,
    )?;
    let ines = dir.create_user(SYSTEM, company, new).await?.id;
    step("the HR integration created ines@kuechenwerk.example:");
    app.deliver().await?;
    let pw = Password::new("purple monkey dishwasher");
    let link = app.link("ines@kuechenwerk.example", "activation")?;
    detail(format!(
        "Ines activated her account: {}",
        dir.activate(&link, Some(&pw)).await? == ines
    ));

    // 2. SSO: the first login through the company's identity provider creates the user.
    let sso = LoginIdentifiers {
        email: Some(Email::parse("sven@kuechenwerk.example")?),
        ..Default::default()
    };
    let sven = dir
        .sso_login(SsoLogin::new(company, sso.clone()).with_profile(person("Sven", "Sso")?))
        .await?;
    let again = dir.sso_login(SsoLogin::new(company, sso)).await?;
    step(format!(
        "sven@kuechenwerk.example logged in by SSO: created at first, the same user after ({})",
        sven == again
    ));

    // 3. Self sign-up through the Kitchen's link (its QR code on the staff room wall).
    dir.sign_up(SignUpForm {
        org: company,
        as_guest: false,
        profile: person("Carla", "Cook")?,
        identifiers: LoginIdentifiers {
            email: Some(Email::parse("carla@kuechenwerk.example")?),
            ..Default::default()
        },
        password: Password::new("onions and more onions"),
        chosen_department: None,
        link: kitchen.sign_up_code.clone(),
    })
    .await?;
    step("carla@kuechenwerk.example signed up through the Kitchen's link:");
    app.deliver().await?;

    // 4. The Excel template: written with its drop-down lists, filled in, imported.
    let template = dir.import_template(hr, company).await?;
    let headers = Headers::new(Lang::De);
    let path = out.join("workforce-template.xlsx");
    template.write_xlsx(File::create(&path)?, &headers)?;
    step(format!(
        "wrote the import template to {} (drop-downs for department, job profile, \
         permission type, language)",
        path.display()
    ));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    // The rows as HR types them, in the template's column order.
    let columns = &template.columns;
    let rows = [
        [
            "Paula",
            "Plan",
            "Cook",
            "Kitchen",
            "employee",
            "",
            "paula.p",
            "0170 5556667",
            "de",
            "Erster-Tag-2026-x",
        ],
        [
            "Otto",
            "Ofen",
            "Cook",
            "Kitchen",
            "employee",
            "otto@kuechenwerk.example",
            "",
            "",
            "de",
            "",
        ],
        [
            "Rosa",
            "",
            "Cook",
            "Kitchen",
            "employee",
            "rosa@kuechenwerk.example",
            "",
            "",
            "de",
            "",
        ],
    ];
    for (c, column) in columns.iter().enumerate() {
        let c = u16::try_from(c)?;
        sheet.write_string(0, c, headers.get(*column))?;
        for (r, row) in rows.iter().enumerate() {
            sheet.write_string(u32::try_from(r)? + 1, c, row[usize::from(c)])?;
        }
    }
    let filled = workbook.save_to_buffer()?;
    let plan = dir
        .plan_import(hr, company, &filled, ImportFormat::Xlsx)
        .await?;
    step(format!(
        "HR filled in 3 rows; the dry run: {} to create, {} rejected",
        plan.create.len(),
        plan.rejected.len()
    ));
    for bad in &plan.rejected {
        detail(format!("rejected: {bad}"));
    }
    let outcome = dir.commit_import(hr, company, &plan).await?;
    step(format!("imported {} users:", outcome.created.len()));
    app.deliver().await?;

    // 5. Paula's one-time password only lets her set her own; she signs in by username.
    let own = Password::new("menus every single morning");
    dir.redeem_one_time_password("paula.p", &Password::new("Erster-Tag-2026-x"), &own)
        .await?;
    let spent = dir
        .redeem_one_time_password("paula.p", &Password::new("Erster-Tag-2026-x"), &own)
        .await
        .is_err();
    dir.sign_in("PAULA.P", &own).await?;
    step(format!(
        "Paula replaced her one-time password (spent after one use: {spent}) and signed in as PAULA.P"
    ));

    // 6. A username + phone user activates with a code by SMS.
    let worker = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            phone: Some(Phone::parse("+49 170 7654321")?),
            ..person("Willi", "Worker")?
        },
        identifiers: LoginIdentifiers {
            username: Some(Username::parse("worker.7")?),
            ..Default::default()
        },
        way_in: WayIn::None,
        password: None,
    };
    let willi = dir.create_user(hr, company, worker).await?.id;
    dir.send_activation_code(hr, willi, CodeChannel::Sms)
        .await?;
    step("worker.7 has no email; HR sends an activation code by SMS:");
    app.deliver().await?;
    let sms = app.sms().pop().ok_or("no SMS was sent")?;
    let pw = Password::new("forklift driver on shift two");
    dir.activate_with_code("worker.7", &code_in(&sms.text), &pw)
        .await?;
    dir.sign_in("worker.7", &pw).await?;
    step("Willi activated with the code and signed in with his username");

    // 7. Later Willi gets a work email; he signs in with either.
    let email = UserUpdate {
        email: Some(Some(Email::parse("willi@kuechenwerk.example")?)),
        ..UserUpdate::default()
    };
    dir.update_user(hr, willi, email).await?;
    dir.sign_in("willi@kuechenwerk.example", &pw).await?;
    dir.sign_in("worker.7", &pw).await?;
    step("HR added the email willi@kuechenwerk.example; Willi signs in with it or his username");
    Ok(())
}
