-- 首台（套）重大技术装备 / 首批次新材料 insurance policies (registry `first-sets`): what the
-- insurance-compensation subsidy is computed from.
CREATE TABLE first_set (
    id             INTEGER PRIMARY KEY,
    enterprise_id  INTEGER NOT NULL REFERENCES enterprise (id) ON DELETE CASCADE,
    policy_no      TEXT    NOT NULL,
    product        TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    catalogue_year INTEGER,
    insured_amount REAL    CHECK (insured_amount >= 0),
    premium        REAL    CHECK (premium >= 0),
    start_date     TEXT,
    coverage_year  INTEGER CHECK (coverage_year >= 0),
    updated_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX first_set_key ON first_set (policy_no);
CREATE INDEX first_set_enterprise ON first_set (enterprise_id);
