-- Lists sorted by name or by last change page through a million enterprises by index
-- (keyset on (column, id)) instead of sorting every row.
CREATE INDEX enterprise_name    ON enterprise (name, id);
CREATE INDEX enterprise_updated ON enterprise (updated_at, id);
