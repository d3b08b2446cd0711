-- A remittance's PLB amounts as posting applied them (ledger.remittance.record_provider_adjustments).
COPY billing.provider_adjustments (remittance_id, position, provider_identifier, fiscal_period_date,
                                   reason_code, reference, amount, applied_as, claim_id, nets_adjustment_id)
FROM STDIN
