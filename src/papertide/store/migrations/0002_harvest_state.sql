-- papertide store, schema version 2: what the live arXiv harvest remembers between runs.

-- One row per harvested stream: "rss:cs.CV" (a category's daily listing) or
-- "oai:cs:2026-06-01:2026-06-30" (a backfill).
CREATE TABLE harvests (
    key             TEXT PRIMARY KEY,
    last_listing    TEXT,                      -- ISO date of the newest listing stored
    harvested_at    TEXT,                      -- ISO timestamp (UTC) of the last complete harvest
    checkpoint      TEXT,                      -- OAI resumption token of an unfinished harvest
    updated_at      TEXT NOT NULL
);
