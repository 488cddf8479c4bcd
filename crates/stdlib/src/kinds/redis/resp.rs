//! RESP, the Redis protocol, as far as one command and its reply need it.
//!
//! A command goes out as an array of bulk strings, each argument with its
//! length in front, so no byte of a value (`\r\n`, a space, `*1`) is ever
//! read by the server as anything but that argument's content.
//!
//! A reply (RESP2 or RESP3) is read straight into the expression value:
//! integers, strings (UTF-8, lossily: see docs/stdlib.md), null, lists,
//! maps as records. It is read within the step's output cap: the elements
//! of a top-level list or map are kept while they fit, a top-level string
//! keeps its head, and reading stops there (the connection is closed after
//! the reply, so what was not read does not matter). Declared lengths are
//! never trusted for allocation.

use crate::capped::Items;
use runbook_runtime::action::BoxFuture;
use serde_json::{Map, Number, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// How deep replies nest before the reader calls it a protocol error.
const MAX_DEPTH: usize = 32;

/// One command, encoded: `*N\r\n` then `$LEN\r\nBYTES\r\n` per argument.
pub fn encode(argv: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for arg in argv {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A reply that is not an error reply.
#[derive(Debug, PartialEq)]
pub struct Reply {
    pub value: Value,
    /// More came than the output cap keeps: `value` holds the head.
    pub truncated: bool,
}

/// Why a reply could not be read.
#[derive(Debug)]
pub enum Fail {
    /// The server answered with an error reply (`-ERR ...`): its message.
    Server(String),
    Io(std::io::Error),
    /// The bytes are not RESP.
    Protocol(String),
    /// Past the output cap inside an element (internal: ends the reading).
    Cap,
}

impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Fail {
        Fail::Io(e)
    }
}

/// Reads one reply, keeping at most about `cap` bytes of it.
pub async fn read<R: AsyncBufRead + Unpin + Send>(
    reader: &mut R,
    cap: usize,
) -> Result<Reply, Fail> {
    let mut r = Reader {
        inner: reader,
        left: cap,
    };
    loop {
        let (kind, header) = r.header(cap).await?;
        match kind {
            b'|' => {
                // An attribute (RESP3) comes before the reply it is about.
                let n = r.length(&header)?.unwrap_or(0);
                for _ in 0..n * 2 {
                    r.value(1).await?;
                }
                r.left = cap;
            }
            b'-' => return Err(Fail::Server(lossy(&header))),
            b'!' => {
                let text = r.bulk(&header, cap).await?.map(|(b, _)| lossy(&b));
                return Err(Fail::Server(text.unwrap_or_default()));
            }
            b'$' | b'=' => {
                return Ok(match r.bulk(&header, cap).await? {
                    None => Reply {
                        value: Value::Null,
                        truncated: false,
                    },
                    Some((bytes, truncated)) => Reply {
                        value: text(kind, &bytes),
                        truncated,
                    },
                })
            }
            b'*' | b'~' | b'>' | b'%' => return r.top_aggregate(kind, &header, cap).await,
            _ => {
                return Ok(Reply {
                    value: scalar(kind, &header)?,
                    truncated: false,
                })
            }
        }
    }
}

struct Reader<'a, R> {
    inner: &'a mut R,
    /// Bytes of an element the cap still allows.
    left: usize,
}

impl<R: AsyncBufRead + Unpin + Send> Reader<'_, R> {
    /// A line's type byte and the rest of it, without `\r\n`; at most
    /// `limit` bytes long.
    async fn header(&mut self, limit: usize) -> Result<(u8, Vec<u8>), Fail> {
        let mut line = Vec::new();
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                return Err(Fail::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            let (done, used) = match available.iter().position(|b| *b == b'\n') {
                Some(at) => {
                    line.extend_from_slice(&available[..at]);
                    (true, at + 1)
                }
                None => {
                    line.extend_from_slice(available);
                    (false, available.len())
                }
            };
            self.inner.consume(used);
            if line.len() > limit.max(1024) {
                return Err(Fail::Cap);
            }
            if done {
                break;
            }
        }
        if line.pop() != Some(b'\r') || line.is_empty() {
            return Err(Fail::Protocol("a reply line does not end in CRLF".into()));
        }
        let kind = line.remove(0);
        Ok((kind, line))
    }

    /// The length a header gives; `None` for `-1` (RESP2's null).
    fn length(&self, header: &[u8]) -> Result<Option<usize>, Fail> {
        let text = std::str::from_utf8(header).unwrap_or("");
        match text.parse::<i64>() {
            Ok(-1) => Ok(None),
            Ok(n) if n >= 0 => Ok(Some(n as usize)),
            _ => Err(Fail::Protocol(format!(
                "`{}` is not a length",
                lossy(header)
            ))),
        }
    }

    /// A bulk string's bytes, at most `keep` of them (the head) and whether
    /// it was longer; `None` for a null bulk. Stops reading past `keep`.
    async fn bulk(&mut self, header: &[u8], keep: usize) -> Result<Option<(Vec<u8>, bool)>, Fail> {
        let Some(len) = self.length(header)? else {
            return Ok(None);
        };
        let take = len.min(keep);
        let mut bytes = Vec::new();
        (&mut *self.inner)
            .take(take as u64)
            .read_to_end(&mut bytes)
            .await?;
        if bytes.len() < take {
            return Err(Fail::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        if len > keep {
            return Ok(Some((bytes, true)));
        }
        let mut end = [0u8; 2];
        self.inner.read_exact(&mut end).await?;
        if &end != b"\r\n" {
            return Err(Fail::Protocol("a bulk string does not end in CRLF".into()));
        }
        Ok(Some((bytes, false)))
    }

    /// A top-level list, set or map: its elements kept while they fit.
    async fn top_aggregate(&mut self, kind: u8, header: &[u8], cap: usize) -> Result<Reply, Fail> {
        let Some(n) = self.length(header)? else {
            return Ok(Reply {
                value: Value::Null,
                truncated: false,
            });
        };
        let mut items = Items::new(cap);
        let mut list = Vec::new();
        let mut map = Map::new();
        for _ in 0..n {
            self.left = cap;
            let item = if kind == b'%' {
                match self.value(1).await {
                    Ok(key) => self.value(1).await.map(|v| (Some(key), v)),
                    Err(e) => Err(e),
                }
            } else {
                self.value(1).await.map(|v| (None, v))
            };
            let (key, value) = match item {
                Ok(item) => item,
                Err(Fail::Cap) => return Ok(aggregate(kind, list, map, true)),
                Err(e) => return Err(e),
            };
            let admitted = match &key {
                Some(key) => items.admit(&Value::Array(vec![key.clone(), value.clone()])),
                None => items.admit(&value),
            };
            if !admitted {
                return Ok(aggregate(kind, list, map, true));
            }
            match key {
                Some(key) => {
                    map.insert(key_text(key), value);
                }
                None => list.push(value),
            }
        }
        Ok(aggregate(kind, list, map, false))
    }

    /// Any value inside an aggregate, within what is left of the cap.
    fn value(&mut self, depth: usize) -> BoxFuture<'_, Result<Value, Fail>> {
        Box::pin(async move {
            if depth > MAX_DEPTH {
                return Err(Fail::Protocol("the reply nests too deep".into()));
            }
            let left = self.left;
            let (kind, header) = self.header(left).await?;
            self.spend(header.len() + 3)?;
            match kind {
                b'$' | b'=' | b'!' => {
                    // An element longer than what is left is not read at all.
                    if self.length(&header)?.is_some_and(|len| len > self.left) {
                        return Err(Fail::Cap);
                    }
                    let left = self.left;
                    match self.bulk(&header, left).await? {
                        None => Ok(Value::Null),
                        Some((_, true)) => Err(Fail::Cap),
                        Some((bytes, false)) => {
                            self.spend(bytes.len() + 2)?;
                            Ok(text(kind, &bytes))
                        }
                    }
                }
                b'*' | b'~' | b'>' => {
                    let Some(n) = self.length(&header)? else {
                        return Ok(Value::Null);
                    };
                    let mut list = Vec::new();
                    for _ in 0..n {
                        list.push(self.value(depth + 1).await?);
                    }
                    Ok(Value::Array(list))
                }
                b'%' | b'|' => {
                    let n = self.length(&header)?.unwrap_or(0);
                    let mut map = Map::new();
                    for _ in 0..n {
                        let key = self.value(depth + 1).await?;
                        let value = self.value(depth + 1).await?;
                        map.insert(key_text(key), value);
                    }
                    Ok(Value::Object(map))
                }
                _ => scalar(kind, &header),
            }
        })
    }

    fn spend(&mut self, bytes: usize) -> Result<(), Fail> {
        self.left = self.left.checked_sub(bytes).ok_or(Fail::Cap)?;
        Ok(())
    }
}

/// A value that fits on its header line.
fn scalar(kind: u8, header: &[u8]) -> Result<Value, Fail> {
    let line = lossy(header);
    Ok(match kind {
        b'+' | b'-' => Value::String(line),
        b':' => line
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| Fail::Protocol(format!("`{line}` is not an integer")))?,
        b'_' => Value::Null,
        b'#' => Value::Bool(line == "t"),
        b',' => line
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(line)),
        b'(' => line
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(line)),
        other => {
            return Err(Fail::Protocol(format!(
                "unknown reply type `{}`",
                (other as char).escape_default()
            )))
        }
    })
}

