//! Drill of the max-clients example (playbooks/examples/
//! redis-max-clients.runbook) against a real Redis with a password holding
//! `$(id)`, quotes and `#`: a leaking client holds all but one of
//! `maxclients` connections, idle. A run whose operator calls it a leak
//! closes exactly those connections (one `CLIENT KILL` per client, behind
//! a gate); one who calls it load raises `maxclients` and closes nothing;
//! a dry-run changes nothing; the password is in nothing the runs left.

use super::support::{assert_gated, Drill, Run, TestRedis};
use crate::harness::wait_until;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const PLAYBOOK: &str = "examples/redis-max-clients.runbook";
const PASSWORD: &str = "pw$(id)\"q'#x";
const LEAKED: usize = 7;

/// One RESP command.
fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend(format!("${}\r\n{a}\r\n", a.len()).into_bytes());
    }
    out
}

/// A Redis whose `maxclients` is one more than the `LEAKED` idle
/// connections of `leaky-worker` it holds (the one left is the run's).
fn leaking() -> (TestRedis, Vec<TcpStream>) {
    let redis = TestRedis::with_password(PASSWORD);
    redis.cli(&["CONFIG", "SET", "maxclients", &(LEAKED + 1).to_string()]);
    let held: Vec<TcpStream> = (0..LEAKED)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", redis.port())).unwrap();
            let mut login = resp(&["AUTH", PASSWORD]);
            login.extend(resp(&["CLIENT", "SETNAME", "leaky-worker"]));
            s.write_all(&login).unwrap();
            let mut answer = [0u8; 10];
            let mut got = 0;
            // `+OK\r\n+OK\r\n`.
            while got < 10 {
                got += s.read(&mut answer[got..]).unwrap();
            }
            assert_eq!(&answer, b"+OK\r\n+OK\r\n");
            s
        })
        .collect();
    wait_until(
        "the leaked clients are idle",
        Duration::from_secs(30),
        || {
            let list = redis.cli(&["CLIENT", "LIST", "TYPE", "normal"]);
            list.lines()
                .filter(|l| l.contains("name=leaky-worker") && !l.contains(" idle=0 "))
                .count()
                == LEAKED
        },
    );
    (redis, held)
}

fn drill(redis: &TestRedis) -> Drill {
    let mut drill = Drill::new();
    drill.env("REDIS_ADMIN_URL", &redis.url);
    drill
}

fn leaked_connections(redis: &TestRedis) -> usize {
    redis
        .cli(&["CLIENT", "LIST", "TYPE", "normal"])
        .lines()
        .filter(|l| l.contains("name=leaky-worker"))
        .count()
}

fn assert_password_kept(run: &Run) {
    for (name, text) in run.kept() {
        assert!(!text.contains("pw$(id)"), "{name} holds the password");
        assert!(!text.contains("pw%24%28id%29"), "{name} holds the password");
    }
}

#[test]
fn a_leak_is_reclaimed_one_kill_per_idle_client() {
    let (redis, mut held) = leaking();
    let drill = drill(&redis);
    let run = drill.run(
        PLAYBOOK,
        &[
            "--input=idle_seconds=1",
            "--answer=cause=leak",
            "--approve=reclaim",
            "--answer=follow_up=done",
        ],
        false,
    );
    run.expect(
        0,
        &[
            ("info", "succeeded"),
            ("fine", "skipped"),
            ("who", "succeeded"),
            ("cause", "succeeded"),
            ("reclaim", "succeeded"),
            ("raise", "skipped"),
            ("headroom", "succeeded"),
            ("follow_up", "succeeded"),
        ],
    );
    assert_gated(&run, &["reclaim", "raise"]);
    let reclaimed = &run.finished("reclaim")["results"];
    assert_eq!(reclaimed["count"], LEAKED, "{reclaimed}");
    assert_eq!(leaked_connections(&redis), 0);
    // Each leaked connection was closed by the server.
    for s in &mut held {
        let mut buf = [0u8; 1];
        assert_eq!(s.read(&mut buf).unwrap(), 0);
    }
    assert_eq!(
        redis.cli(&["CONFIG", "GET", "maxclients"]),
        format!("maxclients\n{}", LEAKED + 1)
    );
    assert_password_kept(&run);
}

#[test]
fn real_load_raises_maxclients_and_closes_nothing() {
    let (redis, _held) = leaking();
    let drill = drill(&redis);
    let run = drill.run(
        PLAYBOOK,
        &[
            "--input=idle_seconds=1",
            "--input=new_maxclients=64",
            "--answer=cause=load",
            "--approve=raise",
            "--answer=follow_up=done",
        ],
        false,
    );
    run.expect(
        0,
        &[
            ("reclaim", "skipped"),
            ("raise", "succeeded"),
            ("headroom", "succeeded"),
        ],
    );
    assert_eq!(
        redis.cli(&["CONFIG", "GET", "maxclients"]),
        "maxclients\n64"
    );
    assert_eq!(leaked_connections(&redis), LEAKED);
    assert_password_kept(&run);
}

#[test]
fn a_dry_run_closes_no_connection_and_changes_no_limit() {
    let (redis, _held) = leaking();
    let drill = drill(&redis);
    let run = drill.run(
        PLAYBOOK,
        &["--input=idle_seconds=1", "--answer=cause=leak"],
        true,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The reads ran, and every connection to close was shown.
    assert_eq!(run.state("who"), "succeeded");
    let shown = run
        .events
        .iter()
        .filter(|e| e["event"] == "step_would_run" && e["step"] == "reclaim")
        .count();
    assert_eq!(shown, LEAKED);
    assert_eq!(leaked_connections(&redis), LEAKED);
    assert_eq!(
        redis.cli(&["CONFIG", "GET", "maxclients"]),
        format!("maxclients\n{}", LEAKED + 1)
    );
    assert_password_kept(&run);
}
