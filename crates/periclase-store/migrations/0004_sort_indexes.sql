-- Lists sorted by name or by last change page through a million enterprises by index
-- (keyset on (column, id)) instead of sorting every match. Region leads: a county list
-- reads its rows in order directly, and a wider list merges its counties' ordered runs
-- (see `sqlite/mod.rs::list`), because company names start with their place names and a
-- walk of one global name index would cross every other county first.
CREATE INDEX enterprise_region_name    ON enterprise (region, name, id);
CREATE INDEX enterprise_region_updated ON enterprise (region, updated_at, id);
