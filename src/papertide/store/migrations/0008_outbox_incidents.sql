-- One outbox for every message papertide sends: email digests (daily and weekly), chat pushes
-- and run-health alerts. A message is composed once, keyed by its channel and what it covers,
-- and kept until the service accepts it: a failed send is retried by the next run, a sent one
-- is never sent again. The email outbox of migration 5 moves into it.
CREATE TABLE outbox (
    channel TEXT NOT NULL,          -- 'email:<address>' or 'notify:<URL as written in the config>'
    message_key TEXT NOT NULL,      -- what it covers: 'daily:2026-06-16', 'weekly:i2i:2026-06-15', ...
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',  -- an email's Message-ID, the same on every attempt
    queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT,                   -- NULL until the service accepted it
    PRIMARY KEY (channel, message_key)
);

INSERT INTO outbox (channel, message_key, subject, body_text, body_html, message_id, queued_at,
                    attempts, last_error, sent_at)
SELECT 'email:' || recipient, 'daily:' || day, subject, body_text, body_html, message_id,
       queued_at, attempts, last_error, sent_at
FROM email_outbox;

DROP TABLE email_outbox;

-- Run-health incidents: a failed run, arXiv unreachable, a topic that selected nothing for
-- several announcement days. An incident stays open (closed_at NULL) until a run shows the
-- recovery, so it is alerted once however many runs see it.
CREATE TABLE incidents (
    kind TEXT NOT NULL,             -- 'run-failed', 'arxiv-unreachable' or 'topic-empty'
    subject TEXT NOT NULL,          -- the topic's slug for 'topic-empty', else ''
    opened_at TEXT NOT NULL,
    detail TEXT NOT NULL,           -- what happened, as the alert said it
    closed_at TEXT,
    PRIMARY KEY (kind, subject, opened_at)
);
