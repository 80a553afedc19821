-- Triggers on the tables natively compiled routines write: BEFORE and AFTER,
-- row and statement level, UPDATE OF columns, transition tables, and the
-- constraint triggers that carry foreign keys, fired as the executor would.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
CREATE TABLE parent (id int PRIMARY KEY, name text) USING memopt;
CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent ON DELETE CASCADE,
                    v int) USING memopt;
CREATE TABLE audit (n serial, op text, id int, old_v int, new_v int);
INSERT INTO parent VALUES (1, 'one'), (2, 'two');

-- Every row and statement trigger writes a line to a heap table. The BEFORE
-- ROW trigger skips rows with a negative v and multiplies v by 10.
CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    INSERT INTO audit (op) VALUES (TG_WHEN || ' ' || TG_OP || ' statement');
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit (op, id, new_v) VALUES (TG_WHEN || ' INSERT', NEW.id, NEW.v);
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO audit (op, id, old_v, new_v) VALUES (TG_WHEN || ' UPDATE', NEW.id, OLD.v, NEW.v);
  ELSE
    INSERT INTO audit (op, id, old_v) VALUES (TG_WHEN || ' DELETE', OLD.id, OLD.v);
  END IF;
  IF TG_WHEN = 'AFTER' THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  IF NEW.v < 0 THEN RETURN NULL; END IF;
  NEW.v := NEW.v * 10;
  RETURN NEW;
END $$;
CREATE TRIGGER child_before_row BEFORE INSERT OR UPDATE OR DELETE ON child
  FOR EACH ROW EXECUTE FUNCTION note();
CREATE TRIGGER child_after_row AFTER INSERT OR UPDATE OR DELETE ON child
  FOR EACH ROW EXECUTE FUNCTION note();
CREATE TRIGGER child_before_statement BEFORE INSERT OR UPDATE OR DELETE ON child
  FOR EACH STATEMENT EXECUTE FUNCTION note();
CREATE TRIGGER child_after_statement AFTER INSERT OR UPDATE OR DELETE ON child
  FOR EACH STATEMENT EXECUTE FUNCTION note();

