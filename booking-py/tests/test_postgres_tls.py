"""PostgresStore over TLS: libpq's ``sslmode`` and ``sslrootcert`` in the connection string.

Needs a server with TLS whose certificate (for ``127.0.0.1`` and ``localhost``) is signed by
the CA in ``BOOKING_PG_TLS_CA``, as ``scripts/postgres-env`` starts one (``scripts/test-python``
then sets ``BOOKING_PY_REQUIRE_PG_TLS``, and these tests cannot be skipped).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import NOW, create_session, new_id

import booking_engine as booking

PG_URL = os.environ.get("BOOKING_PG_URL")
CA = os.environ.get("BOOKING_PG_TLS_CA")

if not (PG_URL and CA):
    if os.environ.get("BOOKING_PY_REQUIRE_PG_TLS"):
        raise RuntimeError("BOOKING_PY_REQUIRE_PG_TLS is set but BOOKING_PG_URL or BOOKING_PG_TLS_CA is not")
    pytest.skip("BOOKING_PG_URL and BOOKING_PG_TLS_CA are not set", allow_module_level=True)
assert PG_URL and CA


def with_params(url: str, **params: str) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def open_store(url: str) -> tuple[booking.PostgresStore, str]:
    """A store on a fresh schema, its connections named so that ``pg_stat_ssl`` can be asked."""
    name = f"tls-{uuid.uuid4().hex[:12]}"
    named = with_params(url, application_name=name) if "://" in url else f"{url} application_name={name}"
    return booking.PostgresStore(named, schema=f"t_{uuid.uuid4().hex}"), name


def encrypted(application_name: str) -> list[bool]:
    """Whether each server connection with this application name uses TLS."""
    import psycopg

    assert PG_URL
    with psycopg.connect(PG_URL, sslmode="disable") as db:
        rows = db.execute(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = %s",
            (application_name,),
        ).fetchall()
    return [row[0] for row in rows]


def works(store: booking.PostgresStore) -> None:
    engine = booking.Engine(store, clock=booking.ManualClock(NOW))
    teacher, student = new_id(), new_id()
    session = create_session(engine, teacher, 2)
    engine.book_seat(booking.Actor.student(student), session.id, student)
    assert engine.session(booking.Actor.system(), session.id).booked_seats == 1


@pytest.mark.parametrize("mode", ["require", "verify-full"])
def test_tls_with_the_servers_ca(mode: str) -> None:
    assert PG_URL and CA
    store, name = open_store(with_params(PG_URL, sslmode=mode, sslrootcert=CA))
    works(store)
    assert encrypted(name) and all(encrypted(name)), f"sslmode={mode}: not every connection is encrypted"


def test_tls_by_host_name_and_in_key_value_form() -> None:
    assert PG_URL and CA
    parts = urlsplit(PG_URL)
    # The certificate names "localhost" too.
    by_name = f"postgres://{parts.username}@localhost:{parts.port}{parts.path}"
    store, name = open_store(with_params(by_name, sslmode="verify-full", sslrootcert=CA))
    works(store)
    assert all(encrypted(name))
    key_values = (
        f"host=127.0.0.1 port={parts.port} user={parts.username} dbname={parts.path.lstrip('/')} "
        f"sslmode = verify-full sslrootcert='{CA}'"
    )
    store, name = open_store(key_values)
    works(store)
    assert all(encrypted(name))


def test_without_sslmode_the_connection_stays_plain() -> None:
    assert PG_URL
    store, name = open_store(PG_URL)
    works(store)
    assert encrypted(name) and not any(encrypted(name))


def other_ca(tmp_path: Path) -> str:
    key, cert = tmp_path / "other.key", tmp_path / "other.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "1", "-subj", "/CN=another CA", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert)


def test_verify_full_refuses_a_server_signed_by_another_ca(tmp_path: Path) -> None:
    assert PG_URL
    with pytest.raises(booking.StoreError) as caught:
        open_store(with_params(PG_URL, sslmode="verify-full", sslrootcert=other_ca(tmp_path)))
    message = str(caught.value)
    assert "UnknownIssuer" in message and "signed by a CA in sslrootcert" in message, message
    # Without sslrootcert the roots are the public CAs', which did not sign the test server.
    with pytest.raises(booking.StoreError, match="UnknownIssuer.*public CA"):
        open_store(with_params(PG_URL, sslmode="require"))


def test_verify_full_refuses_a_certificate_for_another_host_name() -> None:
    assert PG_URL and CA
    parts = urlsplit(PG_URL)
    # Connect to the server's address, but expect a certificate for another name.
    wrong = f"postgres://{parts.username}@db.wrong.example:{parts.port}{parts.path}"
    with pytest.raises(booking.StoreError) as caught:
        open_store(with_params(wrong, hostaddr="127.0.0.1", sslmode="verify-full", sslrootcert=CA))
    assert 'not valid for name "db.wrong.example"' in str(caught.value), str(caught.value)


def test_tls_parameters_are_checked(tmp_path: Path) -> None:
    assert PG_URL and CA
    cases = {
        "verify-ca": ("url", "verify-ca is not supported"),
        "allow": ("url", "sslmode=allow is not supported"),
        "sometimes": ("url", 'unknown sslmode "sometimes"'),
    }
    for mode, (field, text) in cases.items():
        with pytest.raises(booking.InvalidInputError, match=text) as caught:
            booking.PostgresStore(with_params(PG_URL, sslmode=mode, sslrootcert=CA))
        assert caught.value.details["field"] == field
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n")
    for path, text in [(str(tmp_path / "missing.pem"), "cannot be read"), (str(not_pem), "holds no certificate")]:
        with pytest.raises(booking.InvalidInputError, match=text) as caught:
            booking.PostgresStore(with_params(PG_URL, sslmode="verify-full", sslrootcert=path))
        assert caught.value.details["field"] == "sslrootcert"
    with pytest.raises(booking.InvalidInputError, match="sslmode=disable"):
        booking.PostgresStore(with_params(PG_URL, sslmode="disable", sslrootcert=CA))
    with pytest.raises(booking.InvalidInputError, match="percent-encoding"):
        booking.PostgresStore(f"{PG_URL}?sslrootcert=%zz")
    with pytest.raises(booking.InvalidInputError, match="unterminated"):
        booking.PostgresStore("host=127.0.0.1 sslrootcert='/tmp/ca.pem")
