-- Differential test: a deterministic pseudo-random workload applies the same
-- INSERT / UPDATE / DELETE / SELECT statements to a heap table and a memopt
-- table, with PL/pgSQL exception blocks (savepoints) that are randomly rolled
-- back and transactions that are randomly rolled back. After every batch the
-- two tables must hold the same rows and give the same aggregates. Any
-- difference shows up as an "f" or a WARNING in the output.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TABLE diff_h (k int, grp int, val int, txt text, n numeric);
CREATE TABLE diff_m (k int, grp int, val int, txt text, n numeric) USING memopt;

-- next pseudo-random number in [0, m) from a linear congruential generator
CREATE FUNCTION diff_rand(INOUT state bigint, m int, OUT r int) LANGUAGE plpgsql AS $$
BEGIN
  state := (state * 1103515245 + 12345) % 2147483648;
  r := ((state / 65536) % m)::int;
END $$;

-- runs one statement (with $T for the table) on both tables and, for a
-- SELECT, compares the results
CREATE FUNCTION diff_both(stmt text, is_query boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE rh text; rm text;
BEGIN
  IF is_query THEN
    EXECUTE 'SELECT (' || replace(stmt, '$T', 'diff_h') || ')::text' INTO rh;
    EXECUTE 'SELECT (' || replace(stmt, '$T', 'diff_m') || ')::text' INTO rm;
    IF rh IS DISTINCT FROM rm THEN
      RAISE WARNING 'query results differ: % / heap % / memopt %', stmt, rh, rm;
    END IF;
  ELSE
    EXECUTE replace(stmt, '$T', 'diff_h');
    EXECUTE replace(stmt, '$T', 'diff_m');
  END IF;
END $$;

-- one random operation
CREATE FUNCTION diff_op(INOUT state bigint, INOUT next_key int) LANGUAGE plpgsql AS $$
DECLARE op int; a int; b int; c int;
BEGIN
  SELECT * INTO state, op FROM diff_rand(state, 100);
  SELECT * INTO state, a FROM diff_rand(state, 1000);
  SELECT * INTO state, b FROM diff_rand(state, 10);
  SELECT * INTO state, c FROM diff_rand(state, 7);
  IF op < 30 THEN          -- insert one row
    next_key := next_key + 1;
    PERFORM diff_both(format('INSERT INTO $T VALUES (%s, %s, %s, %L, %s)',
                             next_key, b, a, CASE WHEN c = 0 THEN NULL ELSE md5(a::text) END,
                             CASE WHEN c = 1 THEN 'NULL' ELSE (a / 7.0)::text END));
  ELSIF op < 35 THEN       -- insert several rows
    PERFORM diff_both(format('INSERT INTO $T SELECT %s + g, g %% 10, g * %s, ''m'' || g, g / 3.0 FROM generate_series(1, %s) g',
                             next_key, c, b + 1));
    next_key := next_key + b + 1;
  ELSIF op < 50 THEN       -- update one row by key
    PERFORM diff_both(format('UPDATE $T SET val = val + %s, txt = coalesce(txt, '''') || %L WHERE k = %s',
                             c - 3, chr(97 + b), greatest(next_key - a % 300, 1)));
  ELSIF op < 58 THEN       -- update a group
    PERFORM diff_both(format('UPDATE $T SET val = val * 2 %% 1000, n = coalesce(n, 0) + 1 WHERE grp = %s AND k %% 7 = %s',
                             b, c));
  ELSIF op < 62 THEN       -- update that moves rows between groups
    PERFORM diff_both(format('UPDATE $T SET grp = (grp + 1) %% 10 WHERE val < %s AND grp = %s', a / 10, b));
  ELSIF op < 72 THEN       -- delete one row by key
    PERFORM diff_both(format('DELETE FROM $T WHERE k = %s', greatest(next_key - a % 300, 1)));
  ELSIF op < 76 THEN       -- delete a slice
    PERFORM diff_both(format('DELETE FROM $T WHERE grp = %s AND val %% 13 = %s', b, c));
  ELSIF op < 80 THEN       -- insert copies of a group (a statement does not see its own inserts)
    PERFORM diff_both(format('INSERT INTO $T SELECT k + 1000000, grp, val + 1, txt, n FROM $T WHERE grp = %s AND k %% 10 = %s',
                             b, c), false);
  ELSIF op < 90 THEN       -- compare an aggregate query
    PERFORM diff_both(format('SELECT array_agg(x ORDER BY x) FROM (SELECT grp, count(*), sum(val), min(txt), max(n) FROM $T WHERE k %% 10 = %s GROUP BY grp) x', b), true);
  ELSE                     -- compare a point query
    PERFORM diff_both(format('SELECT array_agg(x ORDER BY x) FROM (SELECT * FROM $T WHERE k BETWEEN %s AND %s) x',
                             next_key - a % 300, next_key - a % 300 + c), true);
  END IF;
END $$;

-- A batch: transactions of a few exception blocks each; a block is rolled
-- back by a RAISE one time in four, a transaction one time in five.
CREATE PROCEDURE diff_batch(seed int, ops int, INOUT done int DEFAULT 0,
                            INOUT blocks_rolled_back int DEFAULT 0, INOUT xacts_rolled_back int DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
  state bigint := seed;
  next_key int;
  r int;
  block_ops int;
BEGIN
  WHILE done < ops LOOP
    SELECT coalesce(max(k), 0) INTO next_key FROM diff_h WHERE k < 1000000;
    FOR blk IN 1..3 LOOP
      SELECT * INTO state, block_ops FROM diff_rand(state, 12);
      SELECT * INTO state, r FROM diff_rand(state, 4);
      BEGIN
        FOR i IN 0..block_ops LOOP
          SELECT * INTO state, next_key FROM diff_op(state, next_key);
        END LOOP;
        IF r = 0 THEN RAISE EXCEPTION 'roll back this block'; END IF;
      EXCEPTION WHEN raise_exception THEN
        blocks_rolled_back := blocks_rolled_back + 1;
      END;
      done := done + block_ops + 1;
    END LOOP;
    SELECT * INTO state, r FROM diff_rand(state, 5);
    IF r = 0 THEN
      ROLLBACK;
      xacts_rolled_back := xacts_rolled_back + 1;
    ELSE
      COMMIT;
    END IF;
  END LOOP;
END $$;

-- the checks run after every batch
CREATE VIEW diff_check AS
SELECT (SELECT count(*) FROM (SELECT * FROM diff_h EXCEPT ALL SELECT * FROM diff_m) d) = 0
   AND (SELECT count(*) FROM (SELECT * FROM diff_m EXCEPT ALL SELECT * FROM diff_h) d) = 0
       AS same_rows,
       (SELECT count(*) FROM diff_h) = (SELECT count(*) FROM diff_m) AS same_count,
       (SELECT array_agg(x ORDER BY x) FROM
          (SELECT grp, count(*), sum(val), min(val), max(val), sum(n), min(k), max(k), count(txt), max(txt)
           FROM diff_h GROUP BY grp) x)
       IS NOT DISTINCT FROM
       (SELECT array_agg(x ORDER BY x) FROM
          (SELECT grp, count(*), sum(val), min(val), max(val), sum(n), min(k), max(k), count(txt), max(txt)
           FROM diff_m GROUP BY grp) x) AS same_aggregates,
       (SELECT sum(hashtext(d::text)::bigint) FROM diff_h d)
       IS NOT DISTINCT FROM (SELECT sum(hashtext(d::text)::bigint) FROM diff_m d) AS same_hash;

-- start from the same rows
INSERT INTO diff_h SELECT g, g % 10, g * 7 % 1000, md5(g::text), g / 3.0 FROM generate_series(1, 300) g;
INSERT INTO diff_m SELECT * FROM diff_h;
SELECT * FROM diff_check;

CALL diff_batch(42, 400);
SELECT * FROM diff_check;
CALL diff_batch(4242, 400);
SELECT * FROM diff_check;
CALL diff_batch(7, 400);
SELECT * FROM diff_check;
CALL diff_batch(123456, 400);
SELECT * FROM diff_check;
CALL diff_batch(99, 400);
SELECT * FROM diff_check;
-- a batch in an explicit transaction block cannot commit inside, so run the
-- operations through a DO block inside BEGIN ... ROLLBACK / COMMIT
BEGIN;
DO $$
DECLARE state bigint := 5; next_key int;
BEGIN
  SELECT max(k) INTO next_key FROM diff_h WHERE k < 1000000;
  FOR i IN 1..300 LOOP
    SELECT * INTO state, next_key FROM diff_op(state, next_key);
  END LOOP;
END $$;
SELECT * FROM diff_check;
ROLLBACK;
SELECT * FROM diff_check;
BEGIN;
DO $$
DECLARE state bigint := 6; next_key int;
BEGIN
  SELECT max(k) INTO next_key FROM diff_h WHERE k < 1000000;
  FOR i IN 1..300 LOOP
    SELECT * INTO state, next_key FROM diff_op(state, next_key);
  END LOOP;
END $$;
COMMIT;
SELECT * FROM diff_check;
CALL diff_batch(2024, 400);
SELECT * FROM diff_check;
CALL diff_batch(31337, 400);
SELECT * FROM diff_check;
-- VACUUM in the middle changes nothing
VACUUM diff_m;
SELECT * FROM diff_check;
CALL diff_batch(1, 400);
SELECT * FROM diff_check;

-- The same workload with indexes, used wherever the planner can (sequential
-- scans off): a range index on the key, a hash index on the group, a range
-- index on a text column that updates change, a two-column range index; on
-- the heap side btree. VACUUM between batches removes entries of dead rows
-- and of replaced keys while the lookups keep agreeing with heap.
CREATE INDEX diff_h_k ON diff_h (k);
CREATE INDEX diff_h_grp ON diff_h USING hash (grp);
CREATE INDEX diff_h_txt ON diff_h (txt);
CREATE INDEX diff_h_grp_val ON diff_h (grp, val);
CREATE INDEX diff_m_k ON diff_m (k);
CREATE INDEX diff_m_grp ON diff_m USING memopt_hash (grp) WITH (bucket_count = 4);
CREATE INDEX diff_m_txt ON diff_m (txt);
CREATE INDEX diff_m_grp_val ON diff_m (grp, val);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM diff_m WHERE k BETWEEN 5 AND 9;
EXPLAIN (COSTS OFF) UPDATE diff_m SET val = 1 WHERE grp = 3 AND k % 7 = 2;
CALL diff_batch(77, 400);
SELECT * FROM diff_check;
VACUUM diff_m;
CALL diff_batch(78, 400);
SELECT * FROM diff_check;
BEGIN;
DO $$
DECLARE state bigint := 79; next_key int;
BEGIN
  SELECT max(k) INTO next_key FROM diff_h WHERE k < 1000000;
  FOR i IN 1..300 LOOP
    SELECT * INTO state, next_key FROM diff_op(state, next_key);
  END LOOP;
END $$;
SELECT * FROM diff_check;
ROLLBACK;
VACUUM diff_m;
CALL diff_batch(80, 400);
SELECT * FROM diff_check;
-- and once through PostgreSQL's index scans instead of memopt's custom scans
SET memopt.enable_custom_scans = off;
EXPLAIN (COSTS OFF) SELECT * FROM diff_m WHERE k BETWEEN 5 AND 9;
CALL diff_batch(81, 400);
SELECT * FROM diff_check;
RESET memopt.enable_custom_scans;
-- every index agrees with the table after VACUUM: one entry per live row

VACUUM diff_m;
SELECT index, entries = (SELECT count(*) FROM diff_m) AS one_entry_per_row
FROM memopt.indexes WHERE relation = 'diff_m'::regclass ORDER BY index::text;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- the workload did what it should: many operations, some of them undone
SELECT count(*) > 100 AS has_rows FROM diff_h;
DROP VIEW diff_check;
DROP PROCEDURE diff_batch(int, int, int, int, int);
DROP FUNCTION diff_op(bigint, int), diff_both(text, boolean), diff_rand(bigint, int);
DROP TABLE diff_h, diff_m;
