"""Prevalence analysis of tagged posts: inputs, per-post facts, tallies, prevalence with intervals, reports, engines."""
