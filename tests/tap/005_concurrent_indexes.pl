# memopt indexes under real concurrency: pgbench clients move money between
# accounts found through the primary key (MemoptLookup), which changes the
# keys of an index on the balance; audits sum the balances through a range
# scan of that index and through the hash index on the account code, in
# one snapshot, and must always find the exact total; other clients insert
# random keys of a small range into a table with a unique memopt_hash key
# and a unique memopt_range key; VACUUM runs all along and sweeps entries.
# At the end the totals are exact, no key is duplicated, every index finds
# every row, and after a last VACUUM each index has one entry per row.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use MemoptNode;
use Test::More;

my $node = memopt_node('concurrent_indexes');

$node->safe_psql('postgres', q{
  CREATE TABLE bank (id int PRIMARY KEY, code text NOT NULL, balance bigint NOT NULL) USING memopt;
  CREATE UNIQUE INDEX bank_code ON bank USING memopt_hash (code);
  CREATE INDEX bank_balance ON bank (balance);
  INSERT INTO bank SELECT g, 'acct' || g, 1000 FROM generate_series(1, 40) g;
  CREATE TABLE keys (k int PRIMARY KEY, h int NOT NULL) USING memopt;
  CREATE UNIQUE INDEX keys_h ON keys USING memopt_hash (h);
  CREATE FUNCTION audit() RETURNS void LANGUAGE plpgsql AS $$
  DECLARE by_balance bigint; by_code bigint; rows_by_id int;
  BEGIN
    SET LOCAL enable_seqscan = off;
    SET LOCAL enable_bitmapscan = off;
    SELECT sum(balance) INTO by_balance FROM bank WHERE balance > -1000000;
    SELECT sum(b.balance) INTO by_code
      FROM generate_series(1, 40) g JOIN bank b ON b.code = 'acct' || g;
    SELECT count(*) INTO rows_by_id FROM bank WHERE id BETWEEN 1 AND 40;
    IF by_balance <> 40000 OR by_code <> 40000 OR rows_by_id <> 40 THEN
      RAISE EXCEPTION 'inconsistent index read: % % %', by_balance, by_code, rows_by_id
        USING ERRCODE = 'XX001';
    END IF;
  END $$;
});

my $transfer = q{
\set from random(1, 40)
\set to random(1, 40)
\set amount random(1, 100)
BEGIN ISOLATION LEVEL REPEATABLE READ;
UPDATE bank SET balance = balance - :amount WHERE id = :from;
UPDATE bank SET balance = balance + :amount WHERE id = :to;
SELECT audit();
COMMIT;
};
my $audit = q{
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT audit();
SELECT audit();
COMMIT;
};
my $insert = q{
\set k random(1, 300)
DO $$ BEGIN
  INSERT INTO keys VALUES (:k, :k * 7);
EXCEPTION WHEN unique_violation THEN
  DELETE FROM keys WHERE k = :k;
END $$;
};
my $vacuum = q{
VACUUM bank;
VACUUM keys;
};

$node->pgbench(
  '--no-vacuum --client=6 --jobs=2 --transactions=300 --max-tries=1000',
  0,
  [ qr{number of failed transactions: 0 \(0\.000%\)}, qr{processed: 1800/1800} ],
  [ qr{^$} ],
  'transfers, audits through indexes, unique inserts and VACUUM run together',
  { 'transfer@4' => $transfer, 'audit@2' => $audit, 'insert@4' => $insert, 'vacuum@1' => $vacuum });

is($node->safe_psql('postgres', 'SELECT count(*), sum(balance) FROM bank'), '40|40000',
  'total is exact after the run');
$node->safe_psql('postgres', 'SELECT audit()');
is($node->safe_psql('postgres', 'SELECT count(*) = count(DISTINCT k) AND count(*) = count(DISTINCT h) FROM keys'),
  't', 'no key is duplicated');
is($node->safe_psql('postgres', q{SET enable_seqscan = off;
  SELECT count(*) FROM keys k WHERE EXISTS (SELECT 1 FROM keys x WHERE x.k = k.k)
                                AND EXISTS (SELECT 1 FROM keys y WHERE y.h = k.h)}),
  $node->safe_psql('postgres', 'SELECT count(*) FROM keys'), 'every index finds every row');
$node->safe_psql('postgres', 'VACUUM bank');
$node->safe_psql('postgres', 'VACUUM keys');
is($node->safe_psql('postgres', q{SELECT string_agg(index::text || '=' || (entries = (
    SELECT count(*) FROM bank WHERE relation = 'bank'::regclass))::text, ',' ORDER BY index::text)
    FROM memopt.indexes WHERE relation = 'bank'::regclass}),
  'bank_balance=true,bank_code=true,bank_pkey=true', 'one entry per row in each bank index');
is($node->safe_psql('postgres', q{SELECT bool_and(entries = (SELECT count(*) FROM keys))
    FROM memopt.indexes WHERE relation = 'keys'::regclass}), 't', 'one entry per row in each keys index');

$node->stop;
done_testing();
