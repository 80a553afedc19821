-- BEGIN ... EXCEPTION WHEN ... THEN ... END blocks in natively compiled
-- routines: a block's body runs as a subtransaction, an error rolls back what
-- it did and runs the first matching handler, as in PL/pgSQL.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
CREATE TABLE acct (id int PRIMARY KEY, balance int CHECK (balance >= 0)) USING memopt;
CREATE TABLE parent (id int PRIMARY KEY) USING memopt;
CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent, v int) USING memopt;
CREATE TABLE audit (n serial, note text);
INSERT INTO acct VALUES (1, 100), (2, 50);
INSERT INTO parent VALUES (1), (2);

-- Conditions by name, by SQLSTATE, by class, OTHERS; SQLSTATE and SQLERRM.
CREATE FUNCTION transfer(src int, dst int, amount int) RETURNS text
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE note text := 'start';
  BEGIN
    UPDATE acct SET balance = balance + amount WHERE id = dst;
    note := 'credited';
    UPDATE acct SET balance = balance - amount WHERE id = src;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no account %', src USING ERRCODE = 'P0002';
    END IF;
    note := 'moved ' || amount;
  EXCEPTION
    WHEN check_violation THEN
      note := note || ', refused: ' || SQLSTATE || ' ' || SQLERRM;
    WHEN SQLSTATE 'P0002' OR numeric_value_out_of_range THEN
      note := note || ', failed: ' || SQLERRM;
    WHEN data_exception THEN
      note := note || ', class 22: ' || SQLSTATE;
  END;
  RETURN note;
END $$;
SELECT transfer(1, 2, 30);
SELECT transfer(1, 2, 500);
SELECT transfer(9, 2, 5);
SELECT transfer(1, 2, 2147483647);
SELECT * FROM acct ORDER BY id;

-- An error no handler names goes on to the caller, whose transaction can
-- still roll back to its own savepoint; the rows of the block are gone.
BEGIN;
SELECT transfer(1, 2, 10);
SAVEPOINT s;
CREATE FUNCTION no_match() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  BEGIN
    INSERT INTO acct VALUES (3, 1);
    RETURN 1 / 0;
  EXCEPTION WHEN unique_violation THEN
    RETURN -1;
  END;
END $$;
SELECT no_match();
ROLLBACK TO s;
SELECT * FROM acct ORDER BY id;
COMMIT;

