//! Login throttling: who is asking (the client address) and how fast they may guess.
//!
//! Every login attempt that reaches the password check is first recorded as a failure in the
//! same write transaction that checks the counts ([`Accounts::begin_login`]), so a burst of
//! parallel attempts is counted one by one: at most [`LOGIN_THROTTLE`]`.pair_free` passwords
//! are verified for one account from one address before back-off. A matching password forgets
//! that address's failures for the account. The rules (over the failures of the last 15
//! minutes; older ones are deleted at each attempt, so the table stays small):
//!
//! - **account and address**: 5 failures, then exponential back-off from that address only:
//!   30 s after the last failure, then 60 s, 120 s, … up to 15 minutes. The right password
//!   is refused too while the address must wait (it is not checked). The owner logging in
//!   from another address is not slowed: nobody can lock an account by guessing at it.
//! - **address**: 30 failures over all usernames, then nothing from that address until its
//!   oldest failure is 15 minutes old (stops one address trying many usernames).
//! - **account**: 50 failures from all addresses, then at most one attempt on the account
//!   every 2 seconds (slows a guesser spread over many addresses to ~450 guesses per window;
//!   for the owner it is a delay of seconds, never a lock).
//!
//! An administrator resetting the password (`periclase user passwd`) lifts the back-off.
//!
//! A refused attempt answers 429 with a `Retry-After` header and a Chinese message saying how
//! long to wait. Unknown usernames and disabled accounts answer exactly like a wrong password.
//! Usernames longer than [`MAX_USERNAME_CHARS`] and passwords longer than
//! [`MAX_PASSWORD_BYTES`] are refused before anything is written or hashed.
//!
//! The address is the TCP peer (`ConnectInfo<SocketAddr>`, which [`crate::serve`] provides);
//! `X-Forwarded-For` is not trusted, since any client can send it. IPv6 clients are counted
//! by their /64 prefix (one host usually holds a whole /64). Without a peer address (tests
//! through `oneshot`) every request counts as the one address `unknown`.
//! Behind a reverse proxy every client has the proxy's address, so the per-address rule then
//! applies to all users together; trusting a proxy's header is left for when one is deployed.
//!
//! [`Accounts::begin_login`]: periclase_store::Accounts::begin_login

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use periclase_store::LoginThrottle;

/// The throttle's numbers; see the module documentation.
pub const LOGIN_THROTTLE: LoginThrottle = LoginThrottle {
    window_secs: 15 * 60,
    pair_free: 5,
    pair_delay_secs: 30,
    address_max: 30,
    account_max: 50,
    account_spacing_secs: 2,
};

/// Longer usernames cannot exist (the account table allows 64) and are refused unread.
pub const MAX_USERNAME_CHARS: usize = 64;
/// Longer passwords are refused before Argon2 sees them.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The client address a login attempt is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl ClientAddress {
    pub fn from_ip(ip: IpAddr) -> ClientAddress {
        ClientAddress(match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None if v6.is_loopback() => v6.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => ClientAddress::from_ip(peer.ip()),
            None => ClientAddress("unknown".to_string()),
        })
    }
}

/// What a throttled user reads.
pub fn message(retry_after_secs: i64) -> String {
    let wait = if retry_after_secs < 60 {
        format!("{}秒", retry_after_secs.max(1))
    } else {
        format!("{}分钟", (retry_after_secs + 59) / 60)
    };
    format!("登录尝试过于频繁，请{wait}后再试")
}

/// The username and password sizes a login accepts; `None` when both are within bounds.
pub fn oversized(username: &str, password: &str) -> Option<String> {
    if username.chars().count() > MAX_USERNAME_CHARS {
        Some(format!("用户名过长：最多 {MAX_USERNAME_CHARS} 个字符"))
    } else if password.len() > MAX_PASSWORD_BYTES {
        Some(format!("密码过长：最多 {MAX_PASSWORD_BYTES} 字节"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_counted_by_host_or_ipv6_prefix() {
        let ip = |s: &str| ClientAddress::from_ip(s.parse().unwrap()).0;
        assert_eq!(ip("203.0.113.7"), "203.0.113.7");
        assert_eq!(ip("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(ip("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(ip("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(ip("::1"), "::1");
    }

    #[test]
    fn waits_read_in_seconds_or_minutes() {
        assert_eq!(message(0), "登录尝试过于频繁，请1秒后再试");
        assert_eq!(message(30), "登录尝试过于频繁，请30秒后再试");
        assert_eq!(message(61), "登录尝试过于频繁，请2分钟后再试");
    }

    #[test]
    fn sizes_are_bounded() {
        assert_eq!(oversized("海城", "x"), None);
        assert!(oversized(&"名".repeat(65), "x").unwrap().contains("用户名过长"));
        assert!(oversized("a", &"x".repeat(1025)).unwrap().contains("密码过长"));
    }
}
