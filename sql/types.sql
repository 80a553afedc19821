-- Values of every built-in type family round-trip through a memopt table
-- unchanged (compared with the same rows in a heap table), including NULLs,
-- large values, and values that came from another table's TOAST.
SET client_min_messages = warning;  -- quiet if the extension already exists
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;

CREATE TYPE types_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE types_pair AS (a int, b text);
CREATE DOMAIN types_posint AS int CHECK (VALUE > 0);

CREATE TABLE types_heap (
  id int, c_int2 int2, c_int4 int4, c_int8 int8, c_numeric numeric, c_num_scale numeric(12,3),
  c_float4 float4, c_float8 float8, c_bool bool, c_text text, c_varchar varchar(10),
  c_char char(5), c_bytea bytea, c_date date, c_time time, c_timetz timetz,
  c_timestamp timestamp, c_timestamptz timestamptz, c_interval interval, c_uuid uuid,
  c_json json, c_jsonb jsonb, c_xml xml, c_inet inet, c_cidr cidr, c_macaddr macaddr,
  c_macaddr8 macaddr8, c_point point, c_box box, c_polygon polygon, c_circle circle,
  c_lseg lseg, c_path path, c_tsvector tsvector, c_tsquery tsquery,
  c_int_arr int[], c_text_arr text[], c_2d_arr float8[][],
  c_int4range int4range, c_tstzrange tstzrange, c_numrange numrange, c_datemultirange datemultirange,
  c_enum types_mood, c_composite types_pair, c_domain types_posint, c_money money,
  c_bit bit(8), c_varbit varbit(20), c_oid oid, c_regclass regclass, c_name name, c_char1 "char",
  c_pg_lsn pg_lsn, c_txid_snapshot pg_snapshot);
CREATE TABLE types_mem (LIKE types_heap) USING memopt;

INSERT INTO types_heap VALUES
(1, 32767, 2147483647, 9223372036854775807, 12345678901234567890.123456789, 123456789.123,
 3.14159, 2.718281828459045, true, 'hello, world', 'varchar', 'ab',
 '\xdeadbeef00ff', '2024-02-29', '23:59:59.999999', '12:00:00+05:30',
 '2000-01-01 00:00:00', '2024-06-01 12:34:56.789+02', '1 year 2 mons 3 days 04:05:06.7',
 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
 '{"a": [1, 2, {"b": null}], "c":  "spaces kept"}', '{"a": [1, 2, {"b": null}], "c": "x"}',
 '<doc><item n="1">text &amp; more</item></doc>', '192.168.1.10/24', '10.0.0.0/8',
 '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '(1.5,-2.5)', '((0,0),(3,4))',
 '((0,0),(4,0),(4,4),(0,4))', '<(1,1),5>', '[(0,0),(1,1)]', '[(0,0),(1,1),(2,0)]',
 to_tsvector('simple', 'the quick brown fox jumps'), to_tsquery('simple', 'quick & fox'),
 '{1,2,3,NULL,5}', '{"a","b c",NULL,"d\"e"}', '{{1.5,2.5},{3.5,4.5}}',
 '[1,10)', '[2024-01-01 00:00+00,2024-12-31 00:00+00)', '(1.5,2.5]', '{[2024-01-01,2024-01-05),[2024-02-01,2024-03-01)}',
 'happy', ROW(42, 'forty-two'), 7, '1234.56', B'10101010', B'110011', 12345, 'pg_class', 'a name', 'x',
 '16/B374D848', '10:20:10,14,15'),
(2, -32768, -2147483648, -9223372036854775808, -0.000000000000000001, -0.5,
 '-Infinity', 'NaN', false, '', '', '', '\x', 'infinity', '00:00:00', '00:00:00-12',
 '-infinity', 'infinity', '-178000000 years', '00000000-0000-0000-0000-000000000000',
 '[]', '{}', '<a/>', '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00',
 '(0,0)', '((0,0),(0,0))', '((1,2))', '<(0,0),0>', '[(1,1),(1,1)]', '((0,0),(1,1))',
 '', '', '{}', '{}', '{}', 'empty', '(,)', 'empty', '{}',
 'sad', ROW(NULL, NULL), 1, '-0.01', B'00000000', B'', 0, 'pg_type', '', E'\\001',
 '0/0', '10:10:'),
