-- Accounts, sessions and failed logins (version 2).

CREATE TABLE account (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE CHECK (length(username) BETWEEN 2 AND 64),
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'official', 'enterprise', 'institute', 'expert')),
    -- Officials: GB/T 2260 prefix; enterprise users: their USCC; institute users: their
    -- institution's name; experts: their talent code. Checked against the role below.
    region        TEXT    CHECK (region IS NULL OR (length(region) BETWEEN 2 AND 6 AND region NOT GLOB '*[^0-9]*')),
    enterprise    TEXT,
    institution   TEXT,
    talent        TEXT,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK (role != 'official' OR region IS NOT NULL),
    CHECK (role != 'enterprise' OR enterprise IS NOT NULL),
    CHECK (role != 'institute' OR institution IS NOT NULL),
    CHECK (role != 'expert' OR talent IS NOT NULL)
);

-- A session is stored under the SHA-256 of its token, never the token itself.
CREATE TABLE session (
    token_digest TEXT    PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    csrf         TEXT    NOT NULL,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    expires_at   TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_account ON session (account_id);

CREATE TABLE login_failure (
    id       INTEGER PRIMARY KEY,
    username TEXT    NOT NULL,
    at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX login_failure_user ON login_failure (username, at);
