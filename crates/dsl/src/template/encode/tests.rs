//! Hostile values through each encoding, rendered as a step's parameter is.

use super::Encoding;
use crate::node::Text;
use crate::source::Span;
use crate::template::{fill, parse, FillError, Quoting};
use serde_json::{json, Value};

fn render_with(src: &str, encoding: Encoding, value: Value) -> Result<String, FillError> {
    let text = Text::verbatim(src, Span::new(0, src.len()));
    let template = parse(&text).expect("parses");
    let env = crate::expr::JsonEnv {
        root: json!({"inputs": {"x": value, "base": "https://api.example:8443/v1",
                                "host": "https://api.example:8443", "n": 5}}),
        states: Default::default(),
    };
    fill(&template, &env, Quoting::Encoded(encoding))
}

fn ok(src: &str, encoding: Encoding, value: Value) -> String {
    render_with(src, encoding, value).unwrap_or_else(|e| panic!("{src}: {e}"))
}

const HOSTILE: &[&str] = &[
    "../../admin?x#",
    "a/b",
    "nope\"} or vector(42)",
    "\", \"admin\": true, \"x\": \"",
    "line\nbreak",
    "it's",
    "$(touch pwned)",
    "web#frag",
    "%2e%2e",
    "{{x}}",
];

#[test]
fn url_path_and_query_values_are_percent_encoded() {
    let url = Encoding::Url;
    assert_eq!(
        ok(
            "http://h/api/{{inputs.x}}/logs",
            url,
            json!("../../admin?x#")
        ),
        "http://h/api/..%2F..%2Fadmin%3Fx%23/logs"
    );
    assert_eq!(
        ok("http://h/search?q={{inputs.x}}&n=1", url, json!("a&b=c d#")),
        "http://h/search?q=a%26b%3Dc%20d%23&n=1"
    );
    assert_eq!(
        ok("http://h/p#{{inputs.x}}", url, json!("a b")),
        "http://h/p#a%20b"
    );
    // `quote` shell-quotes, and the URL still encodes the result.
    assert_eq!(
        ok("http://h/{{quote inputs.x}}", url, json!("a b/c")),
        "http://h/%27a%20b%2Fc%27"
    );
    for bad in [".", ".."] {
        let e = render_with("http://h/{{inputs.x}}/", url, json!(bad)).unwrap_err();
        assert!(e.message.contains("move up the path"), "{}", e.message);
    }
    for value in HOSTILE {
        let out = ok("http://h/a/{{inputs.x}}?q={{inputs.x}}", url, json!(value));
        let (path, query) = out["http://h/a/".len()..].split_once("?q=").unwrap();
        assert!(!path.contains(['/', '?', '#']), "{out}");
        assert!(!query.contains(['&', '=', '#', '?']), "{out}");
    }
}

