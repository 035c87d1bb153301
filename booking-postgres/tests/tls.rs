//! TLS with rustls (feature `tls`): the store connects to a server whose certificate is
//! signed by the CA in `BOOKING_PG_TLS_CA` (a PEM file), verifies it, and refuses a server
//! it cannot verify. Needs `BOOKING_PG_URL` and `BOOKING_PG_TLS_CA` (scripts/test-all sets
//! both up).
#![cfg(feature = "tls")]

mod common;

use booking_core::{Actor, Engine, NewGroupSession, UserId};
use booking_postgres::{OpenError, PgOptions};
use chrono::{TimeDelta, Utc};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use std::sync::Arc;

fn client_config(roots: rustls::RootCertStore) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn require_tls(url: &str) -> String {
    format!("{url}{}sslmode=require", if url.contains('?') { '&' } else { '?' })
}

#[test]
fn connects_over_tls_and_refuses_an_unverified_server() {
    let ca = std::env::var("BOOKING_PG_TLS_CA").unwrap_or_else(|_| {
        panic!(
            "BOOKING_PG_TLS_CA is not set: the tls feature's test needs a server with TLS and the PEM file of \
             the CA that signed its certificate (scripts/test-all sets one up)"
        )
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(&ca).expect("reading BOOKING_PG_TLS_CA")).expect("a CA certificate");
    let url = require_tls(&common::url());
    let schema = common::fresh_schema();
    let store = PgOptions::new(&url).unwrap().schema(schema.clone()).tls(client_config(roots)).open().expect("TLS");
    let ssl: bool = store
        .with_client(|c| c.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])?.try_get(0))
        .unwrap();
    assert!(ssl, "the connection is not encrypted");

    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    let engine = Engine::new(store.clone());
    let new = NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Over TLS".into(),
        starts_at: Utc::now() + TimeDelta::days(1),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 30,
        meeting_link: "https://meet.example.com/tls".into(),
        capacity: 2,
        waitlist_enabled: false,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    };
    let session = engine.create_session(Actor::Teacher(teacher), new).expect("a command over TLS").value;
    assert_eq!(engine.session(Actor::System, session.id).unwrap().title, "Over TLS");
    store.with_client(|c| c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))).unwrap();

    // The public web's roots did not sign the test server's certificate: refused.
    let err = PgOptions::new(&url).unwrap().tls_with_webpki_roots().open().unwrap_err();
    assert!(matches!(err, OpenError::Connect(_)), "{err:?}");
}
