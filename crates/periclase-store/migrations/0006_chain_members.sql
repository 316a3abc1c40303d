-- Enterprises on industry chain nodes (registry `chain-members`). `node` is a template key
-- `chain/node` (data/chains/*.toml); the templates are data, so no foreign key.
CREATE TABLE chain_member (
    id            INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprise (id) ON DELETE CASCADE,
    node          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    basis         TEXT,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX chain_member_key ON chain_member (enterprise_id, node);
-- A chain's members, read node by node for its analysis.
CREATE INDEX chain_member_node ON chain_member (node, status, enterprise_id);