CREATE PROCEDURE add_child(i int, p int, nv int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO child VALUES (i, p, nv);
END $$;
CREATE PROCEDURE set_v(i int, nv int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE child SET v = nv WHERE id = i;
END $$;
CREATE PROCEDURE set_parent(i int, p int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE child SET pid = p WHERE id = i;
END $$;
CREATE PROCEDURE drop_child(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DELETE FROM child WHERE id = i;
END $$;
CREATE PROCEDURE drop_parent(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DELETE FROM parent WHERE id = i;
END $$;
CREATE PROCEDURE renumber_parent(i int, ni int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE parent SET id = ni WHERE id = i;
END $$;

-- Row and statement triggers, in the executor's order; a skipped row.
CALL add_child(1, 1, 5);
CALL add_child(2, 1, -1);
CALL set_v(1, 6);
CALL set_v(99, 6);  -- no row: the statement triggers still fire
CALL drop_child(1);
SELECT op, id, old_v, new_v FROM audit ORDER BY n;
SELECT * FROM child ORDER BY id;
-- FOUND counts the rows written: one the BEFORE ROW trigger skipped is not.
CREATE FUNCTION add_child_found(i int, p int, nv int) RETURNS bool
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO child VALUES (i, p, nv);
  RETURN found;
END $$;
SELECT add_child_found(40, 1, -4) AS skipped, add_child_found(41, 1, 4) AS written;
DELETE FROM child WHERE id = 41;
DROP FUNCTION add_child_found(int, int, int);
TRUNCATE audit;
DROP TRIGGER child_before_row ON child;
DROP TRIGGER child_after_row ON child;
DROP TRIGGER child_before_statement ON child;
DROP TRIGGER child_after_statement ON child;

-- Foreign keys: the referencing side's check, and the referenced side's
-- NO ACTION and CASCADE.
CALL add_child(3, 7, 1);
CALL add_child(3, 2, 1);
CALL set_parent(3, 8);
CALL set_parent(3, 1);
CALL renumber_parent(1, 10);
CALL renumber_parent(2, 20);
CALL drop_parent(1);
SELECT * FROM child ORDER BY id;
SELECT * FROM parent ORDER BY id;

-- A deferred key is checked at commit.
CREATE TABLE late_child (id int PRIMARY KEY,
                         pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED) USING memopt;
CREATE PROCEDURE add_late(i int, p int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO late_child VALUES (i, p);
END $$;
BEGIN;
CALL add_late(1, 30);
INSERT INTO parent VALUES (30, 'thirty');
COMMIT;
BEGIN;
CALL add_late(2, 31);
COMMIT;
SELECT * FROM late_child;

-- An error inside the block, caught by a savepoint: the next call's
-- triggers work.
DO $$
BEGIN
  BEGIN
    CALL add_child(4, 99, 1);
  EXCEPTION WHEN foreign_key_violation THEN
    RAISE WARNING 'caught: %', SQLERRM;
  END;
  CALL add_child(5, 30, 1);
END $$;
SELECT * FROM child ORDER BY id;

-- UPDATE OF a column, WHEN, transition tables, a disabled trigger.
CREATE FUNCTION note_v() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit (op, id, old_v, new_v) VALUES ('update of v', NEW.id, OLD.v, NEW.v);
  RETURN NULL;
END $$;
CREATE TRIGGER child_v AFTER UPDATE OF v ON child FOR EACH ROW EXECUTE FUNCTION note_v();
CREATE TRIGGER child_v_when AFTER UPDATE ON child FOR EACH ROW
  WHEN (NEW.v > 100) EXECUTE FUNCTION note_v();
CREATE FUNCTION count_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit (op, id) SELECT 'rows inserted', count(*) FROM new_rows;
  RETURN NULL;
END $$;
CREATE TRIGGER child_count AFTER INSERT ON child REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION count_new();
CREATE PROCEDURE copy_children(offset_by int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO child SELECT id + offset_by, pid, v FROM child;
END $$;
CALL set_v(5, 7);        -- fires child_v
CALL set_parent(5, 20);  -- does not
CALL set_v(5, 101);      -- fires both
CALL copy_children(100);
ALTER TABLE child DISABLE TRIGGER child_count;
CALL copy_children(1000);
SELECT op, id, old_v, new_v FROM audit ORDER BY n;
SELECT count(*) FROM child;

-- A loop of inserts into a table with a foreign key: one check per row.
CREATE PROCEDURE add_children(n int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE i int := n;
  WHILE i > 0 LOOP
    INSERT INTO child VALUES (10000 + i, 20, i);
    i := i - 1;
  END LOOP;
END $$;
CALL add_children(1000);
SELECT count(*), sum(v) FROM child WHERE id > 10000;
CALL drop_parent(20);  -- cascades
SELECT count(*) FROM child;

-- A trigger that writes the table the routine's FOR loop reads: the loop
-- keeps the snapshot it opened with, as PL/pgSQL's does.
CREATE TABLE items (id int PRIMARY KEY, v int) USING memopt;
INSERT INTO items SELECT g, 0 FROM generate_series(1, 5) g;
CREATE FUNCTION spawn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id < 1000 THEN INSERT INTO items VALUES (NEW.id + 1000, NEW.v); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER items_spawn AFTER UPDATE ON items FOR EACH ROW EXECUTE FUNCTION spawn();
CREATE PROCEDURE bump_all() LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE n int := 0;
  DECLARE r int;
  FOR r IN SELECT id FROM items LOOP
    UPDATE items SET v = v + 1 WHERE id = r;
    n := n + 1;
  END LOOP;
  RAISE WARNING 'the loop saw % rows', n;
END $$;
CALL bump_all();
SELECT * FROM items ORDER BY id;

DROP TABLE child, late_child, parent, audit, items CASCADE;
DROP FUNCTION note(), note_v(), count_new(), spawn();
