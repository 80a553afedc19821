-- Columns PostgreSQL computes, written by natively compiled routines:
-- stored generated columns are computed on INSERT and UPDATE (they used to
-- crash the backend: their expression was evaluated as a default), identity
-- columns and defaults fill omitted columns, and naming a generated or
-- GENERATED ALWAYS identity column is refused at CREATE, as PostgreSQL's
-- rewriter refuses it (428C9).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
CREATE TABLE gen (id int PRIMARY KEY, a int,
                  doubled int GENERATED ALWAYS AS (a * 2) STORED,
                  serial_no int GENERATED ALWAYS AS IDENTITY,
                  tag text DEFAULT 'new') USING memopt;
CREATE PROCEDURE gen_insert(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO gen (id, a) VALUES (i, i);
END $$;
CREATE PROCEDURE gen_set_a(i int, v int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE gen SET a = v WHERE id = i;
END $$;
CREATE PROCEDURE gen_set_tag(i int, t text) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE gen SET tag = t WHERE id = i;
END $$;
CREATE PROCEDURE gen_copy(offset_by int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO gen (id, a) SELECT id + offset_by, a + 1 FROM gen;
END $$;
CALL gen_insert(1);
CALL gen_insert(2);
CALL gen_set_a(1, 10);
CALL gen_set_tag(2, 'kept');
CALL gen_copy(100);
SELECT id, a, doubled, tag FROM gen ORDER BY id;
SELECT count(DISTINCT serial_no) AS numbered FROM gen;  -- the copy's order is the scan's
-- A generated column in a CHECK constraint is checked after it is computed.
ALTER TABLE gen ADD CONSTRAINT doubled_small CHECK (doubled < 100);
CALL gen_set_a(1, 50);
SELECT id, a, doubled FROM gen WHERE id = 1;
-- DEFAULT is the one value these columns take, in VALUES and SET.
CREATE PROCEDURE gen_defaults(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO gen VALUES (i, i, DEFAULT, DEFAULT, DEFAULT);
  UPDATE gen SET doubled = DEFAULT, serial_no = DEFAULT, tag = DEFAULT, a = a + 1 WHERE id = i;
END $$;
CALL gen_defaults(7);
SELECT id, a, doubled, tag, serial_no IS NOT NULL AS numbered FROM gen WHERE id = 7;
-- Refused at CREATE.
CREATE PROCEDURE gen_bad_insert(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO gen VALUES (i, i, i);
END $$;
CREATE PROCEDURE gen_bad_update(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE gen SET doubled = 1 WHERE id = i;
END $$;
CREATE PROCEDURE gen_bad_identity(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO gen (id, serial_no) VALUES (i, i);
END $$;
CREATE PROCEDURE gen_bad_identity_update(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE gen SET serial_no = 1 WHERE id = i;
END $$;
CREATE PROCEDURE gen_bad_select(i int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO gen (id, doubled) SELECT id + i, a FROM gen;
END $$;
DROP TABLE gen CASCADE;
