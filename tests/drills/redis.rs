//! Drill of the Redis high-memory example
//! (playbooks/examples/redis-high-memory.yaml, native `redis` and
//! `silence` steps) against a real Redis filled to its `maxmemory`, behind
//! a password holding `$(id)` and quotes, and a real Alertmanager: the
//! alert is silenced for the work and the silence expired at the end; the
//! eviction policy is switched under a gate and put back once memory
//! settles; a refused gate and a dry-run change nothing in Redis; the
//! password appears in nothing the run leaves.

use super::support::{assert_gated, Drill, Run, TestRedis};
use crate::harness::alertmanager::{silences_at, TestAlertmanager};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PLAYBOOK: &str = "examples/redis-high-memory.yaml";

/// The server's password: a command substitution, both quotes, and the
/// characters a URL's user-info must encode.
const PASSWORD: &str = "pw$(id)\"q'@:/#x";

/// A Redis holding about 4 MB of keys, with `maxmemory` set to `percent`
/// of what it uses and the `noeviction` policy.
fn filled(percent: u64) -> TestRedis {
    let redis = TestRedis::with_password(PASSWORD);
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

/// A drill whose playbook reaches `redis` through `REDIS_URL` (the secret
/// input's environment variable) and `am`.
fn drill(redis: &TestRedis) -> Drill {
    let mut drill = Drill::new();
    drill
        .env("REDIS_URL", &redis.url)
        .env("USER", "drill-operator");
    drill
}

fn args(redis: &TestRedis, am: &TestAlertmanager, approve: &[&str]) -> Vec<String> {
    let mut out = vec![
        format!("--input=instance=127.0.0.1:{}", redis.port()),
        format!("--input=alertmanager_url={}", am.url),
        "--input=silence_for=30m".to_string(),
        "--input=poll=200ms".to_string(),
        "--input=settle=30s".to_string(),
    ];
    out.extend(approve.iter().map(|step| format!("--approve={step}")));
    out
}

fn run(drill: &Drill, args: &[String], dry: bool) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    drill.run(PLAYBOOK, &args, dry)
}

/// The password, alone or in the URL, in no form the masker knows, in
/// nothing the run left.
fn assert_password_kept(run: &Run, redis: &TestRedis) {
    let encoded = redis
        .url
        .trim_start_matches("redis://:")
        .split('@')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(encoded, PASSWORD, "the URL holds the password encoded");
    for (name, text) in run.kept() {
        for form in [PASSWORD, &encoded, &redis.url] {
            assert!(!text.contains(form), "{name} holds {form:?}");
        }
    }
}

