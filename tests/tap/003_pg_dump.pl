# pg_dump and pg_restore of a database with memopt tables: the tables come
# back as memopt tables (default_table_access_method in the dump) with all
# their rows, in plain and custom formats, and their indexes come back with
# the same access methods and definitions, and foreign keys that reference
# memopt tables come back and are enforced.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('dump');

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
  CREATE EXTENSION memopt;
  CREATE TABLE a (id int, t text, j jsonb, b bytea) USING memopt;
  INSERT INTO a SELECT g, repeat('x', g), jsonb_build_object('g', g), decode(md5(g::text), 'hex')
  FROM generate_series(1, 3000) g;
  CREATE TABLE parent (id int PRIMARY KEY);
  INSERT INTO parent VALUES (1);
  CREATE TABLE child (id int REFERENCES parent, v text) USING memopt;
  INSERT INTO child VALUES (1, 'ref');
  CREATE TABLE keyed (id int PRIMARY KEY, code text, grp int, active bool,
                      UNIQUE (code) WITH (bucket_count = 256)) USING memopt;
  CREATE TABLE hashed (id int, PRIMARY KEY (id) WITH (bucket_count = 64)) USING memopt;
  CREATE INDEX keyed_grp ON keyed (grp, code);
  CREATE INDEX keyed_active ON keyed USING memopt_hash (grp) WHERE active;
  CREATE INDEX keyed_lower ON keyed (lower(code));
  INSERT INTO keyed SELECT g, 'c' || g, g % 7, g % 2 = 0 FROM generate_series(1, 500) g;
  INSERT INTO hashed SELECT generate_series(1, 100);
  CREATE TABLE keyed_ref (id int PRIMARY KEY, keyed_id int REFERENCES keyed ON DELETE CASCADE,
                          code text REFERENCES keyed (code)) USING memopt;
  CREATE TABLE heap_ref (hashed_id int REFERENCES hashed);
  INSERT INTO keyed_ref VALUES (1, 5, 'c6'), (2, 6, NULL);
  INSERT INTO heap_ref VALUES (99);
});
my $fk_defs = q{SELECT string_agg(conrelid::regclass || ' ' || conindid::regclass || ' ' ||
  pg_get_constraintdef(oid), E'\n' ORDER BY conname) FROM pg_constraint WHERE contype = 'f'};
my $expected_fks = $node->safe_psql('src', $fk_defs);
my $index_defs = q{SELECT string_agg(pg_get_indexdef(indexrelid), E'\n' ORDER BY indexrelid::regclass::text)
  FROM pg_index WHERE indrelid IN ('keyed'::regclass, 'hashed'::regclass)};
my $expected_defs = $node->safe_psql('src', $index_defs);
my $lookups = q{SET enable_seqscan = off;
  SELECT (SELECT id FROM keyed WHERE code = 'c77'), (SELECT count(*) FROM keyed WHERE grp = 3 AND active),
         (SELECT id FROM keyed WHERE lower(code) = 'c5'), (SELECT id FROM hashed WHERE id = 99),
         (SELECT count(*) FROM keyed WHERE id BETWEEN 10 AND 19)};
my $expected_lookups = $node->safe_psql('src', $lookups);
like($expected_defs, qr/USING memopt_hash \(code\) WITH \(bucket_count='256'\)/, 'source has a hash unique index');
my $checksum = q{SELECT count(*), sum(length(t)), sum((j->>'g')::int), md5(string_agg(b::text, '' ORDER BY id)) FROM a};
my $expected = $node->safe_psql('src', $checksum);

my $dir = PostgreSQL::Test::Utils::tempdir;
for my $format ('p', 'c') {
  my $target = "dst_$format";
  my $file = "$dir/dump.$format";
  $node->safe_psql('postgres', "CREATE DATABASE $target");
  $node->command_ok(['pg_dump', '-F', $format, '-f', $file, '-d', $node->connstr('src')],
    "pg_dump -F $format");
  if ($format eq 'p') {
    $node->command_ok(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $file, '-d',
      $node->connstr($target)], 'restore plain dump with psql');
  } else {
    $node->command_ok(['pg_restore', '-d', $node->connstr($target), $file], 'pg_restore');
  }
  is($node->safe_psql($target, $checksum), $expected, "rows identical ($format)");
  is($node->safe_psql($target, q{SELECT string_agg(c.relname || ':' || am.amname, ',' ORDER BY c.relname)
      FROM pg_class c JOIN pg_am am ON am.oid = c.relam
      WHERE c.relname IN ('a', 'child', 'parent')}),
    'a:memopt,child:memopt,parent:heap', "access methods kept ($format)");
  is($node->safe_psql($target, 'SELECT v FROM child'), 'ref', "foreign-key table restored ($format)");
  is($node->safe_psql($target, $index_defs), $expected_defs, "index definitions kept ($format)");
  is($node->safe_psql($target, $lookups), $expected_lookups, "indexes answer after restore ($format)");
  is($node->safe_psql($target, $fk_defs), $expected_fks, "foreign keys kept ($format)");
  my ($rc, $out, $err) = $node->psql($target, 'INSERT INTO keyed_ref VALUES (3, 9999, NULL)');
  like($err, qr/violates foreign key constraint "keyed_ref_keyed_id_fkey"/,
    "foreign key to a memopt table enforced ($format)");
  $node->safe_psql($target, 'DELETE FROM keyed WHERE id = 5');
  is($node->safe_psql($target, 'SELECT count(*) FROM keyed_ref'), '1', "cascade after restore ($format)");
}

$node->stop;
done_testing();
