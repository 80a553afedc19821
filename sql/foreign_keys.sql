-- Foreign keys from a memopt table to a heap table: inserts, updates of
-- referencing and non-key columns, cascades from the referenced side. The
-- foreign-key triggers read xmin of the old row (memopt's slot answers it).
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
