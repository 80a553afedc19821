-- Foreign keys from a memopt table to a heap table: inserts, updates of
-- referencing and non-key columns, cascades from the referenced side. The
-- foreign-key triggers read xmin of the old row (memopt's slot answers it).
-- Then foreign keys that reference memopt tables (foreign_key.cpp).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;

CREATE TABLE fk_parent (id int PRIMARY KEY);
INSERT INTO fk_parent VALUES (1), (2), (3);
CREATE TABLE fk_child (id int, parent int REFERENCES fk_parent ON DELETE SET NULL ON UPDATE CASCADE)
  USING memopt;
INSERT INTO fk_child VALUES (1, 1), (2, 2);
INSERT INTO fk_child VALUES (3, 99);
\echo :LAST_ERROR_SQLSTATE
UPDATE fk_child SET id = id + 10;
UPDATE fk_child SET parent = 3 WHERE id = 11;
UPDATE fk_child SET parent = 42 WHERE id = 12;
\echo :LAST_ERROR_SQLSTATE
UPDATE fk_parent SET id = 30 WHERE id = 3;
DELETE FROM fk_parent WHERE id = 2;
SELECT * FROM fk_child ORDER BY id;

-- A row inserted and updated in the same transaction is checked again.
BEGIN;
INSERT INTO fk_child VALUES (20, 1);
UPDATE fk_child SET parent = 77 WHERE id = 20;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- System columns: committed rows look frozen; own rows carry our xid.
SELECT xmin, xmax, cmin, cmax FROM fk_child ORDER BY id LIMIT 1;
BEGIN;
INSERT INTO fk_child VALUES (30, 1);
SELECT xmin::text = pg_current_xact_id()::text AS own_xmin FROM fk_child WHERE id = 30;
ROLLBACK;

DROP TABLE fk_child, fk_parent;

-- Foreign keys that reference memopt tables: CREATE TABLE (column and table
-- constraints), ALTER TABLE ADD CONSTRAINT (existing rows checked), NOT
-- VALID and VALIDATE, ADD COLUMN ... REFERENCES, every action, MATCH FULL,
-- multi-column keys on a memopt_hash unique index, self references.
CREATE TABLE ref_parent (id int PRIMARY KEY, code text, name text) USING memopt;
CREATE UNIQUE INDEX ref_parent_code ON ref_parent USING memopt_hash (code, name);
INSERT INTO ref_parent VALUES (1, 'a', 'one'), (2, 'b', 'two'), (3, 'c', 'three');
CREATE TABLE ref_child (id int PRIMARY KEY, pid int REFERENCES ref_parent ON DELETE CASCADE)
  USING memopt;
CREATE TABLE ref_heap (id int, pid int, code text, name text,
  FOREIGN KEY (pid) REFERENCES ref_parent (id) ON UPDATE CASCADE ON DELETE SET NULL,
  CONSTRAINT ref_heap_code FOREIGN KEY (code, name) REFERENCES ref_parent (code, name) MATCH FULL);
\d ref_parent
SELECT conrelid::regclass, conname, confrelid::regclass, conindid::regclass, convalidated,
       pg_get_constraintdef(oid)
  FROM pg_constraint WHERE contype = 'f' AND confrelid = 'ref_parent'::regclass ORDER BY conname;
SELECT tgrelid::regclass, tgfoid::regproc, tgtype FROM pg_trigger
  WHERE tgconstraint = (SELECT oid FROM pg_constraint WHERE conname = 'ref_child_pid_fkey')
  ORDER BY tgrelid::regclass::text, tgfoid::regproc::text;
INSERT INTO ref_child VALUES (1, 1), (2, 2), (3, NULL);
INSERT INTO ref_child VALUES (4, 9);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ref_heap VALUES (1, 1, 'a', 'one'), (2, 2, NULL, NULL), (3, 3, 'c', 'three');
INSERT INTO ref_heap VALUES (4, 1, 'a', NULL);  -- MATCH FULL: all or none
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ref_heap VALUES (4, 1, 'a', 'two');
\echo :LAST_ERROR_SQLSTATE
UPDATE ref_parent SET id = 30 WHERE id = 3;  -- cascades to ref_heap
DELETE FROM ref_parent WHERE id = 2;         -- cascades to ref_child, nulls ref_heap
DELETE FROM ref_parent WHERE id = 30;        -- ref_heap_code still references it
\echo :LAST_ERROR_SQLSTATE
UPDATE ref_parent SET name = 'uno' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE ref_parent SET code = 'z' WHERE id = 30 AND false;
SELECT * FROM ref_child ORDER BY id;
SELECT * FROM ref_heap ORDER BY id;

-- ALTER TABLE: existing rows are checked unless NOT VALID.
CREATE TABLE ref_later (x int, y int) USING memopt;
INSERT INTO ref_later VALUES (1, 1), (7, 1);
ALTER TABLE ref_later ADD CONSTRAINT ref_later_x FOREIGN KEY (x) REFERENCES ref_parent;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE ref_later ADD CONSTRAINT ref_later_x FOREIGN KEY (x) REFERENCES ref_parent NOT VALID;
SELECT convalidated FROM pg_constraint WHERE conname = 'ref_later_x';
ALTER TABLE ref_later VALIDATE CONSTRAINT ref_later_x;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM ref_later WHERE x = 7;
ALTER TABLE ref_later VALIDATE CONSTRAINT ref_later_x;
SELECT convalidated FROM pg_constraint WHERE conname = 'ref_later_x';
ALTER TABLE ref_later ADD COLUMN z bigint DEFAULT 9 REFERENCES ref_parent;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE ref_later ADD COLUMN z bigint DEFAULT 1 REFERENCES ref_parent, ADD COLUMN w int;
ALTER TABLE ref_later ADD FOREIGN KEY (y) REFERENCES ref_parent DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO ref_later VALUES (1, 5, 1);  -- checked at commit
UPDATE ref_later SET y = 1 WHERE y = 5;
COMMIT;
BEGIN;
INSERT INTO ref_later VALUES (1, 5, 1);
COMMIT;
\echo :LAST_ERROR_SQLSTATE
\d ref_later

-- Self reference.
CREATE TABLE ref_tree (id int PRIMARY KEY, up int REFERENCES ref_tree) USING memopt;
INSERT INTO ref_tree VALUES (1, NULL), (2, 1), (3, 2);
INSERT INTO ref_tree VALUES (4, 40);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM ref_tree WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE

-- What cannot be: errors as PostgreSQL words them, or memopt's where it
-- does not build the key.
CREATE TABLE ref_bad (a text REFERENCES ref_parent);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ref_bad (a int REFERENCES ref_parent (name));
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ref_bad (a int, b int, FOREIGN KEY (a, b) REFERENCES ref_parent (id));
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ref_bad (a int, FOREIGN KEY (a) REFERENCES ref_parent (id, id));
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ref_bad (a int, FOREIGN KEY (nope) REFERENCES ref_parent);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ref_nopk (id int) USING memopt;
CREATE TABLE ref_bad (a int REFERENCES ref_nopk);
\echo :LAST_ERROR_SQLSTATE
CREATE UNLOGGED TABLE ref_unlogged (id int PRIMARY KEY) USING memopt;
CREATE TABLE ref_bad (a int REFERENCES ref_unlogged);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ref_bad (a int REFERENCES ref_parent) PARTITION BY RANGE (a);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE ref_child ADD CONSTRAINT ref_child_pid_fkey FOREIGN KEY (pid) REFERENCES ref_parent;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE ref_later ALTER COLUMN z TYPE int;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE ref_parent ALTER COLUMN id TYPE bigint;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE ref_tree ALTER COLUMN id TYPE bigint;  -- the referenced side of a self reference
\echo :LAST_ERROR_SQLSTATE
DROP INDEX ref_parent_code;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE ref_parent;
\echo :LAST_ERROR_SQLSTATE
CREATE ROLE ref_user;
GRANT SELECT, INSERT ON ref_parent TO ref_user;
CREATE SCHEMA ref_user_schema AUTHORIZATION ref_user;
SET ROLE ref_user;
CREATE TABLE ref_user_schema.t (a int REFERENCES public.ref_parent);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ref_user_schema.t (a int);
RESET ROLE;
SET ROLE ref_user;
ALTER TABLE ref_child ADD FOREIGN KEY (pid) REFERENCES ref_parent;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Dropping the referenced table takes the keys with CASCADE only.
DROP TABLE ref_parent;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE ref_parent CASCADE;
SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN
  ('ref_child'::regclass, 'ref_heap'::regclass, 'ref_later'::regclass);
DROP TABLE ref_child, ref_heap, ref_later, ref_tree, ref_nopk, ref_unlogged;
DROP SCHEMA ref_user_schema CASCADE;
DROP ROLE ref_user;
