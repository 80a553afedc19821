-- DDL on memopt tables: create, rewrite, rename, truncate, drop, transactional
-- DDL, SET ACCESS METHOD, and which index access methods memopt tables take.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;

-- CREATE TABLE ... USING memopt
CREATE TABLE ddl_t (id int, name text, amount numeric) USING memopt;
INSERT INTO ddl_t SELECT g, 'name ' || g, g * 1.5 FROM generate_series(1, 20) g;
\set HIDE_TABLEAM off
\d+ ddl_t
\set HIDE_TABLEAM on
SELECT relation, schema_name, table_name, durability, live_rows, versions, bytes > 0 AS has_bytes
FROM memopt.tables WHERE table_name = 'ddl_t';

-- default_table_access_method = memopt
SET default_table_access_method = memopt;
CREATE TABLE ddl_default (a int, b text);
RESET default_table_access_method;
SELECT c.relname, am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
WHERE c.relname = 'ddl_default';
INSERT INTO ddl_default VALUES (1, 'one'), (2, 'two');
SELECT * FROM ddl_default ORDER BY a;

-- CREATE TABLE AS and SELECT INTO (with the default AM set to memopt)
CREATE TABLE ddl_ctas USING memopt AS SELECT id, name FROM ddl_t WHERE id <= 5;
SET default_table_access_method = memopt;
SELECT id, amount INTO ddl_selinto FROM ddl_t WHERE id > 15;
RESET default_table_access_method;
SELECT c.relname, am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
WHERE c.relname IN ('ddl_ctas', 'ddl_selinto') ORDER BY 1;
SELECT * FROM ddl_ctas ORDER BY id;
SELECT * FROM ddl_selinto ORDER BY id;

-- ADD COLUMN with a constant default: no rewrite, old rows show the default
SELECT relfilenode AS old_node FROM pg_class WHERE relname = 'ddl_t' \gset
ALTER TABLE ddl_t ADD COLUMN created int DEFAULT 7;
SELECT relfilenode = :old_node AS same_node FROM pg_class WHERE relname = 'ddl_t';
SELECT count(*), min(created), max(created) FROM ddl_t;
-- ADD COLUMN with a volatile default: the table is rewritten
ALTER TABLE ddl_t ADD COLUMN serial_no int DEFAULT (random() * 0)::int + 3;
SELECT relfilenode <> :old_node AS rewritten FROM pg_class WHERE relname = 'ddl_t';
SELECT count(*), count(DISTINCT id), sum(id), min(created), max(created),
       min(serial_no), max(serial_no) FROM ddl_t;
SELECT * FROM ddl_t WHERE id IN (1, 20) ORDER BY id;
SELECT live_rows, versions FROM memopt.tables WHERE table_name = 'ddl_t';

-- ALTER COLUMN TYPE (rewrite), DROP COLUMN, RENAME COLUMN, RENAME TABLE
ALTER TABLE ddl_t ALTER COLUMN amount TYPE float8;
ALTER TABLE ddl_t ALTER COLUMN id TYPE bigint;
SELECT pg_typeof(id), pg_typeof(amount), sum(amount) FROM ddl_t GROUP BY 1, 2;
ALTER TABLE ddl_t DROP COLUMN created;
SELECT * FROM ddl_t WHERE id <= 3 ORDER BY id;
INSERT INTO ddl_t VALUES (21, 'name 21', 31.5, 4);
SELECT * FROM ddl_t WHERE id >= 20 ORDER BY id;
ALTER TABLE ddl_t RENAME COLUMN name TO label;
ALTER TABLE ddl_t RENAME TO ddl_renamed;
SELECT id, label FROM ddl_renamed WHERE id IN (2, 21) ORDER BY id;
SELECT table_name, live_rows FROM memopt.tables WHERE table_name LIKE 'ddl_%' ORDER BY 1;

-- TRUNCATE; a rolled-back TRUNCATE keeps the data
BEGIN;
TRUNCATE ddl_renamed;
SELECT count(*) FROM ddl_renamed;
INSERT INTO ddl_renamed VALUES (100, 'after truncate', 0, 0);
SELECT count(*) FROM ddl_renamed;
ROLLBACK;
SELECT count(*), sum(id) FROM ddl_renamed;
TRUNCATE ddl_ctas;
SELECT count(*) FROM ddl_ctas;
INSERT INTO ddl_ctas VALUES (1, 'again');
SELECT * FROM ddl_ctas;
-- TRUNCATE in a transaction, then commit
BEGIN;
TRUNCATE ddl_selinto;
INSERT INTO ddl_selinto VALUES (1, 1.0);
COMMIT;
SELECT * FROM ddl_selinto;

-- a rolled-back DROP keeps the data
BEGIN;
DROP TABLE ddl_renamed;
ROLLBACK;
SELECT count(*), sum(id) FROM ddl_renamed;
-- DROP inside a savepoint that is rolled back
BEGIN;
SAVEPOINT s1;
DROP TABLE ddl_renamed;
ROLLBACK TO SAVEPOINT s1;
INSERT INTO ddl_renamed VALUES (22, 'name 22', 33, 3);
COMMIT;
SELECT count(*), sum(id) FROM ddl_renamed;

