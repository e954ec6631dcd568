"""Planning: what a plan risks (facts, hazards), what it may drop (ownership), what
ensure_created/ensure_deleted take of it (lifecycle), and its print-out (report)."""
