-- Subqueries in FROM in natively compiled routines: `(SELECT ...) alias
-- [(columns)]` is computed once per run of its query and read again for
-- each row of the items before it; it cannot read those items (there is
-- no LATERAL), but it can read variables and the queries around it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
CREATE TABLE fs_item (id int PRIMARY KEY, grp int, name text) USING memopt;
CREATE TABLE fs_grp (grp int PRIMARY KEY, label text) USING memopt;
CREATE TABLE fs_log (n int PRIMARY KEY, total bigint) USING memopt;
INSERT INTO fs_item SELECT i, i % 4, 'item' || i FROM generate_series(1, 20) i;
INSERT INTO fs_grp VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (5, 'five');
CREATE TABLE fs_heap (id int);

-- An aggregate per group joined with a table, LEFT JOINed with another
-- subquery, ordered; the routine's parameter is read inside.
CREATE FUNCTION fs_groups(min_id int)
RETURNS TABLE (grp_label text, items bigint, longest text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT coalesce(g.label, '-'), c.n, c.longest
    FROM (SELECT grp, count(*) AS n, max(name) FROM fs_item WHERE id >= min_id GROUP BY grp)
         AS c (grp, n, longest)
    LEFT JOIN (SELECT grp, upper(label) AS label FROM fs_grp) g ON g.grp = c.grp
   ORDER BY c.grp;
END $$;
SELECT * FROM fs_groups(1);
SELECT * FROM fs_groups(15);
-- The same query in SQL.
SELECT coalesce(g.label, '-'), c.n, c.longest
  FROM (SELECT grp, count(*) AS n, max(name) FROM fs_item WHERE id >= 15 GROUP BY grp)
       AS c (grp, n, longest)
  LEFT JOIN (SELECT grp, upper(label) AS label FROM fs_grp) g ON g.grp = c.grp
 ORDER BY c.grp;

-- Read again for each row of the item before it; empty; nested; the
-- names PostgreSQL gives unnamed columns.
CREATE FUNCTION fs_shapes(out pairs bigint, out empty bigint, out nested int, out named text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT count(*) INTO pairs FROM fs_grp, (SELECT id FROM fs_item WHERE id <= 3) s
   WHERE s.id > fs_grp.grp;
  SELECT count(*) INTO empty FROM fs_grp, (SELECT id FROM fs_item WHERE id < 0) s;
  SELECT max(b.m) INTO nested
    FROM (SELECT a.x + 1 AS m FROM (SELECT id AS x FROM fs_item WHERE grp = 2) a) b;
  SELECT min(d."?column?" || '/' || d.lower || '/' || d.int8 || '/' || d.grp)
    INTO named FROM (SELECT id + 1, lower(name), 5::bigint, grp::int8 FROM fs_item) d;
END $$;
SELECT * FROM fs_shapes();

-- Inside EXISTS, reading the row around it; inside IN and scalar
-- subqueries; as a FOR loop's query; as INSERT ... SELECT's.
CREATE FUNCTION fs_nested(OUT with_items bigint, OUT in_big bigint, OUT top int, OUT looped text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r_id int;
  DECLARE r_label text;
  SELECT count(*) INTO with_items FROM fs_grp g
   WHERE EXISTS (SELECT 1 FROM (SELECT id FROM fs_item i WHERE i.grp = g.grp) s WHERE s.id > 10);
  SELECT count(*) INTO in_big FROM fs_item
   WHERE grp IN (SELECT s.grp FROM (SELECT grp, count(*) AS n FROM fs_item GROUP BY grp) s
                  WHERE s.n >= 5);
  top := (SELECT max(s.id) FROM (SELECT id FROM fs_item ORDER BY id DESC LIMIT 3) s);
  looped := '';
  FOR r_id, r_label IN SELECT s.id, g.label FROM (SELECT id, grp FROM fs_item WHERE id <= 6) s
                         JOIN fs_grp g ON g.grp = s.grp ORDER BY s.id LOOP
    looped := looped || r_id || r_label || ' ';
  END LOOP;
  INSERT INTO fs_log SELECT s.grp, s.total FROM (SELECT grp, sum(id) AS total FROM fs_item GROUP BY grp) s;
END $$;
SELECT * FROM fs_nested();
SELECT * FROM fs_log ORDER BY n;

-- Run again on each iteration of a loop (the variable it reads changes),
-- left early by EXIT, and in an EXCEPTION block whose error is raised while
-- the subquery's rows are being computed.
CREATE FUNCTION fs_again(OUT sums text, OUT caught text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s bigint;
  DECLARE r int;
  sums := '';
  FOR i IN 1..3 LOOP
    SELECT sum(x.id) INTO s FROM (SELECT id FROM fs_item WHERE grp = i) x;
    sums := sums || s || ' ';
    FOR r IN SELECT x.id FROM (SELECT id FROM fs_item WHERE grp = i ORDER BY id) x LOOP
      sums := sums || r || ' ';
      EXIT;
    END LOOP;
  END LOOP;
  BEGIN
    SELECT sum(x.q) INTO s FROM (SELECT 100 / (id - 7) AS q FROM fs_item) x;
  EXCEPTION WHEN division_by_zero THEN
    caught := SQLSTATE;
  END;
  SELECT count(*) INTO s FROM (SELECT id FROM fs_item) x;
  caught := caught || ' then ' || s;
END $$;
SELECT * FROM fs_again();

-- Past work_mem the rows go to a temporary file, also inside a block.
CREATE TABLE fs_big (id int PRIMARY KEY, pad text) USING memopt;
INSERT INTO fs_big SELECT i, repeat('x', 200) FROM generate_series(1, 3000) i;
CREATE FUNCTION fs_spill() RETURNS bigint
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE n bigint;
  BEGIN
    SELECT count(*) INTO n FROM fs_grp, (SELECT id, pad FROM fs_big) b
     WHERE length(b.pad) = 200 AND b.id % 1000 = fs_grp.grp;
  EXCEPTION WHEN others THEN
    n := -1;
  END;
  RETURN n;
END $$;
SET work_mem = '64kB';
SELECT fs_spill();
RESET work_mem;

-- A table read only inside a subquery in FROM needs the caller's SELECT
-- privilege, as anywhere else.
CREATE ROLE regress_fs_reader;
CREATE FUNCTION fs_count() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT count(*) FROM (SELECT grp FROM fs_grp) s);
END $$;
SET ROLE regress_fs_reader;
SELECT fs_count();
RESET ROLE;
GRANT SELECT ON fs_grp TO regress_fs_reader;
SET ROLE regress_fs_reader;
SELECT fs_count();
RESET ROLE;
REVOKE SELECT ON fs_grp FROM regress_fs_reader;
DROP ROLE regress_fs_reader;

-- Columns read only inside a subquery in FROM are dependencies too.
ALTER TABLE fs_item DROP COLUMN name;

-- Refused at CREATE.
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT count(*) FROM (SELECT id FROM fs_item));
END $$;
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT count(*) FROM fs_grp, (SELECT id FROM fs_item WHERE grp = fs_grp.grp) s);
END $$;
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT max(s.a) FROM (SELECT id, grp FROM fs_item) s (a, a));
END $$;
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT max(s.a) FROM (SELECT id FROM fs_item) s (a, b));
END $$;
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT max(s.missing) FROM (SELECT id FROM fs_item) s);
END $$;
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT max(j.grp) FROM (SELECT * FROM fs_item i, fs_grp g) j);
END $$;
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT count(*) FROM (SELECT id FROM fs_heap) s);
END $$;
CREATE FUNCTION fs_bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE (SELECT id FROM fs_item) s SET id = 1;
END $$;

