-- WITH (durability = ...) on memopt tables. Every memopt table is
-- schema-only in this version: schema_only is accepted, schema_and_data is
-- refused with a hint, other values are invalid; the option is not passed on
-- to PostgreSQL's (heap) option checks, and other options still are.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set VERBOSITY default

CREATE TABLE dur_a (a int) USING memopt WITH (durability = schema_only);
CREATE TABLE dur_b (a int) USING memopt WITH (durability = schema_and_data);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE dur_c (a int) USING memopt WITH (durability = bogus);
\echo :LAST_ERROR_SQLSTATE
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
SELECT c.relname, am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
WHERE c.relname LIKE 'dur_%' ORDER BY 1;
DROP TABLE dur_a, dur_d, dur_f, dur_g;
DROP FUNCTION dur_make();