/// The alert's silence: the only silence Alertmanager holds, made by this
/// run for this Redis's alert.
fn the_silence(am: &TestAlertmanager, redis: &TestRedis) -> serde_json::Value {
    let silences = am.silences();
    assert_eq!(silences.len(), 1, "{silences:#?}");
    let silence = silences.into_iter().next().unwrap();
    assert_eq!(silence["createdBy"], "drill-operator");
    let mut matchers: Vec<(String, String)> = silence["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["isRegex"], false);
            assert_eq!(m["isEqual"], true);
            (
                m["name"].as_str().unwrap().to_string(),
                m["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    matchers.sort();
    assert_eq!(
        matchers,
        vec![
            ("alertname".to_string(), "RedisMemoryCritical".to_string()),
            (
                "instance".to_string(),
                format!("127.0.0.1:{}", redis.port())
            ),
        ]
    );
    silence
}

#[test]
fn eviction_is_switched_then_put_back_once_memory_settles() {
    let redis = filled(100);
    let am = TestAlertmanager::start();
    let drill = drill(&redis);
    // The application's side of the incident: once the policy allows
    // evicting keys with a TTL, memory comes down (here: the keys go). It
    // also notes whether the alert was silenced while the policy was
    // switched.
    let switched = Arc::new(AtomicBool::new(false));
    let silenced = Arc::new(AtomicBool::new(false));
    let port = redis.port();
    let am_url = am.url.clone();
    let watcher = {
        let (switched, silenced) = (switched.clone(), silenced.clone());
        std::thread::spawn(move || {
            let cli = |args: &[&str]| {
                let out = std::process::Command::new("/usr/bin/redis-cli")
                    .args(["-p", &port.to_string()])
                    .args(args)
                    .env("REDISCLI_AUTH", PASSWORD)
                    .output()
                    .expect("redis-cli");
                String::from_utf8_lossy(&out.stdout).into_owned()
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if cli(&["CONFIG", "GET", "maxmemory-policy"]).contains("volatile-lru") {
                    switched.store(true, Ordering::SeqCst);
                    let active = silences_at(&am_url)
                        .iter()
                        .any(|s| s["status"]["state"] == "active");
                    silenced.store(active, Ordering::SeqCst);
                    cli(&["FLUSHALL"]);
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let run = run(
        &drill,
        &args(&redis, &am, &["evict", "restore_policy", "ticket"]),
        false,
    );
    watcher.join().unwrap();
    run.expect(
        0,
        &[
            ("mute", "succeeded"),
            ("memory", "succeeded"),
            ("keys", "succeeded"),
            ("bigkeys", "succeeded"),
            ("biggest", "succeeded"),
            ("evict", "succeeded"),
            ("stable", "succeeded"),
            ("restore_policy", "succeeded"),
            ("ticket", "succeeded"),
            ("unmute", "succeeded"),
            ("no_limit", "skipped"),
            ("escalate", "skipped"),
        ],
    );
    assert_gated(&run, &["evict", "restore_policy"]);
    assert!(
        switched.load(Ordering::SeqCst),
        "the policy was never switched"
    );
    assert!(
        silenced.load(Ordering::SeqCst),
        "the alert was not silenced while the policy was switched"
    );
    assert_eq!(policy(&redis), "noeviction", "the policy was not put back");
    // Every key of the page was measured, each about 20 kB.
    let measured = &run.finished("bigkeys")["results"];
    assert_eq!(measured["count"], 200);
    let sizes: Vec<i64> = measured["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["value"].as_i64().unwrap_or_default())
        .collect();
    assert!(sizes.iter().all(|n| *n >= 20000), "{sizes:?}");
    // The silence is gone at the end: expired by `unmute`.
    let silence = the_silence(&am, &redis);
    assert_eq!(silence["status"]["state"], "expired", "{silence:#}");
    assert_eq!(run.finished("unmute")["results"]["id"], silence["id"]);
    assert_password_kept(&run, &redis);
}

#[test]
fn a_refused_gate_and_a_dry_run_change_nothing() {
    let redis = filled(100);
    let am = TestAlertmanager::start();
    let drill = drill(&redis);
    let keys = redis.cli(&["DBSIZE"]);

    // No approval: the run stops at the eviction's gate. The alert stays
    // silenced, by a silence that ends by itself.
    let run_none = run(&drill, &args(&redis, &am, &[]), false);
    assert_eq!(run_none.code, 3, "{}", run_none.dump());
    assert_eq!(run_none.state("evict"), "rejected");
    assert_eq!(policy(&redis), "noeviction");
    let silence = the_silence(&am, &redis);
    assert_eq!(silence["status"]["state"], "active");
    assert_eq!(run_none.finished("mute")["results"]["id"], silence["id"]);
    assert_password_kept(&run_none, &redis);

    // A dry-run reads memory and the big keys, and only describes the
    // switch and the silence.
    let all = args(&redis, &am, &["evict", "restore_policy", "ticket"]);
    let dry = run(&drill, &all, true);
    assert_eq!(dry.code, 0, "{}", dry.dump());
    assert_eq!(dry.state("bigkeys"), "succeeded");
    let would_run = dry.would_run();
    assert!(
        would_run["evict"].contains("CONFIG SET maxmemory-policy volatile-lru"),
        "{would_run:?}"
    );
    assert!(
        would_run["mute"].contains("create a silence"),
        "{would_run:?}"
    );
    assert_eq!(
        policy(&redis),
        "noeviction",
        "a dry-run switched the policy"
    );
    assert_eq!(redis.cli(&["DBSIZE"]), keys, "a dry-run changed the keys");
    assert_eq!(am.silences().len(), 1, "a dry-run created a silence");
    assert_password_kept(&dry, &redis);
}

#[test]
fn a_redis_with_room_left_is_only_read() {
    let redis = filled(40);
    let am = TestAlertmanager::start();
    let drill = drill(&redis);
    let run = run(&drill, &args(&redis, &am, &["ticket"]), false);
    run.expect(
        0,
        &[
            ("evict", "skipped"),
            ("stable", "succeeded"),
            ("restore_policy", "skipped"),
            ("ticket", "succeeded"),
            ("unmute", "succeeded"),
        ],
    );
    assert_eq!(policy(&redis), "noeviction");
    assert_eq!(the_silence(&am, &redis)["status"]["state"], "expired");
    assert_password_kept(&run, &redis);
}
