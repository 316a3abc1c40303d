-- Background jobs (version 15): a policy batch run started from the web, and any other long
-- operation a worker pool runs. The row says what happened to a job even after the server was
-- killed: a job left 'queued' or 'running' by a previous process is marked 'interrupted' when
-- the next one starts. What a job writes it writes in its own transaction at its end, so an
-- interrupted job has written nothing.
CREATE TABLE job (
    id          INTEGER PRIMARY KEY,
    -- What runs: 'policy_run', …
    kind        TEXT    NOT NULL CHECK (length(kind) <= 32),
    -- What it was started with (JSON object), enough to start it again.
    parameters  TEXT    NOT NULL CHECK (length(parameters) <= 4096),
    -- The account that started it: only that account sees the job.
    account     INTEGER NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed', 'interrupted')),
    -- What it is doing now, in Chinese.
    stage       TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    started_at  TEXT,
    finished_at TEXT,
    -- What it produced (JSON, e.g. the archived run's id), once done.
    result      TEXT,
    -- Why it failed or stopped, in Chinese.
    error       TEXT
);
CREATE INDEX job_account ON job (account, id);
CREATE INDEX job_unfinished ON job (state) WHERE state IN ('queued', 'running');
