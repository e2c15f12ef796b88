-- Version 2: what a filing covers, so that a change re-triggers it (T-5).
ALTER TABLE filings ADD COLUMN data_types TEXT;
ALTER TABLE filings ADD COLUMN storage_location TEXT;
