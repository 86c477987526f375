-- The service point's printer: each job sheet sent to it, and the station's word that it came out.
-- A sheet sent but never confirmed (a jammed printer) stays in the point's queue; a confirmed one is
-- in its history, from which it can be sent again (a reprint).
CREATE TABLE job_sheet_print (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  work_order_id     bigint NOT NULL REFERENCES work_order(id),
  service_point_id  integer REFERENCES service_point(id),
  reprint           boolean NOT NULL DEFAULT false,
  sent_at           timestamptz NOT NULL DEFAULT now(),
  sent_by           integer REFERENCES app_user(id),
  sent_by_name      text NOT NULL,
  confirmed_at      timestamptz,
  confirmed_by      integer REFERENCES app_user(id),
  confirmed_by_name text
);
CREATE INDEX job_sheet_print_order ON job_sheet_print (work_order_id, id);
CREATE INDEX job_sheet_print_point ON job_sheet_print (service_point_id, confirmed_at DESC);

-- the bell counts a person's unread notices on every screen
CREATE INDEX notification_unread ON notification (user_id) WHERE read_at IS NULL;
