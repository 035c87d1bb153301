//! A network partition between an application host and PostgreSQL.
//!
//! The client (this test binary again, started with `ip netns exec` and [`CLIENT_ENV`]) runs
//! in a network namespace of its own, joined to the host by a veth pair on a private /30; the
//! test starts a PostgreSQL of its own listening on the host's end of the pair (and on
//! 127.0.0.1, where the test audits it). Cutting the link sets the host's end down: packets
//! from the client vanish (its side keeps its route and a permanent neighbour entry, so even
//! a new connection's SYN is silently dropped, never refused), and the server's answers find
//! no route. TCP sees a silent network, as in a real partition: no reset, no error.
//!
//! The run:
//!
//! 1. The client opens its store (2 s network and connect timeouts, a 5 s idle-in-transaction
//!    timeout), opens a host transaction with [`PgRepository::with_client`] that takes an
//!    advisory lock and inserts a row, and waits.
//! 2. The test locks the session row from an admin connection, lets the client's 4 threads
//!    book 48 seats (capacity 30) with request keys, and waits until a commit of theirs is
//!    blocked on that lock in the server. Then it cuts the link and releases the lock: that
//!    commit is applied, and its answer is lost.
//! 3. While cut off, every call of the client must end with `store_unavailable` (the test
//!    waits up to 60 s for that; a store without timeouts hangs for 15 minutes), the host
//!    transaction's `COMMIT` too, and the server must end the abandoned transaction and release
//!    its locks on its own (the idle-in-transaction timeout).
//! 4. The link comes back; the threads retry each failed command under its key. Later the
//!    link is cut once more at a random point of the run, and healed.
//! 5. The audit: every key has exactly one outcome; the commits applied while the client was
//!    cut off replay (`replayed: true`), with the booking the store holds; no booking is
//!    stored twice or lost, none is over the capacity, the outbox replays to the stored
//!    session, and no session of the client is left idle in a transaction or holding a lock.
//!
//! Skipped (with the reason printed) when not run as root, when `ip` is missing or `ip netns`
//! does not work here; with `BOOKING_REQUIRE_NETNS` set (as `scripts/test-all` does) a skip
//! is a failure. Needs PostgreSQL's server binaries (`initdb`, `pg_ctl`: Debian's
//! `postgresql`, which `scripts/postgres-env` installs), found in `BOOKING_PG_BIN` or
//! `/usr/lib/postgresql/<version>/bin`; it does not use `BOOKING_PG_URL`.
#![cfg(target_os = "linux")]

mod common;

