-- Publications: logical decoding does not decode memopt's WAL records, so a
-- memopt table in a publication would send its subscribers no changes.
-- Named memopt tables are refused (also through a published partitioned
-- parent, and when a published table becomes a memopt table); FOR ALL TABLES
-- and TABLES IN SCHEMA, which cannot leave a table out, warn.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
CREATE SCHEMA pubs;
SET search_path = pubs;
CREATE TABLE m (id int PRIMARY KEY, v text) USING memopt;
CREATE TABLE m_temp (id int) USING memopt WITH (durability = schema_only);
CREATE TABLE h (id int PRIMARY KEY, v text);

-- named: refused, with nothing left behind
CREATE PUBLICATION pub_m FOR TABLE m;
CREATE PUBLICATION pub_h FOR TABLE h;
ALTER PUBLICATION pub_h ADD TABLE m;
ALTER PUBLICATION pub_h SET TABLE h, m;
SELECT pubname, tablename FROM pg_publication_tables WHERE schemaname = 'pubs' ORDER BY 1, 2;
-- schema_only tables are UNLOGGED, which PostgreSQL itself refuses
ALTER PUBLICATION pub_h ADD TABLE m_temp;

-- a published heap table cannot become a memopt table
ALTER TABLE h SET ACCESS METHOD memopt;
SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = 'h'::regclass;

-- partitions of a published partitioned table
CREATE TABLE parent (id int) PARTITION BY RANGE (id);
CREATE PUBLICATION pub_parent FOR TABLE parent;
CREATE TABLE part1 PARTITION OF parent FOR VALUES FROM (0) TO (10) USING memopt;
CREATE TABLE part2 (id int) USING memopt;
ALTER TABLE parent ATTACH PARTITION part2 FOR VALUES FROM (10) TO (20);
CREATE TABLE part3 PARTITION OF parent FOR VALUES FROM (20) TO (30);
ALTER TABLE part3 SET ACCESS METHOD memopt;
SELECT pubname, tablename FROM pg_publication_tables WHERE schemaname = 'pubs' ORDER BY 1, 2;
-- a partitioned table with memopt partitions cannot be published either
DROP PUBLICATION pub_parent;
ALTER TABLE parent DETACH PARTITION part3;
ALTER TABLE parent ATTACH PARTITION part2 FOR VALUES FROM (10) TO (20);
CREATE PUBLICATION pub_parent FOR TABLE parent;

-- unnamed: a warning, at the publication and at each new memopt table
CREATE PUBLICATION pub_schema FOR TABLES IN SCHEMA pubs;
CREATE TABLE m2 (id int) USING memopt;
CREATE TABLE m3 USING memopt AS SELECT 1 AS a;
CREATE UNLOGGED TABLE m4 (id int) USING memopt;
CREATE TABLE h2 (id int);
ALTER PUBLICATION pub_schema SET (publish = 'insert');
DROP PUBLICATION pub_schema;

RESET search_path;
DROP PUBLICATION pub_h;
DROP SCHEMA pubs CASCADE;
