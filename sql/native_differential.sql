-- Differential test: a corpus of routine bodies compiled natively and run as
-- PL/pgSQL over the same memopt data and the same arguments gives the same
-- results, and the same SQLSTATE and message where one raises an error.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
CREATE TABLE dt (id int PRIMARY KEY, v int, label text) USING memopt;
INSERT INTO dt SELECT g, g * 7 % 31, 'row ' || g FROM generate_series(1, 30) g;
-- dj joins dt (dt_id, with misses and duplicates); ds is written and emptied.
CREATE TABLE dj (jk int PRIMARY KEY, dt_id int, w int, tag text) USING memopt;
INSERT INTO dj SELECT g, g * 5 % 37, g % 9, CASE WHEN g % 4 = 0 THEN NULL ELSE 'tag' || g % 3 END
FROM generate_series(1, 40) g;
CREATE TABLE ds (id int PRIMARY KEY, v int) USING memopt;
-- dd has defaults and a generated column; routines leave it empty.
CREATE TABLE dd (id int PRIMARY KEY, v int DEFAULT 42, w text DEFAULT 'w' || 7,
                 g int GENERATED ALWAYS AS (v * 2) STORED) USING memopt;
CREATE TABLE dk (code text PRIMARY KEY, amount numeric, kind text, v int) USING memopt;
CREATE INDEX ON dk (amount);
CREATE INDEX ON dk USING memopt_hash (kind);
INSERT INTO dk SELECT 'code' || g, g * 1.5, 'k' || g % 3, g FROM generate_series(0, 9) g;
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
   'FOR k, l IN SELECT id, label FROM dt WHERE v = b OR id = a LOOP s := s || k || l; END LOOP; RETURN s;'),
  ('join_lookup', 'DECLARE s text := ''''; DECLARE k int; DECLARE l text;',
   'FOR k, l IN SELECT d.id, j.w || d.label FROM dj j JOIN dt d ON d.id = j.dt_id WHERE j.w > b ORDER BY j.jk LIMIT 5 LOOP s := s || k || l || '',''; END LOOP; RETURN s;'),
  ('join_scan', 'DECLARE c bigint; DECLARE t bigint;',
   'SELECT count(*), sum(d.v * j.w) INTO c, t FROM dt d, dj j WHERE d.v = j.w + a AND j.jk > b; RETURN c || '' '' || coalesce(t, -1);'),
  ('join_three', 'DECLARE c bigint;',
   'SELECT count(*) INTO c FROM dj j CROSS JOIN dt d INNER JOIN dj k2 ON k2.jk = d.v WHERE d.id = j.dt_id AND k2.w >= b AND j.w <> a; RETURN c;'),
  ('left_lookup', 'DECLARE s text := ''''; DECLARE k int; DECLARE l text;',
   'FOR k, l IN SELECT j.jk, coalesce(d.label, ''none'') FROM dj j LEFT JOIN dt d ON d.id = j.dt_id AND d.v > b WHERE j.w <> a ORDER BY j.jk LOOP s := s || k || l || '',''; END LOOP; RETURN s;'),
  ('left_where', 'DECLARE c bigint; DECLARE t bigint;',
   'SELECT count(*), count(d.id) INTO c, t FROM dj j LEFT OUTER JOIN dt d ON d.id = j.dt_id WHERE d.id IS NULL OR d.v < b; RETURN c || '' '' || t;'),
  ('left_scan_then_join', 'DECLARE c bigint; DECLARE t bigint;',
   'SELECT count(*), sum(coalesce(d.v, 100) + k2.w) INTO c, t FROM dj j LEFT JOIN dt d ON d.v = j.w + a INNER JOIN dj k2 ON k2.jk = j.jk WHERE j.jk > b; RETURN c || '' '' || coalesce(t, -1);'),
  ('left_on_outer_only', 'DECLARE s text := ''''; DECLARE k int; DECLARE i int;',
   'FOR k, i IN SELECT j.jk, d.id FROM dj j LEFT JOIN dt d ON j.w > b AND d.id = j.dt_id ORDER BY j.jk DESC LIMIT 12 LOOP s := s || k || ''-'' || coalesce(i, 0) || '' ''; END LOOP; RETURN s;'),
  ('left_group', 'DECLARE s text := ''''; DECLARE l text; DECLARE c bigint;',
   'FOR l, c IN SELECT d.label, count(*) FROM dj j LEFT JOIN dt d ON d.id = j.dt_id AND d.v >= a GROUP BY d.label ORDER BY 2 DESC, 1 NULLS FIRST LIMIT 4 LOOP s := s || coalesce(l, ''-'') || c || '';''; END LOOP; RETURN s;'),
  ('group_by', 'DECLARE s text := ''''; DECLARE k int; DECLARE c bigint; DECLARE t bigint;',
   'FOR k, c, t IN SELECT dt_id, count(*), sum(w) FROM dj WHERE w > b GROUP BY dt_id HAVING count(*) > 1 ORDER BY 3 DESC, 1 LIMIT abs(a) LOOP s := s || k || '':'' || c || '':'' || t || '' ''; END LOOP; RETURN s;'),
  ('group_text', 'DECLARE s text := ''''; DECLARE l text; DECLARE c bigint; DECLARE m int;',
   'FOR l, c, m IN SELECT tag, count(*), max(w) FROM dj WHERE jk > a GROUP BY tag ORDER BY tag NULLS FIRST LOOP s := s || coalesce(l, ''null'') || c || ''/'' || m || '';''; END LOOP; RETURN s;'),
  ('group_join', 'DECLARE s text := ''''; DECLARE l text; DECLARE c bigint; DECLARE t bigint;',
   'FOR l, c, t IN SELECT j.tag, count(*), sum(d.v) FROM dt d JOIN dj j ON j.dt_id = d.id WHERE d.v < b GROUP BY j.tag ORDER BY 2 DESC, 1 LOOP s := s || coalesce(l, ''-'') || c || ''='' || t || '' ''; END LOOP; RETURN s;'),
  ('order_offset', 'DECLARE s text := ''''; DECLARE k int;',
   'FOR k IN SELECT id FROM dt WHERE v < 20 ORDER BY v DESC, id LIMIT b OFFSET a LOOP s := s || k || '' ''; END LOOP; RETURN s;'),
  ('select_first', 'DECLARE k int; DECLARE l text;',
   'SELECT id, label INTO k, l FROM dt WHERE v > b ORDER BY v, id DESC; RETURN k || l;'),
  ('having_only', 'DECLARE c bigint;',
   'SELECT count(*) INTO c FROM dt WHERE v > b HAVING count(*) > a; RETURN c;'),
  ('numeric_ops', 'DECLARE x numeric := a / 7.0; DECLARE y numeric(8, 2) := b * 0.333;',
   'RETURN x || '' '' || y || '' '' || (x * b) || '' '' || round(x, 3) || '' '' || trunc(x, 1) || '' '' || (a % 3.5) || '' '' || (0.1 + 0.2 = 0.3) || '' '' || -y;'),
  ('numeric_div', '',
   'RETURN (a::numeric / b) || '' '' || (a * 1.5)::int || '' '' || abs(b - 0.5) || '' '' || (a + 0.5)::bigint || '' '' || (b * 0.25)::float8;'),
  ('numeric_agg', 'DECLARE s numeric; DECLARE m numeric; DECLARE q numeric; DECLARE big numeric;',
   'SELECT sum(v * 1.1), avg(v), avg(v::numeric / 3), sum(id::bigint * a) INTO s, m, q, big FROM dt WHERE id <= b; RETURN s || '' '' || m || '' '' || q || '' '' || big;'),
  ('dates', 'DECLARE d date := ''2026-01-01'';',
   'RETURN (d + a) || '' '' || (d - b) || '' '' || ((d + a) - d) || '' '' || (d + a * ''1 day''::interval) || '' '' || ((d + b) < (d + a)::timestamp);'),
  ('timestamps', 'DECLARE t timestamp := ''2026-03-01 12:00'';',
   'RETURN (t + a * ''1 hour''::interval) || '' '' || date_trunc(''day'', t - b * ''1 minute''::interval) || '' '' || date_part(''hour'', t + ''90 minutes''::interval) || '' '' || ((t + a * ''1 second''::interval) - t);'),
  ('time_interval', '',
   'RETURN (''10:00''::time + a * ''1 minute''::interval) || '' '' || (''12:00''::time - ''09:30''::time) || '' '' || (''1 day''::interval / b) || '' '' || (''2 hours''::interval > b * ''1 minute''::interval);'),
  ('group_numeric', 'DECLARE s text := ''''; DECLARE k int; DECLARE x numeric; DECLARE y numeric;',
   'FOR k, x, y IN SELECT w, sum(jk * 0.5), avg(jk) FROM dj WHERE jk > a GROUP BY w ORDER BY 3 DESC, 1 LIMIT 4 LOOP s := s || k || '':'' || x || '':'' || y || '' ''; END LOOP; RETURN s;'),
  ('text_functions', '',
   'RETURN substr(''hello world'', a, b) || ''|'' || strpos(''hello'', ''l'') || ''|'' || replace(''a-b-c'', ''-'', b::text) || ''|'' || left(''abcdef'', a) || ''|'' || right(''abcdef'', b) || ''|'' || split_part(''a,b,c'', '','', abs(a) + 1) || ''|'' || lpad(a::text, 6, ''*'') || ''|'' || trim(''  x  '') || reverse(''abc'') || ''|'' || starts_with(''memopt'', ''mem'') || length(''\x0102''::bytea);'),
  ('math_functions', '',
   'RETURN round(a / 3.0, 2) || '' '' || round(a::float8 / 7) || '' '' || ceil(b / 2.0) || '' '' || floor(-b / 2.0) || '' '' || sqrt(abs(a)) || '' '' || power(2, b % 10) || '' '' || sign(a - b) || '' '' || trunc(a * 1.23456, 3) || '' '' || round(7.5) || '' '' || round(a);'),
  ('format_functions', '',
   'RETURN to_char(make_date(2026, 1 + abs(a) % 12, 1 + abs(b) % 28), ''YYYY-MM-DD Dy'') || '' '' || to_char(a * 1.5, ''FM999990.00'') || '' '' || to_char(b, ''000'') || '' '' || age(''2026-03-01''::timestamp, ''2025-01-15''::timestamp) || '' '' || md5(a::text) || '' '' || initcap(''hello WORLD'') || '' '' || to_date(''2026-02-03'', ''YYYY-MM-DD'');'),
  ('labels', 'DECLARE s int := 0;',
   '<<outer>> FOR i IN 1..10 LOOP FOR j IN 1..10 LOOP CONTINUE outer WHEN j > i; s := s + j * coalesce(a, 1) % 7; EXIT outer WHEN s > coalesce(b, 50); END LOOP; END LOOP outer; RETURN s;'),
  ('label_query', 'DECLARE s text := ''''; DECLARE k int;',
   'FOR r IN 1..2 LOOP <<rows>> FOR k IN SELECT id FROM dt WHERE v > b ORDER BY v, id LOOP FOR j IN 1..2 LOOP EXIT rows WHEN k > a; END LOOP; s := s || k || '',''; END LOOP; s := s || ''/''; END LOOP; RETURN s;'),
  ('varchar_n', 'DECLARE v varchar(4) := ''x''; DECLARE w varchar(6);',
   'v := coalesce(b::text, ''n''); w := (a::text || ''abcdefgh'')::varchar(6); RETURN v || ''|'' || w || ''|'' || length(v);'),
  ('char_n', 'DECLARE c char(5) := ''ab''; DECLARE d char(3);',
   'd := coalesce(a::text, ''z''); RETURN c || ''|'' || d || ''|'' || length(c) || ''|'' || (c = ''ab   '') || ''|'' || (c < d) || ''|'' || upper(c) || ''|'' || (c::text = ''ab'');'),
  ('insert_select', 'DECLARE c bigint; DECLARE t bigint;',
   'INSERT INTO ds (id, v) SELECT id, v + b FROM dt WHERE id <= a ORDER BY id LIMIT 20; SELECT count(*), sum(v) INTO c, t FROM ds; DELETE FROM ds; RETURN c || '' '' || coalesce(t, -1);'),
  ('exists_if', '',
   'IF EXISTS (SELECT 1 FROM dt WHERE v = b) THEN RETURN ''v''; END IF; IF NOT EXISTS (SELECT * FROM dj WHERE w = a AND tag IS NULL) THEN RETURN ''none''; END IF; RETURN EXISTS (SELECT jk FROM dj WHERE jk = a);'),
  ('exists_semi_join', 'DECLARE c bigint; DECLARE t bigint;',
   'SELECT count(*), sum(d.v) INTO c, t FROM dt d WHERE EXISTS (SELECT 1 FROM dj j WHERE j.dt_id = d.id AND j.w > b) AND d.id > a; RETURN c || '' '' || coalesce(t, -1);'),
  ('exists_anti_join', 'DECLARE s text := ''''; DECLARE k int;',
   'FOR k IN SELECT d.id FROM dt d WHERE NOT EXISTS (SELECT 1 FROM dj j WHERE j.dt_id = d.id AND j.w <> a) AND d.v < b + 20 ORDER BY d.id LOOP s := s || k || '',''; END LOOP; RETURN s;'),
  ('exists_lookup_key', 'DECLARE s text := ''''; DECLARE k int; DECLARE e boolean;',
   'FOR k, e IN SELECT j.jk, EXISTS (SELECT 1 FROM dt d WHERE d.id = j.dt_id + a % 5 AND d.v > b) FROM dj j WHERE j.w = 3 ORDER BY j.jk LOOP s := s || k || CASE WHEN e THEN ''+'' ELSE ''-'' END; END LOOP; RETURN s;'),
  ('exists_nested', 'DECLARE c bigint;',
   'SELECT count(*) INTO c FROM dt d WHERE EXISTS (SELECT 1 FROM dj j WHERE j.dt_id = d.id AND EXISTS (SELECT 1 FROM dt d2 WHERE d2.id = j.jk AND d2.v > d.v - b)); RETURN c;'),
  ('exists_left_on', 'DECLARE c bigint; DECLARE t bigint;',
   'SELECT count(*), count(d.id) INTO c, t FROM dj j LEFT JOIN dt d ON d.id = j.dt_id AND EXISTS (SELECT 1 FROM dj k WHERE k.jk = d.v + a) WHERE j.jk > b; RETURN c || '' '' || t;'),
  ('exists_text_scratch', '',
   'RETURN (''<'' || a || CASE WHEN EXISTS (SELECT 1 FROM dj j WHERE j.tag || ''!'' = ''tag'' || (a % 3) || ''!'' AND j.w > b) THEN ''T'' ELSE ''F'' END) || (b || ''>'');'),
  ('exists_writes', 'DECLARE c bigint; DECLARE t bigint;',
   'INSERT INTO ds SELECT id, v FROM dt WHERE EXISTS (SELECT 1 FROM dj WHERE dj.dt_id = dt.id AND dj.w > b); DELETE FROM ds WHERE EXISTS (SELECT 1 FROM dj WHERE dj.jk = ds.id AND dj.w < a); UPDATE ds SET v = -v WHERE NOT EXISTS (SELECT 1 FROM dt WHERE dt.id = ds.id + 1); SELECT count(*), sum(v) INTO c, t FROM ds; DELETE FROM ds; RETURN c || '' '' || coalesce(t, -1);'),
  ('found_select', 'DECLARE x int; DECLARE s text := '''';',
   's := CASE WHEN found THEN ''T'' ELSE ''F'' END; SELECT v INTO x FROM dt WHERE id = a; s := s || CASE WHEN found THEN ''T'' ELSE ''F'' END; SELECT v INTO x FROM dt WHERE v > b ORDER BY v LIMIT 1; RETURN s || CASE WHEN found THEN ''T'' ELSE ''F'' END || coalesce(x, -1);'),
  ('found_upsert', 'DECLARE s text := ''''; DECLARE c bigint;',
   'FOR i IN 1..2 LOOP UPDATE ds SET v = v + b WHERE id = a % 5; IF NOT FOUND THEN INSERT INTO ds VALUES (a % 5, b); s := s || ''i''; ELSE s := s || ''u''; END IF; END LOOP; DELETE FROM ds WHERE id = b; s := s || CASE WHEN found THEN ''d'' ELSE ''-'' END; SELECT count(*) INTO c FROM ds; DELETE FROM ds; RETURN s || c || CASE WHEN found THEN ''T'' ELSE ''F'' END;'),
  ('found_loops', 'DECLARE s text := ''''; DECLARE k int := 5;',
   'FOR i IN a % 10..b % 10 LOOP NULL; END LOOP; s := CASE WHEN found THEN ''T'' ELSE ''F'' END; FOR k IN SELECT id FROM dt WHERE v = b LOOP found := false; END LOOP; s := s || CASE WHEN found THEN ''T'' ELSE ''F'' END || coalesce(k, -1); WHILE true LOOP FOR j IN 1..3 LOOP EXIT WHEN j = 2; END LOOP; EXIT; END LOOP; RETURN s || CASE WHEN found THEN ''T'' ELSE ''F'' END;'),
  ('scalar_subquery', '',
   'RETURN coalesce((SELECT label FROM dt WHERE id = a), ''none'') || '' '' || (SELECT count(*) FROM dj WHERE w = b) || '' '' || coalesce((SELECT max(v) FROM dt WHERE id > b)::text, ''-'');'),
  ('scalar_correlated', 'DECLARE s text := ''''; DECLARE k int;',
   'FOR k IN SELECT d.id FROM dt d WHERE d.v - a < (SELECT sum(j.w) FROM dj j WHERE j.dt_id = d.id) ORDER BY d.id LOOP s := s || k || '',''; END LOOP; RETURN s || coalesce((SELECT label FROM dt WHERE v > b ORDER BY v, id LIMIT 1 OFFSET 1), ''-'');'),
  ('scalar_two_rows', '', 'RETURN (SELECT jk FROM dj WHERE w = a) + b;'),
  ('scalar_key', 'DECLARE x text;',
   'SELECT label INTO x FROM dt WHERE id = (SELECT max(dt_id) FROM dj WHERE w = b); RETURN coalesce(x, ''-'') || (SELECT count(*) FROM dt WHERE v = (SELECT v FROM dt WHERE id = a));'),
  ('in_list', '',
   'RETURN coalesce((a IN (1, 2, b))::text, ''null'') || '' '' || coalesce((a NOT IN (3, b, NULL))::text, ''null'') || '' '' || coalesce((b IN (a + 1, a * 2))::text, ''null'') || coalesce((''x'' || a IN (''x1'', ''x7''))::text, ''null'');'),
  ('in_subquery', '',
   'RETURN coalesce((a IN (SELECT dt_id FROM dj WHERE w > b))::text, ''null'') || '' '' || coalesce((a NOT IN (SELECT w FROM dj WHERE tag IS NULL))::text, ''null'') || '' '' || coalesce((b IN (SELECT CASE WHEN w > 4 THEN NULL ELSE w END FROM dj))::text, ''null'') || coalesce((a + 0 IN (SELECT max(jk) FROM dj GROUP BY w HAVING count(*) > b))::text, ''null'');'),
  ('in_where', 'DECLARE c bigint; DECLARE t bigint;',
   'SELECT count(*), sum(v) INTO c, t FROM dt WHERE id IN (SELECT dt_id FROM dj WHERE w BETWEEN a AND b) AND label NOT LIKE ''%1%''; UPDATE ds SET v = 0 WHERE id NOT IN (1, 2); RETURN c || '' '' || coalesce(t, -1);'),
  ('between', '',
   'RETURN coalesce((a BETWEEN 1 AND b)::text, ''null'') || coalesce((b NOT BETWEEN a AND a + 10)::text, ''null'') || coalesce((a * 2 BETWEEN b AND 100)::text, ''null'');'),
  ('like', 'DECLARE c bigint;',
   'SELECT count(*) INTO c FROM dj WHERE tag LIKE ''tag'' || (a % 3) OR tag ILIKE ''TAG_'' AND w > b; RETURN c || coalesce((''row '' || a LIKE ''%'' || b || ''%'')::text, ''null'') || (''a_c'' LIKE ''a\_c'');'),
  ('perform_rows', 'DECLARE n bigint; DECLARE s text := '''';',
   'PERFORM id FROM dt WHERE v > b; GET DIAGNOSTICS n = ROW_COUNT; s := n || CASE WHEN found THEN ''T'' ELSE ''F'' END; INSERT INTO ds SELECT id, v FROM dt WHERE v BETWEEN a AND b; GET DIAGNOSTICS n = ROW_COUNT; s := s || '' i'' || n; UPDATE ds SET v = v + 1 WHERE id IN (SELECT dt_id FROM dj); GET DIAGNOSTICS n = ROW_COUNT; s := s || '' u'' || n; IF (SELECT count(*) FROM ds) > 3 THEN GET DIAGNOSTICS n = ROW_COUNT; s := s || '' c'' || n; END IF; DELETE FROM ds; GET DIAGNOSTICS n = ROW_COUNT; RETURN s || '' d'' || n;'),
  ('perform_bare', 'DECLARE n int;',
   'PERFORM a / b, a * 2; GET DIAGNOSTICS n = ROW_COUNT; RETURN CASE WHEN found THEN ''T'' ELSE ''F'' END || n;'),
  ('avg_integers', 'DECLARE s text := ''''; DECLARE x numeric; DECLARE y numeric; DECLARE g int;',
   'SELECT avg(v::smallint), avg(CASE WHEN v > b THEN v END) INTO x, y FROM dt WHERE id > a; s := coalesce(x::text, ''-'') || '' '' || coalesce(y::text, ''-''); FOR g, x IN SELECT w, avg(jk) FROM dj GROUP BY w HAVING avg(dt_id) > b ORDER BY w LOOP s := s || '' '' || g || '':'' || x; END LOOP; RETURN s || '' '' || coalesce((SELECT avg(2147483647) FROM dt WHERE id < a)::text, ''-'');'),
  ('in_lookup', 'DECLARE c bigint; DECLARE t bigint; DECLARE s text;',
   'SELECT count(*), sum(v) INTO c, t FROM dt WHERE id IN (a, b, a, 3, NULL, b - 1); s := c || '' '' || coalesce(t, -1); SELECT count(*) INTO c FROM dt d, dj j WHERE j.jk IN (d.id, d.id * 2, a) AND d.id IN (b, 2, 4); s := s || '' '' || c; SELECT count(*) INTO c FROM dt WHERE id::bigint IN (a::bigint + 4294967296, b) AND v > 0; s := s || '' '' || c; SELECT count(*) INTO c FROM dj WHERE (jk = a OR jk = 7 OR jk = b) AND w <> 3; RETURN s || '' '' || c;'),
  ('in_lookup_writes', 'DECLARE c bigint; DECLARE t bigint;',
   'INSERT INTO ds SELECT id, v FROM dt WHERE id IN (1, 2, 3, 4, a, b); UPDATE ds SET id = id + 100 WHERE id IN (a, a + 1, 2); UPDATE ds SET v = v * 2 WHERE id IN (b, b, 3, 103); DELETE FROM ds WHERE id IN (4, 104, b); SELECT count(*), sum(id * v) INTO c, t FROM ds; DELETE FROM ds; RETURN c || '' '' || coalesce(t, -1);'),
  ('select_values', 'DECLARE x text := repeat(''x'', 40); DECLARE y text := repeat(''y'', 60); DECLARE n int; DECLARE r bigint;',
   'SELECT y, x, a / b INTO x, y, n; GET DIAGNOSTICS r = ROW_COUNT; SELECT y || label, x INTO x, y FROM dt WHERE id = 1; RETURN left(x, 3) || length(x) || left(y, 3) || length(y) || coalesce(n, -1) || r || CASE WHEN found THEN ''T'' ELSE ''F'' END;'),
  ('like_escape_symmetric', '',
   'RETURN coalesce((''a%'' || a LIKE ''a#%'' || b ESCAPE ''#'')::text, ''null'') || coalesce((''A_'' || a ILIKE ''a!_%'' ESCAPE ''!'')::text, ''null'') || coalesce((''x'' || a LIKE ''x%'' ESCAPE '''')::text, ''null'') || coalesce((a BETWEEN SYMMETRIC b AND 7)::text, ''null'') || coalesce((a NOT BETWEEN SYMMETRIC b + 1 AND b - 1)::text, ''null'') || coalesce((''ab'' LIKE ''a%'' ESCAPE CASE WHEN b = 7 THEN ''xy'' ELSE '''' END)::text, ''null'');'),
  ('aliases', 'DECLARE s text := ''''; DECLARE k int; DECLARE n bigint;',
   'FOR k, n IN SELECT w AS weight, count(*) AS how_many FROM dj WHERE jk > a GROUP BY w ORDER BY how_many DESC, weight LIMIT 3 LOOP s := s || k || '':'' || n || '' ''; END LOOP; SELECT id AS v, v AS id INTO k, n FROM dt WHERE id > b ORDER BY v DESC LIMIT 1; RETURN s || coalesce(k, -1) || '' '' || coalesce(n, -1) || '' '' || coalesce((SELECT max(v) AS m FROM dt WHERE id < a), -1);'),
  ('cached_writes', 'DECLARE c bigint; DECLARE t bigint;',
   'INSERT INTO ds SELECT id, v FROM dt WHERE id <= 12; UPDATE ds SET v = v + 100 WHERE v < (SELECT avg(v) FROM ds) + a; DELETE FROM ds WHERE v = (SELECT min(v) FROM ds WHERE v > b); UPDATE ds SET v = (SELECT max(v) FROM ds) + 1 WHERE id % 3 = 0; SELECT count(*), sum(v) INTO c, t FROM ds; DELETE FROM ds; RETURN c || '' '' || t;'),
  ('cached_loops', 'DECLARE s text := ''''; DECLARE c bigint; DECLARE n int := 0;',
   'FOR i IN 1..3 LOOP SELECT count(*) INTO c FROM dt WHERE v > (SELECT min(v) FROM dt WHERE id > i * abs(a % 9)); s := s || c || '',''; END LOOP; INSERT INTO ds SELECT id, v FROM dt WHERE id <= 10; WHILE (SELECT count(*) FROM ds WHERE v < (SELECT max(v) FROM ds)) > abs(b % 5) AND n < 20 LOOP DELETE FROM ds WHERE v = (SELECT max(v) FROM ds); n := n + 1; END LOOP; SELECT count(*) INTO c FROM ds; DELETE FROM ds; RETURN s || n || '' '' || c;'),
  ('cached_nested', 'DECLARE c bigint; DECLARE d bigint; DECLARE e bigint;',
   'SELECT count(*) INTO c FROM dt o WHERE o.v > (SELECT min(j.w) FROM dj j WHERE j.dt_id = o.id AND j.w < (SELECT avg(w) FROM dj) + a) AND EXISTS (SELECT 1 FROM dj WHERE w > b); SELECT count(*) INTO d FROM dt WHERE v + 0 IN (SELECT w FROM dj WHERE w < (SELECT max(w) FROM dj) - a); SELECT count(*) INTO e FROM dt WHERE v * 1 BETWEEN (SELECT min(w) FROM dj) AND (SELECT max(w) FROM dj) + a AND id NOT IN (SELECT jk FROM dj WHERE w = b); RETURN c || '' '' || d || '' '' || e;'),
  ('is_distinct', 'DECLARE c bigint; DECLARE s text;',
   's := (a IS DISTINCT FROM b)::text || (a IS NOT DISTINCT FROM b) || (a::numeric IS DISTINCT FROM b + 0.0) || (''x'' || a IS DISTINCT FROM ''x'' || b) || (NULL IS DISTINCT FROM a) || ((a > b) IS TRUE) || ((a > b) IS NOT TRUE) || ((a > b) IS FALSE) || ((a > b) IS NOT FALSE) || ((a > b) IS UNKNOWN) || ((a > b) IS NOT UNKNOWN); SELECT count(*) INTO c FROM dj WHERE tag IS DISTINCT FROM ''tag'' || (a % 3) AND w IS NOT DISTINCT FROM b % 9; RETURN s || '' '' || c;'),
  ('float_nan', 'DECLARE x float8; DECLARE y float8; DECLARE m float8; DECLARE n float8; DECLARE c bigint;',
   'x := CASE WHEN a = 7 THEN ''NaN''::float8 ELSE a END; y := CASE WHEN b IN (7, 20) THEN ''NaN''::float8 ELSE b END; SELECT max(CASE WHEN v = b THEN ''NaN''::float8 ELSE v END), min(CASE WHEN v = a THEN ''NaN''::float8 ELSE v END), sum(CASE WHEN v::float8 < y THEN 1 ELSE 0 END) INTO m, n, c FROM dt; SELECT count(*) + c * 100 INTO c FROM dt WHERE CASE WHEN v = 3 THEN ''NaN''::float8 ELSE v END >= x; RETURN (x = y)::text || (x <> y) || (x < y) || (x <= y) || (x > y) || (x >= y) || (x IS DISTINCT FROM y) || '' '' || m || '' '' || n || '' '' || c;'),
  ('distinct_rows', 'DECLARE s text := ''''; DECLARE k int; DECLARE t text; DECLARE c bigint;',
   'FOR k, t IN SELECT DISTINCT w % 3, tag FROM dj WHERE jk > a ORDER BY 2 DESC, 1 LOOP s := s || k || coalesce(t, ''-'') || '',''; END LOOP; FOR k IN SELECT DISTINCT v / 4 AS q FROM dt WHERE id > b ORDER BY q DESC LIMIT 3 LOOP s := s || k || '' ''; END LOOP; SELECT count(*) INTO c FROM dt WHERE v IN (SELECT DISTINCT w + a FROM dj); SELECT DISTINCT tag INTO t FROM dj WHERE jk = b OR jk = b + 9 ORDER BY tag; RETURN s || c || coalesce(t, ''-'') || coalesce((SELECT DISTINCT w FROM dj WHERE jk IN (a, a + 9)), -1);'),
  ('group_exprs', 'DECLARE s text := ''''; DECLARE k int; DECLARE t text; DECLARE n bigint;',
   'FOR k, n IN SELECT v % 4 AS m, count(*) FROM dt GROUP BY m HAVING count(*) > b % 5 ORDER BY m LOOP s := s || k || '':'' || n || '' ''; END LOOP; FOR k, n IN SELECT (v + a) / 10 + 1, sum(id) FROM dt GROUP BY (v + a) / 10 ORDER BY 1 DESC LOOP s := s || k || '':'' || n || '' ''; END LOOP; FOR t, n IN SELECT coalesce(tag, ''none'') || (w > b), max(jk) FROM dj GROUP BY 1 ORDER BY coalesce(tag, ''none'') || (w > b) LOOP s := s || t || n || '' ''; END LOOP; FOR k, n IN SELECT d.v % 2, count(j.jk) FROM dt d LEFT JOIN dj j ON j.dt_id = d.id GROUP BY d.v % 2, j.w IS NULL ORDER BY 1, 2 LOOP s := s || k || ''/'' || n || '' ''; END LOOP; RETURN s;'),
  ('greatest_nullif', 'DECLARE t bigint;',
   'SELECT sum(v / nullif(id % 3, 0)) + count(nullif(v % 4, b % 4)) + max(greatest(v, id, a)) - min(least(v, b)) INTO t FROM dt; RETURN coalesce(greatest(a, b, 3)::text, ''-'') || '' '' || coalesce(least(a, NULL, b)::text, ''-'') || '' '' || coalesce(nullif(a, b)::text, ''-'') || '' '' || greatest(''x'' || a, ''x'' || b, ''x5'') || '' '' || coalesce(10 / nullif(b, 0), -1) || least(1.5, a, 2) || greatest(a::float8, ''NaN'', b) || coalesce(a, ''12'') || coalesce(least(date ''2024-01-01'' + a, date ''2024-01-05'')::text, ''-'') || '' '' || coalesce(t, -1);'),
  ('literal_types', '',
   'RETURN CASE WHEN a > b THEN a::float8 ELSE ''NaN'' END || '' '' || CASE WHEN a = 1 THEN date ''2024-01-01'' + b ELSE ''2024-02-02'' END || '' '' || (coalesce(CASE WHEN b > 0 THEN b END, ''0'') + 1) || '' '' || CASE a WHEN 7 THEN ''x'' ELSE ''y'' || b END || (interval ''1 day'' * a)::text || (numeric ''1.50'' + a);'),
  ('in_constants', 'DECLARE c bigint; DECLARE t bigint; DECLARE s smallint := b; DECLARE l bigint := a * 3000000000::bigint;',
   'SELECT count(*), sum(v) INTO c, t FROM dt WHERE id IN (3, -1, 7, 3, 2147483647, 12::smallint, 29, 40000, -(-5)); RETURN coalesce((a IN (1, 2, 7, 7, -3))::text, ''null'') || (a NOT IN (0, 20, 2147483647)) || coalesce((s IN (1, 7, 40000))::text, ''null'') || coalesce((l IN (3000000000, -9000000000, 0))::text, ''null'') || coalesce((a + b IN (-3, 8, 14))::text, ''null'') || coalesce((a IN (1, 2) OR b IN (7, 1))::text, ''null'') || '' '' || c || '' '' || t || '' '' || (SELECT count(*) FROM dj WHERE dt_id IN (2, 4, 8, 16, 32, -64) AND w IN (1, 2, 4, 8)) || (SELECT count(*) FROM dt WHERE v NOT IN (1, 2, 3, 5, 8, 13, 21));'),
  ('in_hashed', 'DECLARE s text := ''''; DECLARE c bigint; DECLARE d bigint;',
   'FOR i IN 1..3 LOOP SELECT count(*) INTO c FROM dt WHERE v IN (SELECT w + i * 10 FROM dj WHERE jk > a); s := s || c || '',''; END LOOP; SELECT count(*) INTO c FROM dt WHERE ''tag'' || (v % 4) NOT IN (SELECT tag FROM dj WHERE jk > b); SELECT count(*) INTO d FROM dt WHERE ''tag'' || (v % 4) NOT IN (SELECT tag FROM dj WHERE jk > b AND tag IS NOT NULL); s := s || c || '' '' || d || '' ''; SELECT count(*) INTO c FROM dt WHERE CASE WHEN v % 5 = 0 THEN NULL ELSE v END IN (SELECT w FROM dj WHERE jk < a); SELECT count(*) INTO d FROM dt WHERE (v::float8 / 2) IN (SELECT w::float8 / 2 FROM dj WHERE jk BETWEEN a AND b) OR v::numeric IN (SELECT CASE WHEN w = 3 THEN NULL ELSE w + 0.0 END FROM dj WHERE jk > 30); s := s || c || '' '' || d || '' ''; SELECT count(*) INTO c FROM dt WHERE id::bigint IN (SELECT dt_id FROM dj WHERE w > 100); SELECT count(*) INTO d FROM dt WHERE id NOT IN (SELECT dt_id FROM dj WHERE w > 100); RETURN s || c || '' '' || d;'),
  ('distinct_aggregates', 'DECLARE s text := ''''; DECLARE k int; DECLARE n bigint; DECLARE m bigint; DECLARE x numeric; DECLARE s2 text;',
   'SELECT count(DISTINCT w), sum(DISTINCT w), count(*), avg(DISTINCT w) INTO n, m, k, x FROM dj WHERE jk > a; s := n || '' '' || coalesce(m, -1) || '' '' || k || '' '' || coalesce(x, -1) || '' ''; FOR k, n, m IN SELECT w % 2, count(DISTINCT tag), count(ALL tag) FROM dj WHERE jk <= 40 - b GROUP BY w % 2 HAVING count(DISTINCT tag) > 1 ORDER BY count(DISTINCT tag) DESC, 1 LOOP s := s || k || '':'' || n || ''/'' || m || '' ''; END LOOP; SELECT count(DISTINCT v % 5) INTO n FROM dt WHERE id > 100 + a; SELECT count(DISTINCT ''t'' || w), max(DISTINCT ''t'' || w) INTO k, s2 FROM dj WHERE jk < b; RETURN s || n || '' '' || k || coalesce(s2, ''-'') || '' '' || coalesce((SELECT count(DISTINCT dt_id) FROM dj WHERE w = b % 9), -1) || '' '' || coalesce((SELECT sum(DISTINCT v::float8 / 2) FROM dt WHERE id BETWEEN a AND b), -1);'),
  ('labels_and_literals', 'DECLARE s text := ''''; DECLARE n bigint; DECLARE t bigint; DECLARE k int; DECLARE m numeric;',
   'SELECT count(*) rows_found, sum(v) total INTO n, t FROM dt WHERE id < a + 10; FOR k, m IN SELECT w % 3 grp, sum(w) / 2.0 half FROM dj WHERE jk > b GROUP BY grp ORDER BY half DESC, grp LOOP s := s || k || ''='' || m || '' ''; END LOOP; RETURN s || n || '' '' || coalesce(t, -1) || '' '' || coalesce((nullif(a, 2.5) / 2)::text, ''-'') || '' '' || coalesce((nullif(b::smallint, 70000) + 32767)::text, ''-'') || '' '' || (double precision ''1.5'' * a) || '' '' || (timestamp with time zone ''2024-01-01 10:00+00'' + b * interval ''1 hour'') || '' '' || (timestamp without time zone ''2024-01-01 10:00'' - a * interval ''1 day'') || '' '' || (character varying ''ab'' || a) || (decimal ''2.25'' * b);'),
  ('in_constant_sets', 'DECLARE c bigint; DECLARE d bigint; DECLARE t text := ''row '' || a; DECLARE n numeric := b / 2.0;',
   'SELECT count(*) INTO c FROM dt WHERE label IN (''row 1'', ''row 3'', ''row 5'', ''row 7'', ''row 11'', ''row 13'', ''row 3'', ''none'', ''row 29''); SELECT count(*) INTO d FROM dj WHERE tag NOT IN (''tag0'', ''x1'', ''x2'', ''x3'', ''x4'', ''x5'', ''x6'', ''x7''); RETURN c || '' '' || d || '' '' || coalesce((t IN (''row 1'', ''row 2'', ''row 3'', ''row 4'', ''row 5'', ''row 6'', ''row 7'', ''row 8''))::text, ''null'') || coalesce((t NOT IN (''row 1'', ''row 2'', ''row 3'', ''row 4'', ''row 5'', ''row 6'', ''row 7'', NULL))::text, ''null'') || coalesce((n IN (0.5, 1, 1.50, 2, 2.5, 3, 3.5, -0.5, 1e1))::text, ''null'') || coalesce((b::float8 / 2 IN (0.5, 1, 1.5, 2, 2.5, 3, 3.5, ''NaN''))::text, ''null'') || coalesce(((date ''2024-01-01'' + a) IN (''2024-01-01'', ''2024-01-02'', ''2024-01-03'', ''2024-01-04'', ''2024-01-08'', ''2024-02-01'', ''2024-03-01'', ''2024-04-01''))::text, ''null'') || coalesce(((timestamp ''2024-01-01'' + b * interval ''1 hour'') IN (''2024-01-01 00:00'', ''2024-01-01 01:00'', ''2024-01-01 07:00'', ''2024-01-01 09:00'', ''2024-01-02'', ''2024-01-03'', ''2024-01-04'', ''2024-01-05''))::text, ''null'') || coalesce(((b * interval ''1 hour'') IN (''1 hour'', ''60 minutes'', ''7 hours'', ''1 day'', ''2 days'', ''3 days'', ''4 days'', ''5 days''))::text, ''null'');'),
  ('in_lookups_by_set', 'DECLARE s text := ''''; DECLARE c bigint; DECLARE t text := ''code'' || (b % 5); DECLARE k text; DECLARE x numeric;',
   'FOR k, x IN SELECT code, amount FROM dk WHERE code IN (''code1'', ''code3'', t, ''code3'', NULL, ''none'', ''code'' || a) ORDER BY code LOOP s := s || k || ''='' || x || '' ''; END LOOP; SELECT count(*), sum(v) INTO c, x FROM dk WHERE amount IN (1.50, 1.5, 3, 4.500, a, b / 2.0, NULL); s := s || c || '' '' || coalesce(x, -1) || '' ''; SELECT count(*) INTO c FROM dk WHERE kind IN (''k1'', ''K1'', ''k2'') AND code IN (''code1'', ''code2'', NULL, ''code4'', ''code7''); RETURN s || c || '' '' || (SELECT count(*) FROM dk d JOIN dj ON d.code IN (''code'' || dj.w, ''code'' || (dj.w + 1)) WHERE dj.jk < b);'),
  ('any_all_subqueries', 'DECLARE s text := ''''; DECLARE c bigint;',
   'FOR i IN (a % 50) - 1..(a % 50) + 3 LOOP s := s || coalesce((i = ANY (SELECT w FROM dj WHERE jk < b + 12))::text, ''null'') || coalesce((i > ALL (SELECT w FROM dj WHERE jk < b + 12))::text, ''null'') || coalesce((i <= SOME (SELECT CASE WHEN w = 2 THEN NULL ELSE w END FROM dj WHERE jk > b))::text, ''null'') || coalesce((i <> ALL (SELECT CASE WHEN w = 2 THEN NULL ELSE w END FROM dj WHERE jk > b))::text, ''null'') || '',''; END LOOP; SELECT count(*) INTO c FROM dt WHERE v >= ALL (SELECT w * 3 FROM dj WHERE dj.dt_id = dt.id) AND id <> ALL (SELECT jk FROM dj WHERE jk < a); RETURN s || c || '' '' || (SELECT count(*) FROM dt WHERE label = ANY (SELECT ''row '' || jk FROM dj WHERE w = b % 9)) || '' '' || (''tag1'' < ALL (SELECT tag FROM dj WHERE jk > 38));'),
  ('more_functions', 'DECLARE t timestamp := timestamp ''2024-02-29 13:14:15.5'' + a * interval ''1 day 1 hour'';',
   'RETURN extract(year FROM t) || '' '' || extract(MONTH FROM t) || '' '' || extract(''dow'' FROM t::date) || '' '' || extract(epoch FROM t - timestamp ''2024-01-01'') || '' '' || extract(second FROM t::time) || '' '' || date_part(''hour'', b * interval ''7 hours'') || '' '' || position(''b'' IN ''ab'' || b) || position(''x'' IN ''abc'') || '' '' || char_length(''row '' || a) || '' '' || (character_length(NULL::text) IS NULL) || '' '' || round(exp(b::numeric / 4), 6) || '' '' || round(ln(abs(a) + 1.5), 8) || '' '' || exp(b::float8) || '' '' || cbrt(a) || '' '' || (random() < 1.0) || '' '' || (clock_timestamp() >= statement_timestamp()) || '' '' || coalesce(ln(b)::text, ''-'');'),
  ('in_operands_without_rows', 'DECLARE s text := '''';',
   'RETURN (SELECT count(*) FROM dt WHERE v * 2147483647 + a IN (SELECT w FROM dj WHERE jk < b)) || '' '' || (SELECT count(*) FROM dt WHERE v * 2147483647 NOT IN (SELECT w FROM dj WHERE jk < b - 3)) || '' '' || (SELECT count(*) FROM dt WHERE v * 2147483647 = ANY (SELECT w FROM dj WHERE dj.dt_id = dt.id AND jk < b)) || '' '' || (SELECT count(*) FROM dt WHERE v * 2147483647 < ALL (SELECT w FROM dj WHERE dj.dt_id = dt.id AND jk < b + a));'),
  ('concat_power_log', 'DECLARE c char(4) := ''x''; DECLARE s text; DECLARE r text := ''r'';',
   'IF b = 0 THEN s := NULL; ELSE s := ''-'' || b; END IF; SELECT concat(r, count(*), concat_ws(s, min(label), max(tag), jk > b)) INTO r FROM dt JOIN dj ON dj.dt_id = dt.id WHERE dt.id < 9 GROUP BY jk > b ORDER BY 1 LIMIT 1; RETURN concat(''a'', a > 0, NULL, a::numeric / 4, c, a::float8 / 3, date ''2024-01-01'' + (a % 1000), interval ''1 hour'' * (a % 1000), ''\x01ff''::bytea) || ''|'' || coalesce(concat_ws(s, ''p'', NULL, a, b > 1, c, NULL), ''<null>'') || ''|'' || concat(NULL) || concat_ws('','', NULL) || ''|'' || r || ''|'' || (2 ^ 3 ^ 2) || '' '' || (-2 ^ 2) || '' '' || (2.0 ^ (b % 40)) || '' '' || (abs(a) ^ 0.5) || '' '' || 2 * 3 ^ 2 || '' '' || (b::float8 ^ -1) || '' '' || round(1.5 ^ (a % 50), 6) || ''|'' || log(abs(a % 1000) + 1) || '' '' || log(b + 1.5) || '' '' || log(2.0, abs(a) + 64.0) || '' '' || log10(abs(b) + 1000) || '' '' || log10(100.0 + a) || '' '' || log(10::float8 * b);'),
  ('insert_update_defaults', 'DECLARE r text := ''''; DECLARE i int; DECLARE x int; DECLARE y text; DECLARE z int;',
   'DELETE FROM dd; INSERT INTO dd VALUES (a, DEFAULT, DEFAULT, DEFAULT), (a + 1, b, DEFAULT, DEFAULT); INSERT INTO dd (w, id) VALUES (DEFAULT, a - 1); UPDATE dd SET v = DEFAULT, w = ''u'' || b, g = DEFAULT WHERE id = a + 1 AND b > 1; IF b = 7 THEN INSERT INTO dd DEFAULT VALUES; END IF; FOR i, x, y, z IN SELECT id, v, w, g FROM dd ORDER BY id LOOP r := r || i || '':'' || coalesce(x::text, ''-'') || '':'' || y || '':'' || coalesce(z::text, ''-'') || '' ''; END LOOP; DELETE FROM dd; RETURN r;'),
  ('bool_aggregates', 'DECLARE s text := '''';  DECLARE k int; DECLARE p bool; DECLARE q bool; DECLARE e bool;',
   'FOR k, p, q, e IN SELECT w % 3, bool_and(jk > b), bool_or(tag = ''tag1''), every(dt_id < a) FROM dj WHERE jk < 30 GROUP BY w % 3 ORDER BY 1 LOOP s := s || k || '':'' || coalesce(p::text, ''-'') || coalesce(q::text, ''-'') || coalesce(e::text, ''-'') || '' ''; END LOOP; SELECT bool_and(v > b), bool_or(v = a), every(NULL) INTO p, q, e FROM dt WHERE id <= b; RETURN s || coalesce(p::text, ''-'') || coalesce(q::text, ''-'') || coalesce(e::text, ''-'') || coalesce((SELECT count(*) FROM dj WHERE jk < 5 GROUP BY w > 2 HAVING bool_or(jk = b) ORDER BY 1 LIMIT 1)::text, ''none'');'),
  ('exception_blocks', 'DECLARE s text := ''''; DECLARE k int := 0; DECLARE c bigint;',
   'FOR i IN 1..4 LOOP BEGIN k := k + 1; INSERT INTO ds VALUES (i % 3, i * b); s := s || ''i'' || i; IF i = 4 AND a > 5 THEN EXIT; END IF; BEGIN PERFORM 100 / (a - i); s := s || ''/'' || (100 / (a - i)); EXCEPTION WHEN division_by_zero THEN s := s || ''[z'' || k || '']''; IF b > 5 THEN RAISE; END IF; END; EXCEPTION WHEN integrity_constraint_violation THEN s := s || ''{c'' || SQLSTATE || ''}''; WHEN OTHERS THEN s := s || ''{o'' || SQLSTATE || k || '' '' || SQLERRM || ''}''; END; END LOOP; SELECT count(*) INTO c FROM ds; DELETE FROM ds; RETURN s || '' k='' || k || '' c='' || c;'),
  ('exception_returns', 'DECLARE x int;',
   'BEGIN x := a * b; IF x > 100 THEN RAISE EXCEPTION ''big %'', x USING ERRCODE = ''P0099''; END IF; IF x < 0 THEN RETURN ''neg '' || x; END IF; INSERT INTO ds VALUES (1, x); x := 10 / (x - 7); DELETE FROM ds; RETURN ''ok '' || x; EXCEPTION WHEN SQLSTATE ''P0099'' THEN RETURN ''caught '' || SQLERRM || '' '' || x; WHEN numeric_value_out_of_range THEN RETURN ''range '' || coalesce(x, -1) || (SELECT count(*) FROM ds); WHEN division_by_zero THEN RETURN ''zero '' || x || '' '' || (SELECT count(*) FROM ds); END;'),
  ('exception_cursors', 'DECLARE s text := ''''; DECLARE k int; DECLARE l text; DECLARE c bigint;',
   'BEGIN FOR k, l IN SELECT id, label FROM dt WHERE id <= 10 ORDER BY v LOOP s := s || k || '',''; IF k = abs(a % 11) THEN EXIT; END IF; IF k = abs(b % 11) THEN s := s || (1 / (k - k)); END IF; END LOOP; s := s || ''done''; EXCEPTION WHEN division_by_zero THEN s := s || ''zero''; END; SELECT count(*) INTO c FROM dt WHERE id <= 10; RETURN s || '' '' || c;'),
  ('exception_diagnostics', 'DECLARE st text; DECLARE m text; DECLARE d text; DECLARE h text; DECLARE cn text; DECLARE tn text; DECLARE sn text; DECLARE col text; DECLARE typ text; DECLARE s text := '''';',
   'FOR i IN 1..3 LOOP BEGIN INSERT INTO ds VALUES (a % 4 + i % 2, b); s := s || (100 / (b - i)); s := s || (a * b * i); EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT, cn = CONSTRAINT_NAME, tn = TABLE_NAME, sn = SCHEMA_NAME, col = COLUMN_NAME, typ = PG_DATATYPE_NAME; s := s || ''{'' || concat_ws(''|'', st, m, d, h, cn, tn, sn, col, typ) || ''}''; END; END LOOP; DELETE FROM ds; RETURN s;'),
  ('block_labels', 'DECLARE r int := 0; DECLARE s text := '''';',
   '<<whole>> BEGIN FOR i IN 1..5 LOOP <<step>> BEGIN r := r + i * coalesce(b, 1); EXIT step WHEN i % 2 = 0; s := s || i || '',''; EXIT whole WHEN r > a; END step; END LOOP; s := s || ''full''; END whole; <<h>> BEGIN s := s || '' h''; EXIT h WHEN a < 0; s := s || (10 / (a - 7)); EXCEPTION WHEN division_by_zero THEN s := s || '' z''; EXIT h WHEN b > 5; s := s || '' zz''; END h; RETURN s || '' r='' || r || '' found='' || FOUND;'),
  ('string_agg', 'DECLARE s text := ''''; DECLARE k int; DECLARE t text; DECLARE n int;',
   'FOR k, t IN SELECT w % 3, string_agg(DISTINCT tag, '','') FROM dj WHERE jk < a + 10 GROUP BY w % 3 HAVING string_agg(tag, '''') IS NOT NULL ORDER BY 1 LOOP s := s || k || ''='' || t || '' ''; END LOOP; SELECT length(string_agg(label, ''--'')), string_agg(DISTINCT label, ''/''), count(*) INTO n, t, k FROM dt WHERE id <= b; s := s || coalesce(n::text, ''null'') || '' '' || coalesce(t, ''null'') || '' '' || k; SELECT string_agg(label || v, CASE WHEN v > a THEN ''+'' END) INTO t FROM dt WHERE id = abs(a % 10); RETURN s || '' '' || coalesce(t, ''null'') || '' '' || coalesce((SELECT string_agg(DISTINCT tag, '';'') FROM dj WHERE dt_id = b), ''none'');'),
  ('distinct_on', 'DECLARE s text := ''''; DECLARE k int; DECLARE t text; DECLARE n bigint;',
   'FOR k, t IN SELECT DISTINCT ON (w % 3) w % 3, tag FROM dj WHERE jk > a ORDER BY w % 3, tag DESC NULLS LAST, jk LOOP s := s || k || ''='' || coalesce(t, ''-'') || '' ''; END LOOP; FOR k IN SELECT DISTINCT ON (tag, w > 4) jk FROM dj WHERE jk < 20 ORDER BY tag, w > 4, jk DESC LIMIT b OFFSET 1 LOOP s := s || k || '',''; END LOOP; SELECT DISTINCT ON (label) id INTO k FROM dt WHERE v = b ORDER BY label DESC, id; RETURN s || '' '' || coalesce(k, -1) || '' '' || coalesce((SELECT DISTINCT ON (v % 2) id FROM dt WHERE id > b ORDER BY v % 2, v, id LIMIT 1), -1);'),
  ('from_subquery', 'DECLARE s text := ''''; DECLARE k int; DECLARE t text; DECLARE n bigint;',
   'FOR k, n IN SELECT g.w3, g.c FROM (SELECT w % 3 AS w3, count(*) AS c FROM dj WHERE jk <= a + 20 GROUP BY w % 3) g ORDER BY g.w3 LOOP s := s || k || ''='' || n || '' ''; END LOOP; SELECT count(*) INTO n FROM dt LEFT JOIN (SELECT dt_id, max(tag) AS mt FROM dj WHERE w > b GROUP BY dt_id) m ON m.dt_id = dt.id WHERE m.mt IS NULL; s := s || n || '' ''; SELECT string_agg(x.label, '','') INTO t FROM (SELECT label, v FROM dt WHERE v < b ORDER BY v DESC, id LIMIT 3) x; s := s || coalesce(t, ''-'') || '' ''; SELECT count(*) INTO n FROM dt WHERE EXISTS (SELECT 1 FROM (SELECT jk FROM dj WHERE dj.dt_id = dt.id AND dj.w > a % 9) q); s := s || n || '' ''; SELECT sum(q.r) INTO n FROM (SELECT 100 / (v - b) AS r FROM dt WHERE id <= 10) q; RETURN s || coalesce(n::text, ''null'');'),
  ('from_subquery_nested', 'DECLARE s text := ''''; DECLARE n bigint; DECLARE k int;',
   'SELECT max(b2.m), count(*) INTO k, n FROM (SELECT a1.x + a AS m FROM (SELECT id AS x FROM dt WHERE id % 3 = b % 3) a1) b2 (m); s := coalesce(k::text, ''null'') || ''/'' || n; SELECT count(*) INTO n FROM dj, (SELECT id FROM dt WHERE id < a) d WHERE d.id = dj.dt_id; s := s || '' '' || n; n := (SELECT count(*) FROM (SELECT DISTINCT tag FROM dj WHERE jk > b) d); RETURN s || '' '' || n || '' '' || coalesce((SELECT d.label FROM (SELECT label FROM dt WHERE id = a) d), ''none'');'),
  ('aggregate_order', 'DECLARE s text := ''''; DECLARE k int; DECLARE t text; DECLARE n bigint;',
   'FOR k, t IN SELECT w % 3, string_agg(coalesce(tag, ''~'') || jk, '','' ORDER BY jk DESC) FROM dj WHERE jk < a + 10 GROUP BY w % 3 ORDER BY 1 LOOP s := s || k || ''='' || t || '' ''; END LOOP; SELECT string_agg(label, ''/'' ORDER BY v DESC NULLS LAST), max(v ORDER BY id) INTO t, n FROM dt WHERE id <= b; s := s || coalesce(t, ''null'') || '' '' || coalesce(n::text, ''null''); SELECT string_agg(DISTINCT tag, '';'' ORDER BY tag DESC), count(DISTINCT tag) INTO t, n FROM dj WHERE jk > a; s := s || '' '' || coalesce(t, ''null'') || n; SELECT sum((v * 0.1)::float8 ORDER BY v DESC)::text || ''|'' || avg(v::float4 ORDER BY v DESC)::text INTO t FROM dt WHERE id <= b; RETURN s || '' '' || coalesce(t, ''null'') || '' '' || coalesce((SELECT string_agg(tag, '''' ORDER BY jk) FROM dj WHERE dt_id = b), ''none'');'),
  ('from_subquery_star', 'DECLARE s text := ''''; DECLARE n bigint; DECLARE t text;',
   'SELECT count(*), max(q.label) INTO n, t FROM (SELECT * FROM dt WHERE v > a) q; s := n || '' '' || coalesce(t, ''null''); SELECT string_agg(x.jk || x.label, '','' ORDER BY x.jk) INTO t FROM (SELECT * FROM dj JOIN dt ON dt.id = dj.dt_id WHERE dj.w = b % 9) x; RETURN s || '' '' || coalesce(t, ''null'') || '' '' || (SELECT count(*) FROM (SELECT DISTINCT * FROM (SELECT w, tag FROM dj WHERE jk > a) i) o (ww));'),
  ('from_subquery_pulled_up', 'DECLARE s text := ''''; DECLARE n bigint; DECLARE m bigint; DECLARE t text;',
   'SELECT count(*), coalesce(sum(d.k), 0) INTO n, m FROM dj, (SELECT id AS k, v AS vv, label FROM dt WHERE v > a % 31) d WHERE d.k = dj.dt_id AND dj.w <> b % 9; s := n || ''/'' || m; SELECT count(*) INTO n FROM (SELECT jk, tag FROM dj WHERE tag IS NOT NULL) x LEFT JOIN dt ON dt.id = x.jk WHERE EXISTS (SELECT 1 FROM dj y WHERE y.jk = x.jk + b); s := s || '' '' || n; SELECT string_agg(d.label, '','' ORDER BY d.label) INTO t FROM (SELECT label, id, id AS again FROM dt WHERE id BETWEEN a AND a + 3) d WHERE d.again = d.id AND (SELECT count(*) FROM dj WHERE dj.dt_id = d.id) >= 0; RETURN s || '' '' || coalesce(t, ''null'') || '' '' || (SELECT count(*) FROM dt WHERE EXISTS (SELECT 1 FROM (SELECT dt_id FROM dj WHERE w = b % 9) z WHERE z.dt_id = dt.id));'),
  ('from_subquery_expression_outputs', 'DECLARE s text := ''''; DECLARE n bigint; DECLARE m bigint; DECLARE t text;',
   'SELECT count(*), coalesce(sum(d.w), 0) INTO n, m FROM dj, (SELECT id AS k, v * 2 + a AS w, upper(label) AS ul FROM dt WHERE v > a % 31) d WHERE d.k = dj.dt_id AND d.w > b AND d.ul IS NOT NULL; s := n || ''/'' || m; SELECT string_agg(x.tag2, '','' ORDER BY x.tag2) INTO t FROM (SELECT jk, coalesce(tag, ''-'') || jk AS tag2, CASE WHEN w > 4 THEN w ELSE NULL END AS big FROM dj) x WHERE x.big IS NULL AND x.jk <= a + 20; s := s || '' '' || coalesce(t, ''null''); SELECT count(*) INTO n FROM (SELECT id, 1 / (v - v) AS never_read FROM dt) z, dj WHERE dj.dt_id = z.id; s := s || '' '' || n; FOR t IN SELECT g.band || '':'' || count(*) FROM (SELECT id, v / 10 AS band FROM dt WHERE id <= b + 30) g GROUP BY g.band ORDER BY g.band DESC LOOP s := s || '' '' || t; END LOOP; RETURN s || '' '' || (SELECT count(*) FROM dt WHERE EXISTS (SELECT 1 FROM (SELECT dt_id, w + 1 AS w1 FROM dj) q WHERE q.dt_id = dt.id AND q.w1 > dt.v % 5));'),
  ('from_subquery_join_pulled_up', 'DECLARE s text := ''''; DECLARE n bigint; DECLARE m bigint; DECLARE t text;',
   'SELECT count(*), coalesce(sum(d.w), 0) INTO n, m FROM dt s, (SELECT x.id AS k, y.w + x.v AS w, x.label FROM dt x, dj y WHERE y.dt_id = x.id AND y.w <> a % 7) d, dt z WHERE d.k = s.v % 40 AND z.id = d.w % 30 AND EXISTS (SELECT 1 FROM dj q WHERE q.dt_id = z.id); s := n || ''/'' || m; SELECT string_agg(d.label || ''~'' || coalesce(e.tag, ''none''), '','' ORDER BY d.label, e.tag) INTO t FROM (SELECT * FROM dt x, dk WHERE x.id <= b + 3) d LEFT JOIN dj e ON e.dt_id = d.id AND e.w > 3; s := s || '' '' || coalesce(t, ''null''); FOR t IN SELECT d.g || '':'' || count(*) || '':'' || max(d.w) FROM (SELECT x.v % 4 AS g, y.w FROM dt x, dj y WHERE y.dt_id = x.id) d GROUP BY d.g ORDER BY d.g LOOP s := s || '' '' || t; END LOOP; RETURN s;');

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
DROP TABLE dt, dj, ds, dd CASCADE;
DROP FUNCTION outcome(text);
