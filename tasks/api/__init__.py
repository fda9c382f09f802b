"""REST API of the plan register: plans, tasks, indicators, milestones."""
