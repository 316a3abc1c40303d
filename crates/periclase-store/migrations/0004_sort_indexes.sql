-- Lists sorted by name page through a million enterprises by index (keyset on (name, id))
-- instead of sorting every match. Region leads: a county list reads its rows in name order
-- directly, and a wider list merges its counties' ordered runs (see `sqlite/mod.rs::list`),
-- because company names start with their place names and a walk of one global name index
-- would cross every other county first. It replaces the (region, id) index: filters by
-- region use it just as well, and a large region in id order walks the table instead
-- (`sql::region_off_index`), so a bulk import still builds three indexes, not four.
DROP INDEX enterprise_region;
CREATE INDEX enterprise_region_name ON enterprise (region, name, id);