-- CREATE and DROP in one transaction; CREATE rolled back
BEGIN;
CREATE TABLE ddl_tmp (x int) USING memopt;
INSERT INTO ddl_tmp SELECT generate_series(1, 100);
SELECT count(*) FROM ddl_tmp;
DROP TABLE ddl_tmp;
COMMIT;
SELECT count(*) FROM pg_class WHERE relname = 'ddl_tmp';
BEGIN;
CREATE TABLE ddl_tmp2 (x int) USING memopt;
INSERT INTO ddl_tmp2 VALUES (1);
ROLLBACK;
SELECT count(*) FROM pg_class WHERE relname = 'ddl_tmp2';
SELECT count(*) FROM memopt.tables WHERE table_name IN ('ddl_tmp', 'ddl_tmp2');

-- SET ACCESS METHOD heap -> memopt -> heap keeps all the data
CREATE TABLE ddl_am (id int, t text, j jsonb, n numeric, d date) USING heap;
INSERT INTO ddl_am
SELECT g, repeat('v', g % 50), jsonb_build_object('g', g), g / 7.0,
       date '2020-01-01' + g
FROM generate_series(1, 2000) g;
INSERT INTO ddl_am VALUES (NULL, NULL, NULL, NULL, NULL);
CREATE TABLE ddl_am_saved AS SELECT * FROM ddl_am;
ALTER TABLE ddl_am SET ACCESS METHOD memopt;
SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'ddl_am';
SELECT live_rows FROM memopt.tables WHERE table_name = 'ddl_am';
SELECT count(*) FROM (SELECT * FROM ddl_am EXCEPT ALL SELECT * FROM ddl_am_saved) d;
SELECT count(*) FROM (SELECT * FROM ddl_am_saved EXCEPT ALL SELECT * FROM ddl_am) d;
UPDATE ddl_am SET t = 'changed' WHERE id = 1;
UPDATE ddl_am_saved SET t = 'changed' WHERE id = 1;
ALTER TABLE ddl_am SET ACCESS METHOD heap;
SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'ddl_am';
SELECT count(*) FROM memopt.tables WHERE table_name = 'ddl_am';
SELECT count(*) FROM (SELECT * FROM ddl_am EXCEPT ALL SELECT * FROM ddl_am_saved) d;
SELECT count(*) FROM (SELECT * FROM ddl_am_saved EXCEPT ALL SELECT * FROM ddl_am) d;
SELECT count(*) FROM ddl_am;
-- a rolled-back SET ACCESS METHOD leaves the table as it was
ALTER TABLE ddl_am SET ACCESS METHOD memopt;
BEGIN;
ALTER TABLE ddl_am SET ACCESS METHOD heap;
DELETE FROM ddl_am WHERE id > 10;
ROLLBACK;
SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'ddl_am';
SELECT count(*) FROM (SELECT * FROM ddl_am EXCEPT ALL SELECT * FROM ddl_am_saved) d;
SELECT count(*) FROM (SELECT * FROM ddl_am_saved EXCEPT ALL SELECT * FROM ddl_am) d;

-- indexes: PRIMARY KEY, UNIQUE and CREATE INDEX without USING get memopt_range
-- (memopt_hash with WITH (bucket_count = N)); other access methods are
-- refused with SQLSTATE 0A000
\set SHOW_CONTEXT never
CREATE INDEX ddl_t_id ON ddl_renamed (id);
CREATE UNIQUE INDEX ON ddl_renamed (id);
CREATE INDEX ON ddl_renamed USING hash (label);
\echo :LAST_ERROR_SQLSTATE
CREATE INDEX ON ddl_renamed USING btree (label);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ddl_pk (id int PRIMARY KEY, v text) USING memopt;
CREATE TABLE ddl_uq (id int UNIQUE, v text) USING memopt;
CREATE TABLE ddl_hash_pk (id int, v text, PRIMARY KEY (id) WITH (bucket_count = 64)) USING memopt;
ALTER TABLE ddl_renamed ADD PRIMARY KEY (id);
ALTER TABLE ddl_renamed ADD CONSTRAINT ddl_uq_label UNIQUE (label) WITH (bucket_count = 16);
SELECT c.relname, am.amname, i.indisunique, i.indisprimary
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid IN ('ddl_renamed'::regclass, 'ddl_pk'::regclass, 'ddl_uq'::regclass,
                     'ddl_hash_pk'::regclass)
