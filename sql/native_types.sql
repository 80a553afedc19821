-- LANGUAGE native_compilation: numeric, date, time, timestamp, timestamptz,
-- interval, uuid and bytea: variables, parameters, columns, operators,
-- casts, functions, aggregates, sorting and grouping, index lookups, and
-- PostgreSQL's errors for them.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS memopt;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE ledger (
  id uuid PRIMARY KEY,
  booked date NOT NULL,
  at timestamptz,
  local_at timestamp,
  amount numeric(10, 2),
  hold interval,
  opens time,
  note bytea
) USING memopt;
INSERT INTO ledger VALUES
  ('00000000-0000-0000-0000-000000000001', '2026-01-31', '2026-01-31 10:00+00', '2026-01-31 10:00', 100.50, '2 days', '09:00', '\x01'),
  ('00000000-0000-0000-0000-000000000002', '2026-02-01', '2026-02-01 11:30+00', '2026-02-01 11:30', -20.25, '1 hour', '10:30', '\x0203'),
  ('00000000-0000-0000-0000-000000000003', '2026-02-01', NULL, NULL, 7, NULL, NULL, NULL);

-- Arithmetic and functions, as PostgreSQL computes them.
CREATE FUNCTION numbers(x numeric, n int) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE price numeric(8, 2) := x * 1.005;
  DECLARE ratio float8 := x / 3;
  RETURN price || ' ' || (x + n) || ' ' || (x / n) || ' ' || (x % 3) || ' ' || -x || ' ' ||
         round(x, 1) || ' ' || trunc(x) || ' ' || abs(x - 100) || ' ' || ratio || ' ' ||
         (0.1 + 0.2) || ' ' || (n * 1.5) || ' ' || (x > n) || ' ' || x::int;
END $$;
SELECT numbers(12.345, 4), numbers(-2.5, 3);
SELECT numbers(1, 0);
SELECT numbers(99999999, 1);
CREATE FUNCTION dates(d date, t timestamp, z timestamptz, i interval) RETURNS text
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (d + 30) || ' | ' || (d - 1) || ' | ' || (d - '2026-01-01'::date) || ' | ' ||
         (d + i) || ' | ' || (t + i) || ' | ' || (z - i) || ' | ' || (t - d) || ' | ' ||
         (i * 2) || ' | ' || (i / 4) || ' | ' || -i || ' | ' || (d < t) || ' | ' ||
         date_trunc('month', t) || ' | ' || date_part('dow', z) || ' | ' || t::date || ' | ' ||
         t::time || ' | ' || (t::time - '08:00'::time) || ' | ' || d::timestamptz;
END $$;
SELECT dates('2026-02-28', '2026-03-01 12:34:56', '2026-03-01 00:00+00', '1 day 2 hours');
SELECT dates('2026-02-28', NULL, NULL, NULL);
CREATE FUNCTION bits(b bytea, u uuid) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN (b || '\xff'::bytea) || ' ' || (b < '\x02'::bytea) || ' ' ||
         (u = '00000000-0000-0000-0000-000000000002') || ' ' || u;
END $$;
SELECT bits('\x0102', '00000000-0000-0000-0000-000000000002');
-- now(), current_date and localtimestamp are the transaction's.
CREATE FUNCTION clock_agrees() RETURNS bool LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN now() = current_timestamp AND current_date = now()::date AND localtimestamp = now()::timestamp;
END $$;
SELECT clock_agrees();

-- Columns: reads, index lookups by uuid, writes rounded to numeric(10, 2).
CREATE FUNCTION entry(key uuid, OUT booked date, OUT amount numeric, OUT hold interval,
                      OUT opens time, OUT note bytea) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT l.booked, l.amount, l.hold, l.opens, l.note INTO booked, amount, hold, opens, note
    FROM ledger l WHERE l.id = key;
END $$;
SELECT * FROM entry('00000000-0000-0000-0000-000000000002');
CREATE PROCEDURE book(key uuid, day date, value numeric) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  INSERT INTO ledger (id, booked, amount, at) VALUES (key, day, value, day + '8 hours'::interval);
  UPDATE ledger SET amount = amount * 2, hold = coalesce(hold, '0'::interval) + '1 minute'::interval
   WHERE id = key;
END $$;
CALL book('00000000-0000-0000-0000-000000000004', '2026-02-02', 1.005);
SELECT id, booked, at, amount, hold FROM ledger WHERE id = '00000000-0000-0000-0000-000000000004';
CALL book('00000000-0000-0000-0000-000000000005', '2026-02-02', 123456789);

-- Aggregates (sum and avg of numeric, min/max of dates, text and
-- intervals), GROUP BY a date, ORDER BY a timestamp.
CREATE FUNCTION daily() RETURNS TABLE (day date, entries bigint, total numeric, mean numeric,
                                       first_at timestamptz, longest interval)
LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT booked, count(*), sum(amount), avg(amount), min(at), max(hold)
    FROM ledger GROUP BY booked ORDER BY booked DESC;
END $$;
SELECT * FROM daily();
SELECT booked, count(*), sum(amount), avg(amount), min(at), max(hold)
  FROM ledger GROUP BY booked ORDER BY booked DESC;
CREATE FUNCTION integer_stats(OUT big numeric, OUT mean numeric) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  SELECT sum(amount::bigint * 1000000000000), avg(amount::int) INTO big, mean FROM ledger;
END $$;
SELECT * FROM integer_stats();
SELECT sum(amount::bigint * 1000000000000), avg(amount::int) FROM ledger;

-- varchar(n): reads as text; writes longer than n raise 22001 (trailing
-- spaces are cut, as PostgreSQL does); an explicit cast cuts.
CREATE TABLE tags (id int PRIMARY KEY, tag varchar(5)) USING memopt;
CREATE PROCEDURE tag(k int, t text) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE short varchar(3) := t::varchar(3);
  INSERT INTO tags VALUES (k, t);
  UPDATE tags SET tag = tag || short WHERE id = k - 100;
END $$;
CALL tag(1, 'ab');
CALL tag(3, 'abcde   ');
CALL tag(101, 'xyz');
SELECT id, tag, length(tag) FROM tags ORDER BY id;
CALL tag(2, 'toolong');
CALL tag(102, 'abcdef');
DROP PROCEDURE tag(int, text);
DROP TABLE tags;

-- char(n): padded on assignment, compared and turned into text without
-- trailing blanks, grouped and sorted by bpchar's own order.
CREATE TABLE codes (id int PRIMARY KEY, code char(4), label text) USING memopt;
INSERT INTO codes VALUES (1, 'ab', 'x'), (2, 'ab  ', 'y'), (3, 'b', NULL), (4, NULL, 'z');
CREATE FUNCTION code_report(probe text) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE s text := '';
  DECLARE c char(4);
  DECLARE n bigint;
  DECLARE one char := left(probe, 1);
  FOR c, n IN SELECT code, count(*) FROM codes GROUP BY code ORDER BY code NULLS FIRST LOOP
    s := s || '[' || coalesce(c, '-') || ']' || n || ' ' || coalesce(length(c), -1) || ' ' ||
         coalesce((c = 'ab')::text, '?') || ' ';
  END LOOP;
  RETURN s || '|' || one || '|' || (probe::char(6) || '.') || '|' || ('ab'::char(4) = 'ab  '::text);
END $$;
SELECT code_report('qrs');
CREATE PROCEDURE set_code(k int, value text) LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  UPDATE codes SET code = value WHERE id = k;
END $$;
CALL set_code(3, 'cd   ');
SELECT id, code, octet_length(code) FROM codes WHERE id = 3;
CALL set_code(3, 'abcde');
DROP FUNCTION code_report(text);
DROP PROCEDURE set_code(int, text);
DROP TABLE codes;

-- time(p), timestamp(p), timestamptz(p), interval(p) round what is assigned.
CREATE TABLE stamps (id int PRIMARY KEY, at timestamp(0), span interval(1)) USING memopt;
CREATE FUNCTION stamp(k int, t timestamp, i interval) RETURNS text LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE short time(1) := t::time;
  DECLARE zoned timestamptz(2) := t;
  DECLARE stored text;
  INSERT INTO stamps VALUES (k, t, i);
  SELECT at || ' ' || span INTO stored FROM stamps WHERE id = k;
  RETURN short || ' | ' || zoned || ' | ' || stored || ' | ' || t::timestamp(3);
END $$;
SELECT stamp(1, '2026-01-01 10:00:00.7654', '1.2345 seconds');
DROP FUNCTION stamp(int, timestamp, interval);
DROP TABLE stamps;

-- Errors: at run time PostgreSQL's own, at CREATE what is not there yet.
CREATE FUNCTION to_day(s text) RETURNS date LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN s::date + 1;
END $$;
SELECT to_day('2026-02-28'), to_day('2026-12-31');
SELECT to_day('2026-02-30');
SELECT to_day('yesterday-ish');
CREATE FUNCTION no_such_operator(d date) RETURNS date LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  RETURN d * 2;
END $$;
CREATE FUNCTION no_min_uuid() RETURNS uuid LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE u uuid;
  SELECT min(id) INTO u FROM ledger;
  RETURN u;
END $$;
CREATE FUNCTION no_money() RETURNS int LANGUAGE native_compilation AS $$
BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)
  DECLARE t money;
  RETURN 1;
END $$;
DROP FUNCTION numbers(numeric, int), dates(date, timestamp, timestamptz, interval),
  bits(bytea, uuid), clock_agrees(), entry(uuid), daily(), integer_stats(), to_day(text);
DROP PROCEDURE book(uuid, date, numeric);
DROP TABLE ledger;