#[test]
fn url_scheme_and_host_only_from_a_base_url_at_the_start() {
    let url = Encoding::Url;
    assert_eq!(
        ok("{{inputs.base}}/health", url, json!(null)),
        "https://api.example:8443/v1/health"
    );
    for bad in [
        "evil.example/",
        "javascript:alert(1)",
        "http:///x",
        "http://a b/",
        "https://a#",
    ] {
        assert!(
            render_with("{{inputs.x}}/health", url, json!(bad)).is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        ok(
            "https://{{inputs.x}}.internal:8443/health",
            url,
            json!("api-2")
        ),
        "https://api-2.internal:8443/health"
    );
    for bad in [
        "evil.example/",
        "evil.example#",
        "u@evil.example",
        "a:1",
        "a b",
        "",
    ] {
        let e = render_with("https://{{inputs.x}}/health", url, json!(bad)).unwrap_err();
        assert!(e.message.contains("cannot go in the host"), "{}", e.message);
    }
    let e = render_with("{{inputs.host}}{{inputs.x}}", url, json!("@evil.example")).unwrap_err();
    assert!(e.message.contains("cannot go in the host"), "{}", e.message);
}

#[test]
fn a_connection_urls_authority_and_path_values_are_percent_encoded() {
    let url = Encoding::ServiceUrl;
    // A password stays one password, a host one host: neither adds a
    // user, a port, a database or a query.
    assert_eq!(
        ok("redis://:{{inputs.x}}@h:6379/0", url, json!("p@ss:w/rd #1")),
        "redis://:p%40ss%3Aw%2Frd%20%231@h:6379/0"
    );
    // Where no user information precedes it, the value may be a user, a
    // password or a host: encoded, it is one of them.
    assert_eq!(
        ok(
            "postgresql://{{inputs.x}}:5432/db",
            url,
            json!("evil@10.0.0.9")
        ),
        "postgresql://evil%4010.0.0.9:5432/db"
    );
    assert_eq!(
        ok("postgresql://u@h/{{inputs.x}}", url, json!("x?host=/tmp")),
        "postgresql://u@h/x%3Fhost%3D%2Ftmp"
    );
    assert_eq!(
        ok("redis://{{inputs.x}}:6379", url, json!("[::1]")),
        "redis://[::1]:6379"
    );
    // After the user information, a host: refused rather than encoded.
    assert_eq!(
        ok(
            "redis://:pw@{{inputs.x}}:6379",
            url,
            json!("cache-1.internal")
        ),
        "redis://:pw@cache-1.internal:6379"
    );
    for bad in ["evil@10.0.0.9", "h:1/2", "h/../x", ""] {
        let e = render_with("redis://:pw@{{inputs.x}}:6379", url, json!(bad)).unwrap_err();
        assert!(e.message.contains("host or port"), "{}", e.message);
    }
    assert_eq!(
        ok("redis://h:{{inputs.n}}", url, json!(null)),
        "redis://h:5"
    );
    for value in HOSTILE {
        let out = ok("redis://{{inputs.x}}:6379/{{inputs.x}}", url, json!(value));
        let (host, db) = out["redis://".len()..].split_once(":6379/").unwrap();
        assert!(!host.contains(['@', ':', '/', '?', '#', '\n']), "{out}");
        assert!(!db.contains(['/', '?', '#', '\n']), "{out}");
    }
    // The whole URL from one input, as it is; a space or a control
    // character is refused without quoting the value (it may be secret).
    assert_eq!(
        ok("{{inputs.x}}", url, json!("redis://:p%40ss@h:6379/2")),
        "redis://:p%40ss@h:6379/2"
    );
    let e = render_with("{{inputs.x}}", url, json!("redis://h\n:1")).unwrap_err();
    assert!(!e.message.contains("redis://h"), "{}", e.message);
    for bad in [".", ".."] {
        assert!(render_with("postgresql://h/{{inputs.x}}", url, json!(bad)).is_err());
    }
}

#[test]
fn json_values_cannot_change_the_structure() {
    let body = Encoding::JsonBody;
    let payload = "\", \"admin\": true, \"x\": \"";
    let out = ok(r#"{"user": "{{inputs.x}}"}"#, body, json!(payload));
    let parsed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed, json!({"user": payload}));
    let out = ok(
        r#"{"user": {{inputs.x}}, "n": {{inputs.n}}}"#,
        body,
        json!("a\nb"),
    );
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"user": "a\nb", "n": 5})
    );
    let out = ok(r#"[{{inputs.x}}, {"{{inputs.x}}": 1}]"#, body, json!("}]"));
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!(["}]", {"}]": 1}])
    );
    for value in HOSTILE {
        let out = ok(
            r#"{"a": "{{inputs.x}}", "b": {{inputs.x}}}"#,
            body,
            json!(value),
        );
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, json!({"a": value, "b": value}), "{out}");
    }
    assert!(render_with(r#"{"a": 1 {{inputs.x}}}"#, body, json!("x")).is_err());
    // Not JSON: text as it is.
    assert_eq!(ok("name={{inputs.x}}", body, json!("a b")), "name=a b");
}

#[test]
fn promql_strings_are_escaped_and_only_numbers_stand_alone() {
    let q = Encoding::PromQl;
    assert_eq!(
        ok(
            r#"up{job="{{inputs.x}}"}"#,
            q,
            json!("nope\"} or vector(42)")
        ),
        r#"up{job="nope\"} or vector(42)"}"#
    );
    assert_eq!(
        ok(r#"up{job='{{inputs.x}}'}"#, q, json!("a'b\\\nc")),
        r#"up{job='a\'b\\\nc'}"#
    );
    assert_eq!(ok("up > {{inputs.x}}", q, json!(0.5)), "up > 0.5");
    assert!(render_with("up > {{inputs.x}}", q, json!("1 or vector(1)")).is_err());
    assert!(render_with("up # {{inputs.x}}", q, json!("1")).is_err());
    assert!(render_with("up{job=`{{inputs.x}}`}", q, json!("a`b")).is_err());
    assert_eq!(
        ok("up{job=`{{inputs.x}}`}", q, json!("a\"b")),
        "up{job=`a\"b`}"
    );
    // In a regular-expression matcher the value matches itself only: `.*`
    // does not widen the query to every series.
    assert_eq!(
        ok(r#"up{job=~"{{inputs.x}}"}"#, q, json!(".*")),
        r#"up{job=~"\\.\\*"}"#
    );
    assert_eq!(
        ok(r#"up{pod !~ "{{inputs.x}}-.*"}"#, q, json!("web(1)|x")),
        r#"up{pod !~ "web\\(1\\)\\|x-.*"}"#
    );
    assert_eq!(
        ok("up{job=~`{{inputs.x}}`}", q, json!("a.b")),
        r"up{job=~`a\.b`}"
    );
    // A range: whole seconds of a duration, or of the unit written after.
    assert_eq!(ok("rate(x[{{inputs.x}}])", q, json!(300)), "rate(x[300s])");
    assert_eq!(ok("rate(x[{{inputs.x}}m])", q, json!(5)), "rate(x[5m])");
    assert_eq!(
        ok("max_over_time(x[1h:{{inputs.x}}])", q, json!(60)),
        "max_over_time(x[1h:60s])"
    );
    for bad in [json!(-3), json!(0), json!(1.5), json!("5m] or vector(1)")] {
        assert!(
            render_with("rate(x[{{inputs.x}}m])", q, bad.clone()).is_err(),
            "{bad}"
        );
    }
    // A `[` inside a string does not open a range.
    assert!(render_with(r#"up{a="["} > {{inputs.x}}"#, q, json!("1 or vector(1)")).is_err());
    // After a plain matcher, as before.
    assert_eq!(
        ok(r#"up{a=~"x", job="{{inputs.x}}"}"#, q, json!("a.b")),
        r#"up{a=~"x", job="a.b"}"#
    );
}

#[test]
fn kubernetes_names_and_selectors() {
    assert_eq!(
        ok("web-{{inputs.x}}", Encoding::K8sName, json!("0")),
        "web-0"
    );
    for bad in ["web#frag", "../x", "Web", "a/b", "a?b", ""] {
        assert!(
            render_with("{{inputs.x}}", Encoding::K8sName, json!(bad)).is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        ok("app={{inputs.x}}", Encoding::LabelSelector, json!("web")),
        "app=web"
    );
    for bad in ["web,env!=prod", "a b", "x)", "a=b"] {
        assert!(render_with("app={{inputs.x}}", Encoding::LabelSelector, json!(bad)).is_err());
    }
    assert_eq!(
        ok(
            "metadata.name={{inputs.x}}",
            Encoding::FieldSelector,
            json!("a,b=c\\")
        ),
        r"metadata.name=a\,b\=c\\"
    );
    assert!(super::dns1123_subdomain("web-0.api"));
    assert!(!super::dns1123_subdomain("web#frag"));
    assert!(!super::dns1123_subdomain("-web"));
    assert!(super::dns1123_label("kube-system"));
    assert!(!super::dns1123_label("a.b"));
}

fn render_path(src: &str, value: Value) -> Result<String, FillError> {
    let text = Text::verbatim(src, Span::new(0, src.len()));
    let template = parse(&text).expect("parses");
    let env = crate::expr::JsonEnv {
        root: json!({"inputs": {"dir": value.clone()},
                     "steps": {"list": {"outputs": {"name": value}}}}),
        states: Default::default(),
    };
    fill(&template, &env, Quoting::Encoded(Encoding::FilePath))
}

#[test]
fn a_value_inside_a_file_path_is_one_file_name() {
    let template = "/backups/{{steps.list.outputs.name}}.sql";
    assert_eq!(
        render_path(template, json!("db-1")).unwrap(),
        "/backups/db-1.sql"
    );
    for hostile in HOSTILE.iter().chain(&["..", ".", "", "x\0y", "\u{1b}[2J"]) {
        let hostile = hostile.to_string();
        let rendered = render_path(template, json!(hostile));
        if hostile.contains('/')
            || hostile.chars().any(char::is_control)
            || hostile.is_empty()
            || hostile == "."
            || hostile == ".."
        {
            assert!(rendered.is_err(), "{hostile:?} gave {rendered:?}");
        } else {
            // No separator, no control character: one (odd) file name.
            assert_eq!(rendered.unwrap(), format!("/backups/{hostile}.sql"));
        }
    }
}

#[test]
fn only_an_input_may_start_a_file_path_with_a_directory() {
    assert_eq!(
        render_path("{{inputs.dir}}/db.sql", json!("/var/backups")).unwrap(),
        "/var/backups/db.sql"
    );
    assert!(render_path("{{inputs.dir}}/db.sql", json!("/tmp/a\nb")).is_err());
    assert!(render_path("{{inputs.dir}}/db.sql", json!("")).is_err());
    assert!(render_path("{{steps.list.outputs.name}}/db.sql", json!("/etc")).is_err());
    assert_eq!(
        render_path("{{steps.list.outputs.name}}.json", json!("export")).unwrap(),
        "export.json"
    );
}