use booking_core::{Actor, Engine, NewGroupSession, Receipt, Repository, SeatBooking, SeatStatus, SessionId, UserId};
use booking_postgres::{PgOptions, PgRepository};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Set in the client's environment (to its JSON configuration): the test function then plays
/// the client instead of the test.
const CLIENT_ENV: &str = "BOOKING_PARTITION_CLIENT";
/// Set (to anything but empty) to fail instead of skipping when the test cannot run here.
const REQUIRE_ENV: &str = "BOOKING_REQUIRE_NETNS";
/// This test's name, for `--exact` when the binary starts itself as the client.
const TEST_NAME: &str = "a_partitioned_client_fails_fast_and_its_retries_replay_the_first_outcome";
/// The client's `application_name`, to find its sessions on the server.
const APP: &str = "booking-partition-client";
const SCHEMA: &str = "partition";
const THREADS: u32 = 4;
const STUDENTS_PER_THREAD: u32 = 12;
const CAPACITY: u32 = 30;
/// The client's timeouts: short, so the test is quick; the defaults are documented in the
/// crate docs.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(3);
const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the test waits for something that must happen (a call failing, the server
/// cleaning up) before it calls it a hang. Far above every bound above.
const HANG: Duration = Duration::from_secs(60);

#[test]
fn a_partitioned_client_fails_fast_and_its_retries_replay_the_first_outcome() {
    if let Ok(config) = std::env::var(CLIENT_ENV) {
        client::run(&config);
        return;
    }
    let Some(net) = Netns::create() else { return };
    let server = Server::start(&net.host_ip, &net.ns_ip);
    orchestrate(&net, &server);
}

/// Prints why the test does not run, bypassing the test harness's capture; fails instead
/// when [`REQUIRE_ENV`] is set.
fn skip(reason: &str) {
    if std::env::var(REQUIRE_ENV).is_ok_and(|v| !v.is_empty()) {
        panic!("{REQUIRE_ENV} is set, but the partition test cannot run here: {reason}");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED partition test: {reason} (set {REQUIRE_ENV}=1 to fail instead)");
}

/// Runs a command to completion; `Err` with its stderr if it fails.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{program} {}: {} {}", args.join(" "), out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn ip(args: &[&str]) {
    run("ip", args).unwrap_or_else(|e| panic!("{e}"));
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The client's network namespace and the veth pair to it; removed on drop.
struct Netns {
    name: String,
    host_if: String,
    host_ip: String,
    ns_ip: String,
}

impl Netns {
    /// `None` (after [`skip`]) when namespaces cannot be made here.
    fn create() -> Option<Netns> {
        if effective_uid() != Some(0) {
            skip("not running as root (network namespaces need it)");
            return None;
        }
        if run("ip", &["-V"]).is_err() {
            skip("`ip` (iproute2) is not installed");
            return None;
        }
        remove_stale_namespaces();
        let pid = std::process::id();
        let name = format!("booking-part-{pid}");
        if let Err(e) = run("ip", &["netns", "add", &name]) {
            skip(&format!("`ip netns add` fails here: {e}"));
            return None;
        }
        let (host_if, ns_if) = (format!("bkp{pid}h"), format!("bkp{pid}n"));
        let (host_ip, ns_ip) = free_subnet(pid);
        let net = Netns { name, host_if, host_ip, ns_ip };
        if let Err(e) =
            run("ip", &["link", "add", &net.host_if, "type", "veth", "peer", "name", &ns_if, "netns", &net.name])
        {
            skip(&format!("no veth pair can be made here: {e}"));
            return None;
        }
        ip(&["addr", "add", &format!("{}/30", net.host_ip), "dev", &net.host_if]);
        ip(&["link", "set", &net.host_if, "up"]);
        ip(&["-n", &net.name, "addr", "add", &format!("{}/30", net.ns_ip), "dev", &ns_if]);
        ip(&["-n", &net.name, "link", "set", "lo", "up"]);
        ip(&["-n", &net.name, "link", "set", &ns_if, "up"]);
        // Without an ARP answer the client's kernel would report "no route to host" at once;
        // a permanent entry makes a cut link look like a silent network instead.
        let mac = std::fs::read_to_string(format!("/sys/class/net/{}/address", net.host_if))
            .expect("the host end's MAC address");
        ip(&[
            "-n",
            &net.name,
            "neigh",
            "replace",
            &net.host_ip,
            "lladdr",
            mac.trim(),
            "dev",
            &ns_if,
            "nud",
            "permanent",
        ]);
        Some(net)
    }

    /// Cuts the link: the host's end goes down, packets both ways vanish.
    fn cut(&self) {
        ip(&["link", "set", &self.host_if, "down"]);
    }

    fn heal(&self) {
        ip(&["link", "set", &self.host_if, "up"]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Removing the namespace removes the veth pair with it.
        let _ = run("ip", &["netns", "del", &self.name]);
    }
}

/// Removes the namespaces of earlier runs that were killed before they could clean up.
fn remove_stale_namespaces() {
    let Ok(list) = run("ip", &["netns", "list"]) else { return };
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        if let Some(pid) = name.strip_prefix("booking-part-")
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = run("ip", &["netns", "del", name]);
        }
    }
}

/// A /30 in 10.213.0.0/16 that no interface uses yet: the host's address and the client's.
fn free_subnet(seed: u32) -> (String, String) {
    let used = run("ip", &["-o", "-4", "addr", "show"]).unwrap_or_default();
    for i in 0..16_384u32 {
        let block = (seed.wrapping_add(i) % 16_384) * 4;
        let (a, b) = (block / 256, block % 256);
        let host = format!("10.213.{a}.{}", b + 1);
        let ns = format!("10.213.{a}.{}", b + 2);
        if !used.contains(&format!("{host}/")) && !used.contains(&format!("{ns}/")) {
            return (host, ns);
        }
    }
    panic!("no free /30 in 10.213.0.0/16");
}

/// A throwaway PostgreSQL listening on 127.0.0.1 and the host's end of the veth pair;
/// stopped and removed on drop.
struct Server {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("BOOKING_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin nor BOOKING_PG_BIN: \
             install Debian's postgresql (scripts/postgres-env does)"
        )
    })
}

