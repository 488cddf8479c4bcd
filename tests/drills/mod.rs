//! Incident drills: the seed playbooks run with `runbook run` against real
//! services on loopback with a fault injected; each drill asserts the path
//! from the run's journal and the effects from the services, then the same
//! with `--dry-run`, which must change nothing.

mod alertmanager;
mod alphaswarm;
mod disk_filling;
mod dry_runs;
mod pilot;
mod postgres;
mod prometheus;
mod redis;
mod redis_clients;
mod replication_slots;
mod support;
mod tls;
mod trevor;
