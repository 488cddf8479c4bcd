//! Drill of the Redis high-memory example
//! (playbooks/examples/redis-high-memory.yaml) against a real Redis filled
//! to its `maxmemory`: the eviction policy is switched under a gate and put
//! back once memory settles; a refused gate and a dry-run change nothing.

use super::support::{Drill, TestRedis};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PLAYBOOK: &str = "examples/redis-high-memory.yaml";

/// A Redis holding about 4 MB of keys, with `maxmemory` set to `percent`
/// of what it uses and the `noeviction` policy.
fn filled(percent: u64) -> TestRedis {
    let redis = TestRedis::start();
    redis.cli(&[
        "EVAL",
        "for i = 1, 200 do redis.call('SET', 'key:' .. i, string.rep('x', 20000)) end",
        "0",
    ]);
    let info = redis.cli(&["INFO", "memory"]);
    let used: u64 = info
        .lines()
        .find_map(|l| l.trim().strip_prefix("used_memory:"))
        .and_then(|n| n.parse().ok())
        .expect("used_memory in INFO");
    let limit = used * 100 / percent;
    redis.cli(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    redis.cli(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    redis
}

fn policy(redis: &TestRedis) -> String {
    redis
        .cli(&["CONFIG", "GET", "maxmemory-policy"])
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

fn args(redis: &TestRedis, approve: &[&str]) -> Vec<String> {
    let mut out = vec![
        format!("--input=port={}", redis.port()),
        "--input=poll=200ms".to_string(),
        "--input=settle=30s".to_string(),
    ];
    out.extend(approve.iter().map(|step| format!("--approve={step}")));
    out
}

#[test]
fn eviction_is_switched_then_put_back_once_memory_settles() {
    let redis = filled(100);
    let drill = Drill::new();
    // The application's side of the incident: once the policy allows
    // evicting keys with a TTL, memory comes down (here: the keys go).
    let switched = Arc::new(AtomicBool::new(false));
    let port = redis.port();
    let watcher = {
        let switched = switched.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                let out = std::process::Command::new("/usr/bin/redis-cli")
                    .args(["-p", &port.to_string(), "CONFIG", "GET", "maxmemory-policy"])
                    .output()
                    .expect("redis-cli");
                if String::from_utf8_lossy(&out.stdout).contains("volatile-lru") {
                    switched.store(true, Ordering::SeqCst);
                    std::process::Command::new("/usr/bin/redis-cli")
                        .args(["-p", &port.to_string(), "FLUSHALL"])
                        .output()
                        .expect("redis-cli");
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let args = args(&redis, &["evict", "restore_policy", "ticket"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = drill.run(PLAYBOOK, &args, false);
    watcher.join().unwrap();
    run.expect(
        0,
        &[
            ("memory", "succeeded"),
            ("evict", "succeeded"),
            ("stable", "succeeded"),
            ("restore_policy", "succeeded"),
            ("ticket", "succeeded"),
            ("no_limit", "skipped"),
            ("escalate", "skipped"),
        ],
    );
    assert!(
        switched.load(Ordering::SeqCst),
        "the policy was never switched"
    );
    assert_eq!(policy(&redis), "noeviction", "the policy was not put back");
}

#[test]
fn a_refused_gate_and_a_dry_run_change_nothing() {
    let redis = filled(100);
    let drill = Drill::new();
    let keys = redis.cli(&["DBSIZE"]);

    // No approval: the run stops at the eviction's gate.
    let none = args(&redis, &[]);
    let none: Vec<&str> = none.iter().map(String::as_str).collect();
    let run = drill.run(PLAYBOOK, &none, false);
    assert_eq!(run.code, 3, "{}", run.dump());
    assert_eq!(run.state("evict"), "rejected");
    assert_eq!(policy(&redis), "noeviction");

    // A dry-run reads memory and the big keys, and only describes the switch.
    let all = args(&redis, &["evict", "restore_policy", "ticket"]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let run = drill.run(PLAYBOOK, &all, true);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.state("bigkeys"), "succeeded");
    assert!(
        run.would_run()["evict"].contains("CONFIG SET maxmemory-policy volatile-lru"),
        "{:?}",
        run.would_run()
    );
    assert_eq!(
        policy(&redis),
        "noeviction",
        "a dry-run switched the policy"
    );
    assert_eq!(redis.cli(&["DBSIZE"]), keys, "a dry-run changed the keys");
}

#[test]
fn a_redis_with_room_left_is_only_read() {
    let redis = filled(40);
    let drill = Drill::new();
    let args = args(&redis, &["ticket"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = drill.run(PLAYBOOK, &args, false);
    run.expect(
        0,
        &[
            ("evict", "skipped"),
            ("stable", "succeeded"),
            ("restore_policy", "skipped"),
            ("ticket", "succeeded"),
        ],
    );
    assert_eq!(policy(&redis), "noeviction");
}
