-- KEYS: (none; job keys are derived). ARGV: now, worker, token, lease_ms, guards.
-- Takes the best queued job (see claim_best).
return claim_best(NOW, ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] or '')
