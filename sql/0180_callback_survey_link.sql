-- The callback survey by SMS (回访 问卷短信): for a patient who prefers a text to a call, a link to a
-- page with the template's questions that needs no sign-in. The link is signed (HMAC with the
-- hospital's own secret, shared by every instance) and expires; the task keeps when it was sent and
-- until when it holds, so the dialer leaves the patient alone meanwhile.
ALTER TABLE sms_use DROP CONSTRAINT sms_use_code_check;
ALTER TABLE sms_use ADD CONSTRAINT sms_use_code_check CHECK (code IN ('order.assigned', 'order.done', 'booking.reminder', 'feedback.resolved', 'callback.survey'));
INSERT INTO sms_use (code, enabled) VALUES ('callback.survey', true);

INSERT INTO sms_template (code, lang, category, name, body) VALUES
  ('callback.survey', 'zh', 'survey', '回访问卷', '{患者姓名}您好，{医院}出院回访：请点开 {链接} 回答几个问题（{时间}前有效），谢谢！'),
  ('callback.survey', 'en', 'survey', 'Callback survey', 'Dear {患者姓名}, {医院} would like to hear how you are since you went home: {链接} (open until {时间}). Thank you!');

-- the patient would rather answer by text than by phone: their callbacks go as a link
ALTER TABLE patient ADD COLUMN prefers_sms boolean NOT NULL DEFAULT false;

ALTER TABLE callback_task
  ADD COLUMN survey_sent_at timestamptz,
  ADD COLUMN survey_expires_at timestamptz,
  ADD COLUMN survey_answered_at timestamptz;

-- secrets the instances share (the survey link's signing key), made once where the database is
CREATE TABLE app_secret (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO app_secret (name, value)
  VALUES ('survey_link', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
