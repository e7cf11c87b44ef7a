-- LLM write-ups: the checks stored with each write-up, failed attempts (retried by later
-- runs), and the token usage of each run.
ALTER TABLE writeups ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';  -- JSON array of strings

CREATE TABLE writeup_failures (
    arxiv_id        TEXT NOT NULL,
    version         INTEGER NOT NULL,
    model           TEXT NOT NULL,
    prompt_version  TEXT NOT NULL,
    language        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 1,
    failed_at       TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version, model, prompt_version, language)
);

ALTER TABLE runs ADD COLUMN llm_model TEXT;
ALTER TABLE runs ADD COLUMN llm_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN llm_prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN llm_completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN llm_cost REAL;
ALTER TABLE runs ADD COLUMN writeups_written INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN writeups_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN writeups_pending INTEGER NOT NULL DEFAULT 0;
