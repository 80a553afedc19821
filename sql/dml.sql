-- DML on memopt tables: INSERT/UPDATE/DELETE with RETURNING, joins with heap
-- tables, CTEs, views, triggers, constraints, identity and generated columns,
-- foreign keys, and access by ctid.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TABLE dml_t (id int, name text, qty int) USING memopt;

-- INSERT with RETURNING, single and multi-row
INSERT INTO dml_t VALUES (1, 'apple', 10) RETURNING *;
INSERT INTO dml_t VALUES (2, 'banana', 20), (3, 'cherry', 30), (4, 'date', NULL)
RETURNING id, upper(name) AS uname, qty * 2 AS double_qty;
INSERT INTO dml_t SELECT g, 'item ' || g, g FROM generate_series(5, 10) g;
SELECT * FROM dml_t ORDER BY id;

-- UPDATE with RETURNING; an UPDATE that changes every row
UPDATE dml_t SET qty = qty + 1 WHERE id = 1 RETURNING id, qty;
WITH u AS (
  UPDATE dml_t SET qty = coalesce(qty, 0) * 10, name = name || '!' RETURNING id, name, qty
) SELECT * FROM u ORDER BY id;
SELECT count(*), sum(qty) FROM dml_t;
UPDATE dml_t SET qty = 0 WHERE id > 100;
-- updating the same rows several times in one transaction
BEGIN;
UPDATE dml_t SET qty = qty + 1;
UPDATE dml_t SET qty = qty + 1;
UPDATE dml_t SET qty = qty + 1 WHERE id % 2 = 0;
SELECT id, qty FROM dml_t ORDER BY id;
COMMIT;
SELECT id, qty FROM dml_t ORDER BY id;

-- DELETE with RETURNING
DELETE FROM dml_t WHERE id IN (9, 10) RETURNING *;
DELETE FROM dml_t WHERE id = 999 RETURNING *;
SELECT count(*) FROM dml_t;

-- UPDATE ... FROM and DELETE ... USING with a heap table
CREATE TABLE dml_heap (id int, bonus int, tag text);
INSERT INTO dml_heap VALUES (1, 100, 'a'), (2, 200, 'b'), (3, 300, 'c'), (42, 0, 'none');
UPDATE dml_t t SET qty = t.qty + h.bonus FROM dml_heap h WHERE h.id = t.id
RETURNING t.id, t.qty, h.tag;
DELETE FROM dml_t t USING dml_heap h WHERE h.id = t.id AND h.tag = 'c' RETURNING t.id;
-- and the other way round: a heap table updated from a memopt table
UPDATE dml_heap h SET bonus = t.qty FROM dml_t t WHERE t.id = h.id RETURNING h.*;
SELECT * FROM dml_t ORDER BY id;

-- joins between memopt and heap tables
SELECT t.id, t.name, h.tag FROM dml_t t JOIN dml_heap h USING (id) ORDER BY t.id;
SELECT t.id, h.tag FROM dml_t t LEFT JOIN dml_heap h USING (id) ORDER BY t.id;
SELECT h.id, t.name FROM dml_heap h LEFT JOIN dml_t t USING (id) ORDER BY h.id;
SELECT count(*) FROM dml_t a JOIN dml_t b ON a.id < b.id;
SELECT id FROM dml_t WHERE id IN (SELECT id FROM dml_heap) ORDER BY id;
SELECT id FROM dml_t t WHERE NOT EXISTS (SELECT 1 FROM dml_heap h WHERE h.id = t.id) ORDER BY id;

-- data-modifying CTEs
WITH moved AS (
  DELETE FROM dml_t WHERE id >= 7 RETURNING *
)
INSERT INTO dml_heap SELECT id, qty, 'moved' FROM moved RETURNING *;
WITH ins AS (
  INSERT INTO dml_t VALUES (20, 'cte', 1), (21, 'cte', 2) RETURNING id
), upd AS (
  UPDATE dml_t SET qty = -1 WHERE id = 1 RETURNING id
)
SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM upd) AS updated;
-- the CTE's writes are not visible to the statement's own scan
WITH ins AS (INSERT INTO dml_t VALUES (22, 'cte', 3) RETURNING id)
SELECT count(*) AS visible_in_statement FROM dml_t WHERE id = 22;
SELECT * FROM dml_t ORDER BY id;

