//! Message rendering: every message the directory sends, in English and German. Hosts may
//! replace [`DefaultRenderer`] with their own [`Renderer`].

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use tenantry_credentials::{Code, Link};

/// What a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// Welcome to a new or approved account (help desk), with a link to set a password.
    Welcome,
    /// An invitation with a link to choose a password (partner portal).
    Invitation,
    /// An activation link (workforce platform).
    ActivationLink,
    /// An activation code, by SMS or email (workforce platform).
    ActivationCode,
    /// A password-reset link, by an admin or "forgot password" (partner portal).
    PasswordReset,
    /// An automatic-login link (agency).
    AutoLogin,
    /// An email digest to a consumer (social intranet).
    ConsumerDigest,
    /// To staff: a sign-up awaits approval (help desk).
    SignUpPendingApproval,
    /// The password was changed (security notice; never suppressed).
    PasswordChanged,
    /// A message the host writes (a post recommendation, an invitation to an event; the
    /// social intranet), sent through the directory so consumers get their registration link in it and
    /// notification settings are honoured.
    Notification,
}

impl MessageKind {
    /// Every kind, for renderers and tests that must cover them all.
    pub const ALL: [MessageKind; 10] = [
        MessageKind::Welcome,
        MessageKind::Invitation,
        MessageKind::ActivationLink,
        MessageKind::ActivationCode,
        MessageKind::PasswordReset,
        MessageKind::AutoLogin,
        MessageKind::ConsumerDigest,
        MessageKind::SignUpPendingApproval,
        MessageKind::PasswordChanged,
        MessageKind::Notification,
    ];

    /// The stable name, as stored in the outbox.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageKind::Welcome => "welcome",
            MessageKind::Invitation => "invitation",
            MessageKind::ActivationLink => "activation_link",
            MessageKind::ActivationCode => "activation_code",
            MessageKind::PasswordReset => "password_reset",
            MessageKind::AutoLogin => "auto_login",
            MessageKind::ConsumerDigest => "consumer_digest",
            MessageKind::SignUpPendingApproval => "sign_up_pending_approval",
            MessageKind::PasswordChanged => "password_changed",
            MessageKind::Notification => "notification",
        }
    }
}

/// The language of a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// German.
    De,
}

impl Locale {
    /// German for `de` and its regional variants, English otherwise.
    pub fn from_language(language: Option<&tenantry_identity::Language>) -> Self {
        match language.map(|l| l.primary()) {
            Some("de") => Locale::De,
            _ => Locale::En,
        }
    }
}

/// Everything a message may mention.
#[derive(Clone, Debug)]
pub struct MessageContext {
    /// What the message is.
    pub kind: MessageKind,
    /// Its language.
    pub locale: Locale,
    /// The recipient's name.
    pub recipient_name: String,
    /// The organization's or product's name.
    pub org_name: String,
    /// The message's link (invitation, activation, reset, automatic login).
    pub link: Option<Link>,
    /// The activation code.
    pub code: Option<Code>,
    /// When the link or code stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// A consumer's personal registration link: every message to a consumer carries it.
    pub registration_link: Option<Link>,
    /// A link to manage notification settings (digests).
    pub preferences_link: Option<String>,
    /// The lines of a digest.
    pub digest_items: Vec<String>,
    /// For staff notices: who signed up.
    pub about: Option<String>,
    /// For host messages ([`MessageKind::Notification`]): the subject.
    pub subject: Option<String>,
    /// For host messages ([`MessageKind::Notification`]): the text (plain; the HTML part
    /// escapes it and keeps its paragraphs).
    pub body: Option<String>,
}

impl MessageContext {
    /// A context for `kind` with nothing but names filled in.
    pub fn new(kind: MessageKind, locale: Locale, recipient_name: &str, org_name: &str) -> Self {
        Self {
            kind,
            locale,
            recipient_name: recipient_name.to_owned(),
            org_name: org_name.to_owned(),
            link: None,
            code: None,
            expires_at: None,
            registration_link: None,
            preferences_link: None,
            digest_items: Vec::new(),
            about: None,
            subject: None,
            body: None,
        }
    }
}

/// A rendered message: email parts and the SMS text.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject.
    pub subject: String,
    /// The plain text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// The SMS text (short).
    pub sms: String,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Turns a [`MessageContext`] into a [`Rendered`] message.
pub trait Renderer: Send + Sync {
    /// Renders the message.
    fn render(&self, context: &MessageContext) -> Rendered;
}

/// The built-in English and German texts.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultRenderer;

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

struct Texts {
    subject: String,
    greeting: String,
    body: String,
    action: Option<&'static str>,
}

