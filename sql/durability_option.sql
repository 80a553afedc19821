-- WITH (durability = ...) on memopt tables. schema_and_data (the default)
-- makes a permanent table whose commits are logged; schema_only makes an
-- UNLOGGED table (never logged, empty after every restart), as does CREATE
-- UNLOGGED TABLE. Other values, and combinations that contradict the
-- table's persistence, are errors. The option is not passed on to
-- PostgreSQL's (heap) option checks; other options still are.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set VERBOSITY default

CREATE TABLE dur_a (a int) USING memopt WITH (durability = schema_only);
CREATE TABLE dur_b (a int) USING memopt WITH (durability = schema_and_data);
CREATE TABLE dur_default (a int) USING memopt;
CREATE UNLOGGED TABLE dur_unlogged (a int) USING memopt;
CREATE TABLE dur_c (a int) USING memopt WITH (durability = bogus);
\echo :LAST_ERROR_SQLSTATE
CREATE UNLOGGED TABLE dur_h (a int) USING memopt WITH (durability = schema_and_data);
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE dur_i (a int) USING memopt WITH (durability = schema_and_data);
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE dur_j (a int) USING memopt WITH (durability = schema_only);
CREATE TABLE dur_d USING memopt WITH (durability = schema_only, fillfactor = 90) AS SELECT 1 AS a;
SELECT reloptions FROM pg_class WHERE relname = 'dur_d';
CREATE TABLE dur_e (a int) USING memopt WITH (durability = schema_only, fillfactor = 101);
\echo :LAST_ERROR_SQLSTATE
-- On a heap table the option means nothing: PostgreSQL refuses it.
CREATE TABLE dur_heap (a int) USING heap WITH (durability = schema_only);
\echo :LAST_ERROR_SQLSTATE
-- default_table_access_method, and statements run from PL/pgSQL's plan cache.
SET default_table_access_method = memopt;
CREATE TABLE dur_f (a int) WITH (durability = schema_only);
RESET default_table_access_method;
CREATE FUNCTION dur_make() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  CREATE TABLE dur_g (a int) USING memopt WITH (durability = schema_only);
END $$;
SELECT dur_make();
SELECT c.relname, am.amname, c.relpersistence FROM pg_class c JOIN pg_am am ON am.oid = c.relam
WHERE c.relname LIKE 'dur_%' ORDER BY 1;
SELECT table_name, durability FROM memopt.tables WHERE table_name LIKE 'dur_%' ORDER BY 1;

-- Only durable tables get pages: a commit appends one batch to each.
INSERT INTO dur_a VALUES (1);
INSERT INTO dur_b SELECT generate_series(1, 100);
INSERT INTO dur_unlogged VALUES (1);
SELECT pg_relation_size('dur_a') AS schema_only_bytes,
       pg_relation_size('dur_b') > 0 AS durable_has_pages,
       pg_relation_size('dur_unlogged') AS unlogged_bytes;
-- Rolled-back work is never written.
SELECT pg_relation_size('dur_b') AS before_rollback \gset
BEGIN;
INSERT INTO dur_b SELECT generate_series(1, 1000);
ROLLBACK;
SELECT pg_relation_size('dur_b') = :before_rollback AS nothing_written;
-- ALTER TABLE SET UNLOGGED / SET LOGGED switch durability (a rewrite).
ALTER TABLE dur_b SET UNLOGGED;
SELECT durability, live_rows FROM memopt.tables WHERE table_name = 'dur_b';
ALTER TABLE dur_b SET LOGGED;
SELECT durability, live_rows FROM memopt.tables WHERE table_name = 'dur_b';
SELECT count(*), sum(a) FROM dur_b;
DROP TABLE dur_a, dur_b, dur_default, dur_unlogged, dur_d, dur_f, dur_g, dur_j;
DROP FUNCTION dur_make();
