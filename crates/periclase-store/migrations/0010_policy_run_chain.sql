-- A batch run may cover one industry chain's enterprises and projects only; the run says so.
ALTER TABLE policy_run ADD COLUMN chain TEXT NOT NULL DEFAULT '';
