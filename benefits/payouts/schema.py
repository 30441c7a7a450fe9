"""PostgreSQL physical design of the payout run, installed after every `migrate` (post_migrate,
idempotent): what Django's model layer cannot express and the monthly run relies on.

The payout table's key check, the run's covering enrollment index and the rule that an
enrollment's county and child never change (a run's rows are found through them) are below too (see benefits.payouts.models.Payout).

`benefits_enrollment.paid_through`: the last month an enrollment may be paid, kept by the
database itself (triggers), so the run's INSERT … SELECT reads the enrollment row alone and never
joins the child (measured at 1,000,000 enrollments: the join to `cases_child` for the
18th-birthday and death guards cost 3.2 s, three times the bare insert):

    paid_through = LEAST(end_month,
                         first day of the month of the 18th birthday,
                         first day of the month of death)

which is exactly the rule of `benefits.payouts.services._active_enrollments` (paid for month M when
M <= end_month, the child is born on or after `eighteen_cutoff(M)` and has not died before M).
Triggers keep it true whoever writes: an enrollment written in any way (the BEFORE trigger reads
its child), a child's birth date corrected or death recorded (the AFTER trigger rewrites that
child's enrollments). The column is not a model field: nothing but the run's SQL reads it, and the
ORM rule stays the one definition on every database (SQLite included).
"""

from django.db import connections

_PG = """
ALTER TABLE benefits_enrollment ADD COLUMN IF NOT EXISTS paid_through date;

CREATE OR REPLACE FUNCTION benefits_child_last_month(birth date, died date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT LEAST((date_trunc('month', birth) + interval '18 years')::date, date_trunc('month', died)::date)
$$;

CREATE OR REPLACE FUNCTION benefits_enrollment_paid_through() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last_month date;
BEGIN
    -- A run's payouts are found through the enrollments of its county (Payout.of_run): an
    -- enrollment's county and child are fixed once written (a move is a transfer: a new enrollment).
    IF TG_OP = 'UPDATE' AND (NEW.county_id IS DISTINCT FROM OLD.county_id OR NEW.child_id IS DISTINCT FROM OLD.child_id) THEN
        RAISE EXCEPTION 'benefits_enrollment %: its county and child never change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT benefits_child_last_month(c.birth_date, c.died_on) INTO last_month FROM cases_child c WHERE c.id = NEW.child_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'benefits_enrollment: child % does not exist', NEW.child_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.paid_through := LEAST(NEW.end_month, last_month);
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS benefits_enrollment_paid_through ON benefits_enrollment;
CREATE TRIGGER benefits_enrollment_paid_through BEFORE INSERT OR UPDATE ON benefits_enrollment
    FOR EACH ROW EXECUTE FUNCTION benefits_enrollment_paid_through();

CREATE OR REPLACE FUNCTION benefits_child_paid_through() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE benefits_enrollment SET end_month = end_month WHERE child_id = NEW.id;  -- the BEFORE trigger recomputes
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS benefits_child_paid_through ON cases_child;
CREATE TRIGGER benefits_child_paid_through AFTER UPDATE OF birth_date, died_on ON cases_child
    FOR EACH ROW WHEN (OLD.birth_date IS DISTINCT FROM NEW.birth_date OR OLD.died_on IS DISTINCT FROM NEW.died_on)
    EXECUTE FUNCTION benefits_child_paid_through();

UPDATE benefits_enrollment e SET paid_through = LEAST(e.end_month, benefits_child_last_month(c.birth_date, c.died_on))
    FROM cases_child c
    WHERE c.id = e.child_id
      AND e.paid_through IS DISTINCT FROM LEAST(e.end_month, benefits_child_last_month(c.birth_date, c.died_on));

-- The run reads a county's enrollments of one category from the index alone (index-only scan), in
-- child order: the payout key (month, child) is then written in order, one sweep of its index per
-- category (read by category and start month, the same rows cost the insert 10-40 % more CPU).
DROP INDEX IF EXISTS benefits_enrollment_payout_scan;
CREATE INDEX IF NOT EXISTS benefits_enrollment_payout_read ON benefits_enrollment (county_id, category, child_id)
    INCLUDE (start_month, paid_through, id);

-- The payout's key is its child and month (benefits.models.payout_id): held to it on every row.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'payout_key_is_child_month') THEN
        ALTER TABLE benefits_payout ADD CONSTRAINT payout_key_is_child_month
            CHECK (id = (((month - DATE '2000-01-01')::bigint << 34) | child_id));
    END IF;
END $$;

-- No index on the payout's run (each index is paid for by every row the run writes; a BRIN index
-- cost 2-3 buffer accesses per row on PostgreSQL 15): a run's rows are found through the primary
-- key, from the enrollments of its county (Payout.of_run).
DROP INDEX IF EXISTS payout_run_brin;
"""


def install(sender=None, *, using: str = "default", **kwargs) -> None:
    """post_migrate of the benefits app: (re)install the column and triggers above. Idempotent;
    does nothing until the tables exist (nor on SQLite, where the run keeps the ORM rule)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {"benefits_enrollment", "benefits_payout", "cases_child"} <= tables:
            return
        if connection.vendor == "postgresql":
            cursor.execute(_PG)
