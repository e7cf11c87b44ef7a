-- papertide store, schema version 1.

-- The current state of each paper: its latest known version.
CREATE TABLE papers (
    arxiv_id        TEXT PRIMARY KEY,          -- without version: 2606.14721, hep-th/9901001
    version         INTEGER NOT NULL,          -- latest version known
    title           TEXT NOT NULL,
    authors         TEXT NOT NULL,             -- JSON array of names
    abstract        TEXT NOT NULL,
    categories      TEXT NOT NULL,             -- JSON array, primary first
    comment         TEXT,
    journal_ref     TEXT,
    doi             TEXT,
    published       TEXT,                      -- ISO 8601, v1 submission
    updated         TEXT,                      -- ISO 8601, latest version submission
    announced       TEXT,                      -- ISO date the latest version was announced
    withdrawn       INTEGER NOT NULL DEFAULT 0,
    first_seen      TEXT NOT NULL,             -- ISO timestamp of the run that first stored it
    last_changed    TEXT NOT NULL
);

-- Every version seen, with how and when it was announced.
CREATE TABLE versions (
    arxiv_id        TEXT NOT NULL REFERENCES papers(arxiv_id),
    version         INTEGER NOT NULL,
    announced       TEXT,
    announce_type   TEXT NOT NULL DEFAULT '',
    first_seen      TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version)
);

-- Selection decisions: one row per (paper version, topic), selected or not.
CREATE TABLE matches (
    arxiv_id        TEXT NOT NULL,
    version         INTEGER NOT NULL,
    topic           TEXT NOT NULL,             -- topic slug
    day             TEXT NOT NULL,             -- ISO date of the page that lists it
    selected        INTEGER NOT NULL,
    score           REAL NOT NULL,
    reason          TEXT NOT NULL,
    decided_at      TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version, topic),
    FOREIGN KEY (arxiv_id, version) REFERENCES versions(arxiv_id, version)
);
CREATE INDEX matches_by_page ON matches(topic, day, selected);

-- The definition each topic had when its matches were decided; a change re-selects it.
CREATE TABLE topics (
    slug            TEXT PRIMARY KEY,
    fingerprint     TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- LLM write-ups, cached by paper version, model, prompt version and language.
CREATE TABLE writeups (
    arxiv_id        TEXT NOT NULL,
    version         INTEGER NOT NULL,
    model           TEXT NOT NULL,
    prompt_version  TEXT NOT NULL,
    language        TEXT NOT NULL,
    translation     TEXT NOT NULL,
    summary         TEXT NOT NULL,
    takeaways       TEXT NOT NULL,             -- JSON array
    created_at      TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version, model, prompt_version, language)
);

-- Figures and tables cropped from a paper version's PDF.
CREATE TABLE figures (
    arxiv_id        TEXT NOT NULL,
    version         INTEGER NOT NULL,
    idx             INTEGER NOT NULL,
    kind            TEXT NOT NULL,             -- figure | table
    number          TEXT,
    caption         TEXT NOT NULL,
    page            INTEGER NOT NULL,
    path            TEXT NOT NULL,             -- image file relative to the site root
    PRIMARY KEY (arxiv_id, version, idx)
);

-- One row per run, with its counts.
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    command         TEXT NOT NULL,             -- run | import | build
    source          TEXT NOT NULL DEFAULT '',
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL,             -- running | ok | failed
    fetched         INTEGER NOT NULL DEFAULT 0,
    new             INTEGER NOT NULL DEFAULT 0,
    revised         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    selected        INTEGER NOT NULL DEFAULT 0,
    pages_written   INTEGER NOT NULL DEFAULT 0,
    error           TEXT
);
