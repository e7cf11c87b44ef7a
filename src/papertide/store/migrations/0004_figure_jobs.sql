-- Figure extraction state: where each crop sits on its page, and one row per paper version
-- that extraction has finished (or must retry), so a re-run does not redo finished papers.

ALTER TABLE figures ADD COLUMN box TEXT;        -- JSON [x0, y0, x1, y1] in PDF points, top-left origin

CREATE TABLE figure_jobs (
    arxiv_id        TEXT NOT NULL,
    version         INTEGER NOT NULL,
    status          TEXT NOT NULL,             -- ok | fallback | failed | retry
    reason          TEXT,                      -- why there are no figures, or what went wrong
    attempts        INTEGER NOT NULL DEFAULT 1,
    seconds         REAL NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version)
);