-- SELECT *: every column of the subquery's FROM items, in order (a
-- dropped column is not among them), renamed by the alias's column list;
-- a name two items share is ambiguous (above).
CREATE TABLE fs_wide (id int PRIMARY KEY, gone int, grp int, note text) USING memopt;
ALTER TABLE fs_wide DROP COLUMN gone;
INSERT INTO fs_wide VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 1, NULL), (4, 7, 'd');
CREATE FUNCTION fs_star(k int) RETURNS TABLE (id int, grp int, note text, label text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT s.id, s.grp, s.note, g.label
  FROM (SELECT * FROM fs_wide WHERE fs_wide.id >= k) s LEFT JOIN fs_grp g ON g.grp = s.grp
  ORDER BY s.id;
END $$;
SELECT * FROM fs_star(2);
CREATE FUNCTION fs_star_join() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT string_agg(j.i || ':' || j.n || ':' || coalesce(j.note, '-') || ':' || j.l, ','
                            ORDER BY j.i)
          FROM (SELECT DISTINCT * FROM fs_wide w, fs_grp g WHERE g.grp = w.grp) j (i, n, note, gg, l));
END $$;
SELECT fs_star_join();
DROP FUNCTION fs_star(int), fs_star_join();
DROP TABLE fs_wide;

-- A subquery of the simplest shape (one table, columns out, a WHERE of
-- its own) is pulled up into the query: its table is joined under its
-- alias, its WHERE joins the query's. INSERT ... SELECT from the table it
-- writes still reads only the rows there before the statement.
CREATE FUNCTION fs_pulled(k int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r text;
  INSERT INTO fs_item SELECT s.n + 100, s.g, 'copy' FROM (SELECT id AS n, grp AS g FROM fs_item WHERE id > k) s;
  SELECT string_agg(i.id || '=' || s.label, ',' ORDER BY i.id) INTO r
  FROM fs_item i, (SELECT grp AS g, label FROM fs_grp WHERE grp > 0) s
  WHERE s.g = i.grp AND i.id > 100 + k;
  DELETE FROM fs_item WHERE id > 100;
  RETURN r;
END $$;
SELECT fs_pulled(14);
DROP FUNCTION fs_pulled(int);

-- Outputs that are expressions are pulled up too, computed where they are
-- read, as PostgreSQL's planner substitutes them: one never read is never
-- computed (no division by zero here, in PostgreSQL neither), and
-- conditions on the table's columns still find rows by its key.
CREATE FUNCTION fs_pulled_expressions(k int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r text;
  SELECT string_agg(s.n || ':' || s.doubled || ':' || s.tagged, ',' ORDER BY s.doubled DESC) INTO r
  FROM (SELECT id AS n, id * 2 + k AS doubled, name || '!' AS tagged, 1 / (grp - grp) AS never_read
        FROM fs_item) s, fs_grp g
  WHERE s.n = g.grp AND s.doubled > k;
  RETURN r;
END $$;
SELECT fs_pulled_expressions(1);
SELECT string_agg(s.n || ':' || s.doubled || ':' || s.tagged, ',' ORDER BY s.doubled DESC)
FROM (SELECT id AS n, id * 2 + 1 AS doubled, name || '!' AS tagged, 1 / (grp - grp) AS never_read
      FROM fs_item) s, fs_grp g
WHERE s.n = g.grp AND s.doubled > 1;
DROP FUNCTION fs_pulled_expressions(int);

-- A subquery joining tables is pulled up as well: its tables join the
-- query in its place, and the join's conditions choose lookups by key.
CREATE FUNCTION fs_pulled_join(k int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r text;
  SELECT string_agg(p.id || '/' || p.label || '/' || o.name, ',' ORDER BY p.id) INTO r
  FROM (SELECT i.id, g.label, i.grp FROM fs_item i, fs_grp g WHERE g.grp = i.grp AND i.id > k) p,
       fs_item o
  WHERE o.id = p.id + 1 AND p.grp <> 2;
  RETURN r;
END $$;
SELECT fs_pulled_join(12);
SELECT string_agg(p.id || '/' || p.label || '/' || o.name, ',' ORDER BY p.id)
FROM (SELECT i.id, g.label, i.grp FROM fs_item i, fs_grp g WHERE g.grp = i.grp AND i.id > 12) p,
     fs_item o
WHERE o.id = p.id + 1 AND p.grp <> 2;
DROP FUNCTION fs_pulled_join(int);

-- The advisor no longer lists them; LATERAL it does.
CREATE FUNCTION fs_plpgsql() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM (SELECT id FROM fs_item) s)
       + (SELECT count(*) FROM fs_grp g, LATERAL (SELECT id FROM fs_item i WHERE i.grp = g.grp) l);
END $$;
SELECT line, construct FROM memopt.native_advisor('fs_plpgsql()');

SET client_min_messages = warning;
DROP TABLE fs_item, fs_grp, fs_log, fs_big, fs_heap CASCADE;
RESET client_min_messages;
DROP FUNCTION fs_plpgsql();
