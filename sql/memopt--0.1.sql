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
       CASE c.relpersistence WHEN 'p' THEN 'schema_and_data' ELSE 'schema_only' END AS durability,
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

-- Running memopt transactions, one row per session slot in use (the
-- analogue of sys.dm_db_xtp_transactions). Timestamps are memopt's logical
-- clock. read_set/scan_set are kept only at levels that validate them.
CREATE FUNCTION transaction_info(
  OUT transaction_id bigint, OUT pid integer, OUT xid xid, OUT state text,
  OUT isolation_level text, OUT read_timestamp bigint, OUT commit_timestamp bigint,
  OUT read_set integer, OUT scan_set integer, OUT write_set integer,
  OUT commit_dependencies integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'memopt_transaction_info' LANGUAGE C STRICT VOLATILE;

CREATE VIEW transactions AS SELECT * FROM memopt.transaction_info();

-- Commits and aborts by kind since the server started (all databases).
CREATE FUNCTION transaction_stats(
  OUT commits bigint, OUT aborts bigint, OUT write_conflicts bigint,
  OUT unique_conflicts bigint, OUT repeatable_read_failures bigint,
  OUT serializable_failures bigint, OUT commit_dependency_failures bigint,
  OUT commit_dependencies_taken bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'memopt_transaction_stats' LANGUAGE C STRICT VOLATILE;

CREATE VIEW transaction_stats AS SELECT * FROM memopt.transaction_stats();

GRANT USAGE ON SCHEMA memopt TO PUBLIC;
GRANT SELECT ON memopt.tables, memopt.memory, memopt.transactions, memopt.transaction_stats
  TO PUBLIC;

-- Index access methods (src/pg/hash_am.cpp, src/pg/range_am.cpp).
CREATE FUNCTION memopt_range_handler(internal)
RETURNS index_am_handler
AS 'MODULE_PATHNAME' LANGUAGE C;
CREATE ACCESS METHOD memopt_range TYPE INDEX HANDLER memopt_range_handler;
COMMENT ON ACCESS METHOD memopt_range IS
  'in-memory ordered index (B+-tree with optimistic lock coupling) of memopt tables';

CREATE FUNCTION memopt_hash_handler(internal)
RETURNS index_am_handler
AS 'MODULE_PATHNAME' LANGUAGE C;
CREATE ACCESS METHOD memopt_hash TYPE INDEX HANDLER memopt_hash_handler;
COMMENT ON ACCESS METHOD memopt_hash IS
  'in-memory hash index (lock-free split-ordered list) of memopt tables';

-- Operator classes: one family per built-in btree / hash family below, with
-- the same operators, so memopt_range orders, compares and collates exactly
-- as btree does and memopt_hash hashes as hash does. memopt_range's support
-- function 1 is btree's comparison function; memopt_hash's is hash's 64-bit
-- extended hash function. Cross-type operators (int4 < int8, date <
-- timestamp, ...) come along, so such quals can use the indexes.
DO $$
DECLARE
  family record;
  class record;
  member record;
  target text;
  proc_number int;
  items text;
BEGIN
  FOR family IN
    SELECT f.oid, f.opfname, am.amname
    FROM pg_opfamily f JOIN pg_am am ON am.oid = f.opfmethod
    WHERE f.opfnamespace = 'pg_catalog'::regnamespace
      AND ((am.amname = 'btree' AND f.opfname IN
             ('integer_ops', 'float_ops', 'numeric_ops', 'text_ops', 'bpchar_ops',
              'bytea_ops', 'uuid_ops', 'datetime_ops', 'time_ops', 'timetz_ops',
              'interval_ops', 'bool_ops', 'oid_ops', 'enum_ops', 'char_ops', 'money_ops',
              'network_ops', 'macaddr_ops', 'macaddr8_ops', 'jsonb_ops', 'pg_lsn_ops',
              'bit_ops', 'varbit_ops'))
        OR (am.amname = 'hash' AND f.opfname IN
             ('integer_ops', 'float_ops', 'numeric_ops', 'text_ops', 'bpchar_ops',
              'bytea_ops', 'uuid_ops', 'date_ops', 'timestamp_ops', 'timestamptz_ops',
              'time_ops', 'timetz_ops', 'interval_ops', 'bool_ops', 'oid_ops', 'enum_ops',
              'char_ops', 'network_ops', 'macaddr_ops', 'macaddr8_ops', 'jsonb_ops',
              'pg_lsn_ops')))
    ORDER BY am.amname, f.opfname
  LOOP
    target := CASE family.amname WHEN 'btree' THEN 'memopt_range' ELSE 'memopt_hash' END;
    proc_number := CASE family.amname WHEN 'btree' THEN 1 ELSE 2 END;
    EXECUTE format('CREATE OPERATOR FAMILY memopt.%I USING %I', family.opfname, target);
    FOR class IN
      SELECT opcname, opcintype FROM pg_opclass
      WHERE opcfamily = family.oid AND opcdefault ORDER BY opcname
    LOOP
      SELECT string_agg(format('OPERATOR %s %s(%s, %s)', o.amopstrategy, o.amopopr::regoper,
                               format_type(o.amoplefttype, NULL), format_type(o.amoprighttype, NULL)),
                        ', ' ORDER BY o.amopstrategy)
        INTO items
        FROM pg_amop o
       WHERE o.amopfamily = family.oid AND o.amoppurpose = 's'
         AND o.amoplefttype = class.opcintype AND o.amoprighttype = class.opcintype;
      SELECT items || ', ' || string_agg(format('FUNCTION 1 %s', p.amproc::regprocedure), ', ')
        INTO items
        FROM pg_amproc p
       WHERE p.amprocfamily = family.oid AND p.amprocnum = proc_number
         AND p.amproclefttype = class.opcintype AND p.amprocrighttype = class.opcintype;
      EXECUTE format('CREATE OPERATOR CLASS memopt.%I DEFAULT FOR TYPE %s USING %I '
                     'FAMILY memopt.%I AS %s',
                     class.opcname, format_type(class.opcintype, NULL), target,
                     family.opfname, items);
    END LOOP;
    FOR member IN
      SELECT o.amopstrategy, o.amopopr, o.amoplefttype, o.amoprighttype
        FROM pg_amop o
       WHERE o.amopfamily = family.oid AND o.amoppurpose = 's'
         AND o.amoplefttype <> o.amoprighttype
       ORDER BY 1, 2
    LOOP
      EXECUTE format('ALTER OPERATOR FAMILY memopt.%I USING %I ADD OPERATOR %s %s(%s, %s)',
                     family.opfname, target, member.amopstrategy, member.amopopr::regoper,
                     format_type(member.amoplefttype, NULL),
                     format_type(member.amoprighttype, NULL));
    END LOOP;
    FOR member IN
      SELECT p.amproc, p.amproclefttype, p.amprocrighttype
        FROM pg_amproc p
       WHERE p.amprocfamily = family.oid AND p.amprocnum = proc_number
         AND (p.amproclefttype <> p.amprocrighttype
              OR NOT EXISTS (SELECT 1 FROM pg_opclass c
                              WHERE c.opcfamily = family.oid AND c.opcdefault
                                AND c.opcintype = p.amproclefttype))
       ORDER BY 1
    LOOP
      EXECUTE format('ALTER OPERATOR FAMILY memopt.%I USING %I ADD FUNCTION 1 (%s, %s) %s',
                     family.opfname, target, format_type(member.amproclefttype, NULL),
                     format_type(member.amprocrighttype, NULL), member.amproc::regprocedure);
    END LOOP;
  END LOOP;
END
$$;

CREATE FUNCTION index_stats(
  OUT tablespace oid, OUT relfilenode oid, OUT kind text, OUT entries bigint, OUT bytes bigint,
  OUT buckets bigint, OUT load_factor float8, OUT longest_chain bigint,
  OUT height bigint, OUT leaves bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'memopt_index_stats' LANGUAGE C STRICT VOLATILE;

-- One row per memopt index of the current database (the analogue of SQL
-- Server's sys.dm_db_xtp_hash_index_stats and sys.dm_db_xtp_index_stats).
-- entries counts (key, row) pairs: a row whose key an update changed has an
-- entry per key until it dies and VACUUM runs. Hash indexes show buckets,
-- load factor (entries per bucket) and the longest chain; range indexes the
-- B+-tree's height and leaves. Reading the view walks every index.
CREATE VIEW indexes AS
SELECT i.oid::regclass AS index,
       c.oid::regclass AS relation,
       am.amname AS access_method,
       pg_get_indexdef(i.oid) AS definition,
       coalesce(s.entries, 0) AS entries,
       coalesce(s.bytes, 0) AS bytes,
       s.buckets, s.load_factor, s.longest_chain, s.height, s.leaves
FROM pg_class i
JOIN pg_am am ON am.oid = i.relam AND am.amname IN ('memopt_hash', 'memopt_range')
JOIN pg_index x ON x.indexrelid = i.oid
JOIN pg_class c ON c.oid = x.indrelid
CROSS JOIN (SELECT dattablespace FROM pg_database WHERE datname = current_database()) db
LEFT JOIN memopt.index_stats() s
  ON s.relfilenode = i.relfilenode
 AND s.tablespace = CASE WHEN c.reltablespace = 0 THEN db.dattablespace ELSE c.reltablespace END;

GRANT SELECT ON memopt.indexes TO PUBLIC;

-- LANGUAGE native_compilation: routines compiled to machine code with LLVM
-- (docs/native-compilation.md). Trusted: the generated code only touches
-- memory the language owns, and checks the caller's table privileges.
CREATE FUNCTION native_call_handler() RETURNS language_handler
AS 'MODULE_PATHNAME', 'memopt_native_call_handler' LANGUAGE C;
CREATE FUNCTION native_validator(oid) RETURNS void
AS 'MODULE_PATHNAME', 'memopt_native_validator' LANGUAGE C STRICT;
CREATE TRUSTED LANGUAGE native_compilation
  HANDLER native_call_handler VALIDATOR native_validator;
COMMENT ON LANGUAGE native_compilation IS
  'memopt natively compiled procedures and functions (BEGIN ATOMIC WITH (...))';

-- Compiles a natively compiled routine again in this session; returns the
-- compile time in milliseconds.
CREATE FUNCTION recompile(routine regprocedure) RETURNS float8
AS 'MODULE_PATHNAME', 'memopt_native_recompile' LANGUAGE C STRICT VOLATILE;

-- One row per natively compiled routine of the current database (the
-- analogue of SQL Server's sys.dm_os_loaded_modules for XTP native DLLs):
-- its object file under the data directory (NULL until it has been compiled
-- since the server started), the file's size, how long compiling took, and
-- whether this session has the code loaded.
CREATE FUNCTION native_modules_internal(OUT routine regprocedure, OUT file text,
  OUT size bigint, OUT compile_ms float8, OUT loaded boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'memopt_native_modules' LANGUAGE C STRICT VOLATILE;
CREATE VIEW native_modules AS SELECT * FROM native_modules_internal();
GRANT SELECT ON memopt.native_modules TO PUBLIC;

-- What in a PL/pgSQL routine would keep it from compiling natively, line by
-- line (line 0: its signature); no rows: nothing found.
CREATE FUNCTION native_advisor(routine regprocedure,
  OUT line int, OUT construct text, OUT reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'memopt_native_advisor' LANGUAGE C STRICT STABLE;