fn texts(c: &MessageContext) -> Texts {
    let (name, org) = (&c.recipient_name, &c.org_name);
    let de = c.locale == Locale::De;
    let (subject, body, action): (String, String, Option<&'static str>) = match (c.kind, de) {
        (MessageKind::Welcome, false) => (format!("Welcome to {org}"), format!("Your account at {org} is ready."), Some("Set your password")),
        (MessageKind::Welcome, true) => (format!("Willkommen bei {org}"), format!("Ihr Konto bei {org} ist eingerichtet."), Some("Passwort festlegen")),
        (MessageKind::Invitation, false) => (format!("You are invited to {org}"), format!("You have been invited to {org}. Choose a password to sign in."), Some("Accept the invitation")),
        (MessageKind::Invitation, true) => (format!("Einladung zu {org}"), format!("Sie wurden zu {org} eingeladen. Wählen Sie ein Passwort, um sich anzumelden."), Some("Einladung annehmen")),
        (MessageKind::ActivationLink, false) => (format!("Activate your {org} account"), "Confirm your account to start.".to_owned(), Some("Activate my account")),
        (MessageKind::ActivationLink, true) => (format!("Aktivieren Sie Ihr Konto bei {org}"), "Bestätigen Sie Ihr Konto, um zu beginnen.".to_owned(), Some("Konto aktivieren")),
        (MessageKind::ActivationCode, false) => (format!("Your {org} activation code"), "Enter this code to activate your account:".to_owned(), None),
        (MessageKind::ActivationCode, true) => (format!("Ihr Aktivierungscode für {org}"), "Geben Sie diesen Code ein, um Ihr Konto zu aktivieren:".to_owned(), None),
        (MessageKind::PasswordReset, false) => (format!("Reset your {org} password"), "Someone asked to reset your password. If it was not you, ignore this message.".to_owned(), Some("Choose a new password")),
        (MessageKind::PasswordReset, true) => (format!("Passwort für {org} zurücksetzen"), "Es wurde angefordert, Ihr Passwort zurückzusetzen. Wenn Sie das nicht waren, ignorieren Sie diese Nachricht.".to_owned(), Some("Neues Passwort wählen")),
        (MessageKind::AutoLogin, false) => (format!("Your sign-in link for {org}"), "This link signs you in once.".to_owned(), Some("Sign in")),
        (MessageKind::AutoLogin, true) => (format!("Ihr Anmeldelink für {org}"), "Dieser Link meldet Sie einmalig an.".to_owned(), Some("Anmelden")),
        (MessageKind::ConsumerDigest, false) => (format!("What's new at {org}"), "Here is what happened recently:".to_owned(), None),
        (MessageKind::ConsumerDigest, true) => (format!("Neuigkeiten bei {org}"), "Das ist in letzter Zeit passiert:".to_owned(), None),
        (MessageKind::SignUpPendingApproval, false) => (format!("A sign-up at {org} awaits approval"), format!("{} signed up and waits for your approval.", c.about.as_deref().unwrap_or("Someone")), None),
        (MessageKind::SignUpPendingApproval, true) => (format!("Eine Registrierung bei {org} wartet auf Freigabe"), format!("{} hat sich registriert und wartet auf Ihre Freigabe.", c.about.as_deref().unwrap_or("Jemand")), None),
        (MessageKind::PasswordChanged, false) => (format!("Your {org} password was changed"), "Your password was just changed. If it was not you, contact your administrator at once.".to_owned(), None),
        (MessageKind::Notification, _) => (c.subject.clone().unwrap_or_else(|| org.clone()), c.body.clone().unwrap_or_default(), None),
        (MessageKind::PasswordChanged, true) => (format!("Ihr Passwort für {org} wurde geändert"), "Ihr Passwort wurde soeben geändert. Wenn Sie das nicht waren, wenden Sie sich sofort an Ihre Administration.".to_owned(), None),
    };
    let greeting = if de {
        format!("Hallo {name},")
    } else {
        format!("Hello {name},")
    };
    Texts {
        subject,
        greeting,
        body,
        action,
    }
}

impl Renderer for DefaultRenderer {
    fn render(&self, c: &MessageContext) -> Rendered {
        let t = texts(c);
        let de = c.locale == Locale::De;
        let mut text = format!("{}\n\n{}\n", t.greeting, t.body);
        let paragraphs: String = t
            .body
            .split("\n\n")
            .map(|p| format!("<p>{}</p>\n", html_escape(p).replace('\n', "<br>")))
            .collect();
        let mut html = format!("<p>{}</p>\n{paragraphs}", html_escape(&t.greeting));
        let mut sms = t.body.clone();
        if let Some(code) = &c.code {
            let _ = write!(text, "\n    {}\n", code.expose());
            let _ = writeln!(
                html,
                "<p style=\"font-size:1.5em;letter-spacing:0.2em\"><strong>{}</strong></p>",
                html_escape(code.expose())
            );
            sms = format!("{} {}", sms, code.expose());
        }
        for item in &c.digest_items {
            let _ = writeln!(text, "- {item}");
            let _ = writeln!(html, "<p>• {}</p>", html_escape(item));
        }
        if let (Some(link), Some(action)) = (&c.link, t.action) {
            let _ = write!(text, "\n{action}: {}\n", link.expose());
            let _ = writeln!(
                html,
                "<p><a href=\"{}\">{}</a></p>",
                html_escape(link.expose()),
                html_escape(action)
            );
            sms = format!("{} {}", sms, link.expose());
        }
        if let Some(at) = c.expires_at {
            let when = at.format("%Y-%m-%d %H:%M UTC");
            let line = if de {
                format!("Gültig bis {when}.")
            } else {
                format!("Valid until {when}.")
            };
            let _ = writeln!(text, "{line}");
            let _ = writeln!(html, "<p>{}</p>", html_escape(&line));
        }
        if let Some(reg) = &c.registration_link {
            let line = if de {
                "Noch kein Mitglied? Hier registrieren"
            } else {
                "Not a member yet? Register here"
            };
            let _ = write!(text, "\n{line}: {}\n", reg.expose());
            let _ = writeln!(
                html,
                "<p><a href=\"{}\">{}</a></p>",
                html_escape(reg.expose()),
                html_escape(line)
            );
        }
        if let Some(prefs) = &c.preferences_link {
            let line = if de {
                "Benachrichtigungen verwalten"
            } else {
                "Manage notification settings"
            };
            let _ = writeln!(text, "{line}: {prefs}");
            let _ = writeln!(
                html,
                "<p><a href=\"{}\">{}</a></p>",
                html_escape(prefs),
                html_escape(line)
            );
        }
        let html = format!("<!DOCTYPE html>\n<html><body>\n{html}</body></html>\n");
        Rendered {
            subject: t.subject,
            text,
            html,
            sms,
        }
    }
}
