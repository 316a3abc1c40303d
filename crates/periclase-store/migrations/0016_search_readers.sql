-- Several search indexes follow one database (one per instance of a server deployment), so
-- the outbox keeps a queue per index ("reader"): a change is queued for every registered
-- reader, and each deletes only its own entries once its index has committed them. A reader
-- registers before it builds its index from the tables; one that has not been seen for a
-- week is forgotten (with its queue) and rebuilds when it comes back.
CREATE TABLE search_readers (
    name    TEXT NOT NULL PRIMARY KEY,
    seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
-- The entries so far were the one unnamed index's: it finds itself unregistered and rebuilds.
DROP TRIGGER search_outbox_enterprise_insert;
DROP TRIGGER search_outbox_enterprise_update;
DROP TRIGGER search_outbox_enterprise_delete;
DROP TRIGGER search_outbox_enterprise_capacity_insert;
DROP TRIGGER search_outbox_enterprise_capacity_update;
DROP TRIGGER search_outbox_enterprise_capacity_delete;
DROP TRIGGER search_outbox_enterprise_energy_insert;
DROP TRIGGER search_outbox_enterprise_energy_update;
DROP TRIGGER search_outbox_enterprise_energy_delete;
DROP TRIGGER search_outbox_enterprise_certification_insert;
DROP TRIGGER search_outbox_enterprise_certification_update;
DROP TRIGGER search_outbox_enterprise_certification_delete;
DROP TRIGGER search_outbox_project_insert;
DROP TRIGGER search_outbox_project_update;
DROP TRIGGER search_outbox_project_delete;
DROP TRIGGER search_outbox_talent_insert;
DROP TRIGGER search_outbox_talent_update;
DROP TRIGGER search_outbox_talent_delete;
DROP TRIGGER search_outbox_platform_insert;
DROP TRIGGER search_outbox_platform_update;
DROP TRIGGER search_outbox_platform_delete;
DROP TRIGGER search_outbox_achievement_insert;
DROP TRIGGER search_outbox_achievement_update;
DROP TRIGGER search_outbox_achievement_delete;
DROP TRIGGER search_outbox_demand_insert;
DROP TRIGGER search_outbox_demand_update;
DROP TRIGGER search_outbox_demand_delete;
DROP TRIGGER search_outbox_policy_insert;
DROP TRIGGER search_outbox_policy_update;
DROP TRIGGER search_outbox_policy_delete;
DROP TRIGGER search_outbox_financial_product_insert;
DROP TRIGGER search_outbox_financial_product_update;
DROP TRIGGER search_outbox_financial_product_delete;
DROP TRIGGER search_outbox_catalogue_item_insert;
DROP TRIGGER search_outbox_catalogue_item_update;
DROP TRIGGER search_outbox_catalogue_item_delete;
DROP TRIGGER search_outbox_first_set_insert;
DROP TRIGGER search_outbox_first_set_update;
DROP TRIGGER search_outbox_first_set_delete;
DROP TABLE search_outbox;
CREATE TABLE search_outbox (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    reader TEXT NOT NULL,
    tbl    TEXT NOT NULL,
    row_id INTEGER
);
CREATE INDEX search_outbox_reader ON search_outbox (reader, seq);
CREATE TRIGGER search_outbox_enterprise_insert AFTER INSERT ON enterprise
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_update AFTER UPDATE ON enterprise
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_delete AFTER DELETE ON enterprise
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_capacity_insert AFTER INSERT ON enterprise_capacity
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_capacity', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_capacity_update AFTER UPDATE ON enterprise_capacity
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_capacity', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_capacity_delete AFTER DELETE ON enterprise_capacity
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_capacity', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_energy_insert AFTER INSERT ON enterprise_energy
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_energy', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_energy_update AFTER UPDATE ON enterprise_energy
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_energy', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_energy_delete AFTER DELETE ON enterprise_energy
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_energy', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_certification_insert AFTER INSERT ON enterprise_certification
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_certification', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_certification_update AFTER UPDATE ON enterprise_certification
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_certification', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_enterprise_certification_delete AFTER DELETE ON enterprise_certification
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'enterprise_certification', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_project_insert AFTER INSERT ON project
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'project', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_project_update AFTER UPDATE ON project
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'project', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_project_delete AFTER DELETE ON project
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'project', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_talent_insert AFTER INSERT ON talent
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'talent', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_talent_update AFTER UPDATE ON talent
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'talent', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_talent_delete AFTER DELETE ON talent
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'talent', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_platform_insert AFTER INSERT ON platform
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'platform', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_platform_update AFTER UPDATE ON platform
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'platform', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_platform_delete AFTER DELETE ON platform
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'platform', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_achievement_insert AFTER INSERT ON achievement
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'achievement', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_achievement_update AFTER UPDATE ON achievement
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'achievement', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_achievement_delete AFTER DELETE ON achievement
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'achievement', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_demand_insert AFTER INSERT ON demand
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'demand', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_demand_update AFTER UPDATE ON demand
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'demand', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_demand_delete AFTER DELETE ON demand
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'demand', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_policy_insert AFTER INSERT ON policy
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'policy', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_policy_update AFTER UPDATE ON policy
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'policy', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_policy_delete AFTER DELETE ON policy
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'policy', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_financial_product_insert AFTER INSERT ON financial_product
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'financial_product', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_financial_product_update AFTER UPDATE ON financial_product
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'financial_product', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_financial_product_delete AFTER DELETE ON financial_product
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'financial_product', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_catalogue_item_insert AFTER INSERT ON catalogue_item
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'catalogue_item', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_catalogue_item_update AFTER UPDATE ON catalogue_item
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'catalogue_item', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_catalogue_item_delete AFTER DELETE ON catalogue_item
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'catalogue_item', OLD.id FROM search_readers; END;
CREATE TRIGGER search_outbox_first_set_insert AFTER INSERT ON first_set
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'first_set', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_first_set_update AFTER UPDATE ON first_set
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'first_set', NEW.id FROM search_readers; END;
CREATE TRIGGER search_outbox_first_set_delete AFTER DELETE ON first_set
BEGIN INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, 'first_set', OLD.id FROM search_readers; END;
