"""申报指南 and other documents derived from a policy and a year file."""
