-- memopt's WAL records as pg_walinspect shows them: one FRAGMENTS record
-- per commit (more when a batch is bigger than a page), before the commit
-- record; none for rolled-back work or for schema-only tables.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
CREATE EXTENSION IF NOT EXISTS pg_walinspect;
RESET client_min_messages;
CREATE TABLE wal_t (id int PRIMARY KEY, v text) USING memopt;
CREATE TABLE wal_so (id int) USING memopt WITH (durability = schema_only);
INSERT INTO wal_t VALUES (1, 'one'), (2, 'two');
SELECT pg_current_wal_insert_lsn() AS start_lsn \gset
-- An update logs the bytes it changed (a delta of the row's previous image).
UPDATE wal_t SET v = 'uno' WHERE id = 1;
DELETE FROM wal_t WHERE id = 2;
BEGIN;
INSERT INTO wal_t VALUES (3, 'rolled back');
ROLLBACK;
INSERT INTO wal_so VALUES (1);
-- A batch bigger than a page spans several records; an image bigger than a
-- page is split into pieces.
INSERT INTO wal_t SELECT g, string_agg(md5(g::text || h::text), '')
FROM generate_series(10, 12) g, generate_series(1, 400) h GROUP BY g;
-- Committed work is flushed; the flush LSN bounds what pg_walinspect reads.
SELECT pg_current_wal_flush_lsn() AS end_lsn \gset
SELECT record_type,
       regexp_replace(description, 'xid \d+, batch \d+, offset \d+', 'xid X, batch B, offset O')
         AS description
FROM pg_get_wal_records_info(:'start_lsn', :'end_lsn')
WHERE resource_manager = 'memopt'
ORDER BY start_lsn;
-- Three transactions logged batches, and each of them committed (other
-- commits, such as autovacuum's, may fall in the range too).
WITH w AS (SELECT * FROM pg_get_wal_records_info(:'start_lsn', :'end_lsn'))
SELECT count(DISTINCT m.xid::text) AS logging_xacts,
       bool_and(EXISTS (SELECT FROM w c WHERE c.xid = m.xid
                        AND c.resource_manager = 'Transaction' AND c.record_type = 'COMMIT'))
         AS all_committed
FROM w m WHERE m.resource_manager = 'memopt';
SELECT id, length(v) FROM wal_t ORDER BY id;
DROP TABLE wal_t, wal_so;
