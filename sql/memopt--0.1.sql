-- memopt 0.1: memory-optimized tables for PostgreSQL 15.
\echo Use "CREATE EXTENSION memopt" to load this file. \quit

CREATE FUNCTION memopt_tableam_handler(internal)
RETURNS table_am_handler
AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE ACCESS METHOD memopt TYPE TABLE HANDLER memopt_tableam_handler;
COMMENT ON ACCESS METHOD memopt IS
  'memory-optimized tables: multiversion rows in shared memory, optimistic concurrency';

CREATE FUNCTION table_stats(
  OUT tablespace oid, OUT database oid, OUT relfilenode oid,
  OUT live_rows bigint, OUT versions bigint, OUT bytes bigint, OUT slots bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'memopt_table_stats' LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION memory_stats(OUT kind text, OUT bytes bigint, OUT blocks bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'memopt_memory_stats' LANGUAGE C STRICT VOLATILE;

-- One row per memopt table of the current database. A table not yet read
-- or written since the server started has no engine table yet: zeros.
CREATE VIEW tables AS
SELECT c.oid::regclass AS relation,
       n.nspname AS schema_name,
       c.relname AS table_name,
       'schema_only'::text AS durability,
       coalesce(s.live_rows, 0) AS live_rows,
       coalesce(s.versions, 0) AS versions,
       coalesce(s.bytes, 0) AS bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = c.relam AND am.amname = 'memopt'
CROSS JOIN (SELECT oid AS dboid, dattablespace FROM pg_database
            WHERE datname = current_database()) db
LEFT JOIN memopt.table_stats() s
  ON s.database = db.dboid
 AND s.relfilenode = c.relfilenode
 AND s.tablespace = CASE WHEN c.reltablespace = 0 THEN db.dattablespace ELSE c.reltablespace END
WHERE c.relkind IN ('r', 'm');

-- The shared-memory arena: its size, what is in use, and use by kind.
CREATE VIEW memory AS SELECT kind, bytes, blocks FROM memopt.memory_stats();

GRANT USAGE ON SCHEMA memopt TO PUBLIC;
GRANT SELECT ON memopt.tables, memopt.memory TO PUBLIC;