impl Server {
    fn start(listen_also: &str, client: &str) -> Server {
        let bin = pg_bin();
        let dir = tempfile::Builder::new().prefix("booking-part-pg").tempdir().expect("a temporary directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Server { dir, bin, port };
        // PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
        run("chown", &["-R", "postgres", server.path()]).unwrap_or_else(|e| panic!("{e}"));
        let data = format!("{}/data", server.path());
        server.as_postgres(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"],
        );
        let mut hba = std::fs::OpenOptions::new().append(true).open(format!("{data}/pg_hba.conf")).unwrap();
        writeln!(hba, "host all all {client}/32 trust").unwrap();
        let options = format!(
            "-c listen_addresses=127.0.0.1,{listen_also} -p {port} -k {dir} -c max_connections=60 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            port = server.port,
            dir = server.path()
        );
        let log = format!("{}/server.log", server.path());
        server.as_postgres("pg_ctl", &["-D", &data, "-l", &log, "-w", "-t", "60", "-o", &options, "start"]);
        server
    }

    fn path(&self) -> &str {
        self.dir.path().to_str().expect("a UTF-8 path")
    }

    fn as_postgres(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut full = vec!["-u", "postgres", "--", program.to_str().unwrap()];
        full.extend_from_slice(args);
        if let Err(e) = run("runuser", &full) {
            let log = std::fs::read_to_string(format!("{}/server.log", self.path())).unwrap_or_default();
            panic!("{e}\n{log}");
        }
    }

    fn url(&self, host: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = format!("{}/data", self.path());
        let program = self.bin.join("pg_ctl");
        let _ = run(
            "runuser",
            &["-u", "postgres", "--", program.to_str().unwrap(), "-D", &data, "-m", "immediate", "-w", "stop"],
        );
    }
}

/// What the client printed so far (one JSON object per line), shared with the reader thread.
#[derive(Default)]
struct Output {
    lines: Vec<Value>,
    closed: bool,
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    output: Arc<Mutex<Output>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Client {
    fn spawn(net: &Netns, url: &str, session: SessionId) -> Client {
        let config = json!({ "url": url, "session": session });
        let exe = std::env::current_exe().expect("the test binary");
        let mut child = Command::new("ip")
            .args(["netns", "exec", &net.name])
            .arg(exe)
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
            .env(CLIENT_ENV, config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the client in the namespace");
        let stdin = child.stdin.take().unwrap();
        let (stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let output = Arc::new(Mutex::new(Output::default()));
        let shared = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // The harness's own output ("running 1 test", "test NAME ... " before the first
                // line of the client) is not JSON.
                if let Some(at) = line.find('{')
                    && let Ok(value) = serde_json::from_str::<Value>(&line[at..])
                {
                    shared.lock().unwrap().lines.push(value);
                }
            }
            shared.lock().unwrap().closed = true;
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        Client { child, stdin, output, stderr: Some(stderr) }
    }

    /// Everything the client wrote to stderr (once it has ended).
    fn stderr(&mut self) -> String {
        self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").and_then(|()| self.stdin.flush()).expect("writing to the client");
    }

    fn count(&self, pred: impl Fn(&Value) -> bool) -> usize {
        self.output.lock().unwrap().lines.iter().filter(|l| pred(l)).count()
    }

    /// Waits until `pred` holds of the client's output; a hang (or the client ending) fails
    /// the test with `what`.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&[Value]) -> bool) {
        let deadline = Instant::now() + HANG;
        loop {
            {
                let out = self.output.lock().unwrap();
                if pred(&out.lines) {
                    return;
                }
                if out.closed || Instant::now() > deadline {
                    drop(out);
                    let _ = self.child.kill();
                    let status = self.child.wait().ok();
                    let lines = self.output.lock().unwrap().lines.clone();
                    let tail: Vec<String> = lines.iter().rev().take(12).rev().map(Value::to_string).collect();
                    let stderr = self.stderr();
                    panic!(
                        "waited {}s for {what}: the client {}\nits last lines: {tail:#?}\nits stderr: {stderr}",
                        HANG.as_secs(),
                        if status.is_some_and(|s| s.code().is_some()) { "ended" } else { "hangs" },
                    );
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn ev(line: &Value) -> &str {
    line["ev"].as_str().unwrap_or("")
}

fn unavailable(line: &Value) -> bool {
    ev(line) == "error" && line["code"] == "store_unavailable"
}

fn orchestrate(net: &Netns, server: &Server) {
    let started = Instant::now();
    let local = server.url("127.0.0.1");
    let store = PgOptions::new(&local).unwrap().schema(SCHEMA).open().expect("opening the store on the test server");
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(11 << 96));
    let session = Engine::new(store.clone())
        .create_session(
            Actor::Teacher(teacher),
            NewGroupSession {
                teacher_id: teacher,
                course_id: None,
                title: "Across a partition".into(),
                starts_at: Utc::now() + TimeDelta::days(30),
                time_zone: "Europe/Berlin".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/partition".into(),
                capacity: CAPACITY,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .expect("creating the session")
        .value
        .id;
    let mut admin = admin_client(&local);
    let mut poller = admin_client(&local);
    let mut client = Client::spawn(net, &server.url(&net.host_ip), session);
    client.wait_for("the client to open its store and its host transaction", |l| l.iter().any(|l| ev(l) == "txopen"));

    // Phase 1: a commit in flight when the link is cut, applied while the client is cut off.
    let mut lock = admin.transaction().unwrap();
    lock.execute(&format!("SELECT 1 FROM {SCHEMA}.sessions WHERE id = $1 FOR UPDATE"), &[&session.as_uuid()]).unwrap();
    client.send("go");
    let deadline = Instant::now() + HANG;
    let blocked_query =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'";
    while count(&mut poller, blocked_query) == 0 {
        assert!(Instant::now() < deadline, "no commit of the client ever reached the locked session row");
        std::thread::sleep(Duration::from_millis(10));
    }
    let idle_in_transaction =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'";
    assert_eq!(
        count(&mut poller, idle_in_transaction),
        1,
        "the host transaction must still be open when the link is cut: {:?}",
        sessions_of_client(&mut poller)
    );
    net.cut();
    let cut_at = Instant::now();
    lock.rollback().unwrap();
    // The blocked commit is applied now; its answer goes nowhere.
    let deadline = Instant::now() + HANG;
    let in_the_dark: HashSet<String> = loop {
        let keys: Vec<String> =
            admin.query(&format!("SELECT key FROM {SCHEMA}.requests"), &[]).unwrap().iter().map(|r| r.get(0)).collect();
        if !keys.is_empty() {
            break keys.into_iter().collect();
        }
        assert!(Instant::now() < deadline, "the blocked commit was never applied");
        std::thread::sleep(Duration::from_millis(10));
    };
    client.send("commit");
    client.wait_for("store_unavailable for the host transaction's COMMIT while cut off", |l| {
        l.iter().any(|l| ev(l) == "tx")
    });
    client.wait_for("two commands failing with store_unavailable while cut off", |l| {
        l.iter().filter(|l| unavailable(l)).count() >= 2
    });
    let failing = cut_at.elapsed();
    // The server ends the cut-off client's open transaction by itself, releasing its locks.
    let deadline = Instant::now() + HANG;
    let held = "SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%') \
                + (SELECT count(*) FROM pg_locks WHERE granted AND pid IN \
                    (SELECT pid FROM pg_stat_activity WHERE application_name = $1))";
    while count(&mut admin, held) > 0 {
        assert!(
            Instant::now() < deadline,
            "60 s after the cut the server still keeps the cut-off client's transaction and locks: {:?}",
            sessions_of_client(&mut admin)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let released = cut_at.elapsed();
    assert!(
        client.count(|l| ev(l) == "ok") == 0,
        "a command succeeded while the client was cut off: {:?}",
        client.output.lock().unwrap().lines
    );
    net.heal();
    let first_partition = cut_at.elapsed();

    // Phase 2: once more, at a random point of the run.
    let done_before = client.count(|l| ev(l) == "ok");
    let more = 1 + (std::process::id() as usize ^ Utc::now().timestamp_subsec_nanos() as usize) % 8;
    client.wait_for("more commands to succeed after the link came back", |l| {
        l.iter().filter(|l| ev(l) == "ok").count() >= done_before + more
    });
    let errors_before = client.count(unavailable);
    net.cut();
    let second_cut = Instant::now();
    client.wait_for("store_unavailable after the second cut", |l| {
        l.iter().filter(|l| unavailable(l)).count() > errors_before
    });
    net.heal();
    let second_partition = second_cut.elapsed();

    client.wait_for("the client to finish", |l| l.iter().any(|l| ev(l) == "done"));
    let status = client.child.wait().unwrap();
    let stderr = client.stderr();
    assert!(status.success(), "the client failed ({status}): {stderr}");
    let lines = std::mem::take(&mut client.output.lock().unwrap().lines);
    let summary = audit(&store, &mut admin, session, &lines, &in_the_dark);
    eprintln!(
        "partition test: {summary}; first partition {:.1?} (calls failing within {failing:.1?}, server released \
         the abandoned transaction after {released:.1?}), second {second_partition:.1?}, in all {:.1?}",
        first_partition,
        started.elapsed()
    );
}

fn admin_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("an admin connection")
}

/// The count `sql` returns for the client's `application_name` as `$1`.
fn count(admin: &mut postgres::Client, sql: &str) -> i64 {
    admin.query_one(sql, &[&APP]).unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
}

fn sessions_of_client(admin: &mut postgres::Client) -> Vec<String> {
    admin
        .query(
            "SELECT format('%s %s %s', pid, state, query) FROM pg_stat_activity WHERE application_name = $1",
            &[&APP],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

/// Checks everything the client saw against the store; returns a one-line summary.
fn audit(
    store: &PgRepository,
    admin: &mut postgres::Client,
    session: SessionId,
    lines: &[Value],
    in_the_dark: &HashSet<String>,
) -> String {
    let mut outcomes: HashMap<String, Receipt<SeatBooking>> = HashMap::new();
    let mut errors: HashMap<String, u32> = HashMap::new();
    let mut slowest = 0u64;
    for line in lines {
        match ev(line) {
            "ok" => {
                let key = line["key"].as_str().unwrap().to_owned();
                let receipt: Receipt<SeatBooking> = serde_json::from_value(line["receipt"].clone()).unwrap();
                assert!(outcomes.insert(key.clone(), receipt).is_none(), "{key} succeeded twice");
            }
            "error" => {
                let key = line["key"].as_str().unwrap().to_owned();
                assert_eq!(
                    line["code"], "store_unavailable",
                    "{key} failed with something else than store_unavailable: {line}"
                );
                *errors.entry(key).or_default() += 1;
                slowest = slowest.max(line["ms"].as_u64().unwrap());
            }
            "tx" => {
                assert_eq!(line["code"], "store_unavailable", "the host transaction's COMMIT: {line}");
                slowest = slowest.max(line["ms"].as_u64().unwrap());
            }
            _ => {}
        }
    }
    let keys = (THREADS * STUDENTS_PER_THREAD) as usize;
    assert_eq!(outcomes.len(), keys, "every command ends with exactly one outcome");

    // The commits applied while the client was cut off replay their first outcome.
    for key in in_the_dark {
        let receipt = outcomes.get(key).unwrap_or_else(|| panic!("{key} was applied but the client never saw it"));
        assert!(receipt.replayed, "{key} was applied while cut off, yet its retry did not replay: {receipt:?}");
    }
    let replays = outcomes.values().filter(|r| r.replayed).count();
    for (key, receipt) in &outcomes {
        assert!(!receipt.replayed || errors.contains_key(key), "{key} replayed though it was sent only once");
    }

    // Nothing lost, nothing twice, nothing over the capacity.
    let stored = store.load_session(session).unwrap().unwrap();
    assert_eq!(stored.bookings.len(), keys, "{} bookings stored for {keys} commands", stored.bookings.len());
    let ids: HashSet<_> = outcomes.values().map(|r| r.value.id).collect();
    assert_eq!(ids.len(), keys, "two commands got the same booking");
    for (key, receipt) in &outcomes {
        let booking =
            stored.booking(receipt.value.id).unwrap_or_else(|| panic!("{key}: the confirmed booking is lost"));
        assert_eq!(booking.student_id, receipt.value.student_id, "{key}");
        assert_eq!(booking.status, receipt.value.status, "{key}: told {:?}, stored {booking:?}", receipt.value.status);
    }
    let students: HashSet<UserId> = stored.bookings.iter().map(|b| b.student_id).collect();
    assert_eq!(students.len(), keys, "a student holds two bookings");
    let confirmed = stored.bookings.iter().filter(|b| b.status == SeatStatus::Confirmed).count();
    assert_eq!(confirmed, CAPACITY as usize, "seats taken");
    assert!(stored.booked_seats() <= stored.capacity);
    let replay = common::audit::replay_outbox(store, session).unwrap_or_else(|e| panic!("outbox: {e}"));
    assert_eq!(replay.created.len(), keys);
    assert!(replay.created.values().all(|&n| n == 1), "a booking was created twice");

    // No session of the client left in a transaction, or holding a lock.
    let held = "SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%') \
                + (SELECT count(*) FROM pg_locks WHERE granted AND pid IN \
                    (SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state <> 'active'))";
    assert_eq!(count(admin, held), 0, "{:?}", sessions_of_client(admin));
    let failed: u32 = errors.values().sum();
    format!(
        "{keys} bookings, {failed} calls failed with store_unavailable (the slowest after {slowest} ms), \
         {replays} retries replayed a commit whose answer was lost ({} applied while cut off)",
        in_the_dark.len()
    )
}

/// The client, inside the namespace.
mod client {
    use super::*;
    use std::sync::mpsc;

    pub fn run(config: &str) {
        let config: Value = serde_json::from_str(config).expect("the client's configuration");
        let url = config["url"].as_str().unwrap();
        let session: SessionId = config["session"].as_str().unwrap().parse().unwrap();
        let store = PgOptions::new(url)
            .unwrap()
            .schema(SCHEMA)
            .application_name(APP)
            .max_connections(8)
            .network_timeout(NETWORK_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .connection_timeout(CONNECTION_TIMEOUT)
            .idle_in_transaction_timeout(IDLE_IN_TRANSACTION_TIMEOUT)
            .open()
            .expect("the client opens its store");
        let engine = Arc::new(Engine::new(store.clone()));
        let out = Arc::new(Mutex::new(std::io::stdout()));
        let print = {
            let out = Arc::clone(&out);
            move |line: Value| {
                let mut out = out.lock().unwrap();
                writeln!(out, "{line}").and_then(|()| out.flush()).expect("writing to the test");
            }
        };

        // A host transaction, holding locks, left open until the test says "commit".
        let (commit_tx, commit_rx) = mpsc::channel::<()>();
        let (open_tx, open_rx) = mpsc::channel::<()>();
        let host = {
            let (store, print) = (store.clone(), print.clone());
            std::thread::spawn(move || {
                let started = std::cell::Cell::new(None);
                let result = store.with_client(|c| {
                    let mut tx = c.transaction()?;
                    tx.execute("SELECT pg_advisory_xact_lock(4242)", &[])?;
                    tx.execute(
                        "INSERT INTO enrollments (student_id, course_id) VALUES ($1, $1)",
                        &[&uuid::Uuid::from_u128(4242)],
                    )?;
                    open_tx.send(()).unwrap();
                    commit_rx.recv().unwrap();
                    started.set(Some(Instant::now()));
                    tx.commit()
                });
                let ms = started.get().map_or(0, |t| t.elapsed().as_millis() as u64);
                match result {
                    Ok(()) => print(json!({ "ev": "tx", "code": null, "ms": ms })),
                    Err(e) => {
                        print(json!({ "ev": "tx", "code": booking_core::BookingError::from(e).code(), "ms": ms }))
                    }
                }
            })
        };
        open_rx.recv().unwrap();
        print(json!({ "ev": "txopen" }));

        let mut commands = std::io::stdin().lock().lines();
        assert_eq!(commands.next().unwrap().unwrap(), "go");
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (engine, print) = (Arc::clone(&engine), print.clone());
                std::thread::spawn(move || book(&engine, session, t, &print))
            })
            .collect();
        assert_eq!(commands.next().unwrap().unwrap(), "commit");
        commit_tx.send(()).unwrap();
        host.join().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        print(json!({ "ev": "done" }));
    }

    /// Books a seat for each of the thread's students under its own key, retrying a
    /// `store_unavailable` failure under the same key until the command succeeds.
    fn book(engine: &Engine<PgRepository>, session: SessionId, t: u32, print: &impl Fn(Value)) {
        for j in 0..STUDENTS_PER_THREAD {
            let student = UserId::from_uuid(uuid::Uuid::from_u128((u128::from(t) + 1) << 64 | u128::from(j)));
            let key = format!("t{t}-s{j}");
            loop {
                let started = Instant::now();
                match engine.book_seat(Actor::Student(student).with_key(key.clone()), session, student) {
                    Ok(receipt) => {
                        print(json!({ "ev": "ok", "key": key, "receipt": receipt }));
                        break;
                    }
                    Err(e) if e.code().is_retryable() => {
                        let ms = started.elapsed().as_millis() as u64;
                        print(
                            json!({ "ev": "error", "key": key, "code": e.code(), "ms": ms, "detail": e.to_string() }),
                        );
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    Err(e) => panic!("{key}: {e} ({})", e.code()),
                }
            }
            // Paced, so that the run is still going when the test cuts the link again.
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}
