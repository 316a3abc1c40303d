-- What the chain map reads about each member enterprise, laid out for one pass over a
-- chain's members: at a million enterprises, joining each member's figures (one row per
-- metric, 2 million rows for the magnesite chain) took 5 s and its capacity another second.
-- Triggers keep both summaries equal to the registries, whoever writes them.

-- One row per enterprise and year: the figures the chain analysis uses, and capacity and
-- output summed over the enterprise's products (each in its own unit, as the analysis sums
-- them). Keyed by year first: the chain map reads the latest two years of every member.
-- A row whose figures and capacity are all removed is removed too.
CREATE TABLE enterprise_year (
    enterprise_id INTEGER NOT NULL,
    year          INTEGER NOT NULL,
    revenue       REAL,
    employees     REAL,
    rd_spend      REAL,
    capacity      REAL,
    output        REAL,
    PRIMARY KEY (year, enterprise_id)
) WITHOUT ROWID;

INSERT INTO enterprise_year (enterprise_id, year, revenue, employees, rd_spend)
SELECT enterprise_id, year,
       max(CASE metric WHEN 'revenue' THEN value END),
       max(CASE metric WHEN 'employees' THEN value END),
       max(CASE metric WHEN 'rd_spend' THEN value END)
FROM enterprise_figure
WHERE metric IN ('revenue', 'employees', 'rd_spend')
GROUP BY enterprise_id, year;

INSERT INTO enterprise_year (enterprise_id, year, capacity, output)
SELECT enterprise_id, year, sum(capacity), sum(output)
FROM enterprise_capacity
WHERE true
GROUP BY enterprise_id, year
ON CONFLICT (year, enterprise_id) DO UPDATE SET capacity = excluded.capacity, output = excluded.output;

CREATE TRIGGER enterprise_year_figure_insert AFTER INSERT ON enterprise_figure
WHEN NEW.metric IN ('revenue', 'employees', 'rd_spend')
BEGIN
    INSERT INTO enterprise_year (enterprise_id, year, revenue, employees, rd_spend)
    VALUES (NEW.enterprise_id, NEW.year,
            CASE NEW.metric WHEN 'revenue' THEN NEW.value END,
            CASE NEW.metric WHEN 'employees' THEN NEW.value END,
            CASE NEW.metric WHEN 'rd_spend' THEN NEW.value END)
    ON CONFLICT (year, enterprise_id) DO UPDATE SET
        revenue = CASE NEW.metric WHEN 'revenue' THEN NEW.value ELSE revenue END,
        employees = CASE NEW.metric WHEN 'employees' THEN NEW.value ELSE employees END,
        rd_spend = CASE NEW.metric WHEN 'rd_spend' THEN NEW.value ELSE rd_spend END;
END;

CREATE TRIGGER enterprise_year_figure_delete AFTER DELETE ON enterprise_figure
WHEN OLD.metric IN ('revenue', 'employees', 'rd_spend')
BEGIN
    UPDATE enterprise_year SET
        revenue = CASE OLD.metric WHEN 'revenue' THEN NULL ELSE revenue END,
        employees = CASE OLD.metric WHEN 'employees' THEN NULL ELSE employees END,
        rd_spend = CASE OLD.metric WHEN 'rd_spend' THEN NULL ELSE rd_spend END
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id;
    DELETE FROM enterprise_year
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id
      AND revenue IS NULL AND employees IS NULL AND rd_spend IS NULL AND capacity IS NULL AND output IS NULL;
END;

