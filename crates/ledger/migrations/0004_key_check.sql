-- A check value of the ledger key (an HMAC under it of a fixed label), so that a key file that
-- was lost and made anew, or swapped, is named instead of silently counting everyone again.
CREATE TABLE ledger_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
