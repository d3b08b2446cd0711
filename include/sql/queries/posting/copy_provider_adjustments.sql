COPY billing.provider_adjustments (remittance_id, position, provider_identifier, fiscal_period_date,
                                   reason_code, reference, amount)
FROM STDIN
