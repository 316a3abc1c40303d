-- Audit trail (version 3): every write, by whom, when, before and after. Rows can be added,
-- never changed or removed: the triggers refuse it even to a connection that tries.

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    actor      TEXT    NOT NULL,
    channel    TEXT    NOT NULL CHECK (channel IN ('ui', 'api', 'import', 'cli')),
    action     TEXT    NOT NULL CHECK (action IN ('insert', 'update', 'delete', 'import')),
    registry   TEXT    NOT NULL,
    record_key TEXT,
    -- JSON objects of field key → value as users read it; NULL when there is nothing.
    before     TEXT,
    after      TEXT,
    note       TEXT
);
CREATE INDEX audit_log_record ON audit_log (registry, record_key, id);
CREATE INDEX audit_log_actor  ON audit_log (actor, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, '审计记录不可修改');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, '审计记录不可删除');
END;
