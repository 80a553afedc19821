# Natively compiled routines across restarts, crashes and pg_dump: the object
# files under $PGDATA/memopt_native are never trusted after a restart (the
# folder is emptied when the server starts), every routine compiles again
# from the catalog on its first call and works on the reloaded data, and a
# dump restores with check_function_bodies = off in dependency order.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('native', conf => "restart_after_crash = on\n");

$node->safe_psql('postgres', q{
  CREATE TABLE acct (id int PRIMARY KEY, bal bigint NOT NULL) USING memopt;
  INSERT INTO acct SELECT g, 100 FROM generate_series(1, 1000) g;
  CREATE PROCEDURE move(a int, b int, amt bigint) LANGUAGE native_compilation AS $$
  BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
    UPDATE acct SET bal = bal - amt WHERE id = a;
    UPDATE acct SET bal = bal + amt WHERE id = b;
  END $$;
  CREATE FUNCTION total() RETURNS bigint LANGUAGE native_compilation AS $$
  BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
    DECLARE s bigint := 0;
    DECLARE b bigint;
    FOR i IN 1..1000 LOOP
      SELECT bal INTO b FROM acct WHERE id = i;
      s := s + b;
    END LOOP;
    RETURN s;
  END $$;
  CALL move(1, 2, 30);
});

my $folder = $node->data_dir . '/memopt_native';
sub module_files { opendir(my $dir, $folder) or return (); return grep { !/^\./ } readdir($dir); }

is(scalar(module_files()), 2, 'CREATE wrote one object file per routine');
is((stat("$folder/" . (module_files())[0]))[2] & 0777, 0600, 'object files are readable by the server only');
is($node->safe_psql('postgres', 'SELECT total()'), '100000', 'routines run');

$node->restart;
is(scalar(module_files()), 0, 'a restart empties the object folder');
is($node->safe_psql('postgres', 'SELECT count(*) FROM memopt.native_modules WHERE file IS NULL'),
   '2', 'the modules view shows no file before the first call');
$node->safe_psql('postgres', 'CALL move(2, 3, 5)');
is($node->safe_psql('postgres', 'SELECT bal FROM acct WHERE id IN (1, 2, 3) ORDER BY id'),
   "70\n125\n105", 'after a restart the routine compiles again and sees the reloaded rows');
is($node->safe_psql('postgres', 'SELECT total()'), '100000', 'the function too');
is(scalar(module_files()), 2, 'first calls wrote the files again');

# A crash: the postmaster reinitializes, the files stay valid (same process image).
$node->safe_psql('postgres', 'CALL move(3, 4, 1)');
my $psql = $node->background_psql('postgres');
my $pid = $psql->query_safe('SELECT pg_backend_pid()');
chomp $pid;
kill 'KILL', $pid;
$psql->quit;
$node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
is($node->safe_psql('postgres', 'SELECT bal FROM acct WHERE id IN (3, 4) ORDER BY id'),
   "104\n101", 'committed native writes survive a crash');
is($node->safe_psql('postgres', 'SELECT total()'), '100000', 'routines run after a crash');

# pg_dump and restore: the routine comes after the table it depends on.
my $dump = $node->basedir . '/native.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
                  'pg_restore');
is($node->safe_psql('restored', 'SELECT total()'), '100000', 'a restored routine runs');
like($node->safe_psql('restored', q{SELECT pg_describe_object(classid, objid, objsubid)
  FROM pg_depend WHERE refobjid = 'acct'::regclass AND classid = 'pg_proc'::regclass
  ORDER BY 1 LIMIT 1}), qr/function|procedure/, 'restored routines depend on their tables');

$node->stop;
done_testing();
