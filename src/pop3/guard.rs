//! The failure budget: how many wrong passwords an account, and a source
//! address, may spend before logins for it are refused for a while.
//!
//! One [`Guard`] is shared by every connection of a server, so an attacker
//! gains nothing by opening hundreds of connections in parallel: the
//! budget belongs to the account and to the address, not to the session.
//!
//! The rules, in order:
//! - each account and each address gets a few failures for free
//!   ([`GuardConfig::account_free`], [`GuardConfig::address_free`]);
//! - every failure after that starts a lockout window, and each further
//!   failure doubles it, up to [`GuardConfig::max_lockout`] (five minutes
//!   by default), so no single mistake or attack locks anyone out for
//!   longer than that;
//! - while a window is open, a login for that account or from that
//!   address is refused without looking at the password, with the same
//!   `-ERR [AUTH]` answer a wrong password gets, and the refusal does not
//!   lengthen the window; guessing is stopped, not merely slowed;
//! - an address that has logged in to an account before is trusted for
//!   that account: the account's lock does not apply to it (its own
//!   address budget still does). An attacker elsewhere therefore cannot
//!   keep the real user out at all, only other addresses;
//! - a success clears the account's failures; an address's failures fade
//!   only with time, so logging in to one's own account cannot buy fresh
//!   guesses against others;
//! - entries quiet for twice the longest window are forgotten, and each
//!   table holds at most [`GuardConfig::max_entries`], evicting the
//!   stalest unlocked entries first, so memory stays bounded whatever
//!   names and addresses are thrown at it.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::lock;

/// Settings of the failure budget.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// Failures an account may have before it is locked.
    pub account_free: u32,
    /// Failures a source address may have before it is locked.
    pub address_free: u32,
    /// The first lockout window; each further failure doubles it.
    pub first_lockout: Duration,
    /// The longest lockout window.
    pub max_lockout: Duration,
    /// Entries kept per table (accounts, addresses).
    pub max_entries: usize,
    /// Trusted addresses remembered per account.
    pub trusted_per_account: usize,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            account_free: 5,
            address_free: 10,
            first_lockout: Duration::from_secs(1),
            max_lockout: Duration::from_secs(300),
            max_entries: 10_000,
            trusted_per_account: 4,
        }
    }
}

impl std::fmt::Display for GuardConfig {
    /// The budget in one line, for the startup text of `popscope serve`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} failed logins per account, {} per address, then locked out for {:?} doubling up to {:?}",
            self.account_free, self.address_free, self.first_lockout, self.max_lockout
        )
    }
}

/// Who is locked out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Locked {
    /// An account (the user name as the client gave it).
    Account(String),
    /// A source address (an IPv6 address stands for its /64).
    Address(IpAddr),
}

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The name is whatever the client typed.
            Locked::Account(name) => write!(f, "account {}", crate::sanitize::visible(name)),
            Locked::Address(ip @ IpAddr::V6(_)) => write!(f, "address {ip}/64"),
            Locked::Address(ip) => write!(f, "address {ip}"),
        }
    }
}

/// A lockout window that has just started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    /// Who.
    pub who: Locked,
    /// For how long.
    pub duration: Duration,
}

/// The address a budget or a connection limit is kept for: IPv4-mapped
/// IPv6 addresses count as IPv4, and an IPv6 address stands for its /64,
/// since one host usually holds a whole /64 and could otherwise take a
/// fresh address for every guess.
pub fn source_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

#[derive(Debug)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
    /// The last failure (or success), for forgetting and eviction.
    last: Instant,
    /// Addresses that logged in to this account (accounts only).
    trusted: Vec<IpAddr>,
}

impl Entry {
    fn new(now: Instant) -> Entry {
        Entry {
            failures: 0,
            locked_until: None,
            last: now,
            trusted: Vec::new(),
        }
    }

    fn locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|t| now < t)
    }
}

/// One table: accounts or addresses.
#[derive(Debug)]
struct Table<K> {
    entries: HashMap<K, Entry>,
}

impl<K: Eq + Hash + Clone> Table<K> {
    fn new() -> Self {
        Table {
            entries: HashMap::new(),
        }
    }

    /// The entry for `key`, made (and room made for it) if needed; an
    /// entry quiet for longer than `forget` starts its count afresh.
    fn entry(&mut self, key: &K, now: Instant, config: &GuardConfig) -> &mut Entry {
        let forget = config.max_lockout * 2;
        if !self.entries.contains_key(key) && self.entries.len() >= config.max_entries.max(1) {
            self.make_room(now, forget);
        }
        let e = self
            .entries
            .entry(key.clone())
            .or_insert_with(|| Entry::new(now));
        if !e.locked(now) && now.saturating_duration_since(e.last) > forget {
            e.failures = 0;
            e.locked_until = None;
        }
        e
    }

    /// Drop every stale entry; if none was, drop the stalest unlocked one
    /// (or, when all are locked, the stalest of all).
    fn make_room(&mut self, now: Instant, forget: Duration) {
        let before = self.entries.len();
        self.entries
            .retain(|_, e| e.locked(now) || now.saturating_duration_since(e.last) <= forget);
        if self.entries.len() < before {
            return;
        }
        let victim = self
            .entries
            .iter()
            .min_by_key(|(_, e)| (e.locked(now), e.last))
            .map(|(k, _)| k.clone());
        if let Some(k) = victim {
            self.entries.remove(&k);
        }
    }

