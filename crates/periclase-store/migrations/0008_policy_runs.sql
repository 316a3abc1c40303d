-- Policy batch runs (免申即享 lists) and the award ledger. A run records which policy
-- versions, which evaluation date and data year, and the listed results; the ledger holds
-- every once-only award granted, one row per policy and subject, so none is paid twice.
CREATE TABLE policy_run (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    actor       TEXT    NOT NULL,
    eval_date   TEXT    NOT NULL,
    data_year   INTEGER,
    region      TEXT    NOT NULL,
    policies    TEXT    NOT NULL,
    totals      TEXT    NOT NULL,
    granted     INTEGER NOT NULL CHECK (granted IN (0, 1)),
    -- SHA-256 of what the run was given and found: an identical run is not stored twice.
    fingerprint TEXT    NOT NULL
);
CREATE INDEX policy_run_fingerprint ON policy_run (fingerprint);

CREATE TABLE policy_run_line (
    run_id  INTEGER NOT NULL REFERENCES policy_run (id) ON DELETE CASCADE,
    policy  TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    region  TEXT    NOT NULL,
    result  TEXT    NOT NULL CHECK (result IN ('eligible', 'unknown')),
    amount  REAL,
    granted REAL,
    note    TEXT    NOT NULL,
    PRIMARY KEY (run_id, policy, subject)
) WITHOUT ROWID;

CREATE TABLE award_ledger (
    policy     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    run_id     INTEGER NOT NULL REFERENCES policy_run (id),
    amount     REAL    NOT NULL,
    granted_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (policy, subject)
) WITHOUT ROWID;

-- The ledger is a record of payments: rows are added, never changed or removed.
CREATE TRIGGER award_ledger_no_update BEFORE UPDATE ON award_ledger
BEGIN
    SELECT RAISE(ABORT, '奖补台账只能新增，不能修改');
END;
CREATE TRIGGER award_ledger_no_delete BEFORE DELETE ON award_ledger
BEGIN
    SELECT RAISE(ABORT, '奖补台账只能新增，不能删除');
END;