-- views over memopt tables, including updatable views
CREATE VIEW dml_v AS SELECT id, name, qty FROM dml_t WHERE qty > 0;
CREATE VIEW dml_vcheck AS SELECT id, name, qty FROM dml_t WHERE qty > 0 WITH CHECK OPTION;
CREATE VIEW dml_vjoin AS SELECT t.id, t.name, h.tag FROM dml_t t JOIN dml_heap h USING (id);
SELECT * FROM dml_v ORDER BY id;
SELECT * FROM dml_vjoin ORDER BY id;
INSERT INTO dml_v VALUES (30, 'via view', 5);
UPDATE dml_v SET qty = qty + 1000 WHERE id = 30 RETURNING *;
DELETE FROM dml_v WHERE id = 20 RETURNING *;
INSERT INTO dml_vcheck VALUES (31, 'bad', -5);
\echo :LAST_ERROR_SQLSTATE
UPDATE dml_vcheck SET qty = -1 WHERE id = 30;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dml_t ORDER BY id;

-- triggers: BEFORE/AFTER, ROW/STATEMENT, with OLD and NEW
CREATE TABLE dml_log (seq serial, event text);
CREATE FUNCTION dml_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    INSERT INTO dml_log(event) VALUES (TG_WHEN || ' ' || TG_OP || ' statement');
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO dml_log(event) VALUES (TG_WHEN || ' INSERT new=' || NEW::text);
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO dml_log(event) VALUES (TG_WHEN || ' UPDATE old=' || OLD::text || ' new=' || NEW::text);
  ELSE
    INSERT INTO dml_log(event) VALUES (TG_WHEN || ' DELETE old=' || OLD::text);
  END IF;
  IF TG_WHEN = 'BEFORE' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    -- BEFORE triggers can change the row
    IF NEW.name = 'shout' THEN NEW.name := 'SHOUT'; END IF;
    -- ... or skip it
    IF NEW.name = 'skip' THEN RETURN NULL; END IF;
    RETURN NEW;
  END IF;
  RETURN NULL;
END $$;
CREATE TABLE dml_trg (id int, name text) USING memopt;
CREATE TRIGGER b_row BEFORE INSERT OR UPDATE OR DELETE ON dml_trg
  FOR EACH ROW EXECUTE FUNCTION dml_trig();
CREATE TRIGGER a_row AFTER INSERT OR UPDATE OR DELETE ON dml_trg
  FOR EACH ROW EXECUTE FUNCTION dml_trig();
CREATE TRIGGER b_stmt BEFORE INSERT OR UPDATE OR DELETE ON dml_trg
  FOR EACH STATEMENT EXECUTE FUNCTION dml_trig();
CREATE TRIGGER a_stmt AFTER INSERT OR UPDATE OR DELETE ON dml_trg
  FOR EACH STATEMENT EXECUTE FUNCTION dml_trig();
INSERT INTO dml_trg VALUES (1, 'one'), (2, 'shout'), (3, 'skip');
UPDATE dml_trg SET name = name || '+' WHERE id = 1;
DELETE FROM dml_trg WHERE id = 2;
SELECT * FROM dml_trg ORDER BY id;
SELECT event FROM dml_log ORDER BY seq;
-- MERGE fires the same row triggers; a BEFORE UPDATE or DELETE row trigger
-- locks the row first (table_tuple_lock), which once sent MERGE into an
-- endless retry: the timeout turns a relapse into an error
INSERT INTO dml_trg VALUES (7, 'seven');
TRUNCATE dml_log;
SET statement_timeout = '60s';
MERGE INTO dml_trg t
USING (VALUES (1, 'merged'), (7, NULL), (5, 'five'), (3, 'skip')) s(id, name) ON t.id = s.id
WHEN MATCHED AND s.name IS NULL THEN DELETE
WHEN MATCHED THEN UPDATE SET name = s.name
WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.name);
RESET statement_timeout;
SELECT * FROM dml_trg ORDER BY id;
SELECT event FROM dml_log ORDER BY seq;
-- AFTER trigger with a transition table
TRUNCATE dml_log;
CREATE FUNCTION dml_trans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dml_log(event)
  SELECT 'transition: ' || string_agg(o.id || ':' || o.name || '->' || n.name, ', ' ORDER BY o.id)
  FROM old_rows o JOIN new_rows n USING (id);
  RETURN NULL;
END $$;
CREATE TRIGGER a_trans AFTER UPDATE ON dml_trg
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dml_trans();
DROP TRIGGER b_row ON dml_trg;
DROP TRIGGER a_row ON dml_trg;
DROP TRIGGER b_stmt ON dml_trg;
DROP TRIGGER a_stmt ON dml_trg;
INSERT INTO dml_trg VALUES (4, 'four');
UPDATE dml_trg SET name = upper(name);
SELECT event FROM dml_log ORDER BY seq;
-- a trigger that raises rolls back the statement
CREATE FUNCTION dml_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id > 100 THEN RAISE EXCEPTION 'id % too large', NEW.id; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER b_refuse BEFORE INSERT ON dml_trg FOR EACH ROW EXECUTE FUNCTION dml_refuse();
INSERT INTO dml_trg VALUES (50, 'ok'), (500, 'too large');
SELECT * FROM dml_trg ORDER BY id;

