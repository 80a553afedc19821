-- COPY into and out of memopt tables.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE TABLE copy_t (id int, name text, amount numeric, tags text[], note text) USING memopt;

-- COPY FROM STDIN, text format, with NULLs and escapes
COPY copy_t FROM STDIN;
1	one	1.5	{a,b}	\N
2	two	\N	{}	tab\there
3	\N	3.25	\N	back\\slash
4	four	-4	{"x y"}	newline\nin value
\.
-- csv format, with a header, quoting and a custom NULL
COPY copy_t FROM STDIN WITH (FORMAT csv, HEADER true, NULL 'NULL');
id,name,amount,tags,note
5,five,5.5,"{c,d}","quoted, with comma"
6,"six ""quoted""",NULL,NULL,
7,seven,7,{},NULL
\.
-- a column list; the other columns get NULL
COPY copy_t (note, id) FROM STDIN WITH (FORMAT csv);
only note,8
\.
SELECT * FROM copy_t ORDER BY id;

-- COPY TO STDOUT, in both formats, with a column list and from a query
COPY copy_t TO STDOUT;
COPY copy_t (id, note) TO STDOUT WITH (FORMAT csv, HEADER true);
COPY (SELECT id, name FROM copy_t WHERE id > 5 ORDER BY id) TO STDOUT WITH (FORMAT csv);
COPY copy_t TO STDOUT WITH (FORMAT binary) \g /dev/null

-- many rows: COPY batches rows (multi-insert) and the batches are crossed
CREATE TABLE copy_src (id int, name text, amount numeric, tags text[], note text);
INSERT INTO copy_src
SELECT g, 'name ' || g, g / 3.0, ARRAY[g::text, (g * 2)::text],
       CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('n', g % 50) END
FROM generate_series(1, 2500) g;
CREATE TABLE copy_big (LIKE copy_t) USING memopt;
-- psql's \copy with a file written by \copy (both run on the client)
\copy copy_src TO '/tmp/memopt_copy_test.dat'
\copy copy_big FROM '/tmp/memopt_copy_test.dat'
SELECT count(*), count(note), sum(id) FROM copy_big;
SELECT count(*) AS differences FROM (
  (SELECT * FROM copy_src EXCEPT ALL SELECT * FROM copy_big)
  UNION ALL
  (SELECT * FROM copy_big EXCEPT ALL SELECT * FROM copy_src)) d;
-- csv round trip of the same rows
TRUNCATE copy_big;
\copy copy_src TO '/tmp/memopt_copy_test.csv' WITH (FORMAT csv)
\copy copy_big FROM '/tmp/memopt_copy_test.csv' WITH (FORMAT csv)
SELECT count(*) AS differences FROM (
  (SELECT * FROM copy_src EXCEPT ALL SELECT * FROM copy_big)
  UNION ALL
  (SELECT * FROM copy_big EXCEPT ALL SELECT * FROM copy_src)) d;
-- binary round trip
TRUNCATE copy_big;
\copy copy_src TO '/tmp/memopt_copy_test.bin' WITH (FORMAT binary)
\copy copy_big FROM '/tmp/memopt_copy_test.bin' WITH (FORMAT binary)
SELECT count(*) AS differences FROM (
  (SELECT * FROM copy_src EXCEPT ALL SELECT * FROM copy_big)
  UNION ALL
  (SELECT * FROM copy_big EXCEPT ALL SELECT * FROM copy_src)) d;
-- the COPY TO output of the memopt table equals that of the heap table
CREATE TEMP TABLE copy_out_mem (line text);
CREATE TEMP TABLE copy_out_heap (line text);
\copy (SELECT * FROM copy_big ORDER BY id) TO '/tmp/memopt_copy_mem.dat'
\copy (SELECT * FROM copy_src ORDER BY id) TO '/tmp/memopt_copy_heap.dat'
\copy copy_out_mem FROM '/tmp/memopt_copy_mem.dat' WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
\copy copy_out_heap FROM '/tmp/memopt_copy_heap.dat' WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
SELECT count(*) AS lines,
       (SELECT count(*) FROM (SELECT line FROM copy_out_mem EXCEPT ALL SELECT line FROM copy_out_heap) d) AS differences
FROM copy_out_mem;
-- COPY inside a transaction that rolls back leaves nothing
BEGIN;
\copy copy_big FROM '/tmp/memopt_copy_test.dat'
SELECT count(*) FROM copy_big;
ROLLBACK;
SELECT count(*) FROM copy_big;
-- COPY in a savepoint that rolls back
BEGIN;
SAVEPOINT s;
\copy copy_big FROM '/tmp/memopt_copy_test.dat'
ROLLBACK TO SAVEPOINT s;
COPY copy_big (id) FROM STDIN;
9999
\.
COMMIT;
SELECT count(*), max(id) FROM copy_big;

-- COPY errors: bad data raises an error and the table is unchanged
SELECT count(*) AS before FROM copy_t;
COPY copy_t FROM STDIN;
100	ok	1	{}	fine
101	bad	not a number	{}	x
\.
COPY copy_t FROM STDIN WITH (FORMAT csv);
102,ok,1,{},x
103,missing columns
\.
COPY copy_t (id) FROM STDIN;
104
abc
\.
-- an error after more than one batch of rows has gone in
CREATE TABLE copy_chk (n int CHECK (n < 2000)) USING memopt;
\copy copy_chk FROM PROGRAM 'seq 1 2500'
SELECT count(*) FROM copy_chk;
SELECT count(*) AS after FROM copy_t;
SELECT * FROM copy_t WHERE id >= 100;

DROP TABLE copy_t, copy_src, copy_big, copy_chk;
\! rm -f /tmp/memopt_copy_test.dat /tmp/memopt_copy_test.csv /tmp/memopt_copy_test.bin /tmp/memopt_copy_mem.dat /tmp/memopt_copy_heap.dat
