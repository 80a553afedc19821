# pg_dump and pg_restore of a database with memopt tables: the tables come
# back as memopt tables (default_table_access_method in the dump) with all
# their rows, in plain and custom formats.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

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
});
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
}

$node->stop;
done_testing();
