-- Transactions on memopt tables: commit, rollback, savepoints, PL/pgSQL
-- exception blocks, procedures that commit, statement visibility, cursors,
-- and the refusal of PREPARE TRANSACTION.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TABLE tx_t (id int, v text) USING memopt;

-- COMMIT and ROLLBACK
BEGIN;
INSERT INTO tx_t VALUES (1, 'committed');
COMMIT;
BEGIN;
INSERT INTO tx_t VALUES (2, 'rolled back');
UPDATE tx_t SET v = 'changed then rolled back' WHERE id = 1;
SELECT * FROM tx_t ORDER BY id;
ROLLBACK;
SELECT * FROM tx_t ORDER BY id;
BEGIN;
DELETE FROM tx_t;
SELECT count(*) FROM tx_t;
ROLLBACK;
SELECT * FROM tx_t ORDER BY id;
-- a failed statement aborts the transaction; its earlier writes go too
BEGIN;
INSERT INTO tx_t VALUES (3, 'before error');
SELECT 1 / 0;
COMMIT;
SELECT * FROM tx_t ORDER BY id;

-- savepoints, nested three levels
BEGIN;
INSERT INTO tx_t VALUES (10, 'level 0');
SAVEPOINT a;
INSERT INTO tx_t VALUES (11, 'level 1');
UPDATE tx_t SET v = 'updated in level 1' WHERE id = 1;
SAVEPOINT b;
INSERT INTO tx_t VALUES (12, 'level 2');
DELETE FROM tx_t WHERE id = 10;
SAVEPOINT c;
INSERT INTO tx_t VALUES (13, 'level 3');
UPDATE tx_t SET v = 'updated in level 3' WHERE id = 11;
SELECT * FROM tx_t ORDER BY id;
ROLLBACK TO SAVEPOINT c;
SELECT * FROM tx_t ORDER BY id;
ROLLBACK TO SAVEPOINT b;
SELECT * FROM tx_t ORDER BY id;
-- the savepoint is still there after ROLLBACK TO: use it again
INSERT INTO tx_t VALUES (14, 'level 2 again');
RELEASE SAVEPOINT b;
SAVEPOINT d;
UPDATE tx_t SET v = 'updated in d' WHERE id = 14;
RELEASE SAVEPOINT d;
ROLLBACK TO SAVEPOINT a;
SELECT * FROM tx_t ORDER BY id;
INSERT INTO tx_t VALUES (15, 'after rollback to a');
COMMIT;
SELECT * FROM tx_t ORDER BY id;
-- released savepoints are kept by COMMIT
BEGIN;
SAVEPOINT s1;
INSERT INTO tx_t VALUES (20, 's1');
SAVEPOINT s2;
INSERT INTO tx_t VALUES (21, 's2');
SAVEPOINT s3;
UPDATE tx_t SET v = v || ' (s3)' WHERE id IN (20, 21);
RELEASE SAVEPOINT s1;
COMMIT;
SELECT * FROM tx_t WHERE id >= 20 ORDER BY id;
-- an error inside a savepoint, recovered with ROLLBACK TO
BEGIN;
INSERT INTO tx_t VALUES (30, 'kept');
SAVEPOINT e;
INSERT INTO tx_t VALUES (31, 'lost');
SELECT 1 / 0;
ROLLBACK TO SAVEPOINT e;
INSERT INTO tx_t VALUES (32, 'kept too');
COMMIT;
SELECT * FROM tx_t WHERE id >= 30 ORDER BY id;
-- a row updated several times across savepoints, partly rolled back
BEGIN;
UPDATE tx_t SET v = 'v1' WHERE id = 1;
SAVEPOINT x;
UPDATE tx_t SET v = 'v2' WHERE id = 1;
SAVEPOINT y;
UPDATE tx_t SET v = 'v3' WHERE id = 1;
DELETE FROM tx_t WHERE id = 1;
ROLLBACK TO SAVEPOINT y;
SELECT v FROM tx_t WHERE id = 1;
ROLLBACK TO SAVEPOINT x;
SELECT v FROM tx_t WHERE id = 1;
COMMIT;
SELECT v FROM tx_t WHERE id = 1;

-- PL/pgSQL exception blocks: the failed block's writes vanish, others stay
CREATE FUNCTION tx_blocks() RETURNS text LANGUAGE plpgsql AS $$
DECLARE result text := '';
BEGIN
  INSERT INTO tx_t VALUES (40, 'outer before');
  BEGIN
    INSERT INTO tx_t VALUES (41, 'inner, fails');
    UPDATE tx_t SET v = 'inner update, fails' WHERE id = 40;
    DELETE FROM tx_t WHERE id = 30;
    RAISE EXCEPTION 'boom';
  EXCEPTION WHEN OTHERS THEN
    result := result || 'caught ' || SQLERRM || '; ';
  END;
  BEGIN
    INSERT INTO tx_t VALUES (42, 'inner, succeeds');
    BEGIN
      UPDATE tx_t SET v = 'nested, fails' WHERE id = 42;
      PERFORM 1 / 0;
    EXCEPTION WHEN division_by_zero THEN
      result := result || 'caught division; ';
    END;
  EXCEPTION WHEN OTHERS THEN
    result := result || 'not reached; ';
  END;
  INSERT INTO tx_t VALUES (43, 'outer after');
  RETURN result;
END $$;
SELECT tx_blocks();
SELECT * FROM tx_t WHERE id >= 30 ORDER BY id;
-- the same in a loop: every second block fails
CREATE TABLE tx_loop (i int) USING memopt;
DO $$
BEGIN
  FOR k IN 1..200 LOOP
    BEGIN
      INSERT INTO tx_loop VALUES (k);
      UPDATE tx_loop SET i = -i WHERE i = k - 1;   -- the previous, kept row
      IF k % 2 = 0 THEN RAISE EXCEPTION 'even'; END IF;
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
END $$;
SELECT count(*), sum(i), min(i), max(i) FROM tx_loop;