-- MERGE without triggers: every action, conditions, DO NOTHING, a source
-- row matching twice (21000), and a key conflict on insert (23505)
CREATE TABLE dml_merge (id int PRIMARY KEY, qty int NOT NULL) USING memopt;
INSERT INTO dml_merge VALUES (1, 10), (2, 20), (3, 30);
MERGE INTO dml_merge t
USING (VALUES (1, 5), (2, -20), (3, 0), (4, 40), (5, 0)) s(id, delta) ON t.id = s.id
WHEN MATCHED AND t.qty + s.delta = 0 THEN DELETE
WHEN MATCHED AND s.delta = 0 THEN DO NOTHING
WHEN MATCHED THEN UPDATE SET qty = t.qty + s.delta
WHEN NOT MATCHED AND s.delta > 0 THEN INSERT VALUES (s.id, s.delta)
WHEN NOT MATCHED THEN DO NOTHING;
SELECT * FROM dml_merge ORDER BY id;
MERGE INTO dml_merge t USING (VALUES (1, 1), (1, 2)) s(id, delta) ON t.id = s.id
WHEN MATCHED THEN UPDATE SET qty = t.qty + s.delta;
\echo :LAST_ERROR_SQLSTATE
MERGE INTO dml_merge t USING (VALUES (9, 1), (9, 2)) s(id, qty) ON t.id = s.id
WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.qty);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
MERGE INTO dml_merge t USING dml_merge s ON t.id = s.id
WHEN MATCHED THEN UPDATE SET qty = t.qty * 2;
SELECT * FROM dml_merge ORDER BY id;
ROLLBACK;
SELECT * FROM dml_merge ORDER BY id;
DROP TABLE dml_merge;

-- CHECK and NOT NULL constraints
CREATE TABLE dml_con (id int NOT NULL, qty int CHECK (qty >= 0), name text,
                      CONSTRAINT name_len CHECK (length(name) < 10)) USING memopt;
INSERT INTO dml_con VALUES (1, 5, 'ok');
INSERT INTO dml_con VALUES (NULL, 5, 'null id');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dml_con VALUES (2, -1, 'negative');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dml_con VALUES (3, 1, 'a name too long');
\echo :LAST_ERROR_SQLSTATE
UPDATE dml_con SET qty = -5 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE dml_con SET id = NULL;
\echo :LAST_ERROR_SQLSTATE
-- a failing row in a multi-row insert leaves nothing behind
INSERT INTO dml_con VALUES (4, 1, 'fine'), (5, -1, 'bad');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dml_con ORDER BY id;
-- adding a constraint checks existing rows
INSERT INTO dml_con VALUES (6, 100, 'big');
ALTER TABLE dml_con ADD CONSTRAINT qty_small CHECK (qty < 50);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE dml_con ADD CONSTRAINT qty_small CHECK (qty < 500);
ALTER TABLE dml_con ALTER COLUMN name SET NOT NULL;
INSERT INTO dml_con VALUES (7, 1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dml_con ORDER BY id;

-- identity columns, sequences, serial, and defaults
CREATE SEQUENCE dml_seq START 100;
CREATE TABLE dml_ident (
  id int GENERATED ALWAYS AS IDENTITY,
  id2 bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000 INCREMENT BY 10),
  s serial,
  q int DEFAULT nextval('dml_seq'),
  t text DEFAULT 'dflt') USING memopt;
INSERT INTO dml_ident (t) VALUES ('a'), ('b') RETURNING *;
INSERT INTO dml_ident (id2, t) VALUES (5, 'c') RETURNING *;
INSERT INTO dml_ident DEFAULT VALUES RETURNING *;
INSERT INTO dml_ident (id, t) VALUES (99, 'x');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dml_ident (id, t) OVERRIDING SYSTEM VALUE VALUES (99, 'x') RETURNING *;
SELECT * FROM dml_ident ORDER BY s;

-- generated columns
CREATE TABLE dml_gen (a int, b int, total int GENERATED ALWAYS AS (a + b) STORED,
                      label text GENERATED ALWAYS AS ('#' || a::text) STORED) USING memopt;
