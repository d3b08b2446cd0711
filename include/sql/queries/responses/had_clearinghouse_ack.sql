-- Did a 277CA at clearinghouse level (STC category A0/A1) acknowledge this claim before?
-- A rejection after it is the payer's (005010X214: A0/A1 receipt, A2 acceptance into adjudication).
SELECT 1
  FROM billing.claim_events
 WHERE claim_id = %(claim_id)s
   AND base_event_type = 'ack_277ca_clearinghouse'
 LIMIT 1
