-- A transfer of a twin covered by an anonymized visa is recorded but not counted; the visa is kept.
ALTER TABLE transfers ADD COLUMN visa_id TEXT;
