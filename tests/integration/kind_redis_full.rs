//! A Redis that holds `maxclients` connections refuses a step's own
//! connection before reading its login. Found running a "max number of
//! clients reached" playbook by hand: the step said "refused the login",
//! which sends the operator after the password. Against a real Redis whose
//! connections are all taken: the message says the server is full, and
//! the password stays out of it.

use crate::harness::redis::TestRedis;
use crate::harness::{run_playbook, wait_until};
use std::net::TcpStream;
use std::time::Duration;

const PASSWORD: &str = "s3cr:t@pw&x=y $(id) \"q\"";

#[test]
fn a_full_redis_is_said_to_be_full_not_to_refuse_the_login() {
    let redis = TestRedis::with_password(PASSWORD);
    redis.cli(&["CONFIG", "SET", "maxclients", "3"]);
    let held: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(("127.0.0.1", redis.port())).unwrap())
        .collect();
    wait_until(
        "Redis counts the held connections",
        Duration::from_secs(20),
        || {
            // A connection of ours over the limit is told so at once.
            std::process::Command::new("redis-cli")
                .args(["-p", &redis.port().to_string(), "PING"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("max number of clients"))
                .unwrap_or(false)
        },
    );
    let ran = run_playbook(
        "full.yaml",
        "name: full\ninputs:\n  redis:\n    type: string\n    secret: true\n    env: FULL_REDIS\nsteps:\n  - id: clients\n    redis:\n      url: \"{{inputs.redis}}\"\n      command: INFO\n",
        &[],
        &[("FULL_REDIS", &redis.url)],
    );
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let message = ran.finished("clients")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        message,
        format!(
            "Redis at 127.0.0.1:{}/0 refused the connection: it holds `maxclients` connections \
             already (ERR max number of clients reached); each `redis` step opens one connection \
             of its own while it runs",
            redis.port()
        )
    );
    for text in [&ran.stdout, &ran.stderr] {
        assert!(!text.contains("s3cr"), "{text}");
        assert!(!text.contains("refused the login"), "{text}");
    }
    drop(held);
}
