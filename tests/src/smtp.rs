//! A small SMTP server for tests: it speaks enough of RFC 5321 for lettre (EHLO, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT, without TLS or auth) and keeps every message it accepts, so a test
//! can read the verification code a subject would have received.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent (headers and body, dot-unstuffed).
    pub data: String,
}

impl Received {
    /// The decoded subject line.
    pub fn subject(&self) -> String {
        let parsed = mailparse::parse_mail(self.data.as_bytes()).expect("a MIME message");
        mailparse::MailHeaderMap::get_first_value(parsed.headers.as_slice(), "Subject").unwrap_or_default()
    }

    /// The decoded body parts by MIME type (`text/plain`, `text/html`), whatever transfer
    /// encoding carried them.
    pub fn parts(&self) -> Vec<(String, String)> {
        fn walk(part: &mailparse::ParsedMail<'_>, out: &mut Vec<(String, String)>) {
            if part.subparts.is_empty() {
                out.push((part.ctype.mimetype.clone(), part.get_body().expect("a decodable part")));
            }
            for sub in &part.subparts {
                walk(sub, out);
            }
        }
        let parsed = mailparse::parse_mail(self.data.as_bytes()).expect("a MIME message");
        let mut out = Vec::new();
        walk(&parsed, &mut out);
        out
    }

    /// The verification code: the six digits after "code is " in the text part.
    pub fn code(&self) -> String {
        let text = self.part("text/plain");
        let at = text.find("code is ").expect("a verification code") + "code is ".len();
        text[at..at + 6].to_owned()
    }

    /// The decoded part of MIME type `mimetype`.
    pub fn part(&self, mimetype: &str) -> String {
        self.parts()
            .into_iter()
            .find(|(t, _)| t == mimetype)
            .map(|(_, body)| body)
            .unwrap_or_else(|| panic!("no {mimetype} part in {}", self.data))
    }
}

/// A running SMTP server on 127.0.0.1 and an ephemeral port; it stops with the test process.
#[derive(Clone)]
pub struct SmtpServer {
    /// The port it listens on.
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<Mutex<bool>>,
}

impl SmtpServer {
    /// Starts the server.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP test server");
        let port = listener.local_addr().expect("its address").port();
        let server = SmtpServer { port, inbox: Arc::default(), refuse: Arc::default() };
        let shared = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = shared.session(stream);
                });
            }
        });
        server
    }

    /// Points `settings` at this server (plain SMTP, sender `Privacy Team <privacy@lethe.test>`).
    pub fn configure(&self, settings: &mut gateway::Settings) {
        settings.smtp.host = Some("127.0.0.1".into());
        settings.smtp.port = self.port;
        settings.smtp.tls = gateway::config::SmtpTls::None;
        settings.smtp.from = Some("Privacy Team <privacy@lethe.test>".into());
    }

    /// From now on, answer every `MAIL FROM` with a permanent failure.
    pub fn refuse_mail(&self) {
        *self.refuse.lock().expect("lock") = true;
    }

    /// Messages received so far.
    pub fn messages(&self) -> Vec<Received> {
        self.inbox.lock().expect("lock").clone()
    }

    /// Waits (up to 10 s) for a message to `to` whose subject contains `subject`.
    pub fn wait_for_subject(&self, to: &str, subject: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) =
                self.messages().into_iter().find(|m| m.to.iter().any(|t| t == to) && m.subject().contains(subject))
            {
                return found;
            }
            assert!(Instant::now() < deadline, "no email to {to} about '{subject}' arrived");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (up to 10 s) for a message to `to` and returns it.
    pub fn wait_for(&self, to: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) = self.messages().into_iter().rev().find(|m| m.to.iter().any(|t| t == to)) {
                return found;
            }
            assert!(Instant::now() < deadline, "no email to {to} arrived");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut out = stream.try_clone()?;
        let mut reader = BufReader::new(stream);
        let mut reply = |text: &str| out.write_all(format!("{text}\r\n").as_bytes());
        reply("220 lethe-test ESMTP")?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                reply("250-lethe-test\r\n250 8BITMIME")?;
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                reply("250 OK")?;
            } else if upper.starts_with("MAIL FROM:") {
                if *self.refuse.lock().expect("lock") {
                    reply("550 5.7.1 Sender refused")?;
                    continue;
                }
                from = address(&command[10..]);
                to.clear();
                reply("250 OK")?;
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&command[8..]));
                reply("250 OK")?;
            } else if upper == "DATA" {
                reply("354 End data with <CR><LF>.<CR><LF>")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.inbox.lock().expect("lock").push(Received { from: from.clone(), to: to.clone(), data });
                reply("250 OK: queued")?;
            } else if upper.starts_with("RSET") {
                to.clear();
                reply("250 OK")?;
            } else if upper.starts_with("QUIT") {
                reply("221 Bye")?;
                return Ok(());
            } else {
                reply("502 Command not implemented")?;
            }
        }
    }
}

fn address(text: &str) -> String {
    text.trim().trim_start_matches('<').split('>').next().unwrap_or_default().to_owned()
}
