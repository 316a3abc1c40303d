-- Periclase registries, version 1.
-- Every table has an integer surrogate key `id` (used by foreign keys and keyset paging) and
-- a natural key enforced by a named unique index `<table>_key` (the upsert target for
-- imports; named, so a bulk load into an empty table can build it once, by sorting).
-- Figures carry their source and as-of date.
-- Dates are ISO-8601 text; money is 万元 (REAL); enumerations hold stable English codes whose
-- Chinese labels live in periclase-domain.

CREATE TABLE enterprise (
    id             INTEGER PRIMARY KEY,
    uscc           TEXT    NOT NULL CHECK (length(uscc) = 18),
    name           TEXT    NOT NULL,
    region         TEXT    NOT NULL CHECK (length(region) = 6),
    address        TEXT,
    industry       TEXT,
    founded        TEXT,
    main_products  TEXT,
    business_scope TEXT,
    external       INTEGER CHECK (external IN (0, 1)),
    updated_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX enterprise_key ON enterprise (uscc);
CREATE INDEX enterprise_region   ON enterprise (region, id);
CREATE INDEX enterprise_industry ON enterprise (industry, id);

CREATE TABLE enterprise_figure (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprise (id) ON DELETE CASCADE,
    year          INTEGER NOT NULL,
    metric        TEXT    NOT NULL,
    value         REAL    NOT NULL CHECK (value >= 0),
    source        TEXT    NOT NULL,
    as_of         TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX enterprise_figure_key ON enterprise_figure (enterprise_id, year, metric);
CREATE INDEX enterprise_figure_metric ON enterprise_figure (metric, year);

CREATE TABLE enterprise_honour (
    id             INTEGER PRIMARY KEY,
    enterprise_id  INTEGER NOT NULL REFERENCES enterprise (id) ON DELETE CASCADE,
    honour         TEXT    NOT NULL,
    year           INTEGER NOT NULL,
    level          TEXT    NOT NULL,
    certificate_no TEXT,
    valid_until    TEXT,
    updated_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX enterprise_honour_key ON enterprise_honour (enterprise_id, honour, year);
-- Serves the tier filter of the enterprise list (EXISTS … WHERE honour = ?).
CREATE INDEX enterprise_honour_honour ON enterprise_honour (honour, enterprise_id);

CREATE TABLE enterprise_capacity (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprise (id) ON DELETE CASCADE,
    product       TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    capacity      REAL    CHECK (capacity >= 0),
    output        REAL    CHECK (output >= 0),
    unit          TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    as_of         TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX enterprise_capacity_key ON enterprise_capacity (enterprise_id, product, year);
CREATE INDEX enterprise_capacity_product ON enterprise_capacity (product, year);

CREATE TABLE enterprise_energy (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprise (id) ON DELETE CASCADE,
    product       TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    value         REAL    NOT NULL CHECK (value >= 0),
    unit          TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    as_of         TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX enterprise_energy_key ON enterprise_energy (enterprise_id, product, year);
CREATE INDEX enterprise_energy_product ON enterprise_energy (product, year);

CREATE TABLE enterprise_certification (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprise (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    level         TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    title         TEXT,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX enterprise_certification_key ON enterprise_certification (enterprise_id, kind, level, year);
CREATE INDEX enterprise_certification_kind ON enterprise_certification (kind, level, year);

CREATE TABLE project (
    id               INTEGER PRIMARY KEY,
    code             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    owner_id         INTEGER REFERENCES enterprise (id) ON DELETE SET NULL,
    region           TEXT    NOT NULL CHECK (length(region) = 6),
    total_investment REAL    CHECK (total_investment >= 0),
    stage            TEXT,
    start_date       TEXT,
    finish_date      TEXT,
    chain_node       TEXT,
    category         TEXT,
    funding_received REAL    CHECK (funding_received >= 0),
    description      TEXT,
    updated_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX project_key ON project (code);
CREATE INDEX project_region ON project (region, id);
CREATE INDEX project_owner  ON project (owner_id);
CREATE INDEX project_node   ON project (chain_node);

CREATE TABLE talent (
    id             INTEGER PRIMARY KEY,
    code           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    affiliation    TEXT,
    affiliation_id INTEGER REFERENCES enterprise (id) ON DELETE SET NULL,
    title          TEXT,
    fields         TEXT,
    category       TEXT,
    is_expert      INTEGER CHECK (is_expert IN (0, 1)),
    region         TEXT    CHECK (region IS NULL OR length(region) = 6),
    contact        TEXT,
    updated_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX talent_key ON talent (code);
CREATE INDEX talent_region      ON talent (region, id);
CREATE INDEX talent_affiliation ON talent (affiliation_id);

CREATE TABLE talent_link (
    id              INTEGER PRIMARY KEY,
    talent_id       INTEGER NOT NULL REFERENCES talent (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    organisation    TEXT    NOT NULL,
    organisation_id INTEGER REFERENCES enterprise (id) ON DELETE SET NULL,
    since           INTEGER,
    until           INTEGER,
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX talent_link_key ON talent_link (talent_id, kind, organisation);
CREATE INDEX talent_link_organisation ON talent_link (organisation_id);

CREATE TABLE platform (
    id              INTEGER PRIMARY KEY,
    code            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    level           TEXT    NOT NULL,
    host            TEXT    NOT NULL,
    host_id         INTEGER REFERENCES enterprise (id) ON DELETE SET NULL,
    region          TEXT    CHECK (region IS NULL OR length(region) = 6),
    recognised_year INTEGER,
    field           TEXT,
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX platform_key ON platform (code);
CREATE INDEX platform_region ON platform (region, id);
CREATE INDEX platform_host   ON platform (host_id);

CREATE TABLE platform_evaluation (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platform (id) ON DELETE CASCADE,
    year        INTEGER NOT NULL,
    result      TEXT    NOT NULL,
    note        TEXT,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX platform_evaluation_key ON platform_evaluation (platform_id, year);

CREATE TABLE achievement (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    field       TEXT,
    institution TEXT    NOT NULL,
    summary     TEXT    NOT NULL,
    keywords    TEXT,
    maturity    TEXT,
    ip          TEXT,
    region      TEXT    CHECK (region IS NULL OR length(region) = 6),
    year        INTEGER,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX achievement_key ON achievement (code);
CREATE INDEX achievement_region ON achievement (region, id);
CREATE INDEX achievement_field  ON achievement (field);

CREATE TABLE demand (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    enterprise    TEXT    NOT NULL,
    enterprise_id INTEGER REFERENCES enterprise (id) ON DELETE SET NULL,
    industry      TEXT,
    description   TEXT    NOT NULL,
    budget_wan    REAL    CHECK (budget_wan >= 0),
    region        TEXT    CHECK (region IS NULL OR length(region) = 6),
    deadline      TEXT,
    status        TEXT,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX demand_key ON demand (code);
CREATE INDEX demand_region     ON demand (region, id);
CREATE INDEX demand_enterprise ON demand (enterprise_id);

CREATE TABLE policy (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    issuer     TEXT    NOT NULL,
    doc_number TEXT,
    issued     TEXT,
    effective  TEXT,
    expires    TEXT,
    category   TEXT,
    region     TEXT    CHECK (region IS NULL OR length(region) = 6),
    source_url TEXT,
    full_text  TEXT,
    updated_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX policy_key ON policy (code);
CREATE INDEX policy_region ON policy (region, id);
CREATE INDEX policy_doc    ON policy (doc_number);

CREATE TABLE financial_product (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    institution  TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    min_amount   REAL    CHECK (min_amount >= 0),
    max_amount   REAL    CHECK (max_amount >= 0),
    term_months  INTEGER CHECK (term_months >= 0),
    rate         TEXT,
    targets      TEXT,
    requirements TEXT,
    region       TEXT    CHECK (region IS NULL OR length(region) = 6),
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX financial_product_key ON financial_product (code);
CREATE INDEX financial_product_region ON financial_product (region, id);

CREATE TABLE catalogue_item (
    id            INTEGER PRIMARY KEY,
    year          INTEGER NOT NULL,
    item          TEXT    NOT NULL,
    enterprise    TEXT    NOT NULL,
    enterprise_id INTEGER REFERENCES enterprise (id) ON DELETE SET NULL,
    field         TEXT,
    description   TEXT,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX catalogue_item_key ON catalogue_item (year, item, enterprise);
CREATE INDEX catalogue_item_enterprise ON catalogue_item (enterprise_id);
