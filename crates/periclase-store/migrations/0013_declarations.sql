-- Declarations: what an enterprise says about itself (its figures, honours, certifications,
-- projects, chain nodes, registration) waits here until the department holding the fact
-- confirms it; only then is it written to the registry, which policies and monitoring read.
-- One pending declaration per record: a newer one supersedes it.
CREATE TABLE declaration (
    id            INTEGER PRIMARY KEY,
    registry      TEXT    NOT NULL,
    record_key    TEXT    NOT NULL,
    -- The declaring enterprise, and its region when declared (officials see their region's).
    uscc          TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    action        TEXT    NOT NULL CHECK (action IN ('upsert', 'delete')),
    -- The record as declared: field key → the text users read (JSON object).
    payload       TEXT    NOT NULL,
    evidence      TEXT    NOT NULL DEFAULT '',
    declared_by   TEXT    NOT NULL,
    declared_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    status        TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'confirmed', 'rejected', 'superseded')),
    decided_by    TEXT,
    decided_at    TEXT,
    decision_note TEXT
);
CREATE INDEX declaration_pending ON declaration (registry, uscc) WHERE status = 'pending';
CREATE INDEX declaration_region ON declaration (region, id);
CREATE UNIQUE INDEX declaration_one_pending ON declaration (registry, record_key) WHERE status = 'pending';

-- A decided declaration is a record: it is not changed again or removed.
CREATE TRIGGER declaration_decided_is_final BEFORE UPDATE ON declaration
WHEN OLD.status <> 'pending'
BEGIN
    SELECT RAISE(ABORT, '已处理的申报不能再修改');
END;
CREATE TRIGGER declaration_no_delete BEFORE DELETE ON declaration
BEGIN
    SELECT RAISE(ABORT, '申报记录不能删除');
END;

-- Which confirmed facts paid an award: the values the policy read, as the run saw them.
ALTER TABLE award_ledger ADD COLUMN basis TEXT NOT NULL DEFAULT '';
