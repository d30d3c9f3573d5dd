#![doc = include_str!("../README.md")]

mod http;
pub mod llm;
pub mod slack;
pub mod template;

pub use llm::{ChatMessage, ChatModel, LlmError, LlmSettings, OpenAiChat};
pub use slack::{Posted, Slack, SlackClient, SlackError, ThreadMessage};

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as LettreTls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

/// What can go wrong sending a message. Messages never contain credentials.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MessagingError {
    /// The settings cannot work (bad sender address, TLS set-up).
    #[error("messaging settings: {0}")]
    Settings(String),
    /// The recipient address is not an email address.
    #[error("invalid recipient address: {0}")]
    Recipient(String),
    /// The server refused or could not be reached.
    #[error("sending failed: {0}")]
    Send(String),
}

/// An email: plain text, or text and HTML alternatives of the same message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The HTML alternative of `body`; with it the email is `multipart/alternative`.
    pub html: Option<String>,
}

/// Something that delivers emails.
pub trait Mailer: Send + Sync {
    /// Sends `email`, returning once the server accepted it.
    fn send(&self, email: &Email) -> Result<(), MessagingError>;
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tls {
    /// Plain text (a local relay).
    None,
    /// Upgrade with STARTTLS (usually port 587).
    #[default]
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Where and how to send.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection security.
    pub tls: Tls,
    /// Login user, if the server needs one.
    pub username: Option<String>,
    /// Login password.
    pub password: Option<String>,
    /// Sender address (`privacy@example.com` or `Privacy Team <privacy@example.com>`).
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "**********"))
            .field("from", &self.from)
            .finish()
    }
}

/// Sends email through an SMTP server, reusing connections.
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
}

/// How long one SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(10);

impl SmtpMailer {
    /// A mailer for `settings`; nothing is connected until the first send.
    pub fn new(settings: &SmtpSettings) -> Result<SmtpMailer, MessagingError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| MessagingError::Settings(format!("from address '{}': {e}", settings.from)))?;
        let tls = match settings.tls {
            Tls::None => LettreTls::None,
            Tls::StartTls | Tls::Tls => {
                let parameters = TlsParameters::new(settings.host.clone())
                    .map_err(|e| MessagingError::Settings(format!("TLS: {e}")))?;
                if settings.tls == Tls::Tls { LettreTls::Wrapper(parameters) } else { LettreTls::Required(parameters) }
            }
        };
        let mut builder =
            SmtpTransport::builder_dangerous(&settings.host).port(settings.port).tls(tls).timeout(Some(TIMEOUT));
        if let Some(username) = &settings.username {
            builder =
                builder.credentials(Credentials::new(username.clone(), settings.password.clone().unwrap_or_default()));
        }
        Ok(SmtpMailer { transport: builder.build(), from })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, email: &Email) -> Result<(), MessagingError> {
        let to: Mailbox = email.to.parse().map_err(|_| MessagingError::Recipient(email.to.clone()))?;
        let builder = Message::builder().from(self.from.clone()).to(to).subject(email.subject.clone());
        let message = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.body.clone(), html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(email.body.clone()),
        }
        .map_err(|e| MessagingError::Send(e.to_string()))?;
        self.transport.send(&message).map_err(|e| {
            tracing::warn!(error = %e, "SMTP send failed");
            MessagingError::Send(e.to_string())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: 1,
            tls: Tls::None,
            username: Some("u".into()),
            password: Some("hunter2".into()),
            from: "privacy@example.com".into(),
        }
    }

    #[test]
    fn bad_addresses_are_refused_before_anything_is_sent() {
        let mut bad = settings();
        bad.from = "not an address".into();
        assert!(matches!(SmtpMailer::new(&bad), Err(MessagingError::Settings(_))));
        let mailer = SmtpMailer::new(&settings()).unwrap();
        let email = Email { to: "nobody".into(), subject: "s".into(), body: "b".into(), html: None };
        assert_eq!(mailer.send(&email), Err(MessagingError::Recipient("nobody".into())));
    }

    #[test]
    fn an_unreachable_server_is_an_error_not_a_hang() {
        let mailer = SmtpMailer::new(&settings()).unwrap();
        let email = Email { to: "jane@example.com".into(), subject: "s".into(), body: "b".into(), html: None };
        assert!(matches!(mailer.send(&email), Err(MessagingError::Send(_))));
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        assert!(!format!("{:?}", settings()).contains("hunter2"));
    }
}
