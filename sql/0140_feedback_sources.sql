-- Feedback from every source (回访 3/3): besides the callback desk, the hotline's own complaint and
-- praise orders (投诉与反馈) and a low SMS score become items for the responsible office, and an SMS
-- a patient writes can be turned into one. A resolution can carry attachments (a photo, a letter).

-- Which class a catalogue item's order becomes as feedback (none: it is not feedback). The demo's
-- 投诉与反馈 items are set here for databases seeded before this migration; the admin edits the rest.
ALTER TABLE item ADD COLUMN feedback_class text CHECK (feedback_class IN ('service', 'medical', 'environment', 'process'));
UPDATE item SET feedback_class = CASE code
  WHEN 'complaint.service' THEN 'service' WHEN 'complaint.delay' THEN 'process'
  WHEN 'complaint.food' THEN 'environment' WHEN 'complaint.environment' THEN 'environment'
  WHEN 'complaint.praise' THEN 'service' END
WHERE code IN ('complaint.service', 'complaint.delay', 'complaint.food', 'complaint.environment', 'complaint.praise');

-- praise is passed on to the office and needs no resolution; it never counts as a problem
ALTER TABLE feedback ADD COLUMN kind text NOT NULL DEFAULT 'complaint' CHECK (kind IN ('complaint', 'praise'));
-- where it came from, once: order:<work order>, sms-score:<work order event>, sms:<inbound SMS>
ALTER TABLE feedback ADD COLUMN origin text;
CREATE UNIQUE INDEX feedback_origin ON feedback (origin) WHERE origin IS NOT NULL;
-- the hotline order the item came from (a complaint filed at the desk, an order rated low by SMS);
-- work_order_id stays the order filed to fix a facility problem
ALTER TABLE feedback ADD COLUMN hotline_order_id bigint REFERENCES work_order(id);
CREATE INDEX feedback_hotline_order ON feedback (hotline_order_id) WHERE hotline_order_id IS NOT NULL;

CREATE TABLE feedback_attachment (
  id serial PRIMARY KEY,
  feedback_id integer NOT NULL REFERENCES feedback(id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  mime text NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'application/pdf')),
  size integer NOT NULL CHECK (size BETWEEN 1 AND 8388608),
  data bytea NOT NULL,
  uploaded_by integer REFERENCES app_user(id),
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_attachment_item ON feedback_attachment (feedback_id, id);
