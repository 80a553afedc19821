-- LANGUAGE native_compilation: statements, types, NULL semantics, runtime
-- errors with PostgreSQL's SQLSTATEs, atomicity, errors at CREATE with their
-- line and column, dependencies, cancellation and recompilation.
-- Privileges, row-level security and isolation levels: native_security.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
\set VERBOSITY default
-- The SQLSTATE and message of a statement's error.
CREATE FUNCTION sqlstate_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TABLE acct (id bigint PRIMARY KEY, owner text, balance float8 NOT NULL DEFAULT 0, flag bool) USING memopt;
INSERT INTO acct VALUES (1, 'ann', 100, true), (2, 'bob', 50, false), (3, NULL, 0, NULL);
-- The example of the issue: 1000 inserts in a WHILE loop.
CREATE TABLE t1 (c1 int PRIMARY KEY, c2 int) USING memopt;
CREATE PROCEDURE native_sp(n int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE i int := n;
  WHILE i > 0 LOOP
    INSERT INTO t1 VALUES (i, i + 1);
    i := i - 1;
  END LOOP;
END $$;
CALL native_sp(1000);
SELECT count(*), sum(c2), min(c1), max(c1) FROM t1;
-- An error midway leaves nothing: the 1001st..501st rows are duplicates.
CALL native_sp(1500);
SELECT count(*) FROM t1;
-- Types, expressions, control flow.
CREATE FUNCTION calc(a int, b int) RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s bigint := 0;
  DECLARE k int;
  FOR k IN a..b LOOP
    IF k % 2 = 0 THEN
      s := s + k * 10;
    ELSIF k % 3 = 0 THEN
      CONTINUE;
    ELSE
      s := s - 1;
    END IF;
    EXIT WHEN s > 1000;
  END LOOP;
  RETURN s;
END $$;
SELECT calc(1, 10), calc(1, 1000), calc(5, 1);
CREATE FUNCTION texty(x int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE t text := 'v=' || x;
  DECLARE o text;
  SELECT owner INTO o FROM acct WHERE id = x;
  RETURN upper(coalesce(o, 'nobody')) || ' ' || t || ' ' || length(t) || ' ' || (x > 1);
END $$;
SELECT texty(1), texty(3), texty(99);
-- NULL semantics (three-valued AND/OR, IS NULL, no error from a NULL operand).
CREATE FUNCTION nulls(a int, b int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r text := '';
  IF a + b IS NULL THEN r := r || 'sum-null '; END IF;
  IF (a > 0 OR b > 0) IS NULL THEN r := r || 'or-null '; END IF;
  IF (a > 0 AND b > 0) IS NOT NULL THEN r := r || 'and-known '; END IF;
  IF NOT (a = b) THEN r := r || 'ne '; END IF;
  RETURN r;
END $$;
SELECT nulls(1, NULL), nulls(-1, NULL), nulls(1, 2), nulls(NULL, NULL);
-- Runtime errors.
CREATE FUNCTION divide(a int, b int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN a / b;
END $$;
SELECT divide(7, 2), divide(-7, 2), divide(NULL, 0);
SELECT divide(1, 0);
SELECT divide(-2147483648, -1);
CREATE FUNCTION overflow(a int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE big bigint := a;
  DECLARE small smallint;
  small := big * 1000;
  RETURN small;
END $$;
SELECT overflow(3);
SELECT overflow(300);
CREATE FUNCTION casts(t text) RETURNS float8 LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE i int := t::int;
  DECLARE f real := 2.5;
  RETURN i + f + CAST('1.25' AS float8) + (7.5)::int;
END $$;
SELECT casts('40');
SELECT casts('x');
-- DML and atomicity: RAISE aborts the CALL; inside a transaction the caller's savepoint undoes the block.
CREATE PROCEDURE transfer(a bigint, b bigint, amt float8) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE acct SET balance = balance - amt WHERE id = a;
  UPDATE acct SET balance = balance + amt WHERE id = b;
  IF amt > 1000 THEN
    RAISE EXCEPTION 'amount % too large', amt USING ERRCODE = '22023';
  END IF;
END $$;
CALL transfer(1, 2, 10);
SELECT id, balance FROM acct ORDER BY id;
CALL transfer(1, 2, 5000);
SELECT id, balance FROM acct ORDER BY id;
BEGIN ISOLATION LEVEL REPEATABLE READ;
CALL transfer(2, 1, 1);
SAVEPOINT s;
CALL transfer(2, 1, 2000);
ROLLBACK TO s;
COMMIT;
SELECT id, balance FROM acct ORDER BY id;
-- Full scan update with non-index WHERE, delete, insert with defaults
CREATE PROCEDURE rich() LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SERIALIZABLE)
  UPDATE acct SET flag = true WHERE balance > 20;
  DELETE FROM acct WHERE owner IS NULL;
  INSERT INTO acct (id, owner) VALUES (10, 'new'), (11, 'newer');
END $$;
CALL rich();
SELECT * FROM acct ORDER BY id;
-- NOT NULL variables.
CREATE FUNCTION nn(a int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int NOT NULL := 1;
  x := a;
  RETURN x;
END $$;
SELECT nn(5);
SELECT nn(NULL);
-- FOR over a query: the body runs per row; its own writes do not feed the
-- loop (the scan keeps its snapshot); RETURN inside the loop closes it.
CREATE FUNCTION audit(limit_balance float8) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE seen text := '';
  DECLARE k bigint;
  DECLARE b float8;
  FOR k, b IN SELECT id, balance FROM acct WHERE balance >= limit_balance LOOP
    seen := seen || k || '=' || b || ' ';
    INSERT INTO acct (id, owner, balance) VALUES (k + 100, 'copy', b);
  END LOOP;
  FOR k IN SELECT id FROM acct WHERE id = 1 LOOP
    RETURN seen || 'found ' || k;
  END LOOP;
  RETURN seen || 'no row 1';
END $$;
SELECT audit(50);
SELECT id, owner, balance FROM acct WHERE id > 100 ORDER BY id;
DELETE FROM acct WHERE id > 100;
-- OUT and INOUT parameters: CALL returns them as a row; a function with OUT
-- parameters returns a row, with one OUT parameter its value.
CREATE PROCEDURE balance_of(k bigint, INOUT calls int, OUT owner_name text, OUT amount float8)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  calls := coalesce(calls, 0) + 1;
  SELECT owner, balance INTO owner_name, amount FROM acct WHERE id = k;
END $$;
CALL balance_of(1, 41, NULL, NULL);
CALL balance_of(99, NULL, NULL, NULL);
CREATE FUNCTION min_max(OUT lo bigint, OUT hi bigint) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE k bigint;
  FOR k IN SELECT id FROM acct LOOP
    IF lo IS NULL OR k < lo THEN lo := k; END IF;
    IF hi IS NULL OR k > hi THEN hi := k; END IF;
  END LOOP;
END $$;
SELECT * FROM min_max();
CREATE FUNCTION owner_count(OUT n int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE o text;
  n := 0;
  FOR o IN SELECT owner FROM acct WHERE owner IS NOT NULL LOOP n := n + 1; END LOOP;
END $$;
SELECT owner_count();
-- Set-returning functions: SELECT without INTO returns rows to the caller.
CREATE FUNCTION rich_accounts(min_balance float8)
RETURNS TABLE (account bigint, who text, doubled float8) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT id, upper(owner), balance * 2 FROM acct WHERE balance >= min_balance;
  SELECT id, 'again', 0 FROM acct WHERE id = 2;
END $$;
SELECT * FROM rich_accounts(50) ORDER BY account, who;
CREATE FUNCTION ids() RETURNS SETOF bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT id FROM acct;
END $$;
SELECT sum(i), count(*) FROM ids() i;
CREATE FUNCTION bad_rows() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT id FROM acct;
  RETURN 1;
END $$;
CREATE FUNCTION bad_out(OUT x int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 5;
END $$;
-- Aggregates over the rows of SELECT ... INTO.
CREATE FUNCTION acct_stats(OUT n bigint, OUT total float8, OUT lowest float8, OUT mean float8,
                           OUT named bigint) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT count(*), sum(balance), min(balance), avg(balance), count(owner)
    INTO n, total, lowest, mean, named FROM acct;
END $$;
SELECT * FROM acct_stats();
CREATE FUNCTION bad_aggregate() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  DECLARE o text;
  SELECT count(*), owner INTO x, o FROM acct;
  RETURN x;
END $$;
-- Queries: inner joins by nested loops (an index lookup per outer row where
-- WHERE fixes an index's columns), GROUP BY with HAVING, ORDER BY (positions,
-- expressions, DESC, NULLS FIRST/LAST), LIMIT and OFFSET, INSERT ... SELECT.
CREATE TABLE dept (id int PRIMARY KEY, name text, city text) USING memopt;
CREATE TABLE emp (id int PRIMARY KEY, dept int, name text, salary int) USING memopt;
INSERT INTO dept VALUES (1, 'eng', 'oslo'), (2, 'ops', 'rome'), (3, 'hr', NULL), (4, 'idle', 'oslo');
INSERT INTO emp VALUES (1, 1, 'ada', 120), (2, 1, 'bo', 100), (3, 2, 'cy', 90),
  (4, 2, 'di', NULL), (5, 3, 'ed', 70), (6, 9, 'fay', 60), (7, 1, 'gus', 100);
CREATE FUNCTION dept_report(min_count int) RETURNS TABLE (dept text, heads bigint, payroll bigint, top int)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT d.name, count(*), sum(e.salary), max(e.salary)
    FROM emp e JOIN dept d ON d.id = e.dept
   GROUP BY d.name
  HAVING count(*) >= min_count
   ORDER BY 3 DESC NULLS LAST, d.name;
END $$;
SELECT * FROM dept_report(1);
SELECT * FROM dept_report(2);
CREATE FUNCTION by_city(n int, skip int) RETURNS TABLE (city text, person text, salary int)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT d.city, e.name, e.salary FROM dept d, emp e
   WHERE e.dept = d.id
   ORDER BY d.city NULLS FIRST, e.salary DESC, e.name
   LIMIT n OFFSET skip;
END $$;
SELECT * FROM by_city(NULL, NULL);
SELECT * FROM by_city(2, 1);
SELECT sqlstate_of('SELECT * FROM by_city(-1, 0)');
SELECT sqlstate_of('SELECT * FROM by_city(1, -1)');
-- SELECT INTO takes the first row of the order; without rows, NULL.
CREATE FUNCTION best_paid(city_name text) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE who text;
  SELECT e.name INTO who FROM emp e CROSS JOIN dept d
   WHERE d.id = e.dept AND d.city = city_name AND e.salary IS NOT NULL
   ORDER BY e.salary DESC, e.id LIMIT 1;
  RETURN coalesce(who, 'nobody');
END $$;
SELECT best_paid('oslo'), best_paid('rome'), best_paid('paris');
-- INSERT ... SELECT reads rows as they were before the statement.
CREATE TABLE payroll (dept int PRIMARY KEY, total bigint, heads bigint) USING memopt;
CREATE PROCEDURE close_month() LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO payroll SELECT dept, sum(salary), count(*) FROM emp GROUP BY dept;
  INSERT INTO emp (id, dept, name, salary) SELECT id + 100, dept, name || '2', salary FROM emp;
END $$;
CALL close_month();
SELECT * FROM payroll ORDER BY dept;
SELECT count(*) FROM emp;
-- A FOR loop over a grouped query; EXIT leaves it early.
CREATE FUNCTION first_groups(n int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s text := '';
  DECLARE d int;
  DECLARE c bigint;
  FOR d, c IN SELECT dept, count(*) FROM emp GROUP BY dept ORDER BY dept LOOP
    EXIT WHEN n = 0;
    s := s || d || ':' || c || ' ';
    n := n - 1;
  END LOOP;
  RETURN s;
END $$;
SELECT first_groups(2), first_groups(10);
-- LEFT JOIN: every department with its staff above a salary, or one row of
-- NULLs for a department without any; WHERE then sees both kinds of row.
CREATE FUNCTION dept_staff(min_salary int) RETURNS TABLE (dept text, staff text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT d.name, e.name FROM dept d LEFT JOIN emp e ON e.dept = d.id AND e.salary >= min_salary
    WHERE d.city IS NOT NULL OR e.id IS NULL ORDER BY d.id, e.id;
END $$;
SELECT * FROM dept_staff(100);
SELECT * FROM dept_staff(1000);
-- the same through PostgreSQL's executor, for comparison
SELECT d.name, e.name FROM dept d LEFT JOIN emp e ON e.dept = d.id AND e.salary >= 100
  WHERE d.city IS NOT NULL OR e.id IS NULL ORDER BY d.id, e.id;
-- an ON condition may not read a later FROM item
CREATE FUNCTION q0() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT e.id INTO x FROM emp e LEFT JOIN dept d ON d.id = f.id JOIN emp f ON f.id = e.id;
  RETURN x;
END $$;
-- Errors at CREATE.
CREATE FUNCTION q1() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT e.id INTO x FROM emp e RIGHT JOIN dept d ON d.id = e.dept;
  RETURN x;
END $$;
CREATE FUNCTION q2() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT id INTO x FROM emp e, dept d;
  RETURN x;
END $$;
CREATE FUNCTION q3() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  SELECT salary + 1 INTO x FROM emp GROUP BY salary / 10;
  RETURN x;
END $$;
CREATE FUNCTION q3b() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  SELECT DISTINCT dept INTO x FROM emp ORDER BY salary;
  RETURN x;
END $$;
CREATE FUNCTION q3c() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  SELECT count(*) INTO x FROM emp GROUP BY 2;
  RETURN x;
END $$;
CREATE FUNCTION q3d() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  SELECT DISTINCT ON (dept) salary INTO x FROM emp ORDER BY salary;
  RETURN x;
END $$;
-- DISTINCT ON: the first row of each run of equal DISTINCT ON values, in
-- ORDER BY's order (whose leading items they must be; those it lacks are
-- sorted after its own); LIMIT and OFFSET count the rows kept.
CREATE FUNCTION best_paid(skip int) RETURNS TABLE (dept int, name text, salary int)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT DISTINCT ON (e.dept) e.dept, e.name, e.salary FROM emp e
  ORDER BY e.dept, e.salary DESC NULLS LAST, e.id OFFSET skip;
END $$;
SELECT * FROM best_paid(0);
SELECT * FROM best_paid(3);
CREATE FUNCTION lowest_per_salary() RETURNS TABLE (salary int, name text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT DISTINCT ON (e.salary, e.dept > 1) e.salary, e.name FROM emp e ORDER BY e.salary;
END $$;
SELECT count(*), count(DISTINCT salary) FROM lowest_per_salary();
CREATE FUNCTION q3e() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  SELECT DISTINCT count(*) INTO x FROM emp;
  RETURN x;
END $$;
CREATE FUNCTION q3f() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  SELECT count(DISTINCT dept) + count(DISTINCT salary) INTO x FROM emp;
  RETURN x;
END $$;
CREATE FUNCTION q3g() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x bigint;
  x := abs(DISTINCT -1);
  RETURN x;
END $$;
CREATE FUNCTION q3h(k int) RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN k = ANY (ARRAY[1, 2]);
END $$;
-- string_agg(text, delimiter): per group, NULL values skipped, a NULL
-- delimiter adds nothing; DISTINCT values come sorted. (Without DISTINCT or
-- ORDER BY the values come in the order of the rows: only their lengths
-- are shown.)
CREATE FUNCTION names_by_dept() RETURNS TABLE (dept int, joined int, distinct_names text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT e.dept, length(string_agg(e.name || '', CASE WHEN e.dept = 1 THEN ', ' END)),
         string_agg(DISTINCT e.name, '/')
  FROM emp e GROUP BY e.dept HAVING count(*) = 1 OR length(string_agg(e.name, '')) > 4
  ORDER BY string_agg(DISTINCT e.name, '') DESC;
END $$;
SELECT * FROM names_by_dept();
CREATE FUNCTION q3i() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x text;
  SELECT string_agg(salary, ',') INTO x FROM emp;
  RETURN x;
END $$;
-- ORDER BY in an aggregate's arguments orders its inputs, per group; in
-- count, min, max ... it changes nothing. The aggregates of one query must
-- order alike, and with DISTINCT only by their argument, as in PostgreSQL.
CREATE FUNCTION q3j(k int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x text;
  DECLARE r text := '';
  FOR x IN SELECT dept || ':' || string_agg(name, ',' ORDER BY salary DESC NULLS LAST, name)
           FROM emp WHERE id > k GROUP BY dept ORDER BY dept LOOP
    r := r || x || ' ';
  END LOOP;
  SELECT string_agg(DISTINCT name, '/' ORDER BY name DESC) || ' ' || max(id ORDER BY name)
         || ' ' || count(DISTINCT name)
  INTO x FROM emp WHERE id > k;
  RETURN r || x;
END $$;
SELECT k, q3j(k) FROM (VALUES (0), (3), (100)) v (k);
CREATE FUNCTION q3j_distinct() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x text;
  SELECT string_agg(DISTINCT name, ',' ORDER BY salary) INTO x FROM emp;
  RETURN x;
END $$;
CREATE FUNCTION q3j_not_aggregate() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x text;
  SELECT upper(name ORDER BY id) INTO x FROM emp WHERE id = 1;
  RETURN x;
END $$;
CREATE FUNCTION q3j_two_orders() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x text;
  SELECT string_agg(name, ',' ORDER BY id) || string_agg(name, ',' ORDER BY name) INTO x FROM emp;
  RETURN x;
END $$;
-- A natively compiled function in an aggregate's ORDER BY is a callee as
-- anywhere else.
CREATE FUNCTION q3j_key(pay int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN -coalesce(pay, 0);
END $$;
CREATE FUNCTION q3j_by_callee() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT string_agg(name, ',' ORDER BY q3j_key(salary), name) FROM emp WHERE id < 100);
END $$;
SELECT q3j_by_callee();
DROP FUNCTION q3j_by_callee(), q3j_key(int);
CREATE FUNCTION q3k() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x text;
  SELECT string_agg(DISTINCT name, name) INTO x FROM emp;
  RETURN x;
END $$;
CREATE FUNCTION q4() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT name INTO x FROM emp GROUP BY dept;
  RETURN x;
END $$;
CREATE FUNCTION q5() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT id INTO x FROM emp WHERE count(*) > 1;
  RETURN x;
END $$;
CREATE FUNCTION q6() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT id INTO x FROM emp ORDER BY 2;
  RETURN x;
END $$;
CREATE FUNCTION q7() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT id INTO x FROM emp LIMIT 'many';
  RETURN x;
END $$;
CREATE FUNCTION q8() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO payroll SELECT dept, salary, 1, 2 FROM emp;
  RETURN 1;
END $$;
-- Range conditions on the first column of a memopt_range index scan just
-- that range of the index (in key order); the whole WHERE is still tested.
CREATE FUNCTION salaries_between(lo int, hi int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s text := '';
  DECLARE who text;
  FOR who IN SELECT name FROM emp WHERE id >= lo AND id < hi AND name <> 'bo' LOOP
    s := s || who || ' ';
  END LOOP;
  RETURN s;
END $$;
SELECT salaries_between(2, 6), salaries_between(100, 200), salaries_between(NULL, 3);
DROP FUNCTION salaries_between(int, int);
-- EXISTS and NOT EXISTS: in conditions, in WHERE (a semi- or anti-join run
-- per outer row, reading the outer row's columns), in a select list, nested.
CREATE TABLE badge (emp_id int PRIMARY KEY, color text) USING memopt;
INSERT INTO badge VALUES (1, 'red'), (3, 'blue'), (5, 'red');
CREATE FUNCTION dept_exists(want text) RETURNS TABLE (dept text, staffed bool, badged bool)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  IF NOT EXISTS (SELECT * FROM badge WHERE color = want) THEN
    RAISE NOTICE 'no % badge', want;
  END IF;
  SELECT d.name, EXISTS (SELECT 1 FROM emp e WHERE e.dept = d.id),
         EXISTS (SELECT 1 FROM emp e WHERE e.dept = d.id
                 AND EXISTS (SELECT 1 FROM badge b WHERE b.emp_id = e.id AND b.color = want))
    FROM dept d WHERE d.city IS NOT NULL OR NOT EXISTS (SELECT 1 FROM emp x WHERE x.dept = d.id)
    ORDER BY d.id;
END $$;
SELECT * FROM dept_exists('red');
SELECT * FROM dept_exists('green');
-- the same through PostgreSQL's executor, for comparison
SELECT d.name, EXISTS (SELECT 1 FROM emp e WHERE e.dept = d.id),
       EXISTS (SELECT 1 FROM emp e WHERE e.dept = d.id
               AND EXISTS (SELECT 1 FROM badge b WHERE b.emp_id = e.id AND b.color = 'red'))
  FROM dept d WHERE d.city IS NOT NULL OR NOT EXISTS (SELECT 1 FROM emp x WHERE x.dept = d.id)
  ORDER BY d.id;
-- A column read only inside an EXISTS is bound like any other.
ALTER TABLE badge DROP COLUMN color;
DROP TABLE badge;
-- What EXISTS does not take yet, with positions.
CREATE FUNCTION x1() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN EXISTS (SELECT count(*) FROM emp WHERE salary > 1000);
END $$;
CREATE FUNCTION x2() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN EXISTS (SELECT 1 FROM emp ORDER BY id LIMIT 1);
END $$;
CREATE FUNCTION x3() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE n bigint;
  SELECT count(*) INTO n FROM emp e GROUP BY e.dept
    HAVING EXISTS (SELECT 1 FROM dept d WHERE d.id = e.dept);
  RETURN n;
END $$;
CREATE FUNCTION x4() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN EXISTS (SELECT 1 FROM emp WHERE q.id = 1);
END $$;
CREATE FUNCTION x5() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN CASE EXISTS (SELECT 1 FROM emp) WHEN true THEN 'yes' END;
END $$;
-- Scalar subqueries (any query; NULL without rows, an error with two), IN
-- and NOT IN over lists and subqueries (NULL when nothing matches but an
-- item is NULL, as in PostgreSQL), BETWEEN, LIKE and ILIKE.
CREATE FUNCTION dept_facts(want text, lo int, hi int)
RETURNS TABLE (dept text, top_paid text, heads bigint, badged bool, not_two bool, named bool)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT d.name,
         (SELECT e.name FROM emp e WHERE e.dept = d.id ORDER BY e.salary DESC, e.id LIMIT 1),
         (SELECT count(*) FROM emp e WHERE e.dept = d.id AND e.salary BETWEEN lo AND hi),
         d.id IN (SELECT e.dept FROM emp e JOIN badge b ON b.emp_id = e.id WHERE b.color = want),
         d.id NOT IN (SELECT e.salary - 88 FROM emp e WHERE e.dept = 2),
         d.name LIKE '%o%' OR d.city ILIKE 'R%'
    FROM dept d WHERE d.id IN (1, 2, 3, 4) AND d.name NOT IN ('nobody', 'hr')
    ORDER BY d.id;
END $$;
SELECT * FROM dept_facts('red', 60, 100);
-- the same through PostgreSQL's executor, for comparison
SELECT d.name,
       (SELECT e.name FROM emp e WHERE e.dept = d.id ORDER BY e.salary DESC, e.id LIMIT 1),
       (SELECT count(*) FROM emp e WHERE e.dept = d.id AND e.salary BETWEEN 60 AND 100),
       d.id IN (SELECT e.dept FROM emp e JOIN badge b ON b.emp_id = e.id WHERE b.color = 'red'),
       d.id NOT IN (SELECT e.salary - 88 FROM emp e WHERE e.dept = 2),
       d.name LIKE '%o%' OR d.city ILIKE 'R%'
  FROM dept d WHERE d.id IN (1, 2, 3, 4) AND d.name NOT IN ('nobody', 'hr')
  ORDER BY d.id;
CREATE PROCEDURE rebadge(c text) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE top int := (SELECT max(salary) FROM emp);
  UPDATE badge SET color = c
    WHERE emp_id IN (SELECT id FROM emp WHERE salary = top OR salary IS NULL);
  DELETE FROM badge WHERE emp_id NOT IN (SELECT id FROM emp WHERE dept BETWEEN 1 AND 2);
  IF (SELECT count(*) FROM badge) NOT BETWEEN 1 AND 2 THEN
    RAISE EXCEPTION 'badges: %', (SELECT count(*) FROM badge);
  END IF;
END $$;
CALL rebadge('gold');
SELECT * FROM badge ORDER BY emp_id;
CREATE FUNCTION one_of_dept(d int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT name FROM emp WHERE dept = d AND id < 100);
END $$;
SELECT one_of_dept(3), one_of_dept(5) IS NULL AS no_rows;
SELECT one_of_dept(1);
-- What they do not take, with positions.
CREATE FUNCTION x6() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT id, dept FROM emp WHERE id = 1);
END $$;
CREATE FUNCTION x7() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 1 IN (SELECT id, dept FROM emp);
END $$;
CREATE FUNCTION x8() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (SELECT * FROM badge);
END $$;
CREATE FUNCTION x9() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 2 BETWEEN SYMMETRIC (SELECT min(id) FROM emp) AND 1;
END $$;
CREATE FUNCTION x10() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 'a_b' LIKE 'a!_b' ESCAPE 1;
END $$;
CREATE FUNCTION x11() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 12 LIKE '1%';
END $$;
CREATE FUNCTION x12() RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE n bigint;
  SELECT count(*) + (SELECT count(*) FROM badge) INTO n FROM emp GROUP BY dept ORDER BY 1 LIMIT 1;
  RETURN n;
END $$;
DROP FUNCTION dept_facts(text, int, int), one_of_dept(int);
DROP PROCEDURE rebadge(text);
DROP FUNCTION dept_exists(text);
DROP TABLE badge;
-- The joined tables' columns are bound too.
ALTER TABLE dept DROP COLUMN city;
DROP FUNCTION dept_report(int), by_city(int, int), best_paid(text), first_groups(int), dept_staff(int);
DROP PROCEDURE close_month();
DROP FUNCTION names_by_dept(), best_paid(int), lowest_per_salary(), q3j(int);
DROP TABLE dept, emp, payroll;
-- PERFORM (a query run for its effects: FOUND says whether it gave a row)
-- and GET DIAGNOSTICS ... = ROW_COUNT, next to the same body in PL/pgSQL.
CREATE TABLE tally (id int PRIMARY KEY, n int) USING memopt;
INSERT INTO tally SELECT g, g % 3 FROM generate_series(1, 9) g;
CREATE FUNCTION bump(k int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE tally SET n = n + 10 WHERE id = k;
  RETURN k;
END $$;
CREATE FUNCTION counts(k int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE rows bigint;
  DECLARE small int;
  DECLARE s text;
  GET DIAGNOSTICS rows = ROW_COUNT;
  s := 'start ' || rows;
  UPDATE tally SET n = n + 1 WHERE n = k;
  GET DIAGNOSTICS rows = ROW_COUNT, small := ROW_COUNT;
  s := s || ', update ' || rows || '/' || small || ' ' || found;
  PERFORM bump(id) FROM tally WHERE id > 7;
  GET CURRENT DIAGNOSTICS rows = ROW_COUNT;
  s := s || ', perform ' || rows || ' ' || found;
  PERFORM id FROM tally WHERE id > 100;
  s := s || ', none ' || found;
  PERFORM bump(1);
  GET DIAGNOSTICS rows = ROW_COUNT;
  s := s || ', bare ' || rows || ' ' || found;
  small := (SELECT max(n) FROM tally);
  GET DIAGNOSTICS rows = ROW_COUNT;
  s := s || ', subquery ' || rows;
  DELETE FROM tally WHERE id > 100;
  GET DIAGNOSTICS rows = ROW_COUNT;
  RETURN s || ', delete ' || rows || ' ' || found;
END $$;
CREATE FUNCTION counts_plpgsql(k int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE rows bigint; small int; s text;
BEGIN
  GET DIAGNOSTICS rows = ROW_COUNT;
  s := 'start ' || rows;
  UPDATE tally SET n = n + 1 WHERE n = k;
  GET DIAGNOSTICS rows = ROW_COUNT, small := ROW_COUNT;
  s := s || ', update ' || rows || '/' || small || ' ' || found;
  PERFORM bump(id) FROM tally WHERE id > 7;
  GET CURRENT DIAGNOSTICS rows = ROW_COUNT;
  s := s || ', perform ' || rows || ' ' || found;
  PERFORM id FROM tally WHERE id > 100;
  s := s || ', none ' || found;
  PERFORM bump(1);
  GET DIAGNOSTICS rows = ROW_COUNT;
  s := s || ', bare ' || rows || ' ' || found;
  small := (SELECT max(n) FROM tally);
  GET DIAGNOSTICS rows = ROW_COUNT;
  s := s || ', subquery ' || rows;
  DELETE FROM tally WHERE id > 100;
  GET DIAGNOSTICS rows = ROW_COUNT;
  RETURN s || ', delete ' || rows || ' ' || found;
END $$;
SELECT counts(1);
SELECT * FROM tally ORDER BY id;
DELETE FROM tally;
INSERT INTO tally SELECT g, g % 3 FROM generate_series(1, 9) g;
BEGIN;
SET LOCAL memopt.isolation_level = snapshot;  -- bump() runs at SNAPSHOT
SELECT counts_plpgsql(1);
COMMIT;
SELECT * FROM tally ORDER BY id;
CREATE FUNCTION e_stacked() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE t text;
  GET STACKED DIAGNOSTICS t = MESSAGE_TEXT;
  RETURN 1;
END $$;
DROP FUNCTION counts(int), counts_plpgsql(int), bump(int);
DROP TABLE tally;
-- CASE statements (no match and no ELSE: "case not found") and expressions.
CREATE FUNCTION grade(x int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  CASE x
    WHEN 1, 2 THEN RETURN 'low';
    WHEN 3 THEN RETURN 'mid';
  END CASE;
END $$;
SELECT grade(2), grade(3);
SELECT grade(9);
CREATE FUNCTION sign_of(x int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN CASE WHEN x > 0 THEN 'positive' WHEN x < 0 THEN 'negative' ELSE 'zero' END;
END $$;
SELECT sign_of(5), sign_of(-5), sign_of(0), sign_of(NULL);
-- Calls of other natively compiled routines: CALL for procedures, function
-- calls in expressions, recursion (bounded by max_stack_depth), dependencies.
CREATE TABLE ledger (id int PRIMARY KEY, amount bigint) USING memopt;
CREATE FUNCTION fee(x bigint) RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN x / 100 + 1;
END $$;
CREATE FUNCTION label(x float8) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 'total ' || x;
END $$;
CREATE PROCEDURE book(k int, x bigint) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO ledger VALUES (k, x - fee(x));
END $$;
CREATE PROCEDURE book_many(n int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE t float8;
  FOR i IN 1..n LOOP
    CALL book(i, i * 1000);
  END LOOP;
  SELECT sum(amount::float8) INTO t FROM ledger;  -- sees the callee's rows
  RAISE NOTICE '%', label(t);
END $$;
CALL book_many(5);
SELECT * FROM ledger ORDER BY id;
CREATE FUNCTION fact(n bigint) RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  IF n <= 1 THEN RETURN 1; END IF;
  RETURN n * fact(n - 1);
END $$;
SELECT fact(10), fact(20);
SELECT sqlstate_of('SELECT fact(21)');
CREATE FUNCTION deep(n bigint) RETURNS bigint LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN deep(n + 1);
END $$;
SELECT sqlstate_of('SELECT deep(1)');
CREATE FUNCTION bad_call() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN now_plus(1);
END $$;
CREATE FUNCTION proc_as_function() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN book(1, 2);
END $$;
CREATE FUNCTION plpgsql_helper() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
CREATE FUNCTION calls_plpgsql() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN plpgsql_helper();
END $$;
DROP FUNCTION fee(bigint);
DROP TABLE ledger CASCADE;
DROP FUNCTION fee(bigint), plpgsql_helper(), deep(bigint), fact(bigint), label(float8);
-- FOR with REVERSE and BY, nested loops, EXIT from the inner one.
CREATE FUNCTION loops() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r text := '';
  DECLARE i int;
  FOR i IN REVERSE 10..1 BY 3 LOOP
    r := r || i || ':';
    FOR j IN 1..100 LOOP
      EXIT WHEN j > 2;
      r := r || j;
    END LOOP;
    r := r || ' ';
  END LOOP;
  FOR i IN 2147483646..2147483647 LOOP
    r := r || 'max ';
  END LOOP;
  RETURN r;
END $$;
SELECT loops();
SELECT abs(-3), mod(17, 5), lower('MiXeD'), abs(-2.5::float8) FROM (SELECT 1) s;
CREATE FUNCTION builtins(a int, t text) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN abs(a) || ' ' || mod(a, 5) || ' ' || lower(t) || ' ' || upper(t) || ' ' ||
         length(t) || ' ' || coalesce(NULL, a * 2, 0) || ' ' || (a::float8 / 4);
END $$;
SELECT builtins(-17, 'MiXeD');
CREATE FUNCTION float_errors(x float8, y float8) RETURNS float8 LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN x * y;
END $$;
SELECT float_errors(2, 3);
SELECT float_errors(1e300, 1e300);
SELECT float_errors(1e-300, 1e-300);
SELECT 1e300::float8 * 1e300::float8;
CREATE FUNCTION no_return(a int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  IF a > 0 THEN RETURN a; END IF;
END $$;
SELECT no_return(1);
SELECT no_return(-1);
CREATE FUNCTION for_null(a int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  FOR i IN 1..a LOOP NULL; END LOOP;
  RETURN 0;
END $$;
SELECT for_null(NULL);
-- RAISE levels and SQLSTATEs.
CREATE PROCEDURE raiser(kind int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  IF kind = 1 THEN RAISE NOTICE 'notice % and %% and %', kind, NULL; END IF;
  IF kind = 2 THEN RAISE WARNING 'warning'; END IF;
  IF kind = 3 THEN RAISE 'plain exception %', kind; END IF;
  IF kind = 4 THEN RAISE EXCEPTION 'custom' USING ERRCODE = 'P1234'; END IF;
END $$;
CALL raiser(1);
CALL raiser(2);
-- The SQLSTATE of each runtime error, as PostgreSQL raises it.
SELECT s, sqlstate_of(s) FROM (VALUES ('CALL raiser(3)'), ('CALL raiser(4)'), ('SELECT divide(1, 0)'),
  ('SELECT divide(-2147483648, -1)'), ('SELECT overflow(300)'), ('SELECT casts(''x'')'),
  ('SELECT float_errors(1e300, 1e300)'), ('SELECT no_return(-1)'), ('SELECT for_null(NULL)'),
  ('SELECT nn(NULL)'), ('CALL native_sp(1500)'), ('CALL transfer(1, 2, 5000)')) v(s);
-- Errors at CREATE: position of the offending token, with a hint where one helps.
CREATE TABLE heapt (id int);
CREATE FUNCTION e1() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE x int;
  SELECT id INTO x FROM heapt WHERE id = 1;
  RETURN x;
END $$;
CREATE FUNCTION e2() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN nosuch + 1;
END $$;
CREATE FUNCTION e3() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  OPEN c;
END $$;
CREATE FUNCTION e4() RETURNS int LANGUAGE native_compilation AS $$
BEGIN
  RETURN 1;
END $$;
CREATE FUNCTION e5() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (DELAYED_DURABILITY = ON)
  RETURN 1;
END $$;
CREATE FUNCTION e6() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE b bool := 1;
  RETURN 1;
END $$;
CREATE FUNCTION e7() RETURNS money LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 1;
END $$;
CREATE FUNCTION e8() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO acct VALUES (1, 2, 3, 4, 5);
  RETURN 1;
END $$;
CREATE FUNCTION e9() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  WHILE 1 LOOP END LOOP;
END $$;
SET check_function_bodies = off;
CREATE FUNCTION e10() RETURNS int LANGUAGE native_compilation AS $$ garbage $$;
RESET check_function_bodies;
SELECT e10();
DROP FUNCTION e10();
-- Schema binding: the tables and columns used cannot be dropped or retyped.
ALTER TABLE acct ALTER COLUMN balance TYPE float4;
ALTER TABLE acct DROP COLUMN owner;
DROP TABLE acct;
-- A column nothing uses can go; the routines compile again and keep working.
ALTER TABLE acct ADD COLUMN note text;
CALL transfer(2, 1, 1);
ALTER TABLE acct DROP COLUMN note;
CALL transfer(2, 1, 1);
SELECT id, balance FROM acct ORDER BY id;
-- Renaming a table does not break a routine: it compiles again (the rename
-- invalidates it) and finds the table through its dependency.
ALTER TABLE acct RENAME TO acct_renamed;
SELECT texty(1);
SELECT memopt.recompile('texty(int)') > 0 AS recompiled, texty(2);
ALTER TABLE acct_renamed RENAME TO acct;
-- Long loops can be cancelled.
CREATE FUNCTION loop_forever() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE i bigint := 0;
  LOOP i := i + 1; END LOOP;
END $$;
SET statement_timeout = '200ms';
SELECT loop_forever();
RESET statement_timeout;
SELECT memopt.recompile('calc(int,int)') > 0 AS recompiled, calc(1, 10);
SELECT memopt.recompile('length(text)');
-- The advisor reads a PL/pgSQL routine and lists, by line, what would keep
-- it from compiling natively (line 0: the signature).
CREATE FUNCTION candidate(n int, d money) RETURNS money LANGUAGE plpgsql AS $$
DECLARE
  total money := 0;
  r record;
  k bigint;
BEGIN
  ASSERT n > 0;
  FOR r IN SELECT * FROM heapt ORDER BY id LOOP
    total := total + 1;
  END LOOP;
  SELECT id INTO k FROM acct WHERE id = n;
  SELECT count(*) INTO k FROM acct;
  RETURN total;
EXCEPTION WHEN others THEN
  RETURN 0;
END $$;
SELECT * FROM memopt.native_advisor('candidate(int, money)');
CREATE FUNCTION clean(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v int;
BEGIN
  SELECT c2 INTO v FROM t1 WHERE c1 = n;
  RETURN v;
END $$;
SELECT count(*) AS findings FROM memopt.native_advisor('clean(int)');
SELECT * FROM memopt.native_advisor('calc(int, int)');
DROP FUNCTION candidate(int, money), clean(int);
DROP TABLE acct CASCADE;
DROP TABLE t1 CASCADE;
DROP TABLE heapt;
