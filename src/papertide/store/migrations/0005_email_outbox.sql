-- The email outbox: one digest per recipient per announcement day, composed once and kept
-- until an SMTP server accepts it, so a failed send is retried by the next run and a sent
-- one is never sent again.
CREATE TABLE email_outbox (
    recipient TEXT NOT NULL,
    day TEXT NOT NULL,              -- YYYY-MM-DD: the announcement day the digest covers
    message_id TEXT NOT NULL,       -- the same Message-ID on every attempt
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT,                   -- NULL until the server accepted it
    PRIMARY KEY (recipient, day)
);
