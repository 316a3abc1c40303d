-- Login throttling by account and client address (version 14). Every row is a login
-- attempt that reached the password check and has not (yet) succeeded; rows older than the
-- throttle window are deleted at each attempt, so the table holds one window's worth at most.
-- The old table was keyed by username alone and kept failures until the next success.

DROP TABLE login_failure;

CREATE TABLE login_failure (
    id       INTEGER PRIMARY KEY,
    -- The username as typed (the web layer refuses longer ones before any write).
    username TEXT    NOT NULL CHECK (length(username) <= 64),
    -- The client address: an IPv4 address, an IPv6 /64 prefix, or 'unknown'.
    address  TEXT    NOT NULL CHECK (length(address) <= 64),
    -- Unix seconds, the database's clock.
    at       INTEGER NOT NULL
);
CREATE INDEX login_failure_pair ON login_failure (username, address, at);
CREATE INDEX login_failure_address ON login_failure (address, at);
CREATE INDEX login_failure_at ON login_failure (at);
