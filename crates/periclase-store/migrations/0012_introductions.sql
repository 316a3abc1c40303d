-- 对接 records: an official introduces an enterprise's demand to the holder of an
-- achievement (or the reverse) and later records how it went. Kept by codes, so a record
-- survives the demand or achievement being re-imported.
CREATE TABLE introduction (
    id INTEGER PRIMARY KEY,
    demand_code TEXT NOT NULL,
    achievement_code TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'introduced',
    note TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX introduction_demand ON introduction (demand_code);
CREATE INDEX introduction_achievement ON introduction (achievement_code);