-- An update may move a figure to another metric, year or enterprise: clear the old place,
-- then fill the new one.
CREATE TRIGGER enterprise_year_figure_update AFTER UPDATE OF enterprise_id, year, metric, value ON enterprise_figure
WHEN OLD.metric IN ('revenue', 'employees', 'rd_spend') OR NEW.metric IN ('revenue', 'employees', 'rd_spend')
BEGIN
    UPDATE enterprise_year SET
        revenue = CASE OLD.metric WHEN 'revenue' THEN NULL ELSE revenue END,
        employees = CASE OLD.metric WHEN 'employees' THEN NULL ELSE employees END,
        rd_spend = CASE OLD.metric WHEN 'rd_spend' THEN NULL ELSE rd_spend END
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id;
    DELETE FROM enterprise_year
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id
      AND revenue IS NULL AND employees IS NULL AND rd_spend IS NULL AND capacity IS NULL AND output IS NULL;
    INSERT INTO enterprise_year (enterprise_id, year, revenue, employees, rd_spend)
    SELECT NEW.enterprise_id, NEW.year,
           CASE NEW.metric WHEN 'revenue' THEN NEW.value END,
           CASE NEW.metric WHEN 'employees' THEN NEW.value END,
           CASE NEW.metric WHEN 'rd_spend' THEN NEW.value END
    WHERE NEW.metric IN ('revenue', 'employees', 'rd_spend')
    ON CONFLICT (year, enterprise_id) DO UPDATE SET
        revenue = CASE NEW.metric WHEN 'revenue' THEN NEW.value ELSE revenue END,
        employees = CASE NEW.metric WHEN 'employees' THEN NEW.value ELSE employees END,
        rd_spend = CASE NEW.metric WHEN 'rd_spend' THEN NEW.value ELSE rd_spend END;
END;

-- Capacity is a sum over products: every change recounts the (enterprise, year) it touched.
CREATE TRIGGER enterprise_year_capacity_insert AFTER INSERT ON enterprise_capacity
BEGIN
    INSERT INTO enterprise_year (enterprise_id, year, capacity, output)
    SELECT NEW.enterprise_id, NEW.year, sum(capacity), sum(output)
    FROM enterprise_capacity WHERE enterprise_id = NEW.enterprise_id AND year = NEW.year
    ON CONFLICT (year, enterprise_id) DO UPDATE SET capacity = excluded.capacity, output = excluded.output;
END;

CREATE TRIGGER enterprise_year_capacity_delete AFTER DELETE ON enterprise_capacity
BEGIN
    UPDATE enterprise_year SET
        capacity = (SELECT sum(capacity) FROM enterprise_capacity
                    WHERE enterprise_id = OLD.enterprise_id AND year = OLD.year),
        output = (SELECT sum(output) FROM enterprise_capacity
                  WHERE enterprise_id = OLD.enterprise_id AND year = OLD.year)
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id;
    DELETE FROM enterprise_year
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id
      AND revenue IS NULL AND employees IS NULL AND rd_spend IS NULL AND capacity IS NULL AND output IS NULL;
END;

CREATE TRIGGER enterprise_year_capacity_update AFTER UPDATE OF enterprise_id, year, capacity, output ON enterprise_capacity
BEGIN
    UPDATE enterprise_year SET
        capacity = (SELECT sum(capacity) FROM enterprise_capacity
                    WHERE enterprise_id = OLD.enterprise_id AND year = OLD.year),
        output = (SELECT sum(output) FROM enterprise_capacity
                  WHERE enterprise_id = OLD.enterprise_id AND year = OLD.year)
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id;
    DELETE FROM enterprise_year
    WHERE year = OLD.year AND enterprise_id = OLD.enterprise_id
      AND revenue IS NULL AND employees IS NULL AND rd_spend IS NULL AND capacity IS NULL AND output IS NULL;
    INSERT INTO enterprise_year (enterprise_id, year, capacity, output)
    SELECT NEW.enterprise_id, NEW.year, sum(capacity), sum(output)
    FROM enterprise_capacity WHERE enterprise_id = NEW.enterprise_id AND year = NEW.year
    ON CONFLICT (year, enterprise_id) DO UPDATE SET capacity = excluded.capacity, output = excluded.output;
END;

-- A chain's members read from the index alone, the suggestion's basis included.
DROP INDEX chain_member_node;
CREATE INDEX chain_member_node ON chain_member (node, status, enterprise_id, basis);
