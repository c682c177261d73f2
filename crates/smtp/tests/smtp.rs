//! SmtpMailer against a real SMTP server: aiosmtpd (Debian's python3-aiosmtpd) started on
//! loopback by each test, writing what it accepts to a directory as JSON read back here —
//! including what Python's standard email parser decodes from it. `.ci/run` installs the
//! server; elsewhere, without it, the tests say so and skip (under CI they fail instead).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tenantry::{
    DefaultRenderer, DeliveryError, EmailMessage, Locale, Mailer, MessageContext, MessageKind,
    Renderer,
};
use tenantry_smtp::{Security, SmtpConfig, SmtpMailer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn python() -> String {
    std::env::var("TENANTRY_SMTP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "tenantry-smtp-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running aiosmtpd on a free loopback port; killed and cleaned up on drop.
struct Server {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Server {
    async fn start(tag: &str, extra: &[&str]) -> Option<Self> {
        let ok = std::process::Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must provide aiosmtpd (apt-get install python3-aiosmtpd)"
            );
            eprintln!("aiosmtpd is not installed for {}: test skipped", python());
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = temp_dir(tag);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .arg(&out)
            .args(extra)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP server did not start in 20 s")
            .unwrap();
        assert_eq!(ready.as_deref(), Some("ready"));
        Some(Self { child, port, out })
    }

    fn mailer(&self, security: Security, configure: impl FnOnce(&mut SmtpConfig)) -> SmtpMailer {
        let mut config =
            SmtpConfig::new("localhost", "Acme Network <no-reply@acme.example>").unwrap();
        config.port = Some(self.port);
        config.security = security;
        config.timeout = Duration::from_secs(10);
        configure(&mut config);
        SmtpMailer::new(config).unwrap()
    }

    /// What the server accepted, oldest first is not promised: sorted by subject.
    fn received(&self) -> Vec<Value> {
        let mut out: Vec<Value> = std::fs::read_dir(&self.out)
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path();
                (path.extension()? == "json")
                    .then(|| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
            })
            .collect();
        out.sort_by_key(|m: &Value| m["headers"]["subject"].as_str().unwrap_or("").to_owned());
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.out);
    }
}

fn message(to: &str, name: Option<&str>, subject: &str, key: &str) -> EmailMessage {
    EmailMessage {
        to: to.into(),
        to_name: name.map(Into::into),
        subject: subject.into(),
        text: "Hello,\nthis is the text part. Grüße!".into(),
        html: Some("<p>Hello, this is the <b>HTML</b> part. Grüße!</p>".into()),
        idempotency_key: key.into(),
    }
}

const KINDS: [MessageKind; 10] = MessageKind::ALL;

#[tokio::test]
async fn every_message_kind_arrives_as_rendered() {
    let Some(server) = Server::start("kinds", &[]).await else {
        return;
    };
    let mailer = server.mailer(Security::Plain, |_| {});
    let mut sent = Vec::new();
    for (i, kind) in KINDS.into_iter().enumerate() {
        let locale = if i % 2 == 0 { Locale::En } else { Locale::De };
        let mut ctx = MessageContext::new(kind, locale, "Jürgen Müller", "Acme Netzwerk");
        ctx.preferences_link = Some("https://app.example/preferences".into());
        ctx.digest_items = vec!["Neuer Beitrag: Sommerfest".into()];
        ctx.about = Some("Zoë Ünal".into());
        let rendered = DefaultRenderer.render(&ctx);
        let m = EmailMessage {
            to: format!("user{i}@example.org"),
            to_name: Some("Jürgen Müller".into()),
            subject: rendered.subject.clone(),
            text: rendered.text.clone(),
            html: Some(rendered.html.clone()),
            idempotency_key: format!("{kind:?}/{i}"),
        };
        mailer.send(&m).await.unwrap();
        sent.push(m);
    }
    let received = server.received();
    assert_eq!(received.len(), KINDS.len());
    for m in &sent {
        let got = received
            .iter()
            .find(|r| r["rcpt_tos"][0] == m.to.as_str())
            .unwrap_or_else(|| panic!("nothing arrived for {}", m.to));
        assert_eq!(got["mail_from"], "no-reply@acme.example");
        assert_eq!(got["headers"]["subject"], m.subject.as_str());
        assert_eq!(
            got["headers"]["to"],
            format!("Jürgen Müller <{}>", m.to).as_str()
        );
        assert_eq!(
            got["headers"]["from"],
            "Acme Network <no-reply@acme.example>"
        );
        assert_eq!(got["content_type"], "multipart/alternative");
        // The parser's decoded parts equal what was rendered (line ends normalised).
        let text = got["parts"]["text/plain"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n");
        assert_eq!(text.trim_end(), m.text.trim_end());
        let html = got["parts"]["text/html"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n");
        assert_eq!(html.trim_end(), m.html.as_deref().unwrap().trim_end());
        // Non-ASCII names travel encoded, never as raw 8-bit header bytes.
        let raw = got["raw"].as_str().unwrap();
        let to_line = raw.lines().find(|l| l.starts_with("To:")).unwrap();
        assert!(to_line.is_ascii(), "{to_line}");
    }
}

#[tokio::test]
async fn a_retry_carries_the_same_message_id() {
    let Some(server) = Server::start("ids", &[]).await else {
        return;
    };
    let mailer = server.mailer(Security::Plain, |_| {});
    mailer
        .send(&message("a@example.org", None, "first", "invitation/42/1"))
        .await
        .unwrap();
    mailer
        .send(&message("a@example.org", None, "second", "invitation/42/1"))
        .await
        .unwrap();
    mailer
        .send(&message("a@example.org", None, "third", "invitation/42/2"))
        .await
        .unwrap();
    let ids: Vec<String> = server
        .received()
        .iter()
        .map(|m| m["headers"]["message-id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], ids[1], "same key, same id");
    assert_ne!(ids[0], ids[2]);
    assert!(ids[0].ends_with("@acme.example>"));
}

#[tokio::test]
async fn text_only_messages_are_plain_text() {
    let Some(server) = Server::start("plain", &[]).await else {
        return;
    };
    let mailer = server.mailer(Security::Plain, |_| {});
    let mut m = message("b@example.org", Some("Bob"), "Only text", "k");
    m.html = None;
    mailer.send(&m).await.unwrap();
    let got = &server.received()[0];
    assert_eq!(got["content_type"], "text/plain");
    assert!(
        got["parts"]["text/plain"]
            .as_str()
            .unwrap()
            .contains("Grüße")
    );
}

#[tokio::test]
async fn header_injection_is_refused_and_nothing_is_sent() {
    let Some(server) = Server::start("inject", &[]).await else {
        return;
    };
    let mailer = server.mailer(Security::Plain, |_| {});
    for m in [
        message("c@example.org", None, "Hi\r\nBcc: victim@example.org", "k1"),
        message("c@example.org", None, "Hi\nBcc: victim@example.org", "k2"),
        message(
            "c@example.org",
            Some("Eve\r\nBcc: victim@example.org"),
            "Hi",
            "k3",
        ),
        message("c@example.org\r\nBcc: v@example.org", None, "Hi", "k4"),
    ] {
        match mailer.send(&m).await {
            Err(DeliveryError::Permanent(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn server_refusals_are_permanent_or_retryable_by_code() {
    let Some(server) = Server::start("codes", &[]).await else {
        return;
    };
    let mailer = server.mailer(Security::Plain, |_| {});
    match mailer
        .send(&message("reject-me@example.org", None, "x", "k1"))
        .await
    {
        Err(DeliveryError::Permanent(reason)) => assert!(reason.contains("550"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match mailer
        .send(&message("later-please@example.org", None, "x", "k2"))
        .await
    {
        Err(DeliveryError::Retryable(reason)) => assert!(reason.contains("451"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match mailer
        .send(&message("not an address", None, "x", "k3"))
        .await
    {
        Err(DeliveryError::Permanent(_)) => {}
        other => panic!("{other:?}"),
    }
    // After the refusals the connection still delivers.
    mailer
        .send(&message("ok@example.org", None, "fine", "k4"))
        .await
        .unwrap();
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn an_unreachable_server_is_retryable() {
    if Server::start("probe", &[]).await.is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // free, so closed
    let mut config = SmtpConfig::new("127.0.0.1", "no-reply@acme.example").unwrap();
    config.port = Some(port);
    config.security = Security::Plain;
    config.timeout = Duration::from_secs(2);
    let mailer = SmtpMailer::new(config).unwrap();
    match mailer.send(&message("a@example.org", None, "x", "k")).await {
        Err(DeliveryError::Retryable(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn authentication_is_used_and_a_wrong_password_is_permanent() {
    let Some(server) = Server::start("auth", &["--auth", "mailer:s3cret-pass"]).await else {
        return;
    };
    let good = server.mailer(Security::Plain, |c| {
        c.credentials("mailer", "s3cret-pass");
    });
    good.send(&message("d@example.org", None, "authenticated", "k1"))
        .await
        .unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["authenticated"], true);
    let bad = server.mailer(Security::Plain, |c| {
        c.credentials("mailer", "wrong");
    });
    match bad.send(&message("d@example.org", None, "x", "k2")).await {
        Err(DeliveryError::Permanent(reason)) => assert!(reason.contains("535"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// A self-signed certificate for `localhost`, made with the openssl command.
fn certificate(dir: &std::path::Path) -> Option<(PathBuf, PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
        // A server certificate, not a CA: webpki refuses CA certificates as end entities.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some((cert, key))
}

#[tokio::test]
async fn starttls_verifies_the_certificate() {
    let certs = temp_dir("certs");
    let Some((cert, key)) = certificate(&certs) else {
        assert!(std::env::var_os("CI").is_none(), "CI must have openssl");
        eprintln!("openssl is not available: test skipped");
        return;
    };
    let (cert_s, key_s) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let Some(server) = Server::start("tls", &["--tls", cert_s, key_s]).await else {
        return;
    };
    let pem = std::fs::read(&cert).unwrap();
    let trusted = server.mailer(Security::StartTls, |c| c.extra_roots.push(pem.clone()));
    trusted
        .send(&message("e@example.org", None, "over tls", "k1"))
        .await
        .unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["tls"], true);
    // Without the certificate's root, the server is not trusted: nothing is sent, and the
    // outbox will try again (an operator can add the root).
    let untrusted = server.mailer(Security::StartTls, |_| {});
    match untrusted
        .send(&message("e@example.org", None, "x", "k2"))
        .await
    {
        Err(DeliveryError::Retryable(_)) => {}
        other => panic!("{other:?}"),
    }
    // A server that requires STARTTLS refuses a plain client.
    let plain = server.mailer(Security::Plain, |_| {});
    match plain.send(&message("e@example.org", None, "x", "k3")).await {
        Err(DeliveryError::Permanent(reason)) => assert!(reason.contains("530"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 1);
    let _ = std::fs::remove_dir_all(&certs);
}