fn aggregate(kind: u8, list: Vec<Value>, map: Map<String, Value>, truncated: bool) -> Reply {
    let value = if kind == b'%' {
        Value::Object(map)
    } else {
        Value::Array(list)
    };
    Reply { value, truncated }
}

/// A map key as the record's field name: a string as itself, anything
/// else as its JSON text.
fn key_text(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A bulk string as text; a verbatim string (`=`) without its format
/// prefix (`txt:`).
fn text(kind: u8, bytes: &[u8]) -> Value {
    let bytes = match kind {
        b'=' if bytes.len() >= 4 && bytes[3] == b':' => &bytes[4..],
        _ => bytes,
    };
    Value::String(lossy(bytes))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn parse(bytes: &[u8], cap: usize) -> Result<Reply, Fail> {
        let mut reader = tokio::io::BufReader::new(bytes);
        read(&mut reader, cap).await
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_hostile_argument_is_one_bulk_string() {
        let argv: [&[u8]; 2] = [b"SET", b"\r\n*1\r\n$8\r\nFLUSHALL\r\n"];
        assert_eq!(
            encode(&argv),
            b"*2\r\n$3\r\nSET\r\n$20\r\n\r\n*1\r\n$8\r\nFLUSHALL\r\n\r\n"
        );
    }

    #[test]
    fn replies_become_values() {
        run(async {
            let v = |b: &'static [u8]| async move { parse(b, 1024).await.unwrap().value };
            assert_eq!(v(b":42\r\n").await, json!(42));
            assert_eq!(v(b"+PONG\r\n").await, json!("PONG"));
            assert_eq!(v(b"$5\r\nhello\r\n").await, json!("hello"));
            assert_eq!(v(b"$-1\r\n").await, Value::Null);
            assert_eq!(v(b"_\r\n").await, Value::Null);
            assert_eq!(v(b"#t\r\n").await, json!(true));
            assert_eq!(v(b",1.5\r\n").await, json!(1.5));
            assert_eq!(v(b",inf\r\n").await, json!("inf"));
            assert_eq!(v(b"=8\r\ntxt:abcd\r\n").await, json!("abcd"));
            assert_eq!(
                v(b"*3\r\n:1\r\n$1\r\na\r\n*-1\r\n").await,
                json!([1, "a", null])
            );
            assert_eq!(
                v(b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*1\r\n+x\r\n").await,
                json!({"a": 1, "b": ["x"]})
            );
            assert_eq!(v(b"|1\r\n+k\r\n+v\r\n:7\r\n").await, json!(7));
            assert_eq!(v(b"$3\r\n\xff\xfeA\r\n").await, json!("\u{fffd}\u{fffd}A"));
        });
    }

    #[test]
    fn an_error_reply_is_the_servers_message() {
        run(async {
            match parse(b"-WRONGTYPE Operation against a key\r\n", 1024).await {
                Err(Fail::Server(m)) => assert_eq!(m, "WRONGTYPE Operation against a key"),
                other => panic!("{other:?}"),
            }
        });
    }

    #[test]
    fn a_large_reply_is_cut_at_the_cap() {
        run(async {
            let mut bytes = b"*1000\r\n".to_vec();
            for i in 0..1000 {
                bytes.extend_from_slice(format!("$4\r\n{i:04}\r\n").as_bytes());
            }
            let reply = parse(&bytes, 70).await.unwrap();
            assert!(reply.truncated);
            let kept = reply.value.as_array().unwrap();
            assert!(!kept.is_empty() && kept.len() < 20, "{kept:?}");
            assert_eq!(kept[0], json!("0000"));

            let reply = parse(b"$10\r\n0123456789\r\n", 4).await.unwrap();
            assert_eq!(
                reply,
                Reply {
                    value: json!("0123"),
                    truncated: true
                }
            );

            // A nested element larger than the cap ends the list there.
            let reply = parse(b"*2\r\n:1\r\n$100\r\n", 50).await.unwrap();
            assert_eq!(
                reply,
                Reply {
                    value: json!([1]),
                    truncated: true
                }
            );
        });
    }

    #[test]
    fn lies_about_lengths_are_not_believed() {
        run(async {
            // A huge declared count with nothing behind it: end of input, no allocation.
            assert!(matches!(
                parse(b"*4000000000\r\n", 1024).await,
                Err(Fail::Io(_))
            ));
            assert!(matches!(
                parse(b"$-7\r\n", 1024).await,
                Err(Fail::Protocol(_))
            ));
            assert!(matches!(
                parse(b"?\r\n", 1024).await,
                Err(Fail::Protocol(_))
            ));
            let deep = "*1\r\n".repeat(100) + ":1\r\n";
            assert!(matches!(
                parse(deep.as_bytes(), 1 << 20).await,
                Err(Fail::Protocol(_))
            ));
        });
    }
}
