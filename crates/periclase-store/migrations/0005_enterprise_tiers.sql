-- The tier filter of the enterprise list reads a bit set on the enterprise row instead of
-- probing enterprise_honour for every row it walks: a city list filtered by tier at a
-- million enterprises walks hundreds of rows per page, and one index probe per row was
-- half of the request's time. Triggers keep the bits equal to the enterprise's honours
-- (any year), whoever writes them.

-- One bit per honour code (periclase-domain `registries::HONOURS`; a store test checks
-- every code has one). Codes are never renumbered: new honours take the next free bit.
CREATE TABLE tier_bit (
    honour TEXT    PRIMARY KEY,
    bit    INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;
INSERT INTO tier_bit (honour, bit) VALUES
    ('tech_sme', 1),
    ('high_tech', 2),
    ('innovative_sme', 4),
    ('specialized_sme', 8),
    ('little_giant', 16),
    ('single_champion', 32),
    ('eaglet', 64),
    ('gazelle', 128),
    ('potential_unicorn', 256),
    ('unicorn', 512),
    ('chain_leader', 1024);

ALTER TABLE enterprise ADD COLUMN tiers INTEGER NOT NULL DEFAULT 0;

UPDATE enterprise
SET tiers = (SELECT coalesce(sum(DISTINCT b.bit), 0)
             FROM enterprise_honour h JOIN tier_bit b ON b.honour = h.honour
             WHERE h.enterprise_id = enterprise.id)
WHERE id IN (SELECT enterprise_id FROM enterprise_honour);

CREATE TRIGGER enterprise_honour_tiers_insert AFTER INSERT ON enterprise_honour
BEGIN
    UPDATE enterprise SET tiers = tiers | (SELECT bit FROM tier_bit WHERE honour = NEW.honour)
    WHERE id = NEW.enterprise_id;
END;

-- Another year of the same honour may remain, so removal recomputes from what is left.
CREATE TRIGGER enterprise_honour_tiers_delete AFTER DELETE ON enterprise_honour
BEGIN
    UPDATE enterprise
    SET tiers = (SELECT coalesce(sum(DISTINCT b.bit), 0)
                 FROM enterprise_honour h JOIN tier_bit b ON b.honour = h.honour
                 WHERE h.enterprise_id = OLD.enterprise_id)
    WHERE id = OLD.enterprise_id;
END;

CREATE TRIGGER enterprise_honour_tiers_update AFTER UPDATE OF honour, enterprise_id ON enterprise_honour
BEGIN
    UPDATE enterprise
    SET tiers = (SELECT coalesce(sum(DISTINCT b.bit), 0)
                 FROM enterprise_honour h JOIN tier_bit b ON b.honour = h.honour
                 WHERE h.enterprise_id = enterprise.id)
    WHERE id IN (OLD.enterprise_id, NEW.enterprise_id);
END;

-- How many enterprises each (county, tier set) holds, kept by triggers: totals and region
-- breakdowns of lists filtered by region and tier only (the home page, the list header,
-- a county's dashboard) read a few thousand rows here instead of counting a million.
-- Rows that drop to zero stay; they cost nothing and come back.
CREATE TABLE enterprise_tally (
    region TEXT    NOT NULL,
    tiers  INTEGER NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (region, tiers)
) WITHOUT ROWID;

INSERT INTO enterprise_tally (region, tiers, n)
SELECT region, tiers, count(*) FROM enterprise GROUP BY region, tiers;

CREATE TRIGGER enterprise_tally_insert AFTER INSERT ON enterprise
BEGIN
    INSERT INTO enterprise_tally (region, tiers, n) VALUES (NEW.region, NEW.tiers, 1)
    ON CONFLICT (region, tiers) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER enterprise_tally_delete AFTER DELETE ON enterprise
BEGIN
    UPDATE enterprise_tally SET n = n - 1 WHERE region = OLD.region AND tiers = OLD.tiers;
END;

CREATE TRIGGER enterprise_tally_update AFTER UPDATE OF region, tiers ON enterprise
WHEN OLD.region IS NOT NEW.region OR OLD.tiers IS NOT NEW.tiers
BEGIN
    UPDATE enterprise_tally SET n = n - 1 WHERE region = OLD.region AND tiers = OLD.tiers;
    INSERT INTO enterprise_tally (region, tiers, n) VALUES (NEW.region, NEW.tiers, 1)
    ON CONFLICT (region, tiers) DO UPDATE SET n = n + 1;
END;

-- "Recently changed first" (the home page, `sort=-updated`) walks this index backwards and
-- stops at the page's end instead of sorting every enterprise of a city by time.
CREATE INDEX enterprise_updated ON enterprise (updated_at, id);
