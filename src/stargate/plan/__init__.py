"""The capacity and investment planner (issue #5): what to build where and when, and what to
rent, within the budget, as a mixed-integer programme solved by HiGHS."""
