-- The hourly purge deletes keys older than seven days (IdempotencyKeyPurge). Without an index on the age it scanned the
-- whole table, and a DELETE's scan under REPEATABLE READ locks every row and gap it passes: it waited for each
-- submission in flight (a claim not yet committed) and, while it waited, every new claim waited for it, so submissions
-- answered 409 "in progress" until the purge's command timed out. Through this index the purge reads only the old keys
-- and the first one after them (a submission's only when nothing else was written since the cutoff). Adding it is online
-- on MariaDB and MySQL 8.
ALTER TABLE idempotency_keys ADD KEY ix_idempotency_keys_created (created_at);
