-- Where SMS is used, each switched on or off by the administrator (短信 → 用途): the job to an
-- assignee who has no session in the app, the done notice asking for a rating, the reminders of a
-- booked job, and the "your feedback was resolved" notice to the patient. messaging/ keeps the
-- switches as codes; what each means is sms-uses.ts's.
CREATE TABLE sms_use (
  code text PRIMARY KEY CHECK (code IN ('order.assigned', 'order.done', 'booking.reminder', 'feedback.resolved')),
  enabled boolean NOT NULL,
  updated_by integer REFERENCES app_user(id),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sms_use (code, enabled) VALUES
  ('order.assigned', false), ('order.done', true), ('booking.reminder', true), ('feedback.resolved', false);
