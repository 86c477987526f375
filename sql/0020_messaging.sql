-- The SMS channel (server/src/messaging): templates, the outbox and its parts, consent per number
-- and category, and what comes back. messaging/ knows numbers and subjects, never orders: a row
-- names what it is about (subject_kind + subject_id) and the subject's own domain decides what a
-- reply means.

CREATE TABLE sms_template (
  id serial PRIMARY KEY,
  code text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_.-]{0,49}$'),
  lang text NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en')),
  -- transactional: reminders and job notices; survey: asks for a reply; notice: information
  category text NOT NULL CHECK (category IN ('transactional', 'survey', 'notice')),
  name text NOT NULL,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
  sender text,
  active boolean NOT NULL DEFAULT true,
  version int NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (code, lang)
);

CREATE TABLE sms_message (
  id bigserial PRIMARY KEY,
  recipient text NOT NULL,
  template_id int REFERENCES sms_template (id),
  template_code text,
  "values" jsonb NOT NULL DEFAULT '{}',
  category text NOT NULL CHECK (category IN ('transactional', 'survey', 'notice')),
  urgent boolean NOT NULL DEFAULT false,
  sender text NOT NULL,
  text text NOT NULL,
  encoding text NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
  parts int NOT NULL CHECK (parts BETWEEN 1 AND 10),
  -- sending: claimed by a worker until lease_until; refused: never sent (no consent, opted out)
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'sending', 'submitted', 'delivered', 'failed', 'expired', 'rejected', 'refused')),
  gateway text,
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  last_error text,
  -- held for quiet hours: why next_attempt_at is later than created_at
  held_until timestamptz,
  subject_kind text CHECK (subject_kind IN ('work_order', 'callback_task', 'booking', 'feedback', 'reply')),
  subject_id text,
  purpose text,
  -- one message per (subject, purpose, round): any number of instances may ask, one row is made
  dedupe_key text UNIQUE,
  created_by int REFERENCES app_user (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  final_at timestamptz
);
CREATE INDEX sms_message_due ON sms_message (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX sms_message_subject ON sms_message (subject_kind, subject_id);
CREATE INDEX sms_message_recipient ON sms_message (recipient, created_at DESC);
CREATE INDEX sms_message_created ON sms_message (created_at DESC);

CREATE TABLE sms_part (
  message_id bigint NOT NULL REFERENCES sms_message (id),
  part int NOT NULL,
  gateway_message_id text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'expired', 'rejected')),
  reported_at timestamptz,
  PRIMARY KEY (message_id, part)
);
CREATE INDEX sms_part_gateway_id ON sms_part (gateway_message_id);

-- The message's life, for the per-message history on the outbox screen.
CREATE TABLE sms_event (
  id bigserial PRIMARY KEY,
  message_id bigint NOT NULL REFERENCES sms_message (id),
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  detail text
);
CREATE INDEX sms_event_message ON sms_event (message_id, id);

-- Consent per number and category. No row: transactional goes, survey goes (it follows a service
-- the person asked for), notice does not (the seed: ask before anything that is not a reminder).
CREATE TABLE sms_consent (
  phone text NOT NULL,
  category text NOT NULL CHECK (category IN ('survey', 'notice')),
  state text NOT NULL CHECK (state IN ('granted', 'opted_out')),
  source text NOT NULL CHECK (source IN ('desk', 'form', 'reply', 'admin')),
  at timestamptz NOT NULL DEFAULT now(),
  by_user int REFERENCES app_user (id),
  PRIMARY KEY (phone, category)
);

CREATE TABLE sms_inbound (
  id bigserial PRIMARY KEY,
  sender text NOT NULL,
  recipient text NOT NULL DEFAULT '',
  text text NOT NULL,
  gateway text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  -- the survey it answers, if any
  message_id bigint REFERENCES sms_message (id),
  handled_as text NOT NULL CHECK (handled_as IN ('rating', 'opt_out', 'opt_in', 'message', 'unknown_sender')),
  detail jsonb,
  read_at timestamptz
);
CREATE INDEX sms_inbound_received ON sms_inbound (received_at DESC);

-- The templates the product uses out of the box; the admin edits the text.
INSERT INTO sms_template (code, lang, category, name, body) VALUES
  ('order.done', 'zh', 'survey', '完工满意度', '您报修的{项目}（工单{工单号}）已于{时间}完成。请回复1-5为本次服务评分（5=非常满意，1=很不满意）。'),
  ('order.done', 'en', 'survey', 'Done: rate us', 'Your request {项目} (order {工单号}) was completed at {时间}. Reply 1-5 to rate us (5 = very satisfied, 1 = very dissatisfied).'),
  ('order.assigned', 'zh', 'transactional', '新工单通知', '新工单{工单号}：{项目}，地点{地点}，要求时间{时间}。'),
  ('order.assigned', 'en', 'transactional', 'New order', 'New order {工单号}: {项目} at {地点}, by {时间}.'),
  ('booking.reminder', 'zh', 'transactional', '预约提醒', '{患者姓名}您好，您预约的{项目}在{时间}，地点{地点}。'),
  ('feedback.resolved', 'zh', 'notice', '反馈已处理', '{患者姓名}您好，您反映的问题已处理完毕，感谢您的监督。'),
  ('optout.confirm', 'zh', 'transactional', '退订确认', '您已退订{医院}的通知和调查短信，服务类短信不受影响。'),
  ('optout.confirm', 'en', 'transactional', 'Opt-out confirmed', 'You will no longer receive surveys or notices from {医院}. Service messages still come.');
