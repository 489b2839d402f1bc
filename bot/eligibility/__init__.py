"""The eligibility self-check: facts in, explained verdicts out (rules in policy/)."""
