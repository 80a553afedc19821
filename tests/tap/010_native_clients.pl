# Natively compiled procedures and functions called from client drivers, with
# parameters: libpq (psql), psycopg2 (Python, server-side bound parameters
# and CALL with OUT parameters) and ODBC (psqlODBC through unixODBC's isql).
use strict;
use warnings;
use File::Temp qw(tempdir);
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('clients');
$node->safe_psql('postgres', q{
  CREATE TABLE wallet (id int PRIMARY KEY, owner text, balance float8 NOT NULL) USING memopt;
  INSERT INTO wallet SELECT g, 'owner ' || g, 100 FROM generate_series(1, 10) g;
  CREATE PROCEDURE pay(a int, b int, amount float8, OUT paid float8)
  LANGUAGE native_compilation AS $$
  BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
    IF amount <= 0 THEN RAISE EXCEPTION 'amount must be positive' USING ERRCODE = '22023'; END IF;
    UPDATE wallet SET balance = balance - amount WHERE id = a;
    UPDATE wallet SET balance = balance + amount WHERE id = b;
    paid := amount;
  END $$;
  CREATE FUNCTION balance_of(k int) RETURNS float8 LANGUAGE native_compilation AS $$
  BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
    DECLARE b float8;
    SELECT balance INTO b FROM wallet WHERE id = k;
    RETURN b;
  END $$;
  CREATE FUNCTION owners(min_balance float8) RETURNS TABLE (id int, owner text)
  LANGUAGE native_compilation AS $$
  BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
    SELECT w.id, w.owner FROM wallet w WHERE w.balance >= min_balance;
  END $$;
});

my $host = $node->host;
my $port = $node->port;

# libpq through psql, with a bound parameter ($1) as drivers send it.
is($node->safe_psql('postgres', q{CALL pay(1, 2, 10, NULL)}), '10', 'psql: CALL with OUT parameter');
is($node->safe_psql('postgres', q{PREPARE b(int) AS SELECT balance_of($1); EXECUTE b(2)}),
   '110', 'psql: prepared statement with a parameter');

# psycopg2 (the system python3, where Debian installs it).
my $python = <<"PY";
import psycopg2
conn = psycopg2.connect(host="$host", port=$port, dbname="postgres")
cur = conn.cursor()
cur.execute("CALL pay(%s, %s, %s, NULL)", (3, 4, 25.5))
print(cur.fetchone()[0])
cur.execute("SELECT balance_of(%s), balance_of(%s)", (3, 4))
print(*cur.fetchone())
cur.execute("SELECT * FROM owners(%s) ORDER BY id", (100.0,))
print(len(cur.fetchall()))
try:
    cur.execute("CALL pay(%s, %s, %s, NULL)", (1, 2, -1))
except psycopg2.Error as e:
    print(e.pgcode)
    conn.rollback()
conn.commit()
PY
my ($out, $err) = run_command([ '/usr/bin/python3', '-c', $python ]);
is($out, "25.5\n74.5 125.5\n8\n22023", 'psycopg2: parameters, OUT parameter, rows, SQLSTATE')
  or diag($err);

# psqlODBC through unixODBC's isql, with a DSN in a private odbc.ini.
my $dir = tempdir(CLEANUP => 1);
my $driver = '/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so';
open(my $ini, '>', "$dir/odbc.ini") or die;
print $ini "[memopt]\nDriver = $driver\nServername = $host\nPort = $port\nDatabase = postgres\n"
  . "Username = " . getpwuid($<) . "\n";
close($ini);
local $ENV{ODBCINI} = "$dir/odbc.ini";
local $ENV{ODBCSYSINI} = $dir;
open(my $inst, '>', "$dir/odbcinst.ini") or die;
close($inst);
my $stdin = "SELECT balance_of(5)\nCALL pay(5, 6, 1, NULL)\nSELECT balance_of(6)\n";
my ($iout, $ierr);
IPC::Run::run([ 'isql', '-b', '-d,', '-x0x09', 'memopt' ], '<', \$stdin, '>', \$iout, '2>', \$ierr);
my @values = grep { /^\d/ } split /\n/, $iout;
is_deeply(\@values, [ '100', '1', '101' ], 'ODBC (isql): function, CALL with OUT parameter')
  or diag("$iout\n$ierr");

$node->stop;
done_testing();