ORDER BY 1;
SELECT pg_get_indexdef('ddl_hash_pk_pkey'::regclass);
DROP TABLE ddl_pk, ddl_uq, ddl_hash_pk;
-- SET ACCESS METHOD moves a table's indexes along: btree <-> memopt_range,
-- memopt_hash -> btree, keeping names, constraints, predicates and
-- expressions (AM-specific options are dropped)
CREATE TABLE ddl_heap_pk (id int PRIMARY KEY, v text UNIQUE, n numeric, t text COLLATE "C");
CREATE INDEX ddl_heap_pk_n ON ddl_heap_pk (n) WHERE n > 3;
CREATE INDEX ddl_heap_pk_lower ON ddl_heap_pk (lower(v)) WITH (fillfactor = 60);
CREATE INDEX ddl_heap_pk_multi ON ddl_heap_pk (t, id, length(t));
INSERT INTO ddl_heap_pk SELECT g, 'V' || g, g / 2.0, 't' || g FROM generate_series(1, 10) g;
CREATE VIEW ddl_heap_pk_indexes AS
SELECT c.relname, am.amname, pg_get_indexdef(c.oid) AS definition, c.reloptions
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid = 'ddl_heap_pk'::regclass ORDER BY 1;
-- the indexes' dependencies on operator classes that are not built in
CREATE VIEW ddl_heap_pk_class_deps AS
SELECT am.amname, count(*) FROM pg_depend d JOIN pg_opclass o ON o.oid = d.refobjid
JOIN pg_am am ON am.oid = o.opcmethod
WHERE d.refclassid = 'pg_opclass'::regclass AND d.classid = 'pg_class'::regclass
  AND d.objid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'ddl_heap_pk'::regclass)
GROUP BY am.amname ORDER BY 1;
ALTER TABLE ddl_heap_pk SET ACCESS METHOD memopt;
SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'ddl_heap_pk';
CREATE INDEX ddl_heap_pk_t ON ddl_heap_pk USING memopt_hash (t) WITH (bucket_count = 64);
SELECT * FROM ddl_heap_pk_indexes;
SELECT * FROM ddl_heap_pk_class_deps;
SELECT count(*), sum(id) FROM ddl_heap_pk;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ddl_heap_pk WHERE lower(v) = 'v3';
SELECT id FROM ddl_heap_pk WHERE lower(v) = 'v3';
SELECT id FROM ddl_heap_pk WHERE n > 4 ORDER BY n DESC;
SELECT id FROM ddl_heap_pk WHERE t = 't7';
RESET enable_seqscan;
INSERT INTO ddl_heap_pk VALUES (1, 'other');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ddl_heap_pk VALUES (11, 'V2');
\echo :LAST_ERROR_SQLSTATE
-- and back
ALTER TABLE ddl_heap_pk SET ACCESS METHOD heap;
SELECT * FROM ddl_heap_pk_indexes;
SELECT * FROM ddl_heap_pk_class_deps;
SELECT count(*), sum(id) FROM ddl_heap_pk;
INSERT INTO ddl_heap_pk VALUES (1, 'other');
\echo :LAST_ERROR_SQLSTATE
-- a rolled-back move leaves indexes and dependencies as they were
BEGIN;
ALTER TABLE ddl_heap_pk SET ACCESS METHOD memopt;
ROLLBACK;
SELECT * FROM ddl_heap_pk_indexes;
SELECT * FROM ddl_heap_pk_class_deps;
-- refused, and nothing changes: an index of another AM, a referencing key
\set VERBOSITY default
CREATE INDEX ddl_heap_pk_hash ON ddl_heap_pk USING hash (t);
ALTER TABLE ddl_heap_pk SET ACCESS METHOD memopt;
\echo :LAST_ERROR_SQLSTATE
DROP INDEX ddl_heap_pk_hash;
CREATE TABLE ddl_heap_ref (id int REFERENCES ddl_heap_pk);
ALTER TABLE ddl_heap_pk SET ACCESS METHOD memopt;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE ddl_heap_ref;
CREATE INDEX ddl_heap_pk_brin ON ddl_heap_pk USING brin (id);
ALTER TABLE ddl_heap_pk SET ACCESS METHOD memopt;
\echo :LAST_ERROR_SQLSTATE
DROP INDEX ddl_heap_pk_brin;
-- memopt_range takes DESC, NULLS FIRST and INCLUDE (range_order.sql has more)
CREATE TABLE ddl_desc (n int, m int) USING memopt;
CREATE INDEX ON ddl_desc USING memopt_range (n DESC);
CREATE INDEX ON ddl_desc USING memopt_range (n, m NULLS FIRST);
CREATE INDEX ON ddl_desc USING memopt_range (n ASC NULLS LAST);
CREATE INDEX ON ddl_desc USING memopt_range (n) INCLUDE (m);
SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'ddl_desc'::regclass
ORDER BY indexrelid;
DROP TABLE ddl_desc;
SELECT * FROM ddl_heap_pk_indexes;
DROP VIEW ddl_heap_pk_indexes, ddl_heap_pk_class_deps;
DROP TABLE ddl_heap_pk;
SELECT count(*) FROM pg_index WHERE indrelid = 'ddl_renamed'::regclass;
SELECT count(*), sum(id) FROM ddl_renamed;

DROP TABLE ddl_renamed, ddl_default, ddl_ctas, ddl_selinto, ddl_am, ddl_am_saved;
SELECT count(*) FROM memopt.tables WHERE table_name LIKE 'ddl_%';
