//! The TLS settings of a PostgreSQL connection string, read the way libpq names them, for
//! `booking.PostgresStore`.
//!
//! The driver under `booking-postgres` (`tokio-postgres`) knows `sslmode` `disable`, `prefer`
//! and `require`, and no root certificate; `booking-postgres` (feature `tls`, rustls) always
//! verifies the server's certificate chain **and** host name against the roots it is given.
//! This module takes the libpq parameters out of the connection string (URL or key-value
//! form) and turns them into those settings:
//!
//! | `sslmode` | connection |
//! |---|---|
//! | `disable` | plain |
//! | `prefer` (the default) | plain; with `sslrootcert`, TLS when the server offers it, verified |
//! | `require`, `verify-full` | TLS or no connection, verified (libpq's `require` does not verify: here it does) |
//! | `verify-ca`, `allow` | refused: there is no TLS without the host-name check, nor plain-first |
//!
//! `sslrootcert` names a PEM file of the CA certificates to trust; without it (or with
//! `sslrootcert=system`) the roots are Mozilla's, those of the `webpki-roots` crate, as for
//! a server with a certificate from a public CA.

use crate::errors::{Error, Result, invalid};
use booking_postgres::PgOptions;
use postgres::config::SslMode;
use rustls::pki_types::{CertificateDer, pem::PemObject};
use std::sync::Arc;

/// How the store reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyFull,
}

impl Mode {
    fn parse(value: &str) -> Result<Self> {
        match value {
            "disable" => Ok(Mode::Disable),
            "prefer" => Ok(Mode::Prefer),
            "require" => Ok(Mode::Require),
            "verify-full" => Ok(Mode::VerifyFull),
            "verify-ca" => Err(invalid(
                "url",
                "sslmode=verify-ca is not supported: the store always checks the server's host name too; \
                 write sslmode=verify-full",
            )),
            "allow" => Err(invalid(
                "url",
                "sslmode=allow is not supported: write sslmode=disable, prefer, require or verify-full",
            )),
            other => Err(invalid(
                "url",
                format!("unknown sslmode {other:?}: write sslmode=disable, prefer, require or verify-full"),
            )),
        }
    }
}

/// The store's options for a libpq connection string, TLS included, and how TLS is set up
/// (for the message of a failed connection), if it is.
pub(crate) fn options(connection: &str) -> Result<(PgOptions, Option<String>)> {
    let (rest, sslmode, root_cert) = take_tls_parameters(connection)?;
    let mode = sslmode.as_deref().map(Mode::parse).transpose()?.unwrap_or(Mode::Prefer);
    let mut config = rest.parse::<postgres::Config>().map_err(|e| invalid("url", e.to_string()))?;
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        Mode::Prefer => SslMode::Prefer,
        Mode::Require | Mode::VerifyFull => SslMode::Require,
    });
    let options = PgOptions::from_config(config);
    let shown = sslmode.as_deref().unwrap_or("prefer");
    Ok(match (mode, root_cert.as_deref()) {
        (Mode::Disable, Some(_)) => {
            return Err(invalid("url", "sslrootcert is given but sslmode=disable: drop one of them"));
        }
        (Mode::Disable, None) | (Mode::Prefer, None) => (options, None),
        (_, None | Some("system")) => (
            options.tls_with_webpki_roots(),
            Some(format!(
                "sslmode={shown}: the server's certificate must be valid for its host name and signed by a public \
                 CA (Mozilla's roots); name your CA with sslrootcert=<PEM file>"
            )),
        ),
        (_, Some(path)) => (
            options.tls(client_config(path)?),
            Some(format!(
                "sslmode={shown}: the server's certificate must be valid for its host name and signed by a CA in \
                 sslrootcert={path:?}"
            )),
        ),
    })
}

/// A rustls client trusting the CA certificates of the PEM file at `path`.
fn client_config(path: &str) -> Result<rustls::ClientConfig> {
    let refuse = |why: String| invalid("sslrootcert", format!("{path:?}: {why}"));
    let mut roots = rustls::RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    for certificate in certificates {
        let certificate = certificate.map_err(|e| refuse(format!("is not a PEM file of certificates: {e}")))?;
        roots.add(certificate).map_err(|e| refuse(format!("holds a certificate rustls refuses: {e}")))?;
    }
    if roots.is_empty() {
        return Err(refuse("holds no certificate (expected PEM, -----BEGIN CERTIFICATE-----)".to_owned()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("rustls refuses its default protocol versions: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The connection string without its `sslmode` and `sslrootcert` parameters, and their
/// values (the last one given wins, as in libpq).
fn take_tls_parameters(connection: &str) -> Result<(String, Option<String>, Option<String>)> {
    let (mut sslmode, mut root_cert) = (None, None);
    let mut take = |key: &str, value: String| match key {
        "sslmode" => {
            sslmode = Some(value);
            true
        }
        "sslrootcert" => {
            root_cert = Some(value);
            true
        }
        _ => false,
    };
    let rest = if connection.starts_with("postgres://") || connection.starts_with("postgresql://") {
        take_from_url(connection, &mut take)?
    } else {
        take_from_key_values(connection, &mut take)?
    };
    Ok((rest, sslmode, root_cert))
}

/// URL form: the query's `key=value` pairs, percent-encoded, joined by `&`.
fn take_from_url(url: &str, take: &mut impl FnMut(&str, String) -> bool) -> Result<String> {
    let Some((base, query)) = url.split_once('?') else { return Ok(url.to_owned()) };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !take(&percent_decode(key)?, percent_decode(value)?) {
            kept.push(pair);
        }
    }
    Ok(if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) })
}

fn percent_decode(text: &str) -> Result<String> {
    let bad = || invalid("url", format!("bad percent-encoding in {text:?}"));
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// Key-value form (`host=db user=app sslmode=require`): libpq's syntax, a keyword, `=`, and
/// a value that is either single-quoted (with `\'` and `\\`) or runs to the next space (with
/// `\` escapes). The parameters not taken are kept as written.
fn take_from_key_values(text: &str, take: &mut impl FnMut(&str, String) -> bool) -> Result<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        if at(i).is_none() {
            break;
        }
        let start = i;
        while at(i).is_some_and(|c| c != '=' && !c.is_whitespace()) {
            i += 1;
        }
        let key = &text[offset(start)..offset(i)];
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        if at(i) != Some('=') {
            return Err(invalid("url", format!("expected `=` after {key:?} in the connection string")));
        }
        i += 1;
        while at(i).is_some_and(char::is_whitespace) {
            i += 1;
        }
        let mut value = String::new();
        if at(i) == Some('\'') {
            i += 1;
            loop {
                match at(i) {
                    None => return Err(invalid("url", format!("unterminated quoted value of {key:?}"))),
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') if at(i + 1).is_some() => {
                        value.push(at(i + 1).unwrap_or_default());
                        i += 2;
                    }
                    Some(c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(c) = at(i).filter(|c| !c.is_whitespace()) {
                if c == '\\' && at(i + 1).is_some() {
                    value.push(at(i + 1).unwrap_or_default());
                    i += 2;
                } else {
                    value.push(c);
                    i += 1;
                }
            }
        }
        if !take(key, value) {
            kept.push(&text[offset(start)..offset(i)]);
        }
    }
    Ok(kept.join(" "))
}
