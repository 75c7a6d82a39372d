-- Delivery bookkeeping of the notification outbox (the dispatcher):
--   status          pending → sending (claimed under a lease) → sent / delivered / skipped / failed / parked
--   claim_token     which claim holds a 'sending' row; an outcome is only recorded by the claim that still holds it
--   next_attempt_at for 'sending' rows, when the lease runs out and another instance may reclaim the row
--   channel         official_account, subscribe or inbox (no WeChat channel available)
--   wechat_msg_id   WeChat's msgid of the send; TEMPLATESENDJOBFINISH finds the row by it
--   wechat_status   what TEMPLATESENDJOBFINISH reported (success, failed:user block, failed: system failed)
--   unknown_sends   subscribe sends whose outcome stayed unknown (-1, 5xx, time-out): retried at most once
--   inbox_at        when the recipient's inbox entry was written (once, whatever WeChat did; at claim time, or at
--                   once for a row whose push waits, e.g. a reminder produced in quiet hours)
ALTER TABLE notification_outbox
    ADD COLUMN claim_token   BIGINT       NULL,
    ADD COLUMN channel       VARCHAR(20)  NULL,
    ADD COLUMN template_id   VARCHAR(64)  NULL,
    ADD COLUMN wechat_msg_id BIGINT       NULL,
    ADD COLUMN wechat_status VARCHAR(100) NULL,
    ADD COLUMN unknown_sends INT          NOT NULL DEFAULT 0,
    ADD COLUMN sent_at       DATETIME(6)  NULL,
    ADD COLUMN inbox_at      DATETIME(6)  NULL,
    ADD KEY ix_notification_outbox_msg (wechat_msg_id),
    ADD KEY ix_notification_outbox_inbox (inbox_at, next_attempt_at);
