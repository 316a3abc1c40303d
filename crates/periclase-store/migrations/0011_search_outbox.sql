-- The search index follows the store through this outbox: every insert, update and delete
-- of a searched table leaves (table, row id); a bulk load into an empty table leaves one row
-- with no id, meaning "the whole table". The indexer applies entries in order and deletes
-- them once its index has committed them (the index remembers the last one it applied).
CREATE TABLE search_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    row_id INTEGER
);
CREATE TRIGGER search_outbox_enterprise_insert AFTER INSERT ON enterprise
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_update AFTER UPDATE ON enterprise
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_delete AFTER DELETE ON enterprise
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise', OLD.id); END;
CREATE TRIGGER search_outbox_enterprise_capacity_insert AFTER INSERT ON enterprise_capacity
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_capacity', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_capacity_update AFTER UPDATE ON enterprise_capacity
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_capacity', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_capacity_delete AFTER DELETE ON enterprise_capacity
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_capacity', OLD.id); END;
CREATE TRIGGER search_outbox_enterprise_energy_insert AFTER INSERT ON enterprise_energy
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_energy', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_energy_update AFTER UPDATE ON enterprise_energy
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_energy', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_energy_delete AFTER DELETE ON enterprise_energy
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_energy', OLD.id); END;
CREATE TRIGGER search_outbox_enterprise_certification_insert AFTER INSERT ON enterprise_certification
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_certification', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_certification_update AFTER UPDATE ON enterprise_certification
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_certification', NEW.id); END;
CREATE TRIGGER search_outbox_enterprise_certification_delete AFTER DELETE ON enterprise_certification
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_certification', OLD.id); END;
CREATE TRIGGER search_outbox_project_insert AFTER INSERT ON project
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('project', NEW.id); END;
CREATE TRIGGER search_outbox_project_update AFTER UPDATE ON project
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('project', NEW.id); END;
CREATE TRIGGER search_outbox_project_delete AFTER DELETE ON project
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('project', OLD.id); END;
CREATE TRIGGER search_outbox_talent_insert AFTER INSERT ON talent
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('talent', NEW.id); END;
CREATE TRIGGER search_outbox_talent_update AFTER UPDATE ON talent
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('talent', NEW.id); END;
CREATE TRIGGER search_outbox_talent_delete AFTER DELETE ON talent
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('talent', OLD.id); END;
CREATE TRIGGER search_outbox_platform_insert AFTER INSERT ON platform
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('platform', NEW.id); END;
CREATE TRIGGER search_outbox_platform_update AFTER UPDATE ON platform
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('platform', NEW.id); END;
CREATE TRIGGER search_outbox_platform_delete AFTER DELETE ON platform
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('platform', OLD.id); END;
CREATE TRIGGER search_outbox_achievement_insert AFTER INSERT ON achievement
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('achievement', NEW.id); END;
CREATE TRIGGER search_outbox_achievement_update AFTER UPDATE ON achievement
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('achievement', NEW.id); END;
CREATE TRIGGER search_outbox_achievement_delete AFTER DELETE ON achievement
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('achievement', OLD.id); END;
CREATE TRIGGER search_outbox_demand_insert AFTER INSERT ON demand
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('demand', NEW.id); END;
CREATE TRIGGER search_outbox_demand_update AFTER UPDATE ON demand
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('demand', NEW.id); END;
CREATE TRIGGER search_outbox_demand_delete AFTER DELETE ON demand
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('demand', OLD.id); END;
CREATE TRIGGER search_outbox_policy_insert AFTER INSERT ON policy
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('policy', NEW.id); END;
CREATE TRIGGER search_outbox_policy_update AFTER UPDATE ON policy
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('policy', NEW.id); END;
CREATE TRIGGER search_outbox_policy_delete AFTER DELETE ON policy
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('policy', OLD.id); END;
CREATE TRIGGER search_outbox_financial_product_insert AFTER INSERT ON financial_product
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('financial_product', NEW.id); END;
CREATE TRIGGER search_outbox_financial_product_update AFTER UPDATE ON financial_product
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('financial_product', NEW.id); END;
CREATE TRIGGER search_outbox_financial_product_delete AFTER DELETE ON financial_product
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('financial_product', OLD.id); END;
CREATE TRIGGER search_outbox_catalogue_item_insert AFTER INSERT ON catalogue_item
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('catalogue_item', NEW.id); END;
CREATE TRIGGER search_outbox_catalogue_item_update AFTER UPDATE ON catalogue_item
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('catalogue_item', NEW.id); END;
CREATE TRIGGER search_outbox_catalogue_item_delete AFTER DELETE ON catalogue_item
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('catalogue_item', OLD.id); END;
CREATE TRIGGER search_outbox_first_set_insert AFTER INSERT ON first_set
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('first_set', NEW.id); END;
CREATE TRIGGER search_outbox_first_set_update AFTER UPDATE ON first_set
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('first_set', NEW.id); END;
CREATE TRIGGER search_outbox_first_set_delete AFTER DELETE ON first_set
BEGIN INSERT INTO search_outbox (tbl, row_id) VALUES ('first_set', OLD.id); END;
-- What an index built before this migration lacks: everything.
INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_capacity', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_energy', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('enterprise_certification', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('project', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('talent', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('platform', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('achievement', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('demand', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('policy', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('financial_product', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('catalogue_item', NULL);
INSERT INTO search_outbox (tbl, row_id) VALUES ('first_set', NULL);
