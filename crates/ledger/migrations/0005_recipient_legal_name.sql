-- A recipient's legal name, as the contract and the PIPIA name it. `name` stays the recipient's
-- id, shared with the spec's `[[recipients]] id` and the visa register.
ALTER TABLE recipients ADD COLUMN legal_name TEXT;
