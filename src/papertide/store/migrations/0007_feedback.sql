-- The reader's ratings: "relevant / not relevant" for one paper and one topic, from the
-- site's buttons, an exported ratings file or the reader's library. One row per paper and
-- topic: a later rating replaces an earlier one.
CREATE TABLE feedback (
    paper_id        TEXT NOT NULL,             -- arXiv id without version: 2606.14721
    topic           TEXT NOT NULL,             -- topic slug
    relevant        INTEGER NOT NULL,          -- 1 relevant, 0 not relevant
    source          TEXT NOT NULL,             -- page | serve | file | bibtex | ris | csl-json | ids | zotero
    rated_at        TEXT NOT NULL,             -- ISO timestamp (UTC) of the rating
    PRIMARY KEY (paper_id, topic)
);
CREATE INDEX feedback_by_topic ON feedback(topic);
