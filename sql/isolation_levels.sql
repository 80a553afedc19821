-- memopt's isolation levels: the mapping from PostgreSQL's levels, the
-- memopt.isolation_level override, and the memopt.transactions and
-- memopt.transaction_stats views. Concurrent behaviour is in the isolation
-- suite (tests/isolation).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
CREATE TABLE lvl (id int PRIMARY KEY, v int) USING memopt;
INSERT INTO lvl VALUES (1, 10), (2, 20);
CREATE FUNCTION my_memopt_txn() RETURNS TABLE (state text, isolation_level text,
    has_xid boolean, read_set int, scan_set int, write_set int)
LANGUAGE sql AS $$
  SELECT state, isolation_level, xid IS NOT NULL, read_set, scan_set, write_set
  FROM memopt.transactions WHERE pid = pg_backend_pid() $$;
-- auto: PostgreSQL's level decides.
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT v FROM lvl WHERE id = 1;
SELECT * FROM my_memopt_txn();
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT v FROM lvl WHERE id = 1;
SELECT * FROM my_memopt_txn();
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT v FROM lvl WHERE id = 1;
UPDATE lvl SET v = v + 1 WHERE id = 2;
SELECT * FROM my_memopt_txn();
COMMIT;
-- The override wins over PostgreSQL's level; SET LOCAL works before the
-- transaction's first memopt access.
SET memopt.isolation_level = repeatable_read;
BEGIN;
SELECT count(*) FROM lvl;
SELECT * FROM my_memopt_txn();
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SET LOCAL memopt.isolation_level = snapshot;
SELECT count(*) FROM lvl;
SELECT * FROM my_memopt_txn();
COMMIT;
RESET memopt.isolation_level;
SET memopt.isolation_level = 'chaos';
-- Too late once the transaction has read a memopt table (as SET TRANSACTION
-- ISOLATION LEVEL after the first query); setting the same value is fine.
BEGIN;
SELECT count(*) FROM lvl;
SET LOCAL memopt.isolation_level = auto;
SET LOCAL memopt.isolation_level = serializable;
ROLLBACK;
SHOW memopt.isolation_level;
-- Outside a transaction that touched memopt, no row.
SELECT count(*) FROM memopt.transactions WHERE pid = pg_backend_pid();
-- Counters move.
SELECT commits AS commits_before FROM memopt.transaction_stats \gset
SELECT v FROM lvl WHERE id = 2;
SELECT commits > :commits_before AS counted FROM memopt.transaction_stats;
SELECT count(*) AS columns FROM information_schema.columns
WHERE table_schema = 'memopt' AND table_name = 'transaction_stats';
-- Heap and memopt tables in one transaction: fine at READ COMMITTED and
-- REPEATABLE READ, refused at SERIALIZABLE (neither container's checks see
-- the other), unless a memopt level is chosen explicitly.
CREATE TABLE heap_side (id int PRIMARY KEY, v int);
INSERT INTO heap_side VALUES (1, 100);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT h.v + m.v AS total FROM heap_side h JOIN lvl m USING (id);
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT v FROM heap_side WHERE id = 1;
SELECT v FROM lvl WHERE id = 1;
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
UPDATE lvl SET v = v + 1 WHERE id = 1;
INSERT INTO heap_side VALUES (2, 200);
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SET LOCAL memopt.isolation_level = snapshot;
SELECT h.v + m.v AS total FROM heap_side h JOIN lvl m USING (id);
COMMIT;
-- Memopt alone, or heap alone, is fine at SERIALIZABLE.
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT v FROM lvl WHERE id = 1;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT v FROM heap_side WHERE id = 1;
COMMIT;
DROP TABLE heap_side;
DROP FUNCTION my_memopt_txn();
DROP TABLE lvl;
