-- Booked work: an order booked for a time slot of its team (a patient to CT at 10:30). Per team:
--   * slot_minutes long slots from local midnight (15: 10:30, 10:45 …);
--   * capacity of a slot = people on duty by the roster at its start (staff_duty) × jobs_per_person;
--   * reserve: places of each slot kept for urgent and critical work, released release_minutes
--     before the slot starts (a routine booking may take them from then on);
--   * a booked order waits (status new, nobody assigned) and is dispatched to a person on duty
--     lead_minutes before its slot, by the bookings sweep;
--   * a cancel within late_cancel_minutes of the slot is a late cancel (counted in the statistics).
-- Only a team with a row here takes bookings. Booking, capacity and reserve are checked inside
-- create_work_order (sql/functions/), under a lock per team and slot, so a full slot stays full
-- however many desks book at once.

CREATE TABLE team_booking (
  team_id            integer PRIMARY KEY REFERENCES team(id),
  -- a slot length that divides the day, so every local day starts on a boundary
  slot_minutes       integer NOT NULL DEFAULT 15 CHECK (slot_minutes BETWEEN 5 AND 240 AND 1440 % slot_minutes = 0),
  jobs_per_person    integer NOT NULL DEFAULT 1 CHECK (jobs_per_person BETWEEN 1 AND 20),
  reserve            integer NOT NULL DEFAULT 1 CHECK (reserve BETWEEN 0 AND 100),
  release_minutes    integer NOT NULL DEFAULT 30 CHECK (release_minutes BETWEEN 0 AND 1440),
  lead_minutes       integer NOT NULL DEFAULT 20 CHECK (lead_minutes BETWEEN 0 AND 1440),
  late_cancel_minutes integer NOT NULL DEFAULT 60 CHECK (late_cancel_minutes BETWEEN 0 AND 2880),
  updated_by         integer REFERENCES app_user(id),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- booked_for: the slot's start; booked_at: the app's clock when it was booked (whether a 24-hour
-- reminder still makes sense); the reminders sent, once each; no-show and late cancel as recorded
ALTER TABLE work_order
  ADD COLUMN booked_for timestamptz,
  ADD COLUMN booked_at timestamptz,
  ADD COLUMN reminded_day_at timestamptz,
  ADD COLUMN reminded_hour_at timestamptz,
  ADD COLUMN no_show_at timestamptz,
  ADD COLUMN no_show_by text,
  ADD COLUMN late_cancel boolean NOT NULL DEFAULT false;
CREATE INDEX work_order_booked_slot ON work_order (team_id, booked_for) WHERE booked_for IS NOT NULL AND status <> 'cancelled';
-- the sweep's work: booked orders still waiting, or with a reminder to send
CREATE INDEX work_order_booked_waiting ON work_order (booked_for) WHERE booked_for IS NOT NULL AND status IN ('new', 'dispatched', 'accepted');

-- A cancel of a booked order close to its slot is a late cancel, whichever path cancelled it (the
-- desk, a lead, the import): judged by the cancel's own stamp against the team's window then.
CREATE FUNCTION mark_late_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND NEW.booked_for IS NOT NULL AND NEW.no_show_at IS NULL THEN
    NEW.late_cancel := coalesce(NEW.cancelled_at, now()) >= NEW.booked_for - make_interval(mins => coalesce(
      (SELECT b.late_cancel_minutes FROM team_booking b WHERE b.team_id = NEW.team_id), 60));
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER work_order_late_cancel BEFORE UPDATE OF status ON work_order FOR EACH ROW EXECUTE FUNCTION mark_late_cancel();

-- the view's w.* was fixed when it was made: made again to carry the new columns
DROP VIEW work_order_view;
CREATE VIEW work_order_view AS
SELECT w.*,
  i.name AS item_name, i.name_en AS item_name_en,
  c.name AS category_name, c.name_en AS category_name_en,
  l.full_name AS location_name, l.building_id AS location_building_id,
  t.name AS team_name, t.name_en AS team_name_en,
  sp.name AS service_point_name, sp.name_en AS service_point_name_en,
  s.name AS assignee_name,
  (w.status IN ('new', 'dispatched', 'accepted', 'arrived', 'on_hold')
    AND ((w.arrived_at IS NULL AND w.response_due_at < now()) OR w.due_at < now())) AS overdue
FROM work_order w
JOIN item i ON i.id = w.item_id
JOIN category c ON c.id = w.category_id
JOIN location l ON l.id = w.location_id
JOIN team t ON t.id = w.team_id
LEFT JOIN service_point sp ON sp.id = w.service_point_id
LEFT JOIN staff s ON s.id = w.assignee_id;

-- booking_slot() and create_work_order() booking by it are in sql/functions/
