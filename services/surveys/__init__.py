"""surveys (8005): the survey planner — contacts, survey plans, invitations with signed tokens."""
