-- Rows written into reused arena memory read back exactly. Reused blocks
-- hold old bytes; a row whose alignment padding is not zeroed misreads
-- (a nonzero pad byte looks like a short varlena header).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;

CREATE TABLE reuse_src (a int2, b text, c int2, d int8, e text, f numeric, g int4[]);
INSERT INTO reuse_src
SELECT g % 100, repeat(chr(65 + g % 26), 130 + g % 50), g % 7, g::int8 * 1000003,
       md5(g::text), g / 7.0, ARRAY[g, g + 1, g + 2]
FROM generate_series(1, 3000) g;

-- Fill memory with other rows, then free it: drop, and reclaim through VACUUM.
CREATE TABLE reuse_fill (x int8, y text, z int2) USING memopt;
INSERT INTO reuse_fill SELECT g::int8 * 7919, repeat('~', g % 300), g % 300 FROM generate_series(1, 6000) g;
UPDATE reuse_fill SET y = y || '!';
DROP TABLE reuse_fill;
CREATE TABLE reuse_vacuum (x int) USING memopt;
VACUUM reuse_vacuum;
VACUUM reuse_vacuum;

CREATE TABLE reuse_mem (LIKE reuse_src) USING memopt;
INSERT INTO reuse_mem SELECT * FROM reuse_src;
UPDATE reuse_mem SET c = c + 1;
UPDATE reuse_src SET c = c + 1;
SELECT count(*) AS only_in_heap FROM (SELECT * FROM reuse_src EXCEPT ALL SELECT * FROM reuse_mem) x;
SELECT count(*) AS only_in_memopt FROM (SELECT * FROM reuse_mem EXCEPT ALL SELECT * FROM reuse_src) x;
SELECT sum(length(b)), sum(d), sum(f) = (SELECT sum(f) FROM reuse_src) AS same_sum FROM reuse_mem;

DROP TABLE reuse_src, reuse_mem, reuse_vacuum;
