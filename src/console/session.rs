//! Signed-in browsers of a deciding console (`runbook serve --decide`): a
//! session is a random id the browser holds in an `HttpOnly` cookie and
//! the server keeps in memory with its own CSRF token and its expiry. It
//! ends when it expires, when its browser signs out (the id is forgotten,
//! so a copy of the cookie replayed later reads and decides nothing), or
//! when the server stops: restarting the server signs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a sign-in lasts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// At most this many sessions are kept; signing in beyond it ends the one
/// that expires first.
const MOST: usize = 256;

/// `bytes` random bytes from the operating system, as hex.
pub fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| format!("no random numbers: {e}"))?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// A signed-in browser: its CSRF token, which the console's pages carry
/// and its script sends back in a header.
#[derive(Clone, Debug)]
pub struct Session {
    pub csrf: String,
    expires: Instant,
}

#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// A new session: its id (the cookie's value) and its CSRF token.
    pub fn open(&self) -> Result<(String, String), String> {
        let id = random_hex(32)?;
        let csrf = random_hex(32)?;
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|_, s| s.expires > now);
        if live.len() >= MOST {
            if let Some(first) = live
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(id, _)| id.clone())
            {
                live.remove(&first);
            }
        }
        live.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                expires: now + LIFETIME,
            },
        );
        Ok((id, csrf))
    }

    /// Ends the session of cookie value `id` (signing out): its id is
    /// forgotten, so the cookie no longer opens anything. Whether it was
    /// live.
    pub fn end(&self, id: &str) -> bool {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.remove(id).is_some_and(|s| s.expires > Instant::now())
    }

    /// The session of cookie value `id`, unless it expired (then it is
    /// forgotten).
    pub fn find(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        match live.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                live.remove(id);
                None
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_random_and_found_only_by_their_id() {
        let sessions = Sessions::default();
        let (a, csrf_a) = sessions.open().unwrap();
        let (b, _) = sessions.open().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(sessions.find(&a).unwrap().csrf, csrf_a);
        assert!(sessions.find("0".repeat(64).as_str()).is_none());
        assert!(sessions.find("").is_none());
        assert!(sessions.end(&a));
        assert!(sessions.find(&a).is_none(), "ended: the id opens nothing");
        assert!(!sessions.end(&a));
        assert!(sessions.find(&b).is_some(), "other sessions stay");
    }

    #[test]
    fn the_number_of_sessions_is_bounded() {
        let sessions = Sessions::default();
        let first = sessions.open().unwrap().0;
        for _ in 0..MOST {
            sessions.open().unwrap();
        }
        assert_eq!(sessions.live.lock().unwrap().len(), MOST);
        assert!(sessions.find(&first).is_none());
    }
}