    /// Count a failure; `Some(window)` if it starts a lockout.
    fn fail(&mut self, key: &K, free: u32, now: Instant, config: &GuardConfig) -> Option<Duration> {
        let e = self.entry(key, now, config);
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        if e.failures <= free {
            return None;
        }
        // The window doubles with each failure past the free ones; the
        // shift is capped so it cannot overflow before the cap applies.
        let doublings = (e.failures - free - 1).min(30);
        let window = config
            .first_lockout
            .saturating_mul(1 << doublings)
            .min(config.max_lockout);
        e.locked_until = Some(now + window);
        Some(window)
    }
}

/// The failure budget of one server, shared by all its connections.
#[derive(Debug)]
pub struct Guard {
    config: GuardConfig,
    accounts: Mutex<Table<String>>,
    addresses: Mutex<Table<IpAddr>>,
}

impl Guard {
    /// An empty budget.
    pub fn new(config: GuardConfig) -> Guard {
        Guard {
            config,
            accounts: Mutex::new(Table::new()),
            addresses: Mutex::new(Table::new()),
        }
    }

    /// Whether a login for `user` from `ip` may be checked at all. When it
    /// may not, the caller answers as for a wrong password.
    pub fn admit(&self, user: &str, ip: IpAddr) -> bool {
        let ip = source_key(ip);
        let now = Instant::now();
        if lock(&self.addresses)
            .entries
            .get(&ip)
            .is_some_and(|e| e.locked(now))
        {
            return false;
        }
        match lock(&self.accounts).entries.get(user) {
            Some(e) => !e.locked(now) || e.trusted.contains(&ip),
            None => true,
        }
    }

    /// Count a wrong password for `user` from `ip`; returns the lockouts
    /// this failure started (none, one or both).
    pub fn failed(&self, user: &str, ip: IpAddr) -> Vec<Lockout> {
        let ip = source_key(ip);
        let now = Instant::now();
        let c = &self.config;
        let mut out = Vec::new();
        if let Some(d) = lock(&self.accounts).fail(&user.to_string(), c.account_free, now, c) {
            out.push(Lockout {
                who: Locked::Account(user.to_string()),
                duration: d,
            });
        }
        if let Some(d) = lock(&self.addresses).fail(&ip, c.address_free, now, c) {
            out.push(Lockout {
                who: Locked::Address(ip),
                duration: d,
            });
        }
        out
    }

    /// The right password for `user` from `ip`: the account's failures are
    /// cleared and `ip` is trusted for it from now on.
    pub fn succeeded(&self, user: &str, ip: IpAddr) {
        let ip = source_key(ip);
        let now = Instant::now();
        let mut accounts = lock(&self.accounts);
        let e = accounts.entry(&user.to_string(), now, &self.config);
        e.failures = 0;
        e.locked_until = None;
        e.last = now;
        e.trusted.retain(|&t| t != ip);
        e.trusted.insert(0, ip);
        e.trusted.truncate(self.config.trusted_per_account.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> GuardConfig {
        GuardConfig {
            account_free: 2,
            address_free: 3,
            first_lockout: Duration::from_millis(40),
            max_lockout: Duration::from_millis(100),
            max_entries: 4,
            trusted_per_account: 2,
        }
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn free_failures_then_doubling_windows_up_to_the_cap() {
        let g = Guard::new(GuardConfig {
            address_free: 100,
            ..small()
        });
        assert!(g.failed("alice", A).is_empty());
        assert!(g.failed("alice", A).is_empty());
        let windows: Vec<Duration> = (0..4).map(|_| g.failed("alice", A)[0].duration).collect();
        assert_eq!(
            windows,
            [40, 80, 100, 100].map(Duration::from_millis),
            "doubling, capped"
        );
        assert!(!g.admit("alice", A));
        assert!(g.admit("bob", A), "other accounts are not locked");
        std::thread::sleep(Duration::from_millis(110));
        assert!(g.admit("alice", A), "the window ends");
    }

    #[test]
    fn the_address_budget_spans_accounts() {
        let g = Guard::new(small());
        for name in ["a", "b", "c"] {
            assert!(g.failed(name, A).is_empty());
        }
        let l = g.failed("d", A);
        assert_eq!(l[0].who, Locked::Address(A));
        assert!(!g.admit("e", A));
        assert!(g.admit("e", B));
    }

    #[test]
    fn a_trusted_address_is_not_kept_out_by_an_account_lock() {
        let g = Guard::new(small());
        g.succeeded("alice", A);
        for _ in 0..3 {
            g.failed("alice", B);
        }
        assert!(!g.admit("alice", B));
        assert!(g.admit("alice", A));
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let g = Guard::new(small());
        for name in ["x", "y", "alice"] {
            g.failed(name, A);
        }
        g.succeeded("alice", A);
        // The address has spent its three free failures: the next starts
        // a lockout even though the last login from it succeeded.
        assert_eq!(g.failed("z", A)[0].who, Locked::Address(A));
    }

    #[test]
    fn memory_stays_bounded_and_locked_entries_are_kept_longest() {
        // Long windows, so the victim is still locked at the end however
        // slow the machine is.
        let g = Guard::new(GuardConfig {
            first_lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(120),
            ..small()
        });
        for _ in 0..3 {
            g.failed("victim", A);
        }
        for i in 0..1000 {
            g.failed(&format!("user{i}"), B);
        }
        assert!(lock(&g.accounts).entries.len() <= 4);
        assert!(lock(&g.addresses).entries.len() <= 4);
        assert!(
            lock(&g.accounts).entries.contains_key("victim"),
            "the locked account was not evicted"
        );
        assert!(!g.admit("victim", A));
    }

    #[test]
    fn ipv6_addresses_count_per_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(source_key(a), source_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(source_key(mapped), A);
        assert_eq!(
            Locked::Address(source_key(a)).to_string(),
            "address 2001:db8:1:2::/64"
        );
    }
}
