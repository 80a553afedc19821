-- Statistics on memopt tables: row estimates without ANALYZE, ANALYZE,
-- pg_stat counters, VACUUM, and memopt's own views.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;

CREATE TABLE st_t (id int, half int, grp int, label text) USING memopt;
INSERT INTO st_t
SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE g END, g % 10, 'label ' || (g % 100)
FROM generate_series(1, 10000) g;

-- without ANALYZE the planner's row count comes from the engine's counters
EXPLAIN (COSTS OFF) SELECT * FROM st_t;
CREATE FUNCTION st_plan_rows(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT st_plan_rows('SELECT * FROM st_t') AS plan_rows;
DELETE FROM st_t WHERE id > 8000;
SELECT st_plan_rows('SELECT * FROM st_t') AS plan_rows_after_delete;
INSERT INTO st_t
SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE g END, g % 10, 'label ' || (g % 100)
FROM generate_series(8001, 10000) g;
SELECT st_plan_rows('SELECT * FROM st_t') AS plan_rows_after_insert;
-- parallel query is never used on memopt tables
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st_t;
CREATE TABLE st_heap AS SELECT * FROM generate_series(1, 1000) g;
ANALYZE st_heap;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st_t JOIN st_heap ON st_heap.g = st_t.id;
SELECT count(*) FROM st_t JOIN st_heap ON st_heap.g = st_t.id;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ANALYZE fills reltuples and pg_stats
ANALYZE st_t;
SELECT reltuples FROM pg_class WHERE relname = 'st_t';
SELECT attname, null_frac BETWEEN 0.45 AND 0.55 AS null_frac_about_half
FROM pg_stats WHERE tablename = 'st_t' AND attname = 'half';
SELECT attname, null_frac, n_distinct
FROM pg_stats WHERE tablename = 'st_t' AND attname IN ('grp', 'label', 'half') ORDER BY attname;
SELECT attname, null_frac, n_distinct FROM pg_stats
WHERE tablename = 'st_t' AND attname = 'id';
SELECT array_length(most_common_vals::text::int[], 1) AS grp_mcv_count
FROM pg_stats WHERE tablename = 'st_t' AND attname = 'grp';
SELECT st_plan_rows('SELECT * FROM st_t WHERE grp = 3') AS rows_grp_3;
SELECT st_plan_rows('SELECT * FROM st_t WHERE half IS NULL') BETWEEN 4500 AND 5500 AS rows_half_null_ok;
SELECT st_plan_rows('SELECT * FROM st_t') AS plan_rows;

-- pg_stat counters: inserts, updates and deletes are counted
CREATE TABLE st_cnt (n int) USING memopt;
BEGIN;
INSERT INTO st_cnt SELECT generate_series(1, 100);
UPDATE st_cnt SET n = n + 1 WHERE n <= 30;
DELETE FROM st_cnt WHERE n > 90;
SELECT pg_stat_get_xact_tuples_inserted('st_cnt'::regclass) AS xact_ins,
       pg_stat_get_xact_tuples_updated('st_cnt'::regclass) AS xact_upd,
       pg_stat_get_xact_tuples_deleted('st_cnt'::regclass) AS xact_del;
COMMIT;
SELECT pg_stat_force_next_flush();
SELECT n_tup_ins, n_tup_upd, n_tup_del, n_live_tup
FROM pg_stat_user_tables WHERE relname = 'st_cnt';
-- rolled-back writes count as inserted but not as live
BEGIN;
INSERT INTO st_cnt SELECT generate_series(1, 10);
ROLLBACK;
SELECT pg_stat_force_next_flush();
SELECT n_tup_ins, n_live_tup FROM pg_stat_user_tables WHERE relname = 'st_cnt';
-- sequential scans are counted
SELECT count(*) FROM st_cnt;
SELECT pg_stat_force_next_flush();
SELECT seq_scan > 0 AS scanned, seq_tup_read >= 89 AS rows_read FROM pg_stat_user_tables
WHERE relname = 'st_cnt';

-- memopt.tables: versions pile up with updates, VACUUM brings them back
SELECT live_rows, versions = live_rows AS no_garbage, bytes > 0 AS has_bytes
FROM memopt.tables WHERE table_name = 'st_cnt';
BEGIN;
UPDATE st_cnt SET n = n + 1;
UPDATE st_cnt SET n = n + 1;
SELECT live_rows, versions FROM memopt.tables WHERE table_name = 'st_cnt';
COMMIT;
VACUUM st_cnt;
SELECT live_rows, versions FROM memopt.tables WHERE table_name = 'st_cnt';
SELECT live_rows, versions = live_rows AS no_garbage FROM memopt.tables WHERE table_name = 'st_t';
-- VACUUM and VACUUM FULL keep the data
CREATE TEMP TABLE st_saved AS SELECT * FROM st_t;
VACUUM st_t;
VACUUM (ANALYZE) st_t;
VACUUM FULL st_t;
SELECT count(*) AS differences FROM (
  (SELECT * FROM st_t EXCEPT ALL SELECT * FROM st_saved)
  UNION ALL
  (SELECT * FROM st_saved EXCEPT ALL SELECT * FROM st_t)) d;
SELECT live_rows, versions FROM memopt.tables WHERE table_name = 'st_t';
VACUUM FULL st_cnt;
SELECT count(*), sum(n) FROM st_cnt;

-- memopt.memory lists the arena and its use by kind
SELECT kind FROM memopt.memory ORDER BY kind;
SELECT bytes > 0 AS arena_has_size FROM memopt.memory WHERE kind = 'arena size';
SELECT (SELECT bytes FROM memopt.memory WHERE kind = 'in use') > 0 AS some_in_use,
       (SELECT bytes FROM memopt.memory WHERE kind = 'versions') > 0 AS versions_use_memory,
       (SELECT blocks FROM memopt.memory WHERE kind = 'tables') >= 2 AS tables_counted;
-- the table sizes reported to PostgreSQL
SELECT pg_relation_size('st_t') >= 0 AS has_size, pg_total_relation_size('st_t') >= 0 AS has_total;

DROP TABLE st_t, st_heap, st_cnt;
DROP FUNCTION st_plan_rows(text);
