-- Error paths on memopt tables, each with its SQLSTATE. After every error
-- the table is unchanged and the session goes on.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TABLE err_parent (id int PRIMARY KEY);
INSERT INTO err_parent VALUES (1);
CREATE TABLE err_t (id int NOT NULL, qty int CHECK (qty >= 0), parent int REFERENCES err_parent)
  USING memopt;
INSERT INTO err_t VALUES (1, 1, 1), (2, 2, NULL);

-- indexes of access methods that store row locations: 0A000
CREATE INDEX ON err_t USING btree (qty);
\echo :LAST_ERROR_SQLSTATE
CREATE INDEX ON err_t USING brin (qty);
\echo :LAST_ERROR_SQLSTATE
CREATE INDEX CONCURRENTLY ON err_t (qty);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE err_t ADD CONSTRAINT err_t_excl EXCLUDE USING btree (qty WITH =);
\echo :LAST_ERROR_SQLSTATE
-- a memopt index on a heap table: 0A000
CREATE INDEX ON err_parent USING memopt_range (id);
\echo :LAST_ERROR_SQLSTATE
-- unknown or bad index options: 22023
CREATE INDEX ON err_t USING memopt_hash (qty) WITH (bucket_count = 0);
\echo :LAST_ERROR_SQLSTATE
CREATE INDEX ON err_t USING memopt_range (qty) WITH (bucket_count = 8);
\echo :LAST_ERROR_SQLSTATE
-- a type without a memopt operator class: 42704
CREATE INDEX ON err_t USING memopt_range ((point(qty, qty)));
\echo :LAST_ERROR_SQLSTATE
-- a duplicate in the rows already there: 23505, and no index is left behind
INSERT INTO err_t VALUES (1, 7, NULL);
CREATE UNIQUE INDEX err_t_id ON err_t (id);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM err_t WHERE qty = 7;
CREATE UNIQUE INDEX err_t_id ON err_t (id);
INSERT INTO err_t VALUES (1, 9, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM err_t ORDER BY id;

-- TABLESAMPLE: 0A000
SELECT * FROM err_t TABLESAMPLE SYSTEM (50);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM err_t TABLESAMPLE BERNOULLI (50) REPEATABLE (1);
\echo :LAST_ERROR_SQLSTATE

-- INSERT ... ON CONFLICT (on_conflict.sql has the rest) is refused when a
-- unique memopt_hash index's "=" is in no btree family (PostgreSQL's arbiter
-- check looks up btree's strategy 3): 0A000
CREATE FUNCTION err_same(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = err_same);
CREATE OPERATOR CLASS err_same_ops FOR TYPE int USING memopt_hash AS
  OPERATOR 1 ===, FUNCTION 1 hashint4extended(int, int8);
CREATE UNIQUE INDEX err_t_qty ON err_t USING memopt_hash (qty err_same_ops);
INSERT INTO err_t VALUES (1, 1, NULL) ON CONFLICT (id) DO NOTHING;
\echo :LAST_ERROR_SQLSTATE
DROP INDEX err_t_qty;
DROP OPERATOR CLASS err_same_ops USING memopt_hash;
DROP OPERATOR === (int, int);
DROP FUNCTION err_same(int, int);
DROP INDEX err_t_id;
-- without a conflict target there is nothing to conflict with: a plain insert,
-- as on a heap table without indexes
INSERT INTO err_t VALUES (5, 5, NULL) ON CONFLICT DO NOTHING;
DELETE FROM err_t WHERE id = 5;

-- PREPARE TRANSACTION: 0A000
BEGIN;
INSERT INTO err_t VALUES (3, 3, NULL);
PREPARE TRANSACTION 'err_memopt';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pg_prepared_xacts;

-- CHECK: 23514, NOT NULL: 23502, foreign key: 23503
INSERT INTO err_t VALUES (3, -1, NULL);
\echo :LAST_ERROR_SQLSTATE
UPDATE err_t SET qty = -1;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO err_t VALUES (NULL, 1, NULL);
\echo :LAST_ERROR_SQLSTATE
UPDATE err_t SET id = NULL WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO err_t VALUES (3, 1, 99);
\echo :LAST_ERROR_SQLSTATE
COPY err_t FROM STDIN;
3	-5	\N
\.

-- writes in a read-only transaction: 25006
BEGIN READ ONLY;
SELECT count(*) FROM err_t;
INSERT INTO err_t VALUES (4, 4, NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
UPDATE err_t SET qty = 0;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
DELETE FROM err_t;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SET default_transaction_read_only = on;
TRUNCATE err_t;
\echo :LAST_ERROR_SQLSTATE
RESET default_transaction_read_only;

-- data errors inside a multi-row statement leave nothing behind
INSERT INTO err_t SELECT g, 10 / (5 - g), NULL FROM generate_series(3, 6) g;
\echo :LAST_ERROR_SQLSTATE
UPDATE err_t SET qty = qty / (qty - 2);
\echo :LAST_ERROR_SQLSTATE

-- the same writes after the errors work, and nothing of the failed ones is there
SELECT * FROM err_t ORDER BY id;
INSERT INTO err_t VALUES (3, 3, NULL);
UPDATE err_t SET qty = qty + 1 WHERE parent IS NULL;  -- (see the foreign key bug)
SELECT * FROM err_t ORDER BY id;
SELECT live_rows FROM memopt.tables WHERE table_name = 'err_t';

DROP TABLE err_t, err_parent;
