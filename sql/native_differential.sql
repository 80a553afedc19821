-- Differential test: a corpus of routine bodies compiled natively and run as
-- PL/pgSQL over the same memopt data and the same arguments gives the same
-- results, and the same SQLSTATE and message where one raises an error.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
CREATE TABLE dt (id int PRIMARY KEY, v int, label text) USING memopt;
INSERT INTO dt SELECT g, g * 7 % 31, 'row ' || g FROM generate_series(1, 30) g;
-- name, declarations, statements: the native body is BEGIN ATOMIC WITH (...)
-- declarations statements END; the PL/pgSQL one DECLARE declarations BEGIN
-- statements END. Every routine is f(a int, b int) RETURNS text.
CREATE TABLE corpus (name text PRIMARY KEY, decls text, stmts text);
INSERT INTO corpus VALUES
  ('add', '', 'RETURN a + b;'),
  ('mul', '', 'RETURN a * b;'),
  ('div', '', 'RETURN a / b;'),
  ('modulo', '', 'RETURN a % b;'),
  ('widen', '', 'RETURN (a::bigint * b * 1000)::int;'),
  ('narrow', 'DECLARE s smallint;', 's := a * 100; RETURN s;'),
  ('floats', '', 'RETURN (a::float8 / 3) || '' '' || (a::float8 / 2)::int || '' '' || (b::real * 1.5::real);'),
  ('for_loop', 'DECLARE s int := 0;',
   'FOR i IN a..b LOOP IF i % 3 = 0 THEN CONTINUE; END IF; s := s + i; EXIT WHEN s > 100; END LOOP; RETURN s;'),
  ('reverse_by', 'DECLARE s text := '''';',
   'IF abs(a) > 20 OR abs(b) > 20 THEN RETURN ''skip''; END IF; FOR i IN REVERSE a..b BY 2 LOOP s := s || i || '',''; END LOOP; RETURN s;'),
  ('while_loop', 'DECLARE s bigint := 0; DECLARE n int := 0;',
   'IF b <= 0 OR a > 1000 THEN RETURN -1; END IF; WHILE s < a LOOP s := s + b; n := n + 1; END LOOP; RETURN s || ''/'' || n;'),
  ('texts', '', 'RETURN upper(''x'' || a) || length(''abc'' || b) || lower(''Q'') || coalesce(NULL, b, a);'),
  ('logic', '', 'RETURN (a > 0 AND b > 0) || '' '' || (a > 0 OR b > 0) || '' '' || (NOT a = b) || '' '' || (a IS NULL);'),
  ('builtins', '', 'RETURN abs(a) || '' '' || mod(a, 7) || '' '' || coalesce(b, -1);'),
  ('lookup', 'DECLARE x int; DECLARE l text;',
   'SELECT v, label INTO x, l FROM dt WHERE id = a; RETURN coalesce(x, -1) + coalesce(b, 0) || l;'),
  ('scan', 'DECLARE x int;', 'SELECT id INTO x FROM dt WHERE v = b; RETURN x;'),
  ('raise', '',
   'IF a < 0 THEN RAISE EXCEPTION ''negative: %'', a USING ERRCODE = ''22023''; END IF; RETURN ''ok'';'),
  ('if_chain', '',
   'IF a IS NULL THEN RETURN ''null''; ELSIF a < b THEN RETURN ''lt''; ELSIF a = b THEN RETURN ''eq''; ELSE RETURN ''gt''; END IF;'),
  ('text_to_int', 'DECLARE t text; DECLARE n int;', 't := a || ''0''; n := t; RETURN n + 1;'),
  ('case_expr', '',
   'RETURN CASE a WHEN 1 THEN ''one'' WHEN 7 THEN ''big'' WHEN 20 THEN ''big'' ELSE ''other'' END || CASE WHEN b > 0 THEN b END;'),
  ('case_stmt', '',
   'CASE WHEN a > b THEN RETURN ''gt''; WHEN a = b THEN RETURN ''eq''; WHEN a < b THEN NULL; END CASE; RETURN ''lt'';'),
  ('aggregates', 'DECLARE c bigint; DECLARE s bigint; DECLARE lo int; DECLARE hi int; DECLARE m float8;',
   'SELECT count(*), sum(v), min(v), max(id), avg(v::float8) INTO c, s, lo, hi, m FROM dt WHERE id <= a AND v > b;
    RETURN c || '' '' || coalesce(s, -1) || '' '' || coalesce(lo, -1) || '' '' || coalesce(hi, -1) || '' '' || coalesce(m, -1);'),
  ('for_query', 'DECLARE s text := ''''; DECLARE k int; DECLARE l text;',
   'FOR k, l IN SELECT id, label FROM dt WHERE v = b OR id = a LOOP s := s || k || l; END LOOP; RETURN s;');

DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT * FROM corpus LOOP
    EXECUTE format('CREATE FUNCTION %I(a int, b int) RETURNS text LANGUAGE native_compilation AS %L',
      'n_' || c.name,
      E'BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)\n' || c.decls || E'\n' || c.stmts || E'\nEND');
    EXECUTE format('CREATE FUNCTION %I(a int, b int) RETURNS text LANGUAGE plpgsql AS %L',
      'p_' || c.name,
      'DECLARE ' || replace(c.decls, 'DECLARE ', '') || E'\nBEGIN\n' || c.stmts || E'\nEND');
  END LOOP;
END $$;

CREATE FUNCTION outcome(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE 'SELECT ' || call INTO r;
  RETURN coalesce(r, '<NULL>');
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE outcomes AS
SELECT c.name, a, b,
       outcome(format('n_%s(%s, %s)', c.name, coalesce(a::text, 'NULL'), coalesce(b::text, 'NULL'))) AS native,
       outcome(format('p_%s(%s, %s)', c.name, coalesce(a::text, 'NULL'), coalesce(b::text, 'NULL'))) AS plpgsql
FROM corpus c,
     (VALUES (-3), (0), (1), (7), (20), (2147483647), (NULL)) x(a),
     (VALUES (-3), (0), (1), (7), (20), (2147483647), (NULL)) y(b);

-- Every routine, every argument pair: the same outcome.
SELECT count(*) AS compared, count(*) FILTER (WHERE native IS NOT DISTINCT FROM plpgsql) AS same,
       count(*) FILTER (WHERE native LIKE 'ERROR%') AS errors
FROM outcomes;
SELECT name, a, b, native, plpgsql FROM outcomes
WHERE native IS DISTINCT FROM plpgsql ORDER BY name, a, b;
-- A sample, so the expected output shows what was compared.
SELECT name, a, b, native FROM outcomes
WHERE (a, b) IN ((7, 1), (-3, 0), (2147483647, 7)) ORDER BY name, a, b;

DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT name FROM corpus LOOP
    EXECUTE format('DROP FUNCTION %I(int, int), %I(int, int)', 'n_' || c.name, 'p_' || c.name);
  END LOOP;
END $$;
DROP TABLE outcomes, corpus;
DROP TABLE dt CASCADE;
DROP FUNCTION outcome(text);