INSERT INTO dml_gen (a, b) VALUES (1, 2), (10, 20), (NULL, 1) RETURNING *;
UPDATE dml_gen SET b = b * 100 WHERE a = 10 RETURNING *;
INSERT INTO dml_gen VALUES (1, 1, 5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM dml_gen ORDER BY a NULLS LAST;

-- foreign keys from a memopt table to a heap table
-- (UPDATE of a memopt row whose foreign key is not null is left out: it fails,
-- see the bug report; so are ON DELETE SET NULL and ON UPDATE CASCADE)
CREATE TABLE dml_parent (id int PRIMARY KEY, name text);
INSERT INTO dml_parent VALUES (1, 'p1'), (2, 'p2'), (3, 'p3');
CREATE TABLE dml_child (id int, parent_id int REFERENCES dml_parent (id) ON DELETE CASCADE,
                        parent2 int REFERENCES dml_parent (id))
  USING memopt;
INSERT INTO dml_child VALUES (1, 1, NULL), (2, 1, NULL), (3, 2, NULL), (4, NULL, NULL), (5, NULL, 3);
INSERT INTO dml_child VALUES (6, 42, NULL);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dml_child VALUES (6, NULL, 42);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dml_child SELECT 7, g, NULL FROM generate_series(2, 5) g;
\echo :LAST_ERROR_SQLSTATE
-- a row whose keys are all null can be updated
UPDATE dml_child SET id = 40 WHERE id = 4;
-- NO ACTION: a referenced parent cannot go
DELETE FROM dml_parent WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
UPDATE dml_parent SET id = 33 WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
-- ON DELETE CASCADE deletes from the memopt table
DELETE FROM dml_parent WHERE id = 1;
SELECT * FROM dml_child ORDER BY id;
-- a cascaded delete that is rolled back leaves the child rows
BEGIN;
DELETE FROM dml_parent WHERE id = 2;
SELECT count(*) FROM dml_child WHERE parent_id = 2;
ROLLBACK;
SELECT * FROM dml_child ORDER BY id;
SELECT * FROM dml_parent ORDER BY id;
-- a foreign key that references a memopt table needs a unique index there
CREATE TABLE dml_ref_memopt (x int REFERENCES dml_t (id));
\echo :LAST_ERROR_SQLSTATE

-- access by ctid
CREATE TABLE dml_tid (id int, v text) USING memopt;
INSERT INTO dml_tid SELECT g, 'v' || g FROM generate_series(1, 600) g;
SELECT ctid, * FROM dml_tid WHERE ctid = '(0,1)';
SELECT ctid, * FROM dml_tid WHERE ctid = '(1,1)';
SELECT ctid, * FROM dml_tid WHERE ctid = '(4294967295,65535)';
SELECT ctid, * FROM dml_tid WHERE ctid = '(0,0)';
SELECT ctid, * FROM dml_tid WHERE ctid = '(99999,5)';
SELECT ctid, * FROM dml_tid WHERE ctid = '(0,65535)';
SELECT ctid, * FROM dml_tid WHERE ctid = ANY (ARRAY['(4294967295,65535)', '(0,0)', '(99999,5)', '(0,2)']::tid[]);
SELECT count(*) FROM dml_tid WHERE ctid > '(0,3)';
SELECT count(*), min(id), max(id) FROM dml_tid WHERE ctid > '(1,3)' AND ctid < '(2,1)';
SELECT count(*) FROM dml_tid WHERE ctid > '(99999,1)';
SELECT count(*) FROM dml_tid WHERE ctid < '(0,0)';
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM dml_tid WHERE ctid > '(1,3)';
SELECT count(*) FROM dml_tid WHERE ctid > '(1,3)';
EXPLAIN (COSTS OFF) SELECT * FROM dml_tid WHERE ctid = '(0,1)';
SELECT * FROM dml_tid WHERE ctid = '(0,1)';
SELECT * FROM dml_tid WHERE ctid = '(4294967295,65535)';
RESET enable_seqscan;
-- a TID names a version: after an update the old TID finds nothing
SELECT ctid AS old_tid FROM dml_tid WHERE id = 1 \gset
UPDATE dml_tid SET v = 'updated' WHERE id = 1;
SELECT * FROM dml_tid WHERE ctid = :'old_tid';
SELECT ctid <> :'old_tid' AS moved, v FROM dml_tid WHERE id = 1;
-- UPDATE and DELETE by ctid
UPDATE dml_tid SET v = 'by tid' WHERE ctid = '(0,2)' RETURNING id, v;
DELETE FROM dml_tid WHERE ctid = '(0,3)' RETURNING id;
DELETE FROM dml_tid WHERE ctid = '(0,3)' RETURNING id;
UPDATE dml_tid SET v = 'nothing' WHERE ctid = '(99999,5)' RETURNING id;
SELECT count(*) FROM dml_tid;

DROP VIEW dml_v, dml_vcheck, dml_vjoin;
DROP TABLE dml_t, dml_heap, dml_log, dml_trg, dml_con, dml_ident, dml_gen,
  dml_child, dml_parent, dml_tid;
DROP FUNCTION dml_trig(), dml_trans(), dml_refuse();
DROP SEQUENCE dml_seq;