-- RAISE; in a handler raises the caught error again, SQLSTATE and message
-- kept; a nested block's handler sees the outer one's SQLSTATE by name.
CREATE FUNCTION reraise(a int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE trail text := '';
  BEGIN
    BEGIN
      trail := trail || 'inner ';
      PERFORM 10 / a;
    EXCEPTION WHEN division_by_zero THEN
      trail := trail || 'caught ' || SQLSTATE || ' ';
      RAISE;
    END;
  EXCEPTION WHEN OTHERS THEN
    RETURN trail || 'outer ' || SQLSTATE || ': ' || SQLERRM;
  END;
  RETURN trail || 'no error';
END $$;
SELECT reraise(0), reraise(5);
CREATE FUNCTION reraise_out() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  BEGIN
    RAISE EXCEPTION 'custom failure' USING ERRCODE = 'P0099';
  EXCEPTION WHEN SQLSTATE 'P0099' THEN
    RAISE;
  END;
END $$;
\set VERBOSITY sqlstate
SELECT reraise_out();
\set VERBOSITY default

-- Foreign keys and triggers inside a block: the violation is caught, the
-- audit row a trigger wrote in the failed body is rolled back with it.
CREATE FUNCTION audit_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit (note) VALUES ('child ' || NEW.id || ' -> ' || NEW.pid);
  RETURN NEW;
END $$;
CREATE TRIGGER audit_child AFTER INSERT ON child FOR EACH ROW EXECUTE FUNCTION audit_child();
CREATE FUNCTION add_children(n int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE result text := '';
  FOR i IN 1..n LOOP
    BEGIN
      INSERT INTO child VALUES (i, i % 4, i);
      result := result || i || ' ';
    EXCEPTION WHEN foreign_key_violation THEN
      result := result || '(' || i || ': ' || SQLSTATE || ') ';
    END;
  END LOOP;
  RETURN result;
END $$;
SELECT add_children(6);
SELECT * FROM child ORDER BY id;
SELECT note FROM audit ORDER BY n;

-- Many blocks in one call: one subtransaction each, rolled back or not.
CREATE FUNCTION many_blocks(n int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE caught int := 0;
  DECLARE kept int := 0;
  FOR i IN 1..n LOOP
    BEGIN
      INSERT INTO acct VALUES (1000 + i, i % 7 - 1);
      kept := kept + 1;
    EXCEPTION WHEN check_violation THEN
      caught := caught + 1;
    END;
  END LOOP;
  RETURN caught || ' caught, ' || kept || ' kept, '
         || (SELECT count(*) FROM acct WHERE id > 1000) || ' rows';
END $$;
SELECT many_blocks(3000);
DELETE FROM acct WHERE id > 1000;

-- Rows a set-returning function sent before the error stay sent, as with
-- PL/pgSQL's RETURN NEXT.
CREATE FUNCTION rows_then_error(n int) RETURNS TABLE (id int, balance int)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  BEGIN
    SELECT acct.id, acct.balance FROM acct ORDER BY acct.id;
    SELECT 0, 100 / n FROM acct WHERE acct.id = 1;
  EXCEPTION WHEN division_by_zero THEN
    SELECT -1, -1 FROM acct WHERE acct.id = 1;
  END;
END $$;
SELECT * FROM rows_then_error(0);
SELECT * FROM rows_then_error(4);

-- A procedure with an INOUT parameter, and an error raised by a natively
-- compiled routine it calls.
CREATE PROCEDURE debit(account int, amount int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE acct SET balance = balance - amount WHERE id = account;
END $$;
CREATE PROCEDURE try_debit(account int, amount int, INOUT outcome text)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  BEGIN
    CALL debit(account, amount);
    outcome := 'debited';
  EXCEPTION WHEN check_violation THEN
    outcome := 'insufficient: ' || SQLERRM;
  END;
END $$;
CALL try_debit(2, 10, NULL);
CALL try_debit(2, 1000, NULL);
SELECT * FROM acct ORDER BY id;

-- EXIT and CONTINUE out of a block, a FOR loop over a query left inside
-- one, and a nested block without handlers (its own scope).
CREATE FUNCTION leave_blocks() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s text := '';
  DECLARE k int;
  DECLARE x int := 1;
  <<outer_loop>>
  FOR i IN 1..4 LOOP
    BEGIN
      IF i = 2 THEN CONTINUE; END IF;
      FOR k IN SELECT id FROM acct ORDER BY id LOOP
        s := s || i || ':' || k || ' ';
        IF i = 3 THEN EXIT outer_loop; END IF;
        EXIT;
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      s := s || 'unexpected';
    END;
  END LOOP;
  BEGIN
    DECLARE x text := 'inner';
    s := s || x;
  END;
  RETURN s || ' ' || x;
END $$;
SELECT leave_blocks();
SELECT leave_blocks();

-- An error while scans are open inside the body (a table scan, a range
-- scan of the primary key, a join's lookups): they are closed with it.
CREATE FUNCTION error_in_scans(kind int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s text := '';
  DECLARE k int;
  DECLARE b int;
  FOR round IN 1..3 LOOP
    BEGIN
      IF kind = 1 THEN
        FOR k IN SELECT id FROM acct LOOP s := s || k || ' '; PERFORM 1 / (k - k); END LOOP;
      ELSIF kind = 2 THEN
        FOR k IN SELECT id FROM acct WHERE id >= 1 LOOP s := s || k || ' '; PERFORM 1 / 0; END LOOP;
      ELSE
        FOR k, b IN SELECT a.id, c.balance FROM acct a JOIN acct c ON c.id = a.id LOOP
          s := s || k || ' ';
          INSERT INTO acct VALUES (k, b);
        END LOOP;
      END IF;
    EXCEPTION WHEN division_by_zero OR unique_violation THEN
      s := s || SQLSTATE || '; ';
      IF round = 2 THEN EXIT; END IF;
    END;
  END LOOP;
  RETURN s;
END $$;
SELECT error_in_scans(1), error_in_scans(2), error_in_scans(3);

-- A cancel is not caught by OTHERS (as in PL/pgSQL).
CREATE FUNCTION spin() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE n bigint := 0;
  BEGIN
    WHILE true LOOP n := n + 1; END LOOP;
  EXCEPTION WHEN OTHERS THEN
    RETURN -1;
  END;
END $$;
SET statement_timeout = '200ms';
SELECT spin();
RESET statement_timeout;

-- Refused at CREATE.
CREATE FUNCTION bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  BEGIN
    RETURN 1;
  EXCEPTION WHEN no_such_thing THEN
    RETURN 2;
  END;
END $$;
CREATE FUNCTION bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RAISE;
END $$;
CREATE FUNCTION bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN 1;
EXCEPTION WHEN OTHERS THEN
  RETURN 2;
END $$;
CREATE FUNCTION bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  BEGIN ATOMIC
    RETURN 1;
  END;
END $$;
CREATE FUNCTION bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  BEGIN
    RETURN 1;
  EXCEPTION WHEN SQLSTATE 'abc' THEN
    RETURN 2;
  END;
END $$;
CREATE FUNCTION bad() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN SQLERRM;
END $$;

-- GET STACKED DIAGNOSTICS reads the caught error's fields: the constraint,
-- table, schema and column of an integrity error, its detail and hint, and
-- the context (the routine and line). An inner handler's error hides the
-- outer one only while that inner handler runs.
CREATE FUNCTION diagnose(kind int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE st text; DECLARE msg text; DECLARE det text; DECLARE hnt text;
  DECLARE con text; DECLARE tab text; DECLARE sch text; DECLARE col text;
  DECLARE ctx text; DECLARE inner_state text := '';
  BEGIN
    IF kind = 1 THEN INSERT INTO child VALUES (10, 99, 0); END IF;
    IF kind = 2 THEN INSERT INTO acct VALUES (NULL, 1); END IF;
    IF kind = 3 THEN UPDATE acct SET balance = -1 WHERE id = 1; END IF;
    IF kind = 4 THEN
      RAISE EXCEPTION 'custom' USING ERRCODE = 'P0001';
    END IF;
    RETURN 'no error';
  EXCEPTION WHEN OTHERS THEN
    BEGIN
      PERFORM 1 / 0;
    EXCEPTION WHEN division_by_zero THEN
      GET STACKED DIAGNOSTICS inner_state = RETURNED_SQLSTATE;
    END;
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
      det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT, con = CONSTRAINT_NAME,
      tab = TABLE_NAME, sch = SCHEMA_NAME, col = COLUMN_NAME, ctx := PG_EXCEPTION_CONTEXT;
    RETURN concat_ws(' | ', inner_state, st, msg, det, hnt, con, tab, sch, col, ctx);
  END;
END $$;
SELECT diagnose(1);
SELECT diagnose(2);
SELECT diagnose(3);
SELECT diagnose(4);
SELECT diagnose(0);
SELECT * FROM acct ORDER BY id;

-- A labeled block: EXIT label leaves it from its body (whose work is kept:
-- the subtransaction commits) or from a handler; END may repeat the label.
CREATE FUNCTION labeled(n int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE steps text := '';
  <<work>> BEGIN
    FOR i IN 1..3 LOOP
      INSERT INTO child VALUES (100 * n + i, 1, i);
      steps := steps || i;
      EXIT work WHEN i = n;
    END LOOP;
    steps := steps || ' then ' || (10 / (n - 4));
  EXCEPTION WHEN division_by_zero THEN
    steps := steps || ' zero';
    EXIT work WHEN n > 0;
    steps := steps || ' unreached';
  END work;
  RETURN steps;
END $$;
SELECT labeled(2), labeled(4), labeled(5);
SELECT id FROM child WHERE id >= 100 ORDER BY id;
CREATE FUNCTION bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  <<b>> BEGIN
    LOOP
      CONTINUE b;
    END LOOP;
  END b;
END $$;
CREATE FUNCTION bad() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  <<b>> BEGIN
    RETURN 1;
  END c;
END $$;
CREATE FUNCTION bad() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE t text;
  BEGIN
    RETURN 'x';
  EXCEPTION WHEN OTHERS THEN
    NULL;
  END;
  GET STACKED DIAGNOSTICS t = MESSAGE_TEXT;
  RETURN t;
END $$;
CREATE FUNCTION bad() RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE t text;
  BEGIN
    RETURN 'x';
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS t = ROW_COUNT;
  END;
END $$;

SET client_min_messages = warning;
DROP TABLE child, parent, acct, audit CASCADE;
RESET client_min_messages;
DROP FUNCTION audit_child(), reraise(int), reraise_out(), spin();