-- procedures that COMMIT and ROLLBACK inside
CREATE PROCEDURE tx_proc() LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO tx_t VALUES (50, 'committed in proc');
  COMMIT;
  INSERT INTO tx_t VALUES (51, 'rolled back in proc');
  UPDATE tx_t SET v = 'rolled back update' WHERE id = 50;
  ROLLBACK;
  INSERT INTO tx_t VALUES (52, 'committed at end');
END $$;
CALL tx_proc();
SELECT * FROM tx_t WHERE id >= 50 ORDER BY id;
CREATE PROCEDURE tx_proc_loop() LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..10 LOOP
    INSERT INTO tx_loop VALUES (1000 + i);
    IF i % 3 = 0 THEN ROLLBACK; ELSE COMMIT; END IF;
  END LOOP;
END $$;
CALL tx_proc_loop();
SELECT i FROM tx_loop WHERE i > 1000 ORDER BY i;

-- READ COMMITTED sees its own earlier writes
BEGIN;
INSERT INTO tx_t VALUES (60, 'own write');
SELECT * FROM tx_t WHERE id = 60;
UPDATE tx_t SET v = 'own update' WHERE id = 60;
SELECT * FROM tx_t WHERE id = 60;
DELETE FROM tx_t WHERE id = 60;
SELECT count(*) FROM tx_t WHERE id = 60;
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO tx_t VALUES (61, 'own write in RR');
UPDATE tx_t SET v = 'own update in RR' WHERE id = 61;
SELECT * FROM tx_t WHERE id = 61;
COMMIT;

-- a statement does not see its own inserts
CREATE TABLE tx_double (n int) USING memopt;
INSERT INTO tx_double SELECT generate_series(1, 100);
INSERT INTO tx_double SELECT * FROM tx_double;
SELECT count(*), sum(n) FROM tx_double;
INSERT INTO tx_double SELECT n + 1000 FROM tx_double;
SELECT count(*) FROM tx_double;
-- nor its own updates (each row is updated once)
UPDATE tx_double SET n = n + 1;
SELECT count(*), sum(n) FROM tx_double;
-- a function called by a statement sees the writes made before the statement
CREATE FUNCTION tx_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM tx_double';
BEGIN;
DELETE FROM tx_double WHERE n > 1000;
SELECT tx_count();
INSERT INTO tx_double SELECT tx_count() FROM generate_series(1, 3);
SELECT n FROM tx_double WHERE n = 200;
COMMIT;

-- cursors: forward, backward (SCROLL), MOVE
CREATE TABLE tx_cur (n int) USING memopt;
INSERT INTO tx_cur SELECT generate_series(1, 10);
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT n FROM tx_cur ORDER BY n;
FETCH 3 FROM c;
FETCH BACKWARD 2 FROM c;
MOVE FORWARD 5 IN c;
FETCH NEXT FROM c;
FETCH LAST FROM c;
FETCH ABSOLUTE 2 FROM c;
FETCH RELATIVE 3 FROM c;
FETCH PRIOR FROM c;
-- writes after the cursor was opened are not seen by it
INSERT INTO tx_cur VALUES (11);
FETCH ALL FROM c;
CLOSE c;
-- a cursor without ORDER BY, read backwards
DECLARE c2 SCROLL CURSOR FOR SELECT n FROM tx_cur WHERE n <= 5;
FETCH ALL FROM c2;
FETCH BACKWARD ALL FROM c2;
CLOSE c2;
COMMIT;
-- WITH HOLD cursor survives commit, and keeps its snapshot
BEGIN;
DECLARE h CURSOR WITH HOLD FOR SELECT n FROM tx_cur ORDER BY n;
FETCH 2 FROM h;
COMMIT;
DELETE FROM tx_cur WHERE n > 3;
FETCH 3 FROM h;
FETCH ALL FROM h;
CLOSE h;
SELECT n FROM tx_cur ORDER BY n;
-- a cursor over a memopt table that the transaction then updates
BEGIN;
DECLARE u CURSOR FOR SELECT n FROM tx_cur ORDER BY n;
FETCH 1 FROM u;
UPDATE tx_cur SET n = n * 100;
FETCH ALL FROM u;
CLOSE u;
SELECT n FROM tx_cur ORDER BY n;
ROLLBACK;

-- PREPARE TRANSACTION is refused (0A000) and the transaction's data is gone
BEGIN;
INSERT INTO tx_t VALUES (70, 'prepared?');
UPDATE tx_t SET v = 'updated before prepare' WHERE id = 1;
PREPARE TRANSACTION 'tx_memopt';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'tx_memopt';
SELECT * FROM tx_t WHERE id IN (1, 70) ORDER BY id;
-- also when the transaction only read a memopt table
BEGIN;
SELECT count(*) FROM tx_t;
PREPARE TRANSACTION 'tx_memopt_read';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pg_prepared_xacts;
-- a transaction that did not touch memopt can still be prepared
CREATE TABLE tx_heap (n int);
BEGIN;
INSERT INTO tx_heap VALUES (1);
PREPARE TRANSACTION 'tx_heap_only';
COMMIT PREPARED 'tx_heap_only';
SELECT * FROM tx_heap;

SELECT * FROM tx_t ORDER BY id;
DROP TABLE tx_t, tx_loop, tx_double, tx_cur, tx_heap;
DROP FUNCTION tx_blocks(), tx_count();
DROP PROCEDURE tx_proc(), tx_proc_loop();
