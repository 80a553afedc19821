-- Row locks on memopt tables in one session (tests/isolation/specs/row_locks.spec
-- has the concurrent behaviour): every lock mode, the locker's own writes,
-- savepoints, cursors and joins.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
CREATE TABLE jobs (id int PRIMARY KEY, state text NOT NULL, payload text) USING memopt;
INSERT INTO jobs SELECT g, 'new', 'job ' || g FROM generate_series(1, 6) g;
CREATE TABLE owners (job int, who text) USING memopt;
INSERT INTO owners VALUES (1, 'ann'), (2, 'bob');

-- Every mode returns the rows, and the locker may then change them.
BEGIN;
SELECT id FROM jobs WHERE id <= 2 ORDER BY id FOR UPDATE;
SELECT id FROM jobs WHERE id = 3 FOR NO KEY UPDATE;
SELECT id FROM jobs WHERE id = 4 FOR SHARE;
SELECT id FROM jobs WHERE id = 5 FOR KEY SHARE;
SELECT id FROM jobs WHERE id <= 5 ORDER BY id FOR UPDATE;  -- locked twice: fine
UPDATE jobs SET state = 'running' WHERE id <= 4;
DELETE FROM jobs WHERE id = 5;
SELECT id, state FROM jobs ORDER BY id FOR UPDATE;  -- our own new versions
COMMIT;
SELECT id, state FROM jobs ORDER BY id;

-- A savepoint rolled back releases what it locked and keeps the rest; the
-- rows stay usable afterwards.
BEGIN;
SELECT id FROM jobs WHERE id = 1 FOR UPDATE;
SAVEPOINT s;
SELECT id FROM jobs WHERE id = 2 FOR UPDATE;
UPDATE jobs SET state = 'done' WHERE id = 1;
ROLLBACK TO SAVEPOINT s;
UPDATE jobs SET state = 'done' WHERE id = 2;
SELECT id, state FROM jobs WHERE id <= 2 ORDER BY id;
COMMIT;

-- A lock taken by a failed statement's subtransaction goes with it.
CREATE FUNCTION take_and_fail(j int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM 1 FROM jobs WHERE id = j FOR UPDATE;
    RAISE EXCEPTION 'boom';
  EXCEPTION WHEN raise_exception THEN
    RETURN 'caught';
  END;
END $$;
BEGIN;
SELECT take_and_fail(3);
UPDATE jobs SET state = 'retried' WHERE id = 3;
COMMIT;
SELECT id, state FROM jobs WHERE id = 3;

-- Locking through a join, FOR UPDATE OF one table, and a cursor with
-- WHERE CURRENT OF.
BEGIN;
SELECT j.id, o.who FROM jobs j JOIN owners o ON o.job = j.id ORDER BY j.id FOR UPDATE OF j;
SELECT j.id, o.who FROM jobs j JOIN owners o ON o.job = j.id ORDER BY j.id FOR UPDATE;
DECLARE c CURSOR FOR SELECT id, state FROM jobs WHERE state = 'new' ORDER BY id FOR UPDATE;
FETCH c;
UPDATE jobs SET state = 'picked' WHERE CURRENT OF c;
COMMIT;
SELECT id, state FROM jobs ORDER BY id;

-- SKIP LOCKED and NOWAIT with nothing locked by others behave as plain FOR UPDATE.
BEGIN;
SELECT id FROM jobs ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED;
SELECT id FROM jobs WHERE id = 6 FOR UPDATE NOWAIT;
COMMIT;

DROP FUNCTION take_and_fail(int);
DROP TABLE jobs, owners;
