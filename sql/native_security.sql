-- Natively compiled routines: privileges (the caller's, or the owner's under
-- SECURITY DEFINER), row-level security (refused, never bypassed), the
-- rights trigger functions run with, isolation levels of the block against
-- the transaction's, DELAYED_DURABILITY, defaults of omitted columns, and
-- memopt.native_modules.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
DROP ROLE IF EXISTS native_user;
RESET client_min_messages;
CREATE ROLE native_user;
CREATE TABLE secret (id int PRIMARY KEY, v int) USING memopt;
INSERT INTO secret VALUES (1, 10);
CREATE FUNCTION read_secret(k int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r int;
  SELECT v INTO r FROM secret WHERE id = k;
  RETURN r;
END $$;
CREATE FUNCTION read_secret_definer(k int) RETURNS int LANGUAGE native_compilation
SECURITY DEFINER AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r int;
  SELECT v INTO r FROM secret WHERE id = k;
  RETURN r;
END $$;
CREATE PROCEDURE write_secret(k int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO secret VALUES (k, k);
END $$;
-- An EXISTS subquery reads its table: SELECT is required there too.
CREATE FUNCTION secret_exists(k int) RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN EXISTS (SELECT 1 FROM secret WHERE id = k);
END $$;
SET ROLE native_user;
SELECT read_secret(1);
SELECT read_secret_definer(1);
CALL write_secret(2);
SELECT secret_exists(1);
RESET ROLE;
GRANT SELECT ON secret TO native_user;
SET ROLE native_user;
SELECT read_secret(1);
SELECT secret_exists(1), secret_exists(2);
CALL write_secret(2);
RESET ROLE;
GRANT INSERT ON secret TO native_user;
SET ROLE native_user;
CALL write_secret(2);
RESET ROLE;
SELECT * FROM secret ORDER BY id;
-- Row-level security: refused at CREATE, and at call time once enabled.
CREATE TABLE guarded (id int PRIMARY KEY, owner name) USING memopt;
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION read_guarded() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE r int;
  SELECT id INTO r FROM guarded;
  RETURN r;
END $$;
ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE secret FORCE ROW LEVEL SECURITY;
SELECT read_secret(1);
ALTER TABLE secret NO FORCE ROW LEVEL SECURITY;
ALTER TABLE secret DISABLE ROW LEVEL SECURITY;
SELECT read_secret(1);
-- Triggers fire when a native routine writes (native_triggers.sql has the
-- rest): a trigger function runs with the caller's rights unless it is
-- SECURITY DEFINER, as under PL/pgSQL.
CREATE FUNCTION who_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'inserted % as %', NEW.id, current_user; RETURN NEW; END $$;
CREATE TRIGGER secret_trigger BEFORE INSERT ON secret FOR EACH ROW EXECUTE FUNCTION who_inserts();
SET ROLE native_user;
CALL write_secret(3);
RESET ROLE;
DROP TRIGGER secret_trigger ON secret;
-- Isolation: the block's level starts the memopt transaction; a transaction
-- already at a lower level is refused; a higher one is kept.
CREATE FUNCTION my_level() RETURNS text LANGUAGE sql AS
  $$ SELECT isolation_level FROM memopt.transactions WHERE pid = pg_backend_pid() $$;
CREATE FUNCTION serializable_read(k int) RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SERIALIZABLE)
  DECLARE r int;
  SELECT v INTO r FROM secret WHERE id = k;
  RETURN r;
END $$;
BEGIN;
SELECT serializable_read(1), my_level();
COMMIT;
BEGIN;
SELECT count(*) FROM secret;
SELECT serializable_read(1);
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM secret;
SELECT read_secret(1), my_level();
COMMIT;
-- DELAYED_DURABILITY = ON is synchronous_commit = off for the transaction.
CREATE PROCEDURE lazy_write(k int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT, DELAYED_DURABILITY = ON)
  INSERT INTO secret VALUES (k, k);
END $$;
SHOW synchronous_commit;
BEGIN;
CALL lazy_write(4);
SHOW synchronous_commit;
COMMIT;
SHOW synchronous_commit;
-- Omitted columns get their defaults: serial, identity, expressions.
CREATE TABLE defaults (id serial PRIMARY KEY, n bigint GENERATED ALWAYS AS IDENTITY,
  label text DEFAULT 'none', made int DEFAULT 6 * 7, v int) USING memopt;
CREATE PROCEDURE add_default(x int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO defaults (v) VALUES (x), (x + 1);
  INSERT INTO defaults (v, label) VALUES (x + 2, 'given');
END $$;
CALL add_default(10);
SELECT * FROM defaults ORDER BY id;
-- A NOT NULL column without a value is refused as in SQL.
CREATE TABLE strict_t (id int PRIMARY KEY, must int NOT NULL) USING memopt;
CREATE PROCEDURE add_strict(x int) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO strict_t (id) VALUES (x);
END $$;
CALL add_strict(1);
-- The modules view: one row per routine; the file appears once compiled.
SELECT routine, file IS NOT NULL AS has_file, size > 0 AS has_size, compile_ms > 0 AS timed
FROM memopt.native_modules
WHERE routine::text ~ '^(read_secret|write_secret|add_|lazy_write|serializable_read)'
ORDER BY routine::text;
SELECT routine, loaded FROM memopt.native_modules WHERE routine = 'read_secret(int)'::regprocedure;
DROP FUNCTION read_secret_definer(int);
SELECT count(*) FROM memopt.native_modules WHERE routine::text LIKE 'read_secret_definer%';
DROP TABLE secret, guarded, defaults, strict_t CASCADE;
DROP FUNCTION who_inserts(), my_level();
DROP ROLE native_user;