(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(4, 0, 0, 0, 'NaN', 0, 1e-38, 1e308, NULL, repeat('é', 300), 'ünïcødé', 'z',
 decode(repeat('00ff', 500), 'hex'), '4713-01-01 BC', '12:34', '23:59:59+14',
 '1999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', '-1 day +01:00', gen_random_uuid(),
 'null', '"a string"', NULL, '0.0.0.0/0', '0.0.0.0/0', NULL, NULL, '(-1e10,1e10)', NULL,
 NULL, '<(1e-5,2),3>', NULL, NULL, 'a:1A b:2B c', '!a | b', ARRAY[]::int[], ARRAY[repeat('x', 3000)],
 NULL, '[-5,5]', NULL, '[0,0]', NULL, 'ok', ROW(-1, repeat('y', 2500)), 2147483647, '0', NULL,
 B'1', 4294967295, NULL, repeat('n', 63), NULL, 'FFFFFFFF/FFFFFFFF', NULL);

INSERT INTO types_mem SELECT * FROM types_heap;
SELECT count(*) FROM types_mem;

-- every column, compared as text (works for types without equality, e.g.
-- point, json, xml), both directions
SELECT count(*) AS heap_minus_mem
FROM (SELECT h::text FROM types_heap h EXCEPT SELECT m::text FROM types_mem m) d;
SELECT count(*) AS mem_minus_heap
FROM (SELECT m::text FROM types_mem m EXCEPT SELECT h::text FROM types_heap h) d;
-- and with the types' own equality where they have one
SELECT count(*) AS heap_minus_mem FROM (
  SELECT id, c_int2, c_int4, c_int8, c_numeric, c_num_scale, c_float4, c_float8, c_bool,
         c_text, c_varchar, c_char, c_bytea, c_date, c_time, c_timetz, c_timestamp,
         c_timestamptz, c_interval, c_uuid, c_jsonb, c_inet, c_cidr, c_macaddr, c_macaddr8,
         c_tsvector, c_tsquery, c_int_arr, c_text_arr, c_2d_arr, c_int4range, c_tstzrange,
         c_numrange, c_datemultirange, c_enum, c_composite, c_domain, c_money, c_bit, c_varbit,
         c_oid, c_regclass, c_name, c_char1, c_pg_lsn
  FROM types_heap
  EXCEPT
  SELECT id, c_int2, c_int4, c_int8, c_numeric, c_num_scale, c_float4, c_float8, c_bool,
         c_text, c_varchar, c_char, c_bytea, c_date, c_time, c_timetz, c_timestamp,
         c_timestamptz, c_interval, c_uuid, c_jsonb, c_inet, c_cidr, c_macaddr, c_macaddr8,
         c_tsvector, c_tsquery, c_int_arr, c_text_arr, c_2d_arr, c_int4range, c_tstzrange,
         c_numrange, c_datemultirange, c_enum, c_composite, c_domain, c_money, c_bit, c_varbit,
         c_oid, c_regclass, c_name, c_char1, c_pg_lsn
  FROM types_mem) d;
SELECT count(*) AS mem_minus_heap FROM (
  SELECT id, c_int2, c_int4, c_int8, c_numeric, c_num_scale, c_float4, c_float8, c_bool,
         c_text, c_varchar, c_char, c_bytea, c_date, c_time, c_timetz, c_timestamp,
         c_timestamptz, c_interval, c_uuid, c_jsonb, c_inet, c_cidr, c_macaddr, c_macaddr8,
         c_tsvector, c_tsquery, c_int_arr, c_text_arr, c_2d_arr, c_int4range, c_tstzrange,
         c_numrange, c_datemultirange, c_enum, c_composite, c_domain, c_money, c_bit, c_varbit,
         c_oid, c_regclass, c_name, c_char1, c_pg_lsn
  FROM types_mem
  EXCEPT
  SELECT id, c_int2, c_int4, c_int8, c_numeric, c_num_scale, c_float4, c_float8, c_bool,
         c_text, c_varchar, c_char, c_bytea, c_date, c_time, c_timetz, c_timestamp,
         c_timestamptz, c_interval, c_uuid, c_jsonb, c_inet, c_cidr, c_macaddr, c_macaddr8,
         c_tsvector, c_tsquery, c_int_arr, c_text_arr, c_2d_arr, c_int4range, c_tstzrange,
         c_numrange, c_datemultirange, c_enum, c_composite, c_domain, c_money, c_bit, c_varbit,
         c_oid, c_regclass, c_name, c_char1, c_pg_lsn
  FROM types_heap) d;
-- NULLs stay NULL (row 3 is all NULL but its id)
SELECT id,
       (SELECT count(*) FROM json_each_text(row_to_json(m)) j WHERE j.value IS NULL) AS null_columns,
       (SELECT array_agg(j.key ORDER BY j.key) FROM json_each_text(row_to_json(m)) j WHERE j.value IS NULL)
       IS NOT DISTINCT FROM (SELECT array_agg(j.key ORDER BY j.key) FROM types_heap h, json_each_text(row_to_json(h)) j
          WHERE h.id = m.id AND j.value IS NULL) AS same_nulls_as_heap
FROM types_mem m ORDER BY id;
-- a few values shown, with types that have no equality operator
SELECT id, c_point, c_box, c_circle, c_polygon, c_json, c_xml FROM types_mem ORDER BY id;
SELECT id, c_float4, c_float8, c_numeric, c_interval, (c_composite).a, c_domain, c_money, c_bit, c_varbit
FROM types_mem ORDER BY id;
SELECT id, length(c_text), length(c_bytea), c_text_arr[1] = repeat('x', 3000) AS long_array_elem,
       (c_composite).b = repeat('y', 2500) AS long_composite_field
FROM types_mem WHERE id = 4;
-- values are usable in expressions and operators
SELECT c_jsonb -> 'a' -> 2, c_json::jsonb ? 'c', c_tsvector @@ c_tsquery, c_int4range @> 5,
       c_inet << '192.168.0.0/16'::inet, c_point <-> point '(0,0)', c_xml IS DOCUMENT
FROM types_mem WHERE id = 1;
-- updates keep the other columns intact
UPDATE types_mem SET c_bool = NOT c_bool, c_text = c_text || '+';
UPDATE types_heap SET c_bool = NOT c_bool, c_text = c_text || '+';
SELECT count(*) AS differences FROM (
  (SELECT h::text FROM types_heap h EXCEPT SELECT m::text FROM types_mem m)
  UNION ALL
  (SELECT m::text FROM types_mem m EXCEPT SELECT h::text FROM types_heap h)) d;
-- the domain's check applies on a memopt table too
INSERT INTO types_mem (id, c_domain) VALUES (5, 0);
\echo :LAST_ERROR_SQLSTATE
-- varchar(n) and char(n) lengths are enforced
INSERT INTO types_mem (id, c_varchar) VALUES (5, 'much too long for ten');
\echo :LAST_ERROR_SQLSTATE

-- large values: a 5 MB text, a 3 MB bytea, a row with several 1 MB values
CREATE TABLE types_big_heap (id int, t text, b bytea, t2 text, t3 text, j jsonb);
CREATE TABLE types_big_mem (LIKE types_big_heap) USING memopt;
INSERT INTO types_big_heap
SELECT 1, string_agg(md5(g::text), ''), NULL, NULL, NULL, NULL
FROM generate_series(1, 163840) g;                       -- 5 MB of text
INSERT INTO types_big_heap
SELECT 2, NULL, decode(string_agg(md5(g::text), ''), 'hex'), NULL, NULL, NULL
FROM generate_series(1, 196608) g;                       -- 3 MB of bytea
INSERT INTO types_big_heap
SELECT 3, string_agg(md5(g::text), ''), decode(string_agg(md5((g + 1)::text) || md5((g + 5)::text), ''), 'hex'),
       string_agg(md5((g + 2)::text), ''), repeat('compressible ', 80660),
       jsonb_build_object('k', string_agg(md5((g + 3)::text), ''))
FROM generate_series(1, 32768) g;                        -- several 1 MB values
INSERT INTO types_big_mem SELECT * FROM types_big_heap;
SELECT id, length(t), length(b), length(t2), length(t3), length(j::text) FROM types_big_mem ORDER BY id;
SELECT count(*) AS identical_rows FROM types_big_mem m JOIN types_big_heap h
  ON h.id = m.id
 AND md5(coalesce(h.t, '-')) = md5(coalesce(m.t, '-'))
 AND md5(coalesce(h.b, '\x00')) = md5(coalesce(m.b, '\x00'))
 AND md5(coalesce(h.t2, '-')) = md5(coalesce(m.t2, '-'))
 AND md5(coalesce(h.t3, '-')) = md5(coalesce(m.t3, '-'))
 AND coalesce(h.j, '{}') = coalesce(m.j, '{}');
SELECT count(*) AS differences FROM (
  (SELECT * FROM types_big_heap EXCEPT SELECT * FROM types_big_mem)
  UNION ALL
  (SELECT * FROM types_big_mem EXCEPT SELECT * FROM types_big_heap)) d;
-- a large value inserted directly, then updated in another column
INSERT INTO types_big_mem VALUES (4, repeat('abc', 1000000), NULL, NULL, NULL, NULL);
UPDATE types_big_mem SET b = '\x01' WHERE id = 4;
SELECT length(t), md5(t) = md5(repeat('abc', 1000000)) AS same, b FROM types_big_mem WHERE id = 4;
-- substrings of large values
SELECT substr(t, 1000001, 32) = md5('31251') AS substr_ok FROM types_big_mem WHERE id = 1;

-- values from a heap table's TOAST are stored self-contained: still readable
-- after the heap table is gone
CREATE TABLE types_toast_src (id int, t text, b bytea);
ALTER TABLE types_toast_src ALTER COLUMN t SET STORAGE EXTERNAL;
INSERT INTO types_toast_src
SELECT i, string_agg(md5((g * i)::text), ''), decode(string_agg(md5((g + i)::text), ''), 'hex')
FROM generate_series(1, 5) i, generate_series(1, 10000) g GROUP BY i;
SELECT count(*) > 0 AS source_uses_toast
FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relname = 'types_toast_src' AND pg_relation_size(t.oid) > 0;
CREATE TABLE types_toast_copy (id int, t text, b bytea) USING memopt;
INSERT INTO types_toast_copy SELECT * FROM types_toast_src;
CREATE TEMP TABLE types_toast_md5 AS
SELECT id, md5(t) AS mt, md5(b) AS mb, length(t) AS lt, length(b) AS lb FROM types_toast_src;
DROP TABLE types_toast_src;
SELECT c.id, c.lt, c.lb, md5(m.t) = c.mt AS text_ok, md5(m.b) = c.mb AS bytea_ok
FROM types_toast_copy m JOIN types_toast_md5 c USING (id) ORDER BY id;
-- the same through CREATE TABLE AS and UPDATE ... FROM
CREATE TABLE types_toast_src2 (id int, t text);
INSERT INTO types_toast_src2 SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 20000) g;
CREATE TABLE types_toast_ctas USING memopt AS SELECT * FROM types_toast_src2;
UPDATE types_toast_copy m SET t = s.t FROM types_toast_src2 s WHERE m.id = s.id;
SELECT md5(t) AS src_md5 FROM types_toast_src2 \gset
DROP TABLE types_toast_src2;
SELECT md5(t) = :'src_md5' AS ctas_ok FROM types_toast_ctas;
SELECT md5(t) = :'src_md5' AS update_ok FROM types_toast_copy WHERE id = 1;

DROP TABLE types_heap, types_mem, types_big_heap, types_big_mem, types_toast_copy,
  types_toast_ctas, types_toast_md5;
DROP TYPE types_mood, types_pair;
DROP DOMAIN types_posint;
